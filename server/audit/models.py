"""Audit log: who did what to which record, when."""
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import BigId, Json, UtcDateTime, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(80))
    details: Mapped[dict | None] = mapped_column(Json)
    created_at = mapped_column(UtcDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        Index("ix_audit_log_target", "target_type", "target_id"),
        Index("ix_audit_log_created_at", "created_at"),
    )
