"""households.last_counted_visit_at: moved on by counted visits, recomputed after a rejection."""
from datetime import datetime, timezone

from server.coverage.services import record_counted_visit, refresh_last_counted_visits


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
    assert record_counted_visit(newest) is False
    refresh_last_counted_visits([world.h2.id, world.h3.id])
    db.session.commit()
    db.session.refresh(world.h2)
    db.session.refresh(world.h3)
    assert world.h2.last_counted_visit_at == at("2026-10-01T02:00") and world.h3.last_counted_visit_at is None
