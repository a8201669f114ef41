"""The coverage summary: visits per household, local month and visitor, kept by ingest and review."""
from sqlalchemy import ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class CoverageMonth(db.Model):
    """One row per household, local month (TIMEZONE) and submitter that had a current visit-kind
    submission; recomputed exactly from the submissions by coverage.summary.refresh_summary."""

    __tablename__ = "coverage_months"

    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    #: the local month as yyyymm (e.g. 202611)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: who made the visits (0 when nobody is recorded)
    submitter_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: current visit-kind submissions
    visits: Mapped[int] = mapped_column(Integer, default=0)
    #: of those, counted visits (not rejected, geo status in COUNTED_GEO_STATUSES)
    counted: Mapped[int] = mapped_column(Integer, default=0)
    #: bit d-1 set when a counted visit fell on local day d of the month (for from/to periods)
    counted_days: Mapped[int] = mapped_column(Integer, default=0)
    #: of those, visits with a flagged geo status (far, suspect, low_accuracy, no_fix)
    flagged: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        #: a period's visited households and visitors, for county-wide reports (index only)
        Index("ix_coverage_months_month", "month", "household_id", "submitter_id", "counted", "flagged"),
        {"sqlite_with_rowid": False},  # SQLite: the table is its primary key (a household's months, index only)
    )
