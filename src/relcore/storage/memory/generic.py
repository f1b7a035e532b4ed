"""The generic memory repository: an aggregate stored from its declaration alone.

An [Aggregate][relcore.registry.Aggregate] that names no memory adapter is
served by [MemoryRepository][relcore.storage.memory.generic.MemoryRepository]:
get, idempotent add and add_many on the unique keys, version-checked save,
owner and reference checks, keyset pages, per-owner lists and a count, with
every change recorded in the unit of work's undo log. A context then writes
only its special queries (subclass it and add methods).
"""

from __future__ import annotations

import bisect
import builtins
import itertools
from collections.abc import Iterable
from typing import Any, Generic, TypeVar
from uuid import UUID

import attrs

from relcore._kernel.checks import fail, kind, positive_int
from relcore._kernel.declarations import Aggregate
from relcore.errors import ConflictError, NotFoundError
from relcore.storage.base import DEFAULT_CHUNK_SIZE, Page
from relcore.storage.memory.session import Session
from relcore.storage.memory.tables import AggregateTable
from relcore.storage.rules import check_id, check_limit, refuse_if_append_only

__all__ = ["MemoryRepository"]

E = TypeVar("E")


class MemoryRepository(Generic[E]):
    """The entities of one aggregate in a memory store (see the module).

    Args:
        session: What the repositories of the unit of work share.
        aggregate: The declaration of the aggregate.
    """

    generic = True
    """Built with the session and the declaration (not the session alone)."""

    def __init__(self, session: Session, aggregate: Aggregate[Any]) -> None:
        self._session = session
        self._aggregate = aggregate
        self._label = aggregate.label

    def _table(self) -> AggregateTable:
        unique = self._aggregate.unique
        return self._session.tables.table(self._aggregate.name, lambda: AggregateTable(unique))

    def get(self, entity_id: UUID) -> E:
        """Return the entity with ``entity_id``."""
        self._session.check()
        found = self._table().rows.get(check_id(f"{self._label}_id", entity_id))
        if found is None:
            raise NotFoundError(self._label, entity_id)
        return found  # type: ignore[no-any-return]

    def find(self, *key: object) -> E | None:
        """Return the entity holding these values of the first unique key, if any."""
        self._session.check()
        fields = self._first_key()
        if len(key) != len(fields):
            raise fail("key", f"expected {len(fields)} values ({', '.join(fields)}), got {len(key)}")
        table = self._table()
        found = table.keys[fields].get(tuple(key))
        return None if found is None else table.rows[found]

    def add(self, entity: E) -> bool:
        """Store a new entity; ``False`` if its unique key is already stored."""
        return self.add_many((entity,), chunk_size=1) == 1

    def add_many(self, entities: Iterable[E], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
        """Store a stream of entities in chunks; return how many were new.

        An entity whose unique key is stored, or repeated earlier in the
        stream, is skipped. Each chunk is checked whole before any of it is
        stored, so a refused chunk leaves nothing behind.
        """
        self._session.check_write()
        size = positive_int("chunk_size", chunk_size, minimum=1)
        stream = iter(entities)
        new = 0
        for number in itertools.count():
            chunk = list(itertools.islice(stream, size))
            if not chunk:
                return new
            new += self._add_chunk(chunk, number * size)
        raise AssertionError("unreachable")  # pragma: no cover

    def _add_chunk(self, chunk: builtins.list[E], offset: int) -> int:
        table, aggregate = self._table(), self._aggregate
        fresh: builtins.list[tuple[E, builtins.list[tuple[tuple[str, ...], tuple[Any, ...]]]]] = []
        seen: dict[tuple[str, ...], set[tuple[Any, ...]]] = {fields: set() for fields in aggregate.unique}
        ids: set[UUID] = set()
        for position, entity in enumerate(chunk, offset):
            if not isinstance(entity, aggregate.entity):
                raise fail(
                    f"{aggregate.name}[{position}]",
                    f"expected a {aggregate.entity.__name__}, got {kind(entity)}",
                )
            self._check_references(entity)
            keys = self._keys(entity)
            if any(values in table.keys[fields] or values in seen[fields] for fields, values in keys):
                continue
            entity_id = entity.id  # type: ignore[attr-defined]
            if entity_id in table.rows or entity_id in ids:
                raise ConflictError(f"a {self._label} with id {entity_id} is already stored")
            for fields, values in keys:
                seen[fields].add(values)
            ids.add(entity_id)
            fresh.append((entity, keys))
        log = self._session.log
        for entity, keys in fresh:
            entity_id = entity.id  # type: ignore[attr-defined]
            log.put(table.rows, entity_id, entity)
            log.insort(table.ids, entity_id)
            for fields, values in keys:
                log.put(table.keys[fields], values, entity_id)
            owner = self._owner(entity)
            if owner is not None:
                log.append_to_index(table.by_owner, owner, entity_id)
        return len(fresh)

    def save(self, entity: E) -> E:
        """Store a changed entity; return the stored one (version and ``updated_at`` stamped if versioned).

        Raises:
            NotFoundError: It was never added.
            ConflictError: Its version is stale, or a unique key it now holds is another entity's.
            ConfigurationError: The aggregate is append-only.
        """
        self._session.check_write()
        aggregate, table = self._aggregate, self._table()
        refuse_if_append_only(aggregate)
        if not isinstance(entity, aggregate.entity):
            raise fail(self._label, f"expected a {aggregate.entity.__name__}, got {kind(entity)}")
        entity_id = entity.id  # type: ignore[attr-defined]
        stored = table.rows.get(entity_id)
        if stored is None:
            raise NotFoundError(self._label, entity_id)
        if self._owner(entity) != self._owner(stored):
            raise fail(aggregate.owner or "owner", "cannot change: an entity keeps its owner")
        self._check_references(entity)
        saved = entity
        if aggregate.versioned:
            if entity.version != stored.version:  # type: ignore[attr-defined]
                raise ConflictError(f"{self._label} {entity_id} was changed by someone else")
            changes: dict[str, Any] = {"version": stored.version + 1}
            if "updated_at" in attrs.fields_dict(aggregate.entity):
                changes["updated_at"] = self._session.clock()
            saved = attrs.evolve(entity, **changes)  # type: ignore[misc]
        old, new = dict(self._keys(stored)), dict(self._keys(saved))
        for fields, values in new.items():
            holder = table.keys[fields].get(values)
            if holder is not None and holder != entity_id:
                raise ConflictError(f"another {self._label} holds this {', '.join(fields)}")
        log = self._session.log
        for fields, values in old.items():
            if new.get(fields) != values:
                log.delete(table.keys[fields], values)
        for fields, values in new.items():
            if old.get(fields) != values:
                log.put(table.keys[fields], values, entity_id)
        log.put(table.rows, entity_id, saved)
        return saved

    def list(self, *, after: UUID | None = None, limit: int = 100) -> Page[E]:
        """Return one page of entities in id order; pass ``next_after`` as ``after`` for the next."""
        self._session.check()
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        table = self._table()
        index = 0 if start is None else bisect.bisect_right(table.ids, start)
        chosen = table.ids[index : index + size]
        more = index + size < len(table.ids)
        return Page(tuple(table.rows[i] for i in chosen), chosen[-1] if more and chosen else None)

    def for_owner(self, owner_id: UUID) -> builtins.list[E]:
        """Return the entities of one owner, in id order (none for an unknown owner)."""
        self._session.check()
        table = self._table()
        ids = table.by_owner.get(check_id(self._aggregate.owner or "owner_id", owner_id), [])
        return [table.rows[i] for i in sorted(ids)]

    def count(self) -> int:
        """Return how many entities are stored."""
        self._session.check()
        return len(self._table().rows)

    # -- declaration-driven parts ---------------------------------------------

    def _first_key(self) -> tuple[str, ...]:
        if not self._aggregate.unique:
            raise fail("key", f"{self._aggregate.name} declares no unique key")
        return self._aggregate.unique[0]

    def _keys(self, entity: Any) -> builtins.list[tuple[tuple[str, ...], tuple[Any, ...]]]:
        """The entity's unique-key values, leaving out keys that hold a ``None``."""
        found = []
        for fields in self._aggregate.unique:
            values = tuple(getattr(entity, name) for name in fields)
            if None not in values:
                found.append((fields, values))
        return found

    def _owner(self, entity: Any) -> UUID | None:
        owner = self._aggregate.owner
        return None if owner is None else getattr(entity, owner)

    def _check_references(self, entity: Any) -> None:
        tables = self._session.tables
        owner = self._owner(entity)
        if owner is not None and not tables.holds("customers", owner):
            raise NotFoundError("customer", owner)
        for name, port in self._aggregate.references:
            target = getattr(entity, name)
            if target is not None and not tables.holds(port, target):
                raise NotFoundError(port[:-1] if port.endswith("s") else port, target)
