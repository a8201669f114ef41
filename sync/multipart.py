"""A small multipart/form-data reader for OpenRosa submissions.

Werkzeug's parser compiles a regular expression for every request's boundary, which is most of
the parsing cost of a small submission; this splits the (size-limited) body on its delimiter.
"""
from dataclasses import dataclass

from werkzeug.http import parse_options_header

from server.errors import BadRequest


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def parse(body: bytes, content_type: str | None) -> list[Part]:
    """The parts of a multipart/form-data body; BadRequest when it is not one."""
    mimetype, options = parse_options_header(content_type or "")
    boundary = options.get("boundary")
    if mimetype != "multipart/form-data" or not boundary or len(boundary) > 200:
        raise BadRequest("Send the submission as multipart/form-data (xml_submission_file + attachments).")
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 2 or not chunks[-1].startswith(b"--"):
        raise BadRequest("The multipart body is incomplete (no closing boundary).")
    parts = []
    for chunk in chunks[1:-1]:
        head, separator, data = chunk.partition(b"\r\n\r\n")
        if not separator:
            raise BadRequest("A multipart part has no header block.")
        headers = {}
        for line in head.split(b"\r\n"):
            key, colon, value = line.partition(b":")
            if colon:
                headers[key.strip().lower()] = value.strip().decode("utf-8", "replace")
        _, disposition = parse_options_header(headers.get(b"content-disposition", ""))
        if "name" not in disposition:
            raise BadRequest("A multipart part has no name.")
        parts.append(Part(disposition["name"], disposition.get("filename"),
                          headers.get(b"content-type"), data))
    return parts


#: form fields a client sends beside files (ODK Collect's split-upload flag); not attachments
CONTROL_FIELDS = ("*isIncomplete*",)


def submission_parts(parts: list[Part]) -> tuple[Part, dict]:
    """The xml_submission_file part and every other part by file name; BadRequest when a part would be lost.

    Refused (so that nothing is answered 201 and then dropped): no or several xml_submission_file parts,
    a part whose name is not a plain file name, two different parts under one name.
    """
    from server.submissions.storage import clean_upload_name
    xml_parts = [p for p in parts if p.name == "xml_submission_file"]
    if not xml_parts:
        raise BadRequest("The request has no xml_submission_file part.")
    if len(xml_parts) > 1:
        raise BadRequest(f"The request has {len(xml_parts)} xml_submission_file parts; send one per request.")
    files: dict = {}
    for part in parts:
        if part is xml_parts[0] or (part.filename is None and part.name in CONTROL_FIELDS):
            continue
        name = clean_upload_name(part.filename or part.name)
        if name is None:
            raise BadRequest(f"The part {part.filename or part.name!r} has no plain file name.")
        if name in files and files[name].data != part.data:
            raise BadRequest(f"Two different files named {name!r} were sent.")
        files[name] = part
    return xml_parts[0], files
