"""JSON sync: pull with a cursor, push batches (retries, conflicts, validation), attachments, concurrency."""
import hashlib
import itertools
import threading
from datetime import datetime, timedelta, timezone

from forms.answers import build_instance_xml
from server.submissions.models import Attachment, QuarantineItem, Submission
from tests.sync.conftest import new_id


def _count(db, model, **filters):
    return db.session.scalar(db.select(db.func.count()).select_from(model).filter_by(**filters))


_SPACING = itertools.count()


def _item(world, household=None, **extra):
    """A visit 8 m from the house; successive items are captured 20 minutes apart, as a cadre walks."""
    household = household or world.h1
    return {"instance_id": new_id(), "form_id": "visit", "household_id": household.id,
            "captured_at": (datetime.now(timezone.utc) - timedelta(minutes=5 + 20 * (next(_SPACING) % 50))).isoformat(),
            "location": {"lat": household.lat + 0.00007, "lon": household.lon, "accuracy": 6.5},
            "answers": {"visit_type": "routine", "people_met": "head spouse",
                        "demands": [{"category": "medical", "text": "a doctor visit", "is_micro_wish": "no"}]},
            **extra}


def test_pull_without_cursor_gives_forms_and_linked_households(client, world, token_for):
    body = client.get("/api/v1/sync/pull", headers=token_for(world.cadre)).json
    assert [f["id"] for f in body["forms"]] == ["visit"] and body["forms"][0]["hash"].startswith("md5:")
    assert [h["code"] for h in body["households"]] == ["SZ01-001", "SZ01-002"]
    first = body["households"][0]
    assert first["location"]["lat"] == world.h1.lat and first["open_cases"] == 0 and first["due_date"] is None
    assert body["more"] is False and body["removed_households"] == []
    again = client.get(f"/api/v1/sync/pull?cursor={body['cursor']}", headers=token_for(world.cadre)).json
    assert again["households"] == [] or all(h["code"].startswith("SZ01") for h in again["households"])


def test_pull_pages_with_more(client, world, token_for, monkeypatch):
    from sync import services
    monkeypatch.setattr(services, "PULL_PAGE", 1)
    headers = token_for(world.cadre)
    page1 = client.get("/api/v1/sync/pull", headers=headers).json
    page2 = client.get(f"/api/v1/sync/pull?cursor={page1['cursor']}", headers=headers).json
    assert (page1["more"], [h["code"] for h in page1["households"]]) == (True, ["SZ01-001"])
    assert (page2["more"], [h["code"] for h in page2["households"]]) == (False, ["SZ01-002"])


def test_bad_cursor_is_a_400_problem(client, world, token_for):
    response = client.get("/api/v1/sync/pull?cursor=garbage!", headers=token_for(world.cadre))
    assert response.status_code == 400 and response.json["problem"] == "request.invalid"


def test_push_batch_replayed_three_times_leaves_one_row_per_instance(client, world, token_for, db):
    headers = token_for(world.cadre)
    batch = [_item(world), _item(world, world.h2), _item(world)]
    statuses = []
    for _ in range(3):
        response = client.post("/api/v1/sync/push", json={"submissions": batch}, headers=headers)
        assert response.status_code == 200
        statuses.append([r["status"] for r in response.json["results"]])
    assert statuses == [["accepted"] * 3, ["duplicate"] * 3, ["duplicate"] * 3]
    assert _count(db, Submission) == 3 and _count(db, QuarantineItem) == 0
    results = response.json["results"]
    assert [r["instance_id"] for r in results] == [i["instance_id"] for i in batch]
    assert results[0]["geo"] == {"status": "verified", "distance_m": 7.8}


def test_push_item_becomes_xml_like_an_openrosa_submission(client, world, token_for, db):
    item = _item(world)
    client.post("/api/v1/sync/push", json={"submissions": [item]}, headers=token_for(world.cadre))
    stored = db.session.scalars(db.select(Submission)).one()
    form = client.get("/api/v1/forms/visit.xml", headers=token_for(world.cadre)).data
    expected = build_instance_xml(form, {**item["answers"], "household": world.h1.code,
                                         "location": {**item["location"], "altitude": None}}, item["instance_id"])
    assert stored.raw_xml.encode() == expected and stored.source == "json"
    assert stored.answers["household"] == "SZ01-001"
    assert stored.answers["demands"] == [{"category": "medical", "text": "a doctor visit", "is_micro_wish": "no"}]


def test_push_results_in_order_with_conflict_and_rejections(client, world, token_for, db):
    headers = token_for(world.cadre)
    first = _item(world)
    client.post("/api/v1/sync/push", json={"submissions": [first]}, headers=headers)
    changed = {**first, "answers": {"visit_type": "holiday"}}
    bad = _item(world, answers={"visit_type": "party", "nope": 1})
    foreign = _item(world, world.h3)
    response = client.post("/api/v1/sync/push", json={"submissions": [changed, bad, foreign, "junk", _item(world)]},
                           headers=headers)
    results = response.json["results"]
    assert [r["status"] for r in results] == ["conflict", "rejected", "rejected", "rejected", "accepted"]
    assert {e["path"] for e in results[1]["errors"]} == {"visit_type", "nope"}
    assert results[2]["errors"][0]["problem"] == "submission.household_forbidden"
    reasons = sorted(db.session.scalars(db.select(QuarantineItem.reason)))
    assert reasons == sorted(["submission.conflict", "request.validation", "submission.household_forbidden",
                              "request.validation"])
    assert _count(db, Submission) == 2


def test_push_over_the_limit_is_refused_clearly(client, world, token_for, db):
    response = client.post("/api/v1/sync/push", json={"submissions": [_item(world) for _ in range(101)]},
                           headers=token_for(world.cadre))
    assert response.status_code == 413 and response.json["problem"] == "request.too_large"
    assert _count(db, Submission) == 0


def test_push_needs_a_token(client, world):
    assert client.post("/api/v1/sync/push", json={"submissions": []}).status_code == 401


def test_attachments_put_checks_sha256(client, world, token_for, db):
    headers = token_for(world.cadre)
    photo = b"\xff\xd8jpeg bytes"
    digest = hashlib.sha256(photo).hexdigest()
    item = _item(world, attachments=[{"name": "p.jpg", "size": len(photo), "sha256": digest,
                                      "content_type": "image/jpeg"}])
    item["answers"]["photo"] = "p.jpg"
    result = client.post("/api/v1/sync/push", json={"submissions": [item]}, headers=headers).json["results"][0]
    assert result["missing_attachments"] == ["p.jpg"]
    url = f"/api/v1/sync/attachments/{item['instance_id']}/p.jpg"
    wrong = client.put(url, data=b"other bytes", headers=headers)
    assert wrong.status_code == 400 and wrong.json["problem"] == "attachment.mismatch"
    created = client.put(url, data=photo, headers=headers)
    assert created.status_code == 201 and created.json["is_received"] is True
    assert client.put(url, data=photo, headers=headers).status_code == 200
    assert client.put(url, data=photo, headers=token_for(world.cadre2)).status_code == 404
    assert _count(db, Attachment, is_received=True) == 1
    again = client.post("/api/v1/sync/push", json={"submissions": [item]}, headers=headers).json["results"][0]
    assert again["status"] == "duplicate" and again["missing_attachments"] == []


def test_satisfaction_by_surveyor_rates_the_linked_cadre(client, world, token_for, db):
    item = {"instance_id": new_id(), "form_id": "satisfaction", "household_id": world.h1.id,
            "captured_at": datetime.now(timezone.utc).isoformat(),
            "answers": {"overall": "satisfied", "attitude": "5", "help": "4", "frequency": "4"}}
    from server.surveys.services import fields_for, current_version
    choices = next(f.choices for f in fields_for(current_version("satisfaction")) if f.path == "overall")
    item["answers"]["overall"] = choices[0]["name"]
    surveyor = client.post("/api/v1/sync/push", json={"submissions": [item]}, headers=token_for(world.surveyor))
    assert surveyor.json["results"][0]["status"] == "accepted", surveyor.json
    own = {**item, "instance_id": new_id()}
    client.post("/api/v1/sync/push", json={"submissions": [own]}, headers=token_for(world.cadre))
    rows = db.session.scalars(db.select(Submission).order_by(Submission.id)).all()
    assert [(s.rated_cadre_id, s.is_self_rated) for s in rows] == [(world.cadre.id, False), (world.cadre.id, True)]


def _race(app, count, send):
    barrier = threading.Barrier(count)
    statuses = []

    def run():
        client = app.test_client()
        barrier.wait()
        statuses.append(send(client))
    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_two_concurrent_openrosa_posts_leave_one_row(app, world, device_token, visit_xml, db):
    from io import BytesIO
    token = device_token(world.cadre)
    xml = visit_xml(token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon)

    def send(client):
        return client.post(f"/key/{token}/openrosa/submission", content_type="multipart/form-data",
                           data={"xml_submission_file": (BytesIO(xml), "s.xml", "text/xml")}).status_code
    for _ in range(3):
        assert _race(app, 2, send) == [201, 201]
    db.session.expire_all()
    assert _count(db, Submission) == 1 and _count(db, QuarantineItem) == 0


def test_two_concurrent_pushes_of_one_batch_leave_one_row_each(app, world, token_for, db):
    headers = token_for(world.cadre)
    batch = [_item(world), _item(world, world.h2)]

    def send(client):
        response = client.post("/api/v1/sync/push", json={"submissions": batch}, headers=headers)
        return sorted(r["status"] for r in response.json["results"])
    statuses = _race(app, 2, send)
    assert sorted(statuses) == [["accepted", "accepted"], ["duplicate", "duplicate"]]
    db.session.expire_all()
    assert _count(db, Submission) == 2


def test_insert_race_is_resolved_as_duplicate_after_integrity_error(app, world, device_token, visit_xml, db,
                                                                     monkeypatch):
    """Both requests take the lone item as new (no look-up of its instanceID on a first attempt), both
    insert: the loser's INSERT is refused by the unique instanceID, it rolls back, runs again with the
    look-up, finds the winner's row and answers 201."""
    from io import BytesIO
    from server.submissions import ingest
    token = device_token(world.cadre)
    app.test_client().head(f"/key/{token}/openrosa/submission")  # last_seen set now, not during the race
    xml = visit_xml(token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon)
    barrier, calls = threading.Barrier(2), []
    original_existing, original_insert = ingest._existing, ingest.inserts.insert_checked

    def existing(ids):
        found = original_existing(ids)
        calls.append(bool(found))
        return found

    def insert_together(created, alone=False):
        if not calls:  # both first attempts reach their INSERT before either has stored anything
            barrier.wait(timeout=20)
        return original_insert(created, alone)
    monkeypatch.setattr(ingest, "_existing", existing)
    monkeypatch.setattr(ingest.inserts, "insert_checked", insert_together)

    def send(client):
        return client.post(f"/key/{token}/openrosa/submission", content_type="multipart/form-data",
                           data={"xml_submission_file": (BytesIO(xml), "s.xml", "text/xml")}).status_code
    assert _race(app, 2, send) == [201, 201]
    assert calls == [True]  # only the loser's second attempt looked, and found the winner's row
    db.session.expire_all()
    assert _count(db, Submission) == 1 and _count(db, QuarantineItem) == 0


def test_a_resent_submission_is_a_duplicate_and_changes_nothing(app, world, device_token, visit_xml, db):
    """The same bytes sent again (the phone never saw the first answer): 201 again, one record, one
    audit entry, the household's coverage as after the first."""
    from io import BytesIO
    from server.audit.models import AuditEntry
    from server.coverage.models import CoverageMonth
    token = device_token(world.cadre)
    xml = visit_xml(token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon)

    def send():
        return app.test_client().post(f"/key/{token}/openrosa/submission", content_type="multipart/form-data",
                                      data={"xml_submission_file": (BytesIO(xml), "s.xml", "text/xml")})

    def state():
        db.session.expire_all()
        return (_count(db, Submission), _count(db, AuditEntry),
                sorted((m.household_id, m.month, m.visits, m.counted) for m in db.session.scalars(db.select(CoverageMonth))))
    first = send()
    assert first.status_code == 201
    after_first = state()
    again = send()
    assert again.status_code == 201 and b"already" in again.data.lower(), again.data
    assert state() == after_first and after_first[0] == 1


def test_a_resend_after_the_household_moved_to_another_cadre_is_still_a_duplicate(app, world, device_token,
                                                                                    visit_xml, db):
    """The phone never saw the first answer; meanwhile the household was linked to another cadre, so a
    new visit by this cadre would be refused: the resend is answered as the duplicate it is (201),
    nothing quarantined (the item taken as new is looked up once it is refused)."""
    from io import BytesIO
    from server.households.services import link_cadre
    token = device_token(world.cadre)
    xml = visit_xml(token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon)

    def send():
        return app.test_client().post(f"/key/{token}/openrosa/submission", content_type="multipart/form-data",
                                      data={"xml_submission_file": (BytesIO(xml), "s.xml", "text/xml")})
    assert send().status_code == 201
    link_cadre(world.h1, world.cadre2.id, actor=world.admin)
    db.session.commit()
    again = send()
    assert again.status_code == 201 and b"already" in again.data.lower(), again.data
    db.session.expire_all()
    assert _count(db, Submission) == 1 and _count(db, QuarantineItem) == 0


def test_rejected_push_item_is_reprocessed_after_publishing_its_form(client, world, token_for, db):
    from forms.xlsform import convert
    from server.surveys.services import publish
    item = {"instance_id": new_id(), "form_id": "census", "form_version": "1", "captured_at": "2026-11-20T08:00:00Z",
            "answers": {"people": "4"}}
    result = client.post("/api/v1/sync/push", json={"submissions": [item]},
                         headers=token_for(world.cadre)).json["results"][0]
    assert result["status"] == "rejected" and result["errors"][0]["problem"] == "form.not_found"
    quarantined = db.session.scalars(db.select(QuarantineItem)).one()
    detail = client.get(f"/api/v1/quarantine/{quarantined.id}", headers=token_for(world.admin)).json
    assert detail["protocol"] == "json" and '"census"' in detail["payload"]
    publish(None, convert({"survey": [{"type": "integer", "name": "people", "label": "People"}],
                           "settings": [{"form_id": "census", "version": "1"}]}), kind="other")
    db.session.commit()
    done = client.post(f"/api/v1/quarantine/{quarantined.id}/reprocess", headers=token_for(world.admin))
    assert done.status_code == 200 and done.json["resolved_submission_id"]
    stored = db.session.get(Submission, done.json["resolved_submission_id"])
    assert stored.answers == {"people": "4"} and stored.source == "json" and stored.device_id is not None
