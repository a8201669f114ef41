"""The coverage map's rows cached per area: each worker keeps, per area holding households, period,
visit policy and map form, the JSON text of that area's map rows, and serves it again while

- the area's map epoch (coverage_map_epochs, moved on by triggers on households, their summary rows
  and their links: migration s5_map_epochs) still holds the value read before the rows were, and
- `now` lies between the moment the rows were built for and the first moment one of their
  households that was not overdue then falls overdue (the one change time alone makes; a change
  of the visit policy moves every area on).

A township's map is then read again only for the villages where something happened since. The
epochs are read before the rows, so a change committed in between makes the entry stale at once
rather than never. Entries over MAP_CACHE_BYTES (per worker) go, least recently used first."""
import threading
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, select

from ..areas import services as areas
from ..areas.models import Area
from ..extensions import db
from ..households.services import policy_days
from .models import CoverageAreaSize, CoverageMapEpoch

E, SIZES = CoverageMapEpoch.__table__, CoverageAreaSize.__table__
#: households read per statement when areas are read afresh
GROUP_HOUSEHOLDS = 100000
_LOCK = threading.Lock()


class Layout(NamedTuple):
    """Where a map form's rows hold what the cache needs: the household and area ids, the last
    counted visit (ISO text), the category and the cadre's id; whether a row is overdue; and how a
    list of rows becomes text."""
    id: int
    area: int
    overdue: object  # row -> bool
    last: int
    category: int
    cadre: int
    encode: object  # list of rows -> bytes (comma-separated, no brackets)


class Entry(NamedTuple):
    epoch: tuple
    built: datetime
    until: datetime | None  # None: nothing there falls overdue by time alone
    text: bytes
    cadres: frozenset


def _store() -> OrderedDict:
    return current_app.extensions.setdefault("lianhu.map_rows", OrderedDict())


def _keep(key, entry: Entry) -> None:
    limit = current_app.config["MAP_CACHE_BYTES"]
    with _LOCK:
        store = _store()
        total = current_app.extensions.get("lianhu.map_rows_bytes", 0) + len(entry.text)
        old = store.pop(key, None)
        total -= len(old.text) if old is not None else 0
        store[key] = entry
        while store and total > limit:
            _, gone = store.popitem(last=False)
            total -= len(gone.text)
        current_app.extensions["lianhu.map_rows_bytes"] = total


def _valid(entry: Entry | None, epoch, now) -> bool:
    return (entry is not None and epoch[0] is not None and entry.epoch == epoch and entry.built <= now
            and (entry.until is None or now <= entry.until))


def _area_epochs(area):
    """A select of (area id, epoch or None, active households or None) of every area in the subtree
    (every area: None)."""
    query = (select(Area.id, E.c.value, SIZES.c.households).outerjoin(E, E.c.area_id == Area.id)
             .outerjoin(SIZES, SIZES.c.area_id == Area.id).order_by(Area.id))
    if area is not None:
        query = query.where(Area.id.in_(areas.subtree_ids(area)))
    return query


def fits(area) -> bool:
    """Whether the area's subtree (every area: None) is small enough to be cached: at most
    MAP_CACHE_HOUSEHOLDS active households (a larger map streams straight from the database)."""
    query = select(func.coalesce(func.sum(SIZES.c.households), 0))
    if area is not None:
        query = query.where(SIZES.c.area_id.in_(areas.subtree_ids(area)))
    return db.session.scalar(query) <= current_app.config["MAP_CACHE_HOUSEHOLDS"]


def _until(rows, layout: Layout, days: dict):
    """The first moment a household of these rows not overdue now falls overdue (None: none can)."""
    first: dict = {}
    for row in rows:
        last = row[layout.last]
        if last is not None and not layout.overdue(row):
            category = row[layout.category]
            if category not in first or last < first[category]:
                first[category] = last
    default = days.get("ordinary", 90)
    return min((datetime.strptime(last, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
                + timedelta(days=days.get(category, default)) for category, last in first.items()), default=None)


def _read_group(read, layout: Layout, missing: list) -> dict:
    """The rows of the next missing areas (taken off the list's front) by area: as many as hold
    GROUP_HOUSEHOLDS households together, so that a cold map's memory stays bounded."""
    group, households = [], 0
    while missing and (not group or households + missing[0][1] <= GROUP_HOUSEHOLDS):
        area_id, size = missing.pop(0)
        group.append(area_id)
        households += size
    rows: dict = {area_id: [] for area_id in group}
    for row in read(group):
        rows.setdefault(row[layout.area], []).append(row)
    return rows


def _entry(layout: Layout, rows: list, epoch, now, days) -> Entry:
    rows.sort(key=lambda row: row[layout.id])
    return Entry(epoch, now, _until(rows, layout, days), layout.encode(rows) if rows else b"",
                 frozenset(row[layout.cadre] for row in rows) - {None})


def cached_rows(form: str, layout: Layout, area, period, now, read, extra_epoch=None):
    """The map's rows of the area's subtree (every area: None) as byte chunks, comma-separated, and
    the cadre ids they name (a set filled as the chunks go). read(area_ids) gives the rows of those
    areas' households; extra_epoch(), when given, a second value every entry must have been built at
    (read with the areas' epochs)."""
    store, cadres = _store(), set()
    epochs_query = _area_epochs(area)  # built now: the area is gone from the session when the chunks run

    def chunks():
        extra = extra_epoch() if extra_epoch is not None else None
        listed = db.session.execute(epochs_query).all()
        days = policy_days()  # after the epochs: a policy changed since moved every area on
        policy = tuple(sorted(days.items()))
        keys = {area_id: (form, area_id, period.start, period.end, policy) for area_id, _, _ in listed}
        epoch_of = {area_id: (value, extra) for area_id, value, _ in listed}
        hits = {area_id: store.get(keys[area_id]) for area_id, _, _ in listed}
        hits = {area_id: entry for area_id, entry in hits.items() if _valid(entry, epoch_of[area_id], now)}
        missing = [(area_id, size or 0) for area_id, _, size in listed if area_id not in hits]
        fresh: dict = {}
        separator = b""
        for area_id, _, _ in listed:
            entry = hits.get(area_id)
            if entry is None:
                if area_id not in fresh:  # the next areas to read, GROUP_HOUSEHOLDS at most (or one)
                    fresh = _read_group(read, layout, missing)
                entry = _entry(layout, fresh.pop(area_id, []), epoch_of[area_id], now, days)
                if entry.epoch[0] is not None:
                    _keep(keys[area_id], entry)
            cadres.update(entry.cadres)
            if entry.text:
                yield separator + entry.text
                separator = b","
    return chunks(), cadres
