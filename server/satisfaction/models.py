"""Resident one-time links (一户一码): one per household and period, single use."""
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import BigId, UtcDateTime, utcnow


class SatisfactionLink(db.Model):
    __tablename__ = "satisfaction_links"

    id = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: sha256 of the token printed in the QR code; the token itself is shown once
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    #: the household's area when issued, for scoped listings
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    #: the period key it was issued for, e.g. "2026-Q4"
    period: Mapped[str] = mapped_column(String(16))
    expires_at = mapped_column(UtcDateTime, nullable=False)
    issued_at = mapped_column(UtcDateTime, default=utcnow, nullable=False)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: set once, when the resident's answer is stored
    used_at = mapped_column(UtcDateTime)
    submission_id = mapped_column(BigId, ForeignKey("submissions.id"))
    #: set when a newer sheet replaced this unused link
    revoked_at = mapped_column(UtcDateTime)

    household = relationship("Household")

    __table_args__ = (Index("ix_satisfaction_links_household_period", "household_id", "period"),)
