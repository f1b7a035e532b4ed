"""The database-level lock that serializes relcore's migrations.

Several processes may open the same new database at once (a web server
starting its workers). Each takes this lock before migrating and looks at the
schema's revision again once it holds it, so one process migrates and the
others wait and then find the schema at head. The lock lives in the
database, so it holds across processes and machines, and the database
releases it when the process holding it dies.

* PostgreSQL: an advisory lock. Relcore's own migration holds a
  session-level lock (``pg_advisory_lock``) around its own transaction, so
  the revision is read again in a fresh snapshot whatever the isolation
  level; a migration inside a host transaction takes the transaction-level
  lock (``pg_advisory_xact_lock``), held until the host commits or rolls back.
* MySQL / MariaDB: a named lock (``GET_LOCK``), named after the current
  database and held by the session.
* SQLite: the database's write lock. The migration transaction's first
  statement is a write (``CREATE TABLE IF NOT EXISTS`` of relcore's version
  table, exactly as Alembic defines it), which waits for other writers like
  ``BEGIN IMMEDIATE`` does (the connection's busy timeout, tried again up to
  [LOCK_TIMEOUT_S][relcore.storage.sql.migration_lock.LOCK_TIMEOUT_S]); the
  transaction then holds the lock until it ends.

A process that waits longer than
[LOCK_TIMEOUT_S][relcore.storage.sql.migration_lock.LOCK_TIMEOUT_S] for the
lock gets a [StorageError][relcore.errors.StorageError] (on PostgreSQL the
wait is bounded by the server's ``lock_timeout`` instead).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable
from sqlalchemy.sql import Executable

from relcore.errors import ConfigurationError, StorageError
from relcore.storage.sql.dialects import DialectFamily, dialect_family

__all__ = ["LOCK_TIMEOUT_S", "POSTGRESQL_LOCK_KEY", "hold_in_transaction", "hold_on_session", "version_table"]

logger = logging.getLogger(__name__)

POSTGRESQL_LOCK_KEY = 0x72656C636F7265  # "relcore" in ASCII
"""The advisory lock key relcore's migrations take on PostgreSQL (per database)."""

LOCK_TIMEOUT_S = 600
"""How long a migration waits on MySQL/MariaDB and SQLite for another process's migration."""

_SQLITE_BUSY = 5

_MYSQL_LOCK_NAME = "CONCAT('relcore_migrate_', MD5(COALESCE(DATABASE(), '')))"


def version_table(name: str) -> sa.Table:
    """The table Alembic records a revision in (its own definition)."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name=f"{name}_pkc"),
    )


@contextmanager
def hold_on_session(connection: Connection, version_table_name: str) -> Iterator[None]:
    """Hold the lock on ``connection`` while the block runs one transaction of its own.

    ``connection`` must not be in a transaction. The block runs inside a
    transaction begun here, committed if the block succeeds and rolled back
    if it raises; the lock is released afterwards.
    """
    family = dialect_family(connection.dialect)
    if family is DialectFamily.SQLITE:
        with connection.begin():
            _take_sqlite_write_lock(connection, version_table_name)
            yield
        return
    try:
        release = _take_session_lock(connection, family)
    except BaseException:
        connection.rollback()
        raise
    connection.commit()  # the lock belongs to the session; the block gets a fresh transaction
    try:
        with connection.begin():
            yield
    finally:
        _release(connection, release)


def _take_session_lock(connection: Connection, family: DialectFamily) -> Executable:
    """Wait for the session lock; return the statement releasing it."""
    if family is DialectFamily.POSTGRESQL:
        connection.execute(sa.select(sa.func.pg_advisory_lock(POSTGRESQL_LOCK_KEY)))
        return sa.select(sa.func.pg_advisory_unlock(POSTGRESQL_LOCK_KEY))
    got = connection.execute(
        sa.text(f"SELECT GET_LOCK({_MYSQL_LOCK_NAME}, :timeout)"), {"timeout": LOCK_TIMEOUT_S}
    ).scalar()
    if got != 1:
        raise _waited_too_long()
    return sa.text(f"SELECT RELEASE_LOCK({_MYSQL_LOCK_NAME})")


def _release(connection: Connection, release: Executable) -> None:
    try:
        if connection.in_transaction():
            connection.rollback()
        connection.execute(release)
        connection.commit()
    except sa.exc.SQLAlchemyError:
        # Ending the session releases a session lock: drop the connection.
        logger.warning("could not release relcore's migration lock; closing the connection")
        connection.invalidate()


def hold_in_transaction(connection: Connection, version_table_name: str) -> None:
    """Take the lock inside the host's open transaction, held until it ends.

    Raises:
        ConfigurationError: On MySQL/MariaDB, whose DDL a host transaction
            cannot hold (callers refuse that case before calling this).
    """
    family = dialect_family(connection.dialect)
    if family is DialectFamily.SQLITE:
        _take_sqlite_write_lock(connection, version_table_name)
    elif family is DialectFamily.POSTGRESQL:
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(POSTGRESQL_LOCK_KEY)))
    else:
        raise ConfigurationError("MySQL/MariaDB cannot migrate inside a transaction")


def _waited_too_long() -> StorageError:
    return StorageError(f"waited {LOCK_TIMEOUT_S} s for another process to migrate relcore's schema")


def _take_sqlite_write_lock(connection: Connection, version_table_name: str) -> None:
    dbapi_connection = connection.connection.dbapi_connection
    if not getattr(dbapi_connection, "in_transaction", True):
        # pysqlite's default mode runs DDL outside any transaction: a migration
        # would be neither atomic nor serialized.
        raise ConfigurationError(
            "relcore migrates SQLite only in a transaction; set the engine up with "
            "relcore.storage.sql.configure_sqlite(engine) before opening the CRM on it"
        )
    lock = CreateTable(version_table(version_table_name), if_not_exists=True)
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    while True:
        try:
            connection.execute(lock)  # waits the busy timeout for the write lock
            return
        except sa.exc.OperationalError as error:
            code = getattr(error.orig, "sqlite_errorcode", None)
            if not isinstance(code, int) or code & 0xFF != _SQLITE_BUSY:  # extended codes too (BUSY_SNAPSHOT)
                raise
            if time.monotonic() > deadline:
                raise _waited_too_long() from None
            logger.info("waiting for another process migrating relcore's schema")
