"""Geo checks (DESIGN §5) with real coordinates, through OpenRosa and JSON push."""
from datetime import datetime, timedelta, timezone

import pytest

from server.geo import Fix, check_location, distance_m
from server.households.models import Household
from server.submissions.models import Submission
from tests.sync.conftest import new_id, offset

CONFIG = {"GEO_RADIUS_M": 100.0, "GEO_MAX_ACCURACY_M": 50.0, "GEO_NEAR_M": 150.0, "GEO_MAX_SPEED_KMH": 150.0,
          "MAX_OFFLINE_DAYS": 14}
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
HOME = (29.2901, 121.4301)


def check(north_m=0.0, accuracy=5.0, point=True, home=HOME, **kw):
    lat, lon = offset(*HOME, north_m=north_m)
    given = {"lat": lat, "lon": lon, "accuracy": accuracy} if point else None
    kw.setdefault("captured_at", NOW)
    return check_location(given, home[0], home[1], received_at=NOW, config=CONFIG, **kw)


@pytest.mark.parametrize("kwargs, status", [
    ({"north_m": 30}, "verified"),
    ({"north_m": 500}, "far"),
    ({"north_m": 130, "accuracy": 40}, "verified"),  # within radius once accuracy is allowed for
    ({"north_m": 10, "accuracy": 200}, "low_accuracy"),
    ({"north_m": 84, "accuracy": 60}, "verified"),  # indoors: the whole uncertainty lies near the house
    ({"point": False}, "no_fix"),
    ({"home": (None, None)}, "anchored"),
    ({"is_mock": True}, "suspect"),
    ({"accuracy": 0.0}, "suspect"),
    ({"captured_at": NOW + timedelta(minutes=10)}, "suspect"),
    ({"captured_at": NOW + timedelta(minutes=3)}, "verified"),
    ({"captured_at": NOW - timedelta(days=15)}, "suspect"),
    ({"previous": Fix(HOME[0] + 0.18, HOME[1], NOW - timedelta(minutes=5))}, "suspect"),  # 20 km in 5 min
    ({"previous": Fix(HOME[0] + 0.18, HOME[1], NOW - timedelta(hours=2))}, "verified"),
])
def test_geo_status(kwargs, status):
    result = check(**kwargs)
    assert result.status == status, result
    if status == "suspect":
        assert result.reason


def test_distance_is_geodesic_metres():
    lat, lon = offset(*HOME, north_m=500)
    assert distance_m(*HOME, lat, lon) == pytest.approx(500, rel=0.01)
    assert check(north_m=500).distance_m == pytest.approx(500, rel=0.01)


def _post(post_xml, visit_xml, token, household, **kw):
    response = post_xml(token, visit_xml(token, household, **kw))
    assert response.status_code == 201, response.data
    return response


def _last(db):
    return db.session.scalars(db.select(Submission).order_by(Submission.id.desc())).first()


def test_openrosa_visit_30m_verified_counts_and_500m_far_does_not(world, device_token, visit_xml, post_xml, db):
    token = device_token(world.cadre)
    _post(post_xml, visit_xml, token, world.h1, lat=offset(world.h1.lat, world.h1.lon, 500)[0], lon=world.h1.lon,
          minutes_ago=60)
    far = _last(db)
    assert far.geo_status == "far" and far.geo_distance_m == pytest.approx(500, rel=0.02)
    assert db.session.get(Household, world.h1.id).last_counted_visit_at is None
    lat, lon = offset(world.h1.lat, world.h1.lon, north_m=30)
    _post(post_xml, visit_xml, token, world.h1, lat=lat, lon=lon)
    verified = _last(db)
    assert verified.geo_status == "verified" and verified.geo_distance_m == pytest.approx(30, rel=0.05)
    db.session.expire_all()
    assert db.session.get(Household, world.h1.id).last_counted_visit_at == verified.captured_at


def test_low_accuracy_and_no_fix(world, device_token, visit_xml, post_xml, db):
    token = device_token(world.cadre)
    _post(post_xml, visit_xml, token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon, accuracy=200)
    assert _last(db).geo_status == "low_accuracy"
    _post(post_xml, visit_xml, token, world.h2)  # the form's geopoint left empty
    assert (_last(db).geo_status, _last(db).geo_distance_m) == ("no_fix", None)


def test_household_without_location_is_anchored_by_the_visit(world, device_token, visit_xml, post_xml, db,
                                                              make_household):
    home = make_household(world.v1, world.cadre, code="SZ01-NEW", lat=None, lon=None)
    version = home.version
    token = device_token(world.cadre)
    lat, lon = (round(x, 6) for x in offset(world.h1.lat, world.h1.lon, north_m=300))  # a house up the lane
    _post(post_xml, visit_xml, token, home, lat=lat, lon=lon, accuracy=8)
    assert _last(db).geo_status == "anchored"
    db.session.expire_all()
    stored = db.session.get(Household, home.id)
    assert (stored.lat, stored.lon, stored.location_source) == (lat, lon, "first_visit")
    assert stored.version == version + 1 and stored.last_counted_visit_at is not None


def test_20_km_in_5_minutes_after_previous_visit_is_suspect(world, device_token, visit_xml, post_xml, db,
                                                          make_household):
    far_home = make_household(world.v1, world.cadre, code="SZ01-FAR", lat=world.h1.lat + 0.18, lon=world.h1.lon)
    token = device_token(world.cadre)
    _post(post_xml, visit_xml, token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon, minutes_ago=10)
    assert _last(db).geo_status == "verified"
    _post(post_xml, visit_xml, token, far_home, lat=far_home.lat + 0.00007, lon=far_home.lon, minutes_ago=5)
    suspect = _last(db)
    assert suspect.geo_status == "suspect" and "km/h" in suspect.geo_reason


def test_json_push_mock_and_clock_checks(client, world, token_for, db):
    headers = token_for(world.cadre)
    now = datetime.now(timezone.utc)

    def item(captured_at, **location):
        return {"instance_id": new_id(), "form_id": "visit", "household_id": world.h1.id,
                "captured_at": captured_at.isoformat(), "answers": {"visit_type": "routine"},
                "location": {"lat": world.h1.lat + 0.00007, "lon": world.h1.lon, "accuracy": 5, **location}}
    batch = [item(now - timedelta(days=3), mock=True), item(now - timedelta(days=2), accuracy=0),
             item(now + timedelta(minutes=30)), item(now - timedelta(days=20)), item(now - timedelta(hours=1))]
    results = client.post("/api/v1/sync/push", json={"submissions": batch}, headers=headers).json["results"]
    assert [r["geo"]["status"] for r in results] == ["suspect", "suspect", "suspect", "suspect", "verified"]
    assert [r["status"] for r in results] == ["accepted"] * 5


@pytest.mark.parametrize("km, status", [(12.3, "verified"), (12.7, "suspect")])
def test_speed_limit_is_exact_at_the_threshold(km, status):
    """150 km/h over 5 minutes is 12.5 km: the cheap pre-filter never hides a geodesic decision."""
    north = offset(*HOME, north_m=km * 1000)
    previous = Fix(north[0], north[1], NOW - timedelta(minutes=5))
    assert check(previous=previous).status == status
