"""What a counted visit is: the one definition, as SQL and for a loaded row.

A counted visit is a current (not replaced by an edit) visit-kind submission that is not rejected
and whose geo status is in COUNTED_GEO_STATUSES (default: verified, anchored). The period it counts
for is decided by its captured_at (coverage). Coverage, scorecards, households' last counted visit
and the lifecycle all read it from here.
"""
from flask import current_app
from sqlalchemy import and_, true

from ..coverage.sql_hints import unindexed
from .models import Submission

S = Submission.__table__


def counted_geo_statuses() -> tuple:
    return tuple(current_app.config["COUNTED_GEO_STATUSES"])


def counted_clause(table=S, per_household=False):
    """SQL: the rows of `table` (the submissions table or an alias of it) that are counted visits.
    `per_household`: the query also names the household, whose index should find the rows."""
    kind = unindexed(table.c.kind) if per_household else table.c.kind
    return and_(kind == "visit", table.c.is_current == true(), table.c.review_state != "rejected",
                table.c.geo_status.in_(counted_geo_statuses()))


def is_counted(submission) -> bool:
    """The same rule for a Submission object (or anything with those attributes)."""
    return (submission.kind == "visit" and submission.is_current is not False
            and submission.review_state != "rejected" and submission.geo_status in counted_geo_statuses())
