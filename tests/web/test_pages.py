"""Manager pages through the Flask client: they render, stay in scope, and their forms work."""
import base64
import io
import json
import re
import zlib

import pytest
from openpyxl import Workbook

from server.auth.models import Device
from server.extensions import db
from server.households.models import Assignment


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


#: each page and something it must show for the township manager of `world`
EXPECTED = {"/dashboard": "清潭村", "/map": "/api/v1/coverage/map.geojson", "/unvisited": "SZ01-002",
            "/overdue": "SZ02-001", "/coverage/households": "SZ01-001", "/submissions": "SZ01-001",
            "/households": "SZ02-002", "/households/import": "区域编码", "/forms": "satisfaction", "/users": "cadre02",
            "/exports": "/api/v1/exports/coverage.xlsx", "/audit": "household.link", "/households/new": "南岭村"}
PAGES = list(EXPECTED)


@pytest.mark.parametrize("path", PAGES)
def test_pages_ask_for_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_for_a_manager(client, world, login, make_visit, path):
    make_visit(world.h1, world.cadre)
    login(world.manager)
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    page = response.get_data(as_text=True)
    assert EXPECTED[path] in page
    assert "CL01-001" not in page and "湖头村" not in page  # other township never shown


def test_cadre_is_sent_to_the_field_app(client, world, login):
    login(world.cadre)
    response = client.get("/dashboard")
    assert response.status_code == 403
    assert "/app" in response.get_data(as_text=True) or "外勤" in response.get_data(as_text=True)


def test_home_sends_managers_to_the_dashboard(client, world, login):
    login(world.manager)
    assert client.get("/").headers["Location"] == "/dashboard"


def test_dashboard_numbers_match_the_api(client, world, login, make_visit):
    make_visit(world.h1, world.cadre)
    make_visit(world.h3, world.cadre2, geo_status="far", distance=900.0)
    login(world.manager)
    api = client.get("/api/v1/coverage").json
    page = client.get("/dashboard").get_data(as_text=True)
    headline = dict(re.findall(r'data-key="(\w+)">([^<]+)<', page))
    assert int(headline["households"]) == api["total"]["households"] == 4
    assert int(headline["visited"]) == api["total"]["visited"] == 1
    assert int(headline["flagged"]) == api["total"]["flagged"] == 1
    assert headline["coverage"] == "25.0%"
    for row in api["rows"]:
        assert f'data-area="{row["area"]["id"]}"' in page


def test_dashboard_drills_down_to_a_village_and_its_households(client, world, login, make_visit):
    make_visit(world.h1, world.cadre)
    login(world.manager)
    page = client.get(f"/dashboard?area={world.v1.id}&period=2026").get_data(as_text=True)
    assert "清潭村" in page and "南岭村" not in page
    households = client.get(f"/unvisited?area={world.v1.id}").get_data(as_text=True)
    assert "SZ01-002" in households and "SZ01-001" not in households and "SZ02-001" not in households


def test_other_townships_area_is_not_found(client, world, login):
    login(world.manager)
    response = client.get(f"/dashboard?area={world.v3.id}")
    assert response.status_code == 404
    assert client.get(f"/households/{world.h5.id}").status_code == 404


@pytest.mark.parametrize("query, quoted", [("period=2026-Q7", "2026-Q7"), ("area=abc", "area"),
                                           ("from=2026-13-01", "2026-13-01"), ("status=lost", "status")])
def test_bad_filters_give_a_clear_page_not_a_500(client, world, login, query, quoted):
    login(world.manager)
    for path in ("/dashboard", "/map", "/coverage/households"):
        response = client.get(f"{path}?{query}")
        assert response.status_code in (400, 422), path
        assert quoted in response.get_data(as_text=True) and 'class="error"' in response.get_data(as_text=True)


def test_unvisited_list_links_the_excel_export(client, world, login):
    login(world.manager)
    page = client.get("/unvisited?period=2026-Q4").get_data(as_text=True)
    link = re.search(r'id="download-xlsx" href="([^"]+)"', page).group(1)
    assert link.startswith("/api/v1/exports/coverage.xlsx?") and "status=unvisited" in link and "period=2026-Q4" in link


def test_chinese_by_default_and_english_on_request(client, world, login):
    login(world.manager)
    assert "走访覆盖" in client.get("/dashboard").get_data(as_text=True)
    english = client.get("/dashboard?lang=en").get_data(as_text=True)
    assert "Visit coverage" in english and "走访覆盖" not in english
    assert "Visit coverage" in client.get("/households").get_data(as_text=True) or \
        "Households" in client.get("/households").get_data(as_text=True)  # the choice is remembered


def test_household_page_shows_visits_and_saves_edits(client, world, login, make_visit):
    make_visit(world.h1, world.cadre, geo_status="far", distance=250.0)
    version = world.h1.version
    login(world.manager)
    page = client.get(f"/households/{world.h1.id}").get_data(as_text=True)
    assert "250 m" in page and "data-visits" in page
    data = {"csrf_token": csrf_of(page), "code": "SZ01-001", "head_name": "王大明", "address": "清潭村 8 号",
            "phone": "", "size": "3", "category": "low_income", "lat": "29.29", "lon": "121.43", "is_active": "on"}
    response = client.post(f"/households/{world.h1.id}/edit", data=data)
    assert response.status_code == 302
    db.session.refresh(world.h1)
    assert (world.h1.head_name, world.h1.size, world.h1.category, world.h1.version) == ("王大明", 3, "low_income", version + 1)


def test_household_edit_shows_field_errors(client, world, login):
    login(world.manager)
    page = client.get(f"/households/{world.h1.id}").get_data(as_text=True)
    response = client.post(f"/households/{world.h1.id}/edit",
                           data={"csrf_token": csrf_of(page), "code": "SZ01-001", "lat": "95", "lon": "121"})
    assert response.status_code == 422
    assert "field-error" in response.get_data(as_text=True)


def test_household_relinked_to_another_cadre(client, world, login, make_user):
    other = make_user("cadre", world.v1, username="cadre09")
    login(world.manager)
    page = client.get(f"/households/{world.h1.id}").get_data(as_text=True)
    response = client.post(f"/households/{world.h1.id}/assign", data={"csrf_token": csrf_of(page), "cadre_id": other.id})
    assert response.status_code == 302
    links = db.session.scalars(db.select(Assignment).filter_by(household_id=world.h1.id)).all()
    assert sorted((a.cadre_id, a.valid_to is None) for a in links) == sorted([(world.cadre.id, False), (other.id, True)])


def test_form_posts_need_the_csrf_token(client, world, login):
    login(world.manager)
    response = client.post(f"/households/{world.h1.id}/assign", data={"cadre_id": world.cadre2.id})
    assert response.status_code == 400


def test_import_lists_every_bad_row_and_imports_nothing(client, world, login):
    login(world.manager)
    page = client.get("/households/import").get_data(as_text=True)
    csv = ("code,area_code,head_name,category,lat,lon\n"
           "NEW-1,NH-SZ-01,张三,ordinary,29.1,121.1\n"
           "NEW-2,NH-XX-99,李四,ordinary,,\n"
           "NEW-3,NH-SZ-02,王五,rich,95,121\n").encode()
    response = client.post("/households/import", data={"csrf_token": csrf_of(page), "file": (io.BytesIO(csv), "h.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td data-field="(\w+)">', body)
    assert ("3", "area_code") in rows and ("4", "category") in rows and ("4", "lat") in rows
    assert 'class="empty"' in client.get("/households?q=NEW-").get_data(as_text=True)


def test_import_xlsx_skipping_bad_rows(client, world, login):
    login(world.manager)
    page = client.get("/households/import").get_data(as_text=True)
    book = Workbook()
    sheet = book.active
    sheet.append(["code", "area_code", "head_name", "cadre"])
    sheet.append(["NEW-1", "NH-SZ-01", "张三", "cadre01"])
    sheet.append(["NEW-2", "NH-CL-01", "李四", ""])  # another township: refused
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    response = client.post("/households/import", content_type="multipart/form-data",
                           data={"csrf_token": csrf_of(page), "skip_errors": "on", "file": (data, "h.xlsx")})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="import-result"' in body and 'id="import-errors"' in body
    assert "NEW-1" in client.get("/households?q=NEW").get_data(as_text=True)


def test_device_qr_codes_for_a_cadre(client, world, login):
    login(world.manager)
    page = client.get(f"/users/{world.cadre.id}").get_data(as_text=True)
    response = client.post(f"/users/{world.cadre.id}/devices", data={"csrf_token": csrf_of(page), "name": "华为"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.count("<svg") == 2 and response.headers["Cache-Control"] == "no-store"
    app_url = re.search(r'href="(http://localhost/app/[^"]+)"', body).group(1)
    token = re.search(r"token=([A-Za-z0-9_\-]+)", app_url).group(1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json["username"] == "cadre01"
    device = db.session.scalar(db.select(Device).filter_by(user_id=world.cadre.id))
    assert device.name == "华为"


def test_odk_collect_settings_payload(app, world):
    from server.web.services import odk_collect_settings
    payload = odk_collect_settings("https://lianhu.example/", "TOKEN", world.cadre)
    settings = json.loads(zlib.decompress(base64.b64decode(payload)))
    assert settings["general"] == {"server_url": "https://lianhu.example/key/TOKEN/openrosa",
                                   "form_update_mode": "match_exactly", "autosend": "wifi_and_cellular"}
    assert settings["project"]["name"].startswith("联户") and settings["admin"] == {}


def test_manager_cannot_provision_another_townships_cadre(client, world, login):
    login(world.manager)
    page = client.get("/users").get_data(as_text=True)
    assert "cadre03" not in page
    response = client.post(f"/users/{world.other_cadre.id}/devices", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 404
    assert db.session.scalar(db.select(Device).filter_by(user_id=world.other_cadre.id)) is None


def test_manager_revokes_a_cadres_device(client, world, login, token_for):
    header = token_for(world.cadre)
    login(world.manager)
    page = client.get(f"/users/{world.cadre.id}").get_data(as_text=True)
    device_id = re.search(r'/devices/(\d+)/revoke', page).group(1)
    assert client.post(f"/devices/{device_id}/revoke", data={"csrf_token": csrf_of(page)}).status_code == 302
    assert client.get("/api/v1/me", headers=header).status_code == 403


def test_manager_adds_a_cadre(client, world, login):
    login(world.manager)
    page = client.get("/users").get_data(as_text=True)
    response = client.post("/users", data={"csrf_token": csrf_of(page), "username": "newcadre", "password": "long-enough",
                                            "display_name": "新干部", "role": "cadre", "area_id": world.v2.id})
    assert response.status_code == 302
    assert "新干部" in client.get("/users").get_data(as_text=True)
    bad = client.post("/users", data={"csrf_token": csrf_of(page), "username": "x", "password": "short", "role": "cadre"})
    assert bad.status_code == 422


def test_forms_page_closes_and_reopens_a_form(client, world, login):
    login(world.manager)
    page = client.get("/forms").get_data(as_text=True)
    assert "visit" in page and "satisfaction" in page
    client.post("/forms/satisfaction/state", data={"csrf_token": csrf_of(page), "state": "closed"})
    assert client.get("/api/v1/forms").json and "satisfaction" not in {f["form_id"] for f in client.get("/api/v1/forms").json}
    client.post("/forms/satisfaction/state", data={"csrf_token": csrf_of(page), "state": "published"})
    assert "satisfaction" in {f["form_id"] for f in client.get("/api/v1/forms").json}


def test_submissions_list_shows_geo_status_distance_and_photo(client, world, login, make_visit):
    from server.submissions.models import Attachment
    visit = make_visit(world.h1, world.cadre, geo_status="far", distance=321.0)
    db.session.add(Attachment(submission_id=visit.id, name="door.jpg", content_type="image/jpeg", size=10,
                              sha256="0" * 64, is_received=True))
    db.session.commit()
    login(world.manager)
    page = client.get("/submissions?geo_status=far").get_data(as_text=True)
    assert "321 m" in page and "SZ01-001" in page
    assert f"/api/v1/submissions/{visit.id}/attachments/door.jpg" in page
    detail = client.get(f"/submissions/{visit.id}").get_data(as_text=True)
    assert "SZ01-001" in detail and visit.instance_id in detail


def test_manager_rejects_a_suspect_visit(client, world, login, make_visit):
    visit = make_visit(world.h1, world.cadre, geo_status="suspect")
    login(world.manager)
    page = client.get(f"/submissions/{visit.id}").get_data(as_text=True)
    response = client.post(f"/submissions/{visit.id}/review",
                           data={"csrf_token": csrf_of(page), "review_state": "rejected", "comment": "模拟定位"})
    assert response.status_code == 302
    db.session.refresh(visit)
    assert (visit.review_state, visit.review_comment) == ("rejected", "模拟定位")
    assert client.post(f"/submissions/{visit.id}/review",
                       data={"csrf_token": csrf_of(page), "review_state": "edited"}).status_code == 400


def test_submissions_page_links_the_exports(client, world, login, make_visit):
    make_visit(world.h1, world.cadre)
    login(world.manager)
    page = client.get("/submissions?kind=visit&from=2026-10-01&to=2026-12-31").get_data(as_text=True)
    links = re.findall(r'href="(/api/v1/exports/submissions\.\w+\?[^"]+)"', page)
    assert {link.split("?")[0].rsplit(".", 1)[1] for link in links} == {"xlsx", "csv", "geojson"}
    xlsx = client.get(links[0].replace("&amp;", "&"))
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_admin_dashboard_starts_at_the_county(client, world, login, make_visit):
    make_visit(world.h5, world.other_cadre)
    login(world.admin)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "宁海县" in page
    county = client.get(f"/dashboard?area={world.county.id}").get_data(as_text=True)
    assert "桑洲镇" in county and "岔路镇" in county


def test_village_manager_sees_their_village_only(client, world, login, make_visit):
    make_visit(world.h1, world.cadre)
    login(world.v1_manager)
    page = client.get("/dashboard").get_data(as_text=True)
    headline = dict(re.findall(r'data-key="(\w+)">([^<]+)<', page))
    assert (headline["households"], headline["visited"]) == ("2", "1")
    assert "南岭村" not in page and client.get(f"/dashboard?area={world.v2.id}").status_code == 404
