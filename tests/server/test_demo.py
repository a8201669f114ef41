import json

from server.auth.services import authenticate
from server.demo import LOGINS, seed
from server.extensions import db
from server.households.models import Assignment, Household
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
