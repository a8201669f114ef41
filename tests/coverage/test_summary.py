"""The coverage summary equals a recomputation from the raw visits, whatever happens to them: a
randomized sequence of stores (JSON push), edits (deprecated_id), rejections and restores (review
over HTTP), checked against Python's own reading of the submissions and against the reports."""
import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from server.coverage.models import CoverageMonth
from server.coverage.summary import FLAGGED_GEO_STATUSES, check_summary, rebuild_summary, zone_offsets
from server.submissions.models import Submission


def expected_rows(db, app) -> dict:
    """The summary as plain Python computes it from the submissions (zoneinfo for local months)."""
    tz = ZoneInfo(app.config["TIMEZONE"])
    counted_statuses = app.config["COUNTED_GEO_STATUSES"]
    rows = defaultdict(lambda: [0, 0, 0, 0])
    for s in db.session.scalars(db.select(Submission).where(Submission.kind == "visit",
                                                            Submission.is_current.is_(True))):
        local = s.captured_at.astimezone(tz)
        row = rows[(s.household_id, local.year * 100 + local.month, s.submitter_id or 0)]
        row[0] += 1
        if s.review_state != "rejected" and s.geo_status in counted_statuses:
            row[1] += 1
            row[2] |= 1 << (local.day - 1)
        row[3] += s.geo_status in FLAGGED_GEO_STATUSES
    return {k: tuple(v) for k, v in rows.items()}


def stored_rows(db) -> dict:
    return {(r.household_id, r.month, r.submitter_id): (r.visits, r.counted, r.counted_days, r.flagged)
            for r in db.session.scalars(db.select(CoverageMonth))}


def expected_visited(db, app, start, end) -> set:
    """Households with a counted visit captured in [start, end)."""
    return {s.household_id for s in db.session.scalars(db.select(Submission).where(
        Submission.kind == "visit", Submission.is_current.is_(True), Submission.review_state != "rejected",
        Submission.geo_status.in_(app.config["COUNTED_GEO_STATUSES"])))
        if start <= s.captured_at < end}


#: local midnights around month ends, where a wrong time zone shows
EDGES = [datetime(2026, m, 1, tzinfo=ZoneInfo("Asia/Shanghai")) for m in range(7, 12)]


def _captured(rng) -> datetime:
    if rng.random() < 0.5:  # within a few minutes of a local month boundary
        return (rng.choice(EDGES) + timedelta(minutes=rng.uniform(-30, 30))).astimezone(timezone.utc)
    return datetime(2026, 7, 1, tzinfo=timezone.utc) + timedelta(minutes=rng.uniform(0, 150 * 24 * 60))


def _item(rng, household, deprecated_id=None):
    far = rng.random() < 0.25
    accuracy = rng.choice([5.0, 8.0, 12.0, 80.0])
    lat = household.lat + (0.01 if far else 0.0001)
    return {"instance_id": f"uuid:{uuid.uuid4()}", "form_id": "visit", "household_id": household.id,
            "captured_at": _captured(rng).isoformat(), "location": {"lat": lat, "lon": household.lon,
                                                                   "accuracy": accuracy},
            "answers": {"visit_type": "routine", "people_met": "head"},
            **({"deprecated_id": deprecated_id} if deprecated_id else {})}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_summary_equals_a_recomputation_after_random_stores_edits_rejections_restores(
        client, world, token_for, db, app, monkeypatch, seed):
    monkeypatch.setitem(app.config, "MAX_OFFLINE_DAYS", 1000)  # visits months back are not suspect
    rng = random.Random(seed)
    cadres = {world.cadre: [world.h1, world.h2], world.cadre2: [world.h3, world.h4]}
    headers = {cadre.id: token_for(cadre) for cadre in cadres}
    admin = token_for(world.admin)
    done = defaultdict(int)
    for step in range(40):
        current = db.session.scalars(db.select(Submission).where(Submission.is_current.is_(True))).all()
        roll = rng.random()
        if roll < 0.45 or not current:
            cadre = rng.choice(list(cadres))
            batch = [_item(rng, rng.choice(cadres[cadre])) for _ in range(rng.randint(1, 4))]
            response = client.post("/api/v1/sync/push", json={"submissions": batch}, headers=headers[cadre.id])
            assert [r["status"] for r in response.json["results"]] == ["accepted"] * len(batch), response.json
            done["store"] += len(batch)
        elif roll < 0.65:
            old = rng.choice(current)
            cadre = next(c for c in cadres if c.id == old.submitter_id)
            item = _item(rng, rng.choice(cadres[cadre]), deprecated_id=old.instance_id)  # may move household
            response = client.post("/api/v1/sync/push", json={"submissions": [item]}, headers=headers[cadre.id])
            assert response.json["results"][0]["status"] == "accepted", response.json
            done["edit"] += 1
        else:
            rejected = [s for s in current if s.review_state == "rejected"]
            if rejected and rng.random() < 0.5:
                target, state = rng.choice(rejected), rng.choice(["approved", "has_issues"])
                done["restore"] += 1
            else:
                target, state = rng.choice(current), "rejected"
                done["reject"] += 1
            response = client.patch(f"/api/v1/submissions/{target.id}", json={"review_state": state}, headers=admin)
            assert response.status_code == 200, response.json
        db.session.expire_all()
        assert stored_rows(db) == expected_rows(db, app), f"step {step}"
    assert min(done.values()) > 0 and len(done) == 4, dict(done)
    check = check_summary()
    assert (check["missing"], check["extra"]) == (0, 0) and check["rows"] == len(expected_rows(db, app))
    # the reports read the summary: a named quarter and a from/to range that cuts months
    for query, start, end in (
            ("period=2026-Q3", datetime(2026, 6, 30, 16, tzinfo=timezone.utc),
             datetime(2026, 9, 30, 16, tzinfo=timezone.utc)),
            ("from=2026-08-01&to=2026-10-15", datetime(2026, 7, 31, 16, tzinfo=timezone.utc),
             datetime(2026, 10, 15, 16, tzinfo=timezone.utc)),
            ("from=2026-09-03&to=2026-09-20", datetime(2026, 9, 2, 16, tzinfo=timezone.utc),
             datetime(2026, 9, 20, 16, tzinfo=timezone.utc))):
        report = client.get(f"/api/v1/coverage?{query}&area={world.town.id}&level=village", headers=admin).json
        visited = expected_visited(db, app, start, end)
        assert report["total"]["visited"] == len(visited & {world.h1.id, world.h2.id, world.h3.id, world.h4.id})
        listed = client.get(f"/api/v1/coverage/households?{query}&area={world.town.id}&status=visited",
                            headers=admin).json
        assert {h["id"] for h in listed} == visited


def test_check_finds_a_summary_out_of_step_and_rebuild_mends_it(client, world, token_for, db, app):
    item = {"instance_id": f"uuid:{uuid.uuid4()}", "form_id": "visit", "household_id": world.h1.id,
            "captured_at": (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat(),
            "location": {"lat": world.h1.lat + 0.00007, "lon": world.h1.lon, "accuracy": 5.0},
            "answers": {"visit_type": "routine", "people_met": "head"}}
    client.post("/api/v1/sync/push", json={"submissions": [item]}, headers=token_for(world.cadre))
    assert check_summary()["missing"] == 0 and check_summary()["rows"] == 1
    db.session.execute(db.update(CoverageMonth).values(counted=0))  # someone wrote past the owner
    db.session.execute(db.insert(CoverageMonth).values(household_id=world.h2.id, month=202601, submitter_id=0,
                                                       visits=1, counted=1, counted_days=1, flagged=0))
    db.session.commit()
    check = check_summary()
    assert (check["missing"], check["extra"], check["households"]) == (1, 2, [world.h1.id, world.h2.id])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["coverage", "check-summary"])
    assert result.exit_code == 1 and "differs" in result.output
    result = runner.invoke(args=["coverage", "rebuild-summary"])
    assert result.exit_code == 0 and "1 rows" in result.output, result.output
    db.session.expire_all()
    assert stored_rows(db) == expected_rows(db, app)
    result = runner.invoke(args=["coverage", "check-summary"])
    assert result.exit_code == 0 and "matches" in result.output


def test_zone_offsets_follow_daylight_saving_exactly():
    transitions, offsets = zone_offsets("Europe/Berlin")
    spring = datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc)  # 02:00 CET -> 03:00 CEST
    assert spring in transitions and offsets[transitions.index(spring) + 1] == 7200
    assert zone_offsets("Asia/Shanghai")[1][-1] == 28800


def test_rebuild_equals_what_ingest_kept(client, world, token_for, db, app):
    rng = random.Random(9)
    batch = [_item(rng, rng.choice([world.h1, world.h2])) for _ in range(20)]
    client.post("/api/v1/sync/push", json={"submissions": batch}, headers=token_for(world.cadre))
    kept = stored_rows(db)
    assert kept and rebuild_summary() == len(kept)
    assert stored_rows(db) == kept


def test_new_location_verdicts_keep_the_summary_exact(client, world, token_for, db, app):
    from server.submissions.lifecycle import Verdict, set_verdicts
    rng = random.Random(5)
    batch = [_item(rng, world.h1) for _ in range(6)]
    client.post("/api/v1/sync/push", json={"submissions": batch}, headers=token_for(world.cadre))
    stored = db.session.scalars(db.select(Submission).order_by(Submission.id)).all()
    flips = [Verdict(s, "far" if s.geo_status == "verified" else "verified", "re-checked") for s in stored[:3]]
    flips.append(Verdict(stored[3], "suspect" if stored[3].geo_status != "suspect" else "no_fix", "burst"))
    assert set_verdicts(world.admin, flips)
    db.session.commit()
    db.session.expire_all()
    assert stored_rows(db) == expected_rows(db, app)
    assert check_summary()["missing"] == check_summary()["extra"] == 0
