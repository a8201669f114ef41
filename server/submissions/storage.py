"""Content-addressed attachment storage under ATTACHMENT_DIR (shared by sync and submissions)."""
import hashlib
import mimetypes
import os
import re
import tempfile

from flask import current_app

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def path_for(sha256: str, root: str | None = None) -> str:
    """Where the bytes with this hash live: <root>/ab/cd/<sha256>."""
    if not SHA256_RE.match(sha256 or ""):
        raise ValueError("not a sha256 hex digest")
    root = root or current_app.config["ATTACHMENT_DIR"]
    return os.path.join(root, sha256[:2], sha256[2:4], sha256)


def store_bytes(data: bytes, sha256: str | None = None) -> str:
    """Write bytes once (atomically: temp file + rename); returns their sha256."""
    sha256 = sha256 or sha256_of(data)
    path = path_for(sha256)
    if os.path.exists(path):
        return sha256
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return sha256


def exists(sha256: str) -> bool:
    return os.path.exists(path_for(sha256))


def open_bytes(sha256: str):
    """A binary file object for stored bytes (FileNotFoundError when absent)."""
    return open(path_for(sha256), "rb")


def guess_type(name: str, given: str | None = None) -> str:
    """A content type from the client, else from the file name."""
    if given and given != "application/octet-stream":
        return given[:100]
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def is_plain_name(name) -> bool:
    """A file name with no folders, NULs or dot tricks."""
    return (isinstance(name, str) and 0 < len(name) <= 255 and name not in (".", "..")
            and not any(c in name for c in "/\\\0") and not name.startswith("."))


def clean_upload_name(name: str | None) -> str | None:
    """The last path component of an uploaded file's name, or None when it is not a plain name."""
    if not name:
        return None
    base = re.split(r"[\\/]", name)[-1].strip()
    return base if is_plain_name(base) else None
