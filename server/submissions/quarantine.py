"""The quarantine: list what devices sent that could not be accepted, and re-process it."""
import json

from server.audit import services as audit
from server.auth.models import Device, User
from server.auth.services import require_role
from server.errors import Conflict, NotFound
from server.extensions import db
from server.submissions.models import QuarantineItem

from . import ingest


def list_quarantined(actor, status: str | None = None, reason: str | None = None):
    """A select of quarantined payloads, newest first (admins)."""
    require_role(actor, "admin")
    query = db.select(QuarantineItem).order_by(QuarantineItem.id.desc())
    if status:
        query = query.filter_by(status=status)
    if reason:
        query = query.filter_by(reason=reason)
    return query


def get_quarantined(actor, item_id: int) -> QuarantineItem:
    """One quarantined payload (admins), or 404."""
    require_role(actor, "admin")
    item = db.session.get(QuarantineItem, item_id)
    if item is None:
        raise NotFound(f"No quarantine item {item_id}.")
    return item


def upload_of(item: QuarantineItem) -> ingest.Upload:
    """Rebuild what the device sent from the stored payload (attachments come again later)."""
    if item.protocol == "json":
        try:
            data = json.loads(item.payload)
        except ValueError:
            data = None
        return ingest.Upload("json", item.payload, "application/json", {}, item=data)
    return ingest.Upload(item.protocol or "openrosa", item.payload, item.content_type or "text/xml", {})


def reprocess_quarantined(actor, item_id: int) -> tuple[QuarantineItem, ingest.Outcome]:
    """Run a pending payload through ingest again, as its original sender; raises its problem if it still fails."""
    item = get_quarantined(actor, item_id)
    if item.status != "pending":
        raise Conflict(f"Quarantine item {item_id} is already {item.status}.")
    sender = db.session.get(User, item.user_id) if item.user_id else None
    if sender is None:
        raise Conflict("This payload has no known sender; it cannot be re-processed.")
    device = db.session.get(Device, item.device_id) if item.device_id else None
    outcome = ingest.ingest(sender, device, [upload_of(item)], quarantine=False)[0]
    if not outcome.ok:
        raise outcome.problem
    item.status = "resolved"
    item.resolved_submission_id = outcome.submission.id
    audit.record(actor, "quarantine.reprocess", "quarantine", item.id,
                 submission_id=outcome.submission.id, result=outcome.status)
    return item, outcome
