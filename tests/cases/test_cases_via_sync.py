"""End to end through device sync: a pushed visit's demands become cases through the submission lifecycle."""
import uuid
from datetime import timedelta

import pytest

from server.cases.models import Case
from server.models_base import utcnow

pytest.importorskip("server.submissions.ingest")

DEMANDS = [
    {"category": "housing", "text": "修缮屋顶", "is_micro_wish": "no"},
    {"category": "education", "text": "想要一个新书包", "is_micro_wish": "yes"},
]


def _item(world, answers, instance_id=None, deprecated_id=None, minutes_ago=5):
    item = {"instance_id": instance_id or f"uuid:{uuid.uuid4()}", "form_id": "visit",
            "household_id": world.h1.id,
            "captured_at": (utcnow() - timedelta(minutes=minutes_ago)).isoformat(),
            "location": {"lat": world.h1.lat + 0.00007, "lon": world.h1.lon, "accuracy": 5.0},
            "answers": dict({"household": world.h1.code,
                             "location": f"{world.h1.lat} {world.h1.lon} 0 5"}, **answers),
            "attachments": []}
    if deprecated_id:
        item["deprecated_id"] = deprecated_id
    return item


def _push(client, headers, *items):
    response = client.post("/api/v1/sync/push", headers=headers, json={"submissions": list(items)})
    assert response.status_code == 200, response.json
    return response.json["results"]


def _cases(db, world):
    return db.session.scalars(db.select(Case).filter_by(household_id=world.h1.id).order_by(Case.id)).all()


def test_pushed_visit_creates_cases_once_and_edits_do_not_duplicate(client, world, token_for, db):
    headers = token_for(world.cadre)
    first = _item(world, {"demands": DEMANDS})
    assert _push(client, headers, first)[0]["status"] == "accepted"
    assert [c.text for c in _cases(db, world)] == ["修缮屋顶", "想要一个新书包"]
    assert _push(client, headers, first)[0]["status"] == "duplicate"
    edit = _item(world, {"demands": DEMANDS, "concerns": "补充"}, deprecated_id=first["instance_id"])
    assert _push(client, headers, edit)[0]["status"] == "accepted"
    cases = _cases(db, world)
    assert len(cases) == 2 and {c.source_key for c in cases} == {f"{first['instance_id']}#0",
                                                                  f"{first['instance_id']}#1"}


def test_pushed_visit_answer_confirms_resolved_cases(client, world, token_for, db):
    headers = token_for(world.cadre)
    _push(client, headers, _item(world, {"demands": DEMANDS[:1]}, minutes_ago=60))
    case = _cases(db, world)[0]
    for status in ("claimed", "resolved"):
        assert client.patch(f"/api/v1/cases/{case.id}", headers=headers, json={"status": status}).status_code == 200
    assert _push(client, headers, _item(world, {"cases_confirmed": "yes"}, minutes_ago=0))[0]["status"] == "accepted"
    db.session.refresh(case)
    assert case.status == "confirmed"


def test_pushed_surveyor_unsatisfied_answer_opens_a_case_for_the_manager(client, world, token_for, db):
    item = {"instance_id": f"uuid:{uuid.uuid4()}", "form_id": "satisfaction", "household_id": world.h1.id,
            "captured_at": utcnow().isoformat(), "attachments": [],
            "answers": {"household": world.h1.code, "overall": "unsatisfied", "attitude": "2", "help": "2",
                        "frequency": "1"}}
    result = _push(client, token_for(world.surveyor), item)[0]
    assert result["status"] == "accepted", result
    case = db.session.scalar(db.select(Case).filter_by(household_id=world.h1.id))
    assert case.category == "satisfaction" and case.assignee_id == world.v1_manager.id
    cadre_view = client.get("/api/v1/cases", headers=token_for(world.cadre)).json
    assert cadre_view == []


def test_cadres_open_cases_reach_the_device_in_the_pull_and_the_case_list(client, world, token_for, db):
    from server.cases.services import open_case
    open_case(None, world.h1, text="修缮屋顶", category="housing")
    open_case(None, world.h1, text="想要一个新书包", category="education", is_micro_wish=True)
    open_case(None, world.h3, text="别人的农户", category="other")
    db.session.commit()
    headers = token_for(world.cadre)
    pulled = client.get("/api/v1/sync/pull", headers=headers).json
    counts = {h["code"]: h["open_cases"] for h in pulled["households"]}
    assert counts == {world.h1.code: 2, world.h2.code: 0}
    listed = client.get("/api/v1/cases?status=open", headers=headers).json
    assert sorted(c["text"] for c in listed) == ["修缮屋顶", "想要一个新书包"]
