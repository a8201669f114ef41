"""Visits that cannot be faked cheaply (issue 10): each flag with real coordinates, over OpenRosa and
JSON push, records arriving out of order, stored neighbours re-evaluated."""
from datetime import datetime, timedelta, timezone

import pytest

from server.audit.models import AuditEntry
from server.households.models import Household
from server.submissions.models import Submission
from tests.sync.conftest import new_id, now_local, offset

NOW = datetime.now(timezone.utc)


@pytest.fixture
def send(client, device_token, visit_xml, post_xml):
    """Send one visit over either protocol; returns the stored geo status (and the instance id)."""
    tokens = {}

    def go(protocol, user, household, *, minutes_ago=30, north_m=8.0, east_m=0.0, at=None, accuracy=6.0,
           altitude=12.0, duration_s=300, headers=None, offset_s=None, phone="phone"):
        token = tokens.setdefault((user.id, phone), device_token(user, phone))
        lat, lon = at or offset(household.lat, household.lon, north_m=north_m, east_m=east_m)
        instance_id = new_id()
        if protocol == "openrosa":
            answers = {"start": now_local(minutes_ago + duration_s / 60), "end": now_local(minutes_ago)}
            xml = visit_xml(token, household, lat=lat, lon=lon, accuracy=accuracy, instance_id=instance_id, **answers)
            xml = xml.replace(f"{lat} {lon} 12.0 {accuracy}".encode(), f"{lat} {lon} {altitude} {accuracy}".encode())
            extra = dict(headers or {})
            if offset_s is not None:
                extra["X-Clock-Offset"] = str(offset_s)
            response = post_xml(token, xml, headers=extra)
            assert response.status_code == 201, response.data
        else:
            captured = NOW - timedelta(minutes=minutes_ago)
            item = {"instance_id": instance_id, "form_id": "visit", "household_id": household.id,
                    "captured_at": captured.isoformat(),
                    "location": {"lat": lat, "lon": lon, "accuracy": accuracy, "altitude": altitude},
                    "answers": {"visit_type": "routine", "start": (captured - timedelta(seconds=duration_s)).isoformat(),
                                "end": captured.isoformat()}}
            if offset_s is not None:
                item["clock_offset_s"] = offset_s
            response = client.post("/api/v1/sync/push", json={"submissions": [item]},
                                   headers={"Authorization": f"Bearer {token}", **(headers or {})})
            assert response.status_code == 200 and response.json["results"][0]["status"] == "accepted", response.json
        return instance_id
    return go


def _row(db, instance_id) -> Submission:
    db.session.expire_all()
    return db.session.scalars(db.select(Submission).filter_by(instance_id=instance_id)).one()


def _codes(row) -> set:
    return {f["code"] for f in row.geo_flags or []}


PROTOCOLS = ["openrosa", "json"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_visit_that_slots_in_between_makes_both_neighbours_suspect(protocol, send, world, make_household, db):
    """A (h1, 50 min ago) and C (h1, 30 min ago) are stored; B arrives late from 20 km away in between."""
    far = make_household(world.v1, world.cadre, code="SZ01-FAR", lat=world.h1.lat + 0.18, lon=world.h1.lon)
    a = send(protocol, world.cadre, world.h1, minutes_ago=50)
    c = send(protocol, world.cadre, world.h1, minutes_ago=30)
    assert (_row(db, a).geo_status, _row(db, c).geo_status) == ("verified", "verified")
    assert db.session.get(Household, world.h1.id).last_counted_visit_at is not None
    b = send(protocol, world.cadre, far, minutes_ago=40, phone="second phone")
    assert _row(db, b).geo_status == "suspect"
    assert {f["side"] for f in _row(db, b).geo_flags if f["code"] == "speed"} == {"before", "after"}
    for earlier in (a, c):
        row = _row(db, earlier)
        assert row.geo_status == "suspect" and "speed" in _codes(row) and row.base_geo_status == "verified"
        audit = db.session.scalars(db.select(AuditEntry).filter_by(action="submission.verdict",
                                                                   target_id=str(row.id))).one()
        assert audit.details["previous"] == "verified" and set(audit.details["reasons"]) == {"speed", "two_devices"}
    assert db.session.get(Household, world.h1.id).last_counted_visit_at is None  # nothing of h1 counts now


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_honest_walk_between_neighbouring_houses_is_verified(protocol, send, world, db):
    """h1 and h2 are 150 m apart; visits 15 minutes apart with indoor fixes of 55 m accuracy all count."""
    ids = [send(protocol, world.cadre, world.h1, minutes_ago=90, north_m=40, accuracy=55.0),
           send(protocol, world.cadre, world.h2, minutes_ago=75, north_m=-70, accuracy=12.0),
           send(protocol, world.cadre, world.h1, minutes_ago=60, east_m=15, accuracy=4.3)]
    assert [_row(db, i).geo_status for i in ids] == ["verified"] * 3
    assert all(_row(db, i).geo_flags is None for i in ids)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_coordinates_copied_from_the_reference_are_suspect(protocol, send, world, db):
    row = _row(db, send(protocol, world.cadre, world.h1, at=(world.h1.lat, world.h1.lon)))
    assert row.geo_status == "suspect" and _codes(row) == {"reference_copy"} and row.base_geo_status == "verified"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_same_pin_on_two_households_is_suspect_for_both(protocol, send, world, db):
    pin = (29.290612, 121.430645)  # between h1 and h2, within 100 m of each
    first = send(protocol, world.cadre, world.h1, at=pin, minutes_ago=120)
    assert _row(db, first).geo_status == "verified"
    second = send(protocol, world.cadre, world.h2, at=pin, minutes_ago=30)
    assert "repeated_pin" in _codes(_row(db, second)) and "repeated_pin" in _codes(_row(db, first))
    assert _row(db, first).geo_status == "suspect"


def _history(conn, instance_id: str, n: int) -> None:
    """n copies of a stored visit elsewhere and earlier, as a cadre's years of records (PostgreSQL), then
    ANALYZE: what the planner sees in a deployment in use."""
    from sqlalchemy import Text, func, insert, literal_column, select
    table = Submission.__table__
    step = literal_column("g.g")
    changed = {"id": None, "instance_id": table.c.instance_id + "-" + func.cast(step, Text()),
               "lat": table.c.lat + step * 0.0001, "lon": table.c.lon - step * 0.0001,
               "captured_at": table.c.captured_at - func.make_interval(0, 0, 0, step)}
    columns = [c for c in table.c if changed.get(c.name, c) is not None]
    rows = (select(*[changed.get(c.name, c) for c in columns])
            .select_from(table.join(func.generate_series(1, n).table_valued("g").alias("g"), literal_column("true")))
            .where(table.c.instance_id == instance_id))
    conn.execute(insert(table).from_select([c.name for c in columns], rows))
    conn.exec_driver_sql("ANALYZE submissions")


@pytest.mark.parametrize("pins", [1, 100])
def test_the_repeated_pin_look_up_is_an_index_seek_not_the_cadres_history(pins, client, device_token, world, db):
    """The look-up of a cadre's visits at a batch's very coordinates (one pin, as OpenRosa sends, or a
    hundred), as ingest runs it, seeks ix_submissions_pin on all three of its columns on both databases:
    it had read every record the cadre ever sent; given a list of latitudes and one of longitudes,
    PostgreSQL seeks the cadre alone once the lists are long."""
    from sqlalchemy import event
    token, seen = device_token(world.cadre, "phone"), []
    items = [{"instance_id": new_id(), "form_id": "visit", "household_id": world.h1.id,
              "captured_at": (NOW - timedelta(minutes=30 + 5 * i)).isoformat(),
              "location": dict(zip(("lat", "lon"), offset(world.h1.lat, world.h1.lon, north_m=8.0 + 5 * i, east_m=3.0 * i)),
                               accuracy=6.0, altitude=12.0),
              "answers": {"visit_type": "routine"}} for i in range(pins)]

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "'p' AS part" in statement:
            seen.append((statement, parameters))
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        response = client.post("/api/v1/sync/push", json={"submissions": items},
                               headers={"Authorization": f"Bearer {token}"})
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert [r["status"] for r in response.json["results"]] == ["accepted"] * pins, response.json
    statement, parameters = seen[-1]
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            assert any("ix_submissions_pin (submitter_id=? AND lat=? AND lon=?)" in line for line in plan), plan
            return
        _history(conn, response.json["results"][0]["instance_id"], 3000)  # PostgreSQL plans by the statistics
        plan = [row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters)]
    seeks = [plan[at + 1] for at, line in enumerate(plan[:-1]) if "ix_submissions_pin" in line]
    assert seeks and all("Index Cond" in cond and "lat =" in cond and "lon =" in cond for cond in seeks), \
        "\n".join(plan)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_constant_accuracy_and_altitude_zero(protocol, send, world, db):
    ids = [send(protocol, world.cadre, (world.h1, world.h2)[i % 2], minutes_ago=300 - 25 * i, accuracy=3.0,
                north_m=5 + i) for i in range(6)]
    assert all("constant_accuracy" in _codes(_row(db, i)) for i in ids)
    zero = send(protocol, world.cadre2, world.h3, altitude=0.0, accuracy=4.2, minutes_ago=30)
    assert _row(db, zero).geo_status == "verified"  # nothing yet tells this phone reports altitude
    send(protocol, world.cadre2, world.h4, altitude=35.5, accuracy=5.1, minutes_ago=60)
    send(protocol, world.cadre2, world.h3, altitude=36.0, accuracy=6.7, minutes_ago=90)
    assert _codes(_row(db, zero)) == {"altitude_zero"}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_burst_of_households_from_one_spot(protocol, send, world, make_household, db):
    houses = [make_household(world.v1, world.cadre, code=f"SZ01-B{i}", lat=29.2950 + i * 0.0002, lon=121.4350)
              for i in range(5)]
    spot = (29.2954, 121.4350)
    ids = [send(protocol, world.cadre, h, at=offset(*spot, north_m=i), minutes_ago=60 - 3 * i, accuracy=8.0 + i)
           for i, h in enumerate(houses)]
    rows = [_row(db, i) for i in ids]
    assert all("burst" in _codes(r) for r in rows) and all(r.geo_status == "suspect" for r in rows)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_visit_shorter_than_the_minimum_is_suspect(protocol, send, world, db):
    row = _row(db, send(protocol, world.cadre, world.h1, duration_s=45))
    assert _codes(row) == {"short_visit"} and row.geo_flags[0]["seconds"] == 45


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_device_clock_offset_is_flagged(protocol, send, world, db):
    row = _row(db, send(protocol, world.cadre, world.h1, offset_s=-3 * 86400))
    assert _codes(row) == {"clock_skew"} and row.clock_offset_s == -3 * 86400
    fine = _row(db, send(protocol, world.cadre, world.h2, offset_s=40, minutes_ago=90))
    assert fine.geo_status == "verified"


def test_field_app_device_time_header_gives_the_offset(send, world, db):
    back = (datetime.now(timezone.utc) - timedelta(days=4)).isoformat()
    row = _row(db, send("openrosa", world.cadre, world.h1, headers={"X-Device-Time": back}))
    assert "clock_skew" in _codes(row) and row.clock_offset_s == pytest.approx(-4 * 86400, abs=60)


def test_late_entry_does_not_count_until_approved(app, client, send, world, login, db, monkeypatch):
    monkeypatch.setitem(app.config, "LATE_GRACE_DAYS", -1)  # the month closed "long" ago, whatever today is
    monkeypatch.setitem(app.config, "MAX_OFFLINE_DAYS", 60)
    tz = timezone(timedelta(hours=8))
    month_start = datetime.now(tz).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    minutes_ago = (datetime.now(timezone.utc) - month_start).total_seconds() / 60 + 60  # last month's last hour
    row = _row(db, send("json", world.cadre, world.h1, minutes_ago=minutes_ago))
    assert row.geo_status == "suspect" and _codes(row) == {"late_entry"}
    assert db.session.get(Household, world.h1.id).last_counted_visit_at is None
    headers = login(world.manager)
    queue = client.get("/api/v1/submissions/flagged", headers=headers).json
    assert [(q["id"], q["geo"]["flags"][0]["code"]) for q in queue] == [(row.id, "late_entry")]
    assert queue[0]["geo"]["flags"][0]["zh"].startswith("补录")
    response = client.post("/api/v1/submissions/review", json={"ids": [row.id], "decision": "approve"},
                           headers=headers)
    assert response.status_code == 200, response.json
    row = _row(db, row.instance_id)
    assert (row.geo_status, row.review_state) == ("verified", "approved")
    assert db.session.get(Household, world.h1.id).last_counted_visit_at == row.captured_at


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_first_visit_anchor_outside_the_village_is_suspect(protocol, send, world, make_household, db):
    home = make_household(world.v1, world.cadre, code="SZ01-NEW", lat=None, lon=None)
    cadre_home = offset(world.h1.lat, world.h1.lon, north_m=2200)  # the next village over
    row = _row(db, send(protocol, world.cadre, home, at=cadre_home))
    assert row.geo_status == "suspect" and _codes(row) == {"anchor_outside"}
    stored = db.session.get(Household, home.id)
    assert (stored.lat, stored.location_source) == (None, None)
    near = offset(world.h2.lat, world.h2.lon, north_m=120)
    row = _row(db, send(protocol, world.cadre, home, at=near, minutes_ago=300))
    db.session.expire_all()
    assert row.geo_status == "anchored" and db.session.get(Household, home.id).location_source == "first_visit"


def test_anchor_uses_the_village_boundary_when_set(send, world, make_household, db):
    v1 = db.session.get(type(world.v1), world.v1.id)
    v1.boundary = {"type": "Polygon", "coordinates": [[[121.42, 29.28], [121.44, 29.28], [121.44, 29.30],
                                                        [121.42, 29.30], [121.42, 29.28]]]}
    db.session.commit()
    inside = make_household(world.v1, world.cadre, code="SZ01-IN", lat=None, lon=None)
    outside = make_household(world.v1, world.cadre, code="SZ01-OUT", lat=None, lon=None)
    assert _row(db, send("json", world.cadre, inside, at=(29.2990, 121.4390), minutes_ago=200)).geo_status == "anchored"
    assert _codes(_row(db, send("json", world.cadre, outside, at=(29.3010, 121.4390)))) == {"anchor_outside"}
