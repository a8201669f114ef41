import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from server.auth.services import authenticate
from server.demo import LOGINS, seed
from server.extensions import db
from server.cases.models import Case
from server.households.models import Assignment, Household
from server.models_base import utcnow
from server.satisfaction.queries import MIN_CADRE_N
from server.submissions.models import Submission


def test_demo_seed_loads_a_township_with_printed_logins(client):
    counts = seed(echo=lambda *_: None)
    db.session.commit()
    assert counts["households"] == db.session.scalar(db.select(db.func.count(Household.id))) >= 350
    assert counts["cadres"] == 8
    linked = db.session.scalar(db.select(db.func.count(Assignment.id)).where(Assignment.valid_to.is_(None)))
    assert linked == counts["households"]
    for username, password, _ in LOGINS:
        assert authenticate(username, password).username == username
    statuses = dict(db.session.execute(
        db.select(Submission.geo_status, db.func.count()).group_by(Submission.geo_status)).all())
    assert statuses["verified"] > sum(statuses.values()) / 2
    assert {"far", "suspect"} <= set(statuses)
    token = client.post("/api/v1/devices", json={"username": "cadre01", "password": "demo-cadre"}).json["token"]
    mine = client.get("/api/v1/households?page_size=1", headers={"Authorization": f"Bearer {token}"})
    assert 0 < json.loads(mine.headers["X-Pagination"])["total"] < counts["households"]


def test_demo_looks_like_a_township_after_a_year(client):
    """Links from a year ago, visits in working hours, requests with outcomes, satisfaction answers (some
    cadres with n >= 5, some without), flagged visits of several kinds, a few late entries."""
    seed(echo=lambda *_: None)
    db.session.commit()
    now = utcnow()
    first_link = db.session.scalar(db.select(db.func.min(Assignment.valid_from)))
    assert first_link.replace(tzinfo=first_link.tzinfo or now.tzinfo) < now - timedelta(days=360)
    assert db.session.scalar(db.select(db.func.count()).where(Assignment.valid_to.is_not(None))) >= 5
    captured = db.session.scalars(db.select(Submission.captured_at).where(Submission.kind == "visit")).all()
    local = [c.astimezone(ZoneInfo("Asia/Shanghai")) for c in captured]
    assert all(8 <= t.hour < 18 for t in local)
    assert min(captured) < now - timedelta(days=330)
    statuses = dict(db.session.execute(db.select(Submission.geo_status, db.func.count())
                                       .where(Submission.kind == "visit").group_by(Submission.geo_status)).all())
    assert {"far", "suspect", "low_accuracy", "no_fix"} <= set(statuses)
    late = db.session.scalar(db.select(db.func.count()).where(
        Submission.kind == "visit", Submission.geo_reason.like("%days before it was received%")))
    assert 0 < late < 50
    cases = dict(db.session.execute(db.select(Case.status, db.func.count()).group_by(Case.status)).all())
    overdue = db.session.scalar(db.select(db.func.count()).where(
        Case.status.in_(("open", "claimed", "reopened")), Case.due_at < now))
    assert cases.get("confirmed", 0) > sum(cases.values()) / 3 and 0 < overdue < sum(cases.values()) / 5
    from server.coverage.periods import current_quarter
    answers = dict(db.session.execute(db.select(Submission.rated_cadre_id, db.func.count())
                                      .where(Submission.kind == "satisfaction",
                                             Submission.captured_at >= current_quarter().start)
                                      .group_by(Submission.rated_cadre_id)).all())
    cadres = db.session.scalars(db.select(Assignment.cadre_id).distinct()).all()
    counts = [answers.get(c, 0) for c in cadres]
    assert any(n >= MIN_CADRE_N for n in counts) and any(n < MIN_CADRE_N for n in counts)
