"""Engines relcore creates, and translation of driver errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine, make_url

from relcore.errors import ConfigurationError, ConflictError, NotFoundError, StorageError
from relcore.storage.sql.dialects import DialectFamily, dialect_family

__all__ = ["SQLITE_BUSY_TIMEOUT_MS", "configure_sqlite", "create_engine_for", "translate_errors"]

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite connection waits for a lock before failing."""


def create_engine_for(target: str | os.PathLike[str]) -> Engine:
    """Create an engine for a URL, or for a SQLite file given as a path.

    SQLite engines get WAL journaling, a busy timeout, foreign keys and
    explicit transactions (see [`configure_sqlite`][relcore.storage.sql.configure_sqlite]); MySQL and MariaDB
    connections use ``utf8mb4``. Bound parameters are never logged.
    """
    if isinstance(target, os.PathLike) or "://" not in str(target):
        path = Path(target).expanduser().resolve()
        url = make_url(f"sqlite:///{path}")
    else:
        try:
            url = make_url(str(target))
        except exc.ArgumentError as error:
            raise ConfigurationError(f"not a database URL or path: {error}") from None
    try:
        family = dialect_family(url.get_dialect())
        if family is DialectFamily.MYSQL and "charset" not in url.query:
            url = url.update_query_dict({"charset": "utf8mb4"})
        engine = sa.create_engine(url, hide_parameters=True, pool_pre_ping=family is not DialectFamily.SQLITE)
    except (exc.ArgumentError, exc.NoSuchModuleError, ImportError) as error:
        raise ConfigurationError(f"cannot create an engine for {url.render_as_string()}: {error}") from None
    if family is DialectFamily.SQLITE:
        configure_sqlite(engine)
    return engine


def configure_sqlite(engine: Engine) -> None:
    """Set up a SQLite engine the way relcore needs it.

    Turns on foreign keys, WAL journaling (for files), a busy timeout, and
    hands transaction control to SQLAlchemy (``BEGIN`` is emitted explicitly),
    which makes savepoints and joined host transactions behave. Call it on a
    SQLite engine of your own before handing it to relcore.
    """
    if dialect_family(engine) is not DialectFamily.SQLITE:
        raise ConfigurationError(f"configure_sqlite needs a SQLite engine, not {engine.dialect.name}")
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def _is_foreign_key_violation(error: exc.IntegrityError) -> bool:
    orig = error.orig
    if getattr(orig, "sqlstate", None) == "23503":  # PostgreSQL
        return True
    args = getattr(orig, "args", ())
    if args and args[0] in (1216, 1452):  # MySQL / MariaDB
        return True
    return "FOREIGN KEY constraint failed" in str(orig)  # SQLite


@contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Turn driver and SQLAlchemy errors into relcore errors.

    Args:
        what: What was being done, for the message (no data values).
    """
    try:
        yield
    except exc.IntegrityError as error:
        if _is_foreign_key_violation(error):
            raise NotFoundError("referenced entity", f"({what})") from error
        raise ConflictError(f"{what}: a unique key is already stored") from error
    except exc.SQLAlchemyError as error:
        raise StorageError(f"{what} failed: {type(error).__name__}: {error}".splitlines()[0]) from error
