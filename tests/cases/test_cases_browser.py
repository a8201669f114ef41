"""The cases board in Debian's chromium: a manager finds an overdue request first and moves a case
open -> claimed -> resolved -> confirmed through the board's forms, with the history shown."""
from datetime import timedelta

import pytest

from server.cases.models import Case
from server.cases.services import open_case
from server.models_base import utcnow
from tests.web.browsing import LAPTOP, PHONE, fits_width, open_page, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def cases(db, world):
    fine = open_case(None, world.h1, text="修缮屋顶漏水", category="housing", due_at=utcnow() + timedelta(days=10))
    late = open_case(None, world.h2, text="申请临时救助", category="livelihood", due_at=utcnow() - timedelta(days=2))
    wish = open_case(None, world.h1, text="孩子想要一个新书包", category="education", is_micro_wish=True,
                     due_at=utcnow() + timedelta(days=30))
    db.session.commit()
    return type("Cases", (), {"fine": fine, "late": late, "wish": wish})


def test_manager_moves_a_case_through_its_states_on_the_board(browser, live_server, world, cases, db, artifacts):
    page = open_page(browser, live_server, viewport=LAPTOP)
    sign_in(page, live_server, world.v1_manager.username, next_path="/cases")
    rows = page.locator("#cases tbody tr")
    assert rows.first.get_attribute("data-case") == str(cases.late.id)  # overdue first
    assert "超期" in rows.first.inner_text() and "overdue" in rows.first.get_attribute("class")
    assert "微心愿" in page.inner_text(f"#cases tr[data-case='{cases.wish.id}']")
    assert page.locator("nav.mainnav a.active").inner_text() == "诉求"
    assert page.inner_text("#status-tabs a[data-status=overdue]") == "超期 1"
    assert page.inner_text("#status-tabs a[data-status=open]") == "待办 3"
    page.screenshot(path=str(artifacts / "cases-board-laptop.png"), full_page=True)

    page.click(f"#cases tr[data-case='{cases.fine.id}'] td.case-text a")
    page.wait_for_url(f"**/cases/{cases.fine.id}")
    assert page.inner_text("#case-status") == "待办"
    steps = [("claimed", "已认领", "我来跟进"), ("resolved", "已办结", "已请施工队修好"), ("confirmed", "群众已确认", "户主确认满意")]
    for status, label, note in steps:
        page.fill("#case-move input[name=note]", note)
        if status == "resolved":
            page.fill("#case-move input[name=photo]", "IMG_0042.jpg")
        page.click(f"#move-{status}")
        page.wait_for_selector(f"#case-status:text-is('{label}')")
    history = page.locator("#case-history tbody tr").all_inner_texts()
    assert len(history) == 4
    assert "待办 → 已认领" in history[1] and "我来跟进" in history[1]
    assert "已认领 → 已办结" in history[2] and "IMG_0042.jpg" in history[2]
    assert "已办结 → 群众已确认" in history[3] and world.v1_manager.display_name in history[3]
    assert page.locator("#case-move").count() == 0  # confirmed: nothing left to do
    page.screenshot(path=str(artifacts / "case-detail-laptop.png"), full_page=True)
    db.session.expire_all()
    case = db.session.get(Case, cases.fine.id)
    assert case.status == "confirmed" and case.resolved_at is not None

    page.goto(f"{live_server.url}/cases")
    assert page.inner_text("#status-tabs a[data-status=open]") == "待办 2"
    page.click("#status-tabs a[data-status=confirmed]")
    assert page.inner_text("#status-tabs a.active") == "群众已确认 1"
    assert [r.get_attribute("data-case") for r in page.locator("#cases tbody tr").all()] == [str(cases.fine.id)]
    page.click("#lang-en")
    assert "Confirmed by the family" in page.inner_text("#cases")
    assert "Requests and micro-wishes" in page.inner_text("h1")
    assert not page.outside
    page.context.close()


def test_cases_board_and_detail_read_on_a_phone(browser, live_server, world, cases, artifacts):
    page = open_page(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    sign_in(page, live_server, world.v1_manager.username, next_path="/cases")
    assert fits_width(page)
    page.screenshot(path=str(artifacts / "cases-board-phone.png"), full_page=True)
    page.goto(f"{live_server.url}/cases/{cases.late.id}")
    assert fits_width(page) and page.is_visible("#move-claimed")
    page.screenshot(path=str(artifacts / "case-detail-phone.png"), full_page=True)
    page.context.close()
