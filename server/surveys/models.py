"""Forms and their versions: XLSForm source, XForm XML, md5 hash, state."""
from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import Json, UtcDateTime, utcnow

KINDS = ("visit", "satisfaction", "other")
STATES = ("draft", "published", "closed")


class Form(db.Model):
    __tablename__ = "forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the XForm's id attribute (xmlFormId), e.g. "visit"
    form_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="other")
    title: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16), default="published")
    created_at = mapped_column(UtcDateTime, default=utcnow, nullable=False)

    versions = relationship("FormVersion", back_populates="form", order_by="FormVersion.id")


class FormVersion(db.Model):
    __tablename__ = "form_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_pk: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    version: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200), default="")
    #: the XLSForm's sheets as JSON (reviewable source)
    xlsform: Mapped[dict] = mapped_column(Json)
    xml: Mapped[str] = mapped_column(Text)
    md5: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="published")
    #: the version devices get; older published versions still accept submissions
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at = mapped_column(UtcDateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    form = relationship("Form", back_populates="versions")

    __table_args__ = (UniqueConstraint("form_pk", "version", name="uq_form_versions_form_version"),)
