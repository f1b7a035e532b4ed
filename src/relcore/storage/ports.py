"""Ports: what the services need from storage, as `typing.Protocol`.

One small repository per aggregate, and a [`UnitOfWork`][relcore.storage.ports.UnitOfWork] that owns the
transaction. Repositories never commit. Every adapter — the in-memory
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

from types import TracebackType
from typing import Protocol, Self, TypeVar

from relcore._kernel.declarations import Port
from relcore._kernel.events import DomainEvent
from relcore.activity.ports import MoneyColumns, TimelineQuery, TouchpointRepository, TransactionRepository
from relcore.consent.ports import ConsentRepository
from relcore.customers.ports import ContactRepository, CustomerRepository
from relcore.segments.ports import MembershipChange, SegmentRepository
from relcore.storage.base import (
    DEFAULT_CHUNK_SIZE,
    MAX_PAGE_SIZE,
    SCAN_CHUNK_SIZE,
    Page,
    Publisher,
    Store,
    UnitOfWorkBase,
)
from relcore.value.ports import METRIC_ORDERINGS, MONEY_RANKINGS, MetricsRepository

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "MAX_PAGE_SIZE",
    "SCAN_CHUNK_SIZE",
    "METRIC_ORDERINGS",
    "MONEY_RANKINGS",
    "ConsentRepository",
    "ContactRepository",
    "CustomerRepository",
    "MetricsRepository",
    "MoneyColumns",
    "Page",
    "Publisher",
    "MembershipChange",
    "SegmentRepository",
    "Store",
    "TouchpointRepository",
    "TransactionRepository",
    "UnitOfWork",
    "UnitOfWorkBase",
]


R = TypeVar("R")


class UnitOfWork(Protocol):
    """One atomic piece of work on a store, used as a context manager.

    It serves every storage port of the registry ([`relcore.registry`][]):
    [`repo`][relcore.storage.ports.UnitOfWork.repo] takes a port's declaration,
    and each port is also an attribute named after it (the properties below
    are typed shortcuts for the first-wave contexts).

    Leaving the ``with`` block without
    [`commit`][relcore.storage.ports.UnitOfWork.commit] rolls everything back.
    """

    @property
    def customers(self) -> CustomerRepository:
        """The customer repository of this unit of work."""
        ...

    @property
    def contacts(self) -> ContactRepository:
        """The contact repository of this unit of work."""
        ...

    @property
    def consents(self) -> ConsentRepository:
        """The consent ledger of this unit of work."""
        ...

    @property
    def touchpoints(self) -> TouchpointRepository:
        """The touchpoint repository of this unit of work."""
        ...

    @property
    def transactions(self) -> TransactionRepository:
        """The transaction repository of this unit of work."""
        ...

    @property
    def segments(self) -> SegmentRepository:
        """The segment repository of this unit of work."""
        ...

    @property
    def metrics(self) -> MetricsRepository:
        """The stored value metrics of this unit of work."""
        ...

    @property
    def activity(self) -> TimelineQuery:
        """The timeline across touchpoints and transactions."""
        ...

    def repo(self, port: Port[R]) -> R:
        """Return the adapter of any registered ``port`` (``uow.repo(CUSTOMERS)`` is ``uow.customers``)."""
        ...

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
