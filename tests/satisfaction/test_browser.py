"""Satisfaction in Debian's chromium: a resident answers on a phone once; a manager reads the chart and ranking,
prints a QR sheet and downloads the scorecards."""
import io
import re

import pytest
from openpyxl import load_workbook

from server.coverage.periods import current_quarter
from server.submissions.models import Submission
from tests.web.browsing import LAPTOP, PHONE, fits_width, open_page, sign_in

pytestmark = pytest.mark.browser


def test_resident_answers_on_a_phone_once_then_sees_already_answered(browser, live_server, client, world, token_for,
                                                                      db, artifacts):
    issued = client.post("/api/v1/satisfaction/links", headers=token_for(world.v1_manager),
                         json={"area_id": world.v1.id, "period": current_quarter().label})
    path = issued.json["links"][0]["path"]
    page = open_page(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    first = page.goto(f"{live_server.url}{path}")
    assert first.status == 200 and "您对联户干部的总体评价" in page.inner_text("#survey")
    assert fits_width(page)
    page.screenshot(path=str(artifacts / "satisfaction-resident-phone.png"), full_page=True)
    page.check("input[name=overall][value=satisfied]")
    for name in ("attitude", "help", "frequency"):
        page.check(f"input[name={name}][value='5']")
    page.fill("textarea[name=comment]", "路灯修好了，谢谢")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("#survey button[type=submit]")
    assert answer.value.status == 201 and "感谢您的评价" in page.inner_text("#thanks")
    page.screenshot(path=str(artifacts / "satisfaction-resident-thanks-phone.png"))
    again = page.goto(f"{live_server.url}{path}")
    assert again.status == 410
    assert "already answered" in page.inner_text("#gone") and page.get_attribute("#gone", "data-reason") == "used"
    page.screenshot(path=str(artifacts / "satisfaction-resident-again-phone.png"))
    stored = db.session.scalars(db.select(Submission).filter_by(kind="satisfaction")).all()
    assert [(s.source, s.household_id, s.answers["overall"]) for s in stored] == [
        ("resident", world.h1.id, "satisfied")]
    assert not page.outside
    page.context.close()


def test_manager_reads_the_chart_and_ranking_then_prints_a_qr_sheet(browser, live_server, village, artifacts):
    page = open_page(browser, live_server)
    sign_in(page, live_server, "v9manager", next_path=f"/satisfaction?period={village.period}")
    bars = page.locator("#satisfaction-chart svg rect")
    assert bars.count() == 3 * 2  # two cadres rated: satisfied / basic / unsatisfied bars each
    assert page.locator("#ranking li").all_inner_texts()[0].startswith("干部乙")  # 6 answers: ranked
    assert "干部甲" not in page.inner_text("#ranking")  # 4 answers: too few to rank
    assert "满意联村干部" in page.inner_text("#ranking-card h2")
    assert page.locator("nav.mainnav a.active").inner_text() == "满意度"
    page.screenshot(path=str(artifacts / "satisfaction-laptop.png"), full_page=True)
    page.click("#lang-en")
    assert "Ranking of satisfying cadres" in page.inner_text("#ranking-card h2")
    page.screenshot(path=str(artifacts / "satisfaction-laptop-en.png"), full_page=True)
    page.click("#lang-zh")

    page.click("#print-sheet")
    assert "12 户在册" in page.inner_text("#issue")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click("#issue button[type=submit]")
    page.wait_for_selector(".grid .card")
    assert asked and "作废" in asked[0]  # printing again is confirmed first
    cards = page.locator(".grid .card")
    assert cards.count() == 12 - 9  # households whose resident link was used get no new code
    assert page.locator(".grid .card svg").count() == cards.count()
    assert "请用手机扫描二维码" in cards.first.inner_text()
    page.screenshot(path=str(artifacts / "qr-sheet.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator(".toolbar").is_visible()
    pdf = page.pdf(format="A4", print_background=True)
    (artifacts / "qr-sheet.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    url = cards.first.get_attribute("data-url")
    resident = page.context.new_page()
    assert resident.goto(url).status == 200
    assert not page.outside
    page.context.close()


def test_satisfaction_and_scorecards_pages_read_on_a_phone(browser, live_server, village, artifacts):
    page = open_page(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    sign_in(page, live_server, "v9manager", next_path=f"/satisfaction?period={village.period}")
    assert fits_width(page)
    page.screenshot(path=str(artifacts / "satisfaction-phone.png"), full_page=True)
    page.goto(f"{live_server.url}/scorecards?period={village.period}")
    assert fits_width(page)
    page.screenshot(path=str(artifacts / "scorecards-phone.png"), full_page=True)
    page.context.close()


def test_scorecards_page_matches_the_api_and_downloads_the_xlsx(browser, live_server, village, artifacts):
    page = open_page(browser, live_server, viewport=LAPTOP)
    sign_in(page, live_server, "v9manager", next_path=f"/scorecards?period={village.period}")
    api = page.request.get(f"{live_server.url}/api/v1/scorecards?period={village.period}").json()
    assert len(api["rows"]) == 2
    for card in api["rows"]:
        cells = page.locator(f"#scorecards tr[data-cadre='{card['cadre']['id']}'] td").all_inner_texts()
        assert cells[1] == card["cadre"]["display_name"]
        assert cells[2] == ("—" if card["score"] is None else str(card["score"]))
        assert int(cells[3]) == card["households"] and int(cells[9]) == card["satisfaction"]["responses"]
    page.screenshot(path=str(artifacts / "scorecards-laptop.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#scorecards-xlsx")
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    sheet = book.worksheets[0]
    assert sheet.max_row == 1 + len(api["rows"])
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"干部甲", "干部乙"}
    assert not page.outside
    page.context.close()
