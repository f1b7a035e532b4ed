"""The generic SQL repository: an aggregate stored from its declaration and its table.

An [Aggregate][relcore.registry.Aggregate] that names no SQL adapter, and
names its ``sa.Table``, is served by
[SqlRepository][relcore.storage.sql.generic.SqlRepository]: the same
operations as the generic memory repository, each one statement or a few,
with the rows converted by the table's
``RowCodec`` (relcore.storage.sql.codec). A context then writes only
its special queries (subclass it; [first][relcore.storage.sql.generic.SqlRepository.first]
and [all][relcore.storage.sql.generic.SqlRepository.all] turn a select of
the table into entities).

``add_many`` works chunk by chunk, each in a SAVEPOINT: it checks the owner
and references of the whole chunk, selects which unique keys and ids are
already stored, and inserts the rest with one ``executemany``. Another
writer storing one of those keys in between makes the insert fail; the chunk
is then rolled back to its savepoint and tried once more (the second time,
the stored key is seen and skipped). As the table grows, PostgreSQL is asked
to analyze it (see [grew][relcore.storage.sql.SqlUnitOfWork.grew]), so that
the probes of later chunks are planned for the table as it now is.
"""

from __future__ import annotations

import builtins
import functools
import itertools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from uuid import UUID

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

from relcore._kernel.adapters import load
from relcore._kernel.checks import fail, kind, positive_int
from relcore._kernel.declarations import Aggregate
from relcore.errors import ConfigurationError, ConflictError, NotFoundError
from relcore.storage.base import DEFAULT_CHUNK_SIZE, Page
from relcore.storage.rules import check_id, check_limit, refuse_if_append_only
from relcore.storage.sql.codec import RowCodec
from relcore.storage.sql.schema import metadata

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlRepository", "among", "codec_of"]

E = TypeVar("E")

_IN_LIST = 500
"""Values per ``IN (...)`` list."""


@functools.cache
def codec_of(aggregate: Aggregate[Any]) -> RowCodec[Any]:
    """The row codec of an aggregate's declared table (built once).

    Raises:
        ConfigurationError: The declaration names no table.
    """
    if aggregate.table is None:
        raise ConfigurationError(
            f"the aggregate {aggregate.name!r} names no table for the generic SQL repository"
        )
    return RowCodec(load(aggregate.table), aggregate.entity)


def _table_of(uow: SqlUnitOfWork, port: str) -> sa.Table:
    """The table behind a port: a generic aggregate's declared table, or relcore's ``relcore_<port>``."""
    declared = uow.ports.get(port)
    if isinstance(declared, Aggregate) and declared.table is not None:
        return load(declared.table)  # type: ignore[no-any-return]
    return metadata.tables[f"relcore_{port}"]


class SqlRepository(Generic[E]):
    """The entities of one aggregate in a SQL store (see the module).

    Args:
        uow: The unit of work whose connection and transaction it uses.
        aggregate: The declaration of the aggregate.
    """

    generic = True
    """Built with the unit of work and the declaration (not the unit of work alone)."""

    def __init__(self, uow: SqlUnitOfWork, aggregate: Aggregate[Any]) -> None:
        self._uow = uow
        self._aggregate = aggregate
        self._codec: RowCodec[E] = codec_of(aggregate)
        self._table = self._codec.table
        self._label = aggregate.label

    # -- helpers for the special queries of subclasses -------------------------

    def first(self, query: sa.Select[Any]) -> E | None:
        """The entity of the first row of ``query`` (a select of the whole table), if any."""
        row = self._uow.execute(query, what=f"read {self._aggregate.name}").mappings().first()
        return None if row is None else self._codec.entity(row)  # type: ignore[arg-type]

    def all(self, query: sa.Select[Any]) -> builtins.list[E]:
        """The entities of every row of ``query`` (a select of the whole table)."""
        rows = self._uow.execute(query, what=f"read {self._aggregate.name}").mappings()
        return [self._codec.entity(row) for row in rows]  # type: ignore[arg-type]

    # -- the generic operations -------------------------------------------------

    def get(self, entity_id: UUID) -> E:
        """Return the entity with ``entity_id``."""
        wanted = check_id(f"{self._label}_id", entity_id)
        found = self.first(sa.select(self._table).where(self._table.c.id == wanted))
        if found is None:
            raise NotFoundError(self._label, wanted)
        return found

    def find(self, *key: object) -> E | None:
        """Return the entity holding these values of the first unique key, if any."""
        if not self._aggregate.unique:
            raise fail("key", f"{self._aggregate.name} declares no unique key")
        fields = self._aggregate.unique[0]
        if len(key) != len(fields):
            raise fail("key", f"expected {len(fields)} values ({', '.join(fields)}), got {len(key)}")
        condition = sa.and_(*(self._table.c[name] == value for name, value in zip(fields, key, strict=True)))
        return self.first(sa.select(self._table).where(condition))

    def add(self, entity: E) -> bool:
        """Store a new entity; ``False`` if its unique key is already stored."""
        return self.add_many((entity,), chunk_size=1) == 1

    def add_many(self, entities: Iterable[E], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
        """Store a stream of entities in chunks; return how many were new (see the module)."""
        self._uow.check_writable()
        size = positive_int("chunk_size", chunk_size, minimum=1)
        if isinstance(entities, str | bytes) or not isinstance(entities, Iterable):
            raise fail(self._aggregate.name, "expected an iterable of entities")
        stream = iter(entities)
        new = 0
        for number in itertools.count():
            chunk = list(itertools.islice(stream, size))
            if not chunk:
                return new
            new += self._add_chunk(chunk, number * size)
        raise AssertionError("unreachable")  # pragma: no cover

    def _add_chunk(self, chunk: builtins.list[E], offset: int) -> int:
        aggregate = self._aggregate
        for position, entity in enumerate(chunk, offset):
            if not isinstance(entity, aggregate.entity):
                expected = f"expected a {aggregate.entity.__name__}, got {kind(entity)}"
                raise fail(f"{aggregate.name}[{position}]", expected)
        rows = [self._codec.row(entity) for entity in chunk]
        self._check_references(rows)
        what = f"add {aggregate.name}"
        for attempt in (1, 2):
            with self._uow.translating(what):
                savepoint = self._uow.connection.begin_nested()
            try:
                fresh = self._fresh(rows)
                if fresh:
                    self._uow.execute(self._table.insert(), fresh, what=what)
            except ConflictError:
                with self._uow.translating(what):
                    savepoint.rollback()
                if attempt == 2:
                    raise
                continue
            with self._uow.translating(what):
                savepoint.commit()
            self._uow.grew(self._table, len(fresh))
            return len(fresh)
        raise AssertionError("unreachable")  # pragma: no cover

    def _fresh(self, rows: builtins.list[dict[str, Any]]) -> builtins.list[dict[str, Any]]:
        """The rows whose id and unique keys are not stored, without repeats; a stored id is a conflict."""
        stored_keys = {fields: self._stored(fields, rows) for fields in self._aggregate.unique}
        stored_ids = self._stored(("id",), rows)
        seen: dict[tuple[str, ...], set[tuple[Any, ...]]] = {
            fields: set() for fields in self._aggregate.unique
        }
        ids: set[Any] = set()
        fresh = []
        for row in rows:
            keys = [(f, tuple(row[n] for n in f)) for f in self._aggregate.unique]
            keys = [(f, values) for f, values in keys if None not in values]
            if any(values in stored_keys[f] or values in seen[f] for f, values in keys):
                continue
            if (row["id"],) in stored_ids or row["id"] in ids:
                raise ConflictError(f"a {self._label} with id {row['id']} is already stored")
            for f, values in keys:
                seen[f].add(values)
            ids.add(row["id"])
            fresh.append(row)
        return fresh

    def _stored(self, fields: tuple[str, ...], rows: builtins.list[dict[str, Any]]) -> set[tuple[Any, ...]]:
        """Which of the rows' values of ``fields`` are stored."""
        wanted = sorted(
            {tuple(row[n] for n in fields) for row in rows if all(row[n] is not None for n in fields)},
            key=str,
        )
        columns = [self._table.c[n] for n in fields]
        found: set[tuple[Any, ...]] = set()
        for condition in self._any_of(columns, wanted):
            query = sa.select(*columns).where(condition)
            found.update(
                tuple(r) for r in self._uow.execute(query, what=f"check {self._aggregate.name} keys")
            )
        return found

    def _check_references(self, rows: builtins.list[dict[str, Any]]) -> None:
        """Raise [NotFoundError][relcore.errors.NotFoundError] for the first unknown owner or reference."""
        checks = [] if self._aggregate.owner is None else [(self._aggregate.owner, "customers")]
        for column, port in [*checks, *self._aggregate.references]:
            wanted = sorted({row[column] for row in rows} - {None})
            if not wanted:
                continue
            table = _table_of(self._uow, port)
            found: set[Any] = set()
            for condition in self._any_of([table.c.id], [(w,) for w in wanted]):
                query = sa.select(table.c.id).where(condition)
                found.update(r[0] for r in self._uow.execute(query, what=f"check {port}"))
            missing = [w for w in wanted if w not in found]
            if missing:
                raise NotFoundError(port[:-1] if port.endswith("s") else port, missing[0])

    def save(self, entity: E) -> E:
        """Store a changed entity; return the stored one (its version stamped when versioned).

        Raises:
            NotFoundError: It was never added.
            ConflictError: Its version is stale, or a unique key it now holds is another entity's.
            ConfigurationError: The aggregate is append-only.
        """
        self._uow.check_writable()
        aggregate = self._aggregate
        refuse_if_append_only(aggregate)
        if not isinstance(entity, aggregate.entity):
            raise fail(self._label, f"expected a {aggregate.entity.__name__}, got {kind(entity)}")
        stored = self.get(entity.id)  # type: ignore[attr-defined]
        if aggregate.owner is not None and getattr(entity, aggregate.owner) != getattr(
            stored, aggregate.owner
        ):
            raise fail(aggregate.owner, "cannot change: an entity keeps its owner")
        saved = entity
        condition = self._table.c.id == entity.id  # type: ignore[attr-defined]
        if aggregate.versioned:
            changes: dict[str, Any] = {"version": entity.version + 1}  # type: ignore[attr-defined]
            if "updated_at" in attrs.fields_dict(aggregate.entity):
                changes["updated_at"] = self._uow.now(entity)  # type: ignore[arg-type]
            saved = attrs.evolve(entity, **changes)  # type: ignore[misc]
            condition = sa.and_(condition, self._table.c.version == entity.version)  # type: ignore[attr-defined]
        row = self._codec.row(saved)
        self._check_references([row])
        what = f"save {aggregate.name}"
        result = self._uow.execute(self._table.update().where(condition).values(**row), what=what)
        if result.rowcount != 1:
            raise ConflictError(f"{self._label} {row['id']} was changed by someone else")
        return saved

    def list(self, *, after: UUID | None = None, limit: int = 100) -> Page[E]:
        """Return one page of entities in id order; pass ``next_after`` as ``after`` for the next."""
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        query = sa.select(self._table).order_by(self._table.c.id).limit(size + 1)
        if start is not None:
            query = query.where(self._table.c.id > start)
        found = self.all(query)
        more = len(found) > size
        items = tuple(found[:size])
        return Page(items, items[-1].id if more else None)  # type: ignore[attr-defined]

    def for_owner(self, owner_id: UUID) -> builtins.list[E]:
        """Return the entities of one owner, in id order (none for an unknown owner)."""
        owner = self._aggregate.owner
        if owner is None:
            raise fail("owner_id", f"{self._aggregate.name} has no owner")
        wanted = check_id(owner, owner_id)
        return self.all(
            sa.select(self._table).where(self._table.c[owner] == wanted).order_by(self._table.c.id)
        )

    def _any_of(
        self, columns: builtins.list[Any], values: builtins.list[tuple[Any, ...]]
    ) -> builtins.list[sa.ColumnElement[bool]]:
        """Conditions that together select the rows whose ``columns`` hold one of ``values``.

        Written so that an index on the columns serves them: a key of several
        columns is grouped by all but its last column, ``a = x AND b IN
        (...)`` for each leading ``x`` (a row-value ``IN`` list is not an
        index lookup for PostgreSQL's planner), the last column's values as
        [among][relcore.storage.sql.generic.among] gives them.
        """
        dialect = self._uow.connection.dialect
        *leading, last = columns
        groups: dict[tuple[Any, ...], builtins.list[Any]] = {}
        for value in values:
            groups.setdefault(value[:-1], []).append(value[-1])
        return [
            sa.and_(*(c == v for c, v in zip(leading, prefix, strict=True)), condition)
            for prefix, ends in groups.items()
            for condition in among(last, ends, dialect)
        ]

    def count(self) -> int:
        """Return how many entities are stored."""
        query = sa.select(sa.func.count()).select_from(self._table)
        return int(self._uow.execute(query, what=f"count {self._aggregate.name}").scalar_one())


def among(column: Any, values: Sequence[Any], dialect: Dialect) -> builtins.list[sa.ColumnElement[bool]]:
    """Conditions that together select the rows whose ``column`` holds one of ``values``.

    On PostgreSQL one condition, ``column = ANY(%s)`` with the values as one
    array parameter: one statement whatever their number, and the same SQL
    text each time, which psycopg converts once and the server prepares.
    Elsewhere ``column IN (...)`` lists of at most 500 values. No values give
    no conditions.
    """
    listed = list(values)
    if not listed:
        return []
    if dialect.name == "postgresql":
        parameter = sa.bindparam(None, listed, type_=postgresql.ARRAY(column.type))
        return [column == sa.any_(parameter)]
    return [column.in_(listed[start : start + _IN_LIST]) for start in range(0, len(listed), _IN_LIST)]
