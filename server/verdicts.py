"""Whether a visit can be believed: pure functions over plain data (no database, no Flask).

Two kinds of flag (codes in server/submissions/reasons.py):
- own flags, which one record shows by itself (mock provider, clock, copied reference coordinates,
  a form open too briefly, a late entry, an anchor outside the village);
- neighbour flags, which a record shows beside the same cadre's or the same device's other records
  ordered by capture time (speed before and after, bursts from one spot, repeated pins, constant
  accuracy, altitude 0). These are recomputed whenever a neighbour arrives, in any order.
A record with any flag is `suspect`; otherwise its status is where its fix lies (geo.location_status).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import bisect
import math

from .geo import distance_m

NEIGHBOUR_CODES = frozenset({"speed", "two_devices", "burst", "repeated_pin", "constant_accuracy",
                             "altitude_zero"})
#: one account on two phones: consecutive records from different devices this close in time ...
TWO_DEVICES_MINUTES = 30
#: ... and this far apart cannot be one person carrying two phones
TWO_DEVICES_KM = 1.0
#: the slack, on top of both fixes' accuracies, before a jump counts as travel (GPS outliers)
SPEED_SLACK_KM = 0.1
#: a fix equal to the household's reference to the fix's own precision (at most this many
#: decimals) is a copy of it: a real phone fix lands within a centimetre of the reference almost never
COPY_DECIMALS = 7
#: fixes better than this come from GPS, which always reports an altitude
GPS_GRADE_M = 20.0


@dataclass(slots=True)
class Facts:
    """One submission as the checks see it (made for every stored neighbour of every submission)."""
    key: object
    submitter_id: int | None
    device_id: int | None
    household_id: int | None
    captured_at: datetime
    lat: float | None = None
    lon: float | None = None
    accuracy: float | None = None
    altitude: float | None = None
    kind: str = "visit"

    @property
    def has_fix(self) -> bool:
        return self.lat is not None and self.lon is not None


# ---- own flags ---------------------------------------------------------------

def own_flags(*, point: dict | None, is_mock: bool, captured_at: datetime, received_at: datetime,
              reference: tuple | None, started_at: datetime | None, ended_at: datetime | None,
              clock_offset_s: float | None, kind: str, config) -> list[dict]:
    """Flags one record shows by itself."""
    flags = []
    accuracy = (point or {}).get("accuracy")
    if is_mock:
        flags.append({"code": "mock_location"})
    if accuracy is not None and accuracy == 0:
        flags.append({"code": "accuracy_zero"})
    if captured_at - received_at > timedelta(minutes=5):
        flags.append({"code": "clock_future"})
    if received_at - captured_at > timedelta(days=config["MAX_OFFLINE_DAYS"]):
        flags.append({"code": "offline_too_long", "days": config["MAX_OFFLINE_DAYS"]})
    if clock_offset_s is not None and abs(clock_offset_s) > config["CLOCK_SKEW_MAX_S"]:
        flags.append({"code": "clock_skew", "minutes": round(clock_offset_s / 60)})
    if point and reference and reference[0] is not None and reference[1] is not None:
        if copied(point["lat"], point["lon"], reference[0], reference[1]):
            flags.append({"code": "reference_copy"})
    if kind == "visit" and started_at is not None and ended_at is not None:
        seconds = (ended_at - started_at).total_seconds()
        if 0 <= seconds < config["VISIT_MIN_SECONDS"]:
            flags.append({"code": "short_visit", "seconds": int(seconds), "minimum": config["VISIT_MIN_SECONDS"]})
    if kind == "visit":
        late = late_entry(captured_at, received_at, config)
        if late:
            flags.append(late)
    return flags


def copied(lat: float, lon: float, ref_lat: float, ref_lon: float) -> bool:
    """Whether a fix is the reference location copied (at whatever precision it was copied with)."""
    for value, ref in ((lat, ref_lat), (lon, ref_lon)):
        text = repr(float(value))
        decimals = len(text.split(".", 1)[1]) if "." in text and "e" not in text else 0
        if decimals > COPY_DECIMALS or round(ref, decimals) != value:
            return False
    return True


def month_bounds(at: datetime, tz: str) -> tuple[datetime, datetime]:
    """The calendar month (in the deployment's time zone) holding `at`, as UTC-aware bounds."""
    local = at.astimezone(ZoneInfo(tz))
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def late_entry(captured_at: datetime, received_at: datetime, config) -> dict | None:
    """补录: the month of captured_at closed more than LATE_GRACE_DAYS before the record arrived."""
    start, end = month_bounds(captured_at, config["TIMEZONE"])
    if received_at > end + timedelta(days=config["LATE_GRACE_DAYS"]):
        return {"code": "late_entry", "period": start.strftime("%Y-%m"), "closed": end.strftime("%Y-%m-%d")}
    return None


# ---- anchoring ---------------------------------------------------------------

def anchor_flag(lat: float, lon: float, *, boundary: dict | None, located: list, config) -> dict | None:
    """A first-visit fix must lie in the village: inside its boundary when set, else near one of
    its other located households (`located`: [(lat, lon)]). None when it does, or nothing can tell."""
    if boundary:
        if not point_in_geojson(lat, lon, boundary):
            return {"code": "anchor_outside", "detail": "outside the village boundary / 不在村界内"}
        return None
    if not located:
        return None
    nearest = min(distance_m(lat, lon, a, b) for a, b in located)
    if nearest > config["ANCHOR_MAX_M"]:
        return {"code": "anchor_outside", "detail": f"{nearest / 1000:.1f} km / 公里", "nearest_m": round(nearest)}
    return None


def point_in_geojson(lat: float, lon: float, geometry: dict) -> bool:
    """Whether a point lies in a GeoJSON Polygon / MultiPolygon (or a Feature / FeatureCollection of them)."""
    kind = geometry.get("type")
    if kind == "FeatureCollection":
        return any(point_in_geojson(lat, lon, f) for f in geometry.get("features") or [])
    if kind == "Feature":
        return point_in_geojson(lat, lon, geometry.get("geometry") or {})
    if kind == "Polygon":
        polygons = [geometry.get("coordinates") or []]
    elif kind == "MultiPolygon":
        polygons = geometry.get("coordinates") or []
    else:
        return True  # nothing to test against
    for rings in polygons:
        if rings and _in_ring(lon, lat, rings[0]) and not any(_in_ring(lon, lat, hole) for hole in rings[1:]):
            return True
    return False


def _in_ring(x, y, ring) -> bool:
    inside = False
    for (x1, y1, *_), (x2, y2, *_) in zip(ring, ring[1:] + ring[:1]):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


# ---- neighbour flags -------------------------------------------------------

def near_m(lat1, lon1, lat2, lon2) -> float:
    """Planar distance in metres: within 0.5 % of the geodesic over the few km between visits, and
    fast enough to compare every pair of a busy cadre's records."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000.0 * math.hypot(x, math.radians(lat2 - lat1))


def neighbour_flags(records: list[Facts], config, focus: list | None = None) -> dict:
    """key -> the neighbour flags of each record, over the same submitter's and the same device's
    records in capture-time order (records without a fix take part in nothing). `focus`: capture
    times of the new records; bursts are looked for only around them."""
    out = {r.key: [] for r in records}
    focus = sorted(focus) if focus else None
    located = [r for r in records if r.has_fix]
    groups: dict = {}
    for r in located:
        if r.submitter_id is not None:
            groups.setdefault(("submitter", r.submitter_id), []).append(r)
        if r.device_id is not None:
            groups.setdefault(("device", r.device_id), []).append(r)
    submitters = {frozenset(map(id, m)) for (group, _), m in groups.items() if group == "submitter"}
    for (group, _), members in groups.items():
        if group == "device" and frozenset(map(id, members)) in submitters:
            continue  # the very records of one submitter's group (one phone, one cadre): same flags
        members.sort(key=lambda r: (r.captured_at, str(r.key)))
        _speed(members, out, config)
        if group == "submitter":
            _two_devices(members, out)
        _burst(members, out, config, focus)
        _constant_accuracy(members, out, config)
        _altitude_zero(members, out)
    _repeated_pins(located, out)
    for key, flags in out.items():  # one flag per code and side, whichever group found it
        seen, unique = set(), []
        for flag in flags:
            marker = (flag["code"], flag.get("side"))
            if marker not in seen:
                seen.add(marker)
                unique.append(flag)
        out[key] = unique
    return out


def _speed(members, out, config):
    limit = config["GEO_MAX_SPEED_KMH"]
    for a, b in zip(members, members[1:]):
        km = near_m(a.lat, a.lon, b.lat, b.lon) / 1000.0
        slack = ((a.accuracy or 0) + (b.accuracy or 0)) / 1000.0 + SPEED_SLACK_KM
        if km <= slack:
            continue
        hours = max((b.captured_at - a.captured_at).total_seconds(), 1.0) / 3600.0
        kmh = (km - slack) / hours
        if kmh > limit:
            common = {"code": "speed", "km": round(km, 1), "minutes": round(hours * 60),
                      "kmh": round(kmh), "limit": round(limit)}
            out[b.key].append({**common, "side": "before"})
            out[a.key].append({**common, "side": "after"})


def _two_devices(members, out):
    """The same account on two phones at once: neighbours from different devices, far apart, close in time."""
    for a, b in zip(members, members[1:]):
        if a.device_id is None or b.device_id is None or a.device_id == b.device_id:
            continue
        minutes = (b.captured_at - a.captured_at).total_seconds() / 60
        if minutes > TWO_DEVICES_MINUTES:
            continue
        km = near_m(a.lat, a.lon, b.lat, b.lon) / 1000.0
        if km > TWO_DEVICES_KM:
            flag = {"code": "two_devices", "km": round(km, 1), "minutes": round(minutes)}
            out[a.key].append({**flag, "side": "after"})
            out[b.key].append({**flag, "side": "before"})


def _near_focus(at, window, focus) -> bool:
    if focus is None:
        return True
    i = bisect.bisect_left(focus, at - window)
    return i < len(focus) and focus[i] <= at + window


def _burst(members, out, config, focus=None):
    window = timedelta(minutes=config["BURST_WINDOW_MIN"])
    radius, maximum = config["BURST_RADIUS_M"], config["BURST_MAX_HOUSEHOLDS"]
    visits = [r for r in members if r.kind == "visit" and r.household_id is not None]
    for i, first in enumerate(visits):
        if not _near_focus(first.captured_at, window, focus):
            continue
        spot = [first]
        for other in visits[i + 1:]:
            if other.captured_at - first.captured_at > window:
                break
            if near_m(first.lat, first.lon, other.lat, other.lon) <= radius:
                spot.append(other)
        households = {r.household_id for r in spot}
        if len(households) > maximum:
            for r in spot:
                out[r.key].append({"code": "burst", "n": len(households), "window": config["BURST_WINDOW_MIN"],
                                   "maximum": maximum})


def _constant_accuracy(members, out, config):
    run_length = config["CONSTANT_ACCURACY_RUN"]
    run: list = []
    for r in members + [None]:
        if r is not None and r.accuracy is not None and run and run[-1].accuracy == r.accuracy:
            run.append(r)
            continue
        if len(run) >= run_length:
            for member in run:
                out[member.key].append({"code": "constant_accuracy", "n": len(run), "accuracy": f"{run[0].accuracy:g}"})
        run = [r] if r is not None and r.accuracy is not None else []


def _altitude_zero(members, out):
    reporting = sum(1 for r in members if r.altitude not in (None, 0))
    if reporting < 2:
        return  # this phone does not report altitude (or we cannot tell)
    for r in members:
        if r.altitude == 0 and r.accuracy is not None and r.accuracy < GPS_GRADE_M:
            out[r.key].append({"code": "altitude_zero"})


def _repeated_pins(located, out):
    by_pin: dict = {}
    for r in located:
        if r.kind == "visit" and r.household_id is not None:
            by_pin.setdefault((round(r.lat, 7), round(r.lon, 7)), []).append(r)
    for same in by_pin.values():
        if len({r.household_id for r in same}) < 2:
            continue
        for r in same:
            other = next(o for o in same if o.household_id != r.household_id)
            out[r.key].append({"code": "repeated_pin", "other": other.household_id})


def status_of(base: str, flags: list, review_state: str | None = None) -> str:
    """The geo status a record gets: suspect with any flag, unless a manager approved it."""
    if review_state == "approved" and base != "suspect":
        return base
    return "suspect" if flags else base


