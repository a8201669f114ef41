"""Coverage reports by area and by cadre and household lists, scoped to the acting user (the map: maps.py)."""
import time
from collections import OrderedDict
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select, text, true

from ..areas import services as areas
from ..areas.models import Area
from ..auth.services import require_role
from ..errors import ValidationFailed
from ..extensions import db
from ..pagination import checked_page
from ..households.bulk import one_of
from ..households.services import policy_days, scope_filter
from ..models_base import utcnow
from . import aggregates, cadre_aggregates, queries
from .queries import H

ROLES = ("admin", "manager", "cadre")
STATUSES = ("visited", "unvisited", "overdue")
#: a list's length as page 1 counted it, reused by the pages after it for COUNT_TTL_S (per process)
_COUNTS: OrderedDict = OrderedDict()
COUNT_TTL_S, COUNTS_KEPT = 60.0, 512


def tune_for_reports() -> None:
    """PostgreSQL: no JIT (its compile time exceeds these queries' run time) and room to hash a
    county's visits in memory, for this transaction only."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))


def percent(visited: int, households: int) -> float | None:
    """Coverage in percent with one decimal; None when there is nothing to cover."""
    return round(100.0 * visited / households, 1) if households else None


def requested_area(actor, area_id):
    """The area asked for, else the actor's own (managers), else everything (admins, cadres)."""
    if area_id is not None:
        return areas.get_in_scope(actor, area_id)
    return actor.area if actor.role == "manager" else None


def household_where(actor, area, *, scoped=True, scan=False) -> list:
    """Conditions on households: active, in the area's subtree, in the actor's scope. scan: the area
    conditions keep SQLite off the area index, for a read of most households (a table scan is faster)."""
    area_id = queries.unindexed(H.c.area_id) if scan else H.c.area_id
    where = [H.c.is_active == true()]
    if area is not None:
        where.append(area_id.in_(areas.subtree_ids(area)))
    scope = scope_filter(actor, select(H.c.id), H.c.id, area_id).whereclause if scoped else None
    if scope is not None:
        where.append(scope)
    return where


def is_small(actor, area) -> bool:
    """Whether to drive the query from the area's households (small) or from the period's visits."""
    if actor.role == "cadre":
        return True
    if area is None:
        return False
    inside = db.session.scalar(select(func.count()).where(Area.path.startswith(area.path, autoescape=True)))
    return inside * 4 <= db.session.scalar(select(func.count(Area.id)))


def _total(rows: list[dict]) -> dict:
    total = {k: sum(r[k] for r in rows) for k in ("households", "visited", "overdue", "flagged")}
    total["coverage"] = percent(total["visited"], total["households"])
    return total


def area_ref(area) -> dict | None:
    """An area as reports show it."""
    return None if area is None else {"id": area.id, "code": area.code, "name": area.name, "level": area.level}


def coverage_report(actor, period, *, area_id=None, by="area", level=None, cadre_id=None, now=None) -> dict:
    """Coverage in a period: one row per child area (or per area of `level`), or per cadre, plus a total."""
    require_role(actor, *ROLES)
    now = now or utcnow()
    area = requested_area(actor, area_id)
    tune_for_reports()
    if by == "cadre":
        rows = _cadre_rows(actor, period, area, cadre_id, now)
    else:
        rows = _area_rows(actor, period, area, level, now)
    return {**period.as_dict(), "by": by, "area": area_ref(area), "rows": rows, "total": _total(rows)}


def _cadre_rows(actor, period, area, cadre_id, now) -> list[dict]:
    """One row per cadre with linked households (the assignments in force at the period's end): from
    the per-cadre aggregates for a named period and an area-scoped actor (admin, manager) asking for
    every cadre, else from the summary and the links (one cadre's households are few)."""
    if actor.role == "cadre":  # their own row, by the assignments in force at the period's end
        cadre_id = actor.id
    key = aggregates.period_key(period)
    if key is None or actor.role not in ("admin", "manager") or cadre_id is not None:  # one cadre: few rows
        where = household_where(actor, area, scoped=actor.role != "cadre")
        query = queries.cadre_totals(period, now, where, is_small(actor, area), cadre_id)
        rows = db.session.execute(query).all()
    else:
        rows = _cadre_totals(actor, period, area, key, now)
    return [{"cadre": {"id": id_, "username": username, "display_name": name}, "households": int(households),
             "visited": int(visited), "coverage": percent(int(visited), int(households)), "overdue": int(overdue),
             "flagged": int(flagged)}
            for id_, username, name, households, visited, overdue, flagged in rows]  # 20,000 for a county


def _villages_in(scope):
    """The aggregates' area condition for a scope: a select of its areas, or None for every area (no
    scope, or the only top-level area: the condition would cost a county's report a fifth of its time)."""
    if scope is None or areas.holds_every_area(scope):
        return None
    return areas.subtree_ids(scope)


def _cadre_totals(actor, period, area, key, now) -> list:
    """Per cadre from the aggregates of the standing links, corrected for the households whose link
    in force at the period's end may differ (relinked, or linked ahead, since): their share under
    the standing link taken away and their share under the link in force then added, from the raw
    rows. Ordered by username, as the report from the raw rows."""
    scope = area if area is not None else (actor.area if actor.role == "manager" else None)
    if actor.role == "manager" and scope is None:
        return []
    inside = _villages_in(scope)
    rows = db.session.execute(cadre_aggregates.cadre_rows(key, now, inside, policy_days())).all()
    relinked = cadre_aggregates.relinked_since(period.end)
    if not db.session.scalar(select(func.count()).select_from(relinked.limit(1).subquery())):
        return rows
    names = ("households", "visited", "overdue", "flagged")
    totals = {r.id: SimpleNamespace(**r._asdict()) for r in rows}
    where = household_where(actor, area) + [H.c.id.in_(relinked)]
    for standing, sign in ((True, -1), (False, 1)):
        for r in db.session.execute(queries.cadre_totals(period, now, where, True, standing=standing)):
            row = totals.setdefault(r.id, SimpleNamespace(id=r.id, username=r.username, display_name=r.display_name,
                                                          **dict.fromkeys(names, 0)))
            for name in names:
                setattr(row, name, getattr(row, name) + sign * int(getattr(r, name)))
    return sorted(((r.id, r.username, r.display_name, r.households, r.visited, r.overdue, r.flagged)
                   for r in totals.values() if r.households), key=lambda r: r[1])


def _row_areas(actor, area, level) -> list:
    query = select(Area.id, Area.code, Area.name, Area.level, Area.path).order_by(Area.path)
    if level:
        query = query.where(Area.level == level)
        if area is not None:
            query = query.where(Area.path.startswith(area.path, autoescape=True))
    else:
        query = query.where(Area.parent_id == area.id if area is not None else Area.parent_id.is_(None))
    if actor.role == "manager":
        query = query.where(Area.id.in_(areas.subtree_ids(actor.area)))
    return db.session.execute(query).all()


def _area_totals(actor, period, area, now) -> list:
    """Per-area totals (area_id, households, visited, overdue, flagged, path): from the per-village
    aggregates for a named period and an area-scoped actor (admin, manager), else from the summary."""
    key = aggregates.period_key(period)
    if key is None or actor.role not in ("admin", "manager"):
        where = household_where(actor, area)
        return db.session.execute(queries.area_totals(period, now, where, is_small(actor, area))).all()
    scope = area if area is not None else (actor.area if actor.role == "manager" else None)
    inside = _villages_in(scope)
    if actor.role == "manager" and scope is None:
        return []
    totals = aggregates.area_totals(key, now, inside, policy_days())
    paths = dict(db.session.execute(select(Area.id, Area.path).where(one_of(Area.id, [t["area_id"] for t in totals])))
                 .all()) if totals else {}
    return [SimpleNamespace(**t, path=paths[t["area_id"]]) for t in totals]


def _area_rows(actor, period, area, level, now) -> list[dict]:
    """Per-area totals, rolled up the tree by path into the report's rows."""
    totals = _area_totals(actor, period, area, now)
    row_areas = _row_areas(actor, area, level)
    by_id = {a.id: {"area": {"id": a.id, "code": a.code, "name": a.name, "level": a.level},
                    "households": 0, "visited": 0, "overdue": 0, "flagged": 0} for a in row_areas}
    direct = None
    for t in totals:  # one per area holding households: a few thousand at most
        bucket = next((by_id[int(i)] for i in t.path.strip("/").split("/") if int(i) in by_id), None)
        if bucket is None:  # households above the rows' level, in the requested area itself
            direct = direct or {"area": area_ref(area), "households": 0, "visited": 0, "overdue": 0, "flagged": 0}
            bucket = direct
        for k in ("households", "visited", "overdue", "flagged"):
            bucket[k] += int(getattr(t, k))
    rows = ([direct] if direct else []) + list(by_id.values())
    if actor.role == "cadre":
        rows = [r for r in rows if r["households"]]
    for r in rows:
        r["coverage"] = percent(r["visited"], r["households"])
    return rows


def coverage_households(actor, period, *, area_id=None, status=None, cadre_id=None, now=None, page=False):
    """A select of households with their coverage status in the period (see queries.household_rows).
    page: for a page of the list, read in code order until it is full, so each household's visits
    are looked up by its summary rows, never by hashing the whole period's first (PostgreSQL)."""
    require_role(actor, *ROLES)
    if status is not None and status not in STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}.", field="status")
    area = requested_area(actor, area_id)
    where = household_where(actor, area)
    return queries.household_rows(period, now or utcnow(), where, is_small(actor, area),
                                  status=status, cadre_id=cadre_id, page=page)


def household_dicts(rows, now=None):
    """Rows of coverage_households as API dicts (due date from the category's policy)."""
    days, now = policy_days(), now or utcnow()
    for r in rows:
        last = r.last_counted_visit_at
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=now.tzinfo)
        due = last + timedelta(days=days.get(r.category, days.get("ordinary", 90))) if last else None
        status = "overdue" if r.overdue else ("visited" if r.visited else "unvisited")
        yield {"id": r.id, "code": r.code, "label": " · ".join(p for p in (r.code, r.head_name, r.address) if p),
               "head_name": r.head_name, "address": r.address, "category": r.category, "lat": r.lat, "lon": r.lon,
               "area": {"id": r.area_id, "code": r.area_code, "name": r.area_name},
               "cadre": ({"id": r.cadre_id, "username": r.cadre_username, "display_name": r.cadre_name}
                         if r.cadre_id else None),
               "last_visit_at": last, "due_at": due, "visited": bool(r.visited), "overdue": bool(r.overdue),
               "flagged": int(r.flagged), "status": status}


def _list_length(key, query, recount: bool) -> int:
    """How many rows the list holds: counted for page 1 (or when not known), else what page 1 counted
    less than COUNT_TTL_S ago, so paging through a county's list does not recount it for each page."""
    known = _COUNTS.get(key)
    if not recount and known is not None and time.monotonic() - known[0] < COUNT_TTL_S:
        _COUNTS.move_to_end(key)
        return known[1]
    count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    _COUNTS[key] = (time.monotonic(), count)
    _COUNTS.move_to_end(key)
    while len(_COUNTS) > COUNTS_KEPT:
        _COUNTS.popitem(last=False)
    return count


def _counted_length(actor, period, filters, now) -> int | None:
    """The list's length from the per-village aggregates (named period, area-scoped actor, no cadre
    filter), else None."""
    if filters.get("cadre_id") is not None or actor.role not in ("admin", "manager"):
        return None
    if aggregates.period_key(period) is None:
        return None
    totals = _area_totals(actor, period, requested_area(actor, filters.get("area_id")), now)
    households, visited, overdue = (sum(getattr(t, k) for t in totals) for k in ("households", "visited", "overdue"))
    status = filters.get("status")
    return {None: households, "visited": visited, "unvisited": households - visited, "overdue": overdue}[status]


def page_households(actor, period, pagination_parameters, **filters) -> list[dict]:
    """One page of coverage_households, with the list's length for X-Pagination (from the aggregates
    when they hold it, else see _list_length)."""
    query = coverage_households(actor, period, page=True, **filters)  # checks the role and filters
    tune_for_reports()
    page = checked_page(pagination_parameters.page)
    key = (actor.id, actor.role, period.start, period.end, tuple(sorted(filters.items())))
    length = _counted_length(actor, period, filters, utcnow())
    if length is None:  # counted over the whole list: the period's visits read once
        length = _list_length(key, coverage_households(actor, period, **filters), recount=page == 1)
    pagination_parameters.item_count = length
    size = pagination_parameters.page_size
    rows = db.session.execute(query.limit(size).offset((page - 1) * size))
    return list(household_dicts(rows))
