"""Form media: the files a form version needs on the device (CSV lists, pulldata, label images, GeoJSON)."""
import hashlib
import mimetypes

from ..submissions import storage

from ..errors import BadRequest, NotFound, TooLarge
from ..extensions import db
from .models import FormMedia, FormVersion

#: generated per user by sync, never uploaded
GENERATED = ("households.csv",)
MAX_MEDIA_BYTES = 50 * 1024 * 1024
TYPES = {".csv": "text/csv", ".geojson": "application/geo+json", ".json": "application/json",
         ".xml": "text/xml", ".txt": "text/plain"}


def content_type_of(name: str, given: str | None = None) -> str:
    """A content type from the name (CSV and GeoJSON first), else what the client said."""
    for suffix, kind in TYPES.items():
        if name.lower().endswith(suffix):
            return kind
    if given and given != "application/octet-stream":
        return given[:100]
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def attach_media(version: FormVersion, name: str, data: bytes, content_type: str | None = None) -> FormMedia:
    """Store (or replace) one media file of a version; flushes."""
    name = storage.clean_upload_name(name)
    if name is None:
        raise BadRequest("A media file needs a plain file name.", field="media")
    if name in GENERATED:
        raise BadRequest(f"{name} is made per user by the server; do not upload it.", field="media")
    if len(data) > MAX_MEDIA_BYTES:
        raise TooLarge(f"{name} is over {MAX_MEDIA_BYTES} bytes.", limit=MAX_MEDIA_BYTES)
    sha256 = storage.store_bytes(data)
    row = db.session.scalar(db.select(FormMedia).filter_by(form_version_id=version.id, name=name))
    if row is None:
        row = FormMedia(form_version_id=version.id, name=name)
        db.session.add(row)
    row.content_type, row.size, row.sha256 = content_type_of(name, content_type), len(data), sha256
    row.md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    db.session.flush()
    return row


def carry_media(source: FormVersion | None, target: FormVersion) -> None:
    """A new version keeps the previous version's files it still names (bytes are shared)."""
    if source is None:
        return
    have = {m.name for m in media_files(target)}
    for old in media_files(source):
        if old.name not in have:
            db.session.add(FormMedia(form_version_id=target.id, name=old.name, content_type=old.content_type,
                                     size=old.size, sha256=old.sha256, md5=old.md5))
    db.session.flush()


def media_files(version: FormVersion) -> list[FormMedia]:
    """The uploaded media of a version, by name."""
    return db.session.scalars(db.select(FormMedia).filter_by(form_version_id=version.id)
                              .order_by(FormMedia.name)).all()


def get_media(version: FormVersion, name: str) -> FormMedia:
    row = db.session.scalar(db.select(FormMedia).filter_by(form_version_id=version.id, name=name))
    if row is None:
        raise NotFound(f"The form has no media file {name!r}.")
    return row


def read_media(row: FormMedia) -> bytes:
    with storage.open_bytes(row.sha256) as fh:
        return fh.read()


def missing_media(version: FormVersion, needed: list[str]) -> list[str]:
    """Files the XForm names that are neither uploaded nor generated."""
    have = {m.name for m in media_files(version)} | set(GENERATED)
    return [name for name in needed if name not in have]
