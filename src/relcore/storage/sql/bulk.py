"""Idempotent bulk ingest of touchpoints and transactions.

The stream is consumed in chunks, so memory stays flat whatever its length.
Per chunk: entities are type-checked, repeats of a key within the chunk are
dropped, the referenced customers are checked to exist, and the rows are
inserted with the dialect's own "skip existing key" form:

* SQLite: ``INSERT ... ON CONFLICT (source, external_id) DO NOTHING``, run by
  the driver's ``executemany`` directly (values converted here), which is
  where the speed comes from; the driver's row count gives the new rows.
* PostgreSQL: the same statement through SQLAlchemy with ``RETURNING id``,
  batched by SQLAlchemy's "insertmanyvalues"; the returned ids are the new rows.
* MySQL / MariaDB: no ``ON CONFLICT`` target exists, so the keys already
  stored are selected first and only the missing rows inserted. Two writers
  racing on the same keys make one fail with ``ConflictError``; re-sending
  its batch is safe.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from relcore.errors import NotFoundError, ValidationError
from relcore.storage.sql.schema import customers

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["ingest"]

E = TypeVar("E")


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
    dialect = uow.connection.dialect.name
    insert = {"sqlite": _insert_sqlite, "postgresql": _insert_postgresql}.get(dialect, _insert_mysql)
    new = 0
    offset = 0
    for chunk in _chunks(entities, chunk_size):
        for i, item in enumerate(chunk):
            if not isinstance(item, entity):
                raise ValidationError.single(f"{name}[{offset + i}]",
                                             f"expected a {entity.__name__}, got {type(item).__name__}")
        offset += len(chunk)
        batch = _unique([to_row(item) for item in chunk])
        _require_customers(uow, {row["customer_id"] for row in batch})
        new += insert(uow, table, batch)
    return new


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


def _require_customers(uow: SqlUnitOfWork, wanted: set[UUID]) -> None:
    query = sa.select(customers.c.id).where(customers.c.id.in_(sorted(wanted)))
    found = {row[0] for row in uow.execute(query, what="check customers")}
    missing = wanted - found
    if missing:
        raise NotFoundError("customer", min(missing))


# -- SQLite: the driver's executemany, values converted as SQLAlchemy would --

_SQLITE_STATEMENTS: dict[str, tuple[str, tuple[str, ...]]] = {}


def _sqlite_statement(table: sa.Table) -> tuple[str, tuple[str, ...]]:
    if table.name not in _SQLITE_STATEMENTS:
        names = tuple(c.name for c in table.columns)
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
            "ON CONFLICT (source, external_id) DO NOTHING"
        )
        _SQLITE_STATEMENTS[table.name] = (sql, names)
    return _SQLITE_STATEMENTS[table.name]


def _sqlite_value(value: object) -> object:
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def _insert_sqlite(uow: SqlUnitOfWork, table: sa.Table, batch: list[dict[str, Any]]) -> int:
    sql, names = _sqlite_statement(table)
    params = [tuple(_sqlite_value(row[n]) for n in names) for row in batch]
    with uow.translating(f"add {table.name}"):
        cursor = uow.connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, params)
            return int(cursor.rowcount)
        finally:
            cursor.close()


def _insert_postgresql(uow: SqlUnitOfWork, table: sa.Table, batch: list[dict[str, Any]]) -> int:
    statement = (
        postgresql.insert(table)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(table.c.id)
    )
    return len(uow.execute(statement, batch, what=f"add {table.name}").all())


def _insert_mysql(uow: SqlUnitOfWork, table: sa.Table, batch: list[dict[str, Any]]) -> int:
    keyed: dict[str, list[str]] = {}
    for row in batch:
        if row["external_id"] is not None:
            keyed.setdefault(row["source"], []).append(row["external_id"])
    stored: set[tuple[str, str]] = set()
    for source, external_ids in keyed.items():
        query = sa.select(table.c.source, table.c.external_id).where(
            table.c.source == source, table.c.external_id.in_(external_ids)
        )
        stored.update((s, e) for s, e in uow.execute(query, what=f"check {table.name} keys"))
    missing = [row for row in batch if (row["source"], row["external_id"]) not in stored]
    if missing:
        uow.execute(table.insert(), missing, what=f"add {table.name}")
    return len(missing)
