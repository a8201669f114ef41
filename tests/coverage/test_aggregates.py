"""The per-village and per-cadre aggregates equal a recomputation from the raw visits, households
and links, whatever happens: a randomized sequence of stores and edits (JSON push), rejections and
restores (review over HTTP), household moves between villages, deactivations, category changes,
relinks and unlinks (households API), bulk relinks (the households page), relinks by import, and
links whose valid_from / valid_to are rewritten (in the past, or after a period's end). After every
step `check_aggregates` finds nothing, the county's report per village and per cadre for a
month, a quarter, a half and a year equals what plain Python reads from the raw rows, and the map
served from the worker's cache equals one built afresh."""
import csv
import io
import json
import re
import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from server.coverage.aggregates import check_aggregates, rebuild_aggregates
from server.coverage.models import CoverageAreaKey
from server.households.models import DEFAULT_POLICY_DAYS, Assignment, Household
from server.submissions.models import FLAGGED_GEO_STATUSES, Submission

from .test_map_cache import uncached_map
from .test_summary import _item

CLEAN = {"area_keys": 0, "area_households": 0, "area_sizes": 0, "cadre_keys": 0, "cadre_households": 0,
         "cadre_sizes": 0}
PERIODS = {"2026-09": (datetime(2026, 9, 1), datetime(2026, 10, 1)),
           "2026-Q3": (datetime(2026, 7, 1), datetime(2026, 10, 1)),
           "2026-H2": (datetime(2026, 7, 1), datetime(2027, 1, 1)),
           "2026": (datetime(2026, 1, 1), datetime(2027, 1, 1)),
           # from/to periods cutting months: no aggregates, the summary's day bits (and, for a county on
           # PostgreSQL, its index-only union of whole and cut months)
           "2026-08-15..2026-10-14": (datetime(2026, 8, 15), datetime(2026, 10, 15)),
           "2026-09-10..2026-09-20": (datetime(2026, 9, 10), datetime(2026, 9, 21))}


def period_query(period: str) -> str:
    """The query string of a PERIODS key: a named period, or first..last day (both included)."""
    first, _, last = period.partition("..")
    return f"from={first}&to={last}" if last else f"period={period}"


def expected_report(db, app, period: str, now) -> dict:
    """Per village: households, visited, overdue, flagged, as plain Python reads the raw rows."""
    tz = ZoneInfo(app.config["TIMEZONE"])
    start, end = (moment.replace(tzinfo=tz) for moment in PERIODS[period])
    households = {h.id: h for h in db.session.scalars(db.select(Household).where(Household.is_active.is_(True)))}
    out = defaultdict(lambda: {"households": 0, "visited": 0, "overdue": 0, "flagged": 0})
    for h in households.values():
        row = out[h.area_id]
        row["households"] += 1
        limit = now - timedelta(days=DEFAULT_POLICY_DAYS.get(h.category, 90))
        row["overdue"] += h.last_counted_visit_at is None or h.last_counted_visit_at < limit
    visited = set()
    for s in db.session.scalars(db.select(Submission).where(Submission.kind == "visit",
                                                            Submission.is_current.is_(True))):
        h = households.get(s.household_id)
        if h is None or not start <= s.captured_at < end:
            continue
        out[h.area_id]["flagged"] += s.geo_status in FLAGGED_GEO_STATUSES
        if s.review_state != "rejected" and s.geo_status in app.config["COUNTED_GEO_STATUSES"]:
            visited.add(h.id)
    for hid in visited:
        out[households[hid].area_id]["visited"] += 1
    return {area: dict(row) for area, row in out.items()}


def expected_cadre_report(db, app, period: str, now, area_ids=None) -> dict:
    """Per cadre: active households linked at the period's end, those the cadre visited (counted) in
    the period, overdue among them, the cadre's flagged visits to them, as plain Python reads them."""
    tz = ZoneInfo(app.config["TIMEZONE"])
    start, end = (moment.replace(tzinfo=tz) for moment in PERIODS[period])
    households = {h.id: h for h in db.session.scalars(db.select(Household).where(Household.is_active.is_(True)))
                  if area_ids is None or h.area_id in area_ids}
    cadre_of = {a.household_id: a.cadre_id for a in db.session.scalars(db.select(Assignment))
                if a.household_id in households and a.valid_from < end and (a.valid_to is None or a.valid_to >= end)}
    out = defaultdict(lambda: {"households": 0, "visited": 0, "overdue": 0, "flagged": 0})
    for hid, cadre in cadre_of.items():
        h = households[hid]
        out[cadre]["households"] += 1
        limit = now - timedelta(days=DEFAULT_POLICY_DAYS.get(h.category, 90))
        out[cadre]["overdue"] += h.last_counted_visit_at is None or h.last_counted_visit_at < limit
    visited = set()
    for s in db.session.scalars(db.select(Submission).where(Submission.kind == "visit",
                                                            Submission.is_current.is_(True))):
        cadre = cadre_of.get(s.household_id)
        if cadre is None or s.submitter_id != cadre or not start <= s.captured_at < end:
            continue
        out[cadre]["flagged"] += s.geo_status in FLAGGED_GEO_STATUSES
        if s.review_state != "rejected" and s.geo_status in app.config["COUNTED_GEO_STATUSES"]:
            visited.add((cadre, s.household_id))
    for cadre, _ in visited:
        out[cadre]["visited"] += 1
    return {cadre: dict(row) for cadre, row in out.items()}


def reported_by_cadre(client, headers, period: str, area=None) -> dict:
    where = f"&area={area.id}" if area is not None else ""
    report = client.get(f"/api/v1/coverage?{period_query(period)}{where}&by=cadre", headers=headers)
    assert report.status_code == 200, report.json
    assert [r["cadre"]["username"] for r in report.json["rows"]] == sorted(r["cadre"]["username"]
                                                                        for r in report.json["rows"])
    return {r["cadre"]["id"]: {k: r[k] for k in ("households", "visited", "overdue", "flagged")}
            for r in report.json["rows"]}


def _web_client(app, user):
    """Another client, signed in on the web pages (for the bulk relink form)."""
    web = app.test_client()
    page = web.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = web.post("/login", data={"username": user.username, "password": "secret-pass", "csrf_token": csrf})
    assert response.status_code == 302
    return web, csrf


def _import_links(client, admin, db, rng, homes, cadres, villages):
    """Relink (and maybe move) a few households by a households import."""
    from server.areas.models import Area
    rows = []
    for hid in rng.sample(homes, rng.randint(1, 3)):
        h = db.session.get(Household, hid)
        area = db.session.get(Area, rng.choice(villages) if rng.random() < 0.3 else h.area_id)
        rows.append({"code": h.code, "area_code": area.code, "address": h.address or "1号",
                     "head_name": h.head_name or "户主", "category": h.category, "lat": h.lat, "lon": h.lon,
                     "cadre": rng.choice(cadres).username})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    response = client.post("/api/v1/households/import", headers=admin, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(buffer.getvalue().encode()), "households.csv")})
    assert response.status_code == 200, response.json


def _rewrite_link_dates(db, rng):
    """A writer past the services (as the demo seed does): a link's valid_from or valid_to moved, to
    before or after the periods' ends."""
    links = db.session.scalars(db.select(Assignment).order_by(Assignment.id)).all()
    link = rng.choice(links)
    moment = datetime(2026, 6, 1, tzinfo=timezone.utc) + timedelta(days=rng.uniform(0, 300))
    if link.valid_to is None or rng.random() < 0.5:
        link.valid_from = min(moment, link.valid_to - timedelta(seconds=1)) if link.valid_to else moment
    else:
        link.valid_to = max(moment, link.valid_from + timedelta(seconds=1))
    db.session.commit()


def reported(client, admin, world, period: str) -> dict:
    report = client.get(f"/api/v1/coverage?{period_query(period)}&area={world.county.id}&level=village",
                        headers=admin)
    assert report.status_code == 200, report.json
    return {r["area"]["id"]: {k: r[k] for k in ("households", "visited", "overdue", "flagged")}
            for r in report.json["rows"] if r["households"]}


@pytest.mark.parametrize("seed", [1, 2])
def test_aggregates_equal_a_recomputation_after_random_changes(client, world, token_for, db, app, monkeypatch,
                                                               seed):
    monkeypatch.setitem(app.config, "MAX_OFFLINE_DAYS", 1000)  # visits months back are not suspect
    rng = random.Random(seed)
    cadres = [world.cadre, world.cadre2]
    headers = {cadre.id: token_for(cadre) for cadre in cadres}
    admin = token_for(world.admin)
    homes = [world.h1.id, world.h2.id, world.h3.id, world.h4.id]
    villages = [world.v1.id, world.v2.id]
    done = defaultdict(int)
    web, csrf = _web_client(app, world.admin)
    manager = token_for(world.manager)

    def linked(cadre):
        return [db.session.get(Household, a.household_id) for a in db.session.scalars(
            db.select(Assignment).where(Assignment.cadre_id == cadre.id, Assignment.valid_to.is_(None)))]

    for step in range(80):
        current = db.session.scalars(db.select(Submission).where(Submission.is_current.is_(True))).all()
        roll = rng.random()
        if roll < 0.35 or not current:
            cadre = rng.choice([c for c in cadres if linked(c)] or cadres)
            batch = [_item(rng, rng.choice(linked(cadre))) for _ in range(rng.randint(1, 3))]
            response = client.post("/api/v1/sync/push", json={"submissions": batch}, headers=headers[cadre.id])
            assert [r["status"] for r in response.json["results"]] == ["accepted"] * len(batch), response.json
            done["store"] += len(batch)
        elif roll < 0.45:
            old = rng.choice(current)
            cadre = next(c for c in cadres if c.id == old.submitter_id)
            if not linked(cadre):
                continue
            item = _item(rng, rng.choice(linked(cadre)), deprecated_id=old.instance_id)  # may move household
            response = client.post("/api/v1/sync/push", json={"submissions": [item]}, headers=headers[cadre.id])
            assert response.json["results"][0]["status"] in ("accepted", "duplicate"), response.json
            done["edit"] += 1
        elif roll < 0.6:
            rejected = [s for s in current if s.review_state == "rejected"]
            if rejected and (rng.random() < 0.5 or not done["restore"]):
                target, state = rng.choice(rejected), rng.choice(["approved", "has_issues"])
                done["restore"] += 1
            else:
                target, state = rng.choice(current), "rejected"
                done["reject"] += 1
            response = client.patch(f"/api/v1/submissions/{target.id}", json={"review_state": state}, headers=admin)
            assert response.status_code == 200, response.json
        else:
            hid = rng.choice(homes)
            kinds = ["area_id", "is_active", "category", "link", "unlink", "bulk_link", "import", "link_dates"]
            change = rng.choice([k for k in kinds if not done[k]] or kinds)  # each kind early on, then any
            if change in ("link", "unlink"):
                response = client.put(f"/api/v1/households/{hid}/assignment", headers=admin,
                                      json={"cadre_id": rng.choice(cadres).id if change == "link" else None})
            elif change == "bulk_link":
                response = web.post("/households/relink", headers={"X-CSRFToken": csrf}, data={
                    "household": [str(h) for h in rng.sample(homes, 2)], "cadre_id": str(rng.choice(cadres).id),
                    "csrf_token": csrf})
                assert response.status_code == 303, response.get_data(as_text=True)
                response = client.get(f"/api/v1/households/{hid}", headers=admin)
            elif change == "import":
                _import_links(client, admin, db, rng, homes, cadres, villages)
                response = client.get(f"/api/v1/households/{hid}", headers=admin)
            elif change == "link_dates":
                _rewrite_link_dates(db, rng)
                response = client.get(f"/api/v1/households/{hid}", headers=admin)
            else:
                household = db.session.get(Household, hid)
                value = {"area_id": rng.choice(villages), "is_active": not household.is_active,
                         "category": rng.choice(["ordinary", "low_income", "disabled"])}[change]
                response = client.patch(f"/api/v1/households/{hid}", json={change: value}, headers=admin)
            assert response.status_code == 200, response.json
            done[change] += 1
        db.session.expire_all()
        assert check_aggregates() == CLEAN, f"step {step}"
        period = rng.choice(list(PERIODS))
        now = datetime.now(timezone.utc)
        expected = expected_report(db, app, period, now)
        assert reported(client, admin, world, period) == expected, f"step {step}"
        by_cadre = expected_cadre_report(db, app, period, now)
        assert reported_by_cadre(client, admin, period, world.county) == by_cadre, f"step {step} {period}"
        by_cadre = expected_cadre_report(db, app, period, now, {world.v1.id, world.v2.id})
        assert reported_by_cadre(client, manager, period) == by_cadre, f"step {step} {period}"  # the township's
        status = rng.choice(["visited", "unvisited", "overdue"])
        listed = client.get(f"/api/v1/coverage/households?{period_query(period)}&status={status}&page_size=100",
                            headers=admin)
        total = sum(r["visited"] if status == "visited" else r["overdue"] if status == "overdue"
                    else r["households"] - r["visited"] for r in expected.values())
        assert json.loads(listed.headers["X-Pagination"])["total"] == len(listed.json) == total, f"step {step}"
        for query in {period_query(period), "period=2026-Q3"}:  # Q3 every step: its cached rows must follow
            for path, who in ((f"/api/v1/coverage/map.json?{query}&area={world.county.id}", admin),
                              (f"/api/v1/coverage/map.geojson?{query}", manager)):
                cached = client.get(path, headers=who).get_data()
                assert cached == uncached_map(app, client, path, who), f"step {step} {path}"
    assert len(done) >= 12 and min(done.values()) > 0, dict(done)
    assert db.session.scalar(db.select(db.func.count()).select_from(CoverageAreaKey)) > 0  # the reports read them


def test_check_finds_aggregates_out_of_step_and_rebuild_mends_them(client, world, token_for, db, app, make_visit):
    make_visit(world.h1, world.cadre, datetime(2026, 9, 10, 3, tzinfo=timezone.utc))
    assert check_aggregates() == CLEAN
    db.session.execute(db.update(CoverageAreaKey).values(visited=CoverageAreaKey.visited + 1))
    db.session.commit()
    assert check_aggregates()["area_keys"] > 0
    runner = app.test_cli_runner()
    result = runner.invoke(args=["coverage", "check-summary"])
    assert result.exit_code == 1 and "aggregates differ" in result.output, result.output
    result = runner.invoke(args=["coverage", "rebuild-summary"])
    assert result.exit_code == 0 and "village-period rows" in result.output, result.output
    assert check_aggregates() == CLEAN
    counts = rebuild_aggregates()
    db.session.commit()
    assert counts["area_keys"] == 4 and counts["area_households"] == 4  # month, quarter, half, year; v1 twice (h2 never visited), v2, v3


@pytest.mark.parametrize("now", [datetime(2026, 12, 2, 8, tzinfo=timezone.utc),    # cut-offs early in a month
                                 datetime(2026, 12, 28, 20, tzinfo=timezone.utc),  # late in a month
                                 datetime(2026, 12, 16, 0, tzinfo=timezone.utc)])
def test_overdue_from_the_aggregates_on_either_side_of_the_cut_off(world, db, app, make_visit, make_household, now):
    from server.coverage.services import coverage_report
    moments = [now - timedelta(days=d, hours=h) for d in (1, 29, 31, 59, 61, 89, 91, 120) for h in (-3, 3)]
    homes = [world.h1, world.h2, world.h3, world.h4] + [
        make_household(rng_area, None, category=category)
        for rng_area, category in zip([world.v1, world.v2] * 6, ["low_income", "disabled", "ordinary"] * 4)]
    db.session.commit()
    for i, moment in enumerate(moments):
        make_visit(homes[i % len(homes)], world.cadre, moment)
    report = coverage_report(world.admin, parse_named("2026-Q4"), area_id=world.county.id, level="village", now=now)
    got = {r["area"]["id"]: r["overdue"] for r in report["rows"] if r["households"]}
    expected = {area: row["overdue"] for area, row in expected_report(db, app, "2026", now).items()}
    assert got == expected


def parse_named(label):
    from server.coverage.periods import named_period, zone
    return named_period(label, zone())
