"""The map's rows cached per area (coverage.map_cache): served again only while nothing the map shows
of an area has changed, and until time alone turns one of its households overdue. The randomized test
in test_aggregates compares the cached map with a fresh one after every kind of write; these check
that the cache is read at all, that a change re-reads only its area, and the overdue deadline."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from server.coverage import maps
from server.coverage.periods import named_period, zone


def uncached_map(app, client, path, headers) -> bytes:
    """The map at `path` built with no cached rows (the worker's cache is set aside, then put back)."""
    saved = app.extensions.pop("lianhu.map_rows", None), app.extensions.pop("lianhu.map_rows_bytes", None)
    try:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.get_data()[:300]
        return response.get_data()
    finally:
        for name, value in zip(("lianhu.map_rows", "lianhu.map_rows_bytes"), saved):
            if value is None:
                app.extensions.pop(name, None)
            else:
                app.extensions[name] = value


class Statements:
    """The SQL statements run while it is open."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _record(self, conn, cursor, statement, *args):
        self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.seen

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)


def _reads_households(statements) -> list[str]:
    return [s for s in statements if "FROM households" in s and "households.lat IS NOT NULL" in s]


def test_a_second_map_is_served_from_the_cache_and_a_change_rereads_only_its_village(
        client, world, token_for, db, app, make_visit):
    headers = token_for(world.admin)
    make_visit(world.h1, world.cadre, datetime(2026, 11, 10, 3, tzinfo=timezone.utc))
    for form, household in (("map.json", world.h3), ("map.geojson", world.h4)):
        path = f"/api/v1/coverage/{form}?period=2026-Q4&area={world.county.id}"
        first = client.get(path, headers=headers).get_data()
        with Statements(db.engine) as seen:
            again = client.get(path, headers=headers).get_data()
        assert again == first and not _reads_households(seen), seen
        make_visit(household, world.cadre2, datetime(2026, 11, 12, 3, tzinfo=timezone.utc))
        with Statements(db.engine) as seen:
            changed = client.get(path, headers=headers).get_data()
        assert changed != first and changed == uncached_map(app, client, path, headers)
        reads = _reads_households(seen)
        assert len(reads) == 1 and "area_id IN" in reads[0], reads  # only the changed village's households


@pytest.mark.parametrize("form", ["compact", "geojson"])
def test_a_cached_map_turns_a_household_overdue_when_its_time_comes(world, db, app, make_visit, form):
    visit = datetime(2026, 10, 5, 2, tzinfo=timezone.utc)
    make_visit(world.h1, world.cadre, visit)
    period = named_period("2026-Q4", zone())
    due = visit.replace(microsecond=0) + timedelta(days=90)  # an ordinary household's interval

    def status_of_h1(now):
        if form == "geojson":
            data = json.loads(b"".join(maps.map_geojson(world.admin, period, area_id=world.county.id, now=now)))
            return next(f["properties"]["status"] for f in data["features"] if f["properties"]["id"] == world.h1.id)
        data = json.loads(b"".join(maps.map_compact(world.admin, period, area_id=world.county.id, now=now)))
        return data["statuses"][next(r for r in data["rows"] if r[2] == world.h1.id)[5]]

    assert status_of_h1(due - timedelta(days=30)) == "visited"
    assert app.extensions["lianhu.map_rows"]  # kept
    assert status_of_h1(due) == "visited"
    assert status_of_h1(due + timedelta(seconds=1)) == "overdue"
    assert status_of_h1(due - timedelta(days=1)) == "visited"  # an earlier moment than the entry's: read again


def test_the_cache_holds_no_more_than_its_bytes(client, world, token_for, db, app, make_visit, monkeypatch):
    headers = token_for(world.admin)
    monkeypatch.setitem(app.config, "MAP_CACHE_BYTES", 1)
    path = f"/api/v1/coverage/map.json?period=2026-Q4&area={world.county.id}"
    first = client.get(path, headers=headers).get_data()
    assert client.get(path, headers=headers).get_data() == first
    assert app.extensions["lianhu.map_rows_bytes"] <= 1


def test_a_new_visit_policy_reaches_a_cached_map(client, world, token_for, db, app, make_visit):
    headers = token_for(world.admin)
    make_visit(world.h1, world.cadre, datetime.now(timezone.utc) - timedelta(days=40))
    path = f"/api/v1/coverage/map.json?area={world.county.id}"  # this quarter
    before = client.get(path, headers=headers).json
    row = next(r for r in before["rows"] if r[2] == world.h1.id)
    assert before["statuses"][row[5]] != "overdue"
    response = client.put("/api/v1/visit-policies", json={"category": "ordinary", "max_days": 30},
                          headers=headers)
    assert response.status_code == 200, response.json
    after = client.get(path, headers=headers)
    row = next(r for r in after.json["rows"] if r[2] == world.h1.id)
    assert after.json["statuses"][row[5]] == "overdue"
    assert after.get_data() == uncached_map(app, client, path, headers)
