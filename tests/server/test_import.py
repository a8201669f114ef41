"""Household import from CSV and XLSX: row-level errors, all or nothing, skip, cadre links, CLI."""
import csv
import io

import pytest
from openpyxl import Workbook

from server.households.models import Assignment, Household

HEADER = ["code", "area_code", "address", "head_name", "phone", "size", "category", "lat", "lon", "cadre"]


def good_rows(n, area_codes=("NH-SZ-01", "NH-SZ-02")):
    return [{"code": f"IMP-{i:05d}", "area_code": area_codes[i % len(area_codes)], "address": f"{i}号",
             "head_name": f"户主{i}", "phone": f"138{i:08d}", "size": str(1 + i % 6),
             "category": "ordinary", "lat": f"{29.29 + i * 1e-5:.6f}", "lon": f"{121.43 + i * 1e-5:.6f}",
             "cadre": ""} for i in range(n)]


def to_csv(rows, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def to_xlsx(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append([row.get(h) or None for h in HEADER])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, headers, data, name="households.csv", skip=False):
    url = "/api/v1/households/import" + ("?skip_errors=true" if skip else "")
    return client.post(url, headers=headers, data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def count(db, like="IMP-%"):
    return db.session.scalar(db.select(db.func.count()).where(Household.code.like(like)))


BAD = {
    "missing code": ({"code": ""}, "code", "缺少户编号"),
    "duplicate code": ({"code": "IMP-00001"}, "code", "重复"),
    "unknown area": ({"area_code": "NH-XX-99"}, "area_code", "未知区域 NH-XX-99"),
    "latitude out of range": ({"lat": "91"}, "lat", "纬度 91"),
}


@pytest.mark.parametrize("kinds", [("missing code", "duplicate code", "unknown area"),
                                   ("duplicate code", "unknown area", "latitude out of range")])
def test_thousand_rows_with_three_bad_are_refused(client, world, token_for, db, kinds):
    del client.environ_base["HTTP_ACCEPT_LANGUAGE"]  # names no language, as ODK Collect: Chinese
    rows = good_rows(1000)
    positions = (100, 500, 900)  # list index; file row = index + 2
    for position, kind in zip(positions, kinds):
        rows[position].update(BAD[kind][0])
    response = upload(client, token_for(world.manager), to_csv(rows))
    assert response.status_code == 400
    body = response.json
    assert body["problem"] == "import.rows_invalid" and "3 行" in body["message"]
    errors = body["details"]["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(p + 2, BAD[k][1]) for p, k in zip(positions, kinds)]
    for error, kind in zip(errors, kinds):
        assert BAD[kind][2] in error["reason"]
    assert count(db) == 0

    response = upload(client, token_for(world.manager), to_csv(rows), skip=True)
    assert response.status_code == 200, response.json
    assert response.json["created"] == 997 and response.json["skipped"] == 3
    assert len(response.json["errors"]) == 3
    assert count(db) == 997


def test_reimport_updates_changed_rows_only(client, world, token_for, db):
    headers = token_for(world.admin)
    rows = good_rows(5)
    assert upload(client, headers, to_csv(rows)).json["created"] == 5
    rows[0]["head_name"] = "新户主"
    response = upload(client, headers, to_csv(rows))
    assert (response.json["created"], response.json["updated"], response.json["unchanged"]) == (0, 1, 4)
    db.session.expire_all()
    household = db.session.scalar(db.select(Household).filter_by(code="IMP-00000"))
    assert household.head_name == "新户主" and household.version == 2
    assert household.location_source == "imported" and household.lat == pytest.approx(29.29)
    untouched = db.session.scalar(db.select(Household).filter_by(code="IMP-00001"))
    assert untouched.version == 1  # devices only re-download what changed


def test_empty_cells_keep_stored_values(client, world, token_for, db):
    """A file with just code, area and cadre links households without wiping their details."""
    headers = token_for(world.admin)
    data = f"code,area_code,cadre\n{world.h1.code},{world.v1.code},\n{world.h2.code},{world.v1.code},cadre02\n"
    before = db.session.get(Household, world.h1.id)
    name, lat, source, version = before.head_name, before.lat, before.location_source, before.version
    version2 = db.session.get(Household, world.h2.id).version
    response = upload(client, headers, data.encode())
    assert response.status_code == 200, response.json
    assert (response.json["updated"], response.json["unchanged"], response.json["linked"]) == (1, 1, 1)
    db.session.expire_all()
    h1, h2 = db.session.get(Household, world.h1.id), db.session.get(Household, world.h2.id)
    assert (h1.head_name, h1.lat, h1.location_source, h1.version) == (name, lat, source, version)
    assert h2.head_name and h2.lat is not None and h2.version == version2 + 1
    assert db.session.scalar(db.select(Assignment.cadre_id).filter_by(household_id=h2.id, valid_to=None)) \
        == world.cadre2.id


def test_moved_coordinates_become_imported(client, world, token_for, db):
    data = f"code,area_code,lat,lon\n{world.h1.code},{world.v1.code},29.5,121.5\n".encode()
    assert upload(client, token_for(world.admin), data).json["updated"] == 1
    db.session.expire_all()
    h1 = db.session.get(Household, world.h1.id)
    assert (h1.lat, h1.lon, h1.location_source) == (29.5, 121.5, "imported")


def test_xlsx_import(client, world, token_for, db):
    rows = good_rows(30)
    rows[3]["cadre"] = "cadre01"
    response = upload(client, token_for(world.admin), to_xlsx(rows), name="户籍.xlsx")
    assert response.status_code == 200, response.json
    assert response.json["created"] == 30 and response.json["linked"] == 1
    household = db.session.scalar(db.select(Household).filter_by(code="IMP-00003"))
    assert household.size == 4 and household.phone == "13800000003" and household.head_name == "户主3"


def test_xlsx_numeric_cells_read_as_text(client, world, token_for, db):
    workbook = Workbook()
    workbook.active.append(["code", "area_code", "phone", "size", "lat", "lon"])
    workbook.active.append([330226001, "NH-SZ-01", 13912345678, 3.0, 29.31, 121.45])
    workbook.active.append([None, None, None, None, None, None])  # a blank row is ignored
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, token_for(world.admin), buffer.getvalue(), name="numbers.xlsx")
    assert response.status_code == 200, response.json
    household = db.session.scalar(db.select(Household).filter_by(code="330226001"))
    assert household.phone == "13912345678" and household.size == 3 and household.lat == pytest.approx(29.31)


def test_gb18030_csv(client, world, token_for, db):
    rows = good_rows(3)
    rows[0]["head_name"], rows[0]["address"] = "王淑芬", "桑洲镇清潭村五组"
    response = upload(client, token_for(world.admin), to_csv(rows, "gb18030"))
    assert response.status_code == 200, response.json
    household = db.session.scalar(db.select(Household).filter_by(code="IMP-00000"))
    assert household.head_name == "王淑芬" and household.address == "桑洲镇清潭村五组"


def test_utf8_bom_and_header_case(client, world, token_for, db):
    data = "\ufeffCode, Area_Code ,Head_Name\nBOM-1,NH-SZ-01,陈\n".encode()
    response = upload(client, token_for(world.admin), data)
    assert response.status_code == 200, response.json
    assert count(db, "BOM-%") == 1


@pytest.mark.parametrize("name,data", [
    ("households.pdf", b"%PDF-1.4 not a table"),
    ("households.xlsx", b"PK\x03\x04 broken zip"),
    ("households.csv", b"code,area_code\nA\x00B,NH-SZ-01\n"),
    ("households.csv", b""),
    ("households.csv", b"name,village\nx,y\n"),
])
def test_unreadable_files_are_400(client, world, token_for, db, name, data):
    response = upload(client, token_for(world.admin), data, name=name)
    assert response.status_code == 400
    assert response.json["message"] and response.json["problem"] == "request.invalid"


def test_missing_file_part_is_400(client, world, token_for):
    response = client.post("/api/v1/households/import", headers=token_for(world.admin), data={},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and response.json["details"]["field"] == "file"


def test_odd_values_are_row_errors_not_crashes(client, world, token_for, db):
    rows = good_rows(6)
    rows[0]["size"] = "inf"
    rows[1]["lat"] = "nan"
    rows[2]["lon"] = ""
    rows[3]["category"] = "vip"
    rows[4]["phone"] = "1" * 40
    rows[5]["cadre"] = "no-such-cadre"
    response = upload(client, token_for(world.admin), to_csv(rows))
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json["details"]["errors"]] == [
        (2, "size"), (3, "lat"), (4, "lon"), (5, "category"), (6, "phone"), (7, "cadre")]


def test_bulk_link_by_cadre_column(client, world, token_for, db):
    headers = token_for(world.manager)
    rows = good_rows(4)
    rows[0]["cadre"] = rows[1]["cadre"] = "cadre01"
    rows[2]["cadre"] = "cadre02"
    response = upload(client, headers, to_csv(rows))
    assert response.status_code == 200 and response.json["linked"] == 3
    codes = {h["code"] for h in client.get(f"/api/v1/households?cadre_id={world.cadre.id}", headers=headers).json}
    assert codes == {"SZ01-001", "SZ01-002", "IMP-00000", "IMP-00001"}
    # relink by a second import: the old link is closed and kept
    rows[0]["cadre"] = "cadre02"
    response = upload(client, headers, to_csv(rows))
    assert response.json["linked"] == 1 and response.json["updated"] == 1 and response.json["unchanged"] == 3
    household = db.session.scalar(db.select(Household).filter_by(code="IMP-00000"))
    history = client.get(f"/api/v1/households/{household.id}/assignment", headers=headers).json
    assert [a["cadre_id"] for a in history] == [world.cadre2.id, world.cadre.id]
    assert history[1]["valid_to"] is not None
    # an empty cadre cell leaves an existing link alone
    rows[0]["cadre"] = ""
    assert upload(client, headers, to_csv(rows)).json["linked"] == 0
    assert db.session.scalar(db.select(Assignment.cadre_id).filter_by(household_id=household.id,
                                                                      valid_to=None)) == world.cadre2.id


def test_cadre_outside_scope_cannot_be_linked_by_import(client, world, token_for, db):
    rows = good_rows(1, area_codes=("NH-SZ-01",))
    rows[0]["cadre"] = "cadre03"  # a cadre of the other township
    response = upload(client, token_for(world.manager), to_csv(rows))
    assert response.status_code == 400
    assert response.json["details"]["errors"][0]["field"] == "cadre"


def test_import_is_audited(client, world, token_for, db):
    from server.audit.models import AuditEntry
    upload(client, token_for(world.admin), to_csv(good_rows(2)))
    entry = db.session.scalar(db.select(AuditEntry).filter_by(action="household.import"))
    assert entry.actor_id == world.admin.id and entry.details["created"] == 2


# ---- CLI -------------------------------------------------------------------

def test_cli_import(app, world, db, tmp_path):
    path = tmp_path / "households.csv"
    rows = good_rows(20)
    rows[0]["cadre"] = "cadre01"
    path.write_bytes(to_csv(rows))
    result = app.test_cli_runner().invoke(args=["households", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "created 20" in result.output and "linked 1" in result.output and "unchanged 0" in result.output
    db.session.expire_all()
    assert count(db) == 20


def test_cli_import_refuses_bad_rows_unless_skipping(app, world, db, tmp_path):
    path = tmp_path / "households.csv"
    rows = good_rows(10)
    rows[4]["area_code"] = "NOWHERE"
    path.write_bytes(to_csv(rows))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["households", "import", str(path)])
    assert result.exit_code != 0
    assert "row 6" in result.output and "Unknown area" in result.output
    db.session.expire_all()
    assert count(db) == 0
    result = runner.invoke(args=["households", "import", "--skip-errors", str(path)])
    assert result.exit_code == 0, result.output
    assert "created 9" in result.output and "skipped 1" in result.output
    db.session.expire_all()
    assert count(db) == 9


def test_cli_import_unreadable_file_is_a_clean_error(app, world, tmp_path):
    path = tmp_path / "households.txt"
    path.write_text("hello")
    result = app.test_cli_runner().invoke(args=["households", "import", str(path)])
    assert result.exit_code != 0 and "Upload a .csv or .xlsx" in result.output
    assert "Traceback" not in result.output


def test_a_code_with_a_space_is_a_row_error(client, world, token_for):
    csv_text = "code,area_code\nSZ 09,NH-SZ-01\nSZ-10,NH-SZ-01\n"
    response = client.post("/api/v1/households/import", headers=token_for(world.admin),
                           data={"file": (io.BytesIO(csv_text.encode()), "h.csv")})
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json["details"]["errors"]] == [(2, "code")]
