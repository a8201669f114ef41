"""The coverage summary (coverage_months): per household, local month and visitor, how many current
visits, counted visits (with the days they fell on) and flagged visits there were.

Every coverage report, household list, the map and the scorecards read it instead of the
submissions. It is kept exactly: whoever changes a visit's standing (store, edit, review,
rejection, reprocess) calls refresh_summary with the households concerned, which recomputes their
rows from the submissions in two statements. `flask coverage rebuild-summary` recomputes everything;
`flask coverage check-summary` compares it with the raw data. Months are local months of TIMEZONE:
rebuild after changing it."""
import calendar
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Integer, and_, case, cast, delete, distinct, except_, func, insert, literal
from sqlalchemy import literal_column, or_, select, true, union_all

from .. import pg_bulk
from ..extensions import db
from ..households.models import Household
from ..models_base import UtcDateTime
from ..submissions.models import Submission
from ..submissions.rules import counted_clause, is_counted
from ..submissions.models import FLAGGED_GEO_STATUSES  # noqa: F401  (one definition; re-exported)
from .aggregates import upkeep
from .sql_hints import unindexed
from .models import CoverageMonth

S, M = Submission.__table__, CoverageMonth.__table__
#: geo statuses of visits that look wrong and are worth a manager's look
COLUMNS = ("household_id", "month", "submitter_id", "visits", "counted", "counted_days", "flagged")
#: households recomputed per statement
CHUNK = 500


# ---- local months in SQL ----------------------------------------------------

@lru_cache(maxsize=8)
def zone_offsets(name: str) -> tuple[tuple, tuple]:
    """A zone's UTC offset changes from 1970 to 2200: (transition instants, offsets in seconds);
    offsets[i] holds before transitions[i], offsets[-1] after the last."""
    tz = ZoneInfo(name)

    def offset(moment):
        return int(moment.astimezone(tz).utcoffset().total_seconds())
    moment, end, day = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2200, 1, 1, tzinfo=timezone.utc), \
        timedelta(days=1)
    transitions, offsets = [], [offset(moment)]
    while moment < end:
        after = moment + day
        if offset(after) != offsets[-1]:
            lo, hi = moment, after  # whole seconds: old offset at lo, new at hi
            while hi - lo > timedelta(seconds=1):
                mid = lo + timedelta(seconds=(hi - lo).total_seconds() // 2)
                lo, hi = (mid, hi) if offset(mid) == offsets[-1] else (lo, mid)
            transitions.append(hi)
            offsets.append(offset(hi))
        moment = after
    return tuple(transitions), tuple(offsets)


def _zone_name() -> str:
    name = current_app.config.get("TIMEZONE", "Asia/Shanghai")
    ZoneInfo(name)  # raises for an unknown zone
    if not all(c.isalnum() or c in "/_+-" for c in name):
        raise ValueError(f"unusable time zone name {name!r}")
    return name


def local_month_day(column, dialect: str):
    """SQL expressions for a UTC datetime column's local month (yyyymm) and day of month."""
    name = _zone_name()
    if dialect == "postgresql":
        local = func.timezone(literal_column(f"'{name}'"), column)
        return (cast(func.to_char(local, "YYYYMM"), Integer), cast(func.to_char(local, "DD"), Integer))
    transitions, offsets = zone_offsets(name)
    shift = literal(f"{offsets[-1]:+d} seconds")
    if transitions:  # newest first: most rows are past the last change
        shift = case(*[(column >= literal(t, UtcDateTime()), literal(f"{o:+d} seconds"))
                       for t, o in zip(reversed(transitions), reversed(offsets[1:]))],
                     else_=literal(f"{offsets[0]:+d} seconds"))
    local = func.datetime(column, shift)
    return cast(func.strftime("%Y%m", local), Integer), cast(func.strftime("%d", local), Integer)


# ---- recomputing ------------------------------------------------------------

def _recomputed(dialect: str, household_ids=None):
    """The summary rows as the submissions say they should be (of these households, when given)."""
    month, day = local_month_day(S.c.captured_at, dialect)
    counted = counted_clause(S)  # the one definition (its kind and is_current hold here already)
    # a few households: their rows through ix_submissions_household (sql_hints.unindexed)
    kind = S.c.kind if household_ids is None else unindexed(S.c.kind)
    visits = (select(S.c.household_id, month.label("month"), func.coalesce(S.c.submitter_id, 0).label("submitter_id"),
                     day.label("day"), case((counted, 1), else_=0).label("c"),
                     case((S.c.geo_status.in_(FLAGGED_GEO_STATUSES), 1), else_=0).label("f"))
              .where(kind == "visit", S.c.is_current == true(), S.c.household_id.is_not(None)))
    if household_ids is not None:
        visits = visits.where(S.c.household_id.in_(household_ids))
    v = visits.subquery("v")
    bit = literal_column("1", Integer).op("<<")(v.c.day - 1)
    return (select(v.c.household_id, v.c.month, v.c.submitter_id, func.count().label("visits"),
                   func.sum(v.c.c).label("counted"),
                   func.sum(distinct(case((v.c.c == 1, bit), else_=0))).label("counted_days"),
                   func.sum(v.c.f).label("flagged"))
            .group_by(v.c.household_id, v.c.month, v.c.submitter_id))


# PostgreSQL: the households' row locks (id order) are taken before their summary rows change (the
# aggregates' read before the change takes them: aggregates.upkeep(lock=True)), so that two transactions
# recomputing or adding to one household's rows take turns (under READ COMMITTED the second then sees
# what the first stored).


def refresh_summary(household_ids) -> int:
    """Recompute the summary rows of these households from their submissions (call after a flush).

    Two statements per CHUNK households, whatever changed: stored, edited, reviewed, rejected,
    restored or reprocessed visits. Returns how many households were recomputed."""
    ids = sorted({int(i) for i in household_ids if i is not None})
    connection = db.session.connection()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        with upkeep(chunk, lock=True):  # households locked first; the villages' aggregates follow
            connection.execute(delete(M).where(M.c.household_id.in_(chunk)))
            connection.execute(insert(M).from_select(COLUMNS, _recomputed(connection.dialect.name, chunk)))
    return len(ids)


@lru_cache(maxsize=4)
def _upsert(dialect: str):
    """SQLite: one statement per row (an executemany). PostgreSQL: the batch's rows in one
    statement from arrays (server/pg_bulk.py), so that its statement triggers (the map epochs) run
    once, not once per row."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
        statement = upsert(M).from_select(COLUMNS, pg_bulk.source(M, COLUMNS, db.engine.dialect))
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
        statement = upsert(M)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[M.c.household_id, M.c.month, M.c.submitter_id],
        set_={"visits": M.c.visits + new.visits, "counted": M.c.counted + new.counted,
              "counted_days": M.c.counted_days.op("|")(new.counted_days), "flagged": M.c.flagged + new.flagged})


def add_new_visits(submissions) -> int:
    """Newly stored submissions, none of them in the summary yet, added to their households' rows:
    one upsert per batch (ingest's usual case; an edit goes through refresh_summary instead)."""
    tz = ZoneInfo(_zone_name())
    rows: dict = {}
    for s in submissions:
        if s.kind != "visit" or s.household_id is None or s.is_current is False:
            continue
        local = s.captured_at.astimezone(tz)
        row = rows.setdefault((s.household_id, local.year * 100 + local.month, s.submitter_id or 0), [0, 0, 0, 0])
        row[0] += 1
        if is_counted(s):
            row[1] += 1
            row[2] |= 1 << (local.day - 1)
        row[3] += s.geo_status in FLAGGED_GEO_STATUSES
    if rows:
        connection = db.session.connection()
        households = sorted({key[0] for key in rows})
        added = [(key[0], key[1], values[1], values[3], key[2]) for key, values in rows.items()]
        values = [dict(zip(COLUMNS, key + tuple(values))) for key, values in sorted(rows.items())]
        if connection.dialect.name == "postgresql":
            values = pg_bulk.arrays(M, COLUMNS, values, connection.dialect)
        with upkeep(households, added, lock=True):  # households locked first; the villages' aggregates follow
            connection.execute(_upsert(connection.dialect.name), values)
    return len(rows)


def rebuild_summary(connection=None) -> int:
    """Recompute the whole summary from the submissions; returns its row count."""
    connection = connection if connection is not None else db.session.connection()
    connection.execute(delete(M))
    connection.execute(insert(M).from_select(COLUMNS, _recomputed(connection.dialect.name)))
    return connection.scalar(select(func.count()).select_from(M))


def check_summary(limit: int = 20) -> dict:
    """Compare the summary with a recomputation: rows missing or wrong, rows extra, households concerned."""
    connection = db.session.connection()
    stored = select(*(M.c[name] for name in COLUMNS))
    fresh = _recomputed(connection.dialect.name)
    missing = except_(fresh, stored).subquery("missing")
    extra = except_(stored, fresh).subquery("extra")
    households = set(connection.scalars(select(missing.c.household_id).distinct().limit(limit)))
    households |= set(connection.scalars(select(extra.c.household_id).distinct().limit(limit)))
    return {"rows": connection.scalar(select(func.count()).select_from(M)),
            "missing": connection.scalar(select(func.count()).select_from(missing)),
            "extra": connection.scalar(select(func.count()).select_from(extra)),
            "households": sorted(households)[:limit]}


# ---- reading it by period ---------------------------------------------------

def period_months(period) -> tuple[list[int], list[tuple[int, int]]]:
    """The months a period covers: whole months (yyyymm, contiguous) and partly covered ones with
    the mask of their days in the period."""
    first, last = period.first_day, period.last_day
    whole, partial = [], []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        length = calendar.monthrange(year, month)[1]
        lo = first.day if (year, month) == (first.year, first.month) else 1
        hi = last.day if (year, month) == (last.year, last.month) else length
        if lo == 1 and hi == length:
            whole.append(year * 100 + month)
        else:
            partial.append((year * 100 + month, sum(1 << (d - 1) for d in range(lo, hi + 1))))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return whole, partial


def is_whole_months(period) -> bool:
    """Whether the period is made of whole local months (every named period is)."""
    return not period_months(period)[1]


def month_range(period):
    """Summary rows of the months the period touches (flagged and visit counts: whole months only)."""
    whole, partial = period_months(period)
    months = sorted(whole + [m for m, _ in partial])
    return M.c.month.between(months[0], months[-1])


def _counted_parts(period) -> list:
    whole, partial = period_months(period)
    parts = [and_(M.c.month.between(whole[0], whole[-1]), M.c.counted > 0)] if whole else []
    parts += [and_(M.c.month == m, M.c.counted_days.op("&")(mask) != 0) for m, mask in partial]
    return parts


def counted_in(period):
    """Summary rows that hold a counted visit in the period."""
    parts = _counted_parts(period)
    return parts[0] if len(parts) == 1 else or_(*parts)


def counted_rows(period, *columns):
    """These columns of the summary rows that hold a counted visit in the period, a select per run of
    whole months and per cut month (UNION ALL): each an index-only range of ix_coverage_months_month,
    where one select with OR reads the table's rows (a PostgreSQL bitmap scan)."""
    parts = [select(*columns).where(part) for part in _counted_parts(period)]
    return parts[0] if len(parts) == 1 else union_all(*parts)
