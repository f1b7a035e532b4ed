"""Engines relcore creates, and translation of driver errors."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIModule

from relcore.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    RelcoreError,
    StorageError,
    TransientStorageError,
)
from relcore.storage.sql.dialects import DialectFamily, dialect_family

__all__ = [
    "is_bind",
    "SQLITE_BEGIN",
    "SQLITE_BUSY_TIMEOUT_MS",
    "configure_sqlite",
    "create_engine_for",
    "is_transient",
    "translate_errors",
]

SQLITE_BUSY_TIMEOUT_MS = 10_000
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6  # primary result codes (the low byte of an extended one)
"""How long a SQLite connection waits for a lock before failing."""

SQLITE_BEGIN = "relcore_sqlite_begin"
"""Execution option choosing how a [configure_sqlite][relcore.storage.sql.configure_sqlite] engine begins.

``"IMMEDIATE"`` takes SQLite's write lock when the transaction begins,
waiting up to the busy timeout for other writers to finish, so writers queue
instead of failing; ``"DEFERRED"`` (the default) takes it at the first write,
which fails at once with "database is locked" if another connection wrote in
the meantime. relcore's own units of work that write begin ``IMMEDIATE``; set
it on a connection of yours whose transaction will include relcore's writes:

    connection.execution_options(relcore_sqlite_begin="IMMEDIATE")
"""

_BEGIN_STATEMENTS = {"DEFERRED": "BEGIN", "IMMEDIATE": "BEGIN IMMEDIATE"}


def is_bind(target: object) -> bool:
    """Whether ``target`` is a SQLAlchemy engine or connection (a host's bind, used as given)."""
    return isinstance(target, Engine | Connection)


def create_engine_for(target: str | os.PathLike[str]) -> Engine:
    """Create an engine for a URL, or for a SQLite file given as a path.

    SQLite engines get WAL journaling, a busy timeout, foreign keys and
    explicit transactions (see [configure_sqlite][relcore.storage.sql.configure_sqlite]);
    MySQL and MariaDB connections use ``utf8mb4``. Bound parameters are never
    logged (``hide_parameters``), since they hold personal data.
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


def _wal(cursor: Any) -> None:
    """Switch a new database to WAL, waiting while another process holds it.

    Changing the journal mode needs the database to itself, and SQLite may
    answer "database is locked" at once, without its busy handler, while
    another process is creating or migrating the same new file: try again for
    as long as the busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            code = getattr(error, "sqlite_errorcode", None)
            busy = isinstance(code, int) and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def configure_sqlite(engine: Engine) -> None:
    """Set up a SQLite engine the way relcore needs it.

    Turns on foreign keys, WAL journaling (for files), a busy timeout, and
    hands transaction control to SQLAlchemy (``BEGIN`` is emitted explicitly),
    which makes savepoints and joined host transactions behave. A transaction
    begins ``BEGIN IMMEDIATE`` on a connection whose execution option
    [SQLITE_BEGIN][relcore.storage.sql.SQLITE_BEGIN] says so (relcore's
    units of work that write do), and a plain deferred ``BEGIN`` otherwise.
    Call it on a SQLite engine of your own before handing it to relcore.
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
            _wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        statement = _BEGIN_STATEMENTS.get(str(mode).upper())
        if statement is None:
            raise ConfigurationError(f"{SQLITE_BEGIN}: expected 'IMMEDIATE' or 'DEFERRED'")
        # on the driver: through exec_driver_sql, a BEGIN costs as much as the query that follows it
        dbapi = connection.dialect.loaded_dbapi
        cursor = connection.connection.cursor()
        try:
            cursor.execute(statement)
        except dbapi.Error as error:  # raised as Connection.exec_driver_sql would have
            raise exc.DBAPIError.instance(
                statement, (), error, dbapi.Error, dialect=connection.dialect
            ) from error
        finally:
            cursor.close()


# -- driver errors ---------------------------------------------------------

_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
"""PostgreSQL: serialization failure, deadlock detected, lock not available."""

_TRANSIENT_MYSQL_ERRORS = frozenset({1205, 1213, 1020})
"""MySQL / MariaDB: lock wait timeout, deadlock, record changed since last read."""

_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def _mysql_code(orig: BaseException | None) -> object:
    args = getattr(orig, "args", ())
    return args[0] if args else None


def is_transient(orig: BaseException | None) -> bool:
    """Return whether a driver error says "lost a race for a lock; try again"."""
    if orig is None:
        return False
    if getattr(orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:  # PostgreSQL (psycopg)
        return True
    if _mysql_code(orig) in _TRANSIENT_MYSQL_ERRORS:
        return True
    code = getattr(orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)


def _is_foreign_key_violation(orig: BaseException | None) -> bool:
    if getattr(orig, "sqlstate", None) == "23503":  # PostgreSQL
        return True
    if _mysql_code(orig) in {1216, 1452}:  # MySQL / MariaDB
        return True
    return "FOREIGN KEY constraint failed" in str(orig)  # SQLite


def _integrity_failure(what: str, orig: BaseException | None) -> RelcoreError:
    if _is_foreign_key_violation(orig):
        return NotFoundError("referenced entity", f"({what})")
    return ConflictError(f"{what}: a unique key is already stored")


def _raise_alone(error: RelcoreError) -> NoReturn:
    """Raise ``error`` with no driver exception chained to it.

    The driver's text for a unique or foreign key violation quotes the key
    (``Key (namespace, value)=(...) already exists``), which is personal data:
    it must not reach logs and bug reports through ``__context__``.
    """
    try:
        raise error
    except RelcoreError:
        error.__context__ = None
        error.__cause__ = None
        raise


@contextmanager
def translate_errors(what: str, *, dbapi: DBAPIModule | ModuleType | None = None) -> Iterator[None]:
    """Turn driver and SQLAlchemy errors into relcore errors.

    Unique and foreign key violations become [ConflictError][relcore.errors.ConflictError]
    and [NotFoundError][relcore.errors.NotFoundError] with relcore's own
    description and without the driver's error chained (its text quotes the
    key). Deadlocks, serialization failures, lock timeouts and a busy SQLite
    database become [TransientStorageError][relcore.errors.TransientStorageError];
    anything else a [StorageError][relcore.errors.StorageError].

    Args:
        what: What was being done, for the message (no data values).
        dbapi: The driver's DB-API module, whose own exceptions are
            translated too, for code that uses a raw driver cursor.
    """
    raw: tuple[type[BaseException], ...] = (dbapi.Error,) if dbapi is not None else ()
    integrity: type[BaseException] = dbapi.IntegrityError if dbapi is not None else Exception
    try:
        yield
    except exc.IntegrityError as error:
        replacement = _integrity_failure(what, error.orig)
    except exc.DBAPIError as error:
        _raise_storage_error(what, error, error.orig)
    except exc.SQLAlchemyError as error:
        _raise_storage_error(what, error, None)
    except raw as error:
        if not isinstance(error, integrity):
            _raise_storage_error(what, error, error)
        replacement = _integrity_failure(what, error)
    else:
        return
    _raise_alone(replacement)


def _raise_storage_error(what: str, error: BaseException, orig: BaseException | None) -> NoReturn:
    kind = TransientStorageError if is_transient(orig) else StorageError
    raise kind(f"{what} failed: {type(error).__name__}: {error}".splitlines()[0]) from error
