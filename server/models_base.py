"""Column helpers shared by the models of every area."""
from datetime import datetime, timezone

from sqlalchemy import BigInteger, DateTime, Integer, JSON
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

#: 64-bit ids on PostgreSQL, rowid-backed INTEGER on SQLite
BigId = BigInteger().with_variant(Integer, "sqlite")
#: JSONB on PostgreSQL, JSON text elsewhere
Json = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Timezone-aware current UTC time."""
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator):
    """Stores UTC datetimes; always returns timezone-aware values (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value
