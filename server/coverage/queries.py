"""The SQL of coverage: counted visits per household in a period, joined to households, areas and
assignments. Every report is one statement; aggregation happens in the database."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, cast, func, literal, literal_column, or_, select, true, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import String, Text

from ..areas.models import Area
from ..auth.models import User
from ..households.models import Assignment, Household
from ..households.services import policy_days
from ..models_base import UtcDateTime
from ..submissions.models import Submission

H, S, A, ASG, U = (Household.__table__, Submission.__table__, Area.__table__, Assignment.__table__,
                   User.__table__)
#: geo statuses of visits that look wrong and are worth a manager's look
FLAGGED_GEO_STATUSES = ("far", "suspect", "low_accuracy", "no_fix")


# ---- portable SQL helpers ---------------------------------------------------

class json_obj(FunctionElement):  # noqa: N801 - an SQL function
    """json_object(k, v, ...) on SQLite, json_build_object on PostgreSQL."""
    type, inherit_cache, name = String(), True, "json_obj"


class json_arr(FunctionElement):  # noqa: N801
    """json_array(...) on SQLite, json_build_array on PostgreSQL."""
    type, inherit_cache, name = String(), True, "json_arr"


class utc_text(FunctionElement):  # noqa: N801
    """A UTC datetime column as ISO 8601 text ending in Z (NULL stays NULL)."""
    type, inherit_cache, name = String(), True, "utc_text"


@compiles(json_obj)
def _json_obj(element, compiler, **kw):
    return f"json_object({compiler.process(element.clauses, **kw)})"


@compiles(json_obj, "postgresql")
def _json_obj_pg(element, compiler, **kw):
    return f"json_build_object({compiler.process(element.clauses, **kw)})"


@compiles(json_arr)
def _json_arr(element, compiler, **kw):
    return f"json_array({compiler.process(element.clauses, **kw)})"


@compiles(json_arr, "postgresql")
def _json_arr_pg(element, compiler, **kw):
    return f"json_build_array({compiler.process(element.clauses, **kw)})"


@compiles(utc_text)
def _utc_text(element, compiler, **kw):
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {compiler.process(element.clauses, **kw)})"


@compiles(utc_text, "postgresql")
def _utc_text_pg(element, compiler, **kw):
    return (f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")


class answer_text(FunctionElement):  # noqa: N801
    """One answer out of the answers JSON by its flat key: scalars as text, repeats as JSON text."""
    type, inherit_cache, name = String(), True, "answer_text"

    def __init__(self, column, path: str):
        if not path or any(c in path for c in "'\"\\") or not path.isprintable():
            raise ValueError(f"unusable answer key {path!r}")
        self.path = path
        super().__init__(column)


@compiles(answer_text)
def _answer_text(element, compiler, **kw):
    return f"json_extract({compiler.process(element.clauses, **kw)}, '$.\"{element.path}\"')"


@compiles(answer_text, "postgresql")
def _answer_text_pg(element, compiler, **kw):
    return f"(({compiler.process(element.clauses, **kw)}) ->> '{element.path}')"


class by_household(FunctionElement):  # noqa: N801
    """SQLite: `+column` keeps the planner off that column's indexes (here: the period index), so a
    small area's visits are read through the household index; elsewhere the column as is."""
    inherit_cache, name = True, "by_household"

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(by_household)
def _by_household(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(by_household, "sqlite")
def _by_household_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.clauses, **kw)}"


def key(name: str):
    """A constant string written into the SQL (our own identifiers only: no user input)."""
    assert name.replace("_", "").isalnum()
    return literal_column(f"'{name}'", String())


# ---- building blocks --------------------------------------------------------

def counted_clause():
    """A counted visit: not rejected, geo status in COUNTED_GEO_STATUSES (kind and period apart)."""
    return and_(S.c.review_state != "rejected",
                S.c.geo_status.in_(tuple(current_app.config["COUNTED_GEO_STATUSES"])))


def visits_in(period, households=None):
    """Current visit-kind submissions captured in the period (of these households, when given)."""
    kind, captured = S.c.kind, S.c.captured_at
    extra = []
    if households is not None:
        kind, captured = by_household(kind), by_household(captured)
        extra.append(S.c.household_id.in_(households))
    return and_(kind == "visit", S.c.is_current == true(), captured >= literal(period.start, UtcDateTime()),
                captured < literal(period.end, UtcDateTime()), *extra)


def in_force_at(moment, cadre_id=None):
    """Assignments in force at a moment: (household_id, cadre_id)."""
    at = literal(moment, UtcDateTime())
    query = (select(ASG.c.household_id, ASG.c.cadre_id)
             .where(ASG.c.valid_from < at, or_(ASG.c.valid_to.is_(None), ASG.c.valid_to >= at)))
    if cadre_id is not None:
        query = query.where(ASG.c.cadre_id == cadre_id)
    return query.subquery("asg")


def overdue_clause(now):
    """Never counted-visited, or last counted visit + max days before now."""
    days = policy_days()
    limits = {category: literal(now - timedelta(days=d), UtcDateTime()) for category, d in days.items()}
    default = literal(now - timedelta(days=days.get("ordinary", 90)), UtcDateTime())
    limit = case(limits, value=H.c.category, else_=default)
    return or_(H.c.last_counted_visit_at.is_(None), H.c.last_counted_visit_at < limit)


def _sum(expr):
    return func.coalesce(func.sum(expr), 0)


# ---- reports ----------------------------------------------------------------

def _ids(household_where, small):
    return select(H.c.id).where(*household_where) if small else None


def counted_visits(period, *, households=None, submitter_id=None, with_submitter=False):
    """A select of household ids (and submitter ids) with a counted visit in the period."""
    columns = [S.c.household_id, S.c.submitter_id] if with_submitter else [S.c.household_id]
    query = select(*columns).where(visits_in(period, households), counted_clause())
    if submitter_id is not None:
        query = query.where(S.c.submitter_id == submitter_id)
    return query


def area_totals(period, now, household_where, small: bool):
    """One row per area holding households: area_id, households, visited, overdue, flagged, path.

    One pass over the households: `visited` tests each against a hashed set of the period's counted
    visits (no per-household aggregation); flagged visits are few and joined per area."""
    ids = _ids(household_where, small)
    counted = counted_visits(period, households=ids)
    homes = (select(H.c.area_id, func.count().label("households"),
                    _sum(case((H.c.id.in_(counted), 1), else_=0)).label("visited"),
                    _sum(case((overdue_clause(now), 1), else_=0)).label("overdue"))
             .where(*household_where).group_by(H.c.area_id).subquery("n"))
    flagged = (select(H.c.area_id, func.count().label("flagged"))
               .select_from(S.join(H, H.c.id == S.c.household_id))
               .where(visits_in(period, ids), S.c.geo_status.in_(FLAGGED_GEO_STATUSES), *household_where)
               .group_by(H.c.area_id).subquery("f"))
    return (select(homes.c.area_id, homes.c.households, homes.c.visited, homes.c.overdue,
                   func.coalesce(flagged.c.flagged, 0).label("flagged"), A.c.path)
            .select_from(homes.outerjoin(flagged, flagged.c.area_id == homes.c.area_id)
                         .join(A, A.c.id == homes.c.area_id)))


def cadre_totals(period, now, household_where, small: bool, cadre_id=None):
    """One row per cadre (assignment in force at the period's end), visits by that cadre only."""
    asg = in_force_at(period.end, cadre_id)
    ids = _ids(household_where, small and cadre_id is None)
    counted = counted_visits(period, households=ids, submitter_id=cadre_id, with_submitter=True)
    pair = tuple_(asg.c.household_id, asg.c.cadre_id)
    linked = (select(asg.c.cadre_id, func.count().label("households"),
                     _sum(case((pair.in_(counted), 1), else_=0)).label("visited"),
                     _sum(case((overdue_clause(now), 1), else_=0)).label("overdue"))
              .select_from(asg.join(H, H.c.id == asg.c.household_id))
              .where(*household_where).group_by(asg.c.cadre_id).subquery("n"))
    flagged = (select(asg.c.cadre_id, func.count().label("flagged"))
               .select_from(S.join(asg, and_(asg.c.household_id == S.c.household_id,
                                             asg.c.cadre_id == S.c.submitter_id))
                            .join(H, H.c.id == S.c.household_id))
               .where(visits_in(period, ids), S.c.geo_status.in_(FLAGGED_GEO_STATUSES), *household_where)
               .group_by(asg.c.cadre_id).subquery("f"))
    return (select(U.c.id, U.c.username, U.c.display_name, linked.c.households, linked.c.visited,
                   linked.c.overdue, func.coalesce(flagged.c.flagged, 0).label("flagged"))
            .select_from(linked.outerjoin(flagged, flagged.c.cadre_id == linked.c.cadre_id)
                         .join(U, U.c.id == linked.c.cadre_id))
            .order_by(U.c.username))


def flagged_count(period):
    """Correlated: the household's flagged visits in the period (evaluated for output rows only)."""
    return (select(func.count()).where(S.c.household_id == H.c.id, by_household(S.c.kind) == "visit",
                                       S.c.is_current == true(),
                                       by_household(S.c.captured_at) >= literal(period.start, UtcDateTime()),
                                       by_household(S.c.captured_at) < literal(period.end, UtcDateTime()),
                                       S.c.geo_status.in_(FLAGGED_GEO_STATUSES))
            .scalar_subquery())


def household_rows(period, now, household_where, small: bool, *, status=None, cadre_id=None):
    """Households with area, cadre (at the period's end), last visit, visited, flagged and overdue.

    `visited` tests membership in the period's counted visits (hashed once), so a status filter
    costs one pass; the flagged count is looked up for the rows returned only."""
    asg = in_force_at(period.end)
    visited = H.c.id.in_(counted_visits(period, households=_ids(household_where, small), submitter_id=cadre_id))
    overdue = overdue_clause(now)
    query = (select(H.c.id, H.c.code, H.c.head_name, H.c.address, H.c.category, H.c.lat, H.c.lon,
                    H.c.last_counted_visit_at, A.c.id.label("area_id"), A.c.code.label("area_code"),
                    A.c.name.label("area_name"), U.c.id.label("cadre_id"), U.c.username.label("cadre_username"),
                    U.c.display_name.label("cadre_name"), case((visited, 1), else_=0).label("visited"),
                    flagged_count(period).label("flagged"), case((overdue, 1), else_=0).label("overdue"))
             .select_from(H.join(A, A.c.id == H.c.area_id)
                          .outerjoin(asg, asg.c.household_id == H.c.id)
                          .outerjoin(U, U.c.id == asg.c.cadre_id))
             .where(*household_where).order_by(H.c.code))
    if cadre_id is not None:
        query = query.where(asg.c.cadre_id == cadre_id)
    if status == "visited":
        query = query.where(visited)
    elif status == "unvisited":
        query = query.where(~visited)
    elif status == "overdue":
        query = query.where(overdue)
    return query


def map_features(period, now, household_where, small: bool):
    """One GeoJSON Feature (text) per located household, built by the database in one pass."""
    asg = in_force_at(period.end)
    ids = _ids(household_where, small)
    flagged = select(S.c.household_id).where(visits_in(period, ids), S.c.geo_status.in_(FLAGGED_GEO_STATUSES))
    status = case((overdue_clause(now), key("overdue")),
                  (H.c.id.in_(counted_visits(period, households=ids)), key("visited")),
                  (H.c.id.in_(flagged), key("flagged")), else_=key("unvisited"))
    properties = json_obj(key("id"), H.c.id, key("code"), H.c.code, key("head"), H.c.head_name,
                          key("status"), status, key("last_visit"), utc_text(H.c.last_counted_visit_at),
                          key("cadre"), U.c.display_name, key("area_id"), H.c.area_id)
    feature = json_obj(key("type"), key("Feature"),
                       key("geometry"), json_obj(key("type"), key("Point"), key("coordinates"),
                                                 json_arr(H.c.lon, H.c.lat)),
                       key("properties"), properties)
    return (select(cast(feature, Text).label("feature"))
            .select_from(H.outerjoin(asg, asg.c.household_id == H.c.id)
                         .outerjoin(U, U.c.id == asg.c.cadre_id))
            .where(*household_where, H.c.lat.is_not(None), H.c.lon.is_not(None)))
