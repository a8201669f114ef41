"""Users, passwords, device tokens, and who is making the current request."""
import hashlib
import secrets
import time
from datetime import timedelta

from flask import current_app, g, request, session
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit import services as audit
from ..errors import (BadCredentials, Conflict, Forbidden, NotFound, TokenInvalid, Unauthenticated,
                      ValidationFailed)
from ..extensions import db
from ..models_base import utcnow
from . import throttle, tokens
from .models import ROLES, Device, User
from .roles import require_role  # noqa: F401  (re-exported: most areas import it from here)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_DUMMY_HASH = None


def hash_password(password: str) -> str:
    """Slow salted hash (scrypt in production)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def hash_token(token: str) -> str:
    """Tokens are long random strings, so a plain sha256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(username, password, role, *, area_id=None, display_name="", actor=None, **extra) -> User:
    """Create a user; usernames are unique."""
    if role not in ROLES:
        raise Forbidden(f"Unknown role {role!r}.")
    if db.session.scalar(db.select(User.id).filter_by(username=username)):
        raise Conflict(f"Username {username!r} is taken.", field="username")
    user = User(username=username, password_hash=hash_password(password), role=role,
                area_id=area_id, display_name=display_name or username, **extra)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", "user", user.id, role=role)
    return user


def authenticate(username: str, password: str, address: str | None = None) -> User:
    """The active user with these credentials, or BadCredentials; SignInThrottled after too many
    recent failures for this account or from this address (throttle)."""
    global _DUMMY_HASH
    throttle.check(username, address)
    user = db.session.scalar(db.select(User).filter_by(username=username or ""))
    if user is None or not user.is_active:
        _DUMMY_HASH = _DUMMY_HASH or hash_password("timing")
        check_password_hash(_DUMMY_HASH, password or "")  # same cost either way
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password or "")
    if not ok:
        throttle.record_failure(username, address)
        raise BadCredentials()
    return user


MIN_PASSWORD_LENGTH = 8


def set_password(user: User, password: str, actor=None, *, action: str = "user.password") -> User:
    """The one way a password changes (the CLI, a manager's reset, the user's own page): at least 8
    characters; every web session of the user ends (their session epoch moves on); audited without it."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(_("A password has at least %(n)s characters.", n=MIN_PASSWORD_LENGTH),
                               field="password")
    user.password_hash = hash_password(password)
    user.session_epoch = (user.session_epoch or 0) + 1
    db.session.flush()
    audit.record(actor, action, "user", user.id)
    return user


def change_own_password(user: User, current: str, new: str, confirm: str, address: str | None) -> User:
    """A signed-in user's own change: the current password first (wrong guesses count towards the
    sign-in limits), then the new one twice."""
    authenticate(user.username, current, address)
    if new != confirm:
        raise ValidationFailed(_("The two new passwords differ."), field="confirm")
    if new == current:
        raise ValidationFailed(_("The new password is the same as the current one."), field="password")
    return set_password(user, new, actor=user)


def issue_device(user: User, name: str) -> tuple[Device, str]:
    """A new device token for the user; the token is returned once and stored hashed."""
    token = secrets.token_urlsafe(32)
    device = Device(user_id=user.id, name=name or "device", token_hash=hash_token(token))
    db.session.add(device)
    db.session.flush()
    audit.record(user, "device.create", "device", device.id, name=device.name)
    return device, token


def revoke_device(actor: User, device_id: int) -> Device:
    """Revoke a token: its owner or an admin may."""
    device = db.session.get(Device, device_id) if 0 < device_id <= 2**31 - 1 else None
    if device is None or (device.user_id != actor.id and actor.role != "admin"):
        raise NotFound("No such device.")
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        audit.record(actor, "device.revoke", "device", device.id)
    return device


def list_devices(actor: User) -> list[Device]:
    """The actor's devices; an admin sees all."""
    query = db.select(Device).order_by(Device.id)
    if actor.role != "admin":
        query = query.filter_by(user_id=actor.id)
    return db.session.scalars(query).all()


def device_for_token(token: str) -> Device:
    """The live device holding this token, or TokenInvalid (403, so clients do not prompt).
    Looked up through the worker's token cache (auth.tokens), which a revocation or a deactivated
    user invalidates in every worker (server/epochs.py)."""
    token_hash = hash_token(token or "")
    device = tokens.device_by_hash(token_hash)
    if device is None or device.revoked_at is not None or not device.user.is_active:
        raise TokenInvalid()
    now = utcnow()
    if device.last_seen_at is None or now - device.last_seen_at > timedelta(minutes=5):
        device.last_seen_at = now
        tokens.note_seen(token_hash, device)
        g.device_seen = True  # committed after the request even when it only reads (auth.routes)
    return device


def authenticate_request() -> None:
    """Resolve g.actor / g.device from a bearer token or the web session (once per request)."""
    # g outlives a request when an app context was pushed around several (tests, CLI): key on the request
    current = request._get_current_object()
    if g.get("auth_request") is current:
        return
    g.auth_request = current
    g.actor, g.device, g.via_session = None, None, False
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        g.device = device_for_token(header[7:].strip())
        g.actor = g.device.user
    elif session.get("user_id"):
        user = _session_user()
        if user is not None:
            g.actor, g.via_session = user, True


def _session_user() -> User | None:
    """The session's user while the session is live: same epoch as the user's, used recently
    (SESSION_IDLE_MINUTES) and younger than PERMANENT_SESSION_LIFETIME (a working day)."""
    user = db.session.get(User, session["user_id"])
    now = int(time.time())
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if (user is None or not user.is_active or session.get("epoch") != user.session_epoch
            or now - session.get("seen", 0) > idle or now - session.get("started", 0) > lifetime):
        end_session()
        return None
    if now - session["seen"] >= 60:  # refresh at most once a minute: fewer Set-Cookie headers
        session["seen"] = now
    return user


def authenticate_basic() -> None:
    """HTTP Basic for clients that know no tokens (Excel, Power BI): a username and password, or a device
    token as the password. Over HTTPS only, outside development; without a Basic header, nothing happens."""
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return
    if not (current_app.config.get("DEVELOPMENT") or request.is_secure):
        raise Forbidden("HTTP Basic sign-in needs HTTPS.")
    g.auth_request = request._get_current_object()
    g.actor, g.device, g.via_session = None, None, False
    try:
        g.device = device_for_token(auth.password or "")
        g.actor = g.device.user
    except TokenInvalid:
        g.actor = authenticate(auth.username or "", auth.password or "", request.remote_addr)


def current_actor() -> User:
    """The signed-in user; session-authenticated writes must carry the CSRF token."""
    authenticate_request()
    if g.actor is None:
        raise Unauthenticated()
    if g.via_session and request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except Exception as exc:  # wtforms ValidationError: missing or expired token
            raise Forbidden(f"CSRF check failed: {exc}") from exc
    return g.actor


def login_session(user: User) -> None:
    """Start a web session for the user."""
    kept = {key: session[key] for key in ("csrf_token", "lang") if key in session}
    session.clear()
    session.update(kept)  # the sign-in page's CSRF token stays valid for the signed-in pages
    now = int(time.time())
    session.update(user_id=user.id, epoch=user.session_epoch or 0, started=now, seen=now)
    session.permanent = True


def end_session() -> None:
    """Forget the web session's user (the language choice stays)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def logout_session(user: User | None) -> None:
    """Sign out: this cookie, and any copy of it, stops working (the user's epoch moves on)."""
    if user is not None:
        user.session_epoch = (user.session_epoch or 0) + 1
        db.session.flush()
    end_session()


def list_users(actor: User, role: str | None = None) -> list[User]:
    """Users the actor may see: admins all, managers those of their subtree."""
    from ..areas.services import subtree_ids
    require_role(actor, "admin", "manager")
    query = db.select(User).order_by(User.username)
    if role:
        query = query.filter_by(role=role)
    if actor.role == "manager":
        query = query.where(User.area_id.in_(subtree_ids(actor.area)))
    return db.session.scalars(query).all()


def create_user_in_scope(actor: User, data: dict) -> User:
    """Admins create any user; managers create cadres and surveyors inside their subtree."""
    from ..areas.services import get_in_scope as area_in_scope
    from ..errors import ValidationFailed
    require_role(actor, "admin", "manager")
    data = dict(data)
    if actor.role == "manager":
        if data["role"] not in ("cadre", "surveyor"):
            raise Forbidden("Managers create cadres and surveyors only.")
        data["area_id"] = data.get("area_id") or actor.area_id
    if data.get("area_id") is not None:
        area_in_scope(actor, data["area_id"])
    elif data["role"] in ("manager", "surveyor"):
        raise ValidationFailed("Managers and surveyors need an area.", field="area_id")
    return create_user(data.pop("username"), data.pop("password"), data.pop("role"), actor=actor, **data)
