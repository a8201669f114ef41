"""The keys the coverage aggregates (per village: aggregates.py; per cadre: cadre_aggregates.py) share:
a summary month's period keys, a UTC datetime's month as the triggers compute it, month edges and
"not one of" as index ranges."""
from datetime import timedelta

from sqlalchemy import Integer, and_, case, func, literal_column, or_, select, union_all

from .models import CoverageMonth

M = CoverageMonth.__table__


def summary_keys(household_ids=None):
    """Summary rows as (household_id, k, c, f): each month once per key it lies in."""
    m = M
    c = case((m.c.counted > 0, 1), else_=0)
    year = (m.c.month // 100) * 100
    index = m.c.month % 100 - 1
    parts = []
    for key in (m.c.month, year + 20 + index // 3 + 1, year + 30 + index // 6 + 1, year):
        part = select(m.c.household_id, m.c.submitter_id, key.label("k"), c.label("c"), m.c.flagged.label("f"))
        if household_ids is not None:
            part = part.where(m.c.household_id.in_(household_ids))
        parts.append(part)
    return union_all(*parts).subquery("keys")


def month_of(column, dialect: str):
    """A UTC datetime's month as yyyymm (0 for NULL), as the triggers compute it."""
    if dialect == "postgresql":
        text = func.to_char(func.timezone(literal_column("'UTC'"), column), "YYYYMM")
    else:
        text = func.strftime("%Y%m", column)
    return func.coalesce(text.cast(Integer), 0)


def month_keys(month: int) -> tuple[int, int, int, int]:
    """The keys a month (yyyymm) lies in: itself, its quarter, its half, its year (as in _keys)."""
    year, index = month // 100 * 100, month % 100 - 1
    return month, year + 20 + index // 3 + 1, year + 30 + index // 6 + 1, year


def month_start(moment):
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(moment):
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)


def other_than(column, known: list):
    """column NOT IN known, as ranges between the sorted values (an index on the column seeks them)."""
    parts = [column < known[0], column > known[-1]]
    parts += [and_(column > a, column < b) for a, b in zip(known, known[1:])]
    return or_(*parts)
