"""Sign-in limits shared by every worker: failed sign-ins counted per account and per address.

Only failures count, so thirty cadres signing in from one township office all get in, while ten wrong
passwords for one account lock it for the rest of the window whatever address they come from. The
counts live in the database (table sign_in_failures), or in the store named by RATELIMIT_STORAGE_URI
(for example redis://host:6379) when a deployment sets one."""
import math
import time
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, insert, select

from ..errors import SignInThrottled
from ..extensions import db
from ..models_base import utcnow
from .models import SignInFailure

_STORES: dict = {}


def _keys(username: str, address: str | None) -> list[tuple[str, int]]:
    cfg = current_app.config
    keys = [(f"user:{(username or '').strip().lower()[:150]}", cfg["SIGNIN_MAX_FAILURES_PER_ACCOUNT"])]
    if address:
        keys.append((f"addr:{address[:150]}", cfg["SIGNIN_MAX_FAILURES_PER_ADDRESS"]))
    return keys


def _limits_store():
    """A `limits` moving window on the configured store, or None to use the database."""
    uri = current_app.config.get("RATELIMIT_STORAGE_URI") or ""
    if not uri or uri == "database" or uri.startswith("memory://"):
        return None  # memory:// would be per worker: the database is what every worker shares
    if uri not in _STORES:
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter
        _STORES[uri] = MovingWindowRateLimiter(storage_from_string(uri))
    return _STORES[uri]


def _item(maximum: int):
    from limits import RateLimitItemPerSecond
    return RateLimitItemPerSecond(maximum, current_app.config["SIGNIN_WINDOW_S"], namespace="lianhu-signin")


def seconds_to_wait(username: str, address: str | None) -> int:
    """How long this account or address must wait before trying again (0: it may try now)."""
    window = current_app.config["SIGNIN_WINDOW_S"]
    store, waits = _limits_store(), [0]
    for key, maximum in _keys(username, address):
        if store is not None:
            if not store.test(_item(maximum), key):
                waits.append(store.get_window_stats(_item(maximum), key).reset_time - time.time())
            continue
        since = utcnow() - timedelta(seconds=window)
        recent = db.session.scalars(select(SignInFailure.failed_at).where(
            SignInFailure.key == key, SignInFailure.failed_at > since)
            .order_by(SignInFailure.failed_at.desc()).limit(maximum)).all()
        if len(recent) >= maximum:
            waits.append((recent[-1] + timedelta(seconds=window) - utcnow()).total_seconds())
    return max(0, math.ceil(max(waits)))


def check(username: str, address: str | None) -> None:
    """SignInThrottled (429, with the wait in Chinese or English) when too many recent failures."""
    if not current_app.config["SIGNIN_LIMITS_ENABLED"]:
        return
    wait = seconds_to_wait(username, address)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        raise SignInThrottled(_("Too many failed sign-ins. Try again in %(minutes)d minutes.", minutes=minutes),
                              retry_after=wait)


def record_failure(username: str, address: str | None) -> None:
    """Count one failure, in its own transaction: it must stick even when the request rolls back."""
    if not current_app.config["SIGNIN_LIMITS_ENABLED"]:
        return
    keys = _keys(username, address)
    store = _limits_store()
    if store is not None:
        for key, maximum in keys:
            store.hit(_item(maximum), key)
        return
    now = utcnow()
    old = now - timedelta(seconds=current_app.config["SIGNIN_WINDOW_S"])
    with db.engine.begin() as conn:
        conn.execute(delete(SignInFailure).where(SignInFailure.key.in_([k for k, _m in keys]),
                                                 SignInFailure.failed_at < old))
        conn.execute(insert(SignInFailure), [{"key": key, "failed_at": now} for key, _m in keys])
