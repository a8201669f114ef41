"""Encrypted forms: decrypt a form's submissions with the private key a manager gives (never stored)."""
import base64

from forms import encryption
from forms.answers import parse_instance
from forms.errors import FormError
from ..submissions import storage

from ..auth.services import require_role
from ..errors import BadRequest
from ..extensions import db
from ..submissions import services as submissions
from . import services


def decrypt_submissions(actor, form_id: str, private_key_pem: str, password: str | None = None) -> list[dict]:
    """Every encrypted submission of the form in the actor's scope, decrypted: answers, XML, files.

    A submission that does not open (other key, files missing) is listed with its error, not skipped.
    """
    require_role(actor, "admin", "manager")
    services.get_form(form_id)
    try:
        key = encryption.load_private_key(private_key_pem, password.encode() if password else None)
    except encryption.DecryptionError as exc:
        raise BadRequest(exc.message, field="private_key") from exc
    out = []
    for submission in db.session.scalars(submissions.list_submissions(actor, form=form_id)):
        manifest = encryption.read_manifest((submission.raw_xml or "").encode("utf-8"))
        if manifest is None:
            continue
        item = {"submission_id": submission.id, "instance_id": submission.instance_id,
                "received_at": submission.received_at.isoformat(), "answers": None, "xml": None,
                "attachments": [], "error": None}
        try:
            xml, media = encryption.decrypt_submission(key, manifest, _received_files(submission))
            fields = services.fields_for(submission.form_version)
            item["answers"] = parse_instance(xml, fields).answers
            item["xml"] = xml.decode("utf-8")
            item["attachments"] = [{"name": name, "size": len(data), "content_base64": base64.b64encode(data).decode()}
                                   for name, data in media.items()]
        except FormError as exc:
            item["error"] = exc.message
        out.append(item)
    return out


def _received_files(submission) -> dict:
    files = {}
    for row in submission.attachments:
        if row.is_received and row.sha256:
            with storage.open_bytes(row.sha256) as fh:
                files[row.name] = fh.read()
    return files
