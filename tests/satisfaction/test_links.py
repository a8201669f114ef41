"""Resident one-time links: issuing, re-issuing, the /s/<token> page, single use, expiry."""
import re
from datetime import timedelta

import pytest

from server.audit.models import AuditEntry
from server.coverage.periods import current_quarter
from server.satisfaction.models import SatisfactionLink
from server.submissions.models import Submission

ANSWER = {"overall": "satisfied", "attitude": "5", "help": "4", "frequency": "3", "comment": "很好"}


@pytest.fixture
def period():
    return current_quarter().label


@pytest.fixture
def issue(client, world, token_for, period):
    def run(user=None, area=None, period_key=None):
        return client.post("/api/v1/satisfaction/links", headers=token_for(user or world.v1_manager),
                           json={"area_id": (area or world.v1).id, "period": period_key or period})
    return run


def test_manager_issues_one_link_per_active_household(issue, world, db, make_household):
    make_household(world.v1, code="SZ01-GONE", is_active=False)
    response = issue()
    assert response.status_code == 201, response.json
    body = response.json
    assert [link["code"] for link in body["links"]] == ["SZ01-001", "SZ01-002"]
    assert all(len(link["token"]) >= 30 and link["path"] == f"/s/{link['token']}" for link in body["links"])
    stored = db.session.scalars(db.select(SatisfactionLink)).all()
    assert len(stored) == 2 and all(s.token_hash not in {x["token"] for x in body["links"]} for s in stored)
    assert stored[0].expires_at == current_quarter().end
    assert db.session.scalar(db.select(AuditEntry.id).filter_by(action="satisfaction.links_issue"))


def test_reissuing_invalidates_unused_links_and_skips_answered_households(issue, client, db):
    first = {link["code"]: link["token"] for link in issue().json["links"]}
    assert client.post(f"/s/{first['SZ01-001']}", data=ANSWER).status_code == 201
    second = issue().json
    assert second["revoked"] == 1 and second["already_answered"] == 1
    assert [link["code"] for link in second["links"]] == ["SZ01-002"]
    old = client.get(f"/s/{first['SZ01-002']}")
    assert old.status_code == 410 and "新印发" in old.get_data(as_text=True)
    assert client.get(second["links"][0]["path"]).status_code == 200


@pytest.mark.parametrize("who, area, status", [
    ("cadre", "v1", 403), ("surveyor", "v1", 403), ("v2_manager", "v1", 404), ("manager", "v1", 201),
    ("admin", "v3", 201),
])
def test_who_may_issue_links(issue, world, who, area, status):
    assert issue(getattr(world, who), getattr(world, area)).status_code == status


@pytest.mark.parametrize("period_key, status", [("2020-Q1", 422), ("2026-Q9", 422), ("soon", 422)])
def test_bad_or_past_periods_are_refused(issue, period_key, status):
    response = issue(period_key=period_key)
    assert response.status_code == status
    assert response.json["details"]["field"] == "period"


def test_resident_page_shows_the_form_with_the_household(issue, client, world):
    token = issue().json["links"][0]["token"]
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "您对联户干部的总体评价" in html and 'value="unsatisfied"' in html and 'name="comment"' in html
    assert world.h1.code in html and 'name="household"' not in html


def test_resident_answer_is_stored_once_as_a_resident_submission(issue, client, db, world):
    token = issue().json["links"][0]["token"]
    done = client.post(f"/s/{token}", data=ANSWER)
    assert done.status_code == 201 and "感谢" in done.get_data(as_text=True)
    submission = db.session.scalar(db.select(Submission).filter_by(kind="satisfaction"))
    assert (submission.source, submission.household_id, submission.rated_cadre_id) == ("resident", world.h1.id,
                                                                                        world.cadre.id)
    assert submission.is_self_rated is False and submission.submitter_id is None
    assert submission.answers == dict(ANSWER, household=world.h1.code)
    assert submission.raw_xml.startswith("<?xml") and "<overall>satisfied</overall>" in submission.raw_xml
    link = db.session.scalar(db.select(SatisfactionLink).filter_by(household_id=world.h1.id))
    assert link.used_at is not None and link.submission_id == submission.id
    again = client.get(f"/s/{token}")
    assert again.status_code == 410 and "already answered" in again.get_data(as_text=True)
    assert client.post(f"/s/{token}", data=ANSWER).status_code == 410
    assert db.session.scalar(db.select(db.func.count(Submission.id))) == 1


def test_missing_answers_reshow_the_form_and_keep_the_link(issue, client, db):
    token = issue().json["links"][0]["token"]
    response = client.post(f"/s/{token}", data={"overall": "satisfied", "attitude": "9"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="errors"' in html and "帮助解决问题" in html
    assert re.search(r'value="satisfied"\s+checked', html) and not re.search(r'value="basic"\s+checked', html)
    assert db.session.scalar(db.select(db.func.count(Submission.id))) == 0
    assert client.post(f"/s/{token}", data=ANSWER).status_code == 201


def test_expired_link_is_gone(issue, client, db):
    token = issue().json["links"][0]["token"]
    link = db.session.scalars(db.select(SatisfactionLink)).first()
    link.expires_at = link.issued_at - timedelta(seconds=1)
    db.session.commit()
    response = client.get(f"/s/{token}")
    assert response.status_code == 410 and "已结束" in response.get_data(as_text=True)
    assert client.post(f"/s/{token}", data=ANSWER).status_code == 410


def test_unknown_token_is_404_page(client):
    response = client.get("/s/not-a-real-token")
    assert response.status_code == 404 and "无效" in response.get_data(as_text=True)


def test_resident_unsatisfied_answer_opens_a_case_for_the_manager_not_the_cadre(issue, client, db, world):
    from server.cases.models import Case
    token = issue().json["links"][0]["token"]
    client.post(f"/s/{token}", data=dict(ANSWER, overall="unsatisfied", comment="很少来"))
    case = db.session.scalar(db.select(Case))
    assert case.assignee_id == world.v1_manager.id and case.household_id == world.h1.id
    assert case.text == "满意度测评：不满意：很少来"


def _instance_xml(db, code, overall="basic", instance_id="uuid:0c1f4f0e-5b7e-4c43-9d55-4a1f7f1b2c3d"):
    from forms.answers import build_instance_xml
    from server.surveys.services import current_version
    answers = {"household": code, "overall": overall, "attitude": "4", "help": "4", "frequency": "4"}
    return build_instance_xml(current_version("satisfaction").xml, answers, instance_id)


def test_form_engine_endpoints_serve_the_form_and_a_one_row_households_csv(issue, client, world):
    token = issue().json["links"][0]["token"]
    form = client.get(f"/s/{token}/form.xml")
    assert form.status_code == 200 and 'id="satisfaction"' in form.get_data(as_text=True)
    csv_text = client.get(f"/s/{token}/households.csv").get_data(as_text=True)
    assert csv_text == f"name,label\n{world.h1.code},{world.h1.code}\n"


def test_form_engine_submission_is_stored_once(issue, client, db, world):
    token = issue().json["links"][0]["token"]
    xml = _instance_xml(db, world.h1.code)
    response = client.post(f"/s/{token}/submission", data={"xml_submission_file": (__import__("io").BytesIO(xml),
                                                                                     "submission.xml")})
    assert response.status_code == 201, response.json
    submission = db.session.scalar(db.select(Submission))
    assert (submission.source, submission.instance_id, submission.answers["overall"]) == (
        "resident", "uuid:0c1f4f0e-5b7e-4c43-9d55-4a1f7f1b2c3d", "basic")
    again = client.post(f"/s/{token}/submission", data=_instance_xml(db, world.h1.code, instance_id="uuid:other"),
                        content_type="text/xml")
    assert again.status_code == 410 and again.json["problem"] == "satisfaction.link_gone"
    assert client.get(f"/s/{token}/form.xml").status_code == 410


@pytest.mark.parametrize("body, status", [
    (b"<not xml", 400), (b"", 400),
    ("other-household", 403),
])
def test_form_engine_submission_refuses_bad_xml_and_other_households(issue, client, db, world, body, status):
    """Refused through the one ingest pipeline: the answer is quarantined with its bytes, the link stays usable."""
    from server.submissions.models import QuarantineItem
    token = issue().json["links"][0]["token"]
    if body == "other-household":
        body = _instance_xml(db, world.h2.code)
    response = client.post(f"/s/{token}/submission", data=body, content_type="text/xml")
    assert response.status_code == status
    assert db.session.scalar(db.select(db.func.count(Submission.id))) == 0
    quarantined = db.session.scalars(db.select(QuarantineItem)).one()
    assert (quarantined.protocol, quarantined.payload) == ("resident", body)
    assert client.get(f"/s/{token}").status_code == 200
