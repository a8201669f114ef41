"""The verdict on a batch's new submissions, and on the stored ones whose neighbourhood they change.

Ingest calls `check_new` once per batch, after deciding each item and before inserting: it sets
each new submission's geo status from the pure checks in server/verdicts.py, loads the same
cadre's and the same device's stored records around the batch's capture times, and re-evaluates
those whose neighbours changed (a record that becomes suspect stops counting, with its reasons and
an audit entry). Flushes, never commits.
"""
import json
from datetime import datetime, timedelta, timezone
from operator import itemgetter

from sqlalchemy import Text, bindparam, cast, literal_column, tuple_, union_all

from .. import verdicts
from ..extensions import db
from ..geo import GeoResult, location_status
from ..households.access import current_cadre_id
from ..households.models import Household
from ..areas.models import Area
from . import lifecycle
from .models import Submission
from .reasons import reason_text

#: stored records this close to the batch's capture times are re-evaluated; twice that is loaded,
#: so every re-evaluated record has its neighbours before and after at hand
RECHECK = timedelta(hours=3)
#: at most this many stored records on each side of the batch (a busy cadre's day is ~20)
NEIGHBOURS_EACH_SIDE = 150
#: a stored record's columns: the first ten are verdicts.Facts' fields in order; geo_flags comes as
#: JSON text (cast: psycopg would decode every neighbour's jsonb), decoded only for the few records
#: _recheck_stored compares
_COLUMNS = (Submission.id, Submission.submitter_id, Submission.device_id, Submission.household_id,
            Submission.captured_at, Submission.lat, Submission.lon, Submission.accuracy, Submission.altitude,
            Submission.kind, Submission.geo_status, Submission.base_geo_status,
            cast(Submission.geo_flags, Text()).label("geo_flags"), Submission.review_state,
            Submission.geo_reason)
_ID, _CAPTURED, _PART = 0, 4, len(_COLUMNS)
_BY_TIME = itemgetter(_CAPTURED)


def check_new(actor, device, created: list, now: datetime, config, known=None) -> None:
    """Own and neighbour flags for new submissions [(outcome, candidate)], stored neighbours re-evaluated.
    `known`: ingest's households_sql.Households, which already holds the batch's households."""
    items = [(o, c) for o, c in created if o.submission is not None]
    if not items:
        return
    refs = _references({c.values["household_id"] for _, c in items if c.values.get("household_id")}, known)
    new_facts, pending = [], []
    for outcome, c in items:
        v = c.values
        client = _client(c)
        v.update(client)
        outcome.submission.__dict__.update(client)
        if c.upload.protocol == "resident":
            _hold_resident_answer(outcome, c, now, config)
            continue
        base, flags = _own(v, c, refs, now, config)
        pending.append((outcome, c, base, flags))
        new_facts.append(_facts_of(v, key=("new", v["instance_id"])))
    if not new_facts:
        return
    times = [f.captured_at for f in new_facts]
    bounds, stored = _stored_around(actor, device, min(times), max(times), new_facts)
    neighbour = verdicts.neighbour_flags(new_facts + [facts for facts, _ in stored], config, focus=times)
    for (outcome, c, base, flags), facts in zip(pending, new_facts):  # noqa: B007
        flags = flags + neighbour.get(facts.key, [])
        _set_verdict(outcome, c, base, flags)
    _recheck_stored(actor, stored, neighbour, bounds)


def _client(c) -> dict:
    """The clock offset the device reported and who sent it (address, browser)."""
    client = getattr(c.upload, "client", None) or {}
    offset = (c.upload.item or {}).get("clock_offset_s") if isinstance(c.upload.item, dict) else None
    if offset is None:
        offset = client.get("clock_offset_s")
    try:
        offset = float(offset) if offset is not None and not isinstance(offset, bool) else None
    except (TypeError, ValueError):
        offset = None
    fingerprint = {k: client[k] for k in ("ip", "ua", "browser", "opened_at") if client.get(k)} or None
    return {"clock_offset_s": offset, "fingerprint": fingerprint}


def _hold_resident_answer(outcome, c, now, config) -> None:
    """A resident's answer given from the rated cadre's own device or network, too fast, or one of many
    from one browser in a short time is held (has_issues: out of scores) until a manager accepts it."""
    v, fingerprint = c.values, c.values.get("fingerprint") or {}
    flags = []
    cadre_id = current_cadre_id(v["household_id"]) if v.get("household_id") else None
    since = now - timedelta(days=30)
    if cadre_id is not None and fingerprint.get("ip"):
        seen = db.session.execute(db.select(Submission.fingerprint).where(
            Submission.submitter_id == cadre_id, Submission.received_at >= since,
            Submission.fingerprint.is_not(None)).order_by(Submission.received_at.desc()).limit(500)).scalars()
        prints = [p for p in seen if isinstance(p, dict)]
        if any(p.get("ip") == fingerprint["ip"] and p.get("ua") == fingerprint.get("ua") for p in prints):
            flags.append({"code": "resident_cadre_device"})
        elif any(p.get("ip") == fingerprint["ip"] for p in prints):
            flags.append({"code": "resident_cadre_network"})
    opened = _time(fingerprint.get("opened_at"))
    if opened is not None and 0 <= (now - opened).total_seconds() < config["RESIDENT_MIN_SECONDS"]:
        flags.append({"code": "resident_too_fast", "seconds": int((now - opened).total_seconds())})
    if fingerprint.get("browser") or fingerprint.get("ip"):
        window = now - timedelta(minutes=config["RESIDENT_BURST_MIN"])
        same = (Submission.fingerprint["browser"].as_string() == fingerprint["browser"]) if fingerprint.get("browser") \
            else db.and_(Submission.fingerprint["ip"].as_string() == fingerprint["ip"],
                         Submission.fingerprint["ua"].as_string() == fingerprint.get("ua", ""))
        earlier = db.session.scalar(db.select(db.func.count()).select_from(Submission).where(
            Submission.source == "resident", Submission.received_at >= window, same))
        if earlier + 1 > config["RESIDENT_BURST_MAX"]:
            flags.append({"code": "resident_burst", "n": earlier + 1, "minutes": config["RESIDENT_BURST_MIN"]})
    if flags:
        changes = {"geo_flags": flags, "review_state": "has_issues", "geo_reason": reason_text(flags[0], "en")[:200]}
        v.update(changes)
        outcome.submission.__dict__.update(changes)


def _time(text):
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None
    return when if when is None or when.tzinfo else when.replace(tzinfo=timezone.utc)


def _own(v, c, refs, now, config):
    """The base status (where the fix lies) and the flags the record shows by itself."""
    hid = v.get("household_id")
    ref = refs.get(hid)
    point = c.point if v.get("lat") is not None else None
    if point is None or hid is None:
        base = GeoResult("no_fix", None, "no location was captured" if point is None else "no household")
    else:
        base = location_status(point, ref["lat"] if ref else None, ref["lon"] if ref else None, config)
    started, ended = _form_times(c)
    flags = verdicts.own_flags(
        point=point, is_mock=v.get("is_mock", False), captured_at=v["captured_at"], received_at=now,
        reference=(ref["lat"], ref["lon"]) if ref and ref["source"] != "first_visit" else None,
        started_at=started, ended_at=ended, clock_offset_s=v.get("clock_offset_s"), kind=v["kind"], config=config)
    if base.status == "anchored" and ref is not None:
        flag = None if flags else verdicts.anchor_flag(point["lat"], point["lon"], boundary=ref["boundary"],
                                                        located=ref["located"], config=config)
        if flag is not None:
            flags.append(flag)
        elif not flags:  # later items of the batch compare with this anchor
            ref.update(lat=point["lat"], lon=point["lon"], source="first_visit")
    return base, flags


def _set_verdict(outcome, c, base: GeoResult, flags: list) -> None:
    status = verdicts.status_of(base.status, flags)
    reason = reason_text(flags[0], "en")[:200] if flags else base.reason
    changes = {"geo_status": status, "geo_distance_m": base.distance_m, "geo_reason": reason,
               "base_geo_status": base.status, "geo_flags": flags or None}
    c.values.update(changes)
    outcome.submission.__dict__.update(changes)
    outcome.geo = GeoResult(status, base.distance_m, reason)


def _form_times(c):
    """The form's own start and end answers (device clock), when it has them."""
    found = {}
    for path in c.spec.time_paths:
        value = c.answers.get(path)
        if isinstance(value, str) and value.strip():
            try:
                when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                continue
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            found[path.rsplit("/", 1)[-1]] = when
    return found.get("start"), found.get("end")


_REFERENCES = db.select(Household.id, Household.lat, Household.lon, Household.location_source,
                        Household.area_id).where(Household.id.in_(bindparam("ids", expanding=True)))


def _references(household_ids: set, known=None) -> dict:
    """Each household's reference location and what tells whether a first-visit anchor is in its village."""
    if not household_ids:
        return {}
    found = known.references(household_ids) if known is not None else {}
    missing = [i for i in household_ids if i not in found]
    if missing:
        found.update((r[0], r[1:]) for r in db.session.connection().execute(_REFERENCES, {"ids": missing}))
    refs = {hid: {"lat": lat, "lon": lon, "source": source, "area_id": area_id, "boundary": None, "located": []}
            for hid, (lat, lon, source, area_id) in found.items()}
    unanchored_areas = {r["area_id"] for r in refs.values() if r["lat"] is None}
    if unanchored_areas:
        boundaries = _boundaries(unanchored_areas)
        located: dict = {}
        for area_id, lat, lon in db.session.execute(
                db.select(Household.area_id, Household.lat, Household.lon)
                .where(Household.area_id.in_(unanchored_areas), Household.lat.is_not(None),
                       Household.is_active.is_(True))):
            located.setdefault(area_id, []).append((lat, lon))
        for ref in refs.values():
            if ref["lat"] is None:
                ref["boundary"] = boundaries.get(ref["area_id"])
                ref["located"] = located.get(ref["area_id"], [])
    return refs


def _boundaries(area_ids: set) -> dict:
    """The boundary of each area, or of its nearest ancestor that has one."""
    areas = {a.id: a for a in db.session.scalars(db.select(Area).where(Area.id.in_(area_ids)))}
    ancestors = {int(x) for a in areas.values() for x in (a.path or "").strip("/").split("/") if x}
    known = {a.id: a for a in db.session.scalars(db.select(Area).where(Area.id.in_(ancestors)))} if ancestors else {}
    out = {}
    for area in areas.values():
        for aid in reversed([int(x) for x in (area.path or "").strip("/").split("/") if x] or [area.id]):
            found = known.get(aid) or areas.get(aid)
            if found is not None and found.boundary:
                out[area.id] = found.boundary
                break
    return out


def _facts_of(v: dict, key) -> verdicts.Facts:
    return verdicts.Facts(key=key, submitter_id=v.get("submitter_id"), device_id=v.get("device_id"),
                          household_id=v.get("household_id"), captured_at=v["captured_at"], lat=v.get("lat"),
                          lon=v.get("lon"), accuracy=v.get("accuracy"), altitude=v.get("altitude"),
                          kind=v.get("kind", "visit"))


def _stored_around(actor, device, lo, hi, new_facts) -> list:
    """(Facts, row) of the stored current records of this cadre or device near the batch, and any
    stored visit of the cadre's with the very coordinates of a new one: one statement (see _around)."""
    device_id = getattr(device, "id", None) if device is not None else None
    pins = list({(f.lat, f.lon) for f in new_facts if f.lat is not None and f.lon is not None})[:500]
    params = {"submitter": actor.id, "lo": lo - 2 * RECHECK, "hi": hi, "far": hi + 2 * RECHECK}
    if device_id is not None:
        params["device"] = device_id
    connection = db.session.connection()
    pairs = connection.dialect.name == "postgresql"
    if len(pins) == 1:  # one visit (OpenRosa): equalities, a statement SQLAlchemy need not render again
        params["lat"], params["lon"] = pins[0]
    elif pins and pairs:
        params["pins"] = sorted(pins)
    elif pins:
        params["lats"], params["lons"] = sorted({p[0] for p in pins}), sorted({p[1] for p in pins})
    before, after, same_pin = {}, {}, []
    for row in connection.execute(_around(device_id is not None, min(len(pins), 2), pairs), params):
        part = row[_PART]
        if part == "p":
            same_pin.append(row)
        else:
            (before if part == "b" else after).setdefault(row[_ID], row)
    # the cadre's and the device's nearest records on each side, as one OR query would give them
    before = sorted(before.values(), key=_BY_TIME, reverse=True)[:NEIGHBOURS_EACH_SIDE]
    after = sorted(after.values(), key=_BY_TIME)[:NEIGHBOURS_EACH_SIDE]
    #: records strictly inside these bounds have their neighbours on both sides loaded
    bounds = (before[-1][_CAPTURED] if len(before) == NEIGHBOURS_EACH_SIDE else lo - RECHECK,
              after[-1][_CAPTURED] if len(after) == NEIGHBOURS_EACH_SIDE else hi + RECHECK)
    rows = before + after
    if same_pin:
        seen = {r[_ID] for r in rows}
        rows += [r for r in same_pin if r[_ID] not in seen]
    return bounds, [(verdicts.Facts(*r[:10]), r) for r in rows]


def _stored_flags(value) -> list | None:
    """A stored record's geo_flags as _COLUMNS reads them (JSON text), decoded."""
    return json.loads(value) if value is not None else None


_AROUND: dict = {}


def _around(with_device: bool, with_pins: int, pairs: bool = False):
    """The statement _stored_around runs, built once per shape: the NEIGHBOURS_EACH_SIDE nearest
    current located records before (`part` b) and after (a) the batch, of the cadre and of the
    device separately (each an index range scan: ix_submissions_submitter, ix_submissions_device;
    the device's part leaves out the cadre's own records, which the cadre's part already has: the
    nearest of the union are the nearest of the two parts all the same), and up to 200 of the cadre's
    visits at one of the batch's pins (p; `with_pins` 0 none, 1 a single pin, 2 several), in one UNION
    ALL. Several pins: `pairs` (PostgreSQL) as (lat, lon) pairs, which its planner turns into one seek of
    ix_submissions_pin a pin (with a latitude list and a longitude list it seeks the submitter alone and
    filters every record the cadre sent); SQLite seeks all three columns from the two lists, and
    does not from pairs."""
    key = (with_device, with_pins, pairs)
    if key not in _AROUND:
        near = [Submission.is_current.is_(True), Submission.lat.is_not(None)]
        earlier = [Submission.captured_at >= bindparam("lo"), Submission.captured_at <= bindparam("hi")]
        later = [Submission.captured_at > bindparam("hi"), Submission.captured_at <= bindparam("far")]
        who = [Submission.submitter_id == bindparam("submitter")]
        if with_device:
            who.append(db.and_(Submission.device_id == bindparam("device"),
                               Submission.submitter_id.is_distinct_from(bindparam("submitter"))))
        parts = []
        for whose in who:
            parts.append(db.select(*_COLUMNS, literal_column("'b'").label("part")).where(whose, *near, *earlier)
                         .order_by(Submission.captured_at.desc()).limit(NEIGHBOURS_EACH_SIDE))
            parts.append(db.select(*_COLUMNS, literal_column("'a'").label("part")).where(whose, *near, *later)
                         .order_by(Submission.captured_at).limit(NEIGHBOURS_EACH_SIDE))
        if with_pins:
            # `kind` as a literal, so that the planner knows nearly every row is a visit and reads the
            # submitter's index alone (a bitmap AND with every visit's entry in an index on kind was
            # seen on a table never analyzed)
            parts.append(db.select(*_COLUMNS, literal_column("'p'").label("part")).where(
                Submission.submitter_id == bindparam("submitter"), Submission.is_current.is_(True),
                Submission.kind == literal_column("'visit'"), *(
                    (Submission.lat == bindparam("lat"), Submission.lon == bindparam("lon")) if with_pins == 1 else
                    (tuple_(Submission.lat, Submission.lon).in_(bindparam("pins", expanding=True)),) if pairs else
                    (Submission.lat.in_(bindparam("lats", expanding=True)),
                     Submission.lon.in_(bindparam("lons", expanding=True))))).limit(200))
        _AROUND[key] = union_all(*(db.select(part.subquery()) for part in parts))
    return _AROUND[key]


def _recheck_stored(actor, stored, neighbour, bounds) -> None:
    """Stored records whose neighbour flags changed get a new verdict through the lifecycle (which
    moves the household's last counted visit, un-anchors a suspect anchor, and audits it)."""
    changes = {}
    for facts, row in stored:
        base = row.base_geo_status or (row.geo_status if row.geo_status != "suspect" else None)
        if base is None or row.review_state in ("approved", "rejected"):
            continue  # a verdict from before these checks, or one a manager settled
        found = neighbour.get(facts.key, [])
        if not found and row.geo_flags in (None, "null", "[]", []):
            continue  # no flags before, none now (most honest records): nothing to compare
        in_window = bounds[0] < row.captured_at < bounds[1]
        old = list(_stored_flags(row.geo_flags) or [])
        kept = [f for f in old if f.get("code") not in verdicts.NEIGHBOUR_CODES]
        if not in_window:  # only part of its neighbourhood is loaded: add, never take away
            found = [f for f in old if f.get("code") in verdicts.NEIGHBOUR_CODES] + \
                [f for f in found if f.get("code") == "repeated_pin"]
        flags = _unique(kept + found)
        if _codes(flags) != _codes(old):
            changes[row.id] = (base, flags, row)
    if not changes:
        return
    loaded = {s.id: s for s in db.session.scalars(db.select(Submission).where(Submission.id.in_(list(changes))))}
    updates = []
    for sid, (base, flags, row) in changes.items():
        status = verdicts.status_of(base, flags, row.review_state)
        reason = reason_text(flags[0], "en")[:200] if flags else (row.geo_reason if row.geo_status != "suspect"
                                                                   else None)
        updates.append(lifecycle.Verdict(loaded[sid], status, reason, flags=flags, base_status=base))
    lifecycle.set_verdicts(actor, updates)


def _unique(flags: list) -> list:
    seen, out = set(), []
    for flag in flags:
        marker = (flag.get("code"), flag.get("side"))
        if marker not in seen:
            seen.add(marker)
            out.append(flag)
    return out


def _codes(flags) -> list:
    return sorted((f.get("code"), f.get("side") or "") for f in flags or [])
