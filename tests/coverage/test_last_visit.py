"""households.last_counted_visit_at: moved on by counted visits, recomputed after a rejection."""
from datetime import datetime, timezone

from server.coverage.summary import refresh_summary
from server.households.models import Assignment
from server.submissions.lifecycle import refresh_last_counted_visits
from server.submissions.rules import is_counted
from tests.coverage.scenario import LINKED_AT, NOW


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_only_counted_visits_move_the_last_visit_on(world, make_visit, db):
    make_visit(world.h1, world.cadre, "2026-10-01T02:00")
    make_visit(world.h1, world.cadre, "2026-10-09T02:00", geo_status="far")
    make_visit(world.h1, world.cadre, "2026-10-08T02:00", review_state="rejected")
    make_visit(world.h1, world.cadre, "2026-09-01T02:00")  # older: no change
    db.session.refresh(world.h1)
    assert world.h1.last_counted_visit_at == at("2026-10-01T02:00")


def test_refresh_recomputes_after_a_rejection(world, make_visit, db):
    make_visit(world.h2, world.cadre, "2026-10-01T02:00")
    newest = make_visit(world.h2, world.cadre, "2026-10-05T02:00")
    newest.review_state = "rejected"
    assert is_counted(newest) is False
    refresh_last_counted_visits([world.h2.id, world.h3.id])
    db.session.commit()
    db.session.refresh(world.h2)
    db.session.refresh(world.h3)
    assert world.h2.last_counted_visit_at == at("2026-10-01T02:00") and world.h3.last_counted_visit_at is None


def test_a_visit_rejected_since_no_longer_counts_even_before_the_last_visit_is_refreshed(
        client, world, make_visit, db, token_for, clock):
    clock(NOW)  # Q4 read as of the scenario's now, by links in force since January
    db.session.execute(db.update(Assignment).values(valid_from=LINKED_AT))
    make_visit(world.h1, world.cadre, "2026-10-15T02:00")  # Q4, counted
    rejected = make_visit(world.h2, world.cadre, "2026-10-20T02:00")
    rejected.review_state = "rejected"  # last_counted_visit_at is left too new (no refresh yet)
    db.session.flush()
    refresh_summary([world.h2.id])  # the summary knows (review keeps both)
    db.session.commit()
    make_visit(world.h3, world.cadre2, "2026-12-31T15:00")  # after Q4 (local): last is past the period
    make_visit(world.h3, world.cadre2, "2026-10-02T02:00")  # ...but it was visited in Q4 too
    make_visit(world.h4, world.cadre2, "2026-09-01T02:00")  # last counted before Q4: unvisited
    headers = token_for(world.admin)
    report = client.get(f"/api/v1/coverage?period=2026-Q4&area={world.town.id}&level=village", headers=headers).json
    visited = {row["area"]["code"]: row["visited"] for row in report["rows"]}
    assert visited == {"NH-SZ-01": 1, "NH-SZ-02": 1}
    cadres = client.get(f"/api/v1/coverage?period=2026-Q4&area={world.town.id}&by=cadre", headers=headers).json
    assert {row["cadre"]["id"]: row["visited"] for row in cadres["rows"]} == {world.cadre.id: 1, world.cadre2.id: 1}
    listed = client.get(f"/api/v1/coverage/households?period=2026-Q4&area={world.town.id}&status=visited",
                        headers=headers).json
    assert sorted(h["id"] for h in listed) == sorted([world.h1.id, world.h3.id])
