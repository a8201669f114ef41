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
