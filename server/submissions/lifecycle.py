"""The one owner of a submission's life and of everything it changes elsewhere.

A submission is stored (new, or an edit replacing an earlier version), has its review state changed
(approved, has issues, rejected, restored), has its location verdict changed, or is stored again
from the quarantine. Each of these changes derived facts: the household's last counted visit (and
so coverage, due dates and the overdue list), first-visit anchors, the cadre a satisfaction answer
rates, cases raised or confirmed by a visit, and the audit log. This module keeps them in step, a
batch at a time; ingest (OpenRosa, JSON push, resident answers, quarantine reprocess), manager
review and the test factories all call it, and nothing else writes those facts.

Rows are locked in household-id order, so concurrent batches never wait on each other in a cycle.
Functions flush, never commit.
"""
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import bindparam, case, func, select

from .. import pg_bulk
from ..audit.models import AuditEntry
from ..audit import services as audit
from ..cases.services import cases_from_submission
from ..coverage.summary import add_new_visits, refresh_summary
from ..errors import Conflict
from ..extensions import db
from ..households.models import Household
from ..models_base import UtcDateTime, utcnow
from ..satisfaction.rating import rate_submission
from .models import Submission
from .rules import counted_clause, is_counted

#: what runs for each newly stored submission after the household facts: the rating link first
#: (it marks self-rated answers), then cases from the visit's demands
AFTER_STORE: list[Callable[[Submission], object]] = [rate_submission, cases_from_submission]

_H = Household.__table__
_S = Submission.__table__
_AT, _NOW = bindparam("at", type_=UtcDateTime()), bindparam("now", type_=UtcDateTime())
_LAST = _H.c.last_counted_visit_at
#: a counted visit moves the last counted visit forward, never back; one statement per household (an
#: executemany in id order): one UPDATE from arrays updates in join order, and its row triggers then took
#: the aggregate rows in another order in each concurrent batch (deadlocks, tried in session 7)
_MOVE_ON = (_H.update().where(_H.c.id == bindparam("hid"))
            .values(last_counted_visit_at=case((_LAST.is_(None), _AT), (_LAST < _AT, _AT), else_=_LAST),
                    updated_at=_NOW))
_ANCHOR = (_H.update().where(_H.c.id == bindparam("hid"), _H.c.lat.is_(None))
           .values(lat=bindparam("lat"), lon=bindparam("lon"), location_source="first_visit",
                   version=_H.c.version + 1, updated_at=_NOW))
_INSERT_AUDIT = AuditEntry.__table__.insert()


@dataclass
class Stored:
    """A submission just inserted (and flushed), with the form id and version it was made with."""
    submission: Submission
    form_id: str
    version: str


def record_stored(actor, stored: list[Stored], now=None) -> None:
    """Everything a batch of newly stored submissions changes: audit entries, first-visit anchors,
    the households' last counted visit and coverage summary, then the AFTER_STORE steps (satisfaction
    rating, cases)."""
    if not stored:
        return
    now = now or utcnow()
    actor_id = getattr(actor, "id", None)
    entries = [
        {"actor_id": actor_id, "action": "submission.edit" if s.submission.replaces_id else "submission.create",
         "target_type": "submission", "target_id": str(s.submission.id), "created_at": now,
         "details": {"instance_id": s.submission.instance_id, "form_id": s.form_id, "version": s.version,
                     "household_id": s.submission.household_id, "geo_status": s.submission.geo_status,
                     "source": s.submission.source}}
        for s in stored]
    connection = db.session.connection()
    if connection.dialect.name == "postgresql" and len(entries) > 1:
        pg_bulk.insert_rows(connection, AuditEntry.__table__, entries)  # one statement, not one per entry
    else:
        connection.execute(_INSERT_AUDIT, entries)
    submissions = [s.submission for s in stored]
    _anchor(submissions, now)
    replaced = [s.replaces_id for s in submissions if s.replaces_id is not None]
    exact = set(_households_of(replaced)) | {s.household_id for s in submissions
                                             if s.replaces_id is not None and s.household_id is not None}
    moved = [s for s in submissions if s.household_id not in exact and s.household_id is not None and is_counted(s)]
    if moved:
        newest = {}
        for s in moved:
            if s.household_id not in newest or newest[s.household_id] < s.captured_at:
                newest[s.household_id] = s.captured_at
        db.session.connection().execute(_MOVE_ON, [{"hid": hid, "at": at, "now": now}
                                                   for hid, at in sorted(newest.items())])
    refresh_last_counted_visits(exact)
    refresh_summary(exact)
    add_new_visits(s for s in submissions if s.household_id not in exact)
    for submission in submissions:
        for step in AFTER_STORE:
            step(submission)


def _anchor(submissions, now) -> None:
    """A household without a reference location takes the one of its first good ('anchored') visit."""
    first = {}
    for s in submissions:
        if s.geo_status == "anchored" and s.household_id is not None and s.household_id not in first:
            first[s.household_id] = s
    if first:
        db.session.connection().execute(_ANCHOR, [{"hid": hid, "lat": s.lat, "lon": s.lon, "now": now}
                                                  for hid, s in sorted(first.items())])


def _households_of(submission_ids) -> list[int]:
    if not submission_ids:
        return []
    return [h for h in db.session.scalars(select(_S.c.household_id).where(_S.c.id.in_(submission_ids)))
            if h is not None]


def refresh_last_counted_visits(household_ids) -> None:
    """Recompute households' last counted visit from their submissions, in id order."""
    ids = sorted({h for h in household_ids if h is not None})
    if not ids:
        return
    inner = _S.alias("counted")
    last = (select(func.max(inner.c.captured_at))
            .where(inner.c.household_id == _H.c.id, counted_clause(inner, per_household=True)).scalar_subquery())
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        db.session.execute(_H.update().where(_H.c.id.in_(chunk)).values(last_counted_visit_at=last))
    wanted = set(ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Household) and obj.id in wanted:
            db.session.expire(obj, ["last_counted_visit_at"])


def set_review_state(actor, submission: Submission, review_state: str, comment: str | None = None) -> Submission:
    """A manager's review: the new state, the household's last counted visit when the visit starts or
    stops counting (rejected / restored), and the audit entry."""
    if not submission.is_current:
        raise Conflict("This version was replaced by an edit; review the current version.",
                       replaced_by=db.session.scalar(select(_S.c.id).where(_S.c.replaces_id == submission.id)
                                                     .order_by(_S.c.id).limit(1)))
    previous = submission.review_state
    counted_before = is_counted(submission)
    submission.review_state = review_state
    submission.review_comment = comment
    db.session.flush()
    if counted_before != is_counted(submission):
        refresh_last_counted_visits([submission.household_id])
        refresh_summary([submission.household_id])
    audit.record(actor, "submission.review", "submission", submission.id,
                 review_state=review_state, previous=previous, comment=comment)
    return submission


@dataclass
class Verdict:
    """A new location verdict for a stored submission (the geo checks re-evaluated it)."""
    submission: Submission
    status: str
    reason: str | None = None
    distance_m: float | None = None
    #: the flags behind it ([{"code", ...}], submissions/reasons.py) and the status its fix earned;
    #: None leaves the stored ones as they are
    flags: list | None = None
    base_status: str | None = None


def set_verdicts(actor, verdicts: list[Verdict]) -> list[Submission]:
    """Store re-evaluated location verdicts; visits that start or stop counting move their household's
    last counted visit; each change gets an audit entry. Returns the submissions that changed."""
    changed, households, summarised = [], set(), set()
    for verdict in sorted(verdicts, key=lambda v: v.submission.id):
        s = verdict.submission
        flags = verdict.flags if verdict.flags is not None else s.geo_flags
        if (s.geo_status, s.geo_reason, s.geo_flags or None) == (verdict.status, verdict.reason, flags or None):
            continue
        before, previous = is_counted(s), s.geo_status
        s.geo_status, s.geo_reason = verdict.status, verdict.reason
        if verdict.flags is not None:
            s.geo_flags = verdict.flags or None
        if verdict.base_status is not None:
            s.base_geo_status = verdict.base_status
        if verdict.distance_m is not None:
            s.geo_distance_m = verdict.distance_m
        if before != is_counted(s):
            households.add(s.household_id)
            if previous == "anchored":
                _unanchor(s)
        if s.kind == "visit":  # flagged counts change with the status, counted or not
            summarised.add(s.household_id)
        changed.append(s)
        extra = {} if verdict.flags is None else {
            "reasons": [f.get("code") for f in verdict.flags if isinstance(f, dict)]}
        audit.record(actor, "submission.verdict", "submission", s.id, geo_status=verdict.status,
                     previous=previous, reason=verdict.reason, **extra)
    db.session.flush()
    refresh_last_counted_visits(households)
    refresh_summary(summarised)
    return changed


def _unanchor(submission) -> None:
    """A first-visit anchor that stops counting no longer locates its household (unless a manager
    confirmed the location)."""
    db.session.execute(_H.update().where(
        _H.c.id == submission.household_id, _H.c.location_source == "first_visit", _H.c.lat == submission.lat,
        _H.c.lon == submission.lon, _H.c.anchor_confirmed_at.is_(None))
        .values(lat=None, lon=None, location_source=None, version=_H.c.version + 1, updated_at=utcnow()))
