"""gzip for the large text responses (JSON reports, the map's GeoJSON, CSV exports) when the client
accepts it; streamed responses stay streamed, compressed chunk by chunk.

Level 1: a county's 25 MB map shrinks about tenfold for a tenth of the CPU that level 6 costs. nginx
in front may compress too; it leaves responses that already carry Content-Encoding alone."""
import gzip
import zlib

from flask import request

#: media types worth compressing (XLSX and ZIP are compressed already)
COMPRESSIBLE = frozenset({"application/json", "application/geo+json", "text/csv", "application/problem+json"})
#: bodies smaller than this go as they are
MIN_SIZE = 1024
LEVEL = 1


def _accepts_gzip() -> bool:
    for part in request.headers.get("Accept-Encoding", "").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*") and params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            return True
    return False


def _streamed(chunks):
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, 31)  # 31: gzip framing
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


def compress_response(response):
    """after_request: gzip a compressible 200 response when the request accepts gzip."""
    if response.mimetype in COMPRESSIBLE:
        response.vary.add("Accept-Encoding")
    if (response.status_code != 200 or response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers
            or request.method == "HEAD" or not _accepts_gzip()):
        return response
    if response.is_streamed:
        response.response = _streamed(response.iter_encoded())
        response.direct_passthrough = False
        response.headers.pop("Content-Length", None)
    else:
        body = response.get_data()
        if len(body) < MIN_SIZE:
            return response
        response.set_data(gzip.compress(body, LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def register(app) -> None:
    """Compress responses of every blueprint."""
    app.after_request(compress_response)
