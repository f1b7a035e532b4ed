"""Column types that make every backend store and compare the same values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from relcore.storage.sql.dialects import DialectFamily, dialect_family

__all__ = ["KeyText", "UTCDateTime", "exact_collation"]


def exact_collation(dialect: Dialect) -> str | None:
    """Return the collation that compares text byte for byte on ``dialect``, if it needs one.

    MySQL and MariaDB compare with the column's collation, and their usual
    ones ignore case, fold accents or pad trailing spaces (``utf8mb4_bin`` is
    PAD SPACE: ``'1001' = '1001 '``). Their binary NO PAD collations compare
    the code points exactly: ``utf8mb4_nopad_bin`` on MariaDB,
    ``utf8mb4_0900_bin`` on MySQL 8. PostgreSQL's (deterministic) and
    SQLite's default comparisons are already exact, so they need none.
    """
    if dialect_family(dialect) is not DialectFamily.MYSQL:
        return None
    return "utf8mb4_nopad_bin" if getattr(dialect, "is_mariadb", False) else "utf8mb4_0900_bin"


class KeyText(sa.TypeDecorator[str]):
    """Text that is a key: compared exactly, byte for byte, on every backend.

    Used for every text column that is unique, part of a primary key or
    looked up through an index (identities, idempotency keys, segment names,
    contact-point keys, tags), so that ``"1001"``, ``"1001 "`` and ``"1001X"``
    are three keys everywhere, as they are in memory. It is ``VARCHAR(length)``
    with the collation of `exact_collation` on
    MySQL/MariaDB, a plain ``VARCHAR(length)`` elsewhere.
    """

    impl = sa.String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Add the exact collation where the dialect needs one."""
        collation = exact_collation(dialect)
        if collation is None:
            return dialect.type_descriptor(sa.String(self.length))
        return dialect.type_descriptor(mysql.VARCHAR(self.length, collation=collation))


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
