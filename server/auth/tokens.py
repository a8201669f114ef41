"""Device tokens looked up through this worker's cache (server/epochs.py says when it is stale).

A hit costs no statement of its own (the request reads the epochs once): the device and its user are
handed to the session as persistent objects built from the cached column values, as a query would
have loaded them; relationships (user.area ...) still load on first use.
"""
from sqlalchemy import inspect, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from .. import epochs
from ..extensions import db
from .models import Device, User

_D, _U = Device.__table__, User.__table__
_ROW = (select(*(c.label(f"d_{c.name}") for c in _D.c), *(c.label(f"u_{c.name}") for c in _U.c))
        .join_from(_D, _U, _U.c.id == _D.c.user_id).where(_D.c.token_hash == db.bindparam("token_hash")))
CACHE = "auth.tokens"


def _load(token_hash: str):
    row = db.session.connection().execute(_ROW, {"token_hash": token_hash}).mappings().first()
    if row is None:
        return None
    return ({c.key: row[f"d_{c.name}"] for c in _D.c}, {c.key: row[f"u_{c.name}"] for c in _U.c})


def device_by_hash(token_hash: str) -> Device | None:
    """The device holding this token hash (revoked or not) with its user, or None."""
    found = epochs.cached(CACHE, token_hash, lambda: _load(token_hash))
    if found is None:
        return None
    device_values, user_values = found
    user = _persistent(User, user_values)
    device = _persistent(Device, device_values)
    if "user" not in device.__dict__:
        set_committed_value(device, "user", user)
    return device


def note_seen(token_hash: str, device: Device) -> None:
    """Keep the cached last_seen_at in step with the one this request writes."""
    hit = epochs.cache(CACHE).get(token_hash)
    if hit is not None and hit[1] is not None:
        hit[1][0]["last_seen_at"] = device.last_seen_at


def _persistent(cls, values: dict):
    """The session's object for this row: the one it holds already, or one built from `values`."""
    key = identity_key(cls, values["id"])
    found = db.session.identity_map.get(key)
    if found is not None:  # expired by an earlier commit of this session: refresh it from the cache
        state = inspect(found)
        for name in [k for k in values if k in state.expired_attributes or k not in state.dict]:
            set_committed_value(found, name, values[name])
        return found
    obj = inspect(cls).class_manager.new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    db.session.add(obj)
    return obj
