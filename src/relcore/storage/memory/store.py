"""The in-memory store and its unit of work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from relcore._kernel.declarations import Context, Port
from relcore.clock import Clock, system_clock
from relcore.registry import PORTS, ports_of
from relcore.storage.base import Publisher, UnitOfWorkBase
from relcore.storage.memory.gate import Gate
from relcore.storage.memory.session import Session
from relcore.storage.memory.tables import Tables
from relcore.storage.memory.undo import UndoLog

__all__ = ["MemoryStore", "MemoryUnitOfWork"]


class MemoryStore:
    """A store kept in process memory: the reference backend.

    It follows the semantics of [`relcore.storage.base`][] exactly and
    passes the contract suite, so it serves for unit tests, demos and small
    embedded uses. Units of work run one at a time: each holds the store's
    lock from entering its ``with`` block to leaving it, like a database
    that allows one writer. Threads may share a store. A thread may open a
    unit of work inside another (an event subscriber does) while the outer
    one has nothing uncommitted; see `Gate`.

    Entities are frozen and stored by reference; treat their ``payload`` and
    ``attributes`` dicts as read-only, as you would any stored value.

    Args:
        clock: Source of ``updated_at`` when entities are saved.

    Example:
        >>> from relcore.domain import Customer
        >>> store = MemoryStore()
        >>> with store.unit_of_work() as uow:
        ...     uow.customers.add(Customer.person("Ada Lovelace"))
        ...     uow.commit()
        >>> with store.unit_of_work() as uow:
        ...     uow.customers.count()
        1
    """

    def __init__(self, *, clock: Clock = system_clock, contexts: Sequence[Context] | None = None) -> None:
        self._tables = Tables()
        self._gate = Gate()
        self._clock = clock
        self._ports = PORTS if contexts is None else ports_of(contexts)

    def unit_of_work(self, *, publish: Publisher | None = None, read_only: bool = False) -> MemoryUnitOfWork:
        """Return a new unit of work; ``publish`` receives its events after commit.

        A ``read_only`` unit of work refuses every write with
        [ConfigurationError][relcore.errors.ConfigurationError].
        """
        return MemoryUnitOfWork(
            self._tables, self._gate, self._clock, publish, read_only=read_only, ports=self._ports
        )

    def close(self) -> None:
        """Do nothing: a memory store holds no outside resources."""


class MemoryUnitOfWork(UnitOfWorkBase):
    """A unit of work on a [`MemoryStore`][relcore.storage.memory.MemoryStore].

    Changes are applied to the store at once and recorded in an undo log;
    [`rollback`][relcore.storage.base.UnitOfWorkBase.rollback] (or leaving the ``with`` block without
    committing) reverses them, [`commit`][relcore.storage.base.UnitOfWorkBase.commit] keeps them. The store's
    lock is held for the whole ``with`` block, so no other unit of work sees uncommitted
    changes.

    Args:
        tables: The store's data.
        gate: Admits one thread at a time to the store.
        clock: Source of ``updated_at`` for saves.
        publish: Receives the events after each successful commit.
        read_only: Refuse every write.
    """

    adapter_kind = "memory"

    def __init__(
        self,
        tables: Tables,
        gate: Gate,
        clock: Clock,
        publish: Publisher | None,
        *,
        read_only: bool = False,
        ports: Mapping[str, Port[Any]] = PORTS,
    ) -> None:
        super().__init__(publish, ports)
        self._tables = tables
        self._gate = gate
        self._log = UndoLog()
        self._session = Session(tables, self._log, clock, self._require_active, gate, read_only=read_only)
        self._session.uow = self

    def _adapter_argument(self) -> object:
        return self._session

    def _begin(self) -> None:
        self._gate.enter(self._log)

    def _commit(self) -> None:
        self._log.forget()

    def _rollback(self) -> None:
        self._log.undo()

    def _end(self) -> None:
        self._gate.leave(self._log)
