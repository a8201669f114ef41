"""The review queue: flagged visits and held resident answers, decided in bulk; first-visit anchors
to confirm. Flushes, never commits."""

from ..audit import services as audit
from ..auth.models import User
from ..auth.services import require_role
from ..errors import BadRequest
from ..extensions import db
from ..households.models import Household
from ..households.services import scope_filter
from . import lifecycle, services
from .models import Submission

DECISIONS = {"approve": "approved", "reject": "rejected"}
MAX_IDS = 500


def flagged_query(actor, kind: str | None = None):
    """Current submissions in scope a manager has still to decide: suspect visits and held answers."""
    require_role(actor, "admin", "manager")
    held = db.or_(Submission.geo_status == "suspect",
                  db.and_(Submission.kind == "satisfaction", Submission.review_state == "has_issues"))
    query = services.visible(actor, db.select(Submission)).where(
        Submission.is_current.is_(True), Submission.review_state.notin_(("approved", "rejected")), held)
    if kind is not None:
        query = query.where(Submission.kind == kind)
    return query.order_by(Submission.captured_at.desc(), Submission.id.desc())


def decide(actor, ids: list, decision: str, comment: str | None = None) -> list[Submission]:
    """Approve (it counts: a visit gets back the status its fix earned) or reject many at once; audited."""
    require_role(actor, "admin", "manager")
    if decision not in DECISIONS or not ids or len(ids) > MAX_IDS:
        raise BadRequest(f"Give 1 to {MAX_IDS} ids and a decision: approve or reject.")
    decided, verdicts = [], []
    for submission_id in dict.fromkeys(ids):
        submission = services.review_submission(actor, int(submission_id), DECISIONS[decision], comment)
        if decision == "approve" and submission.geo_status == "suspect" and submission.base_geo_status:
            verdicts.append(lifecycle.Verdict(submission, submission.base_geo_status, None))
        decided.append(submission)
    lifecycle.set_verdicts(actor, verdicts)  # an approved visit counts: the status its fix earned
    return decided


def unconfirmed_anchors(actor, limit: int = 200) -> list[Household]:
    """Households located by a first visit that no manager has confirmed yet."""
    require_role(actor, "admin", "manager")
    query = scope_filter(actor, db.select(Household)).where(
        Household.location_source == "first_visit", Household.anchor_confirmed_at.is_(None))
    return list(db.session.scalars(query.order_by(Household.updated_at.desc()).limit(limit)))


def confirm_anchors(actor, household_ids: list, now) -> int:
    """Confirm first-visit anchors (the household's location stands); audited."""
    require_role(actor, "admin", "manager")
    query = scope_filter(actor, db.select(Household)).where(
        Household.id.in_([int(i) for i in household_ids][:MAX_IDS]), Household.location_source == "first_visit")
    count = 0
    for household in db.session.scalars(query):
        household.anchor_confirmed_at = now
        audit.record(actor, "household.anchor_confirm", "household", household.id, lat=household.lat, lon=household.lon)
        count += 1
    db.session.flush()
    return count


def anomaly_counts(submitter_ids, start, end) -> dict:
    """Per cadre: {user_id: {"flagged": n, "by_reason": {code: n}}} of their suspect visits in [start, end)."""
    rows = db.session.execute(db.select(Submission.submitter_id, Submission.geo_flags).where(
        Submission.submitter_id.in_(list(submitter_ids)), Submission.kind == "visit",
        Submission.is_current.is_(True), Submission.captured_at >= start, Submission.captured_at < end,
        Submission.geo_status == "suspect", Submission.review_state != "approved"))
    out: dict = {}
    for submitter_id, flags in rows:
        entry = out.setdefault(submitter_id, {"flagged": 0, "by_reason": {}})
        entry["flagged"] += 1
        for flag in flags or []:
            code = flag.get("code") if isinstance(flag, dict) else None
            if code:
                entry["by_reason"][code] = entry["by_reason"].get(code, 0) + 1
    return out


def submitter_names(ids) -> dict:
    """User id -> display name, for the queue."""
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    return {u.id: u.display_name for u in db.session.scalars(db.select(User).where(User.id.in_(ids)))}


