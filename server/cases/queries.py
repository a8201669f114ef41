"""Reads the cases pages need beside the cases themselves: people's names, who a case may go to."""
from ..areas import services as areas
from ..auth.models import User
from ..extensions import db


def display_names(user_ids) -> dict[int, str]:
    """user id -> display name, for the ids given (one query)."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(db.select(User.id, User.display_name).where(User.id.in_(ids))).all())


def staff_for(actor, case, limit: int = 500) -> list[User]:
    """Active cadres and managers a case may be assigned to: in the case's area (admins) or the actor's."""
    area = case.household.area if actor.role == "admin" else actor.area
    return db.session.scalars(db.select(User).where(User.role.in_(("cadre", "manager")), User.is_active.is_(True),
                                                    User.area_id.in_(areas.subtree_ids(area)))
                              .order_by(User.display_name).limit(limit)).all()
