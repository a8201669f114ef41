"""A resident's 不满意 answer opens a follow-up case for the manager; it changes nothing the rated cadre
can see: the JSON pull (counts and changed households), households.csv, the case list (DESIGN §7)."""
import csv
import io

import pytest

from server.cases import services as cases
from server.cases.models import Case
from server.coverage.periods import current_quarter

ANSWER = {"overall": "unsatisfied", "attitude": "1", "help": "2", "frequency": "1", "comment": "很少来"}


def _pull(client, headers, cursor=None):
    query = f"?cursor={cursor}" if cursor else ""
    response = client.get(f"/api/v1/sync/pull{query}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def _counts(body):
    return {h["code"]: h["open_cases"] for h in body["households"]}


@pytest.fixture
def resident_follow_up(client, world, token_for, db):
    """Pull as the cadre, then a resident of h1 answers 不满意 through the one-time link."""
    headers = token_for(world.cadre)
    before = _pull(client, headers)
    issued = client.post("/api/v1/satisfaction/links", headers=token_for(world.v1_manager),
                         json={"area_id": world.v1.id, "period": current_quarter().label})
    assert issued.status_code == 201, issued.json
    token = next(link["token"] for link in issued.json["links"] if link["code"] == world.h1.code)
    assert client.post(f"/s/{token}", data=ANSWER).status_code == 201
    case = db.session.scalar(db.select(Case).filter_by(category=cases.FOLLOW_UP_CATEGORY))
    assert case is not None and case.household_id == world.h1.id
    return headers, before, case


def test_resident_answer_changes_nothing_in_the_cadres_pull(resident_follow_up, client):
    headers, before, _ = resident_follow_up
    again = _pull(client, headers)
    assert _counts(again) == _counts(before) and _counts(again)  # the cadre has households, none counts it
    since = _pull(client, headers, before["cursor"])
    assert since["households"] == [] or _counts(since) == {c: n for c, n in _counts(before).items()
                                                           if c in _counts(since)}


def test_follow_up_stays_hidden_even_when_assigned_resolved_or_claimed(resident_follow_up, client, token_for,
                                                                       world, db):
    headers, before, case = resident_follow_up
    # the manager hands it to the cadre and resolves it: still nothing in the cadre's app
    case.assignee_id = world.cadre.id
    db.session.commit()
    assert client.get("/api/v1/cases", headers=headers).json == []
    assert client.get(f"/api/v1/cases/{case.id}", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/cases/{case.id}", headers=headers, json={"status": "claimed"}).status_code == 404
    manager = token_for(world.v1_manager)
    for status in ("claimed", "resolved"):
        assert client.patch(f"/api/v1/cases/{case.id}", headers=manager, json={"status": status}).status_code == 200
    assert _counts(_pull(client, headers)) == _counts(before)
    from server.extensions import db as _db
    from sync.services import households_csv
    with client.application.test_request_context():
        text, _ = households_csv(world.cadre)
    rows = {row["name"]: row["pending_cases"] for row in csv.DictReader(io.StringIO(text))}
    assert rows[world.h1.code] == "0"
    assert _db.session.get(Case, case.id).status == "resolved"


def test_the_cadres_own_cases_still_count(client, world, token_for, db):
    cases.open_case(None, world.h1, text="修缮屋顶", category="housing")
    db.session.commit()
    body = _pull(client, token_for(world.cadre))
    assert _counts(body)[world.h1.code] == 1
    listed = client.get("/api/v1/cases", headers=token_for(world.cadre)).json
    assert [c["text"] for c in listed] == ["修缮屋顶"]
