"""Idempotent bulk ingest of touchpoints and transactions.

The stream is consumed in chunks, so memory stays flat whatever its length.
Per chunk: entities are type-checked and turned into the driver's parameters
by the table's `RowCodec` (the mapping every other read and write of the
table uses), the referenced customers and contacts are checked to exist, and
the rows are sent with the driver's own ``executemany`` of one prepared
``INSERT``, in the dialect's "skip existing key" form:

* SQLite: ``INSERT ... ON CONFLICT (source, external_id) DO NOTHING`` on the
  ``sqlite3`` cursor directly, past SQLAlchemy's events; the driver's row
  count gives the new rows, and repeats inside a batch are skipped by the
  same ``ON CONFLICT`` clause.
* PostgreSQL (psycopg 3): the same statement, run by psycopg's
  ``executemany`` (pipelined) through SQLAlchemy's ``exec_driver_sql``, so
  the engine's events still see it; the row count psycopg sums over the rows
  gives the new rows (cheaper than ``RETURNING id``, which it equals). With
  another driver, SQLAlchemy's insert with ``RETURNING id``.
* MySQL / MariaDB: no ``ON CONFLICT`` target exists, so the keys already
  stored are selected first and only the missing rows inserted (PyMySQL's or
  mysqlclient's ``executemany``; SQLAlchemy's insert with another driver).

Concurrent imports: each chunk is inserted in key order, so two batches with
overlapping keys lock them in the same order and do not deadlock each other
inside a chunk. On PostgreSQL and MySQL / MariaDB a chunk runs in a
SAVEPOINT; when it loses a race (a deadlock across chunks, a lock timeout, or
on MySQL a key that another import stored since the keys were selected) it is
rolled back to the savepoint and repeated, a bounded number of times, before
[TransientStorageError][relcore.errors.TransientStorageError] is raised.
Repeating is safe because the insert skips stored keys. SQLite needs none of
this: a writing unit of work holds the database's write lock from its start.
Driver errors become relcore errors that quote no value. Both paths tell the
unit of work how many rows they added, so that PostgreSQL analyzes a table a
long import grows (see [grew][relcore.storage.sql.SqlUnitOfWork.grew]).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

from relcore.errors import NotFoundError, TransientStorageError, ValidationError
from relcore.storage.sql.codec import Encoder, RowCodec
from relcore.storage.sql.dialects import DialectFamily, dialect_family
from relcore.storage.sql.schema import contacts, customers

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["ingest", "insert_all"]

E = TypeVar("E")

Params = tuple[Any, ...]


class _Insert(Protocol):
    def __call__(
        self, uow: SqlUnitOfWork, codec: RowCodec[Any], batch: list[Params], *, again: bool = False
    ) -> int: ...


ATTEMPTS = 4
"""How many times a chunk is tried on PostgreSQL and MySQL / MariaDB before a race is reported."""

_DRIVERS = {DialectFamily.POSTGRESQL: ("psycopg",), DialectFamily.MYSQL: ("pymysql", "mysqldb")}
"""The drivers whose parameters the codec gives, per server family (SQLite: always ``sqlite3``)."""

_PLACEHOLDERS = {DialectFamily.SQLITE: "?", DialectFamily.POSTGRESQL: "%s", DialectFamily.MYSQL: "%s"}

_SKIP_STORED_KEYS = "ON CONFLICT (source, external_id) DO NOTHING"


def _chunks(items: Iterable[E], size: int) -> Iterator[list[E]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def ingest(
    uow: SqlUnitOfWork,
    codec: RowCodec[E],
    entities: Iterable[E],
    *,
    chunk_size: int,
    name: str,
) -> int:
    """Insert ``entities`` into the codec's table chunk by chunk; return how many were new.

    The rows come from ``codec`` (its driver parameters, or its rows for a
    driver it has none for); the table's ``(source, external_id)`` key makes
    a stored entity count as not new.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValidationError.single("chunk_size", f"must be a positive integer, got {chunk_size!r}")
    if isinstance(entities, str | bytes) or not isinstance(entities, Iterable):
        raise ValidationError.single(name, "expected an iterable of entities")
    entity = codec.entity_class
    dialect = uow.connection.dialect
    family = dialect_family(dialect)
    encoder = _encoder(codec, dialect)
    encode = encoder.encode
    insert = _insert_postgresql if family is DialectFamily.POSTGRESQL else _insert_mysql
    new = 0
    offset = 0
    for chunk in _chunks(entities, chunk_size):
        for i, item in enumerate(chunk):
            if not isinstance(item, entity):
                raise ValidationError.single(
                    f"{name}[{offset + i}]", f"expected a {entity.__name__}, got {type(item).__name__}"
                )
        offset += len(chunk)
        params = [encode(item) for item in chunk]
        if family is DialectFamily.SQLITE:
            new += _ingest_sqlite(uow, encoder, params)
            continue
        batch = sorted(_unique(encoder, params), key=_lock_order(encoder))
        _require_references(uow, encoder, batch)
        added = _repeating(uow, codec, batch, insert)
        uow.grew(codec.table, added)
        new += added
    return new


def _driver_params(dialect: Dialect) -> bool:
    """Whether the codec's parameters for the dialect's family fit its driver (else: SQLAlchemy rows)."""
    family = dialect_family(dialect)
    if family is DialectFamily.SQLITE:
        return True
    return dialect.driver in _DRIVERS[family] and not getattr(dialect, "is_async", False)


def _encoder(codec: RowCodec[E], dialect: Dialect) -> Encoder[E]:
    return codec.encoder(dialect) if _driver_params(dialect) else codec.row_encoder


def _statement(dialect: Dialect, encoder: Encoder[Any]) -> str:
    """The driver's ``INSERT`` of the encoder's rows on ``dialect``, skipping stored keys."""
    family = dialect_family(dialect)
    suffix = "" if family is DialectFamily.MYSQL else _SKIP_STORED_KEYS
    return encoder.insert_sql(_PLACEHOLDERS[family], suffix)


def _lock_order(encoder: Encoder[Any]) -> Callable[[Params], tuple[bool, str, str, str]]:
    """Sort key: rows by ``(source, external_id)``, unkeyed rows (locking nothing shared) last."""
    source_at, key_at, id_at = encoder.index("source"), encoder.index("external_id"), encoder.index("id")

    def key(row: Params) -> tuple[bool, str, str, str]:
        external_id = row[key_at]
        keyed = external_id is not None
        # the id is a UUID or its hex digits: str() orders both alike
        return (not keyed, row[source_at] if keyed else "", external_id or "", str(row[id_at]))

    return key


def _repeating(uow: SqlUnitOfWork, codec: RowCodec[Any], batch: list[Params], insert: _Insert) -> int:
    """Insert ``batch`` in a savepoint, repeating it after a lost race; return how many rows were new.

    ``insert`` receives ``again=True`` on a repeat. When the savepoint cannot be
    rolled back (MariaDB rolls a deadlocked transaction back as a whole), the
    race is reported at once.
    """
    what = f"add {codec.table.name}"
    for attempt in range(1, ATTEMPTS + 1):
        with uow.translating(what):
            savepoint = uow.connection.begin_nested()
        try:
            new = insert(uow, codec, batch, again=attempt > 1)
        except TransientStorageError:
            if attempt == ATTEMPTS or not _rolled_back(savepoint):
                raise
            time.sleep(random.uniform(0.005, 0.02) * attempt)
            continue
        with uow.translating(what):
            savepoint.commit()
        return new
    raise AssertionError("unreachable")  # pragma: no cover


def _rolled_back(savepoint: sa.NestedTransaction) -> bool:
    """Roll back to ``savepoint``; ``False`` if the database dropped it with the whole transaction."""
    try:
        savepoint.rollback()
    except exc.SQLAlchemyError:
        return False
    return True


def _unique(encoder: Encoder[Any], batch: list[Params]) -> list[Params]:
    """``batch`` without the later repeats of a ``(source, external_id)`` key."""
    source_at, key_at = encoder.index("source"), encoder.index("external_id")
    seen: set[tuple[str, str]] = set()
    kept = []
    for row in batch:
        if row[key_at] is not None:
            key = (row[source_at], row[key_at])
            if key in seen:
                continue
            seen.add(key)
        kept.append(row)
    return kept


def insert_all(uow: SqlUnitOfWork, codec: RowCodec[E], entities: Sequence[E], *, what: str) -> None:
    """Insert the rows of ``entities`` (already known to be new) with one driver ``executemany``.

    The parameters come from ``codec``'s encoder for the connection's
    dialect: on SQLite the ``sqlite3`` cursor's ``executemany``, past
    SQLAlchemy's events (as `ingest` does); psycopg's or PyMySQL's
    ``executemany`` through ``exec_driver_sql`` on PostgreSQL and MySQL /
    MariaDB; SQLAlchemy's insert with another driver. A stored key is a
    [ConflictError][relcore.errors.ConflictError].
    """
    if not entities:
        return
    uow.check_writable()
    connection = uow.connection
    dialect = connection.dialect
    family = dialect_family(dialect)
    encoder = _encoder(codec, dialect)
    params = list(map(encoder.encode, entities))
    with uow.translating(what):
        if not _driver_params(dialect):
            rows = [dict(zip(encoder.columns, row, strict=True)) for row in params]
            connection.execute(codec.table.insert(), rows)
        elif family is DialectFamily.SQLITE:
            cursor = connection.connection.cursor()
            try:
                cursor.executemany(encoder.insert_sql(_PLACEHOLDERS[family]), params)
            finally:
                cursor.close()
        else:
            connection.exec_driver_sql(encoder.insert_sql(_PLACEHOLDERS[family]), params)
    uow.grew(codec.table, len(params))


# -- references: the customers and contacts a chunk names must exist ----------

_REFERENCES = (("customer", customers, "customer_id"), ("contact", contacts, "contact_id"))

_IN_LIST = 500
"""Ids per ``IN (...)`` list of a reference check on SQLite and MySQL / MariaDB."""

Fetch = Callable[[str, tuple[Any, ...]], Iterable[Any]]


def _lookups(
    table: sa.Table, family: DialectFamily, ordered: list[Any]
) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """The queries, with their parameters, selecting which of the ids ``ordered`` ``table`` holds."""
    if family is DialectFamily.POSTGRESQL:  # one array parameter, one statement whatever the count
        yield f"SELECT id FROM {table.name} WHERE id = ANY(%s)", (ordered,)
        return
    mark = _PLACEHOLDERS[family]
    for start in range(0, len(ordered), _IN_LIST):
        part = tuple(ordered[start : start + _IN_LIST])
        yield f"SELECT id FROM {table.name} WHERE id IN ({', '.join([mark] * len(part))})", part


def _missing_reference(fetch: Fetch, table: sa.Table, family: DialectFamily, wanted: set[Any]) -> Any:
    """Return the smallest id in ``wanted`` (as the driver takes it) that ``table`` lacks, if any.

    The ids come back as the driver gives them: hex digits or UUIDs, as they
    were sent, except from MariaDB's UUID type (text with dashes).
    """
    if not wanted:
        return None
    ids = list(wanted)
    found: set[Any] = set()
    for sql, params in _lookups(table, family, ids):
        found.update(fetch(sql, params))
    absent = wanted - found
    if absent and isinstance(ids[0], UUID):
        absent = wanted - {_as_uuid(value) for value in found}
    return min(absent, key=str) if absent else None


def _as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(hex=value)


def _require_references(uow: SqlUnitOfWork, encoder: Encoder[Any], batch: list[Params]) -> None:
    """Raise [NotFoundError][relcore.errors.NotFoundError] for the smallest unknown customer, then contact."""
    connection = uow.connection
    if not _driver_params(connection.dialect):  # the rows hold UUIDs, as SQLAlchemy binds them
        for kind, table, column in _REFERENCES:
            at = encoder.index(column)
            wanted = {row[at] for row in batch} - {None}
            if wanted:
                query = sa.select(table.c.id).where(table.c.id.in_(sorted(wanted)))
                found = {row[0] for row in uow.execute(query, what=f"check {kind}s")}
                if wanted - found:
                    raise NotFoundError(kind, min(wanted - found))
        return
    family = dialect_family(connection.dialect)

    def fetch(sql: str, params: tuple[Any, ...]) -> Iterable[Any]:
        return [row[0] for row in connection.exec_driver_sql(sql, params)]

    for kind, table, column in _REFERENCES:
        at = encoder.index(column)
        with uow.translating(f"check {kind}s"):
            missing = _missing_reference(fetch, table, family, {row[at] for row in batch} - {None})
        if missing is not None:
            raise NotFoundError(kind, _as_uuid(missing))


# -- SQLite: the sqlite3 cursor's executemany ------------------------------------


def _ingest_sqlite(uow: SqlUnitOfWork, encoder: Encoder[Any], params: list[Params]) -> int:
    table = encoder.table
    uow.check_writable()
    # the driver's cursor bypasses SQLAlchemy: translating() also maps the driver's own errors
    with uow.translating(f"add {table.name}"):
        cursor = uow.connection.connection.cursor()
        try:

            def fetch(sql: str, ids: tuple[Any, ...]) -> Iterable[Any]:
                cursor.execute(sql, ids)
                return [row[0] for row in cursor.fetchall()]

            for kind, referenced, column in _REFERENCES:
                at = encoder.index(column)
                wanted = {p[at] for p in params} - {None}
                missing = _missing_reference(fetch, referenced, DialectFamily.SQLITE, wanted)
                if missing is not None:
                    raise NotFoundError(kind, UUID(hex=missing))
            cursor.executemany(_statement(uow.connection.dialect, encoder), params)
            return int(cursor.rowcount)
        finally:
            cursor.close()


# -- PostgreSQL and MySQL / MariaDB: one savepoint per chunk ---------------------


def _insert_postgresql(
    uow: SqlUnitOfWork, codec: RowCodec[Any], batch: list[Params], *, again: bool = False
) -> int:
    """Insert the rows whose key is not stored; return how many were."""
    connection, table = uow.connection, codec.table
    what = f"add {table.name}"
    if not _driver_params(connection.dialect):
        columns = codec.row_encoder.columns
        statement = (
            postgresql.insert(table)
            .on_conflict_do_nothing(index_elements=["source", "external_id"])
            .returning(table.c.id)
        )
        rows = [dict(zip(columns, row, strict=True)) for row in batch]
        return len(uow.execute(statement, rows, what=what).all())
    uow.check_writable()
    with uow.translating(what):
        # psycopg's executemany; its rowcount is the sum over the rows, 0 for a skipped key
        sql = _statement(connection.dialect, _encoder(codec, connection.dialect))
        return int(connection.exec_driver_sql(sql, batch).rowcount)


def _insert_mysql(
    uow: SqlUnitOfWork, codec: RowCodec[Any], batch: list[Params], *, again: bool = False
) -> int:
    """Select the stored keys, insert the rest.

    A plain select reads the transaction's snapshot, which does not show keys
    that other imports committed since; a repeat (``again``) therefore reads
    with a shared lock, which sees them. A key stored by another import
    between the select and the insert is a lost race (TransientStorageError).
    """
    table = codec.table
    encoder = _encoder(codec, uow.connection.dialect)
    source_at, key_at = encoder.index("source"), encoder.index("external_id")
    keyed: dict[str, list[str]] = {}
    for row in batch:
        if row[key_at] is not None:
            keyed.setdefault(row[source_at], []).append(row[key_at])
    stored: set[tuple[str, str]] = set()
    for source, external_ids in keyed.items():
        query = sa.select(table.c.source, table.c.external_id).where(
            table.c.source == source, table.c.external_id.in_(external_ids)
        )
        if again:
            query = query.with_for_update(read=True)
        stored.update((r[0], r[1]) for r in uow.execute(query, what=f"check {table.name} keys"))
    missing = [row for row in batch if (row[source_at], row[key_at]) not in stored]
    if missing:
        uow.check_writable()
        connection = uow.connection
        with uow.translating(f"add {table.name}"):
            try:
                if _driver_params(connection.dialect):
                    connection.exec_driver_sql(_statement(connection.dialect, encoder), missing)
                else:
                    rows = [dict(zip(encoder.columns, row, strict=True)) for row in missing]
                    connection.execute(table.insert(), rows)
            except exc.IntegrityError as error:
                if not _natural_key_taken(table, error):
                    raise
                lost = True
            else:
                lost = False
        if lost:
            raise TransientStorageError(f"add {table.name}: another import stored some of these keys")
    return len(missing)


def _natural_key_taken(table: sa.Table, error: exc.IntegrityError) -> bool:
    """Whether MySQL's duplicate-key error names the ``(source, external_id)`` key (not the id)."""
    names = [
        str(c.name)
        for c in table.constraints
        if isinstance(c, sa.UniqueConstraint) and [col.name for col in c.columns] == ["source", "external_id"]
    ]
    args: tuple[object, ...] = getattr(error.orig, "args", ())
    return len(args) > 1 and args[0] == 1062 and any(name in str(args[1]) for name in names)
