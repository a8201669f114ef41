"""Who may act on a household: the one rule, as SQL for queries and as a check on loaded rows.

Admins: every household. Managers and surveyors: the households of their area subtree. Cadres:
the households linked to them now. Residents (a one-time link): that link's household only.
Ingest, the households API, pull, coverage and exports all call this module.
"""
from ..areas.models import Area
from ..extensions import db
from .models import Assignment, Household


def linked_household_ids(cadre_id: int):
    """A select of the ids of households linked to a cadre now."""
    return db.select(Assignment.household_id).where(Assignment.cadre_id == cadre_id, Assignment.valid_to.is_(None))


def _subtree_ids(area):
    if area is None:
        return db.select(Area.id).where(db.false())
    return db.select(Area.id).where(Area.path.startswith(area.path, autoescape=True))


def scope_filter(actor, query, household_id_column=Household.id, area_id_column=None):
    """Restrict a query to the households the actor may act on."""
    role = actor.role
    if role == "admin":
        return query
    if role == "cadre":
        return query.where(household_id_column.in_(linked_household_ids(actor.id)))
    if role == "resident":
        return query.where(household_id_column == actor.household_id)
    if role not in ("manager", "surveyor"):
        return query.where(db.false())
    column = area_id_column if area_id_column is not None else Household.area_id
    return query.where(column.in_(_subtree_ids(actor.area)))


def actor_area_path(actor) -> str | None:
    """The path of the actor's area (None when it has none)."""
    if getattr(actor, "area_id", None) is None:
        return None
    return db.session.scalar(db.select(Area.path).where(Area.id == actor.area_id))


def may_act(actor, *, household_id: int, cadre_id: int | None, area_path: str, actor_path: str | None) -> bool:
    """The same rule as scope_filter, for one household already loaded (its current cadre and area path)."""
    role = actor.role
    if role == "admin":
        return True
    if role == "cadre":
        return cadre_id is not None and cadre_id == actor.id
    if role == "resident":
        return household_id == actor.household_id
    if role in ("manager", "surveyor"):
        return actor_path is not None and area_path.startswith(actor_path)
    return False


def current_cadre_id(household_id: int) -> int | None:
    """The id of the cadre linked to a household now."""
    return db.session.scalar(db.select(Assignment.cadre_id).filter_by(household_id=household_id, valid_to=None))


def can_act(actor, household: Household) -> bool:
    """may_act for a Household object."""
    return may_act(actor, household_id=household.id, cadre_id=current_cadre_id(household.id),
                   area_path=household.area.path, actor_path=actor_area_path(actor))
