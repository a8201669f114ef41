"""Generic browser-test fixtures shared by tests/web, tests/cases and tests/satisfaction.

Import them into a conftest (`from tests.web.browsing import artifacts, browser, live_server`). Playwright's
sync API allows one instance per thread, so every `browser` fixture shares one chromium per test session."""
import os
import shutil
import threading
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
_shared = {"users": 0, "playwright": None, "browser": None}


@pytest.fixture
def live_server(app):
    """The session app served over HTTP on a free port, in a thread, for the length of a test."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=5)


def _skip_reason():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through playwright; skipped when missing unless LIANHU_REQUIRE_BROWSER=1."""
    reason = _skip_reason()
    if reason:
        if os.environ.get("LIANHU_REQUIRE_BROWSER") == "1":
            pytest.fail(f"LIANHU_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    if _shared["browser"] is None:
        from playwright.sync_api import sync_playwright
        _shared["playwright"] = sync_playwright().start()
        _shared["browser"] = _shared["playwright"].chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"), args=CHROMIUM_ARGS)
    _shared["users"] += 1
    yield _shared["browser"]
    _shared["users"] -= 1
    if _shared["users"] == 0:
        _shared["browser"].close()
        _shared["playwright"].stop()
        _shared["browser"] = _shared["playwright"] = None


@pytest.fixture
def artifacts():
    """Where screenshots go (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


LAPTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}


def open_page(browser, live_server, viewport=LAPTOP, **kwargs):
    """A new page that only reaches the live server (anything else, e.g. a CDN, is refused and listed)."""
    from urllib.parse import urlparse
    context = browser.new_context(viewport=viewport, accept_downloads=True, **kwargs)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.outside = []
    local = urlparse(live_server.url).netloc

    def route(r):
        if urlparse(r.request.url).netloc == local:
            return r.continue_()
        page.outside.append(r.request.url)
        return r.abort()
    page.route("**/*", route)
    return page


def sign_in(page, live_server, username, password="secret-pass", next_path="/dashboard"):
    """Sign in through the login form and land on next_path."""
    page.goto(f"{live_server.url}/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_path.split('?')[0]}*")


def fits_width(page) -> bool:
    """No horizontal scrolling of the page itself (wide tables scroll inside their .table-wrap)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
