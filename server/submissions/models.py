"""Submissions, their attachments, and the quarantine of what could not be accepted."""
from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy import UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import BigId, Json, UtcDateTime, utcnow

GEO_STATUSES = ("verified", "far", "low_accuracy", "no_fix", "anchored", "suspect")
REVIEW_STATES = ("received", "has_issues", "approved", "rejected", "edited")
SOURCES = ("openrosa", "json", "resident")
#: geo statuses of visits that look wrong and are worth a manager's look (the dashboard's "flagged")
FLAGGED_GEO_STATUSES = ("far", "suspect", "low_accuracy", "no_fix")


class Submission(db.Model):
    __tablename__ = "submissions"

    id = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: the client's "uuid:..." instanceID
    instance_id: Mapped[str] = mapped_column(String(100), unique=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"))
    #: the form's kind (visit, satisfaction, other), copied for coverage queries
    kind: Mapped[str] = mapped_column(String(20))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    #: the household's area when received, copied for scoped queries
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    source: Mapped[str] = mapped_column(String(16), default="openrosa")
    captured_at = mapped_column(UtcDateTime, nullable=False)
    received_at = mapped_column(UtcDateTime, default=utcnow, nullable=False)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    altitude: Mapped[float | None] = mapped_column(Float)
    accuracy: Mapped[float | None] = mapped_column(Float)
    is_mock: Mapped[bool] = mapped_column(Boolean, default=False)
    geo_status: Mapped[str] = mapped_column(String(16), default="no_fix")
    geo_distance_m: Mapped[float | None] = mapped_column(Float)
    geo_reason: Mapped[str | None] = mapped_column(String(200))
    #: where the fix lies, suspicion apart (verified, far, ...): what a manager's approval restores
    base_geo_status: Mapped[str | None] = mapped_column(String(16))
    #: why it is suspect: [{"code": ..., **params}] (codes and texts in submissions/reasons.py)
    geo_flags: Mapped[list | None] = mapped_column(Json)
    #: device clock minus server time, as the field app knew it (seconds)
    clock_offset_s: Mapped[float | None] = mapped_column(Float)
    #: who sent it: {"ip", "ua", "browser", "opened_at"} (resident answers and device uploads)
    fingerprint: Mapped[dict | None] = mapped_column(Json)
    answers: Mapped[dict] = mapped_column(Json)
    raw_xml: Mapped[str | None] = mapped_column(Text)
    #: sha256 of the raw payload, to tell an identical resend from a conflict
    content_hash: Mapped[str] = mapped_column(String(64))
    review_state: Mapped[str] = mapped_column(String(16), default="received")
    review_comment: Mapped[str | None] = mapped_column(Text)
    #: the submission this one edits (meta/deprecatedID)
    replaces_id = mapped_column(BigId, ForeignKey("submissions.id"))
    #: false once an edit has replaced this version
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the cadre a satisfaction answer rates (linked when answered)
    rated_cadre_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    is_self_rated: Mapped[bool] = mapped_column(Boolean, default=False)

    form_version = relationship("FormVersion")
    household = relationship("Household")
    submitter = relationship("User", foreign_keys=[submitter_id])
    attachments = relationship("Attachment", back_populates="submission", order_by="Attachment.id")

    __table_args__ = (
        #: a household's visits by time: its coverage summary rows and last counted visit are recomputed
        #: from them; coverage reads the summary, so the index no longer covers the counting columns
        Index("ix_submissions_household", "household_id", "captured_at"),
        Index("ix_submissions_submitter", "submitter_id", "captured_at"),
        #: a device's records around a batch's capture times (the truthfulness checks, checks._around)
        Index("ix_submissions_device", "device_id", "captured_at"),
        #: a cadre's visits at the very coordinates of a new one (the repeated-pin check, checks._around):
        #: without it that part read every record the cadre ever sent, for each submission
        Index("ix_submissions_pin", "submitter_id", "lat", "lon"),
        Index("ix_submissions_area", "area_id", "kind", "captured_at"),
        #: a cadre's satisfaction answers; only the rows that rate a cadre (migration s11)
        Index("ix_submissions_rated_cadre", "rated_cadre_id", "captured_at",
              sqlite_where=text("rated_cadre_id IS NOT NULL"), postgresql_where=text("rated_cadre_id IS NOT NULL")),
        #: a period's submissions of a kind: the review queue, lists and exports by kind, satisfaction
        #: answers; index-only for the scans that read its other columns (flagged visits of from/to
        #: periods that cut a month, scorecards' visits and anomaly counts). Its (kind, captured_at)
        #: prefix serves what ix_submissions_kind_captured did (dropped: migration s11)
        Index("ix_submissions_visit_period", "kind", "captured_at", "household_id", "submitter_id",
              "geo_status", "review_state", "is_current"),
        Index("ix_submissions_captured", "captured_at", "id"),
        #: the edit that replaced a version; only edits (migration s11)
        Index("ix_submissions_replaces", "replaces_id",
              sqlite_where=text("replaces_id IS NOT NULL"), postgresql_where=text("replaces_id IS NOT NULL")),
    )


class Attachment(db.Model):
    __tablename__ = "attachments"

    id = mapped_column(BigId, primary_key=True, autoincrement=True)
    submission_id = mapped_column(BigId, ForeignKey("submissions.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    #: false while the file is expected (named in the form) but not yet uploaded
    is_received: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at = mapped_column(UtcDateTime)
    #: uploaded with the submission although the form does not name it (kept, never dropped)
    is_extra: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    submission = relationship("Submission", back_populates="attachments")

    __table_args__ = (UniqueConstraint("submission_id", "name", name="uq_attachments_submission_name"),)


class QuarantineItem(db.Model):
    """A payload a device sent that could not be accepted, kept raw with the reason."""

    __tablename__ = "quarantine"

    id = mapped_column(BigId, primary_key=True, autoincrement=True)
    received_at = mapped_column(UtcDateTime, default=utcnow, nullable=False)
    protocol: Mapped[str] = mapped_column(String(16))
    #: the problem id, e.g. "form.not_found"
    reason: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    instance_id: Mapped[str | None] = mapped_column(String(100), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    content_type: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    #: names of files that came with it, kept beside the payload
    files: Mapped[list | None] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    resolved_submission_id = mapped_column(BigId, ForeignKey("submissions.id"))

    __table_args__ = (Index("ix_quarantine_status", "status", "received_at"),)
