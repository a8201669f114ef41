"""What a stored satisfaction answer changes: which cadre it rates, whether it is self-rated, and a
follow-up case for the manager when the household is not satisfied. Called by the lifecycle only."""
from ..cases import services as cases
from ..cases.models import Case
from ..extensions import db
from ..households.access import current_cadre_id
from ..households.models import Household


def rate_submission(submission) -> None:
    """Ingest hook: link a satisfaction answer to the cadre it rates; 不满意 opens a case for the manager."""
    if submission.kind != "satisfaction" or submission.household_id is None:
        return
    if submission.rated_cadre_id is None:
        submission.rated_cadre_id = current_cadre_id(submission.household_id)
        submission.is_self_rated = bool(submission.submitter_id and submission.submitter_id == submission.rated_cadre_id)
    if (submission.answers or {}).get("overall") == "unsatisfied" and not submission.is_self_rated:
        _follow_up(submission)


def _follow_up(submission) -> None:
    key = f"sat:{cases.root_instance_id(submission)}"
    if db.session.scalar(db.select(Case.id).filter_by(source_key=key)) is not None:
        return
    household = db.session.get(Household, submission.household_id)
    comment = str((submission.answers or {}).get("comment") or "").strip()
    cases.open_case(submission.submitter_id, household, category=cases.FOLLOW_UP_CATEGORY,
                    text=f"满意度测评：不满意{'：' + comment if comment else ''}", raised_at=submission.captured_at,
                    submission=submission, source_key=key, to_manager=True)

