"""OpenAPI docs, and bad input answered with a JSON problem, never a 500."""
import io

import pytest

from server.extensions import db

PATHS = ["/api/v1/devices", "/api/v1/devices/{device_id}", "/api/v1/me", "/api/v1/users", "/api/v1/areas",
         "/api/v1/areas/{area_id}", "/api/v1/households", "/api/v1/households/{household_id}",
         "/api/v1/households/{household_id}/assignment", "/api/v1/households/import", "/api/v1/forms",
         "/api/v1/forms/{form_id}", "/api/v1/forms/{form_id}.xml", "/api/v1/visit-policies"]


def test_openapi_lists_the_paths(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["info"]["title"].startswith("Lianhu")
    missing = [p for p in PATHS if p not in spec["paths"]]
    assert missing == []
    assert "post" in spec["paths"]["/api/v1/households/import"]


def test_api_docs_page_serves(client):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.content_type.startswith("text/html")
    page = response.get_data(as_text=True)
    assert "swagger-ui" in page and "/api/openapi.json" in page
    assert "/static/vendor/swagger-ui/" in page  # served from our origin, not a CDN


JSON_WRITES = [
    ("post", "/api/v1/devices"),
    ("post", "/api/v1/users"),
    ("post", "/api/v1/areas"),
    ("patch", "/api/v1/areas/{v1}"),
    ("post", "/api/v1/households"),
    ("patch", "/api/v1/households/{h1}"),
    ("put", "/api/v1/households/{h1}/assignment"),
    ("put", "/api/v1/visit-policies"),
    ("patch", "/api/v1/forms/visit"),
]


def _url(world, template):
    return template.format(v1=world.v1.id, h1=world.h1.id)


@pytest.mark.parametrize("method,url", JSON_WRITES)
@pytest.mark.parametrize("body", ['{"code": ', "not json at all", "\xff\xfe", "[1, 2]", '"text"', "null"])
def test_malformed_json_is_a_problem_not_500(client, world, token_for, method, url, body):
    response = getattr(client, method)(_url(world, url), data=body.encode("utf-8", "surrogateescape"),
                                       content_type="application/json", headers=token_for(world.admin))
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert response.is_json and response.json["status"] == response.status_code
    assert response.json["message"] or response.json.get("errors")


@pytest.mark.parametrize("method,url,body", [
    ("post", "/api/v1/households", {"code": 5, "area_id": {"x": 1}, "size": "many"}),
    ("post", "/api/v1/households", {"code": "X", "area_id": 10 ** 30}),
    ("patch", "/api/v1/households/{h1}", {"lat": [1], "lon": None}),
    ("patch", "/api/v1/households/{h1}", {"unknown_field": 1}),
    ("post", "/api/v1/areas", {"code": "X", "name": "x", "level": "planet"}),
    ("put", "/api/v1/households/{h1}/assignment", {"cadre_id": 1.5}),
    ("put", "/api/v1/visit-policies", {"category": "ordinary", "max_days": 0}),
    ("post", "/api/v1/devices", {"username": ["admin"], "password": 1}),
    ("post", "/api/v1/users", {"username": "ok_name", "password": "long-password", "role": "cadre",
                               "area_id": "here"}),
])
def test_wrong_types_are_422(client, world, token_for, method, url, body):
    response = getattr(client, method)(_url(world, url), json=body, headers=token_for(world.admin))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.json["problem"] == "request.validation" and response.json["errors"]


@pytest.mark.parametrize("query", ["page=abc", "page=0", "page_size=100000", "area_id=x", "is_active=maybe",
                                   "category=rich", "cadre_id=1e99", "q=" + "x" * 200])
def test_bad_query_arguments_are_422(client, world, token_for, query):
    response = client.get(f"/api/v1/households?{query}", headers=token_for(world.admin))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.is_json


HUGE = 10 ** 30


@pytest.mark.parametrize("url", ["/api/v1/households/999999", "/api/v1/areas/999999", "/api/v1/nothing-here",
                                 "/api/v1/households/abc", f"/api/v1/households/{HUGE}", f"/api/v1/areas/{HUGE}",
                                 f"/api/v1/households/{HUGE}/assignment"])
def test_unknown_resources_are_json_404(client, world, token_for, url):
    response = client.get(url, headers=token_for(world.admin))
    assert response.status_code == 404 and response.is_json


def test_huge_ids_in_writes_are_404(client, world, token_for):
    headers = token_for(world.admin)
    assert client.delete(f"/api/v1/devices/{HUGE}", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/households/{HUGE}", json={"size": 2}, headers=headers).status_code == 404
    assert client.put(f"/api/v1/households/{HUGE}/assignment", json={"cadre_id": None},
                      headers=headers).status_code == 404


def test_wrong_method_is_json_405(client, world, token_for):
    response = client.delete("/api/v1/forms", headers=token_for(world.admin))
    assert response.status_code == 405 and response.is_json


def test_unknown_area_in_create_household_is_404(client, world, token_for):
    response = client.post("/api/v1/households", json={"code": "X-1", "area_id": 999999},
                           headers=token_for(world.admin))
    assert response.status_code == 404 and response.is_json


def test_too_large_upload_is_413_json(app, client, world, token_for):
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = client.post("/api/v1/households/import", headers=token_for(world.admin),
                               data={"file": (io.BytesIO(b"x" * 5000), "big.csv")},
                               content_type="multipart/form-data")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413 and response.is_json


@pytest.mark.parametrize("path", ["/api/v1/households", "/api/v1/submissions", "/api/v1/satisfaction/answers",
                                  "/api/v1/coverage/households", "/api/v1/cases", "/api/v1/areas"])
def test_absurd_page_numbers_are_a_clear_422(client, world, token_for, path):
    response = client.get(f"{path}?page=4105416767098610778112", headers=token_for(world.admin))
    assert response.status_code == 422
    assert response.json["problem"] == "request.validation"


def test_values_the_database_cannot_hold_are_a_422(client, world, token_for, make_household):
    from server.cases.services import create_case
    case = create_case(world.admin, {"household_id": world.h1.id, "text": "路灯坏了", "category": "infrastructure"})
    db.session.commit()
    headers = token_for(world.admin)
    huge = client.patch(f"/api/v1/cases/{case.id}", json={"assignee_id": 328100457411663943730564417856984842240},
                        headers=headers)
    assert huge.status_code == 422, huge.get_data(as_text=True)
    surrogate = client.patch(f"/api/v1/cases/{case.id}", json={"text": "\ud986bad"}, headers=headers)
    assert surrogate.status_code in (200, 422), surrogate.get_data(as_text=True)
    assert client.get(f"/api/v1/cases/{case.id}", headers=headers).status_code == 200
