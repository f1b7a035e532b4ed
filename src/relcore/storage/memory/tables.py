"""The data of a memory store: one table per storage port, made by the port's adapter on first use.

The memory store knows no entity. Each context's memory adapter declares the
table its port keeps (the entities by id and the indexes its queries need)
as a small class with ``__slots__``, and asks the store's
[`Tables`][relcore.storage.memory.tables.Tables] for it by port name; the
generic repository keeps an
[`AggregateTable`][relcore.storage.memory.tables.AggregateTable]. A new
context therefore adds no line here, and what the store holds is exactly
what the declared ports have stored.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar
from uuid import UUID

__all__ = ["AggregateTable", "PortTable", "Tables"]

T = TypeVar("T", bound="PortTable")


class PortTable(Protocol):
    """What every port's table offers the rest of the store (its parts are its ``__slots__``)."""

    __slots__: tuple[str, ...]

    @property
    def rows(self) -> Mapping[Any, Any]:
        """The stored entities by id (by customer id for per-customer records)."""
        ...

    def owned(self, owner_id: UUID) -> list[Any]:
        """The stored entities ``owner_id`` owns, in storage order (none if the port's are not owned)."""
        ...


class AggregateTable:
    """The entities of one generically stored aggregate, with their indexes.

    Attributes:
        rows: Entity by id.
        ids: Every id, sorted (for keyset pages).
        keys: For each unique key (its field names), the id holding each stored value tuple.
        by_owner: Ids of each owner's entities, in id order.
    """

    __slots__ = ("by_owner", "ids", "keys", "rows")

    def __init__(self, unique: tuple[tuple[str, ...], ...] = ()) -> None:
        self.rows: dict[UUID, Any] = {}
        self.ids: list[UUID] = []
        self.keys: dict[tuple[str, ...], dict[tuple[Any, ...], UUID]] = {fields: {} for fields in unique}
        self.by_owner: dict[UUID, list[UUID]] = {}

    def owned(self, owner_id: UUID) -> list[Any]:
        """The owner's entities, in id order."""
        return [self.rows[i] for i in self.by_owner.get(owner_id, ())]


class Tables:
    """Everything a memory store holds: the table of each storage port, by port name.

    Tables are changed in place by the repositories, through the unit of
    work's undo log; entities are frozen, so they are stored by reference.
    """

    __slots__ = ("_tables",)

    def __init__(self) -> None:
        self._tables: dict[str, PortTable] = {}

    def table(self, port: str, make: Callable[[], T]) -> T:
        """Return the table of the port named ``port``, made with ``make()`` on first use.

        Every adapter of one port must ask with the same kind of table.
        """
        found = self._tables.get(port)
        if found is None:
            made = self._tables[port] = make()
            return made
        return found  # type: ignore[return-value]

    def holds(self, port: str, entity_id: UUID) -> bool:
        """Whether an entity with ``entity_id`` is stored behind the port named ``port``."""
        found = self._tables.get(port)
        return found is not None and entity_id in found.rows

    def owned(self, port: str, owner_id: UUID) -> list[Any]:
        """The entities stored behind the port named ``port`` that ``owner_id`` owns, in storage order."""
        found = self._tables.get(port)
        return [] if found is None else found.owned(owner_id)

    def dump(self) -> dict[str, dict[str, Any]]:
        """A deep copy of every table's every part, by port and slot: what tests compare.

        A table whose parts are all empty is left out: it holds what no table holds.
        """
        dumped: dict[str, dict[str, Any]] = {}
        for port, table in sorted(self._tables.items()):
            parts = {slot: copy.deepcopy(getattr(table, slot)) for slot in type(table).__slots__}
            if any(parts.values()):
                dumped[port] = parts
        return dumped
