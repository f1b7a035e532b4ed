"""The SQL store and its unit of work."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult, Engine, RootTransaction
from sqlalchemy.engine.base import NestedTransaction
from sqlalchemy.sql import Executable

from relcore._kernel.declarations import Context
from relcore._kernel.events import DomainEvent
from relcore.clock import Clock, system_clock
from relcore.errors import ConfigurationError
from relcore.registry import PORTS, ports_of
from relcore.storage.base import Publisher, UnitOfWorkBase
from relcore.storage.rules import Stamped, save_timestamp
from relcore.storage.sql.dialects import dialect_family
from relcore.storage.sql.engines import SQLITE_BEGIN, create_engine_for, translate_errors
from relcore.storage.sql.host_events import defer_until_host_commit
from relcore.storage.sql.migrate import ensure_current

__all__ = ["SqlStore", "SqlUnitOfWork"]

_ANALYZE_AFTER = 10_000
"""Rows a unit of work inserts into one table before PostgreSQL is asked to analyze it."""


class SqlStore:
    """A store on a SQL database through SQLAlchemy Core.

    Args:
        bind: An engine (each unit of work checks a connection out and returns
            it) or a connection of the host (units of work run on it and join
            its transaction when one is open).
        clock: Source of "now" for ``updated_at``.
        owns_engine: Dispose the engine on [`close`][relcore.storage.sql.SqlStore.close] (only for engines
            relcore created).
        contexts: The contexts whose ports its units of work serve (default: the registry's); their
            tables must exist.

    Prefer [`open`][relcore.storage.sql.SqlStore.open], which also creates or checks the schema.
    """

    def __init__(
        self,
        bind: Engine | Connection,
        *,
        clock: Clock = system_clock,
        owns_engine: bool = False,
        contexts: Sequence[Context] | None = None,
    ) -> None:
        if not isinstance(bind, Engine | Connection):
            raise ConfigurationError(f"expected an Engine or Connection, got {type(bind).__name__}")
        self.bind = bind
        self.clock = clock
        self._owns_engine = owns_engine and isinstance(bind, Engine)
        self.ports = PORTS if contexts is None else ports_of(contexts)

    @classmethod
    def open(
        cls,
        target: str | os.PathLike[str] | Engine | Connection,
        *,
        upgrade: bool = True,
        clock: Clock = system_clock,
        contexts: Sequence[Context] | None = None,
    ) -> SqlStore:
        """Open a store on a URL, SQLite path, engine or connection.

        Safe when several processes open a new database at once (one
        migrates, the others wait for it), and after a process was killed
        while migrating (the next open finishes the migration); see
        [relcore.storage.sql.migrate][].

        Args:
            target: Where the data lives. relcore disposes only engines it
                created from a URL or path.
            upgrade: Create or upgrade relcore's tables; with ``False`` they
                must already be at the current revision.
            clock: Source of "now".
            contexts: The contexts its units of work serve (default: the registry's).

        Raises:
            ConfigurationError: For a malformed URL, a missing driver, a
                database of no supported family, or a MySQL/MariaDB connection
                in a transaction when the schema needs migrating (run
                [upgrade][relcore.storage.sql.migrate.upgrade] on the engine
                first: those databases cannot roll a migration back).
            SchemaVersionError: If ``upgrade`` is false and the schema is
                behind, or if a newer relcore migrated the database.
            StorageError: If the database cannot be reached.
        """
        owns = not isinstance(target, Engine | Connection)
        bind = create_engine_for(target) if owns else target  # type: ignore[arg-type]
        try:
            dialect_family(bind)  # type: ignore[arg-type]
            with translate_errors("open the relcore schema"):
                # Leaves a connection that was outside a transaction outside one:
                # every later unit of work would otherwise "join" it and never commit.
                ensure_current(bind, upgrade_schema=upgrade)  # type: ignore[arg-type]
        except BaseException:
            if owns:
                bind.dispose()  # type: ignore[union-attr]
            raise
        return cls(bind, clock=clock, owns_engine=owns, contexts=contexts)  # type: ignore[arg-type]

    @property
    def dialect_name(self) -> str:
        """The SQLAlchemy dialect name (``"sqlite"``, ``"postgresql"``, ``"mysql"``...)."""
        return self.bind.dialect.name

    def unit_of_work(self, *, publish: Publisher | None = None, read_only: bool = False) -> SqlUnitOfWork:
        """Return a new unit of work; ``publish`` receives its events after commit.

        A unit of work that may write begins its transaction with SQLite's
        write lock (``BEGIN IMMEDIATE``, waiting up to the busy timeout for
        other writers), so concurrent writers queue instead of failing; one
        opened with ``read_only=True`` does not, and never waits for writers.
        """
        return SqlUnitOfWork(self, publish, read_only=read_only)

    def close(self) -> None:
        """Dispose the engine if relcore created it; a host's bind is left alone."""
        if self._owns_engine:
            self.bind.dispose()  # type: ignore[union-attr]


class SqlUnitOfWork(UnitOfWorkBase):
    """A unit of work on one connection and one database transaction.

    On an engine it checks out a connection for the ``with`` block and
    returns it on exit. On a host connection that is already in a transaction
    it works inside a SAVEPOINT, and its events are published only when the
    host commits its transaction, and only if no savepoint holding the work
    was rolled back before.

    Its own transaction begins at the first statement. On SQLite, unless the
    unit of work is read-only, it begins ``BEGIN IMMEDIATE`` (see
    [SQLITE_BEGIN][relcore.storage.sql.SQLITE_BEGIN]): the write lock
    is taken before anything is read, so a read followed by a write can never
    fail because another writer came in between. A read-only unit of work
    refuses to write ([ConfigurationError][relcore.errors.ConfigurationError]).
    """

    adapter_kind = "sql"

    def __init__(self, store: SqlStore, publish: Publisher | None, *, read_only: bool = False) -> None:
        super().__init__(publish, store.ports)
        self._store = store
        self.read_only = bool(read_only)
        self._conn: Connection | None = None
        self._owns_conn = False
        self._tx: RootTransaction | NestedTransaction | None = None
        self._joined = False
        self._inserted: dict[str, int] = {}
        self._analyze_at: dict[str, int] = {}

    # -- connection and transaction -----------------------------------------

    @property
    def connection(self) -> Connection:
        """The connection, with this unit of work's transaction begun."""
        self._require_active()
        assert self._conn is not None
        if self._tx is None or not self._tx.is_active:
            with translate_errors("begin a transaction"):
                self._joined = self._conn.in_transaction()
                self._tx = self._conn.begin_nested() if self._joined else self._begin_root(self._conn)
        return self._conn

    @property
    def joined(self) -> bool:
        """Whether this unit of work runs inside a transaction of the host's (in a SAVEPOINT)."""
        if self._tx is None and self._conn is not None:  # nothing run yet: it will join if there is one
            return self._conn.in_transaction()
        return self._joined

    def _begin_root(self, connection: Connection) -> RootTransaction:
        """Begin the connection's transaction, asking SQLite for the write lock unless read-only."""
        if self.read_only:
            return connection.begin()
        previous = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        try:
            return connection.begin()
        finally:
            if not self._owns_conn:  # a host's connection: leave its setting as it was
                connection.execution_options(**{SQLITE_BEGIN: previous})

    def check_writable(self) -> None:
        """Raise [ConfigurationError][relcore.errors.ConfigurationError] in a read-only unit of work."""
        if self.read_only:
            raise ConfigurationError("this unit of work is read-only; open one with read_only=False to write")

    def execute(
        self,
        statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        what: str,
    ) -> CursorResult[*tuple[Any, ...]]:
        """Execute ``statement`` in the transaction, translating driver errors.

        ``params`` is one parameter set, or a list of them (``executemany``).
        """
        if getattr(statement, "is_dml", False):
            self.check_writable()
        connection = self.connection
        with translate_errors(what):
            return connection.execute(statement, params)

    def driver_rows(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any], *, what: str
    ) -> Sequence[Sequence[Any]]:
        """Run a read on the driver's cursor, in the transaction; return its rows as the driver gives them.

        For the hot reads of [relcore.storage.sql.driver][]: the SQL is in the
        driver's parameter style, SQLAlchemy's execution, events and result
        processing are skipped, and driver errors are translated as by
        [execute][relcore.storage.sql.SqlUnitOfWork.execute].
        """
        connection = self.connection
        with self.translating(what):
            cursor = connection.connection.cursor()
            try:
                cursor.execute(sql, parameters)
                return cursor.fetchall()
            finally:
                cursor.close()

    def grew(self, table: sa.Table, rows: int) -> None:
        """Note that this unit of work inserted ``rows`` rows into ``table``; analyze it as it grows.

        PostgreSQL plans every statement with the statistics of the table's
        last ``ANALYZE``, and autovacuum cannot count rows that are not
        committed. Inside one long bulk add the table's statistics therefore
        describe it as it was before: a probe such as ``campaign_id = X AND
        customer_id IN (...)`` is planned as if campaign X had almost no
        members, read through the index on ``(campaign_id, id)``, and so each
        chunk reads every member added before it (a bulk add grows with the
        square of its size). So once this unit of work has inserted 10,000
        rows into a table, and again each time that count doubles, the table
        is analyzed in the transaction, which sees its own rows: a
        logarithmic number of sampled reads for any size.

        ``ANALYZE (SKIP_LOCKED)`` (PostgreSQL 12 or later) never waits: when
        another transaction is analyzing the table, it is skipped. Without the
        privilege to analyze the table, PostgreSQL skips it with a warning.
        Other databases are left alone: MariaDB's optimizer counts the rows of
        a key range in the index itself, and SQLite keeps no statistics unless
        asked.
        """
        if self._store.bind.dialect.name != "postgresql" or rows <= 0:
            return
        inserted = self._inserted.get(table.name, 0) + rows
        self._inserted[table.name] = inserted
        if inserted < self._analyze_at.get(table.name, _ANALYZE_AFTER):
            return
        self._analyze_at[table.name] = 2 * inserted
        quoted = self.connection.dialect.identifier_preparer.format_table(table)
        self.execute(sa.text(f"ANALYZE (SKIP_LOCKED) {quoted}"), what=f"analyze {table.name}")

    def translating(self, what: str) -> AbstractContextManager[None]:
        """Context manager translating driver errors raised inside it, the raw driver's too."""
        return translate_errors(what, dbapi=self._store.bind.dialect.loaded_dbapi)

    def clock(self) -> datetime:
        """Now, by the store's clock (what saves stamp ``updated_at`` with)."""
        return self._store.clock()

    def now(self, entity: Stamped) -> datetime:
        """Return the ``updated_at`` a save of ``entity`` stamps."""
        return save_timestamp(self._store.clock, entity)

    def _begin(self) -> None:
        bind = self._store.bind
        if isinstance(bind, Engine):
            with translate_errors("connect"):
                self._conn = bind.connect()
            self._owns_conn = True
        else:
            self._conn = bind
            self._owns_conn = False

    def _commit(self) -> None:
        if self._tx is not None and self._tx.is_active:
            with translate_errors("commit"):
                self._tx.commit()
        self._tx = None

    def _rollback(self) -> None:
        if self._tx is not None and self._tx.is_active:
            with translate_errors("roll back"):
                self._tx.rollback()
        self._tx = None

    def _end(self) -> None:
        self._inserted.clear()
        self._analyze_at.clear()
        if self._owns_conn and self._conn is not None:
            self._conn.close()
        self._conn = None

    def _after_commit(self, events: list[DomainEvent], publish: Publisher) -> None:
        if self._joined and self._conn is not None:
            defer_until_host_commit(self._conn, publish, events)
        else:
            publish(events)
