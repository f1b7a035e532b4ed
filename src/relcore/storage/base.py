"""The generic storage ports: pages, chunk sizes, the store and the unit-of-work base.

Nothing here names a business concept; each context's ``ports`` module
declares its repositories on top of it, and [`relcore.storage.ports`][]
gathers them into the [`UnitOfWork`][relcore.storage.ports.UnitOfWork] protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, Self, TypeVar, cast
from uuid import UUID

import attrs

from relcore._kernel.adapters import load
from relcore._kernel.arguments import MAX_PAGE_SIZE
from relcore._kernel.declarations import Port
from relcore._kernel.events import DomainEvent

if TYPE_CHECKING:
    from relcore.storage.ports import UnitOfWork

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "MAX_PAGE_SIZE",
    "SCAN_CHUNK_SIZE",
    "Page",
    "Publisher",
    "Store",
    "UnitOfWorkBase",
]

T = TypeVar("T")
R = TypeVar("R")
DEFAULT_CHUNK_SIZE = 2000
"""Rows per chunk for ``add_many`` when the caller does not say."""

SCAN_CHUNK_SIZE = 50_000
"""Rows per chunk of a column scan such as ``transactions.money_columns``."""


@attrs.frozen
class Page(Generic[T]):
    """One page of a keyset-paginated listing.

    Attributes:
        items: The entities, in id order.
        next_after: Pass as ``after`` to get the next page; ``None`` at the end.
    """

    items: tuple[T, ...]
    next_after: UUID | None


Publisher = Callable[[Sequence[DomainEvent]], None]
"""Receives the events of a unit of work after its commit succeeded."""


class Store(Protocol):
    """A storage backend: hands out units of work."""

    def unit_of_work(self, *, publish: Publisher | None = None, read_only: bool = False) -> UnitOfWork:
        """Return a new unit of work; ``publish`` receives its events after commit.

        With ``read_only=True`` the unit of work only reads: a backend may then
        skip taking its write lock (SQLite does), and any write in it raises
        [ConfigurationError][relcore.errors.ConfigurationError].
        """
        ...

    def close(self) -> None:
        """Release what the store created (never what the host passed in)."""
        ...


class UnitOfWorkBase:
    """Event collection and context-manager plumbing shared by adapters.

    Subclasses implement `_begin`, `_commit`, `_rollback`
    and `_end`; this class publishes events only after ``_commit``
    returned.
    """

    adapter: ClassVar[str]
    """Which adapter of each [Port][relcore.registry.Port] this kind of unit of work loads."""

    def __init__(self, publish: Publisher | None, ports: Mapping[str, Port[Any]]) -> None:
        self._publish = publish
        self._events: list[DomainEvent] = []
        self._active = False
        self._ports = ports
        self._adapters: dict[str, Any] = {}

    def repo(self, port: Port[R]) -> R:
        """Return this unit of work's adapter of ``port``, built on first use.

        ``uow.repo(CUSTOMERS)`` and ``uow.customers`` are the same object.

        Raises:
            ConfigurationError: ``port`` is not one the store was built with.
        """
        adapter = self._adapters.get(port.name)
        if adapter is None:
            if self._ports.get(port.name) is not port:
                from relcore.errors import ConfigurationError

                raise ConfigurationError(f"this store has no storage port named {port.name!r}")
            adapter = load(getattr(port, self.adapter))(self._adapter_argument())
            self._adapters[port.name] = adapter
        return cast(R, adapter)

    def __getattr__(self, name: str) -> Any:
        """Serve ``uow.<port name>`` as [repo][relcore.storage.base.UnitOfWorkBase.repo] does."""
        port = self.__dict__.get("_ports", {}).get(name)
        if port is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return self.repo(port)

    def _adapter_argument(self) -> object:
        """What the adapters of this kind of unit of work are built with."""
        return self

    def __enter__(self) -> Self:
        if self._active:
            from relcore.errors import ConfigurationError

            raise ConfigurationError("this unit of work is already in use")
        self._begin()
        self._active = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            self._active = False
            self._end()

    def record(self, event: DomainEvent) -> None:
        """Collect an event to publish after the next successful commit."""
        self._events.append(event)

    def commit(self) -> None:
        """Make the work durable, then publish the collected events."""
        self._require_active()
        self._commit()
        events, self._events = self._events, []
        if events and self._publish is not None:
            self._after_commit(events, self._publish)

    def rollback(self) -> None:
        """Undo the work since the last commit and drop the collected events."""
        self._events = []
        if self._active:
            self._rollback()

    def _after_commit(self, events: list[DomainEvent], publish: Publisher) -> None:
        publish(events)

    def _require_active(self) -> None:
        if not self._active:
            from relcore.errors import ConfigurationError

            raise ConfigurationError("use the unit of work in a 'with' block")

    def _begin(self) -> None:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        raise NotImplementedError

    def _end(self) -> None:
        raise NotImplementedError
