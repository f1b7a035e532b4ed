"""The generic storage ports, and the semantics every repository follows.

Each context declares its repositories (as `typing.Protocol`s) in its
``ports`` module; a unit of work ([`Work`][relcore.storage.base.Work]) owns the
transaction and serves them all. Repositories never commit. Every adapter — the in-memory
reference, the SQL adapter, a third-party one — must pass the contract suite
in [`relcore.testing.contracts`][], which is the executable form of the
semantics written here.

Shared semantics:

* ``get`` raises [`NotFoundError`][relcore.errors.NotFoundError].
* ``add`` stores a new entity as given; an id (or unique key) already stored
  raises [`ConflictError`][relcore.errors.ConflictError].
* ``save`` is version-checked: the entity's ``version`` must equal the stored
  one, else [`ConflictError`][relcore.errors.ConflictError]. It stores the entity with
  ``version + 1`` and ``updated_at`` set to the store's clock, and returns
  that stored entity. A missing entity raises
  [`NotFoundError`][relcore.errors.NotFoundError].
* Touchpoints and transactions are idempotent on ``(source, external_id)``:
  ``add`` returns ``False`` and ``add_many`` does not count a row whose key is
  already stored (or repeated earlier in the same batch); nothing changes.
  Rows without ``external_id`` are always new. Every row, new or repeated,
  must reference an existing customer (and contact, if it names one), else
  [`NotFoundError`][relcore.errors.NotFoundError]. When one chunk holds several
  problems, which error is raised is unspecified.
* Lists come newest first where time matters (timelines) and in id order
  where it does not (keyset pages).
* Keys compare exactly: identities, ``(source, external_id)`` and segment
  names that differ only by trailing spaces, case or Unicode normalization
  are different keys. Lookup arguments are checked before any query: an id
  that is not a UUID, or a key that is not text a key can hold, raises
  [`ValidationError`][relcore.errors.ValidationError] naming the argument.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar, cast
from uuid import UUID

import attrs

from relcore._kernel.adapters import load
from relcore._kernel.arguments import MAX_PAGE_SIZE
from relcore._kernel.declarations import Port
from relcore._kernel.events import DomainEvent

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "MAX_PAGE_SIZE",
    "SCAN_CHUNK_SIZE",
    "AggregateRepository",
    "Page",
    "Publisher",
    "UnitOfWorkBase",
    "Work",
]

T = TypeVar("T")
R = TypeVar("R")
E = TypeVar("E")
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


class AggregateRepository(Protocol[E]):
    """What every aggregate's repository offers; the generic adapters implement it from the declaration.

    The semantics are those written at the top of this module: ``get``
    raises [NotFoundError][relcore.errors.NotFoundError]; ``add`` of a stored
    id raises [ConflictError][relcore.errors.ConflictError], and ``add`` of an
    entity whose unique key is stored changes nothing and returns ``False``
    (keys holding ``None`` are never stored keys); ``save`` is version-checked
    for a versioned aggregate; every entity's owner and references must be
    stored ([NotFoundError][relcore.errors.NotFoundError] otherwise).
    """

    def get(self, entity_id: UUID) -> E:
        """Return the entity with ``entity_id``."""
        ...

    def find(self, *key: object) -> E | None:
        """Return the entity holding the values of the first unique key, in its declared order, if any."""
        ...

    def add(self, entity: E) -> bool:
        """Store a new entity; ``False`` if its unique key is already stored."""
        ...

    def add_many(self, entities: Iterable[E], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
        """Store a stream of entities in chunks, idempotently on the unique key; return how many were new."""
        ...

    def save(self, entity: E) -> E:
        """Store a changed entity (version-checked when the aggregate is versioned); return the stored one."""
        ...

    def list(self, *, after: UUID | None = None, limit: int = 100) -> Page[E]:
        """Return one page of entities in id order."""
        ...

    def for_owner(self, owner_id: UUID) -> builtins.list[E]:
        """Return the entities of one owner (a customer), in id order."""
        ...

    def count(self) -> int:
        """Return how many entities are stored."""
        ...


class Work(Protocol):
    """One atomic piece of work on a store, used as a context manager.

    Leaving the ``with`` block without [`commit`][relcore.storage.base.Work.commit]
    rolls everything back. A unit of work serves every storage port of the
    registry: [`repo`][relcore.storage.base.Work.repo] takes a port's
    declaration, and each port is also the attribute named after it
    (``uow.customers``). Each context's ``ports`` module declares the typed
    view of the ports its use cases need (``CustomersWork``...);
    [relcore.registry.UnitOfWork][] has them all.
    """

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Make the work durable, then publish the collected events."""
        ...

    def rollback(self) -> None:
        """Undo the work done since the last commit; drop collected events."""
        ...

    def record(self, event: DomainEvent) -> None:
        """Collect an event to publish after the next successful commit."""
        ...

    def repo(self, port: Port[R]) -> R:
        """Return the adapter of a registered ``port`` (``uow.repo(CUSTOMERS)`` is ``uow.customers``)."""
        ...


class UnitOfWorkBase:
    """Event collection and context-manager plumbing shared by adapters.

    Subclasses implement `_begin`, `_commit`, `_rollback`
    and `_end`; this class publishes events only after ``_commit``
    returned.
    """

    adapter_kind: ClassVar[str]
    """Which adapter of each [Port][relcore.registry.Port] this kind of unit of work loads."""

    def __init__(self, publish: Publisher | None, ports: Mapping[str, Port[Any]]) -> None:
        self._publish = publish
        self._events: list[DomainEvent] = []
        self._active = False
        self._ports = ports
        self._adapters: dict[str, Any] = {}

    @property
    def ports(self) -> Mapping[str, Port[Any]]:
        """The storage ports this unit of work serves, by name."""
        return self._ports

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
            factory = load(port.adapter(self.adapter_kind))
            argument = self._adapter_argument()
            adapter = factory(argument, port) if getattr(factory, "generic", False) else factory(argument)
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
