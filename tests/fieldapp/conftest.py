"""Fixtures for the field app: the build, a live server on the test database, and Debian's chromium."""
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.web.browsing import browser  # noqa: F401  (one chromium per test session)

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "server" / "static" / "fieldapp"
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _unavailable(reason: str):
    if os.environ.get("LIANHU_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium(browser):
    """The one shared chromium of the test session (tests/web/browsing.py), once the app is built."""
    if not (BUILD / "index.html").is_file():
        _unavailable("the field app is not built (run make fieldapp)")
    return browser


@pytest.fixture(scope="session")
def live_server(app):
    """The test app on 127.0.0.1 (a free port), in a thread, sharing the test database."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def quick_visits(app, monkeypatch):
    """A browser test fills a visit in seconds, where a cadre takes minutes: the form-time check
    (VISIT_MIN_SECONDS) is tested with real timings in tests/sync/test_truthfulness.py."""
    monkeypatch.setitem(app.config, "VISIT_MIN_SECONDS", 0)


def wait_js(page, expression: str, arg=None, timeout: float = 30.0) -> None:
    """Wait until a JS expression is true. Not page.wait_for_function: when it has to poll, it evals the
    predicate inside the page, which the app's CSP (no 'unsafe-eval') refuses. page.evaluate goes
    through the DevTools protocol, which the page's CSP does not govern; a navigation (the service
    worker reloading the page) just means asking again."""
    import time

    from playwright.sync_api import Error
    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression, arg) if arg is not None else page.evaluate(expression):
                return
        except Error as exc:
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {expression}")
        page.wait_for_timeout(100)
