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

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar
from uuid import UUID

import attrs

from relcore._kernel.arguments import MAX_PAGE_SIZE
from relcore.domain import (
    Channel,
    ConsentRecord,
    Contact,
    Customer,
    DomainEvent,
    Purpose,
    TimelineEntry,
    Touchpoint,
    Transaction,
)
from relcore.ids import ContactId, CustomerId, TouchpointId, TransactionId
from relcore.segments import DEFAULT_CATALOGUE, Catalogue, Rule
from relcore.segments.ports import MembershipChange, SegmentRepository
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

T = TypeVar("T")
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


class CustomerRepository(Protocol):
    """Customers, with their tags and identities."""

    def get(self, customer_id: CustomerId) -> Customer:
        """Return the customer with ``customer_id``."""
        ...

    def add(self, customer: Customer) -> None:
        """Store a new customer; its id and identities must be unused."""
        ...

    def save(self, customer: Customer) -> Customer:
        """Store a changed customer (version-checked); return the stored one."""
        ...

    def find_by_identity(self, namespace: str, value: str) -> Customer | None:
        """Return the customer holding the external identity, if any."""
        ...

    def list(self, *, after: UUID | None = None, limit: int = 100) -> Page[Customer]:
        """Return up to ``limit`` customers with ids greater than ``after``."""
        ...

    def count(self) -> int:
        """Return how many customers are stored."""
        ...

    def members(
        self, rule: Rule, as_of: datetime, *, catalogue: Catalogue = DEFAULT_CATALOGUE
    ) -> Iterator[CustomerId]:
        """Yield, in id order, the ids of the customers matching ``rule`` at ``as_of``.

        The answer must equal [`relcore.segments.evaluate`][] on every
        customer. The rule is validated against ``catalogue`` first
        ([`InvalidRuleError`][relcore.errors.InvalidRuleError]). Consume the iterator
        inside the unit of work.
        """
        ...


class ContactRepository(Protocol):
    """Contacts and their contact points."""

    def get(self, contact_id: ContactId) -> Contact:
        """Return the contact with ``contact_id``."""
        ...

    def add(self, contact: Contact) -> None:
        """Store a new contact; its customer must exist."""
        ...

    def save(self, contact: Contact) -> Contact:
        """Store a changed contact (version-checked); return the stored one."""
        ...

    def for_customer(self, customer_id: CustomerId) -> list[Contact]:
        """Return the customer's contacts in id order."""
        ...

    def find_by_email(self, email: str) -> list[Contact]:
        """Return contacts with this e-mail (normalized, case-insensitive)."""
        ...

    def find_by_phone(self, phone: str, *, region: str | None = None) -> list[Contact]:
        """Return contacts with this phone number (compared in E.164)."""
        ...


class ConsentRepository(Protocol):
    """The append-only consent ledger."""

    def add(self, record: ConsentRecord) -> None:
        """Append a record; its customer must exist."""
        ...

    def for_customer(self, customer_id: CustomerId) -> list[ConsentRecord]:
        """Return the customer's ledger, oldest first (by ``recorded_at``, id)."""
        ...

    def may_contact(
        self, customer_id: CustomerId, purpose: Purpose | str, channel: Channel | str, at: datetime
    ) -> bool:
        """Answer [`relcore.domain.may_contact`][] from the stored ledger."""
        ...


class TouchpointRepository(Protocol):
    """Interactions, idempotent on ``(source, external_id)``."""

    def get(self, touchpoint_id: TouchpointId) -> Touchpoint:
        """Return the touchpoint with ``touchpoint_id``."""
        ...

    def add(self, touchpoint: Touchpoint) -> bool:
        """Store one touchpoint; ``False`` if its key was already stored."""
        ...

    def add_many(self, touchpoints: Iterable[Touchpoint], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
        """Store a stream of touchpoints in chunks; return how many were new."""
        ...

    def find_by_key(self, source: str, external_id: str) -> Touchpoint | None:
        """Return the touchpoint with this idempotency key, if any."""
        ...

    def for_customer(
        self,
        customer_id: CustomerId,
        *,
        channels: Iterable[Channel | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[Touchpoint]:
        """Return the customer's touchpoints, newest first (``occurred_at``, id)."""
        ...

    def count(self) -> int:
        """Return how many touchpoints are stored."""
        ...


class TransactionRepository(Protocol):
    """Money records, idempotent on ``(source, external_id)``."""

    def get(self, transaction_id: TransactionId) -> Transaction:
        """Return the transaction with ``transaction_id``."""
        ...

    def add(self, transaction: Transaction) -> bool:
        """Store one transaction; ``False`` if its key was already stored."""
        ...

    def add_many(self, transactions: Iterable[Transaction], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
        """Store a stream of transactions in chunks; return how many were new."""
        ...

    def find_by_key(self, source: str, external_id: str) -> Transaction | None:
        """Return the transaction with this idempotency key, if any."""
        ...

    def for_customer(
        self,
        customer_id: CustomerId,
        *,
        channels: Iterable[Channel | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[Transaction]:
        """Return the customer's transactions, newest first (``occurred_at``, id)."""
        ...

    def count(self) -> int:
        """Return how many transactions are stored."""
        ...

    def money_columns(self, *, until: datetime, chunk_size: int = SCAN_CHUNK_SIZE) -> Iterator[MoneyColumns]:
        """Yield the orders and refunds that occurred at or before ``until``, as columns.

        Chunks of at most ``chunk_size`` rows, in ``(customer_id,
        occurred_at, id)`` order: what a value refresh reads, without
        building an entity per row.
        """
        ...


Publisher = Callable[[Sequence[DomainEvent]], None]
"""Receives the events of a unit of work after its commit succeeded."""


@attrs.frozen
class MoneyColumns:
    """A chunk of orders and refunds as parallel columns (row ``i`` across them).

    Attributes:
        customer_ids: Whose transaction each row is.
        occurred_at: When it happened (aware, UTC).
        refunds: ``True`` for a refund, ``False`` for an order.
        currencies: ISO 4217 codes.
        minor_units: Amounts in integer minor units of the row's currency.
    """

    customer_ids: list[CustomerId]
    occurred_at: list[datetime]
    refunds: list[bool]
    currencies: list[str]
    minor_units: list[int]

    def __len__(self) -> int:
        return len(self.customer_ids)


class UnitOfWork(Protocol):
    """One atomic piece of work on a store, used as a context manager.

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

    def timeline(
        self,
        customer_id: CustomerId,
        *,
        limit: int = 50,
        channels: Iterable[Channel | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[TimelineEntry]:
        """Return touchpoints and transactions of a customer, newest first.

        Ordered by ``occurred_at`` then id, both descending; ``since`` is
        inclusive, ``until`` exclusive; ``channels`` keeps touchpoints and
        transactions on those channels (transactions without a channel drop
        out when a channel filter is given).
        """
        ...


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

    def __init__(self, publish: Publisher | None) -> None:
        self._publish = publish
        self._events: list[DomainEvent] = []
        self._active = False

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
