"""Writing audit entries beside the change they describe."""
from ..extensions import db
from .models import AuditEntry


def record(actor, action: str, target_type: str, target_id, **details) -> AuditEntry:
    """Add an audit entry to the session (flushed with the change, never committed here)."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", actor),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=details or None,
    )
    db.session.add(entry)
    return entry


def list_for(target_type: str, target_id) -> list[AuditEntry]:
    """Audit entries of one record, oldest first."""
    return db.session.scalars(
        db.select(AuditEntry)
        .filter_by(target_type=target_type, target_id=str(target_id))
        .order_by(AuditEntry.id)
    ).all()
