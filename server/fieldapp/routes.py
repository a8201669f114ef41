"""The cadres' offline field app at /app: the Vite build in server/static/fieldapp/, with its CSP.

Hashed assets are cached for a year; index.html, sw.js and the manifest are revalidated on every
load so a new build reaches phones. The service worker lives at /app/sw.js, so its scope is /app/.
"""
from pathlib import Path

from flask import Blueprint, current_app, jsonify, redirect, render_template_string, send_from_directory
from werkzeug.exceptions import NotFound

from ..security import tile_origins

bp = Blueprint("fieldapp", __name__)

MISSING_PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>联户 · 外勤应用未构建</title></head>
<body style="font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em">
<h1>外勤应用尚未构建 / Field app not built</h1>
<p>服务器上没有找到 <code>{{ folder }}</code>。请在项目根目录运行 <code>make fieldapp</code>。</p>
<p>The built app was not found in <code>{{ folder }}</code>. Run <code>make fieldapp</code> in the project folder.</p>
</body></html>"""

TYPES = {".webmanifest": "application/manifest+json", ".js": "text/javascript", ".mjs": "text/javascript",
         ".wasm": "application/wasm", ".svg": "image/svg+xml"}


def app_folder() -> Path:
    """Where the build lives (FIELDAPP_DIR overrides, for tests)."""
    return Path(current_app.config.get("FIELDAPP_DIR") or Path(current_app.static_folder) / "fieldapp")


def content_security_policy() -> str:
    """Everything from our origin; WASM compilation for the form engine; tiles from the tile server."""
    tiles = " ".join(tile_origins())
    return "; ".join([
        "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob: {tiles}", f"connect-src 'self' {tiles}", "font-src 'self' data:",
        "worker-src 'self' blob:", "manifest-src 'self'", "media-src 'self' blob:", "object-src 'none'",
        "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
    ])


@bp.after_request
def secure(response):
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/app")
def app_root():
    return redirect("/app/", code=301)


@bp.route("/app/")
def index():
    return serve_file("index.html")


@bp.route("/app/config.json")
def config():
    """Run-time settings the static build cannot know."""
    cfg = current_app.config
    return jsonify(tile_url=cfg.get("TILE_URL"), tile_attribution=cfg.get("TILE_ATTRIBUTION"),
                   tile_crs=cfg.get("TILE_CRS", "wgs84"), geo_radius_m=cfg.get("GEO_RADIUS_M"))


@bp.route("/app/<path:path>")
def asset(path):
    return serve_file(path)


def serve_file(path: str):
    folder = app_folder()
    if not (folder / "index.html").is_file():
        return render_template_string(MISSING_PAGE, folder=str(folder)), 503
    try:
        response = send_from_directory(folder, path, max_age=0)
    except NotFound:
        if "." in path.rsplit("/", 1)[-1]:
            raise
        response = send_from_directory(folder, "index.html", max_age=0)  # client-side route
    suffix = Path(path).suffix
    if suffix in TYPES:
        response.mimetype = TYPES[suffix]
    if path.startswith("assets/"):
        response.cache_control.public = True
        response.cache_control.max_age = 31536000
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
    if path == "sw.js":
        response.headers["Service-Worker-Allowed"] = "/app/"
    return response


def register(app) -> None:
    from . import api_routes
    app.register_blueprint(bp)
    api_routes.register(app)
