"""Weights of the cadre scorecard's composite score, set by an admin."""
from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UtcDateTime, utcnow


class ScorecardWeight(db.Model):
    __tablename__ = "scorecard_weights"

    #: component: coverage | verified | satisfaction | cases
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    updated_at = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
