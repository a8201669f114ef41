"""Residents' requests (诉求) and micro-wishes (微心愿), tracked to resolution."""
from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import BigId, UtcDateTime, utcnow

STATUSES = ("open", "claimed", "resolved", "confirmed", "reopened")


class Case(db.Model):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    submission_id = mapped_column(BigId, ForeignKey("submissions.id"))
    #: stable key of the demand it came from ("<first instanceID>#<index>"), for idempotent ingest
    source_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    category: Mapped[str] = mapped_column(String(32), default="other")
    text: Mapped[str] = mapped_column(Text)
    is_micro_wish: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="open")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_at = mapped_column(UtcDateTime)
    resolved_at = mapped_column(UtcDateTime)
    confirmed_at = mapped_column(UtcDateTime)
    created_at = mapped_column(UtcDateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    household = relationship("Household")
    events = relationship("CaseEvent", order_by="CaseEvent.id")

    __table_args__ = (
        Index("ix_cases_area_status", "area_id", "status", "due_at"),
        Index("ix_cases_assignee", "assignee_id", "status"),
    )


class CaseEvent(db.Model):
    """One change of a case: who, when, from which status to which, with a note."""

    __tablename__ = "case_events"

    id = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    #: a reference to a photo of the result (attachment name or URL), given when resolving
    photo: Mapped[str | None] = mapped_column(String(255))
    created_at = mapped_column(UtcDateTime, default=utcnow, nullable=False)
