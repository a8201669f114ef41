"""Cases (诉求 / 微心愿): raised in visits or by hand, claimed, resolved, confirmed by the family."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.orm.util import identity_key

from ..areas import services as areas
from ..audit import services as audit
from ..auth.models import User
from ..auth.services import require_role
from ..errors import CaseTransitionInvalid, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..households import services as households
from ..audit.models import AuditEntry
from ..households.models import Assignment, Household
from ..models_base import UtcDateTime, utcnow
from .models import Case, CaseEvent

#: statuses in which a case still waits for work (and can be overdue)
ACTIVE = ("open", "claimed", "reopened")
#: status change -> the statuses it may start from
TRANSITIONS = {
    "claimed": ("open", "reopened"),
    "resolved": ("claimed", "reopened"),
    "confirmed": ("resolved",),
    "reopened": ("resolved",),
}
YES = ("yes", "1", "true")
#: category of the cases a 不满意 satisfaction answer opens for the area's manager
FOLLOW_UP_CATEGORY = "satisfaction"


def due_days(category: str, is_micro_wish: bool) -> int:
    """Days to resolve: MICRO_WISH_DUE_DAYS for micro-wishes, else CASE_DUE_DAYS (an int or a dict by category)."""
    config = current_app.config
    if is_micro_wish:
        return int(config.get("MICRO_WISH_DUE_DAYS", 30))
    days = config.get("CASE_DUE_DAYS", 15)
    if isinstance(days, dict):
        return int(days.get(category, days.get("default", 15)))
    return int(days)


def _manager_of(area) -> User | None:
    """The first active manager of the area or, failing that, of its nearest ancestor."""
    ids = [int(p) for p in area.path.strip("/").split("/") if p]
    for area_id in reversed(ids):
        manager = db.session.scalar(
            db.select(User).filter_by(role="manager", area_id=area_id, is_active=True).order_by(User.id).limit(1))
        if manager is not None:
            return manager
    return None


def open_case(actor, household: Household, *, text: str, category: str = "other", is_micro_wish=False,
              assignee_id=None, due_at: datetime | None = None, raised_at: datetime | None = None,
              submission=None, source_key: str | None = None, to_manager=False) -> Case:
    """Open a case for a household; owner defaults to its cadre (or its area's manager)."""
    if assignee_id is None:
        if to_manager:
            manager = _manager_of(household.area)
            assignee_id = manager.id if manager else None
        else:
            assignee_id = households.current_cadre_id(household.id)
    raised_at = raised_at or utcnow()
    case = Case(household_id=household.id, area_id=household.area_id, category=category or "other",
                text=text, is_micro_wish=bool(is_micro_wish), status="open", assignee_id=assignee_id,
                due_at=due_at or raised_at + timedelta(days=due_days(category, is_micro_wish)),
                submission_id=getattr(submission, "id", None), source_key=source_key,
                created_by_id=getattr(actor, "id", actor))
    db.session.add(case)
    db.session.flush()
    _event(actor, case, "create", None, "open")
    return case


def _event(actor, case: Case, action: str, from_status, to_status, note=None, photo=None, **details):
    """Record a change: a CaseEvent, an audit entry, and the household marked changed for device pulls."""
    actor_id = getattr(actor, "id", actor)
    if case.category != FOLLOW_UP_CATEGORY:
        db.session.execute(db.update(Household).where(Household.id == case.household_id)
                           .values(updated_at=utcnow()).execution_options(synchronize_session=False))
    db.session.add(CaseEvent(case_id=case.id, actor_id=actor_id, action=action, from_status=from_status,
                             to_status=to_status, note=note, photo=photo))
    audit.record(actor_id, f"case.{action}", "case", case.id, from_status=from_status, to_status=to_status,
                 **details)


def root_instance_id(submission) -> str:
    """The instanceID of the first version of an edited chain (meta/deprecatedID links)."""
    from ..submissions.models import Submission
    current, seen = submission, set()
    while current.replaces_id is not None and current.replaces_id not in seen:
        seen.add(current.replaces_id)
        previous = db.session.get(Submission, current.replaces_id)
        if previous is None:
            break
        current = previous
    return current.instance_id


def cases_from_submission(submission) -> list[int]:
    """Ingest hook: a visit's demands become cases (once per item; returns their ids), its answer
    confirms or reopens cases."""
    if submission.kind != "visit" or submission.household_id is None:
        return []
    answers = submission.answers or {}
    if not answers.get("demands") and str(answers.get("cases_confirmed") or "").lower() not in ("yes", "no"):
        return []  # the usual visit: nothing to open or confirm, so no household load
    confirm_by_visit(submission, answers.get("cases_confirmed"))
    demands = answers.get("demands") or []
    if isinstance(demands, dict):
        demands = [demands]
    root = root_instance_id(submission)
    keys = [f"{root}#{index}" for index in range(len(demands))]
    existing = set(db.session.scalars(db.select(Case.source_key).where(Case.source_key.in_(keys)))) if keys else set()
    wanted = [(key, item) for key, item in zip(keys, demands)
              if key not in existing and isinstance(item, dict) and str(item.get("text") or "").strip()]
    return _open_from_visit(submission, wanted)


_C = Case.__table__
_INSERT_CASE = _C.insert().returning(_C.c.id)
_INSERT_EVENTS = CaseEvent.__table__.insert()
_INSERT_AUDIT = AuditEntry.__table__.insert()
_AREA_OF = db.select(Household.area_id).where(Household.id == db.bindparam("hid"))
_CADRE_OF = db.select(Assignment.cadre_id).where(Assignment.household_id == db.bindparam("hid"),
                                                 Assignment.valid_to.is_(None)).limit(1)
_TOUCH = (db.update(Household.__table__).where(Household.__table__.c.id == db.bindparam("hid"))
          .values(updated_at=db.bindparam("now")))


def _open_from_visit(submission, wanted: list) -> list[int]:
    """What open_case (and its _event) does for each of a visit's new demands [(source key, item)],
    in prebuilt Core statements: one area and one cadre look-up and one household touch for them all.
    Returns the new cases' ids."""
    if not wanted:
        return []
    connection, hid, actor_id = db.session.connection(), submission.household_id, submission.submitter_id
    area_id = connection.execute(_AREA_OF, {"hid": hid}).scalar_one()
    assignee_id = connection.execute(_CADRE_OF, {"hid": hid}).scalar()
    now, ids = utcnow(), []
    for key, item in wanted:
        category = str(item.get("category") or "other")[:32]
        is_micro_wish = str(item.get("is_micro_wish", "")).lower() in YES
        ids.append(connection.execute(_INSERT_CASE, {
            "household_id": hid, "area_id": area_id, "submission_id": submission.id, "source_key": key,
            "category": category or "other", "text": str(item["text"]).strip(), "is_micro_wish": is_micro_wish,
            "status": "open", "assignee_id": assignee_id, "claimed_by_id": None,
            "due_at": submission.captured_at + timedelta(days=due_days(category, is_micro_wish)),
            "resolved_at": None, "confirmed_at": None, "created_at": now, "created_by_id": actor_id}).scalar_one())
    connection.execute(_TOUCH, {"hid": hid, "now": now})
    _record_events(connection, actor_id, ids, "create", None, "open", None, now)
    return ids


def _record_events(connection, actor_id, ids, action, from_status, to_status, note, now) -> None:
    """What _event records for each of these cases (its household touched by the caller), in one
    executemany per table: the CaseEvent rows and the audit entries."""
    connection.execute(_INSERT_EVENTS, [{"case_id": case_id, "actor_id": actor_id, "action": action,
                                         "from_status": from_status, "to_status": to_status, "note": note,
                                         "photo": None, "created_at": now} for case_id in ids])
    connection.execute(_INSERT_AUDIT, [{"actor_id": actor_id, "action": f"case.{action}", "target_type": "case",
                                        "target_id": str(case_id), "created_at": now,
                                        "details": {"from_status": from_status, "to_status": to_status}}
                                       for case_id in ids])


_RESOLVED_BEFORE = db.select(_C.c.id, _C.c.category).where(
    _C.c.household_id == db.bindparam("hid"), _C.c.status == "resolved",
    _C.c.resolved_at <= db.bindparam("at", type_=UtcDateTime())).order_by(_C.c.id)
_RESOLVED_IDS = (_C.update().where(_C.c.id.in_(db.bindparam("ids", expanding=True)), _C.c.status == "resolved")
                 .returning(_C.c.id))
_SET_STATUS = _RESOLVED_IDS.values(status=db.bindparam("to_status"))
_SET_CONFIRMED = _RESOLVED_IDS.values(status=db.bindparam("to_status"),
                                      confirmed_at=db.bindparam("now", type_=UtcDateTime()))


def confirm_by_visit(submission, answer) -> list[int]:
    """A visit's `cases_confirmed` answer: yes confirms the household's cases resolved before the
    visit, no reopens them. What _move (and its _event) does for each, in prebuilt Core statements:
    one status UPDATE, the events and audit entries in one executemany each, the household touched
    once. Returns the cases' ids."""
    answer = str(answer or "").lower()
    if answer not in ("yes", "no"):
        return []
    to_status = "confirmed" if answer == "yes" else "reopened"
    action = {"confirmed": "confirm", "reopened": "reopen"}[to_status]
    assert "resolved" in TRANSITIONS[to_status]  # the one rule of which moves are allowed
    connection, hid = db.session.connection(), submission.household_id
    found = connection.execute(_RESOLVED_BEFORE, {"hid": hid, "at": submission.captured_at}).all()
    if not found:
        return []
    now, actor_id = utcnow(), submission.submitter_id
    # the cases this statement moved (one moved meanwhile by another visit or a manager is not)
    moved = set(connection.execute(_SET_CONFIRMED if to_status == "confirmed" else _SET_STATUS,
                                   {"ids": [row.id for row in found], "to_status": to_status, "now": now}).scalars())
    found = [row for row in found if row.id in moved]
    ids = [row.id for row in found]
    if not ids:
        return []
    if any(row.category != FOLLOW_UP_CATEGORY for row in found):
        connection.execute(_TOUCH, {"hid": hid, "now": now})
    _record_events(connection, actor_id, ids, action, "resolved", to_status, f"visit {submission.instance_id}", now)
    for case_id in ids:  # cases this session holds are stale now
        held = db.session.identity_map.get(identity_key(Case, case_id))
        if held is not None:
            db.session.expire(held)
    return ids


def _move(actor, case: Case, to_status: str, note=None, photo=None) -> Case:
    """Change status (checked against TRANSITIONS), stamp times, record the event."""
    allowed_from = TRANSITIONS.get(to_status)
    if allowed_from is None or case.status not in allowed_from:
        moves = sorted(s for s, starts in TRANSITIONS.items() if case.status in starts)
        raise CaseTransitionInvalid(f"This case is {case.status} and cannot become {to_status}; "
                                    f"it can become: {', '.join(moves) or 'nothing (final)'}.",
                                    status=case.status, requested=to_status, allowed=moves)
    from_status, now = case.status, utcnow()
    case.status = to_status
    if to_status == "claimed":
        case.claimed_by_id = getattr(actor, "id", actor)
        case.assignee_id = case.assignee_id or case.claimed_by_id
    elif to_status == "resolved":
        case.resolved_at, case.confirmed_at = now, None
    elif to_status == "confirmed":
        case.confirmed_at = now
    _event(actor, case, {"claimed": "claim", "resolved": "resolve", "confirmed": "confirm",
                         "reopened": "reopen"}[to_status], from_status, to_status, note, photo)
    return case


# ---- reads -------------------------------------------------------------------

def visible_cases(actor):
    """A select of the cases the actor may see (scope, plus open micro-wishes for party members)."""
    query = db.select(Case)
    if actor.role == "admin":
        return query
    if actor.role == "manager":
        condition = Case.area_id.in_(areas.subtree_ids(actor.area))
    elif actor.role == "cadre":
        condition = db.or_(Case.household_id.in_(households.linked_household_ids(actor.id)),
                           Case.assignee_id == actor.id)
    else:
        condition = db.false()
    condition = db.or_(condition, Case.claimed_by_id == actor.id)
    if actor.is_party_member:
        condition = db.or_(condition, db.and_(Case.is_micro_wish.is_(True), Case.status.in_(("open", "reopened")),
                                              Case.area_id.in_(areas.subtree_ids(actor.area))))
    if actor.role in ("cadre", "surveyor"):
        # follow-ups of residents' 不满意 answers never reach a cadre (DESIGN §7: they would reveal the
        # answer), not even when assigned to one: lists, counts and the device pull all come through here
        condition = db.and_(condition, Case.category != FOLLOW_UP_CATEGORY)
    return query.where(condition)


def open_case_counts(actor, household_ids) -> dict:
    """{household_id: number of visible cases still waiting for work}, for the device pull."""
    if not household_ids:
        return {}
    listed = visible_cases(actor).where(Case.household_id.in_(household_ids), Case.status.in_(ACTIVE)).subquery()
    return dict(db.session.execute(db.select(listed.c.household_id, db.func.count())
                                   .group_by(listed.c.household_id)).all())


def visible_pending_counts(actor):
    """A subquery (household_id, n) of the visible resolved cases awaiting the family's confirmation."""
    listed = visible_cases(actor).where(Case.status == "resolved").subquery()
    return (db.select(listed.c.household_id, db.func.count().label("n"))
            .group_by(listed.c.household_id).subquery())


def list_cases(actor, *, status=None, overdue=None, area_id=None, owner_id=None, category=None,
               household_id=None, is_micro_wish=None):
    """A select of visible cases, filtered; overdue first, then by due date."""
    query = visible_cases(actor)
    now = utcnow()
    is_overdue = db.and_(Case.status.in_(ACTIVE), Case.due_at < now)
    if status:
        query = query.where(Case.status == status)
    if overdue is True:
        query = query.where(is_overdue)
    elif overdue is False:
        query = query.where(db.not_(is_overdue))
    if area_id is not None:
        query = query.where(Case.area_id.in_(areas.subtree_ids(areas.get_in_scope(actor, area_id))))
    if owner_id is not None:
        query = query.where(Case.assignee_id == owner_id)
    if category:
        query = query.where(Case.category == category)
    if household_id is not None:
        query = query.where(Case.household_id == household_id)
    if is_micro_wish is not None:
        query = query.where(Case.is_micro_wish.is_(is_micro_wish))
    overdue_first = db.case((is_overdue, 0), else_=1)
    return query.options(db.selectinload(Case.household)).order_by(overdue_first, Case.due_at, Case.id)


def count_cases_by_status(actor, **filters) -> dict:
    """{status: count} of the visible cases matching the other filters (status and overdue left out), and
    "overdue": how many of them are past due."""
    filters = {k: v for k, v in filters.items() if k not in ("status", "overdue")}
    listed = list_cases(actor, **filters).order_by(None).subquery()
    late = db.case((db.and_(listed.c.status.in_(ACTIVE), listed.c.due_at < utcnow()), 1), else_=0)
    rows = db.session.execute(db.select(listed.c.status, db.func.count(), db.func.sum(late))
                              .group_by(listed.c.status)).all()
    return {**{status: n for status, n, _ in rows}, "overdue": sum(int(n or 0) for _, _, n in rows)}


def get_case(actor, case_id: int) -> Case:
    """A visible case, or 404."""
    case = db.session.scalar(visible_cases(actor).where(Case.id == case_id))
    if case is None:
        raise NotFound(f"No case {case_id} in your scope.")
    return case


# ---- writes ------------------------------------------------------------------

def create_case(actor, data: dict) -> Case:
    """Managers open a case by hand for a household in their scope."""
    require_role(actor, "admin", "manager")
    household = households.get_in_scope(actor, data["household_id"])
    assignee_id = data.get("assignee_id")
    if assignee_id is not None:
        _check_assignee(actor, assignee_id)
    return open_case(actor, household, text=data["text"], category=data.get("category") or "other",
                     is_micro_wish=data.get("is_micro_wish", False), assignee_id=assignee_id,
                     due_at=data.get("due_at"))


def _check_assignee(actor, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.role not in ("cadre", "manager", "admin"):
        raise ValidationFailed(f"No active cadre or manager {user_id}.", field="assignee_id")
    if actor.role != "admin" and (user.area is None or not areas.in_subtree(user.area, actor.area)):
        raise ValidationFailed(f"User {user_id} is not in your scope.", field="assignee_id")
    return user


def _is_manager_of(actor, case: Case) -> bool:
    if actor.role == "admin":
        return True
    return actor.role == "manager" and db.session.scalar(
        db.select(Case.id).where(Case.id == case.id, Case.area_id.in_(areas.subtree_ids(actor.area)))) is not None


def _may_move(actor, case: Case, to_status: str) -> bool:
    if _is_manager_of(actor, case):
        return True
    if to_status == "claimed":
        return case.assignee_id == actor.id or (case.is_micro_wish and actor.is_party_member)
    if to_status == "resolved":
        return actor.id in (case.assignee_id, case.claimed_by_id)
    return False  # confirming and reopening: managers, or the family's answer at a visit


def update_case(actor, case: Case, data: dict) -> Case:
    """Reassign (managers), edit due date/text (managers), or move the status (who may depends on the move)."""
    manager_fields = [k for k in ("assignee_id", "due_at", "text", "category") if k in data]
    if manager_fields:
        if not _is_manager_of(actor, case):
            raise Forbidden("Only managers reassign or edit cases.")
        if "assignee_id" in data and data["assignee_id"] != case.assignee_id:
            _check_assignee(actor, data["assignee_id"])
            previous, case.assignee_id = case.assignee_id, data["assignee_id"]
            _event(actor, case, "reassign", case.status, case.status, data.get("note"),
                   previous=previous, assignee_id=case.assignee_id)
        edits = {k: data[k] for k in ("due_at", "text", "category") if k in data}
        if edits:
            for key, value in edits.items():
                setattr(case, key, value)
            _event(actor, case, "edit", case.status, case.status, fields=sorted(edits))
    if data.get("status"):
        if not _may_move(actor, case, data["status"]):
            raise Forbidden(f"You may not move this case to {data['status']}.")
        _move(actor, case, data["status"], data.get("note"), data.get("photo"))
    elif "note" in data and not manager_fields:
        _event(actor, case, "note", case.status, case.status, data["note"])
    db.session.flush()
    return case


def pending_case_counts(household_ids):
    """A select of (household_id, number of resolved-but-unconfirmed cases), for households.csv."""
    return (db.select(Case.household_id, db.func.count(Case.id))
            .where(Case.status == "resolved", Case.household_id.in_(household_ids))
            .group_by(Case.household_id))
