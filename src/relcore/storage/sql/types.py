"""Column types that make every backend store the same values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from relcore.storage.sql.dialects import DialectFamily, dialect_family

__all__ = ["UTCDateTime"]


class UTCDateTime(sa.TypeDecorator[datetime]):
    """An aware UTC datetime, stored as a naive UTC timestamp with microseconds.

    Naive storage is the common denominator of SQLite, PostgreSQL and MySQL;
    relcore only ever writes UTC, so reading adds the UTC zone back.
    """

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Use ``DATETIME(6)`` on MySQL/MariaDB (microseconds), ``TIMESTAMP`` elsewhere."""
        if dialect_family(dialect) is DialectFamily.MYSQL:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime(timezone=False))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to naive UTC for storage."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("relcore stores aware datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Mark a stored naive UTC datetime as UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
