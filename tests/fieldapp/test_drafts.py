"""Drafts (issue 13, items 2 and 3): half a visit offline survives closing the page, is resumed offline,
finished, sent once when the network returns; the household then shows the verdict and is no longer due."""
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.submissions.models import Submission

from .phone import capture_location, english_words, open_phone, open_visit, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHOTO = Path(__file__).resolve().parents[2] / "fieldapp" / "public" / "icon-512.png"


def _visits(db, household):
    db.session.expire_all()
    return db.session.scalars(select(Submission).where(Submission.household_id == household.id)).all()


def test_half_a_visit_offline_is_resumed_after_closing_and_sent_once(world, live_server, chromium, artifacts, db):
    context = open_phone(chromium, live_server, world.h1)
    page = context.new_page()
    sign_in(page, world.cadre.username)
    row = page.locator(f"a.household[data-code='{world.h1.code}']")
    expect(row.locator(".due")).to_have_text("应走访")  # never visited: due now

    context.set_offline(True)
    open_visit(page, world.h1)
    capture_location(page)
    page.get_by_text("例行走访", exact=True).click()
    page.locator(".question-container").filter(has_text="这户有诉求").get_by_text("是", exact=True).click()
    page.locator(".question-container").filter(has_text="诉求内容").locator("input").fill("门前路灯坏了")
    page.locator("input[type=file]").set_input_files(str(PHOTO))
    page.wait_for_selector(".question-container img")
    page.wait_for_selector("[data-testid=draft-saved]")
    page.wait_for_timeout(800)  # the last answer's debounced save
    page.close()  # closed without sending and without "← 返回"

    page = context.new_page()
    page.goto("/app/")  # offline: the service worker opens the app, IndexedDB holds the draft
    page.click("[data-testid=drafts-link]")
    expect(page.locator("[data-testid=drafts] .draft-item")).to_have_count(1)
    page.screenshot(path=str(artifacts / "phone-drafts.png"))
    assert english_words(page, world.cadre.username) == []
    page.goto(f"/app/#/h/{world.h1.id}")
    expect(page.locator("[data-testid=household-drafts] .draft-item")).to_have_count(1)
    page.click("[data-testid=household-drafts] [data-testid=resume-draft]")
    page.wait_for_selector(".form-initialization-status.ready", state="attached")
    demand = page.locator(".question-container").filter(has_text="诉求内容").locator("input")
    expect(demand).to_have_value("门前路灯坏了")  # the answers came back
    expect(page.locator(".geolocation-formatted-value")).to_be_visible()  # the location too, not a map to redo
    expect(page.locator(".question-container img")).to_be_visible()  # and the photo
    assert english_words(page, world.cadre.username) == []
    page.screenshot(path=str(artifacts / "phone-draft-resumed.png"), full_page=True)
    page.get_by_role("button", name="提交").click()
    page.wait_for_selector("[data-testid=saved]")
    page.wait_for_selector("[data-testid=household]")
    expect(page.locator("[data-testid=household-drafts] .draft-item")).to_have_count(0)  # a sent draft is gone
    assert _visits(db, world.h1) == []

    context.set_offline(False)  # the outbox goes first, then the pull, then the verdicts
    page.wait_for_selector("[data-testid=pending][data-count='0']", timeout=60000)
    page.wait_for_selector("[data-testid=verdict]", timeout=30000)
    assert "位置已核实" in page.inner_text("[data-testid=verdict]")
    expect(page.locator("[data-testid=last-counted]")).not_to_have_text("尚无走访")
    page.screenshot(path=str(artifacts / "phone-verdict.png"), full_page=True)
    visits = _visits(db, world.h1)
    assert len(visits) == 1 and visits[0].answers["demands"][0]["text"] == "门前路灯坏了"
    assert visits[0].geo_status == "verified" and visits[0].answers["household"] == world.h1.code
    assert "deprecatedID" not in (visits[0].raw_xml or "") and visits[0].replaces_id is None
    photos = visits[0].attachments  # the photo taken before the page was closed
    assert len(photos) == 1 and photos[0].is_received and photos[0].size > 0
    assert visits[0].answers["photo"] == photos[0].name
    page.goto("/app/#/")
    expect(page.locator(f"a.household[data-code='{world.h1.code}'] .due")).not_to_have_text("应走访")
    context.close()


def test_leaving_a_started_form_asks_and_keeps_a_draft(world, live_server, chromium, db):
    context = open_phone(chromium, live_server, world.h2)
    page = context.new_page()
    sign_in(page, world.cadre.username)
    open_visit(page, world.h2)
    page.get_by_text("例行走访", exact=True).click()
    page.wait_for_selector("[data-testid=draft-saved]")
    messages = []

    def dismiss(dialog):
        messages.append(dialog.message)
        dialog.dismiss()
    page.once("dialog", dismiss)
    page.click("[data-testid=form-back]")
    page.wait_for_timeout(300)
    assert messages and "草稿" in messages[0]
    expect(page.locator("[data-testid=form-page]")).to_be_visible()  # "cancel" stays in the form
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=form-back]")
    page.wait_for_selector("[data-testid=household]")
    expect(page.locator("[data-testid=household-drafts] .draft-item")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=household-drafts] [data-testid=delete-draft]")
    expect(page.locator("[data-testid=household-drafts] .draft-item")).to_have_count(0)
    context.close()
