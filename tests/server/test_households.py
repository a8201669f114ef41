"""Households CRUD, validation, versions, and links to cadres with their history."""
import pytest

from server.audit.models import AuditEntry
from server.households.models import Assignment


def create(client, headers, **fields):
    body = {"code": "SZ01-100", "head_name": "李秀英", "address": "清潭村3组12号", **fields}
    return client.post("/api/v1/households", json=body, headers=headers)


def test_manager_creates_household(client, world, token_for):
    response = create(client, token_for(world.v1_manager), area_id=world.v1.id, lat=29.29, lon=121.43,
                      category="elderly_alone", size=1, phone="13800000000")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["code"] == "SZ01-100" and body["version"] == 1 and body["id"] > 0
    assert body["location_source"] == "surveyed" and body["category"] == "elderly_alone"
    assert body["label"] == "SZ01-100 · 李秀英 · 清潭村3组12号"
    fetched = client.get(f"/api/v1/households/{body['id']}", headers=token_for(world.v1_manager)).json
    assert fetched == body


def test_duplicate_household_code_is_409(client, world, token_for):
    response = create(client, token_for(world.admin), area_id=world.v1.id, code=world.h1.code)
    assert response.status_code == 409 and response.json["details"]["field"] == "code"


def test_create_in_out_of_scope_area_is_404(client, world, token_for):
    assert create(client, token_for(world.v1_manager), area_id=world.v2.id).status_code == 404


@pytest.mark.parametrize("fields,bad", [
    ({"lat": 91, "lon": 121.4}, "lat"),
    ({"lat": 29.2, "lon": 181}, "lon"),
    ({"lat": "north", "lon": 121.4}, "lat"),
    ({"category": "rich"}, "category"),
    ({"size": -1}, "size"),
    ({"code": ""}, "code"),
    ({"area_id": "v1"}, "area_id"),
    ({"code": "x" * 65}, "code"),
])
def test_household_validation_gives_422_naming_the_field(client, world, token_for, fields, bad):
    response = create(client, token_for(world.admin), **{"area_id": world.v1.id, **fields})
    assert response.status_code == 422
    assert response.json["problem"] == "request.validation"
    assert bad in response.json["errors"]["json"]


def test_latitude_91_message_is_clear(client, world, token_for):
    response = client.patch(f"/api/v1/households/{world.h1.id}", json={"lat": 91, "lon": 121.4},
                            headers=token_for(world.admin))
    assert response.status_code == 422
    message = " ".join(response.json["errors"]["json"]["lat"])
    assert "-90" in message and "90" in message


def test_create_with_lat_but_no_lon_is_422(client, world, token_for):
    response = create(client, token_for(world.admin), area_id=world.v1.id, lat=29.3)
    assert response.status_code == 422


def test_missing_required_fields_are_422(client, world, token_for):
    response = client.post("/api/v1/households", json={}, headers=token_for(world.admin))
    assert response.status_code == 422
    assert set(response.json["errors"]["json"]) == {"code", "area_id"}


def test_edit_bumps_version_and_is_audited(client, world, token_for, db):
    headers = token_for(world.v1_manager)
    first = client.patch(f"/api/v1/households/{world.h1.id}", json={"head_name": "张伟", "size": 4}, headers=headers)
    assert first.status_code == 200
    assert first.json["head_name"] == "张伟" and first.json["size"] == 4
    second = client.patch(f"/api/v1/households/{world.h1.id}", json={"category": "low_income"}, headers=headers)
    assert second.json["version"] == first.json["version"] + 1
    assert second.json["head_name"] == "张伟"
    actions = db.session.scalars(db.select(AuditEntry.action).filter_by(target_type="household",
                                                                         target_id=str(world.h1.id))).all()
    assert actions.count("household.update") == 2


def test_edit_moves_household_within_scope_only(client, world, token_for):
    headers = token_for(world.manager)
    response = client.patch(f"/api/v1/households/{world.h1.id}", json={"area_id": world.v2.id}, headers=headers)
    assert response.status_code == 200 and response.json["area_id"] == world.v2.id
    response = client.patch(f"/api/v1/households/{world.h1.id}", json={"area_id": world.v3.id}, headers=headers)
    assert response.status_code == 404


def test_edit_to_taken_code_is_409(client, world, token_for):
    response = client.patch(f"/api/v1/households/{world.h1.id}", json={"code": world.h2.code},
                            headers=token_for(world.admin))
    assert response.status_code == 409


def test_edit_lat_without_lon_is_422(client, world, token_for):
    response = client.patch(f"/api/v1/households/{world.h1.id}", json={"lat": 29.3}, headers=token_for(world.admin))
    assert response.status_code == 422


def test_deactivate_household(client, world, token_for):
    headers = token_for(world.admin)
    response = client.patch(f"/api/v1/households/{world.h1.id}", json={"is_active": False}, headers=headers)
    assert response.status_code == 200 and response.json["is_active"] is False
    active = {h["code"] for h in client.get("/api/v1/households?is_active=true", headers=headers).json}
    assert world.h1.code not in active and world.h2.code in active


def test_list_filters_and_paginates(client, world, token_for, make_household):
    for n in range(12):
        make_household(world.v1, code=f"SZ01-P{n:02d}", category="low_income")
    headers = token_for(world.admin)
    page = client.get(f"/api/v1/households?area_id={world.v1.id}&category=low_income&page_size=5&page=3",
                      headers=headers)
    assert page.status_code == 200
    assert [h["code"] for h in page.json] == ["SZ01-P10", "SZ01-P11"]
    assert '"total": 12' in page.headers["X-Pagination"]
    by_cadre = client.get(f"/api/v1/households?cadre_id={world.cadre2.id}", headers=headers).json
    assert [h["code"] for h in by_cadre] == ["SZ02-001", "SZ02-002"]
    by_area = client.get(f"/api/v1/households?area_id={world.town.id}&page_size=100", headers=headers).json
    assert len(by_area) == 16
    searched = client.get("/api/v1/households?q=SZ02", headers=headers).json
    assert [h["code"] for h in searched] == ["SZ02-001", "SZ02-002"]
    assert client.get("/api/v1/households?q=%25", headers=headers).json == []  # % is a character, not a wildcard


def test_relinking_closes_old_assignment_and_keeps_history(client, world, token_for, db, make_user):
    headers = token_for(world.v1_manager)
    new_cadre = make_user("cadre", world.v1, username="cadre09")
    version = client.get(f"/api/v1/households/{world.h1.id}", headers=headers).json["version"]
    response = client.put(f"/api/v1/households/{world.h1.id}/assignment", json={"cadre_id": new_cadre.id},
                          headers=headers)
    assert response.status_code == 200
    assert response.json["cadre_id"] == new_cadre.id and response.json["valid_to"] is None
    history = client.get(f"/api/v1/households/{world.h1.id}/assignment", headers=headers).json
    assert [a["cadre_id"] for a in history] == [new_cadre.id, world.cadre.id]
    assert history[0]["valid_to"] is None and history[1]["valid_to"] is not None
    assert history[1]["valid_to"] <= history[0]["valid_from"]
    assert client.get(f"/api/v1/households/{world.h1.id}", headers=headers).json["version"] == version + 1
    open_links = db.session.scalar(db.select(db.func.count()).select_from(Assignment)
                                   .filter_by(household_id=world.h1.id, valid_to=None))
    assert open_links == 1


def test_relinking_to_same_cadre_changes_nothing(client, world, token_for):
    headers = token_for(world.admin)
    before = client.get(f"/api/v1/households/{world.h1.id}/assignment", headers=headers).json
    response = client.put(f"/api/v1/households/{world.h1.id}/assignment", json={"cadre_id": world.cadre.id},
                          headers=headers)
    assert response.status_code == 200 and response.json["id"] == before[0]["id"]
    assert client.get(f"/api/v1/households/{world.h1.id}/assignment", headers=headers).json == before


def test_unlink_with_null(client, world, token_for):
    headers = token_for(world.admin)
    response = client.put(f"/api/v1/households/{world.h1.id}/assignment", json={"cadre_id": None}, headers=headers)
    assert response.status_code == 200
    history = client.get(f"/api/v1/households/{world.h1.id}/assignment", headers=headers).json
    assert len(history) == 1 and history[0]["valid_to"] is not None
    assert client.get(f"/api/v1/households?cadre_id={world.cadre.id}", headers=headers).json[0]["code"] == "SZ01-002"


@pytest.mark.parametrize("body", [{}, {"cadre_id": "abc"}, {"cadre_id": 999999}])
def test_bad_assignment_bodies(client, world, token_for, body):
    response = client.put(f"/api/v1/households/{world.h1.id}/assignment", json=body, headers=token_for(world.admin))
    assert response.status_code == (404 if body.get("cadre_id") == 999999 else 422)


def test_cannot_link_to_a_non_cadre(client, world, token_for):
    response = client.put(f"/api/v1/households/{world.h1.id}/assignment", json={"cadre_id": world.manager.id},
                          headers=token_for(world.admin))
    assert response.status_code == 404


def test_visit_policies_defaults_and_admin_update(client, world, token_for):
    policies = {p["category"]: p["max_days"] for p in client.get("/api/v1/visit-policies",
                                                                  headers=token_for(world.cadre)).json}
    assert policies["ordinary"] == 90 and policies["low_income"] == 30 and policies["elderly_alone"] == 30
    body = {"category": "ordinary", "max_days": 60}
    assert client.put("/api/v1/visit-policies", json=body, headers=token_for(world.manager)).status_code == 403
    assert client.put("/api/v1/visit-policies", json=body, headers=token_for(world.admin)).status_code == 200
    policies = {p["category"]: p["max_days"] for p in client.get("/api/v1/visit-policies",
                                                                  headers=token_for(world.cadre)).json}
    assert policies["ordinary"] == 60


def test_area_crud(client, world, token_for):
    headers = token_for(world.v1_manager)
    response = client.post("/api/v1/areas", json={"code": "NH-SZ-01-G1", "name": "一组", "level": "grid",
                                                  "parent_id": world.v1.id}, headers=headers)
    assert response.status_code == 201
    grid = response.json
    assert grid["path"] == f"{world.v1.path}{grid['id']}/"
    assert client.post("/api/v1/areas", json={"code": "NH-SZ-01-G1", "name": "重复", "level": "grid",
                                              "parent_id": world.v1.id}, headers=headers).status_code == 409
    assert client.patch(f"/api/v1/areas/{grid['id']}", json={"name": "第一组"}, headers=headers).json["name"] == "第一组"
    children = client.get(f"/api/v1/areas?parent_id={world.v1.id}", headers=headers).json
    assert [a["code"] for a in children] == ["NH-SZ-01-G1"]
    assert client.delete(f"/api/v1/areas/{world.v1.id}", headers=token_for(world.admin)).status_code == 409
    assert client.delete(f"/api/v1/areas/{world.v1.id}", headers=headers).status_code == 409
    assert client.delete(f"/api/v1/areas/{grid['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/areas/{grid['id']}", headers=headers).status_code == 404


@pytest.mark.parametrize("code", [" ", "SZ 01", "a,b", "x\x01", "9" * 65])
def test_household_codes_without_spaces_commas_or_control_characters(client, world, token_for, code):
    response = client.post("/api/v1/households", json={"code": code, "area_id": world.v1.id},
                           headers=token_for(world.admin))
    assert response.status_code == 422
    assert "code" in response.json["errors"]["json"]
