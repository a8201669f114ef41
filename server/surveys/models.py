"""Forms and their versions: XLSForm source, XForm XML, md5 hash, state."""
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
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
    #: who gets the form on their devices: roles (None: every role that fills its kind) ...
    audience_roles: Mapped[list | None] = mapped_column(Json)
    #: ... and areas (None: everywhere; else users whose area lies in one of these subtrees)
    audience_area_ids: Mapped[list | None] = mapped_column(Json)

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
    #: a draft's test link (/draft/<token>/openrosa) until it is published
    draft_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    form = relationship("Form", back_populates="versions")
    media_files = relationship("FormMedia", back_populates="form_version", order_by="FormMedia.name")

    __table_args__ = (UniqueConstraint("form_pk", "version", name="uq_form_versions_form_version"),)


class FormMedia(db.Model):
    """A file a form version needs on the device (CSV list, image, audio, GeoJSON), served in its manifest."""

    __tablename__ = "form_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    #: where the bytes are (content-addressed attachment storage)
    sha256: Mapped[str] = mapped_column(String(64))
    #: what the manifest announces (md5:...)
    md5: Mapped[str] = mapped_column(String(32))
    created_at = mapped_column(UtcDateTime, default=utcnow, nullable=False)

    form_version = relationship("FormVersion", back_populates="media_files")

    __table_args__ = (UniqueConstraint("form_version_id", "name", name="uq_form_media_version_name"),)
