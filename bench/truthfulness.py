"""Truthfulness benchmark: realistic honest and faked cadre days pushed into a live server.

    .venv/bin/python bench/truthfulness.py [--cadres 16] [--days 4] [--seed 1]

Builds villages of scattered households (a few without a location), cadres who live in the
township seat, and day-long traces: honest days on foot or by motorbike (phone GPS noise drawn
from the reported accuracy, indoor fixes of 20-65 m, the phone a few metres from the reference
point, forms open 3-20 minutes, some days synced days later, a dense street of houses 20 m apart,
honest first visits to unlocated houses) and faked days (coordinates copied from households.csv;
one account on two phones in two villages; a clock set back into last month, through the field
app and through ODK Collect; ten households from one spot in fifteen minutes; a mock-location app
repeating one pin or walking with constant accuracy; drive-by visits of a minute; first visits
faked from home). Traces go through both protocols (OpenRosa multipart and JSON push, some out of
order) into gunicorn on a temporary SQLite database (or DATABASE_URL). Prints per kind how many
records were flagged (not counted) and counted, the honest false-flag rate and the faked
detection rate over what the data can reveal.
"""
import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from ingest import _multipart, _wait, free_port  # noqa: E402

TZ = timezone(timedelta(hours=8))
HONEST = ("walk", "motorbike", "indoors", "late_sync", "dense_street", "first_visit")
FAKED = ("reference_copy", "two_phones", "backdated_app", "backdated_collect", "burst_one_spot",
         "same_pin", "mock_walk", "drive_by", "anchor_from_home")


def move(lat, lon, north_m, east_m):
    return lat + north_m / 111_320.0, lon + east_m / (111_320.0 * math.cos(math.radians(lat)))


def metres(a, b):
    dn = (b[0] - a[0]) * 111_320.0
    de = (b[1] - a[1]) * 111_320.0 * math.cos(math.radians(a[0]))
    return math.hypot(dn, de)


class World:
    """Villages 3-5 km apart around a township seat; households within 450 m of their village centre."""

    def __init__(self, rng, cadres):
        self.rng = rng
        self.seat = (29.2900, 121.4300)
        self.villages = []
        for v in range(max(2, (cadres + 1) // 2)):
            angle = 2 * math.pi * v / max(2, (cadres + 1) // 2)
            centre = move(*self.seat, 3500 * math.cos(angle), 3500 * math.sin(angle))
            self.villages.append(centre)
        self.cadres = []
        for c in range(cadres):
            village = c % len(self.villages)
            houses = [self._house(self.villages[village], 450) for _ in range(24)]
            # six more linked households in the next village (a township cadre's list spans two villages)
            houses += [self._house(self.villages[(village + 1) % len(self.villages)], 300) for _ in range(6)]
            street = move(*self.villages[village], 300, -300)
            dense = [move(*street, 0, 20 * i) for i in range(10)]  # a street of houses 20 m apart
            home = move(*self.seat, rng.uniform(-300, 300), rng.uniform(-300, 300))
            self.cadres.append({"village": village, "houses": houses, "dense": dense, "home": home,
                                "unlocated": set(rng.sample(range(len(houses)), 6))})

    def _house(self, centre, radius):
        r, a = radius * math.sqrt(self.rng.random()), self.rng.uniform(0, 2 * math.pi)
        return move(*centre, r * math.cos(a), r * math.sin(a))


def seed(env, world, run):
    """Areas, cadres, households (reference locations; some left unlocated) through the app's services."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from server import create_app
    from server.areas.services import create_area
    from server.auth.services import create_user, issue_device
    from server.extensions import db
    from server.households.models import Household
    from server.households.services import link_cadre
    from server.surveys.services import current_version, publish_builtins

    class System:
        id, role, area = None, "admin", None
    app = create_app()
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        publish_builtins()
        county = create_area(System(), code=f"T{run}", name="县", level="county")
        town = create_area(System(), code=f"T{run}-Z", name="镇", level="township", parent_id=county.id)
        villages = [create_area(System(), code=f"T{run}-V{v}", name=f"村{v}", level="village", parent_id=town.id)
                    for v in range(len(world.villages))]
        for c, cadre in enumerate(world.cadres):
            user = create_user(f"truth{run}{c}", "bench-pass", "cadre", area_id=villages[cadre["village"]].id)
            cadre["ids"], cadre["codes"], cadre["tokens"] = [], [], [issue_device(user, f"phone{p}")[1] for p in (1, 2)]
            for h, spot in enumerate(cadre["houses"] + cadre["dense"]):
                located = h not in cadre["unlocated"]
                row = Household(code=f"T{run}{c:02d}-{h:03d}", area_id=villages[cadre["village"]].id,
                                head_name=f"户主{h}", address=f"{h}号", lat=spot[0] if located else None,
                                lon=spot[1] if located else None, location_source="surveyed" if located else None)
                db.session.add(row)
                db.session.flush()
                link_cadre(row, user.id, actor=System())
                cadre["ids"].append(row.id)
                cadre["codes"].append(row.code)
        db.session.commit()
        return app, current_version("visit").xml


# ---- traces ------------------------------------------------------------------

class Trace:
    """One cadre-day: records {household, when, fix, start, end, ...}, how they are sent, and its kind."""

    def __init__(self, kind, cadre, protocol):
        self.kind, self.cadre, self.protocol = kind, cadre, protocol
        self.records: list = []
        self.phone = 0
        self.device_time_offset = None  # the field app's X-Device-Time offset (None: ODK Collect)
        self.shuffle = False


def gps_fix(rng, true_spot, indoors=False, constant=None, altitude=True):
    """A phone fix near the true spot: accuracy drawn as phones report it; the error drawn from it."""
    if constant is not None:
        accuracy = constant
    elif indoors:
        accuracy = round(rng.uniform(20, 65), 1)
    else:
        accuracy = round(rng.lognormvariate(math.log(7), 0.45), 1)
    network = indoors and rng.random() < 0.4  # a network fix: no altitude
    sigma = accuracy / 1.51  # accuracy is the 68 % radius of a 2-D normal error
    scale = 2.5 if rng.random() < 0.03 else 1.0  # multipath outliers
    lat, lon = move(*true_spot, rng.gauss(0, sigma) * scale, rng.gauss(0, sigma) * scale)
    alt = 0.0 if (network or not altitude) else round(rng.gauss(35, 6), 1)
    return {"lat": round(lat, 7), "lon": round(lon, 7), "accuracy": accuracy, "altitude": alt}


def honest_day(rng, trace, day, speed_kmh, indoor_share=0.3, houses=None, pool=None, count=(7, 11)):
    """A day's round: `houses` in that order, or a nearest-neighbour round over some of `pool`."""
    cadre = trace.cadre
    everything = cadre["houses"] + cadre["dense"]
    if houses is not None:
        order = list(houses)
        spots = [everything[i] for i in order]
    else:
        pool = list(pool if pool is not None else range(len(cadre["houses"]) - 6))
        order = rng.sample(pool, min(len(pool), rng.randint(*count)))
        order, spots = _round(order, [everything[i] for i in order])
    when = day.replace(hour=8, minute=30) + timedelta(minutes=rng.randint(0, 60))
    where = cadre["home"]
    for index, spot in zip(order, spots):
        when += timedelta(hours=metres(where, spot) * 1.35 / 1000 / speed_kmh, minutes=rng.uniform(1, 4))
        door = move(*spot, rng.uniform(-15, 15), rng.uniform(-15, 15))
        talk = timedelta(minutes=rng.uniform(3, 20))
        start = when + timedelta(minutes=rng.uniform(0, 3))
        end = start + talk
        trace.records.append({"household": index, "start": start, "end": end, "fixed_at": start + talk / 2,
                              "fix": gps_fix(rng, door, indoors=rng.random() < indoor_share)})
        when, where = end, spot


def _round(order, spots):
    pairs = list(zip(order, spots))
    out = [pairs.pop(0)]
    while pairs:
        last = out[-1][1]
        pairs.sort(key=lambda p: metres(last, p[1]))
        out.append(pairs.pop(0))
    return [p[0] for p in out], [p[1] for p in out]


def build_trace(rng, kind, cadre, day, protocol):
    trace = Trace(kind, cadre, protocol)
    houses = cadre["houses"]
    located = [i for i in range(len(houses) - 6) if i not in cadre["unlocated"]]
    other_village = list(range(len(houses) - 6, len(houses)))
    if kind in ("walk", "late_sync"):
        honest_day(rng, trace, day, 4.5, pool=located)
    elif kind == "motorbike":  # this village, then the other village's households on the same day
        honest_day(rng, trace, day, 30, pool=located + other_village, count=(8, 12))
    elif kind == "indoors":
        honest_day(rng, trace, day, 4.5, indoor_share=0.9, pool=located)
    elif kind == "dense_street":
        base = len(houses)
        honest_day(rng, trace, day, 4.0, houses=list(range(base, base + 10)))
    elif kind == "first_visit":
        # the form warns over 50 m (warning-accuracy), so the cadre steps out of the door for the fix
        honest_day(rng, trace, day, 4.5, houses=sorted(cadre["unlocated"]), indoor_share=0.0)
    elif kind == "reference_copy":  # at home, the reference coordinates from households.csv
        when = day.replace(hour=20)
        for i in rng.sample(located, 8):
            when += timedelta(minutes=rng.uniform(4, 9))
            trace.records.append({"household": i, "start": when - timedelta(minutes=4), "end": when, "fixed_at": when,
                                  "fix": {"lat": round(houses[i][0], 7), "lon": round(houses[i][1], 7),
                                          "accuracy": round(rng.uniform(4, 12), 1), "altitude": 0.0}})
    elif kind == "two_phones":  # the cadre in one village; a helper with the account on a second phone
        honest_day(rng, trace, day, 4.5, pool=located, count=(6, 8))
        for r in trace.records:
            r["kind"] = "two_phones_own"
        helper = Trace(kind, cadre, protocol)
        helper.records = []
        honest_day(rng, helper, day, 4.5, pool=other_village, count=(6, 6))
        for r in helper.records:
            r["phone"] = 1
        trace.records += helper.records
        trace.shuffle = True
    elif kind in ("backdated_app", "backdated_collect"):  # clock set back into last month
        day = datetime.now(TZ).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
        honest_day(rng, trace, day, 4.5)
        back = (day - day.replace(day=1)) + timedelta(days=rng.randint(1, 4))  # into last month's last days
        for r in trace.records:
            for key in ("start", "end", "fixed_at"):
                r[key] = r[key] - back
        if kind == "backdated_app":
            trace.device_time_offset = -back.total_seconds()
    elif kind == "burst_one_spot":  # standing in the village square, ten households in fifteen minutes
        spot = houses[located[0]]
        near = sorted(located, key=lambda i: metres(spot, houses[i]))[:10]
        when = day.replace(hour=10)
        for i in near:
            when += timedelta(seconds=rng.uniform(60, 100))
            trace.records.append({"household": i, "start": when - timedelta(seconds=rng.uniform(130, 200)),
                                  "end": when, "fixed_at": when, "fix": gps_fix(rng, spot)})
    elif kind == "same_pin":  # a mock app holding one pin, reused for several households
        pin = move(*houses[located[0]], 12, 9)
        when = day.replace(hour=9)
        for i in sorted(located, key=lambda i: metres(pin, houses[i]))[:6]:
            when += timedelta(minutes=rng.uniform(8, 15))
            trace.records.append({"household": i, "start": when - timedelta(minutes=5), "end": when, "fixed_at": when,
                                  "fix": {"lat": round(pin[0], 7), "lon": round(pin[1], 7), "accuracy": 3.0,
                                          "altitude": 0.0}})
    elif kind == "mock_walk":  # a mock app walking from house to house with a constant accuracy
        honest_day(rng, trace, day, 4.5)
        for r in trace.records:
            spot = (houses + cadre["dense"])[r["household"]]
            lat, lon = move(*spot, rng.uniform(-10, 10), rng.uniform(-10, 10))
            r["fix"] = {"lat": round(lat, 7), "lon": round(lon, 7), "accuracy": 5.0, "altitude": 0.0}
    elif kind == "drive_by":  # a minute at each door from the motorbike
        honest_day(rng, trace, day, 30)
        for r in trace.records:
            r["end"] = r["start"] + timedelta(seconds=rng.uniform(30, 90))
            r["fixed_at"] = r["end"]
    elif kind == "anchor_from_home":  # first visits to unlocated houses filled in at home
        when = day.replace(hour=19)
        for i in sorted(cadre["unlocated"]):
            when += timedelta(minutes=rng.uniform(6, 12))
            trace.records.append({"household": i, "start": when - timedelta(minutes=5), "end": when, "fixed_at": when,
                                  "fix": gps_fix(rng, move(*cadre["home"], rng.uniform(-20, 20), 0))})
    if kind == "late_sync" or rng.random() < 0.15:
        trace.shuffle = True  # sent in an order other than captured
    return trace


# ---- sending -----------------------------------------------------------------

def send(base, trace, form_xml, ids_out):
    from forms.answers import build_instance_xml
    records = list(trace.records)
    if trace.shuffle:
        random.Random(len(records)).shuffle(records)
    cadre = trace.cadre
    json_items = defaultdict(list)
    for r in records:
        instance_id = f"uuid:{uuid.uuid4()}"
        ids_out[instance_id] = (r.get("kind", trace.kind), trace)
        token = cadre["tokens"][r.get("phone", trace.phone)]
        fix = r["fix"]
        if trace.protocol == "openrosa":
            answers = {"start": r["start"].astimezone(TZ).isoformat(timespec="milliseconds"),
                       "end": r["end"].astimezone(TZ).isoformat(timespec="milliseconds"),
                       "household": cadre["codes"][r["household"]], "visit_type": "routine",
                       "location": f"{fix['lat']} {fix['lon']} {fix['altitude']} {fix['accuracy']}"}
            body, content_type = _multipart(build_instance_xml(form_xml, answers, instance_id))
            headers = {"Content-Type": content_type, "X-OpenRosa-Version": "1.0"}
            if trace.device_time_offset is not None:
                headers["X-Device-Time"] = (datetime.now(timezone.utc) +
                                            timedelta(seconds=trace.device_time_offset)).isoformat()
            response = requests.post(f"{base}/key/{token}/openrosa/submission", data=body, headers=headers, timeout=60)
            assert response.status_code == 201, response.text[:300]
        else:
            item = {"instance_id": instance_id, "form_id": "visit", "household_id": cadre["ids"][r["household"]],
                    "captured_at": r["end"].isoformat(), "location": fix,
                    "answers": {"visit_type": "routine", "start": r["start"].isoformat(), "end": r["end"].isoformat()}}
            if trace.device_time_offset is not None:
                item["clock_offset_s"] = trace.device_time_offset
            json_items[token].append(item)
    for token, items in json_items.items():
        for i in range(0, len(items), 100):
            response = requests.post(f"{base}/api/v1/sync/push", json={"submissions": items[i:i + 100]},
                                     headers={"Authorization": f"Bearer {token}"}, timeout=120)
            assert response.status_code == 200 and all(x["status"] == "accepted" for x in response.json()["results"]), \
                response.text[:300]


def revealable(trace, row, config_grace_days) -> bool:
    """Whether the data could reveal this faked record (a clock set back inside the grace period,
    sent through ODK Collect that reports no clock offset, cannot be told from an honest visit)."""
    if trace.kind != "backdated_collect":
        return True
    local = row.captured_at.astimezone(TZ)
    month_end = (local.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)).replace(day=1)
    return row.received_at > month_end + timedelta(days=config_grace_days)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=16, help="cadres (each gets --days day traces)")
    parser.add_argument("--days", type=int, default=4, help="day traces per cadre (max 8)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    world = World(rng, max(2, min(args.cadres, 200)))
    run = uuid.uuid4().hex[:5]
    tmp = tempfile.mkdtemp(prefix="lianhu-truth-")
    env = {"LIANHU_INSTANCE": tmp, "ATTACHMENT_DIR": f"{tmp}/attachments", "LIANHU_ENV": "production",
           "SECRET_KEY": "bench", "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/truth.db"}
    app, form_xml = seed(env, world, run)
    kinds = list(HONEST + FAKED)
    traces, slot = [], 0
    today = datetime.now(TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    for c, cadre in enumerate(world.cadres):
        for d in range(min(args.days, 8)):
            kind = kinds[slot % len(kinds)]
            slot += 1
            protocol = ("openrosa", "json")[(c + d) % 2]
            traces.append(build_trace(rng, kind, cadre, today - timedelta(days=d + 1), protocol))
    port = free_port()
    gunicorn = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
                                 "--preload", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    ids: dict = {}
    try:
        _wait(base)
        for trace in traces:
            send(base, trace, form_xml, ids)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=180)  # a loaded machine can take more than 30 s to stop the workers
    report(app, ids)


def report(app, ids):
    from server.extensions import db
    from server.submissions.models import Submission
    with app.app_context():
        counted_statuses = set(app.config["COUNTED_GEO_STATUSES"])
        grace = app.config["LATE_GRACE_DAYS"]
        rows = {r.instance_id: r for r in db.session.scalars(db.select(Submission).where(
            Submission.instance_id.in_(list(ids))))}
        table = defaultdict(lambda: {"n": 0, "flagged": 0, "suspect": 0, "counted": 0, "revealable": 0,
                                     "caught": 0, "reasons": defaultdict(int), "statuses": defaultdict(int)})
        for instance_id, (kind, trace) in ids.items():
            row = rows[instance_id]
            t = table[kind]
            counted = row.geo_status in counted_statuses and row.review_state != "rejected"
            t["n"] += 1
            t["counted"] += counted
            t["flagged"] += not counted
            t["suspect"] += row.geo_status == "suspect"
            t["statuses"][row.geo_status] += 1
            for flag in row.geo_flags or []:
                t["reasons"][flag["code"]] += 1
            if kind in FAKED and revealable(trace, row, grace):
                t["revealable"] += 1
                t["caught"] += not counted
    print(f"{'kind':<18} {'records':>7} {'flagged':>7} {'counted':>7}  reasons / statuses")
    for group, kinds in (("honest", HONEST), ("faked", FAKED), ("context", ("two_phones_own",))):
        for kind in kinds:
            t = table.get(kind)
            if not t:
                continue
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(t["reasons"].items(), key=lambda x: -x[1]))
            statuses = ", ".join(f"{k} {v}" for k, v in sorted(t["statuses"].items()))
            extra = f"  (revealable {t['revealable']})" if group == "faked" else ""
            print(f"{group[0]}:{kind:<16} {t['n']:>7} {t['flagged']:>7} {t['counted']:>7}  {reasons or '-'} | "
                  f"{statuses}{extra}")
    honest = [table[k] for k in HONEST if k in table]
    faked = [table[k] for k in FAKED if k in table]
    hn, hf = sum(t["n"] for t in honest), sum(t["flagged"] for t in honest)
    fr, fc = sum(t["revealable"] for t in faked), sum(t["caught"] for t in faked)
    fn, fcount = sum(t["n"] for t in faked), sum(t["counted"] for t in faked)
    print(f"honest visits falsely flagged (not counted): {hf}/{hn} = {100 * hf / max(hn, 1):.1f}%")
    print(f"faked visits detected (not counted), of those the data can reveal: {fc}/{fr} = {100 * fc / max(fr, 1):.1f}%")
    print(f"faked visits counted, all kinds: {fcount}/{fn} = {100 * fcount / max(fn, 1):.1f}%")


if __name__ == "__main__":
    main()
