"""Demo after a year: what became of the requests raised in visits, and residents' satisfaction answers.

Written directly, like the demo visits: outcomes are dated in the past, which no live action could do."""
import hashlib
import uuid
from datetime import timedelta

from .cases.models import Case, CaseEvent
from .extensions import db
from .households.models import Assignment
from .models_base import utcnow
from .submissions import lifecycle
from .submissions.models import Submission
from .surveys.services import current_version

NOTES = {"claimed": "已联系相关部门", "resolved": "已办理，回访告知家属", "confirmed": "群众确认满意"}
COMMENTS = ["干部经常来，有事能帮忙", "上次反映的路灯已经修好了", "希望多来看看老人", "", "", "服务态度很好",
            "办事效率还可以再提高"]
#: residents answering per cadre (share of their households) this quarter and last: the last two are new to
#: the work and few of their households have answered yet (fewer than 5: no satisfaction in their score)
ANSWER_SHARE = [0.35, 0.3, 0.4, 0.25, 0.3, 0.35, 0.04, 0.03]


def seed_outcomes(households, rng) -> dict:
    """Satisfaction answers for this quarter and the one before (their 不满意 follow-ups included), then the
    dates and outcomes of every request."""
    answers = _satisfaction(households, rng)
    return {"answers": answers, "cases": _case_outcomes(rng)}


def _case_outcomes(rng) -> int:
    """Most requests past their due date were resolved (a few late), most of those confirmed by the family;
    a few are still open and overdue; recent ones are open, claimed or resolved."""
    now = utcnow()
    cases = db.session.execute(db.select(Case, Submission.captured_at)
                               .join(Submission, Submission.id == Case.submission_id)).all()
    for case, raised in cases:
        case.created_at = raised
        for event in case.events:
            event.created_at = raised
        days = (case.due_at - raised).total_seconds() / 86400
        age = (now - raised).total_seconds() / 86400
        if case.due_at < now:
            outcome = rng.choices(["confirmed", "resolved", "late", "open"], weights=[62, 20, 10, 8])[0]
        else:
            outcome = rng.choices(["open", "claimed", "resolved"], weights=[35, 40, 25])[0]
        if outcome == "open":
            continue
        claimed = raised + timedelta(days=min(age, rng.uniform(0.2, 3)))
        _move(case, "claim", "open", "claimed", claimed)
        if outcome == "claimed":
            continue
        took = rng.uniform(days * 1.05, days * 1.8) if outcome == "late" else rng.uniform(1, days * 0.9)
        resolved = min(raised + timedelta(days=took), now - timedelta(hours=2))
        _move(case, "resolve", "claimed", "resolved", max(resolved, claimed + timedelta(hours=1)))
        case.resolved_at = max(resolved, claimed + timedelta(hours=1))
        if outcome == "confirmed" and case.resolved_at < now - timedelta(days=3):
            case.confirmed_at = case.resolved_at + timedelta(days=rng.uniform(2, 20))
            if case.confirmed_at < now:
                _move(case, "confirm", "resolved", "confirmed", case.confirmed_at)
    db.session.flush()
    return len(cases)


def _move(case: Case, action: str, from_status: str, to_status: str, when) -> None:
    case.status = to_status
    if action == "claim":
        case.claimed_by_id = case.assignee_id
    db.session.add(CaseEvent(case_id=case.id, actor_id=case.assignee_id, action=action, from_status=from_status,
                             to_status=to_status, note=NOTES.get(to_status), created_at=when))


def _satisfaction(households, rng) -> int:
    """Residents rate their linked cadre, at some time in this quarter (so far) and in the previous one."""
    from .coverage.periods import current_quarter
    version = current_version("satisfaction")
    now = utcnow()
    this = current_quarter()
    windows = [(this.start, min(this.end, now)), (this.start - (this.end - this.start), this.start)]
    linked = dict(db.session.execute(db.select(Assignment.household_id, Assignment.cadre_id)
                                     .where(Assignment.valid_to.is_(None))).all())
    cadres = sorted(set(linked.values()))
    share = {cadre: ANSWER_SHARE[i % len(ANSWER_SHARE)] for i, cadre in enumerate(cadres)}
    stored = []
    for start, end in windows:
        for household in households:
            cadre = linked.get(household.id)
            if cadre is None or rng.random() > share[cadre]:
                continue
            overall = rng.choices(["satisfied", "basic", "unsatisfied"], weights=[72, 21, 7])[0]
            base = {"satisfied": 5, "basic": 4, "unsatisfied": 2}[overall]
            answers = {"household": household.code, "overall": overall, "comment": rng.choice(COMMENTS),
                       **{k: str(max(1, min(5, base - rng.choice([0, 0, 0, 1])))) for k in ("attitude", "help",
                                                                                          "frequency")}}
            captured = start + (end - start) * rng.random()
            instance_id = f"uuid:{uuid.UUID(int=rng.getrandbits(128))}"
            submission = Submission(
                instance_id=instance_id, form_version_id=version.id, kind="satisfaction", household_id=household.id,
                area_id=household.area_id, submitter_id=None, source="resident", captured_at=captured,
                received_at=captured + timedelta(seconds=rng.uniform(1, 30)), geo_status="no_fix",
                answers=answers, content_hash=hashlib.sha256(repr(sorted(answers.items())).encode()).hexdigest())
            db.session.add(submission)
            stored.append(lifecycle.Stored(submission, "satisfaction", version.version))
    db.session.flush()
    stored.sort(key=lambda s: s.submission.captured_at)
    lifecycle.record_stored(None, stored)  # rates the linked cadre, opens a follow-up for 不满意
    return len(stored)
