"""Serving the built field app at /app: CSP, caching, the service worker's scope, the missing-build page."""
import pytest

CSP_NEEDS = ("script-src 'self' 'wasm-unsafe-eval'", "default-src 'self'", "worker-src 'self' blob:")


@pytest.fixture
def fake_build(app, tmp_path):
    """A minimal build in a temporary folder, so these tests do not depend on `make fieldapp`."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>联户走访</title>", encoding="utf-8")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    (tmp_path / "manifest.webmanifest").write_text('{"name": "x"}')
    previous = app.config.get("FIELDAPP_DIR")
    app.config["FIELDAPP_DIR"] = str(tmp_path)
    yield tmp_path
    app.config["FIELDAPP_DIR"] = previous


def test_app_is_served_with_a_csp_allowing_wasm_only(client, fake_build):
    response = client.get("/app/")
    assert response.status_code == 200
    assert "联户走访" in response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    for directive in CSP_NEEDS:
        assert directive in csp
    assert "'unsafe-eval'" not in csp.replace("'wasm-unsafe-eval'", "")
    assert response.headers["Cache-Control"].startswith("no-cache")


def test_bare_app_path_redirects_into_the_service_worker_scope(client, fake_build):
    response = client.get("/app")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/app/")


def test_hashed_assets_are_cached_for_a_year_and_index_revalidated(client, fake_build):
    asset = client.get("/app/assets/index-abc123.js")
    assert asset.status_code == 200
    assert asset.mimetype == "text/javascript"
    assert "immutable" in asset.headers["Cache-Control"] and "max-age=31536000" in asset.headers["Cache-Control"]


def test_service_worker_is_served_for_the_app_scope(client, fake_build):
    response = client.get("/app/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/app/"
    assert "no-cache" in response.headers["Cache-Control"]


def test_manifest_has_its_media_type(client, fake_build):
    response = client.get("/app/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"


def test_client_side_routes_get_the_app_and_missing_files_404(client, fake_build):
    assert client.get("/app/outbox").status_code == 200
    assert client.get("/app/assets/nope-123.js").status_code == 404


def test_runtime_config_names_the_tile_server(client, fake_build, app):
    body = client.get("/app/config.json").get_json()
    assert body["tile_url"] == app.config["TILE_URL"]
    assert body["tile_crs"] in ("wgs84", "gcj02")


def test_missing_build_says_how_to_build_it(client, app, tmp_path):
    previous = app.config.get("FIELDAPP_DIR")
    app.config["FIELDAPP_DIR"] = str(tmp_path / "nothing-here")
    try:
        response = client.get("/app/")
    finally:
        app.config["FIELDAPP_DIR"] = previous
    assert response.status_code == 503
    assert "make fieldapp" in response.get_data(as_text=True)
