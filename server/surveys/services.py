"""Publishing XLSForms as XForms, and looking forms up."""

from forms import xlsform
from forms.errors import XLSFormError

from ..audit import services as audit
from ..auth.services import require_role
from ..errors import Conflict, FormInvalid, FormNotFound, FormUnchanged
from ..extensions import db
from . import formspec, media
from .models import KINDS, Form, FormVersion


def convert_upload(data: bytes, filename: str | None = None):
    """Convert an uploaded .xlsx or .xls; a broken XLSForm is a 400 quoting pyxform."""
    try:
        return xlsform.convert(data, filename=filename)
    except XLSFormError as exc:
        raise FormInvalid(f"XLSForm error: {exc.message}") from exc


def publish(actor, converted, kind: str | None = None) -> FormVersion:
    """Publish a converted form as the current version of its form."""
    form = db.session.scalar(db.select(Form).filter_by(form_id=converted.form_id))
    if form is None:
        guessed = converted.form_id if converted.form_id in KINDS else "other"
        form = Form(form_id=converted.form_id, kind=kind or guessed, title=converted.title)
        db.session.add(form)
        db.session.flush()
    existing = db.session.scalar(db.select(FormVersion).filter_by(form_pk=form.id, version=converted.version))
    if existing is not None:
        if existing.md5 == converted.md5:
            raise FormUnchanged(f"Version {converted.version} of {form.form_id} is already published.")
        raise Conflict(f"Version {converted.version} of {form.form_id} exists with other content; "
                       "raise the version in the settings sheet.", field="version")
    previous = db.session.scalar(db.select(FormVersion).filter_by(form_pk=form.id, is_current=True))
    db.session.execute(db.update(FormVersion).where(FormVersion.form_pk == form.id).values(is_current=False))
    version = FormVersion(form=form, version=converted.version, title=converted.title,
                          xlsform=converted.sheets, xml=converted.xml, md5=converted.md5,
                          state="published", is_current=True, created_by_id=getattr(actor, "id", None))
    form.title, form.state = converted.title, "published"
    db.session.add(version)
    db.session.flush()
    media.carry_media(previous, version)
    version.warnings = list(converted.warnings)  # shown with the upload's result, not stored
    audit.record(actor, "form.publish", "form", form.form_id, version=converted.version, md5=converted.md5)
    return version


def upload_xlsform(actor, data: bytes, kind: str | None = None, filename: str | None = None,
                   files: list | None = None) -> FormVersion:
    """Admins and managers publish a new form or a new version of one, with its media files
    (`files`: (name, bytes, content type) tuples)."""
    require_role(actor, "admin", "manager")
    version = publish(actor, convert_upload(data, filename), kind)
    for name, content, content_type in files or []:
        media.attach_media(version, name, content, content_type)
    return version


def upload_media(actor, version: FormVersion, files: list) -> list:
    """Add or replace media files of a version (what its manifest serves); audited."""
    require_role(actor, "admin", "manager")
    rows = [media.attach_media(version, name, content, content_type) for name, content, content_type in files]
    audit.record(actor, "form.media", "form", version.form.form_id, version=version.version,
                 files=[r.name for r in rows])
    return rows


def list_versions(form_id: str) -> list[FormVersion]:
    """A form's version history, newest first."""
    form = get_form(form_id)
    return db.session.scalars(db.select(FormVersion).filter_by(form_pk=form.id)
                              .order_by(FormVersion.id.desc())).all()


def publish_builtins() -> list[FormVersion]:
    """Publish the built-in forms whose shipped version is not stored yet (first start, upgrades)."""
    published = []
    for form_id in xlsform.builtin_form_ids():
        converted = xlsform.convert_builtin(form_id)
        exists = db.session.scalar(
            db.select(FormVersion.id).join(Form).where(Form.form_id == form_id,
                                                       FormVersion.version == converted.version))
        if not exists:
            published.append(publish(None, converted, kind=form_id))
    return published


def list_forms(include_closed: bool = False) -> list[FormVersion]:
    """The current version of each published form."""
    query = (db.select(FormVersion).join(Form).where(FormVersion.is_current.is_(True))
             .order_by(Form.form_id))
    if not include_closed:
        query = query.where(Form.state == "published")
    return db.session.scalars(query).all()


def get_form(form_id: str) -> Form:
    """A form by its id, or 404."""
    form = db.session.scalar(db.select(Form).filter_by(form_id=form_id))
    if form is None:
        raise FormNotFound(f"No form {form_id!r}.")
    return form


def current_version(form_id: str) -> FormVersion:
    """The version devices get, or 404."""
    version = db.session.scalar(
        db.select(FormVersion).join(Form).where(Form.form_id == form_id, FormVersion.is_current.is_(True)))
    if version is None:
        raise FormNotFound(f"No form {form_id!r}.")
    return version


def set_state(actor, form: Form, state: str) -> Form:
    """Open or close a form for submissions."""
    require_role(actor, "admin", "manager")
    form.state = state
    audit.record(actor, "form.state", "form", form.form_id, state=state)
    return form


def fields_for(version: FormVersion) -> tuple:
    """The fields of a stored version, from the one parsed-XForm cache (formspec, by md5)."""
    return formspec.spec_of(version).fields
