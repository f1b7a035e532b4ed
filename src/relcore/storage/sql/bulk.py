"""Idempotent bulk ingest of touchpoints and transactions.

The stream is consumed in chunks, so memory stays flat whatever its length.
Per chunk: entities are type-checked, repeats of a key within the chunk are
dropped, the referenced customers are checked to exist, and the rows are
inserted with the dialect's own "skip existing key" form:

* SQLite: ``INSERT ... ON CONFLICT (source, external_id) DO NOTHING``, run by
  the driver's ``executemany`` directly, with values converted here as
  SQLAlchemy's types would (one C-level attribute fetch per row, then only the
  UUID, datetime and JSON columns touched); that is where the speed comes
  from. The driver's row count gives the new rows; repeats inside a batch are
  skipped by the same ``ON CONFLICT`` clause.
* PostgreSQL: the same statement through SQLAlchemy with ``RETURNING id``,
  batched by SQLAlchemy's "insertmanyvalues"; the returned ids are the new rows.
* MySQL / MariaDB: no ``ON CONFLICT`` target exists, so the keys already
  stored are selected first and only the missing rows inserted.

Concurrent imports: each chunk is inserted in key order, so two batches with
overlapping keys lock them in the same order and do not deadlock each other
inside a chunk. On PostgreSQL and MySQL / MariaDB a chunk runs in a
SAVEPOINT; when it loses a race (a deadlock across chunks, a lock timeout, or
on MySQL a key that another import stored since the keys were selected) it is
rolled back to the savepoint and repeated, a bounded number of times, before
[TransientStorageError][relcore.errors.TransientStorageError] is raised.
Repeating is safe because the insert skips stored keys. SQLite needs none of
this: a writing unit of work holds the database's write lock from its start.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.dialects import postgresql

from relcore.errors import NotFoundError, TransientStorageError, ValidationError
from relcore.storage.sql.dialects import DialectFamily, dialect_family
from relcore.storage.sql.schema import contacts, customers
from relcore.storage.sql.types import UTCDateTime

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["ingest"]

E = TypeVar("E")


class _Insert(Protocol):
    def __call__(
        self, uow: SqlUnitOfWork, table: sa.Table, batch: list[dict[str, Any]], *, again: bool = False
    ) -> int: ...


ATTEMPTS = 4
"""How many times a chunk is tried on PostgreSQL and MySQL / MariaDB before a race is reported."""


def _chunks(items: Iterable[E], size: int) -> Iterator[list[E]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def ingest(
    uow: SqlUnitOfWork,
    table: sa.Table,
    entity: type[E],
    to_row: Callable[[E], dict[str, Any]],
    entities: Iterable[E],
    *,
    chunk_size: int,
    name: str,
) -> int:
    """Insert ``entities`` into ``table`` chunk by chunk; return how many were new."""
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValidationError.single("chunk_size", f"must be a positive integer, got {chunk_size!r}")
    if isinstance(entities, str | bytes) or not isinstance(entities, Iterable):
        raise ValidationError.single(name, "expected an iterable of entities")
    family = dialect_family(uow.connection.dialect)
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
        if family is DialectFamily.SQLITE:
            new += _ingest_sqlite(uow, table, chunk)
            continue
        batch = sorted(_unique([to_row(item) for item in chunk]), key=_lock_order)
        _require(uow, "customer", customers, {row["customer_id"] for row in batch})
        _require(uow, "contact", contacts, {row["contact_id"] for row in batch} - {None})
        new += _repeating(uow, table, batch, insert)
    return new


def _lock_order(row: dict[str, Any]) -> tuple[bool, str, str, str]:
    """Sort key: rows by ``(source, external_id)``, unkeyed rows (locking nothing shared) last."""
    keyed = row["external_id"] is not None
    return (not keyed, row["source"] if keyed else "", row["external_id"] or "", row["id"].hex)


def _repeating(uow: SqlUnitOfWork, table: sa.Table, batch: list[dict[str, Any]], insert: _Insert) -> int:
    """Insert ``batch`` in a savepoint, repeating it after a lost race; return how many rows were new.

    ``insert`` receives ``again=True`` on a repeat. When the savepoint cannot be
    rolled back (MariaDB rolls a deadlocked transaction back as a whole), the
    race is reported at once.
    """
    what = f"add {table.name}"
    for attempt in range(1, ATTEMPTS + 1):
        with uow.translating(what):
            savepoint = uow.connection.begin_nested()
        try:
            new = insert(uow, table, batch, again=attempt > 1)
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


def _unique(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for row in batch:
        if row["external_id"] is not None:
            key = (row["source"], row["external_id"])
            if key in seen:
                continue
            seen.add(key)
        kept.append(row)
    return kept


def _require(uow: SqlUnitOfWork, kind: str, table: sa.Table, wanted: set[UUID]) -> None:
    if not wanted:
        return
    query = sa.select(table.c.id).where(table.c.id.in_(sorted(wanted)))
    found = {row[0] for row in uow.execute(query, what=f"check {kind}s")}
    missing = wanted - found
    if missing:
        raise NotFoundError(kind, min(missing))


# -- SQLite: the driver's executemany, values converted as SQLAlchemy would --


_ATTRIBUTE_OF_COLUMN = {"amount_minor": "minor_units"}


def _sqlite_expression(column: sa.Column[Any]) -> str:
    """Python source turning entity attribute ``e.<attr>`` into the stored value."""
    attr = f"e.{_ATTRIBUTE_OF_COLUMN.get(column.name, column.name)}"
    if isinstance(column.type, sa.Uuid):
        value = f"{attr}.hex"
    elif isinstance(column.type, UTCDateTime):
        # Entities hold UTC already; SQLAlchemy's SQLite format, always with microseconds.
        value = f"{attr}.replace(tzinfo=None).isoformat(' ', 'microseconds')"
    elif isinstance(column.type, sa.JSON):
        return f"(dumps({attr}) if {attr} else '{{}}')"
    else:
        # Enum members are str subclasses, which sqlite3 binds as their value.
        return attr
    return value if not column.nullable else f"(None if {attr} is None else {value})"


class _SqliteInsert:
    """The insert statement of one table and a fast entity → parameters function.

    The function is generated from the table's columns (one expression per
    column, as attrs generates ``__init__``), which is several times faster
    than looping over converters for each value.
    """

    def __init__(self, table: sa.Table) -> None:
        names = [c.name for c in table.columns]
        self.sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
            "ON CONFLICT (source, external_id) DO NOTHING"
        )
        body = ", ".join(_sqlite_expression(c) for c in table.columns)
        self.params: Callable[[Any], tuple[object, ...]] = eval(f"lambda e: ({body},)", {"dumps": json.dumps})


_SQLITE_INSERTS: dict[str, _SqliteInsert] = {}


def _ingest_sqlite(uow: SqlUnitOfWork, table: sa.Table, chunk: list[Any]) -> int:
    insert = _SQLITE_INSERTS.get(table.name)
    if insert is None:
        insert = _SQLITE_INSERTS[table.name] = _SqliteInsert(table)
    params = [insert.params(item) for item in chunk]
    customer_at, contact_at = table.c.keys().index("customer_id"), table.c.keys().index("contact_id")
    uow.check_writable()
    # the driver's cursor bypasses SQLAlchemy: translating() also maps the driver's own errors
    with uow.translating(f"add {table.name}"):
        cursor = uow.connection.connection.cursor()
        try:
            for kind, referenced, at in (
                ("customer", customers, customer_at),
                ("contact", contacts, contact_at),
            ):
                missing = _sqlite_missing(cursor, referenced, {p[at] for p in params if p[at] is not None})
                if missing is not None:
                    raise NotFoundError(kind, UUID(hex=missing))
            cursor.executemany(insert.sql, params)
            return int(cursor.rowcount)
        finally:
            cursor.close()


def _sqlite_missing(cursor: Any, table: sa.Table, wanted: set[Any]) -> str | None:
    """Return the smallest id in ``wanted`` (hex text) that ``table`` lacks, if any."""
    ordered = sorted(str(w) for w in wanted)
    found: set[str] = set()
    for start in range(0, len(ordered), 500):
        part = ordered[start : start + 500]
        cursor.execute(f"SELECT id FROM {table.name} WHERE id IN ({', '.join('?' * len(part))})", part)
        found.update(row[0] for row in cursor.fetchall())
    absent = set(ordered) - found
    return min(absent) if absent else None


def _insert_postgresql(
    uow: SqlUnitOfWork, table: sa.Table, batch: list[dict[str, Any]], *, again: bool = False
) -> int:
    statement = (
        postgresql.insert(table)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(table.c.id)
    )
    return len(uow.execute(statement, batch, what=f"add {table.name}").all())


def _insert_mysql(
    uow: SqlUnitOfWork, table: sa.Table, batch: list[dict[str, Any]], *, again: bool = False
) -> int:
    """Select the stored keys, insert the rest.

    A plain select reads the transaction's snapshot, which does not show keys
    that other imports committed since; a repeat (``again``) therefore reads
    with a shared lock, which sees them. A key stored by another import
    between the select and the insert is a lost race (TransientStorageError).
    """
    keyed: dict[str, list[str]] = {}
    for row in batch:
        if row["external_id"] is not None:
            keyed.setdefault(row["source"], []).append(row["external_id"])
    stored: set[tuple[str, str]] = set()
    for source, external_ids in keyed.items():
        query = sa.select(table.c.source, table.c.external_id).where(
            table.c.source == source, table.c.external_id.in_(external_ids)
        )
        if again:
            query = query.with_for_update(read=True)
        stored.update((r[0], r[1]) for r in uow.execute(query, what=f"check {table.name} keys"))
    missing = [row for row in batch if (row["source"], row["external_id"]) not in stored]
    if missing:
        uow.check_writable()
        connection = uow.connection
        with uow.translating(f"add {table.name}"):
            try:
                connection.execute(table.insert(), missing)
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
