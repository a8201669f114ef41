"""The OData feed read by a real OData v4 client (python-odata) over HTTPS with HTTP Basic."""
import base64
import warnings
from xml.etree import ElementTree

import pytest
import requests
from requests.auth import HTTPBasicAuth

SVC = "/api/v1/forms/hh_survey.svc"


@pytest.fixture
def odata_service(https_server, device_token, monkeypatch):
    """A python-odata service reflected from $metadata, signed in with Basic (a device token as password)."""
    from odata import ODataService
    monkeypatch.setattr("server.exports.odata.PAGE_SIZE", 2)  # so the client must follow nextLinks
    warnings.filterwarnings("ignore", message="Unverified HTTPS request")

    def connect(user, password=None):
        session = requests.Session()
        session.verify, session.trust_env = False, False  # the throwaway certificate (no CA bundle from the env)
        session.auth = HTTPBasicAuth(user.username, password or device_token(user))
        return ODataService(https_server.url + SVC, reflect_entities=True, session=session, quiet_progress=True)
    return connect


def api_ids(client, headers, **params):
    rows = client.get("/api/v1/submissions", query_string={"form": "hh_survey", "page_size": 100, **params},
                      headers=headers).json
    return {r["instance_id"] for r in rows}


def test_client_reads_submissions_and_repeats_with_paging_and_a_date_filter(odata_service, client, survey, world,
                                                                            token_for):
    service = odata_service(world.manager)
    assert {"Submissions", "Submissions.members", "Submissions.members.jobs"} <= set(service.entities)
    Submissions, Members = service.entities["Submissions"], service.entities["Submissions.members"]
    Jobs = service.entities["Submissions.members.jobs"]
    everything = service.query(Submissions).all()  # five rows over three pages of two
    headers = token_for(world.manager)
    assert {s.__id for s in everything} == api_ids(client, headers) and len(everything) == 5
    november = service.query(Submissions).filter("__system/capturedAt ge 2026-11-01").filter(
        "__system/capturedAt lt 2026-12-01T00:00:00+08:00").all()
    assert {s.__id for s in november} == api_ids(client, headers, **{"from": "2026-11-01", "to": "2026-11-30"})
    assert len(november) == 3
    assert service.query(Submissions).filter("__system/capturedAt ge 2026-11-01").count() == 4
    page = service.query(Submissions).offset(1).limit(2).all()
    assert [s.__id for s in page] == [s.__id for s in everything][1:3]
    people = service.query(Members).all()
    with_members = {s["instance_id"] for s in survey if s["answers"]["members"]}
    assert len(people) == 7 and {getattr(p, "__Submissions-id") for p in people} == with_members
    jobs = service.query(Jobs).all()
    assert len(jobs) == 10 and {getattr(j, "__Submissions-members-id") for j in jobs} <= {p.__id for p in people}
    first = next(s for s in everything if s.photo == "甲.jpg")
    assert first.__system["capturedAt"] == "2026-11-03T09:00:00+08:00" and first.__system["householdCode"] == "SZ01-001"
    assert getattr(first, "location-Latitude") == 29.2901 and getattr(first, "location-Altitude") == 35.5
    assert sorted(getattr(j, "months") for j in jobs if j.job_title.startswith("职务1-"))[:2] == [6, 6]


def test_received_date_filter_count_select_and_scope(odata_service, client, survey, world, token_for, db):
    from server.submissions.models import Submission
    rows = db.session.scalars(db.select(Submission).order_by(Submission.id)).all()
    cut = rows[2].received_at
    headers = token_for(world.admin)
    stamp = cut.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = client.get(f"{SVC}/Submissions", base_url="https://localhost", headers=headers,
                      query_string={"$filter": f"__system/submissionDate ge {stamp}", "$count": "true",
                                    "$select": "__id,photo"}).json
    assert body["@odata.count"] == 3 and len(body["value"]) == 2  # pages of two here
    assert set(body["value"][0]) == {"__id", "photo"} and body["value"][0]["__id"] == rows[2].instance_id
    rest = client.get(body["@odata.nextLink"], headers=headers).json
    assert [r["__id"] for r in body["value"] + rest["value"]] == [r.instance_id for r in rows[2:]]
    assert "@odata.nextLink" not in rest
    village = odata_service(world.v1_manager)
    mine = village.query(village.entities["Submissions"]).all()
    assert {s.__id for s in mine} == api_ids(client, token_for(world.v1_manager)) and len(mine) == 3
    people = village.query(village.entities["Submissions.members"]).all()
    assert {getattr(p, "__Submissions-id") for p in people} <= {s.__id for s in mine} and len(people) == 3


def test_basic_with_a_password_over_https_only_and_metadata_is_csdl(https_server, client, survey, world):
    session = requests.Session()
    session.verify, session.trust_env = False, False
    warnings.filterwarnings("ignore", message="Unverified HTTPS request")
    response = session.get(https_server.url + SVC + "/$metadata", auth=("admin", "secret-pass"))
    assert response.status_code == 200 and response.headers["OData-Version"] == "4.0"
    tree = ElementTree.fromstring(response.content)
    edm = "{http://docs.oasis-open.org/odata/ns/edm}"
    names = {e.get("Name") for e in tree.iter(edm + "EntitySet")}
    assert names == {"Submissions", "Submissions.members", "Submissions.members.jobs"}
    denied = session.get(https_server.url + SVC + "/Submissions", auth=("admin", "wrong"))
    assert denied.status_code == 401 and denied.headers["WWW-Authenticate"].startswith("Basic")
    plain = client.get(SVC + "/Submissions", headers={"Authorization": "Basic YWRtaW46c2VjcmV0LXBhc3M="})
    assert plain.status_code == 403  # Basic over plain HTTP is refused outside development
    assert client.get(SVC + "/Submissions?$orderby=__id", base_url="https://localhost",
                      headers={"Authorization": "Basic YWRtaW46c2VjcmV0LXBhc3M="}).status_code == 501
    document = client.get(SVC, base_url="https://localhost", headers={"Authorization": "Basic YWRtaW46c2VjcmV0LXBhc3M="})
    assert [s["name"] for s in document.json["value"]][0] == "Submissions"


def test_wrong_basic_passwords_are_rate_limited_like_sign_in(client, survey, world):
    def get(password):
        return client.get(SVC + "/Submissions", base_url="https://localhost",
                          headers={"Authorization": "Basic " + base64.b64encode(f"admin:{password}".encode()).decode(),
                                   "Accept-Language": "zh-CN"})
    assert {get("secret-pass").status_code for _ in range(12)} == {200}  # a working feed is not slowed down
    assert [get("wrong").status_code for _ in range(10)] == [401] * 10
    refused = get("secret-pass")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in refused.json["message"]
