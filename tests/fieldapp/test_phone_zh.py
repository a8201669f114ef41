"""The Chinese app is Chinese all through, the form engine's own texts included (issue 13, item 1)."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .phone import capture_location, english_words, open_phone, open_visit, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHOTO = Path(__file__).resolve().parents[2] / "fieldapp" / "public" / "icon-512.png"


def test_form_validation_location_and_photo_show_no_english(world, live_server, chromium, artifacts):
    context = open_phone(chromium, live_server, world.h1)
    page = context.new_page()
    sign_in(page, world.cadre.username)
    assert english_words(page, world.cadre.username) == [], "household list"
    page.screenshot(path=str(artifacts / "phone-zh-list.png"))
    open_visit(page, world.h1)
    assert english_words(page, world.cadre.username) == [], "blank form"

    page.get_by_role("button", name="提交").click()  # nothing answered: the engine's validation
    page.wait_for_selector(".form-error-message")
    assert "个问题有错误" in page.inner_text(".form-error-message")
    assert "此项必填" in page.inner_text(".engine")
    page.screenshot(path=str(artifacts / "phone-zh-validation.png"))
    assert english_words(page, world.cadre.username) == [], "validation"
    # the banner no longer covers "← 返回"
    back, banner = page.locator("[data-testid=form-back]").bounding_box(), page.locator(".form-error-message").bounding_box()
    assert back["y"] + back["height"] <= banner["y"] + 1

    page.get_by_role("button", name="获取位置").click()
    page.wait_for_selector(".p-dialog")
    expect(page.locator(".p-dialog")).to_contain_text("米")
    assert english_words(page, world.cadre.username) == [], "location dialog"
    page.screenshot(path=str(artifacts / "phone-zh-location.png"))
    page.get_by_role("button", name="保存位置").click()
    page.wait_for_selector(".geopoint-value-container, .geolocation-formatted-value")
    page.locator(".question-container").filter(has_text="这户有诉求").get_by_text("是", exact=True).click()
    page.wait_for_selector("text=诉求内容")
    page.locator("input[type=file]").set_input_files(str(PHOTO))
    page.wait_for_selector(".question-container img")
    page.screenshot(path=str(artifacts / "phone-zh-form.png"), full_page=True)
    assert english_words(page, world.cadre.username) == [], "filled form"

    page.click("[data-testid=lang]")  # English stays available by the switch (on the next form open)
    page.goto(f"/app/#/h/{world.h1.id}")
    page.wait_for_selector("text=Record a visit")
    context.close()


def test_capture_location_helper_is_chinese(world, live_server, chromium):
    context = open_phone(chromium, live_server, world.h2)
    page = context.new_page()
    sign_in(page, world.cadre.username)
    open_visit(page, world.h2)
    capture_location(page)
    assert english_words(page, world.cadre.username) == []
    context.close()
