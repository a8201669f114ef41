"""Response hardening for every page and API answer: security headers and safe redirect targets."""
from urllib.parse import urlsplit

from flask import Flask, current_app, request

#: pages whose inline bootstrap script we do not write (flask-smorest's swagger UI page)
INLINE_SCRIPT_PATHS = ("/api/docs",)


def safe_next(target: str | None) -> str | None:
    """A path on this site to go to after sign-in, or None for anything else.

    Browsers treat backslashes as slashes and drop tabs and newlines, so `/\\evil`, `/%09/evil` and
    `//evil` all leave the site: the target is cleaned the browser's way first, then parsed as a URL."""
    if not target:
        return None
    cleaned = "".join(ch for ch in target if ch not in "\t\r\n").replace("\\", "/")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in cleaned):
        return None
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or not cleaned.startswith("/") or cleaned.startswith("//"):
        return None
    return cleaned


def tile_origins(app: Flask | None = None) -> list[str]:
    """Origins the maps may load tiles from (the configured one and OpenStreetMap's)."""
    config = (app or current_app).config
    origins = {"https://tile.openstreetmap.org"}
    parts = urlsplit(config.get("TILE_URL", "").replace("{s}", "SUBDOMAIN"))
    if parts.scheme in ("http", "https") and parts.netloc:
        origins.add(f"{parts.scheme}://{parts.netloc.split('@')[-1].replace('SUBDOMAIN', '*')}")
    return sorted(origins)


def content_security_policy(inline_scripts: bool = False) -> str:
    """Everything from our own origin; map tiles from the tile server; no framing."""
    tiles = " ".join(tile_origins())
    script = "script-src 'self' 'unsafe-inline'" if inline_scripts else "script-src 'self'"
    return "; ".join([
        "default-src 'self'", script, "style-src 'self' 'unsafe-inline'", f"img-src 'self' data: blob: {tiles}",
        "connect-src 'self'", "font-src 'self' data:", "object-src 'none'", "base-uri 'self'",
        "form-action 'self'", "frame-ancestors 'none'",
    ])


def add_security_headers(response):
    """Headers every response carries; a blueprint that set its own CSP (the field app) keeps it."""
    headers = response.headers
    if "Content-Security-Policy" not in headers:
        inline = request.path.startswith(INLINE_SCRIPT_PATHS)
        headers["Content-Security-Policy"] = content_security_policy(inline)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not current_app.config["DEVELOPMENT"] and current_app.config.get("HSTS_SECONDS"):
        headers.setdefault("Strict-Transport-Security", f"max-age={current_app.config['HSTS_SECONDS']}")
    return response


def init_app(app: Flask) -> None:
    """Security headers on every response; the client address and scheme from a trusted proxy."""
    app.after_request(add_security_headers)
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
