"""Every OpenRosa XML shape in one module: formList, manifest, OpenRosaResponse."""
from xml.sax.saxutils import escape

from flask import Response, current_app

XFORMS_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
RESPONSE_NS = "http://openrosa.org/http/response"
HEADERS = {"X-OpenRosa-Version": "1.0"}
XML_TYPE = "text/xml; charset=utf-8"


def _e(value) -> str:
    return escape("" if value is None else str(value), {'"': "&quot;"})


def form_list(forms: list[dict]) -> str:
    """<xforms>: each dict has form_id, name, version, md5, download_url, manifest_url (or None), description."""
    items = []
    for f in forms:
        manifest = f"<manifestUrl>{_e(f['manifest_url'])}</manifestUrl>" if f.get("manifest_url") else ""
        description = f"<descriptionText>{_e(f['description'])}</descriptionText>" if f.get("description") else ""
        items.append(
            f"<xform><formID>{_e(f['form_id'])}</formID><name>{_e(f['name'])}</name>"
            f"<version>{_e(f['version'])}</version><hash>md5:{_e(f['md5'])}</hash>{description}"
            f"<downloadUrl>{_e(f['download_url'])}</downloadUrl>{manifest}</xform>")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<xforms xmlns="{XFORMS_LIST_NS}">{"".join(items)}</xforms>'


def manifest(files: list[dict]) -> str:
    """<manifest>: each dict has filename, hash (without the md5: prefix) and download_url."""
    items = "".join(
        f"<mediaFile><filename>{_e(f['filename'])}</filename><hash>md5:{_e(f['hash'])}</hash>"
        f"<downloadUrl>{_e(f['download_url'])}</downloadUrl></mediaFile>" for f in files)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest xmlns="{MANIFEST_NS}">{items}</manifest>'


def response_xml(message: str, nature: str = "submit_success") -> str:
    """An <OpenRosaResponse> with one message."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<OpenRosaResponse xmlns="{RESPONSE_NS}" items="0">'
            f'<message nature="{_e(nature)}">{_e(message)}</message></OpenRosaResponse>')


def xml_response(body, status: int = 200, content_type: str = XML_TYPE, headers: dict | None = None) -> Response:
    """Any OpenRosa response: it always carries X-OpenRosa-Version."""
    response = Response(body, status=status, content_type=content_type)
    response.headers.update(HEADERS)
    # OpenRosa: every response (201 included) tells the largest body the server accepts
    response.headers["X-OpenRosa-Accept-Content-Length"] = str(current_app.config["MAX_CONTENT_LENGTH"])
    if headers:
        response.headers.update(headers)
    return response


def success(message: str, status: int = 201) -> Response:
    """A successful submission (201: the only status ODK Collect counts as success besides 202)."""
    return xml_response(response_xml(message, "submit_success"), status)


def error(message: str, status: int, headers: dict | None = None) -> Response:
    """An error as <OpenRosaResponse> XML."""
    return xml_response(response_xml(message, "error"), status, headers=headers)
