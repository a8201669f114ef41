"""What manager pages need beyond the other areas' services: people in scope, their devices, QR codes."""
import base64
import json
import zlib
from datetime import date, timedelta

import qrcode
import qrcode.image.svg
from flask_babel import get_locale, gettext as _

from ..areas import services as areas
from ..areas.models import Area
from ..audit import services as audit
from ..auth import services as auth
from ..auth.models import Device, User
from ..errors import NotFound
from ..extensions import db
from ..households import services as households
from ..models_base import utcnow
from ..submissions import services as submissions
from ..submissions.models import Attachment, Submission

FIELD_ROLES = ("cadre", "surveyor")


def get_user_in_scope(actor, user_id: int) -> User:
    """A user the actor manages: admins any, managers those whose area lies in their subtree."""
    auth.require_role(actor, "admin", "manager")
    user = db.session.get(User, user_id)
    if user is None or (actor.role != "admin" and (user.area is None or not areas.in_subtree(user.area, actor.area))):
        raise NotFound(f"No user {user_id} in your scope.")
    return user


def list_user_devices(actor, user: User) -> list[Device]:
    """The device tokens of a user in the actor's scope, newest first."""
    get_user_in_scope(actor, user.id)
    return db.session.scalars(db.select(Device).filter_by(user_id=user.id).order_by(Device.id.desc())).all()


def provision_device(actor, user: User, name: str) -> tuple[Device, str]:
    """A fresh token for a cadre's or surveyor's phone, made by their manager (token returned once)."""
    get_user_in_scope(actor, user.id)
    if user.role not in FIELD_ROLES and actor.id != user.id:
        raise NotFound("Tokens are made here for cadres and surveyors only.")
    device, token = auth.issue_device(user, name)
    audit.record(actor, "device.provision", "device", device.id, user_id=user.id)
    return device, token


def revoke_user_device(actor, device_id: int) -> Device:
    """Revoke the token of a user in the actor's scope."""
    device = db.session.get(Device, device_id)
    if device is None:
        raise NotFound("No such device.")
    get_user_in_scope(actor, device.user_id)
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        audit.record(actor, "device.revoke", "device", device.id)
    return device


def field_app_url(base_url: str, token: str) -> str:
    """The link that opens the field app already signed in with a device token."""
    return f"{base_url.rstrip('/')}/app/?token={token}"


def odk_collect_settings(base_url: str, token: str, user: User) -> str:
    """ODK Collect's QR settings payload: base64 of zlib-deflated JSON."""
    settings = {
        "general": {"server_url": f"{base_url.rstrip('/')}/key/{token}/openrosa",
                    "form_update_mode": "match_exactly", "autosend": "wifi_and_cellular"},
        "admin": {},
        "project": {"name": f"联户 {user.display_name}", "color": "#c62828", "icon": "联"},
    }
    raw = json.dumps(settings, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.b64encode(zlib.compress(raw)).decode()


def qr_svg(data: str) -> str:
    """A QR code as an inline SVG element (no image files, nothing external)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    svg = image.to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg class="qr" role="img" ', 1)


def list_household_visits(actor, household, limit: int = 100) -> list[Submission]:
    """A household's visits the actor may read, newest first."""
    query = submissions.list_submissions(actor, household=household.id, kind="visit")
    return db.session.scalars(query.limit(limit)).all()


def visit_points(visits) -> list[dict]:
    """The located visits of a list, for a small map."""
    return [{"lat": v.lat, "lon": v.lon, "status": v.geo_status, "at": v.captured_at.isoformat(),
             "by": v.submitter.display_name if v.submitter else ""} for v in visits if v.lat is not None]


def first_photos(submission_ids: list[int]) -> dict[int, str]:
    """The name of each submission's first received image (one query per page of submissions)."""
    if not submission_ids:
        return {}
    rows = db.session.execute(
        db.select(Attachment.submission_id, db.func.min(Attachment.name))
        .where(Attachment.submission_id.in_(submission_ids), Attachment.is_received.is_(True),
               Attachment.content_type.like("image/%"))
        .group_by(Attachment.submission_id)
    ).all()
    return dict(rows)


def period_choices(today: date) -> list[tuple[str, str]]:
    """Periods a manager picks from: recent quarters, months, halves and years (value, label)."""
    quarter = (today.month - 1) // 3 + 1
    choices = [(f"{today.year}-Q{quarter}", _("This quarter (%(p)s)", p=f"{today.year}-Q{quarter}"))]
    year, q = today.year, quarter
    for _i in range(3):
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
        choices.append((f"{year}-Q{q}", f"{year}-Q{q}"))
    choices.append((f"{today.year}-{today.month:02d}", _("This month (%(p)s)", p=f"{today.year}-{today.month:02d}")))
    last_month = date(today.year, today.month, 1) - timedelta(days=1)
    choices.append((f"{last_month.year}-{last_month.month:02d}", f"{last_month.year}-{last_month.month:02d}"))
    choices.append((f"{today.year}-H{1 if today.month <= 6 else 2}", f"{today.year}-H{1 if today.month <= 6 else 2}"))
    choices.append((str(today.year), _("This year (%(p)s)", p=today.year)))
    choices.append((str(today.year - 1), str(today.year - 1)))
    return choices


def area_trail(actor, area) -> list:
    """The areas from the actor's root down to `area`, for breadcrumbs (only those in scope)."""
    if area is None:
        return []
    ids = [int(i) for i in area.path.strip("/").split("/") if i]
    found = {a.id: a for a in db.session.scalars(db.select(Area).where(Area.id.in_(ids)))}
    return [found[i] for i in ids if i in found and areas.can_see_area(actor, found[i])]


def find_household_by_code(actor, code: str):
    """The household with this code when the actor may see it, else None."""
    household = households.find_by_code(code[:64])
    return household if household is not None and households.can_see(actor, household) else None


def filter_choices(actor) -> dict:
    """What the filter drop-downs of the lists offer: cadres and areas in scope, by name."""
    return {"cadres": auth.list_users(actor, "cadre"),
            "areas": db.session.scalars(areas.list_areas(actor)).all()}


#: the visit filters that the submissions download also applies
EXPORT_FILTERS = ("from", "to", "area", "cadre", "household", "geo_status", "review_state", "flagged")


def export_query(query: dict) -> dict:
    """The query string of the download matching a filtered list of submissions (form first)."""
    kind = query.get("kind")
    out = {"form": query.get("form") or (kind if kind in ("visit", "satisfaction") else "visit")}
    out.update({k: v for k, v in query.items() if k in EXPORT_FILTERS})
    out["labels"] = str(get_locale() or "zh")
    return out


def current_cadre_names(household_ids: list[int]) -> dict[int, str]:
    """household id -> the display name of the cadre linked now (one query per page)."""
    from ..households.models import Assignment
    if not household_ids:
        return {}
    return dict(db.session.execute(
        db.select(Assignment.household_id, User.display_name).join(User, User.id == Assignment.cadre_id)
        .where(Assignment.household_id.in_(household_ids), Assignment.valid_to.is_(None))).all())
