"""Column types shared by every domain."""

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Enum
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.types import TypeDecorator

from workshops.clock import utcnow  # noqa: F401  (model defaults and older imports read it here)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always returns aware UTC datetimes.

    SQLite ignores `timezone=True`, so without this a value comes back naive there
    and aware on PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum_class, length: int = 20) -> Enum:
    """A column for a StrEnum, stored as its values in a VARCHAR (no native enum type, so
    adding a member needs no migration on PostgreSQL)."""
    return Enum(enum_class, native_enum=False, length=length,
                values_callable=lambda members: [member.value for member in members])


# One text in several languages, {"ca": "…", "es": "…"}: a language without a text is
# absent. Changes inside the dict are saved like a new value.
TranslatedText = MutableDict.as_mutable(JSON)
