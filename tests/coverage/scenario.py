"""A seeded coverage scenario with known answers (2026-Q4 in Asia/Shanghai, now = 2026-11-20 04:00Z).

v1: h1 (visited Oct 15; again on 1 Jan local, out of Q4), h2 (last counted visit June 1 -> overdue;
    a far visit and a replaced visit in Q4), h6 low-income (visited Oct 10 -> due Nov 9 -> overdue)
v2: h3 (counted visit at 23:00 local on Sep 30 -> Q3; a suspect and a rejected visit in Q4),
    h4 (visited Oct 5 by cadre2, relinked to cadre on Nov 1)
v3: h5 (visited 01:00 local on Oct 1 -> Q4), h7 inactive (visited, ignored)
"""
from datetime import datetime, timezone

from server.households.models import Assignment

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)
LINKED_AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
RELINKED_AT = datetime(2026, 11, 1, tzinfo=timezone.utc)


def seed(world, db, make_household, make_visit):
    w = world
    w.h6 = make_household(w.v1, w.cadre, code="SZ01-003", category="low_income")
    w.h7 = make_household(w.v3, w.other_cadre, code="CL01-002", is_active=False)
    db.session.execute(db.update(Assignment).values(valid_from=LINKED_AT))  # linked since January
    db.session.commit()
    relink(db, w.h4, w.cadre)
    make_visit(w.h1, w.cadre, "2026-10-15T02:00Z")
    make_visit(w.h1, w.cadre, "2026-12-31T16:30Z")
    make_visit(w.h2, w.cadre, "2026-06-01T02:00Z")
    make_visit(w.h2, w.cadre, "2026-11-01T02:00Z", geo_status="far")
    make_visit(w.h2, w.cadre, "2026-10-25T02:00Z", is_current=False)
    make_visit(w.h6, w.cadre, "2026-10-10T02:00Z")
    make_visit(w.h3, w.cadre2, "2026-09-30T15:00Z")
    make_visit(w.h3, w.cadre2, "2026-10-20T02:00Z", geo_status="suspect")
    make_visit(w.h3, w.cadre2, "2026-10-21T02:00Z", review_state="rejected")
    make_visit(w.h4, w.cadre2, "2026-10-05T02:00Z")
    make_visit(w.h5, w.other_cadre, "2026-09-30T17:00Z", geo_status="anchored")
    make_visit(w.h7, w.other_cadre, "2026-10-10T02:00Z")
    make_visit(w.h5, w.other_cadre, "2026-10-12T02:00Z", form="satisfaction")
    return w


def relink(db, household, cadre, at=RELINKED_AT):
    """Close the household's assignment and open one to another cadre, at a given moment."""
    current = db.session.scalar(db.select(Assignment).filter_by(household_id=household.id, valid_to=None))
    current.valid_to = at
    db.session.flush()
    db.session.add(Assignment(household_id=household.id, cadre_id=cadre.id, valid_from=at))
    db.session.commit()
