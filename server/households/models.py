"""Households, their links to cadres (联户关系) and visit policies."""
from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UtcDateTime, utcnow

#: a household code: what devices answer and print, so no spaces, commas or control characters
CODE_PATTERN = r"^[^\s,\x00-\x1f\x7f]{1,64}$"
CATEGORIES = ("ordinary", "low_income", "elderly_alone", "disabled", "left_behind")
LOCATION_SOURCES = ("surveyed", "first_visit", "imported")
DEFAULT_POLICY_DAYS = {
    "ordinary": 90,
    "low_income": 30,
    "elderly_alone": 30,
    "disabled": 60,
    "left_behind": 60,
}


class Household(db.Model):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    address: Mapped[str] = mapped_column(String(255), default="")
    head_name: Mapped[str] = mapped_column(String(100), default="")
    #: personal data: shown to managers and the linked cadre only
    phone: Mapped[str | None] = mapped_column(String(32))
    size: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(20), default="ordinary")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[str | None] = mapped_column(String(16))
    #: when a manager confirmed a first-visit anchor (None: still to confirm)
    anchor_confirmed_at = mapped_column(UtcDateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: bumped on every change; devices compare it
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: captured_at of the newest counted visit (denormalised by ingest)
    last_counted_visit_at = mapped_column(UtcDateTime)
    created_at = mapped_column(UtcDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    area = relationship("Area")

    __table_args__ = (
        #: covers coverage's pass over an area's households (index only)
        Index("ix_households_area_coverage", "area_id", "is_active", "category", "last_counted_visit_at"),
        #: the households last counted in the month an overdue cut-off falls in (coverage aggregates;
        #: with id, so that PostgreSQL reads them from the index alone)
        Index("ix_households_category_last", "category", "last_counted_visit_at", "area_id", "is_active", "id"),
        Index("ix_households_updated_at", "updated_at"),
    )

    @property
    def label(self) -> str:
        """What a device shows: code · head of household · address."""
        return " · ".join(p for p in (self.code, self.head_name, self.address) if p)


class Assignment(db.Model):
    """A cadre linked to a household from valid_from until valid_to (open when null)."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    cadre_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    valid_from = mapped_column(UtcDateTime, default=utcnow, nullable=False)
    valid_to = mapped_column(UtcDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    household = relationship("Household")
    cadre = relationship("User", foreign_keys=[cadre_id])

    __table_args__ = (
        #: covers the assignment in force at a moment (coverage by cadre)
        Index("ix_assignments_household_cover", "household_id", "valid_from", "valid_to", "cadre_id"),
        Index("ix_assignments_cadre", "cadre_id", "valid_to"),
        Index("ix_assignments_valid_to", "valid_to"),
        #: links that start after a period's end (coverage by cadre: households whose link in force then differs)
        Index("ix_assignments_valid_from", "valid_from"),
        Index(
            "uq_assignments_open_household",
            "household_id",
            unique=True,
            sqlite_where=text("valid_to IS NULL"),
            postgresql_where=text("valid_to IS NULL"),
        ),
    )


class VisitPolicy(db.Model):
    """Maximum days between counted visits for a household category."""

    __tablename__ = "visit_policies"

    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    max_days: Mapped[int] = mapped_column(Integer)
