"""The manager's daily tools beyond the other areas' services: audit log, people, bulk links, a household's story."""
from flask_babel import gettext as _

from ..areas import services as areas
from ..audit import services as audit
from ..audit.models import AuditEntry
from ..auth import services as auth
from ..auth.models import User
from ..cases.models import Case
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..households import services as households
from ..satisfaction import queries as satisfaction
from .services import get_user_in_scope

MAX_BULK = 500


def list_audit(actor, *, action=None, person_id=None):
    """A select of audit entries the actor may read, newest first: admins all; managers those made by
    people of their subtree (and by the system, for records in it)."""
    auth.require_role(actor, "admin", "manager")
    query = db.select(AuditEntry).outerjoin(User, User.id == AuditEntry.actor_id)
    if actor.role != "admin":
        query = query.where(User.area_id.in_(areas.subtree_ids(actor.area)))
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if person_id:
        query = query.where(AuditEntry.actor_id == person_id)
    return query.order_by(AuditEntry.id.desc())


def actor_names(entries) -> dict[int, str]:
    """actor id -> display name for a page of audit entries (one query)."""
    ids = {e.actor_id for e in entries if e.actor_id}
    if not ids:
        return {}
    return dict(db.session.execute(db.select(User.id, User.display_name).where(User.id.in_(ids))).all())


def audit_actions() -> list[str]:
    """The kinds of audit entries stored (for the filter)."""
    return db.session.scalars(db.select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()


def update_person(actor, person: User, *, display_name=None, phone=None, area_id=None, is_active=None) -> User:
    """Edit a user in scope: name, phone, area, active (deactivation revokes nothing: devices stop with sign-in)."""
    get_user_in_scope(actor, person.id)
    if person.id == actor.id and is_active is False:
        raise Conflict(_("You cannot deactivate yourself."), field="is_active")
    changed = {}
    if display_name is not None and display_name != person.display_name:
        person.display_name, changed["display_name"] = display_name[:100], True
    if phone is not None and phone != (person.phone or ""):
        person.phone, changed["phone"] = phone[:32] or None, True
    if area_id is not None and area_id != person.area_id:
        person.area_id, changed["area_id"] = areas.get_in_scope(actor, area_id).id, True
    if is_active is not None and is_active != person.is_active:
        person.is_active, changed["is_active"] = is_active, True
    if changed:
        db.session.flush()
        audit.record(actor, "user.update", "user", person.id, fields=sorted(changed),
                     **({"is_active": person.is_active} if "is_active" in changed else {}))
    return person


def reset_password(actor, person: User, password: str) -> User:
    """A new password for a user in scope (the rules of auth.set_password); their web sessions end."""
    get_user_in_scope(actor, person.id)
    return auth.set_password(person, password, actor, action="user.password_reset")  # their sessions end


def relink_households(actor, household_ids: list[int], cadre_id: int | None) -> int:
    """Link many households to one cadre (or none) at once; each change kept in the link history."""
    if not household_ids:
        raise ValidationFailed(_("Choose at least one household."), field="households")
    if len(household_ids) > MAX_BULK:
        raise ValidationFailed(_("At most %(n)s households at a time.", n=MAX_BULK), field="households")
    if cadre_id is not None:
        households.get_cadre(actor, cadre_id)
    changed = 0
    for household_id in sorted(set(household_ids)):  # a stable order: no deadlock between two managers
        household = households.get_in_scope(actor, household_id)
        before = households.current_cadre_id(household.id)
        if before != cadre_id:
            households.link_cadre(household, cadre_id, actor=actor)
            changed += 1
    return changed


def household_story(actor, household) -> dict:
    """What happened at a household: its cases and its satisfaction answers in aggregate (never one answer)."""
    if not households.can_see(actor, household):
        raise NotFound(f"No household {household.id} in your scope.")
    cases = db.session.scalars(db.select(Case).where(Case.household_id == household.id)
                               .order_by(Case.created_at.desc()).limit(100)).all()
    answers = satisfaction.household_answers(household.id)
    shown = answers if answers["responses"] >= satisfaction.MIN_CADRE_N else {"responses": answers["responses"]}
    return {"cases": cases, "satisfaction": shown, "min_n": satisfaction.MIN_CADRE_N}
