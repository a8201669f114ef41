"""The coverage summary: visits per household, local month and visitor, kept by ingest and review."""
from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
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
        #: a period's visited households and visitors, for county-wide reports (index only; counted_days
        #: for the months a from/to period cuts)
        Index("ix_coverage_months_month", "month", "household_id", "submitter_id", "counted", "flagged",
              "counted_days"),
        {"sqlite_with_rowid": False},  # SQLite: the table is its primary key (a household's months, index only)
    )


class CoverageAreaKey(db.Model):
    """Per village and named period (coverage.aggregates.period_key: a month, quarter, half or year):
    its active households with a counted visit in the period, and the flagged visits of its active
    households there. Kept from coverage_months by the summary's upkeep and by triggers on households
    (a household moved or deactivated takes its periods along)."""

    __tablename__ = "coverage_area_keys"

    period_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visited: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = ({"sqlite_with_rowid": False},)


class CoverageAreaHousehold(db.Model):
    """Active households per village, category and UTC month of their last counted visit (yyyymm; 0 for
    never): the households of a report and, with the month the overdue cut-off falls in read from the
    households index, its overdue count. Kept by triggers on households (every writer, bulk included)."""

    __tablename__ = "coverage_area_households"

    area_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_month: Mapped[int] = mapped_column(Integer, primary_key=True)
    households: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        #: the recent months of a category (households counted since an overdue cut-off), index only
        Index("ix_coverage_area_households_recent", "category", "last_month", "area_id", "households"),
        {"sqlite_with_rowid": False},
    )


class CoverageAreaSize(db.Model):
    """Active households per village (kept by triggers on households, with coverage_area_households)."""

    __tablename__ = "coverage_area_sizes"

    area_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    households: Mapped[int] = mapped_column(Integer, default=0)


class CoverageCadreKey(db.Model):
    """Per named period, cadre and village: the active households of the village standing-linked to
    the cadre (assignment with no valid_to) that the cadre visited with a counted visit in the
    period, and the cadre's flagged visits to them. Kept by the summary's upkeep and by triggers on
    households and assignments (coverage.cadre_aggregates)."""

    __tablename__ = "coverage_cadre_keys"

    period_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    cadre_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visited: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = ({"sqlite_with_rowid": False},)


class CoverageCadreHousehold(db.Model):
    """Active standing-linked households per cadre, village, category and UTC month of their last
    counted visit (yyyymm; 0 for never): a cadre report's overdue count (as coverage_area_households)."""

    __tablename__ = "coverage_cadre_households"

    cadre_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_month: Mapped[int] = mapped_column(Integer, primary_key=True)
    households: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        #: the recent months of a category (households counted since an overdue cut-off), index only
        Index("ix_coverage_cadre_households_recent", "category", "last_month", "area_id", "cadre_id", "households"),
        {"sqlite_with_rowid": False},
    )


class CoverageCadreSize(db.Model):
    """Active standing-linked households per cadre and village."""

    __tablename__ = "coverage_cadre_sizes"

    cadre_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    households: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = ({"sqlite_with_rowid": False},)


class CoverageMapEpoch(db.Model):
    """A counter per area holding households, moved on by triggers (migration s5_map_epochs) whenever
    what the map shows of its households changes: coverage.map_cache serves an area's cached map rows
    only while it holds the value they were built at."""

    __tablename__ = "coverage_map_epochs"

    area_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
