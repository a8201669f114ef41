"""The cadre's own cases on the phone (issue 13, item 4): listed by urgency, claimed and resolved offline
with a note and a photo, sent through the outbox when the signal returns."""
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from server.auth.services import issue_device
from server.cases import services as cases
from server.cases.models import Case, CaseEvent
from server.models_base import utcnow

from .phone import english_words, open_phone, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHOTO = Path(__file__).resolve().parents[2] / "fieldapp" / "public" / "icon-512.png"


def test_claim_and_resolve_a_case_offline(world, live_server, chromium, artifacts, db, app):
    late = cases.open_case(None, world.h1, text="修缮屋顶", category="housing", due_at=utcnow() - timedelta(days=2))
    soon = cases.open_case(None, world.h2, text="想要一个新书包", category="education", is_micro_wish=True,
                           due_at=utcnow() + timedelta(days=3))
    cases.open_case(None, world.h1, text="满意度测评：不满意：很少来", category=cases.FOLLOW_UP_CATEGORY,
                    to_manager=True)  # a resident's answer: never on the cadre's phone
    db.session.commit()

    context = open_phone(chromium, live_server, world.h1)
    page = context.new_page()
    sign_in(page, world.cadre.username)
    page.click("[data-testid=cases-link]")
    expect(page.locator("[data-testid=cases] .case-item")).to_have_count(2)
    expect(page.locator("[data-testid=cases-overdue]")).to_contain_text("已逾期 1")
    expect(page.locator("[data-testid=cases-due-soon]")).to_contain_text("即将到期 1")
    assert "不满意" not in page.inner_text("[data-testid=cases]")
    assert english_words(page, world.cadre.username) == []

    context.set_offline(True)
    item = page.locator(f".case-item[data-case='{late.id}']")
    item.locator("[data-testid=claim]").click()
    expect(item).to_have_attribute("data-status", "claimed")
    item.locator("[data-testid=resolve]").click()
    item.locator("[data-testid=resolve-submit]").click()
    expect(item.locator(".error")).to_have_text("请填写办理情况。")  # a note is required
    item.locator("[data-testid=resolve-note]").fill("已请村里修好屋顶")
    item.locator("[data-testid=resolve-photo]").set_input_files(str(PHOTO))
    item.locator("[data-testid=resolve-submit]").click()
    expect(item).to_have_attribute("data-status", "resolved")
    expect(item.locator("[data-testid=case-queued]")).to_be_visible()
    page.wait_for_selector("[data-testid=pending][data-count='2']")
    page.screenshot(path=str(artifacts / "phone-cases.png"), full_page=True)
    page.click("[data-testid=pending]")
    expect(page.locator(".outbox-item")).to_have_count(2)
    page.screenshot(path=str(artifacts / "phone-cases-outbox.png"), full_page=True)
    assert english_words(page, world.cadre.username) == []
    db.session.expire_all()
    assert db.session.get(Case, late.id).status == "open"  # nothing reached the server yet

    context.set_offline(False)
    page.wait_for_selector("[data-testid=pending][data-count='0']", timeout=60000)
    db.session.expire_all()
    case = db.session.get(Case, late.id)
    assert case.status == "resolved" and case.claimed_by_id == world.cadre.id
    events = db.session.scalars(db.select(CaseEvent).filter_by(case_id=late.id).order_by(CaseEvent.id)).all()
    assert [e.action for e in events] == ["create", "claim", "resolve"]
    assert events[-1].note == "已请村里修好屋顶" and events[-1].photo.startswith("/api/v1/fieldapp/case-photos/")
    assert db.session.get(Case, soon.id).status == "open"
    # the photo can be fetched by those who see the case, and by nobody else
    client = app.test_client()
    _, manager_token = issue_device(world.v1_manager, "t")
    _, other_token = issue_device(world.cadre2, "t")
    db.session.commit()
    photo = client.get(events[-1].photo, headers={"Authorization": f"Bearer {manager_token}"})
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and len(photo.data) > 100
    assert client.get(events[-1].photo, headers={"Authorization": f"Bearer {other_token}"}).status_code == 404
    page.goto("/app/#/cases")
    expect(page.locator(f".case-item[data-case='{late.id}']")).to_have_attribute("data-status", "resolved")
    expect(page.locator(f".case-item[data-case='{late.id}'] [data-testid=case-queued]")).to_have_count(0)
    context.close()
