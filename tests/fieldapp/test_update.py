"""A new build of the app waits for the user's tap and then takes over."""
import shutil

import pytest
from playwright.sync_api import expect

from .conftest import BUILD, wait_js
from .test_offline_visits import open_context, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def build_copy(app, tmp_path):
    """The app served from a copy of the build, so the test can publish a 'newer' one."""
    copy = tmp_path / "fieldapp"
    shutil.copytree(BUILD, copy)
    previous = app.config.get("FIELDAPP_DIR")
    app.config["FIELDAPP_DIR"] = str(copy)
    yield copy
    app.config["FIELDAPP_DIR"] = previous


def test_new_version_is_offered_and_applied(world, live_server, chromium, build_copy):
    context, _ = open_context(chromium, live_server, world.h1)
    page = context.new_page()
    sign_in(page, world.cadre.username)
    expect(page.locator("[data-testid=update]")).to_have_count(0)
    sw = build_copy / "sw.js"
    sw.write_text(sw.read_text(encoding="utf-8").replace("const VERSION = \"", "const VERSION = \"newer-"),
                  encoding="utf-8")
    page.evaluate("navigator.serviceWorker.getRegistration('/app/').then((r) => r.update())")
    page.click("[data-testid=update]")
    wait_js(page, "navigator.serviceWorker.controller?.state === 'activated'")
    page.wait_for_selector("a.household")
    expect(page.locator("[data-testid=update]")).to_have_count(0)
    shells = [k for k in page.evaluate("caches.keys()") if k.startswith("lianhu-shell-")]
    assert len(shells) == 1 and shells[0].startswith("lianhu-shell-newer-")  # the old shell cache is gone
    context.close()
