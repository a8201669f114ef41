"""The township office's day through the Flask client: visits sent over OpenRosa read back in Chinese, the
visits filter as the page submits it, a Chinese import, and filtered downloads in Chinese and local time."""
import csv
import io
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import Workbook, load_workbook

from forms.answers import build_instance_xml
from server.households.models import Household
from server.submissions.models import Submission


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def sent_visit(client, world, db):
    """A visit from cadre01's phone over OpenRosa, built from the XForm the server serves (pyxform's)."""
    from server.auth.services import issue_device
    _, token = issue_device(world.cadre, "phone")
    db.session.commit()
    xform = client.get(f"/key/{token}/openrosa/forms/visit.xml").data
    tz = timezone(timedelta(hours=8))
    # two days ago at 09:30 local: a fixed date would fall outside MAX_OFFLINE_DAYS as the calendar moves
    start = (datetime.now(tz) - timedelta(days=2)).replace(hour=9, minute=30, second=0, microsecond=0)
    values = {"start": start.isoformat(), "end": (start + timedelta(minutes=12)).isoformat(),
              "household": world.h1.code, "location": f"{world.h1.lat + 0.016} {world.h1.lon} 12.0 5.0",
              "visit_type": "followup", "people_met": "head spouse", "concerns": "屋顶漏雨",
              "has_demands": "yes", "demands": [{"category": "housing", "text": "修屋顶", "is_micro_wish": "no"},
                                                {"category": "medical", "text": "代购药品", "is_micro_wish": "yes"}]}
    xml = build_instance_xml(xform, values, f"uuid:{uuid.uuid4()}")
    response = client.post(f"/key/{token}/openrosa/submission", content_type="multipart/form-data",
                           data={"xml_submission_file": (io.BytesIO(xml), "submission.xml", "text/xml")},
                           headers={"X-OpenRosa-Version": "1.0"})
    assert response.status_code == 201, response.data
    return db.session.scalar(db.select(Submission).order_by(Submission.id.desc()).limit(1))


def test_a_visit_reads_in_chinese_with_labels_demands_table_reason_and_local_times(client, world, login, sent_visit):
    assert sent_visit.geo_status == "far"  # 1.8 km from the household
    login(world.manager)
    page = client.get(f"/submissions/{sent_visit.id}").get_data(as_text=True)
    answers = page[page.index('id="answers"'):]
    assert "回访" in answers and "followup" not in answers  # visit_type's choice label
    assert "户主、配偶" in answers and "head spouse" not in answers
    assert "走访类型" in answers and "见到的人员" in answers and "visit_type" not in answers.split('data-path')[0]
    assert "<table class=\"list inner demands\">" in answers
    assert "住房" in answers and "修屋顶" in answers and "医疗" in answers and "代购药品" in answers
    assert "[{" not in answers  # no Python list
    start = datetime.fromisoformat(sent_visit.answers["start"]).astimezone(timezone(timedelta(hours=8)))
    assert start.strftime("%H:%M") == "09:30" and f"{start:%Y-%m-%d} 09:30:00" in answers  # in Asia/Shanghai
    assert "m from the household" not in page and "距农户" in page  # the reason, in Chinese
    page_en = client.get(f"/submissions/{sent_visit.id}?lang=en").get_data(as_text=True)
    assert "Follow-up" in page_en and "Head of household, Spouse" not in page_en
    assert "Housing" in page_en and "m from the household (accuracy" in page_en


@pytest.mark.parametrize("field,value", [("geo_status", "far"), ("geo_status", "verified"),
                                         ("review_state", "approved"), ("review_state", "received")])
def test_the_visits_filter_as_the_page_submits_it(client, world, login, make_visit, field, value):
    """Every field of the form is sent, most of them empty: the empty ones are ignored, the chosen one applies."""
    make_visit(world.h1, world.cadre, geo_status="far", distance=900.0)
    make_visit(world.h2, world.cadre, geo_status="verified")
    make_visit(world.h3, world.cadre2, geo_status="verified", review_state="approved")
    login(world.manager)
    form = {"kind": "", "area": "", "cadre": "", "household_code": "", "geo_status": "", "review_state": "",
            "from": "", "to": "", field: value}
    response = client.get("/submissions", query_string=form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = int(re.search(r'<span class="muted count">(\d+)</span>', page).group(1))
    expected = sum(1 for s in [("far", "received"), ("verified", "received"), ("verified", "approved")]
                   if s[0 if field == "geo_status" else 1] == value)
    assert shown == expected
    assert "部分筛选条件无效" not in page


def test_filters_combine_and_a_bad_one_is_reported_alone(client, world, login, make_visit):
    make_visit(world.h1, world.cadre, geo_status="far", distance=900.0)
    make_visit(world.h3, world.cadre2, geo_status="far", distance=800.0)
    make_visit(world.h3, world.cadre2, geo_status="verified")
    login(world.manager)
    page = client.get("/submissions", query_string={"geo_status": "far", "cadre": world.cadre2.id,
                                                    "household_code": "SZ02-001"}).get_data(as_text=True)
    assert re.search(r'<span class="muted count">1</span>', page)
    bad = client.get("/submissions", query_string={"geo_status": "far", "from": "2026-13-45"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert re.search(r'<span class="muted count">2</span>', text)  # the good filter still applies
    assert "从" in text or "起" in text


def test_flagged_link_of_the_dashboard_opens_exactly_its_visits(client, world, login, make_visit):
    make_visit(world.h1, world.cadre, geo_status="far", distance=900.0)
    make_visit(world.h2, world.cadre, geo_status="suspect")
    make_visit(world.h3, world.cadre2, geo_status="verified")
    login(world.manager)
    page = client.get("/dashboard").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)"><span class="value" data-key="flagged">(\d+)</span>', page)
    target = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert int(link.group(2)) == 2
    assert int(re.search(r'<span class="muted count">(\d+)</span>', target).group(1)) == 2


def test_an_import_with_chinese_headers_and_categories_lands(client, world, login, db):
    login(world.manager)
    page = client.get("/households/import").get_data(as_text=True)
    template = client.get("/households/import/template.xlsx")
    assert template.status_code == 200
    heading = [c.value for c in load_workbook(io.BytesIO(template.data)).active[1]]
    assert heading[:3] == ["户编号", "区域编码", "地址"]
    book = Workbook()
    sheet = book.active
    sheet.append(["户编号", "所属村", "地址", "户主", "家庭人口", "户类别", "联户干部"])
    sheet.append(["ZH-001", "清潭村", "一组 3 号", "陈大", 4, "困难户", "cadre01"])
    sheet.append(["ZH-002", "南岭村", "二组 8 号", "林二", 1, "独居老人", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post("/households/import", content_type="multipart/form-data",
                           data={"csrf_token": _csrf(page), "file": (io.BytesIO(buffer.getvalue()), "农户.xlsx")})
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    stored = {h.code: h for h in db.session.scalars(db.select(Household).where(Household.code.like("ZH-%")))}
    assert stored["ZH-001"].category == "low_income" and stored["ZH-001"].area_id == world.v1.id
    assert stored["ZH-002"].category == "elderly_alone" and stored["ZH-002"].area_id == world.v2.id
    bad = "户编号,区域编码,户类别\nZH-003,NH-SZ-01,富裕户\n".encode()
    response = client.post("/households/import", content_type="multipart/form-data",
                           data={"csrf_token": _csrf(page), "file": (io.BytesIO(bad), "bad.csv")})
    assert response.status_code == 400
    assert "未知户类别" in response.get_data(as_text=True) and "Unknown" not in response.get_data(as_text=True)


def test_a_filtered_download_holds_exactly_the_rows_in_chinese_and_local_time(client, world, login, make_visit):
    moment = datetime(2026, 11, 5, 3, 0, tzinfo=timezone.utc)  # 11:00 in Asia/Shanghai
    make_visit(world.h1, world.cadre, geo_status="far", distance=900.0, captured_at=moment)
    make_visit(world.h2, world.cadre, geo_status="verified", captured_at=moment)
    make_visit(world.h3, world.cadre2, geo_status="far", distance=700.0, captured_at=moment)
    login(world.manager)
    page = client.get("/submissions", query_string={"geo_status": "far", "cadre": str(world.cadre.id),
                                                    "from": "2026-11-01", "to": "2026-11-30"}).get_data(as_text=True)
    href = re.search(r'href="(/api/v1/exports/submissions\.csv\?[^"]+)"', page).group(1).replace("&amp;", "&")
    rows = list(csv.DictReader(io.StringIO(client.get(href).get_data().decode("utf-8-sig"))))
    assert [r["农户编号"] for r in rows] == ["SZ01-001"]
    assert rows[0]["位置核验"] == "距离过远" and rows[0]["走访时间"] == "2026-11-05 11:00:00"
    assert rows[0]["审核状态"] == "已接收" and rows[0]["提交人"] == "cadre01"
    codes = list(csv.DictReader(io.StringIO(client.get(href.replace("labels=zh", "")).get_data()
                                            .decode("utf-8-sig"))))
    assert [r["household_code"] for r in codes] == ["SZ01-001"] and codes[0]["geo_status"] == "far"
    coverage = client.get("/unvisited", query_string={"period": "2026-Q4"}).get_data(as_text=True)
    xlsx = re.search(r'id="download-xlsx" href="([^"]+)"', coverage).group(1).replace("&amp;", "&")
    sheet = load_workbook(io.BytesIO(client.get(xlsx).data)).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["农户编号", "户主", "地址", "类别"]
    statuses = {r[header.index("状态")] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert statuses <= {"未走访", "逾期"}
