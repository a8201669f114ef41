"""Area tree: scope checks and CRUD."""
from ..audit import services as audit
from ..auth.roles import require_role
from ..errors import Conflict, NotFound
from ..extensions import db
from .models import Area
from .schemas import MAX_ID


def subtree_ids(area: Area | None):
    """A select of the ids of an area and everything under it."""
    if area is None:
        return db.select(Area.id).where(db.false())
    return db.select(Area.id).where(Area.path.startswith(area.path, autoescape=True))


def holds_every_area(area: Area) -> bool:
    """Whether the area is the only top-level area (a county's own deployment): its subtree is every
    area, so a report need not filter by it."""
    if area.parent_id is not None:
        return False
    return db.session.scalar(db.select(db.func.count()).select_from(Area).where(Area.parent_id.is_(None))) == 1


def in_subtree(area: Area, root: Area | None) -> bool:
    """Whether area lies in root's subtree."""
    return root is not None and area.path.startswith(root.path)


def can_see_area(actor, area: Area) -> bool:
    """Admins see every area; managers and surveyors their subtree; cadres their home area's."""
    if actor.role == "admin":
        return True
    return in_subtree(area, actor.area)


def scoped_areas(actor):
    """A select of the areas the actor may see."""
    query = db.select(Area)
    if actor.role != "admin":
        query = query.where(Area.id.in_(subtree_ids(actor.area)))
    return query


def get_in_scope(actor, area_id: int) -> Area:
    """The area, or 404 when it does not exist or lies outside the actor's scope."""
    area = db.session.get(Area, area_id) if 0 < area_id <= MAX_ID else None
    if area is None or not can_see_area(actor, area):
        raise NotFound(f"No area {area_id} in your scope.")
    return area


def find_by_code(code: str) -> Area | None:
    """The area with this code."""
    return db.session.scalar(db.select(Area).filter_by(code=code))


def list_areas(actor, parent_id=None, level=None):
    """Areas in scope, optionally the children of one area or of one level."""
    query = scoped_areas(actor).order_by(Area.path)
    if parent_id is not None:
        query = query.filter_by(parent_id=parent_id)
    if level:
        query = query.filter_by(level=level)
    return query


def create_area(actor, *, code, name, level, parent_id=None, boundary=None) -> Area:
    """Create an area under a parent in the actor's scope (only admins create roots)."""
    require_role(actor, "admin", "manager")
    parent = get_in_scope(actor, parent_id) if parent_id is not None else None
    if parent is None and actor.role != "admin":
        raise NotFound("A parent area in your scope is required.")
    if find_by_code(code):
        raise Conflict(f"Area code {code!r} exists.", field="code")
    area = Area(code=code, name=name, level=level, parent=parent, boundary=boundary)
    db.session.add(area)
    db.session.flush()
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    audit.record(actor, "area.create", "area", area.id, code=code)
    return area


def update_area(actor, area: Area, data: dict) -> Area:
    """Rename or re-code an area (moving areas is not supported)."""
    require_role(actor, "admin", "manager")
    if "code" in data and data["code"] != area.code and find_by_code(data["code"]):
        raise Conflict(f"Area code {data['code']!r} exists.", field="code")
    for key in ("code", "name", "level", "boundary"):
        if key in data:
            setattr(area, key, data[key])
    audit.record(actor, "area.update", "area", area.id, fields=sorted(data))
    return area


def delete_area(actor, area: Area) -> None:
    """Delete an empty area (no children, households or users)."""
    from ..auth.models import User
    from ..households.models import Household
    require_role(actor, "admin", "manager")
    if actor.role == "manager" and actor.area_id == area.id:
        raise Conflict("You cannot delete the root of your own scope.")
    for model, column in ((Area, Area.parent_id), (Household, Household.area_id), (User, User.area_id)):
        if db.session.scalar(db.select(column).where(column == area.id).limit(1)):
            raise Conflict("The area is not empty.")
    audit.record(actor, "area.delete", "area", area.id, code=area.code)
    db.session.delete(area)
