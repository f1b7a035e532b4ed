"""Dialect families: how the SQL adapter tells databases apart.

relcore's SQL differs between three families of databases: SQLite,
PostgreSQL and MySQL/MariaDB. A family is recognised by the SQLAlchemy
dialect's *class*, not by its name, so a PostgreSQL-compatible engine whose
dialect subclasses SQLAlchemy's PostgreSQL dialect under another name
(CockroachDB's and YugabyteDB's do) takes the PostgreSQL path, and MariaDB
(named ``"mariadb"`` once connected) takes the MySQL path. A dialect of no
known family is refused with a [ConfigurationError][relcore.errors.ConfigurationError]
rather than guessed at.

Every place in the adapter that writes dialect-specific SQL asks
[dialect_family][relcore.storage.sql.dialects.dialect_family].
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.dialects.mysql.base import MySQLDialect
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import Connection, Dialect, Engine

from relcore.errors import ConfigurationError

__all__ = ["DialectFamily", "dialect_family"]


class DialectFamily(StrEnum):
    """The families of SQL databases relcore supports."""

    SQLITE = "sqlite"
    """SQLite (through the standard library's ``sqlite3``)."""
    POSTGRESQL = "postgresql"
    """PostgreSQL and databases whose SQLAlchemy dialect derives from its dialect."""
    MYSQL = "mysql"
    """MySQL and MariaDB."""

    @property
    def transactional_ddl(self) -> bool:
        """Whether ``CREATE``/``ALTER`` statements take part in transactions.

        MySQL and MariaDB commit each DDL statement at once, so a rollback
        cannot undo a migration there.
        """
        return self is not DialectFamily.MYSQL


_BASES: tuple[tuple[type[Dialect], DialectFamily], ...] = (
    (PGDialect, DialectFamily.POSTGRESQL),
    (MySQLDialect, DialectFamily.MYSQL),
    (SQLiteDialect, DialectFamily.SQLITE),
)

_NAMES = {family.value: family for family in DialectFamily} | {"mariadb": DialectFamily.MYSQL}


def dialect_family(
    dialect: Dialect | type[Dialect] | Engine | Connection | DialectFamily | str,
) -> DialectFamily:
    """Return the family of a dialect, engine or connection.

    Args:
        dialect: A SQLAlchemy dialect (instance or class), or an engine or
            connection (their dialect is used). A family, or the name of one
            (``"sqlite"``, ``"postgresql"``, ``"mysql"`` or ``"mariadb"``), is
            accepted too and returned as a family.

    Raises:
        ConfigurationError: If the dialect belongs to none of the families
            relcore supports; the message names the dialect.
    """
    if isinstance(dialect, Engine | Connection):
        dialect = dialect.dialect
    if isinstance(dialect, str):
        family = _NAMES.get(dialect)
        if family is None:
            raise ConfigurationError(
                f"relcore does not support the SQL dialect {dialect!r}; "
                f"it supports the families {', '.join(f.value for f in DialectFamily)}"
            )
        return family
    cls = dialect if isinstance(dialect, type) else type(dialect)
    for base, family in _BASES:
        if issubclass(cls, base):
            return family
    name = getattr(dialect, "name", cls.__name__)
    raise ConfigurationError(
        f"relcore does not support the SQL dialect {name!r} ({cls.__module__}.{cls.__qualname__}): "
        "its SQLAlchemy dialect derives from none of the PostgreSQL, MySQL/MariaDB or SQLite dialects"
    )
