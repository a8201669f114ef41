"""The visit form opened from a household page is that household's: the engine gets its row of
households.csv only (a quicker first open, issue 13 item 5), and the form still asks what that row
decides: the household preselected, and the question about cases awaiting the family's confirmation."""
import pytest
from playwright.sync_api import expect

from server.cases import services as cases

from .phone import english_words, open_phone, open_visit, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CONFIRM = "上次反映的诉求已办结"


def household_options(page) -> list[str]:
    page.locator(".question-container").first.locator(".p-select").click()
    options = page.locator(".p-select-option")
    expect(options.first).to_be_visible()
    texts = options.all_inner_texts()
    page.keyboard.press("Escape")
    return texts


def test_the_form_of_one_household_keeps_its_pending_cases_question(world, live_server, chromium, db):
    case = cases.open_case(None, world.h1, text="修缮屋顶", category="housing")
    cases.update_case(world.cadre, case, {"status": "claimed"})
    cases.update_case(world.cadre, case, {"status": "resolved", "note": "已修好"})
    db.session.commit()  # h1 has a resolved case awaiting the family's confirmation; h2 has none

    context = open_phone(chromium, live_server, world.h1)
    page = context.new_page()
    sign_in(page, world.cadre.username)
    context.set_offline(True)

    open_visit(page, world.h1)
    first = page.locator(".question-container").first
    expect(first).to_contain_text(world.h1.code)  # preselected
    expect(page.locator(".engine")).to_contain_text(CONFIRM)  # pending_cases read from its row
    options = household_options(page)
    assert len(options) == 1 and world.h1.code in options[0]
    assert english_words(page, world.cadre.username) == []

    page.goto(f"/app/#/h/{world.h2.id}")
    open_visit(page, world.h2)
    expect(page.locator(".question-container").first).to_contain_text(world.h2.code)
    expect(page.locator(".engine")).not_to_contain_text(CONFIRM)
    options = household_options(page)
    assert len(options) == 1 and world.h2.code in options[0]
    context.close()
