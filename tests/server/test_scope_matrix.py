"""Scope as a matrix: role x in scope / out of scope x endpoint.

Outside the actor's scope every read and write is a 404 (nothing leaks whether it exists);
inside it, a role that may not write gets 403."""
import io

import pytest

from server.households.models import Assignment, Household

# role -> (household in scope, household out of scope, area in scope, area out of scope, cadre to link)
SCOPES = {
    "admin": ("h1", None, "v1", None, "cadre"),
    "manager": ("h1", "h5", "town", "v3", "cadre"),
    "v1_manager": ("h1", "h3", "v1", "v2", "cadre"),
    "v2_manager": ("h3", "h1", "v2", "v1", "cadre2"),
    "other_manager": ("h5", "h1", "other_town", "town", "other_cadre"),
    "cadre": ("h1", "h3", "v1", "v2", None),          # linked to h1, h2
    "cadre2": ("h3", "h1", "v2", "v1", None),         # a cadre not linked to h1
    "surveyor": ("h1", "h5", "town", "other_town", None),
}
WRITERS = {"admin", "manager", "v1_manager", "v2_manager", "other_manager"}
LISTED = {
    "admin": {"SZ01-001", "SZ01-002", "SZ02-001", "SZ02-002", "CL01-001"},
    "manager": {"SZ01-001", "SZ01-002", "SZ02-001", "SZ02-002"},
    "v1_manager": {"SZ01-001", "SZ01-002"},
    "v2_manager": {"SZ02-001", "SZ02-002"},
    "other_manager": {"CL01-001"},
    "cadre": {"SZ01-001", "SZ01-002"},
    "cadre2": {"SZ02-001", "SZ02-002"},
    "surveyor": {"SZ01-001", "SZ01-002", "SZ02-001", "SZ02-002"},
}
ROLES = list(SCOPES)
OUT_ROLES = [r for r in ROLES if SCOPES[r][1] is not None]


def household_request(client, method, household, headers, world, role):
    cadre = SCOPES[role][4]
    url = f"/api/v1/households/{household.id}"
    if method == "GET household":
        return client.get(url, headers=headers)
    if method == "PATCH household":
        return client.patch(url, json={"head_name": "改名"}, headers=headers)
    if method == "PUT assignment":
        cadre_id = getattr(world, cadre).id if cadre else world.cadre.id
        return client.put(url + "/assignment", json={"cadre_id": cadre_id}, headers=headers)
    if method == "GET assignments":
        return client.get(url + "/assignment", headers=headers)
    raise AssertionError(method)


HOUSEHOLD_ENDPOINTS = ["GET household", "PATCH household", "PUT assignment", "GET assignments"]


@pytest.mark.parametrize("endpoint", HOUSEHOLD_ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_household_in_scope(client, world, token_for, role, endpoint):
    household = getattr(world, SCOPES[role][0])
    response = household_request(client, endpoint, household, token_for(getattr(world, role)), world, role)
    if endpoint.startswith("GET") or role in WRITERS:
        assert response.status_code == 200, response.json
        if endpoint != "GET assignments":
            assert response.json["household_id" if endpoint == "PUT assignment" else "id"] == household.id
    else:
        assert response.status_code == 403, response.json
        assert response.json["problem"] == "auth.forbidden"


@pytest.mark.parametrize("endpoint", HOUSEHOLD_ENDPOINTS)
@pytest.mark.parametrize("role", OUT_ROLES)
def test_household_out_of_scope_is_404(client, world, token_for, db, role, endpoint):
    household = getattr(world, SCOPES[role][1])
    before = (household.version, household.head_name)
    response = household_request(client, endpoint, household, token_for(getattr(world, role)), world, role)
    assert response.status_code == 404, response.json
    assert response.json["problem"] == "resource.not_found"
    db.session.expire_all()
    assert (db.session.get(Household, household.id).version, household.head_name) == before


@pytest.mark.parametrize("role", ROLES)
def test_listed_households_stay_in_scope(client, world, token_for, role):
    response = client.get("/api/v1/households?page_size=100", headers=token_for(getattr(world, role)))
    assert response.status_code == 200
    assert {h["code"] for h in response.json} == LISTED[role]


@pytest.mark.parametrize("role", ROLES)
def test_search_never_reaches_out_of_scope(client, world, token_for, role):
    response = client.get("/api/v1/households?q=CL01", headers=token_for(getattr(world, role)))
    assert {h["code"] for h in response.json} == LISTED[role] & {"CL01-001"}


@pytest.mark.parametrize("role", OUT_ROLES)
def test_list_filtered_by_out_of_scope_area_is_404(client, world, token_for, role):
    area = getattr(world, SCOPES[role][3])
    response = client.get(f"/api/v1/households?area_id={area.id}", headers=token_for(getattr(world, role)))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_area_in_scope(client, world, token_for, role):
    area = getattr(world, SCOPES[role][2])
    headers = token_for(getattr(world, role))
    assert client.get(f"/api/v1/areas/{area.id}", headers=headers).json["id"] == area.id
    response = client.patch(f"/api/v1/areas/{area.id}", json={"name": "新名字"}, headers=headers)
    if role in WRITERS:
        assert response.status_code == 200 and response.json["name"] == "新名字"
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", OUT_ROLES)
def test_area_out_of_scope_is_404(client, world, token_for, role):
    area = getattr(world, SCOPES[role][3])
    headers = token_for(getattr(world, role))
    assert client.get(f"/api/v1/areas/{area.id}", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/areas/{area.id}", json={"name": "x"}, headers=headers).status_code == 404
    assert client.delete(f"/api/v1/areas/{area.id}", headers=headers).status_code == 404
    listed = {a["id"] for a in client.get("/api/v1/areas?page_size=100", headers=headers).json}
    assert area.id not in listed


def test_manager_area_list_is_the_subtree(client, world, token_for):
    listed = client.get("/api/v1/areas", headers=token_for(world.manager)).json
    assert [a["code"] for a in listed] == ["NH-SZ", "NH-SZ-01", "NH-SZ-02"]


def test_manager_cannot_create_area_outside_subtree(client, world, token_for):
    body = {"code": "NH-CL-09", "name": "外村", "level": "village", "parent_id": world.other_town.id}
    assert client.post("/api/v1/areas", json=body, headers=token_for(world.manager)).status_code == 404
    body["parent_id"] = None
    assert client.post("/api/v1/areas", json=body, headers=token_for(world.manager)).status_code == 404
    body["parent_id"] = world.town.id
    assert client.post("/api/v1/areas", json=body, headers=token_for(world.manager)).status_code == 201


@pytest.mark.parametrize("role", ["manager", "v1_manager", "v2_manager", "other_manager"])
def test_import_into_out_of_scope_area_gives_row_errors(client, world, token_for, db, role):
    inside, outside = getattr(world, SCOPES[role][2]), getattr(world, SCOPES[role][3])
    inside_village = {"manager": world.v1, "v1_manager": world.v1, "v2_manager": world.v2,
                      "other_manager": world.v3}[role]
    csv = (f"code,area_code,head_name\nNEW-1,{inside_village.code},甲\nNEW-2,{outside.code},乙\n"
           f"NEW-3,{inside.code},丙\n")
    response = client.post("/api/v1/households/import", headers=token_for(getattr(world, role)),
                           data={"file": (io.BytesIO(csv.encode()), "rows.csv")})
    assert response.status_code == 400
    errors = response.json["details"]["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(3, "area_code")]
    assert db.session.scalar(db.select(db.func.count()).where(Household.code.like("NEW-%"))) == 0


def test_import_cannot_overwrite_household_outside_scope(client, world, token_for, db):
    """A code that exists in another village is that village's household: a row error, not a takeover."""
    csv = f"code,area_code,head_name\n{world.h3.code},{world.v1.code},抢走\nNEW-1,{world.v1.code},甲\n"
    response = client.post("/api/v1/households/import", headers=token_for(world.v1_manager),
                           data={"file": (io.BytesIO(csv.encode()), "rows.csv")})
    assert response.status_code == 400, response.json
    assert [(e["row"], e["field"]) for e in response.json["details"]["errors"]] == [(2, "code")]
    response = client.post("/api/v1/households/import?skip_errors=true", headers=token_for(world.v1_manager),
                           data={"file": (io.BytesIO(csv.encode()), "rows.csv")})
    assert response.status_code == 200 and response.json["created"] == 1
    db.session.expire_all()
    h3 = db.session.get(Household, world.h3.id)
    assert h3.area_id == world.v2.id and h3.head_name != "抢走"


@pytest.mark.parametrize("who", ["cadre", "surveyor"])
def test_field_roles_cannot_import(client, world, token_for, who):
    csv = f"code,area_code\nNEW-1,{world.v1.code}\n"
    response = client.post("/api/v1/households/import", headers=token_for(getattr(world, who)),
                           data={"file": (io.BytesIO(csv.encode()), "rows.csv")})
    assert response.status_code == 403


def test_manager_cannot_link_cadre_outside_scope(client, world, token_for, db):
    response = client.put(f"/api/v1/households/{world.h1.id}/assignment", json={"cadre_id": world.cadre2.id},
                          headers=token_for(world.v1_manager))
    assert response.status_code == 404
    response = client.put(f"/api/v1/households/{world.h1.id}/assignment", json={"cadre_id": world.other_cadre.id},
                          headers=token_for(world.manager))
    assert response.status_code == 404
    open_links = db.session.scalars(db.select(Assignment.cadre_id).filter_by(household_id=world.h1.id,
                                                                             valid_to=None)).all()
    assert open_links == [world.cadre.id]


def test_cadre_token_reaches_only_linked_households(client, world, token_for, make_household):
    unlinked = make_household(world.v1, code="SZ01-999")  # same village, linked to nobody
    headers = token_for(world.cadre)
    assert client.get(f"/api/v1/households/{world.h1.id}", headers=headers).status_code == 200
    for other in (unlinked, world.h3, world.h5):
        assert client.get(f"/api/v1/households/{other.id}", headers=headers).status_code == 404
    codes = {h["code"] for h in client.get("/api/v1/households", headers=headers).json}
    assert codes == {"SZ01-001", "SZ01-002"}


def test_cadre_loses_household_when_relinked(client, world, token_for):
    cadre_headers = token_for(world.cadre)
    response = client.put(f"/api/v1/households/{world.h1.id}/assignment", json={"cadre_id": None},
                          headers=token_for(world.v1_manager))
    assert response.status_code == 200
    assert client.get(f"/api/v1/households/{world.h1.id}", headers=cadre_headers).status_code == 404
    codes = {h["code"] for h in client.get("/api/v1/households", headers=cadre_headers).json}
    assert codes == {"SZ01-002"}
