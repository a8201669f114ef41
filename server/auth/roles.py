"""Role checks every area uses; imports nothing of ours but the problem catalogue."""
from ..errors import Forbidden


def require_role(actor, *roles: str) -> None:
    """Forbidden unless the actor has one of the roles."""
    if actor.role not in roles:
        raise Forbidden()
