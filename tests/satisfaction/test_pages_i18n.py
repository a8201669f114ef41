"""The cases board, satisfaction and scorecards pages: Chinese by default, English on request, linked from the nav;
the satisfaction chart and ranking; the scorecards page and its XLSX link."""
import io
import re

import pytest
from openpyxl import load_workbook

from server.coverage.periods import current_quarter

PAGES = {"/cases": ("诉求与微心愿", "Requests and micro-wishes"),
         "/satisfaction": ("群众满意度测评", "Residents rate their cadre"),
         "/scorecards": ("联户干部考核", "Cadre scorecards")}


@pytest.mark.parametrize("path", list(PAGES))
def test_manager_pages_are_chinese_by_default_and_english_on_request(client, world, login, path):
    login(world.v1_manager)
    zh, en = PAGES[path]
    html = client.get(path).get_data(as_text=True)
    assert f"<h1>{zh}" in html and 'lang="zh-CN"' in html
    for link, label in (("/cases", "诉求"), ("/satisfaction", "满意度"), ("/scorecards", "干部考核")):
        assert re.search(rf'<a href="{link}"[^>]*>{label}</a>', html), link
    english = client.get(f"{path}?lang=en").get_data(as_text=True)
    assert f"<h1>{en}" in english and zh not in english
    assert re.search(r'<a href="/cases"[^>]*>Requests</a>', english)
    client.get(f"{path}?lang=zh")


def test_resident_page_switches_to_english_and_back(client, world, token_for):
    issued = client.post("/api/v1/satisfaction/links", headers=token_for(world.v1_manager),
                         json={"area_id": world.v1.id, "period": current_quarter().label})
    path = issued.json["links"][0]["path"]
    english = client.get(f"{path}?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english and ">Submit</button>" in english and "Each household answers once." in english
    chinese = client.get(f"{path}?lang=zh").get_data(as_text=True)
    assert ">提交评价</button>" in chinese and "每户仅可提交一次" in chinese


def test_satisfaction_page_draws_one_bar_per_cadre_and_ranks_those_with_five_answers(village, client, login):
    login(village.manager)
    html = client.get(f"/satisfaction?period={village.period}").get_data(as_text=True)
    bars = re.findall(r'<div class="barrow" data-row="(\d+)">', html)
    assert bars == [str(village.b.id), str(village.a.id)]  # both 50% satisfied; B has more answers
    widths = re.findall(r'<rect x="[\d.]+" y="0" width="([\d.]+)" height="10" fill="#2e7d32">', html)
    assert widths == ["50.00", "50.00"]
    ranking = re.search(r'<ol class="ranking" id="ranking">(.*?)</ol>', html, re.S).group(1)
    assert "干部乙" in ranking and "干部甲" not in ranking and "6 份答卷" in ranking
    assert "满意联村干部排行" in html and "<script" not in html
    by_area = client.get(f"/satisfaction?period={village.period}&by=area&area={village.area.id}").get_data(as_text=True)
    assert 'class="barchart"' in by_area and "/satisfaction/sheet?area=" in by_area


def test_scorecards_page_has_one_row_per_cadre_and_its_xlsx_link_works(village, client, login, token_for):
    login(village.manager)
    html = client.get(f"/scorecards?period={village.period}").get_data(as_text=True)
    api = client.get(f"/api/v1/scorecards?period={village.period}", headers=token_for(village.manager)).json
    rows = re.findall(r'<tr data-cadre="(\d+)">', html)
    assert sorted(rows) == sorted(str(c["cadre"]["id"]) for c in api["rows"]) and len(rows) == 2
    href = re.search(r'id="scorecards-xlsx" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert href.startswith("/api/v1/scorecards.xlsx?") and f"period={village.period}" in href
    book = load_workbook(io.BytesIO(client.get(href).get_data()))
    assert book.worksheets[0].max_row == 1 + 2


def test_scorecards_page_is_for_managers(client, world, login):
    assert client.get("/scorecards").status_code == 302
    login(world.cadre)
    assert client.get("/scorecards").status_code == 403
    login(world.v1_manager)
    assert client.get("/scorecards?period=2026-Q9").status_code == 422


def test_admin_sets_the_weights_on_the_scorecards_page(village, client, login, world, token_for):
    headers = login(world.admin)
    page = client.get(f"/scorecards?period={village.period}&area={village.area.id}").get_data(as_text=True)
    assert 'id="weights"' in page
    saved = client.post("/scorecards/weights", headers=headers, follow_redirects=True,
                        data={"coverage": "1", "verified": "0", "satisfaction": "0", "cases": "0",
                              "period": village.period, "area": village.area.id})
    assert saved.status_code == 200 and "权重已保存" in saved.get_data(as_text=True)
    weights = client.get("/api/v1/scorecards/weights", headers=token_for(world.admin)).json
    assert weights == {"coverage": 1.0, "verified": 0.0, "satisfaction": 0.0, "cases": 0.0}
    bad = client.post("/scorecards/weights", headers=headers, data={"coverage": "很多"}, follow_redirects=True)
    assert "权重须为数字" in bad.get_data(as_text=True)
    assert client.get("/api/v1/scorecards/weights", headers=token_for(world.admin)).json["coverage"] == 1.0


def test_managers_cannot_set_the_weights(village, client, login, token_for, world):
    headers = login(village.manager)
    assert 'id="weights"' not in client.get(f"/scorecards?period={village.period}").get_data(as_text=True)
    client.post("/scorecards/weights", headers=headers, data={"coverage": "1"})
    assert client.get("/api/v1/scorecards/weights", headers=token_for(world.admin)).json["coverage"] == 0.4
