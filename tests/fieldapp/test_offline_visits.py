"""End to end on a phone-sized chromium: sign in, work offline, and the outbox drains when the signal returns."""
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from server.submissions.models import Attachment, QuarantineItem, Submission

from .conftest import PHONE
from .phone import sign_in  # noqa: F401  (other tests import it from here too)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHOTO = Path(__file__).resolve().parents[2] / "fieldapp" / "public" / "icon-512.png"
TILE_HOSTS = {"tile.openstreetmap.org"}


def open_context(chromium, live_server, household):
    context = chromium.new_context(
        **PHONE, base_url=live_server, locale="zh-CN", permissions=["geolocation"],
        geolocation={"latitude": household.lat + 0.00002, "longitude": household.lon, "accuracy": 5})
    context.set_default_timeout(30000)
    seen = []
    context.on("request", lambda request: seen.append(request.url))
    return context, seen


def foreign_requests(seen, live_server, app):
    ours = urlsplit(live_server).netloc
    tiles = TILE_HOSTS | {urlsplit(app.config["TILE_URL"].replace("{s}", "a")).hostname}
    return [url for url in seen if urlsplit(url).scheme in ("http", "https")
            and urlsplit(url).netloc != ours and urlsplit(url).hostname not in tiles]


def pending(page) -> int:
    return int(page.get_attribute("[data-testid=pending]", "data-count"))


def wait_pending(page, count):
    page.wait_for_selector(f"[data-testid=pending][data-count='{count}']", timeout=60000)


def fill_visit(page, household, demand, photo=None, screenshot=None):
    page.click(f"a.household[data-code='{household.code}']")
    page.click("[data-testid=fill-visit]")
    page.wait_for_selector(".form-initialization-status.ready", state="attached")
    chosen = page.locator(".question-container").first
    assert household.code in chosen.inner_text()  # preselected from the list
    page.get_by_role("button", name="获取位置").click()
    page.get_by_role("button", name="保存位置").click()
    page.get_by_text("例行走访", exact=True).click()
    page.locator(".question-container").filter(has_text="这户有诉求").get_by_text("是", exact=True).click()
    page.locator(".question-container").filter(has_text="诉求内容").locator("input").fill(demand)
    if photo:
        page.locator("input[type=file]").set_input_files(str(photo))
        page.wait_for_selector(".question-container img")
    if screenshot:
        page.screenshot(path=str(screenshot), full_page=True)
    page.get_by_role("button", name="提交").click()
    page.wait_for_selector("[data-testid=saved]")
    page.wait_for_selector("[data-testid=household]")


def server_submissions(db, household):
    db.session.expire_all()
    return db.session.scalars(select(Submission).where(Submission.household_id == household.id)
                              .order_by(Submission.id)).all()


def test_three_visits_saved_offline_reach_the_server_once(world, live_server, chromium, artifacts, app, db):
    context, seen = open_context(chromium, live_server, world.h1)
    page = context.new_page()
    sign_in(page, world.cadre.username)
    assert page.locator("a.household").count() == 2  # only the cadre's own households
    page.screenshot(path=str(artifacts / "fieldapp-households.png"))

    context.set_offline(True)
    page.reload()
    page.wait_for_selector("a.household")
    assert "离线" in page.inner_text("header")
    for n in range(3):
        fill_visit(page, world.h1, f"修路灯 {n}", photo=PHOTO if n == 0 else None,
                   screenshot=artifacts / "fieldapp-form.png" if n == 0 else None)
        page.click("a.back")
    assert pending(page) == 3
    page.click("[data-testid=pending]")
    expect(page.locator(".outbox-item")).to_have_count(3)
    assert page.inner_text("[data-testid=outbox-count]") == "3"
    page.screenshot(path=str(artifacts / "fieldapp-outbox.png"), full_page=True)
    assert server_submissions(db, world.h1) == []

    # a copy of one stored submission: sending the same visit twice must add nothing on the server
    page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open('lianhu-fieldapp');
        open.onsuccess = () => {
            const tx = open.result.transaction('outbox', 'readwrite');
            const store = tx.objectStore('outbox');
            store.getAll().onsuccess = (e) => { const item = e.target.result[0]; store.put({...item, id: 'copy-' + item.id}); };
            tx.oncomplete = () => { open.result.close(); resolve(); };
            tx.onerror = () => reject(tx.error);
        };
    })""")
    page.reload()
    wait_pending(page, 4)

    context.set_offline(False)
    wait_pending(page, 0)
    submissions = server_submissions(db, world.h1)
    assert len(submissions) == 3
    assert {s.geo_status for s in submissions} == {"verified"}
    assert sorted(s.answers["demands"][0]["text"] for s in submissions) == ["修路灯 0", "修路灯 1", "修路灯 2"]
    assert {s.answers["household"] for s in submissions} == {world.h1.code}
    assert db.session.scalar(select(func.count()).select_from(QuarantineItem)) == 0
    photos = db.session.scalars(select(Attachment).where(
        Attachment.submission_id.in_([s.id for s in submissions]))).all()
    assert len(photos) == 1 and photos[0].is_received and photos[0].size > 0

    page.click("[data-testid=sync]")
    page.wait_for_selector("[data-testid=sync]:not([disabled])")
    assert len(server_submissions(db, world.h1)) == 3
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 3
    page.goto(f"/app/#/h/{world.h1.id}")
    expect(page.locator("[data-testid=visits] li.sent")).to_have_count(3)  # visits from this phone
    assert foreign_requests(seen, live_server, app) == []
    context.close()


def test_visit_saved_offline_survives_closing_the_page(world, live_server, chromium, app, db):
    context, seen = open_context(chromium, live_server, world.h2)
    page = context.new_page()
    sign_in(page, world.cadre.username)
    assert page.locator("a.household").first.get_attribute("data-code") == world.h1.code  # never visited: by code
    page.click("[data-testid=sort-distance]")  # the phone stands at h2
    page.wait_for_selector("a.household .distance")
    expect(page.locator("a.household").first).to_have_attribute("data-code", world.h2.code)
    assert page.locator("a.household .distance").first.inner_text().endswith(" m")
    context.set_offline(True)
    fill_visit(page, world.h2, "门前路灯坏了")
    assert pending(page) == 1
    page.close()

    page = context.new_page()
    page.goto("/app/")  # no network: the service worker opens the app, IndexedDB still holds the visit
    wait_pending(page, 1)
    page.click("[data-testid=pending]")
    expect(page.locator(".outbox-item")).to_have_count(1)
    assert re.search(world.h2.code, page.inner_text("[data-testid=outbox]"))

    context.set_offline(False)
    wait_pending(page, 0)
    assert len(server_submissions(db, world.h2)) == 1
    assert foreign_requests(seen, live_server, app) == []
    context.close()
