"""Users (admin, manager, cadre, surveyor) and their device tokens."""
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UtcDateTime, utcnow

ROLES = ("admin", "manager", "cadre", "surveyor")


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    #: managers and surveyors see this area's subtree; cadres' home area
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    is_party_member: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: bumped on sign-out and password change: web sessions carrying an older epoch are void
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at = mapped_column(UtcDateTime, default=utcnow, nullable=False)

    area = relationship("Area")

    def __repr__(self):
        return f"<User {self.username} {self.role}>"


class Device(db.Model):
    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: sha256 of the bearer token; the token itself is shown once
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UtcDateTime, default=utcnow, nullable=False)
    last_seen_at = mapped_column(UtcDateTime)
    revoked_at = mapped_column(UtcDateTime)

    user = relationship("User")


class SignInFailure(db.Model):
    """One failed sign-in, counted against an account ("user:NAME") and an address ("addr:IP").

    Kept in the database so that every gunicorn worker and app server sees the same counts."""
    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_key_at", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    failed_at = mapped_column(UtcDateTime, default=utcnow, nullable=False)
