"""Coverage aggregates per village, so that a county-wide report reads thousands of rows, not a
million households.

- coverage_area_keys: per named period (period_key) and village, active households with a counted
  visit and the flagged visits of active households. A household's share comes from its summary
  rows (coverage_months): `upkeep` applies the difference when the summary of some households
  changes (one read before, one after, one upsert only when a count changes); triggers on
  households move a household's share when it moves to another village or is (de)activated.
- coverage_area_households: active households per village, category and UTC month of their last
  counted visit, kept by triggers on households (every writer: ORM, bulk import, COPY, ingest).
  A report's households are its sum; overdue = never visited + months before each category's
  cut-off month + the households of the cut-off month itself read from the households index.

`flask coverage rebuild-summary` rebuilds them too, `check-summary` compares them with a
recomputation. Periods that are not a named month/quarter/half/year (from/to) are not kept here:
reports fall back to the household-month summary for them."""
import re
from contextlib import contextmanager
from functools import lru_cache
from datetime import timedelta, timezone

from sqlalchemy import bindparam, case, delete, except_, exists, func, insert, literal, or_, select, true, union_all

from .. import pg_bulk
from ..extensions import db
from ..households.models import CATEGORIES, Assignment, Household
from ..models_base import UtcDateTime
from . import cadre_aggregates
from .aggregate_keys import month_keys, month_of, month_start, next_month, other_than, summary_keys
from .models import CoverageAreaHousehold, CoverageAreaKey, CoverageAreaSize, CoverageCadreKey, CoverageMonth

H, ASG, CK = Household.__table__, Assignment.__table__, CoverageCadreKey.__table__
M, K, B, Z = (CoverageMonth.__table__, CoverageAreaKey.__table__, CoverageAreaHousehold.__table__,
              CoverageAreaSize.__table__)
_LABEL = re.compile(r"^(\d{4})(?:-(?:H([12])|Q([1-4])|(\d{2})))?$")


def period_key(period) -> int | None:
    """The key of a named period (2026-11 -> 202611, 2026-Q4 -> 202624, 2026-H2 -> 202632, 2026 ->
    202600), None for from/to ranges."""
    match = _LABEL.match(period.label)
    if not match:
        return None
    year, half, quarter, month = match.groups()
    base = int(year) * 100
    if month:
        return base + int(month)
    if quarter:
        return base + 20 + int(quarter)
    if half:
        return base + 30 + int(half)
    return base


def _area_keys(household_ids=None):
    """(period_key, area_id, visited, flagged) as the summary and the households say."""
    keys = summary_keys(household_ids)
    per = (select(keys.c.household_id, keys.c.k, func.max(keys.c.c).label("v"), func.sum(keys.c.f).label("f"))
           .group_by(keys.c.household_id, keys.c.k).subquery("per"))
    return (select(per.c.k.label("period_key"), H.c.area_id, func.sum(per.c.v).label("visited"),
                   func.sum(per.c.f).label("flagged"))
            .select_from(per.join(H, H.c.id == per.c.household_id)).where(H.c.is_active == true())
            .group_by(per.c.k, H.c.area_id))


def _area_households(dialect: str):
    month = month_of(H.c.last_counted_visit_at, dialect)
    category = func.coalesce(H.c.category, "")
    return (select(H.c.area_id, category.label("category"), month.label("last_month"),
                   func.count().label("households"))
            .where(H.c.is_active == true()).group_by(H.c.area_id, category, month))


def _area_sizes():
    return select(H.c.area_id, func.count().label("households")).where(H.c.is_active == true()).group_by(H.c.area_id)


@lru_cache(maxsize=4)
def _upsert(dialect: str, table=K):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    statement = upsert(table)
    keys = [table.c.period_key, table.c.area_id] + ([table.c.cadre_id] if table is CK else [])
    return statement.on_conflict_do_update(
        index_elements=keys, set_={"visited": table.c.visited + statement.excluded.visited,
                                   "flagged": table.c.flagged + statement.excluded.flagged})


#: a few households' villages, standing cadres and summary rows (built once: ingest runs it for every
#: batch) ...
_ROWS = (select(H.c.id, H.c.area_id, H.c.is_active, ASG.c.cadre_id, M.c.month, M.c.counted, M.c.flagged,
                M.c.submitter_id)
         .select_from(H.outerjoin(ASG, (ASG.c.household_id == H.c.id) & ASG.c.valid_to.is_(None))
                      .outerjoin(M, M.c.household_id == H.c.id))
         .where(H.c.id.in_(bindparam("ids", expanding=True))))
#: ... and the same read taking the households' row locks in id order (PostgreSQL; SQLite has none)
_ROWS_LOCKED = _ROWS.order_by(H.c.id).with_for_update(of=H)


def _read(connection, ids, lock=False) -> tuple[dict, dict, list]:
    """({household: village}, {household: (village, standing cadre)} of the active ones,
    [(household, month, counted, flagged, submitter)])."""
    villages, links, rows = {}, {}, []
    for r in connection.execute(_ROWS_LOCKED if lock else _ROWS, {"ids": ids}):
        if not r.is_active:
            continue
        villages[r.id] = r.area_id
        links[r.id] = (r.area_id, r.cadre_id)
        if r.month is not None:
            rows.append((r.id, r.month, r.counted, r.flagged, r.submitter_id))
    return villages, links, rows


def _shares(villages: dict, rows) -> dict:
    """{(period_key, area_id): (visited, flagged)} of the households' summary rows."""
    visited, flagged = set(), {}
    for household, month, counted, flags, _ in rows:
        area = villages.get(household)
        if area is None:  # inactive: counts nowhere
            continue
        for key in month_keys(month):
            if counted > 0:
                visited.add((key, area, household))
            flagged[key, area] = flagged.get((key, area), 0) + flags
    out = {key: [0, f] for key, f in flagged.items()}
    for key, area, _ in visited:
        out[key, area][0] += 1
    return out


def _delta(before: dict, after: dict, names: tuple) -> list[dict]:
    """The rows to add to an aggregate to go from before to after, in key order (changed ones only)."""
    delta = []
    for key in sorted(set(before) | set(after)):
        (v0, f0), (v1, f1) = before.get(key, (0, 0)), after.get(key, (0, 0))
        if (v0, f0) != (v1, f1):
            delta.append({**dict(zip(names, key)), "visited": v1 - v0, "flagged": f1 - f0})
    return delta


@contextmanager
def upkeep(household_ids, added=None, lock=False):
    """Around a change of these households' summary rows (their village, activity and links
    unchanged): their share of coverage_area_keys and coverage_cadre_keys is read before, and after
    (or, when `added` lists the rows the change adds as (household, month, counted, flagged,
    submitter), computed from them), and the difference applied in one upsert per table in key
    order; nothing is written when no count changed. With `lock`, the read before takes the
    households' row locks (id order) on PostgreSQL, in the same statement."""
    ids = sorted({int(i) for i in household_ids if i is not None})
    if not ids:
        yield
        return
    connection = db.session.connection()
    villages, links, rows = _read(connection, ids, lock=lock and connection.dialect.name == "postgresql")
    before, cadres_before = _shares(villages, rows), cadre_aggregates.shares(links, rows)
    yield
    if added is None:
        villages, links, rows = _read(connection, ids)
    else:
        rows = rows + list(added)
    dialect = connection.dialect.name
    areas = _delta(before, _shares(villages, rows), _AREA_KEY)
    cadres = _delta(cadres_before, cadre_aggregates.shares(links, rows), _CADRE_KEY)
    if (areas or cadres) and dialect == "postgresql":  # one statement, not an execute per row and table
        connection.execute(_pg_upsert_both(), {**pg_bulk.arrays(K, _AREA_KEY + _COUNTS, areas, connection.dialect,
                                                                prefix="a"),
                                               **pg_bulk.arrays(CK, _CADRE_KEY + _COUNTS, cadres, connection.dialect,
                                                                prefix="c")})
        return
    if areas:
        connection.execute(_upsert(dialect), areas)
    if cadres:
        connection.execute(_upsert(dialect, CK), cadres)


_AREA_KEY, _CADRE_KEY, _COUNTS = ("period_key", "area_id"), ("period_key", "cadre_id", "area_id"), ("visited", "flagged")


@lru_cache(maxsize=1)
def _pg_upsert_both():
    """PostgreSQL: the villages' and the cadres' differences in one statement from arrays (either may
    be empty), the villages' first: the cadres' INSERT reads the villages' (a data-modifying WITH)
    before its first row, so the rows are taken in the order every other writer takes them."""
    from sqlalchemy.dialects.postgresql import insert as upsert
    dialect = db.engine.dialect

    def from_arrays(table, names, prefix):
        statement = upsert(table).from_select(names + _COUNTS, pg_bulk.source(table, names + _COUNTS, dialect, prefix))
        return statement.on_conflict_do_update(
            index_elements=[table.c[n] for n in names],
            set_={"visited": table.c.visited + statement.excluded.visited,
                  "flagged": table.c.flagged + statement.excluded.flagged})
    villages = from_arrays(K, _AREA_KEY, "a").returning(K.c.area_id).cte("villages")
    first = select(func.count()).select_from(villages).scalar_subquery()
    cadre_rows = pg_bulk.source(CK, _CADRE_KEY + _COUNTS, dialect, "c").subquery("c")
    cadres = upsert(CK).from_select(_CADRE_KEY + _COUNTS, select(*cadre_rows.c).where(first >= 0))
    return cadres.on_conflict_do_update(
        index_elements=[CK.c[n] for n in _CADRE_KEY],
        set_={"visited": CK.c.visited + cadres.excluded.visited, "flagged": CK.c.flagged + cadres.excluded.flagged}
    ).add_cte(villages)


def rebuild_aggregates(connection=None, cadres=True) -> dict:
    """Recompute the aggregates (the per-cadre ones too, unless told) from the summary, households and
    links; returns their row counts."""
    connection = connection if connection is not None else db.session.connection()
    dialect = connection.dialect.name
    connection.execute(delete(K))
    connection.execute(insert(K).from_select(["period_key", "area_id", "visited", "flagged"], _area_keys()))
    connection.execute(delete(B))
    connection.execute(insert(B).from_select(["area_id", "category", "last_month", "households"],
                                             _area_households(dialect)))
    connection.execute(delete(Z))
    connection.execute(insert(Z).from_select(["area_id", "households"], _area_sizes()))
    for table in (K, B, Z):  # the planner's statistics (SQLite has none for a new table's indexes)
        connection.exec_driver_sql(f"ANALYZE {table.name}")
    return {"area_keys": connection.scalar(select(func.count()).select_from(K)),
            "area_households": connection.scalar(select(func.count()).select_from(B)),
            "cadre_keys": cadre_aggregates.rebuild_cadre_aggregates(connection) if cadres else 0}


def check_aggregates() -> dict:
    """Rows of each aggregate that differ from a recomputation (rows holding only zeros are ignored)."""
    connection = db.session.connection()
    dialect = connection.dialect.name
    out = {}
    for name, table, fresh, values in (
            ("area_keys", K, _area_keys(), ("visited", "flagged")),
            ("area_households", B, _area_households(dialect), ("households",)),
            ("area_sizes", Z, _area_sizes(), ("households",))):
        stored = select(*table.c).where(or_(*(table.c[v] != 0 for v in values)))
        fresh = fresh.subquery()
        fresh = select(*fresh.c).where(or_(*(fresh.c[v] != 0 for v in values)))
        wrong = except_(stored, fresh).subquery()
        missing = except_(fresh, stored).subquery()
        out[name] = (connection.scalar(select(func.count()).select_from(missing))
                     + connection.scalar(select(func.count()).select_from(wrong)))
    return {**out, **cadre_aggregates.check_cadre_aggregates(connection)}


# ---- reading them -----------------------------------------------------------

def area_totals(key: int, now, areas_select, policy: dict) -> list[dict]:
    """Per village holding households: households, visited, overdue, flagged (areas_select: a select
    of area ids, or None for all). overdue = households - those counted since their category's
    cut-off: the months after the cut-off's month from coverage_area_households, the cut-off's month
    itself from the households index (category, last counted visit). Four reads of at most a few
    thousand rows each, summed by the database."""
    connection = db.session.connection()
    default = policy.get("ordinary", 90)
    known = sorted(set(policy) | set(CATEGORIES))
    in_areas = (lambda column: column.in_(areas_select)) if areas_select is not None else (lambda column: true())

    def cut(category):
        moment = (now - timedelta(days=policy.get(category, default))).astimezone(timezone.utc)
        return moment, moment.year * 100 + moment.month
    totals = {r.area_id: [int(r.households), 0, int(r.households), 0] for r in connection.execute(
        select(Z.c.area_id, Z.c.households).where(in_areas(Z.c.area_id), Z.c.households != 0)).all()}
    if not totals:
        return []
    recent, exact = [], []
    groups = [(c, (B.c.category == c, H.c.category == c)) for c in known]
    gaps = [exists().where(gap) for gap in other_than(B.c.category, known).clauses]
    if connection.scalar(select(or_(*gaps))):  # categories without a policy of their own take the default
        groups.append((None, (other_than(B.c.category, known), other_than(H.c.category, known))))
    for category, clause in groups:
        moment, month = cut(category)
        first, after = month_start(moment), next_month(moment)
        early = moment - first < after - moment  # read the shorter side of the cut-off's month
        counted = case((B.c.last_month > month, B.c.households), else_=0)
        if early:  # the whole month is counted since, less its days before the cut-off
            counted = counted + case((B.c.last_month == month, B.c.households), else_=0)
        recent.append(select(B.c.area_id, counted.label("households")).where(
            clause[0], B.c.last_month >= month, in_areas(B.c.area_id)))
        lo, hi = (first, moment) if early else (moment, after)
        exact.append(select(H.c.area_id, literal(-1 if early else 1).label("households")).where(
            clause[1], H.c.last_counted_visit_at >= literal(lo, UtcDateTime()),
            H.c.last_counted_visit_at < literal(hi, UtcDateTime()), H.c.is_active == true(),
            in_areas(H.c.area_id)))
    for parts in (recent, exact):  # counted since the cut-off: not overdue
        fresh = union_all(*parts).subquery("fresh")
        for r in connection.execute(select(fresh.c.area_id, func.sum(fresh.c.households).label("n"))
                                    .group_by(fresh.c.area_id)).all():
            if r.area_id in totals:
                totals[r.area_id][2] -= int(r.n)
    for r in connection.execute(select(K.c.area_id, K.c.visited, K.c.flagged)
                                .where(K.c.period_key == key, in_areas(K.c.area_id))).all():
        row = totals.get(r.area_id)
        if row is not None:
            row[1] += r.visited
            row[3] += r.flagged
    return [{"area_id": a, "households": v[0], "visited": v[1], "overdue": v[2], "flagged": v[3]}
            for a, v in totals.items() if v[0]]
