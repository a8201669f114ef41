"""Exports: CSV parsed, XLSX opened with openpyxl, GeoJSON parsed; scope and satisfaction rules."""
import csv
import io
import json

import pytest
from openpyxl import load_workbook

from tests.coverage.scenario import NOW, seed

ANSWERS = {"household": "SZ01-001", "location": "29.2901 121.4301 12.5 4.5", "visit_type": "home",
           "people_met": "head spouse", "concerns": "路面破损, \"急\"",
           "demands": [{"category": "road", "text": "修路", "is_micro_wish": "no"}]}


@pytest.fixture
def scenario(world, db, make_household, make_visit, clock):
    clock(NOW)  # the scenario's dates are read as of its now
    w = seed(world, db, make_household, make_visit)
    w.answered = make_visit(w.h1, w.cadre, "2026-11-05T03:00Z", answers=ANSWERS)
    return w


def read_csv(response):
    assert response.status_code == 200, response.data
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def read_xlsx(response):
    assert response.status_code == 200, response.data
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row)) for row in rows]


def test_coverage_csv_lists_the_unvisited_households(client, scenario, token_for):
    response = client.get("/api/v1/exports/coverage.csv?period=2026-Q4&status=unvisited",
                          headers=token_for(scenario.admin))
    assert response.mimetype == "text/csv"
    assert 'filename="coverage-unvisited-2026-Q4.csv"' in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert [(r["code"], r["status"], r["cadre_username"]) for r in rows] == [
        ("SZ01-002", "overdue", "cadre01"), ("SZ02-001", "unvisited", "cadre02")]
    assert rows[0]["last_visit_at"] == "2026-06-01 10:00:00" and rows[0]["flagged"] == "1"


def test_coverage_xlsx_opens_with_openpyxl(client, scenario, token_for):
    rows = read_xlsx(client.get("/api/v1/exports/coverage.xlsx?period=2026-Q4&status=overdue",
                                headers=token_for(scenario.admin)))
    assert [(r["code"], r["category"], r["due_at"]) for r in rows] == [
        ("SZ01-002", "ordinary", "2026-08-30 10:00:00"), ("SZ01-003", "low_income", "2026-11-09 10:00:00")]


def test_submissions_csv_has_a_column_per_field(client, scenario, token_for):
    rows = read_csv(client.get("/api/v1/exports/submissions.csv?form=visit&period=2026-Q4",
                               headers=token_for(scenario.admin)))
    assert len(rows) == 9  # current visits captured in Q4 (rejected and inactive households included)
    answered = next(r for r in rows if r["instance_id"] == scenario.answered.instance_id)
    assert (answered["location_lat"], answered["location_lon"], answered["location_accuracy"]) == \
        ("29.2901", "121.4301", "4.5")
    assert answered["people_met"] == "head spouse" and answered["concerns"] == ANSWERS["concerns"]
    assert json.loads(answered["demands"]) == ANSWERS["demands"]
    assert answered["household_code"] == "SZ01-001" and answered["submitter"] == "cadre01"
    assert answered["captured_at"] == "2026-11-05 11:00:00" and answered["area_code"] == "NH-SZ-01"
    assert "demands/category" not in answered and "photo" in answered
    captured = [r["captured_at"] for r in rows]
    assert captured == sorted(captured) and captured[0] == "2026-10-01 01:00:00"


def test_submissions_xlsx_and_from_to(client, scenario, token_for):
    rows = read_xlsx(client.get("/api/v1/exports/submissions.xlsx?form=visit&from=2026-11-01&to=2026-11-30",
                                headers=token_for(scenario.admin)))
    assert sorted(r["captured_at"] for r in rows) == ["2026-11-01 10:00:00", "2026-11-05 11:00:00"]
    answered = next(r for r in rows if r["household_code"] == "SZ01-001")
    assert answered["location_lat"] == 29.2901 and answered["geo_status"] == "verified"


def test_submissions_geojson_is_a_feature_collection(client, scenario, token_for):
    response = client.get(f"/api/v1/exports/submissions.geojson?form=visit&period=2026-Q4&area={scenario.v1.id}",
                          headers=token_for(scenario.admin))
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    collection = json.loads(response.get_data())
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 4
    feature = next(f for f in collection["features"] if f["properties"]["instance_id"] == scenario.answered.instance_id)
    assert feature["geometry"] == {"type": "Point", "coordinates": [121.4301, 29.2901]}
    assert feature["properties"]["visit_type"] == "home"


def test_manager_exports_only_their_township(client, scenario, token_for):
    headers = token_for(scenario.other_manager)
    rows = read_csv(client.get("/api/v1/exports/submissions.csv?form=visit", headers=headers))
    assert {r["household_code"] for r in rows} == {"CL01-001", "CL01-002"}
    coverage = read_csv(client.get("/api/v1/exports/coverage.csv?period=2026-Q4", headers=headers))
    assert [r["code"] for r in coverage] == ["CL01-001"]
    assert client.get(f"/api/v1/exports/coverage.csv?area={scenario.v1.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/exports/submissions.csv?area={scenario.v1.id}", headers=headers).status_code == 404
    town = read_csv(client.get("/api/v1/exports/submissions.csv?form=visit", headers=token_for(scenario.manager)))
    assert not {r["household_code"] for r in town} & {"CL01-001", "CL01-002"} and len(town) == 10


def test_cadre_exports_only_their_own_visits(client, scenario, token_for):
    rows = read_csv(client.get("/api/v1/exports/submissions.csv?form=visit&period=2026-Q4",
                               headers=token_for(scenario.cadre)))
    assert {r["submitter"] for r in rows} == {"cadre01"} and len(rows) == 4


def test_satisfaction_is_never_exported_to_a_cadre(client, scenario, token_for):
    for fmt in ("csv", "xlsx", "geojson"):
        response = client.get(f"/api/v1/exports/submissions.{fmt}?form=satisfaction",
                              headers=token_for(scenario.other_cadre))
        assert response.status_code == 403 and response.json["problem"] == "auth.forbidden"
    rows = read_csv(client.get("/api/v1/exports/submissions.csv?form=satisfaction",
                               headers=token_for(scenario.other_manager)))
    assert [r["household_code"] for r in rows] == ["CL01-001"] and "overall" in rows[0]


@pytest.mark.parametrize("path, status", [
    ("/api/v1/exports/submissions.csv?form=nope", 404), ("/api/v1/exports/submissions.pdf", 404),
    ("/api/v1/exports/coverage.geojson", 404), ("/api/v1/exports/coverage.csv?period=2026-Q9", 422),
    ("/api/v1/exports/submissions.csv?from=2026-02-31", 422), ("/api/v1/exports/coverage.csv?status=late", 422),
])
def test_bad_export_requests_get_clear_errors(client, scenario, token_for, path, status):
    response = client.get(path, headers=token_for(scenario.admin))
    assert response.status_code == status and response.json["message"]


def test_surveyor_may_not_export(client, scenario, token_for):
    response = client.get("/api/v1/exports/submissions.csv", headers=token_for(scenario.surveyor))
    assert response.status_code == 403


def test_submissions_csv_in_chinese_with_altitude_local_times_and_readable_repeats(client, scenario, token_for):
    response = client.get("/api/v1/exports/submissions.csv?form=visit&period=2026-Q4&labels=zh",
                          headers=token_for(scenario.admin))
    assert "修路".encode() in response.get_data() and b"\\u" not in response.get_data()  # no JSON escapes
    rows = read_csv(response)
    answered = next(r for r in rows if r["实例编号"] == scenario.answered.instance_id)
    assert (answered["走访位置-纬度"], answered["走访位置-海拔"], answered["走访位置-精度"]) == \
        ("29.2901", "12.5", "4.5")
    assert answered["走访时间"] == "2026-11-05 11:00:00" and answered["农户编号"] == "SZ01-001"
    assert answered["走访类型"] == "home"  # not one of the form's choices: kept as sent
    assert answered["见到的人员"] == "户主、配偶" and json.loads(answered["诉求/微心愿"])[0]["text"] == "修路"
    english = read_csv(client.get("/api/v1/exports/submissions.csv?form=visit&period=2026-Q4&labels=en",
                                  headers=token_for(scenario.admin)))
    answered = next(r for r in english if r["Instance ID"] == scenario.answered.instance_id)
    assert answered["People met"] == "Head of household, Spouse" and answered["Visit location-altitude"] == "12.5"
    codes = read_csv(client.get("/api/v1/exports/submissions.csv?form=visit&period=2026-Q4",
                                headers=token_for(scenario.admin)))
    assert next(r for r in codes if r["instance_id"] == scenario.answered.instance_id)["location_altitude"] == "12.5"


def test_coverage_and_geojson_with_chinese_headers(client, scenario, token_for):
    rows = read_csv(client.get("/api/v1/exports/coverage.csv?period=2026-Q4&status=unvisited&labels=zh",
                               headers=token_for(scenario.admin)))
    assert [r["农户编号"] for r in rows] == ["SZ01-002", "SZ02-001"] and rows[0]["最近有效走访"] \
        == "2026-06-01 10:00:00"
    assert [(r["类别"], r["状态"]) for r in rows] == [("一般户", "逾期"), ("一般户", "未走访")]
    response = client.get("/api/v1/exports/submissions.geojson?form=visit&period=2026-Q4&labels=zh",
                          headers=token_for(scenario.admin))
    features = json.loads(response.get_data())["features"]
    assert features and all(f["geometry"] is None or len(f["geometry"]["coordinates"]) == 2 for f in features)
