"""The SQL of coverage: counted visits per household in a period (from the summary, coverage_months),
joined to households, areas and assignments. Every report is one statement; aggregation happens in
the database."""
from datetime import timedelta

from sqlalchemy import and_, case, func, literal, literal_column, or_, select, true, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import String

from ..areas.models import Area
from ..auth.models import User
from ..extensions import db
from ..households.models import Assignment, Household
from ..households.services import policy_days
from ..models_base import UtcDateTime
from ..submissions.models import FLAGGED_GEO_STATUSES, Submission
from ..submissions.rules import counted_clause  # noqa: F401  (re-exported for reports)
from .sql_hints import unindexed  # noqa: F401  (re-exported for reports)
from .summary import M, counted_in, counted_rows, is_whole_months, month_range

H, S, A, ASG, U = (Household.__table__, Submission.__table__, Area.__table__, Assignment.__table__,
                   User.__table__)


# ---- portable SQL helpers ---------------------------------------------------

class utc_text(FunctionElement):  # noqa: N801
    """A UTC datetime column as ISO 8601 text ending in Z (NULL stays NULL)."""
    type, inherit_cache, name = String(), True, "utc_text"


@compiles(utc_text)
def _utc_text(element, compiler, **kw):
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {compiler.process(element.clauses, **kw)})"


@compiles(utc_text, "postgresql")
def _utc_text_pg(element, compiler, **kw):
    return (f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")


class json_text(FunctionElement):  # noqa: N801
    """A value as JSON text: strings quoted, numbers as they are, NULL as null (for JSON built by ||)."""
    type, inherit_cache, name = String(), True, "json_text"


@compiles(json_text)
def _json_text(element, compiler, **kw):
    return f"json_quote({compiler.process(element.clauses, **kw)})"


@compiles(json_text, "postgresql")
def _json_text_pg(element, compiler, **kw):
    return f"coalesce(to_json({compiler.process(element.clauses, **kw)})::text, 'null')"


def joined_text(*parts):
    """Text parts joined with || (our own constant strings as plain str: no quotes or user input)."""
    out = None
    for part in parts:
        if isinstance(part, str):
            assert "'" not in part and "%" not in part
            part = literal_column(f"'{part}'", String())
        out = part if out is None else out.op("||")(part)
    return out


def key(name: str):
    """A constant string written into the SQL (our own identifiers only: no user input)."""
    assert name.replace("_", "").isalnum()
    return literal_column(f"'{name}'", String())


# ---- building blocks --------------------------------------------------------

def visits_in(period, households=None):
    """Current visit-kind submissions captured in the period (of these households, when given)."""
    kind, captured = S.c.kind, S.c.captured_at
    extra = []
    if households is not None:  # read through ix_submissions_household (household, captured_at)
        kind = unindexed(kind)
        extra.append(S.c.household_id.in_(households))
    return and_(kind == "visit", S.c.is_current == true(), captured >= literal(period.start, UtcDateTime()),
                captured < literal(period.end, UtcDateTime()), *extra)


def in_force(table, moment):
    """The condition on an assignments table: in force at the moment (None: the standing link, with
    no valid_to, which the per-cadre aggregates follow)."""
    if moment is None:
        return table.c.valid_to.is_(None)
    at = literal(moment, UtcDateTime())
    return and_(table.c.valid_from < at, or_(table.c.valid_to.is_(None), table.c.valid_to >= at))


def in_force_at(moment, cadre_id=None):
    """Assignments in force at a moment (None: standing): (household_id, cadre_id)."""
    query = select(ASG.c.household_id, ASG.c.cadre_id).where(in_force(ASG, moment))
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


def visited_in(period, small: bool, household_id=None, cadre_id=None, each=False):
    """Whether the household (H, or the given column) has a counted visit in the period (by that cadre,
    when given), from the summary.

    A household's last_counted_visit_at is never older than its newest counted visit (ingest moves it
    on, refresh_last_counted_visits recomputes it), so a household last counted before the period's
    start (or never) is settled from the households index; only the others are looked up. It may be
    newer (a visit rejected since): the look-up decides. Each is looked up in the household's summary
    rows (its primary key), except for a large area, which reads the period's summary rows once
    (PostgreSQL hashes them, SQLite indexes them: either beats half a million probes). each: every
    household is looked up by itself, whatever its number (a page of a list, read until it is full:
    PostgreSQL would hash an EXISTS, so it is a scalar probe there)."""
    start = literal(period.start, UtcDateTime())
    household = H.c.id if household_id is None else household_id
    if not small:
        if cadre_id is None:
            found = household.in_(counted_rows(period, M.c.household_id))
        else:  # a column: the cadre linked to the household
            found = tuple_(household, cadre_id).in_(counted_rows(period, M.c.household_id, M.c.submitter_id))
    else:
        probe = select(literal_column("1")).where(M.c.household_id == household, counted_in(period))
        if cadre_id is not None:
            probe = probe.where(M.c.submitter_id == cadre_id)
        found = probe.limit(1).scalar_subquery().is_not(None) if each else probe.exists()
    last = H.c.last_counted_visit_at
    return and_(last.is_not(None), last >= start, found)


def flagged_visits(period, households=None):
    """The period's flagged visits as (household_id, submitter_id, flagged): summary rows for whole
    months, else the submissions themselves (a from/to period cutting a month)."""
    if is_whole_months(period):
        query = select(M.c.household_id, M.c.submitter_id, M.c.flagged).where(month_range(period), M.c.flagged > 0)
        if households is not None:
            query = query.where(M.c.household_id.in_(households))
    else:
        query = select(S.c.household_id, S.c.submitter_id, literal_column("1").label("flagged")).where(
            visits_in(period, households), S.c.geo_status.in_(FLAGGED_GEO_STATUSES))
    return query.subquery("fv")


def area_totals(period, now, household_where, small: bool):
    """One row per area holding households: area_id, households, visited, overdue, flagged, path.

    One pass over the households index (area, active, category, last visit): `visited` looks up the
    visits only of households last counted since the period's start; flagged visits are few and
    joined per area."""
    ids = _ids(household_where, small)
    homes = (select(H.c.area_id, func.count().label("households"),
                    _sum(case((visited_in(period, small), 1), else_=0)).label("visited"),
                    _sum(case((overdue_clause(now), 1), else_=0)).label("overdue"))
             .where(*household_where).group_by(H.c.area_id).subquery("n"))
    fv = flagged_visits(period, ids)
    flagged = (select(H.c.area_id, func.sum(fv.c.flagged).label("flagged"))
               .select_from(fv.join(H, H.c.id == fv.c.household_id))
               .where(*household_where).group_by(H.c.area_id).subquery("f"))
    return (select(homes.c.area_id, homes.c.households, homes.c.visited, homes.c.overdue,
                   func.coalesce(flagged.c.flagged, 0).label("flagged"), A.c.path)
            .select_from(homes.outerjoin(flagged, flagged.c.area_id == homes.c.area_id)
                         .join(A, A.c.id == homes.c.area_id)))


def cadre_totals(period, now, household_where, small: bool, cadre_id=None, standing=False):
    """One row per cadre (assignment in force at the period's end; with standing, the standing link
    instead), visits by that cadre only."""
    at = None if standing else period.end
    asg = in_force_at(at, cadre_id)
    ids = _ids(household_where, small and cadre_id is None)
    visited = visited_in(period, small or cadre_id is not None, asg.c.household_id, asg.c.cadre_id)
    linked = (select(asg.c.cadre_id, func.count().label("households"),
                     _sum(case((visited, 1), else_=0)).label("visited"),
                     _sum(case((overdue_clause(now), 1), else_=0)).label("overdue"))
              .select_from(asg.join(H, H.c.id == asg.c.household_id))
              .where(*household_where).group_by(asg.c.cadre_id).subquery("n"))
    fv = flagged_visits(period, ids)
    linked_then = (select(literal_column("1"))  # the visitor was the household's cadre at the period's end
                   .where(ASG.c.household_id == fv.c.household_id, ASG.c.cadre_id == fv.c.submitter_id,
                          in_force(ASG, at)).exists())
    flagged = (select(fv.c.submitter_id.label("cadre_id"), func.sum(fv.c.flagged).label("flagged"))
               .select_from(fv.join(H, H.c.id == fv.c.household_id))
               .where(*household_where, linked_then,
                      *([fv.c.submitter_id == cadre_id] if cadre_id is not None else []))
               .group_by(fv.c.submitter_id).subquery("f"))
    return (select(U.c.id, U.c.username, U.c.display_name, linked.c.households, linked.c.visited,
                   linked.c.overdue, func.coalesce(flagged.c.flagged, 0).label("flagged"))
            .select_from(linked.outerjoin(flagged, flagged.c.cadre_id == linked.c.cadre_id)
                         .join(U, U.c.id == linked.c.cadre_id))
            .order_by(U.c.username))


def flagged_count(period):
    """Correlated: the household's flagged visits in the period (evaluated for output rows only)."""
    if is_whole_months(period):
        return (select(func.coalesce(func.sum(M.c.flagged), 0))
                .where(M.c.household_id == H.c.id, month_range(period)).scalar_subquery())
    return (select(func.count()).where(S.c.household_id == H.c.id, unindexed(S.c.kind) == "visit",
                                       S.c.is_current == true(),
                                       S.c.captured_at >= literal(period.start, UtcDateTime()),
                                       S.c.captured_at < literal(period.end, UtcDateTime()),
                                       S.c.geo_status.in_(FLAGGED_GEO_STATUSES))
            .scalar_subquery())


def household_rows(period, now, household_where, small: bool, *, status=None, cadre_id=None, page=False):
    """Households with area, cadre (at the period's end), last visit, visited, flagged and overdue.

    `visited` looks up the visits of households last counted since the period's start only (see
    visited_in); the flagged count is looked up for the rows returned only. page: the select is read a
    page at a time (see visited_in's each)."""
    asg = in_force_at(period.end)
    probed = small or cadre_id is not None  # few households: PostgreSQL probes an EXISTS by itself
    visited = visited_in(period, probed or page, cadre_id=cadre_id, each=page and not probed)
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
