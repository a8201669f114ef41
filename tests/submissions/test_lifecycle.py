"""A submission's life through the real protocols and the review API, and what it changes elsewhere:
the household's last counted visit (and so the overdue list), audit entries, and quarantine."""
from datetime import datetime, timedelta, timezone

import pytest

from server.audit.models import AuditEntry
from server.households.models import Household
from server.submissions.models import QuarantineItem, Submission
from tests.sync.conftest import device_token, new_id, offset, post_xml, served_xform, visit_xml  # noqa: F401

FAR = 2_000  # metres north of the household: a far visit


def _last(db, household):
    db.session.expire_all()
    return db.session.get(Household, household.id).last_counted_visit_at


def _item(household, captured_at, *, north_m=5, **extra):
    lat, lon = offset(household.lat, household.lon, north_m=north_m)
    return {"instance_id": new_id(), "form_id": "visit", "household_id": household.id,
            "captured_at": captured_at.isoformat(), "location": {"lat": lat, "lon": lon, "accuracy": 6.0},
            "answers": {"visit_type": "routine", "people_met": "head"}, **extra}


def _push(client, headers, *items):
    response = client.post("/api/v1/sync/push", json={"submissions": list(items)}, headers=headers)
    assert response.status_code == 200, response.json
    return response.json["results"]


def _overdue_codes(client, headers, area):
    listed = client.get(f"/api/v1/coverage/households?period=2026&area={area.id}&status=overdue", headers=headers)
    assert listed.status_code == 200, listed.json
    return sorted(h["code"] for h in listed.json)


def test_an_edit_that_stops_a_visit_counting_moves_the_last_visit_back(client, world, device_token, visit_xml,
                                                                         post_xml, db, token_for, app, monkeypatch):
    """An edit over OpenRosa (meta/deprecatedID) that puts the visit 2 km away: the household's last
    counted visit goes back to the one before, and the household is overdue again."""
    monkeypatch.setitem(app.config, "MAX_OFFLINE_DAYS", 365)  # the first visit synced months late
    monkeypatch.setitem(app.config, "LATE_GRACE_DAYS", 365)  # ... and is not held as a late entry (补录)
    token = device_token(world.cadre)
    old = visit_xml(token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon, minutes_ago=60 * 24 * 120)
    assert post_xml(token, old).status_code == 201
    first = _last(db, world.h1)
    original_id = new_id()
    recent = visit_xml(token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon, instance_id=original_id)
    assert post_xml(token, recent).status_code == 201
    assert _last(db, world.h1) > first
    manager = token_for(world.manager)
    assert "SZ01-001" not in _overdue_codes(client, manager, world.town)

    lat, lon = offset(world.h1.lat, world.h1.lon, north_m=FAR)
    edit = visit_xml(token, world.h1, lat=lat, lon=lon, deprecated_id=original_id)
    assert post_xml(token, edit).status_code == 201
    current = db.session.scalars(db.select(Submission).filter_by(is_current=True, household_id=world.h1.id)
                                 .order_by(Submission.captured_at.desc())).first()
    assert (current.geo_status, current.review_state) == ("far", "edited")
    assert _last(db, world.h1) == first  # 120 days ago: past the ordinary 90-day policy
    assert "SZ01-001" in _overdue_codes(client, manager, world.town)
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)
                             .filter_by(action="submission.edit")) == 1


def test_an_edit_that_starts_a_visit_counting_moves_the_last_visit_on(client, world, token_for, db):
    headers = token_for(world.cadre)
    captured = datetime.now(timezone.utc) - timedelta(days=3)
    far = _item(world.h2, captured, north_m=FAR)
    assert _push(client, headers, far)[0]["geo"]["status"] == "far"
    assert _last(db, world.h2) is None
    fixed = _item(world.h2, captured, deprecated_id=far["instance_id"])
    assert _push(client, headers, fixed)[0]["status"] == "accepted"
    assert _last(db, world.h2) == captured


def test_an_older_visit_arriving_later_does_not_move_the_last_visit_back(client, world, token_for, db):
    headers = token_for(world.cadre)
    newer = datetime.now(timezone.utc) - timedelta(days=2)
    older = newer - timedelta(days=20)
    assert _push(client, headers, _item(world.h1, newer))[0]["status"] == "accepted"
    assert _push(client, headers, _item(world.h1, older))[0]["status"] == "accepted"
    assert _last(db, world.h1) == newer
    # both in one batch, the older one last: the newest still wins (an hour after h1's: one cadre
    # is not at two houses at the same second)
    newer, older = newer + timedelta(hours=1), older + timedelta(hours=1)
    results = _push(client, headers, _item(world.h2, newer), _item(world.h2, older))
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    assert _last(db, world.h2) == newer


def test_rejection_and_restore_recompute_the_last_visit(client, world, token_for, db):
    cadre, manager = token_for(world.cadre), token_for(world.manager)
    older = datetime.now(timezone.utc) - timedelta(days=10)
    newer = datetime.now(timezone.utc) - timedelta(days=1)
    _push(client, cadre, _item(world.h1, older))
    submission_id = _push(client, cadre, _item(world.h1, newer))[0]["submission_id"]
    rejected = client.patch(f"/api/v1/submissions/{submission_id}", json={"review_state": "rejected"},
                            headers=manager)
    assert rejected.status_code == 200
    assert _last(db, world.h1) == older
    restored = client.patch(f"/api/v1/submissions/{submission_id}", json={"review_state": "approved"},
                            headers=manager)
    assert restored.status_code == 200
    assert _last(db, world.h1) == newer
    actions = db.session.scalars(db.select(AuditEntry.action).filter_by(target_type="submission", target_id=str(submission_id))
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["submission.create", "submission.review", "submission.review"]


def test_a_re_evaluated_verdict_stops_a_visit_counting(client, world, token_for, db):
    from server.submissions import lifecycle
    captured = datetime.now(timezone.utc) - timedelta(days=1)
    result = _push(client, token_for(world.cadre), _item(world.h1, captured))[0]
    assert _last(db, world.h1) == captured
    submission = db.session.get(Submission, result["submission_id"])
    changed = lifecycle.set_verdicts(world.manager, [lifecycle.Verdict(submission, "suspect", "speed")])
    db.session.commit()
    assert changed == [submission] and _last(db, world.h1) is None
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="submission.verdict")).one()
    assert entry.details == {"geo_status": "suspect", "previous": "verified", "reason": "speed"}


def test_a_resident_answer_is_stored_by_ingest_with_an_audit_entry(client, world, token_for, db):
    from server.satisfaction.models import SatisfactionLink
    issued = client.post("/api/v1/satisfaction/links", json={"area_id": world.v1.id, "period": _this_quarter()},
                         headers=token_for(world.manager))
    assert issued.status_code == 201, issued.json
    link = issued.json["links"][0]
    answered = client.post(f"/s/{link['token']}", data={"overall": "satisfied", "attitude": "5", "help": "4",
                                                        "frequency": "5"})
    assert answered.status_code == 201, answered.get_data(as_text=True)
    stored = db.session.scalars(db.select(Submission).filter_by(source="resident")).one()
    entry = db.session.scalars(db.select(AuditEntry).filter_by(target_type="submission", target_id=str(stored.id))).one()
    assert entry.action == "submission.create" and entry.actor_id is None
    assert entry.details["source"] == "resident" and entry.details["form_id"] == "satisfaction"
    assert stored.rated_cadre_id == world.cadre.id and stored.is_self_rated is False
    used = db.session.scalars(db.select(SatisfactionLink).filter(SatisfactionLink.used_at.is_not(None))).one()
    assert used.submission_id == stored.id and used.household_id == link["household_id"]


def _this_quarter():
    from server.coverage.periods import current_quarter
    return current_quarter().label


POISONS = {
    "nul": lambda item: item["answers"].update(concerns="水管\x00坏了"),
    "control": lambda item: item["answers"].update(concerns="bell\x07"),
    "deep": None,  # built as raw text below
    "surrogate": None,
    "huge": lambda item: item.update(household_id=2**70),
    "huge_answer": lambda item: item["answers"].update(people_met=2**70),
    "nan": None,
}


def _poisoned_body(world, kind) -> tuple[bytes, dict, dict]:
    """A batch of three whose middle item is poisoned, as raw JSON bytes."""
    import json
    now = datetime.now(timezone.utc) - timedelta(hours=1)
    good1, bad, good2 = _item(world.h1, now), _item(world.h2, now), _item(world.h1, now - timedelta(hours=1))
    if POISONS.get(kind):
        POISONS[kind](bad)
        middle = json.dumps(bad, ensure_ascii=False)
    elif kind == "deep":
        bad["answers"]["concerns"] = "__DEEP__"
        middle = json.dumps(bad).replace('"__DEEP__"', "[" * 10_000 + "]" * 10_000)
    elif kind == "surrogate":
        bad["answers"]["concerns"] = "__S__"
        middle = json.dumps(bad).replace("__S__", "\\ud800")
    else:  # nan
        bad["location"]["accuracy"] = "__NAN__"
        middle = json.dumps(bad).replace('"__NAN__"', "NaN")
    body = '{"submissions": [' + json.dumps(good1) + ", " + middle + ", " + json.dumps(good2) + "]}"
    return body.encode("utf-8"), bad, good1


@pytest.mark.parametrize("kind", sorted(POISONS))
def test_one_poisoned_item_is_rejected_and_quarantined_alone(client, world, token_for, db, kind):
    body, bad, _ = _poisoned_body(world, kind)
    headers = {**token_for(world.cadre), "Content-Type": "application/json"}
    response = client.post("/api/v1/sync/push", data=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    results = response.json["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"], results
    assert results[1]["instance_id"] == bad["instance_id"] and results[1]["errors"]
    quarantined = db.session.scalars(db.select(QuarantineItem)).one()
    assert quarantined.protocol == "json" and quarantined.instance_id == bad["instance_id"]
    assert bad["instance_id"].encode() in quarantined.payload
    assert db.session.scalar(db.select(db.func.count(Submission.id))) == 2
    again = client.post("/api/v1/sync/push", data=body, headers=headers).json["results"]
    assert [r["status"] for r in again] == ["duplicate", "rejected", "duplicate"]


@pytest.mark.parametrize("body, status", [
    (b"not json at all", 400), (b'{"submissions": {"a": 1}}', 400), (b"[1, 2]", 400), (b"\xff\xfe", 400),
    (b'{"submissions": [' + b",".join([b"{}"] * 101) + b"]}", 413),
])
def test_a_body_that_is_not_a_batch_is_refused_and_quarantined(client, world, token_for, db, body, status):
    headers = {**token_for(world.cadre), "Content-Type": "application/json"}
    response = client.post("/api/v1/sync/push", data=body, headers=headers)
    assert response.status_code == status and response.json["problem"]
    quarantined = db.session.scalars(db.select(QuarantineItem)).one()
    assert quarantined.payload == body and quarantined.user_id == world.cadre.id


def test_an_instance_id_too_long_to_store_is_refused_not_cut(world, device_token, visit_xml, post_xml, db):
    token = device_token(world.cadre)
    long_id = "uuid:" + "a" * 120
    response = post_xml(token, visit_xml(token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon, instance_id=long_id))
    assert response.status_code == 400 and b"instanceID" in response.data
    assert db.session.scalar(db.select(db.func.count(Submission.id))) == 0
    assert long_id.encode() in db.session.scalars(db.select(QuarantineItem)).one().payload


def test_xml_in_another_encoding_is_read_by_its_declaration_and_kept_exactly(world, device_token, visit_xml,
                                                                             post_xml, db, app):
    from server.submissions import storage
    token = device_token(world.cadre)
    text = visit_xml(token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon, concerns="屋顶漏水").decode("utf-8")
    text = text.replace("<?xml version='1.0' encoding='UTF-8'?>", "").replace('<?xml version="1.0" encoding="UTF-8"?>', "")
    payload = ("<?xml version='1.0' encoding='GB18030'?>" + text).encode("gb18030")
    assert post_xml(token, payload).status_code == 201
    stored = db.session.scalars(db.select(Submission)).one()
    assert stored.answers["concerns"] == "屋顶漏水" and "屋顶漏水" in stored.raw_xml
    with storage.open_bytes(stored.content_hash) as fh:
        assert fh.read() == payload


def test_a_batch_audits_each_submission_it_stores(client, world, token_for, db):
    """One audit entry per stored submission of a JSON batch (written in one statement on
    PostgreSQL), with who, what and the verdict; a duplicate resend audits nothing more."""
    headers = token_for(world.cadre)
    captured = datetime.now(timezone.utc) - timedelta(hours=5)
    items = [_item(world.h1, captured), _item(world.h2, captured + timedelta(minutes=20), north_m=FAR)]
    results = _push(client, headers, *items)
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    stored = {s.instance_id: s for s in db.session.scalars(db.select(Submission))}
    entries = db.session.scalars(db.select(AuditEntry).filter_by(action="submission.create")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.target_type, e.target_id) for e in entries] == [
        (world.cadre.id, "submission", str(stored[i["instance_id"]].id)) for i in items]
    assert [e.details for e in entries] == [
        {"instance_id": i["instance_id"], "form_id": "visit", "version": stored[i["instance_id"]].form_version.version,
         "household_id": i["household_id"], "geo_status": status, "source": "json"}
        for i, status in zip(items, ("verified", "far"))]
    assert all(e.created_at is not None and e.created_at.tzinfo is not None for e in entries)
    assert [r["status"] for r in _push(client, headers, *items)] == ["duplicate", "duplicate"]
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)
                             .filter_by(action="submission.create")) == 2
