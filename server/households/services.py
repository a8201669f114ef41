"""Households in scope, their edits, and linking them to cadres."""
from flask_babel import gettext as _

from ..areas import services as areas
from ..audit import services as audit
from ..auth.models import User
from ..auth.services import require_role
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from . import access
from .access import current_cadre_id, linked_household_ids, scope_filter  # noqa: F401  (re-exported)
from .models import DEFAULT_POLICY_DAYS, Assignment, Household, VisitPolicy

EDITABLE = ("code", "area_id", "address", "head_name", "phone", "size", "category",
            "lat", "lon", "location_source", "is_active")


def scoped_households(actor):
    """A select of the households the actor may see."""
    return scope_filter(actor, db.select(Household))


def can_see(actor, household: Household) -> bool:
    """Whether the actor may see (and act on) this household: the rule in access.py."""
    return access.can_act(actor, household)


def get_in_scope(actor, household_id: int) -> Household:
    """The household, or 404 when it is missing or out of the actor's scope."""
    household = db.session.get(Household, household_id) if 0 < household_id <= areas.MAX_ID else None
    if household is None or not can_see(actor, household):
        raise NotFound(f"No household {household_id} in your scope.")
    return household


def find_by_code(code: str) -> Household | None:
    """The household with this code, whatever the scope."""
    return db.session.scalar(db.select(Household).filter_by(code=code))


def list_households(actor, *, area_id=None, category=None, q=None, cadre_id=None, is_active=None):
    """A select of households in scope, filtered, ordered by code."""
    query = scoped_households(actor).order_by(Household.code)
    if area_id is not None:
        query = query.where(Household.area_id.in_(areas.subtree_ids(areas.get_in_scope(actor, area_id))))
    if category:
        query = query.filter_by(category=category)
    if is_active is not None:
        query = query.filter_by(is_active=is_active)
    if cadre_id is not None:
        query = query.where(Household.id.in_(linked_household_ids(cadre_id)))
    if q:
        query = query.where(db.or_(*(column.contains(q, autoescape=True)
                                     for column in (Household.code, Household.head_name, Household.address))))
    return query


def _check_area(actor, area_id):
    area = areas.get_in_scope(actor, area_id)
    return area


def create_household(actor, data: dict) -> Household:
    """Create a household in an area of the actor's scope."""
    require_role(actor, "admin", "manager")
    _check_area(actor, data["area_id"])
    if (data.get("lat") is None) != (data.get("lon") is None):
        raise ValidationFailed(_("Give the latitude and the longitude together."), field="lat")
    if find_by_code(data["code"]):
        raise Conflict(_("Household code %(code)s is already used by another household.", code=data["code"]),
                       field="code")
    household = Household(**{k: v for k, v in data.items() if k in EDITABLE})
    if household.lat is not None and not household.location_source:
        household.location_source = "surveyed"
    db.session.add(household)
    db.session.flush()
    audit.record(actor, "household.create", "household", household.id, code=household.code)
    return household


def update_household(actor, household: Household, data: dict) -> Household:
    """Edit a household; its version goes up."""
    require_role(actor, "admin", "manager")
    if "area_id" in data:
        _check_area(actor, data["area_id"])
    if "code" in data and data["code"] != household.code and find_by_code(data["code"]):
        raise Conflict(_("Household code %(code)s is already used by another household.", code=data["code"]),
                       field="code")
    if ("lat" in data) != ("lon" in data) or (data.get("lat") is None) != (data.get("lon") is None):
        raise ValidationFailed(_("Give the latitude and the longitude together."), field="lat")
    for key, value in data.items():
        if key in EDITABLE:
            setattr(household, key, value)
    household.version += 1
    household.updated_at = utcnow()
    audit.record(actor, "household.update", "household", household.id, fields=sorted(data))
    return household


def current_assignment(household_id: int) -> Assignment | None:
    """The assignment in force for a household."""
    return db.session.scalar(db.select(Assignment).filter_by(household_id=household_id, valid_to=None))


def get_cadre(actor, cadre_id: int) -> User:
    """A cadre the actor may link households to."""
    cadre = db.session.get(User, cadre_id) if 0 < cadre_id <= areas.MAX_ID else None
    if cadre is None or cadre.role != "cadre" or not cadre.is_active:
        raise NotFound(f"No cadre {cadre_id}.")
    if actor.role == "manager" and cadre.area is not None and not areas.in_subtree(cadre.area, actor.area):
        raise NotFound(f"No cadre {cadre_id} in your scope.")
    return cadre


def link_cadre(household: Household, cadre_id: int | None, *, actor) -> Assignment | None:
    """Link a household to a cadre, closing the assignment in force (kept in history)."""
    require_role(actor, "admin", "manager")
    cadre = get_cadre(actor, cadre_id) if cadre_id is not None else None
    current = current_assignment(household.id)
    if current is not None and cadre is not None and current.cadre_id == cadre.id:
        return current
    now = utcnow()
    if current is not None:
        current.valid_to = now
        db.session.flush()
    assignment = None
    if cadre is not None:
        assignment = Assignment(household_id=household.id, cadre_id=cadre.id, valid_from=now,
                                created_by_id=actor.id)
        db.session.add(assignment)
    household.version += 1
    household.updated_at = now
    db.session.flush()
    audit.record(actor, "household.link", "household", household.id,
                 cadre_id=cadre_id, previous=current.cadre_id if current else None)
    return assignment


def list_assignments(household: Household) -> list[Assignment]:
    """The household's link history, newest first."""
    return db.session.scalars(
        db.select(Assignment).filter_by(household_id=household.id)
        .order_by(Assignment.valid_from.desc(), Assignment.id.desc())
    ).all()


def policy_days() -> dict[str, int]:
    """Max days between counted visits, per category (defaults where unset)."""
    days = dict(DEFAULT_POLICY_DAYS)
    days.update({p.category: p.max_days for p in db.session.scalars(db.select(VisitPolicy))})
    return days


def set_policy(actor, category: str, max_days: int) -> VisitPolicy:
    """Admins set the visit interval of a category."""
    require_role(actor, "admin")
    policy = db.session.get(VisitPolicy, category) or VisitPolicy(category=category)
    policy.max_days = max_days
    db.session.add(policy)
    audit.record(actor, "policy.update", "visit_policy", category, max_days=max_days)
    return policy
