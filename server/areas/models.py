"""Area tree: county > township/street > village/community > grid."""
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import Json, UtcDateTime, utcnow

LEVELS = ("county", "township", "village", "grid")


class Area(db.Model):
    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    #: materialised path of ids, e.g. "/1/4/9/", for subtree queries by prefix
    path: Mapped[str] = mapped_column(String(255), default="")
    boundary: Mapped[dict | None] = mapped_column(Json)
    created_at = mapped_column(UtcDateTime, default=utcnow, nullable=False)

    parent = relationship("Area", remote_side=[id])

    __table_args__ = (Index("ix_areas_path", "path"),)

    def __repr__(self):
        return f"<Area {self.code} {self.name}>"
