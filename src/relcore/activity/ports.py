"""The ports of the activity context: touchpoint and transaction repositories, and money columns."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol, TypeVar

import attrs

from relcore._kernel.checks import check_datetime, fail
from relcore._kernel.declarations import Aggregate, Context, History, HistoryField, Money, Port
from relcore._kernel.money import CURRENCIES
from relcore._kernel.tokens import check_token
from relcore.activity.model import (
    Direction,
    TimelineEntry,
    Touchpoint,
    TouchpointRecorded,
    TouchpointsImported,
    Transaction,
    TransactionKind,
    TransactionRecorded,
    TransactionsImported,
)
from relcore.customers.model import Channel
from relcore.ids import CustomerId, TouchpointId, TransactionId
from relcore.storage.base import DEFAULT_CHUNK_SIZE, SCAN_CHUNK_SIZE, Work
from relcore.storage.rules import check_key

__all__ = [
    "TOUCHPOINT_HISTORY",
    "TimeWindow",
    "event_key",
    "newest_first",
    "TRANSACTION_HISTORY",
    "ActivityWork",
    "MoneyColumns",
    "TimelineQuery",
    "TouchpointRepository",
    "TransactionRepository",
]


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

    def for_owner(self, owner_id: CustomerId) -> list[Touchpoint]:
        """Return every touchpoint of the customer, in no particular order."""
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

    def for_owner(self, owner_id: CustomerId) -> list[Transaction]:
        """Return every transaction of the customer, in no particular order."""
        ...

    def money_columns(self, *, until: datetime, chunk_size: int = SCAN_CHUNK_SIZE) -> Iterator[MoneyColumns]:
        """Yield the orders and refunds that occurred at or before ``until``, as columns.

        Chunks of at most ``chunk_size`` rows, in ``(customer_id,
        occurred_at, id)`` order: what a value refresh reads, without
        building an entity per row.
        """
        ...


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


class TimelineQuery(Protocol):
    """A customer's touchpoints and transactions merged into one timeline."""

    def timeline(
        self,
        customer_id: CustomerId,
        *,
        limit: int = 50,
        channels: Iterable[Channel | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[TimelineEntry]:
        """Return the customer's touchpoints and transactions, newest first.

        Ordered by ``occurred_at`` then id, both descending; ``since`` is
        inclusive, ``until`` exclusive; with ``channels``, transactions
        without a channel drop out. None for an unknown customer.
        """
        ...


class ActivityWork(Work, Protocol):
    """The ports the activity use cases need."""

    @property
    def touchpoints(self) -> TouchpointRepository:
        """The touchpoint repository."""
        ...

    @property
    def transactions(self) -> TransactionRepository:
        """The transaction repository."""
        ...

    @property
    def activity(self) -> TimelineQuery:
        """The timeline across touchpoints and transactions."""
        ...


TOUCHPOINTS = Aggregate(
    "touchpoints",
    TouchpointRepository,
    memory="relcore.activity._memory:MemoryTouchpointRepository",
    sql="relcore.activity._sql:SqlTouchpoints",
    entity=Touchpoint,
    references=(("contact_id", "contacts"),),
    unique=(("source", "external_id"),),
    table="relcore.storage.sql.schema:touchpoints",
)
"""Interactions, idempotent on ``(source, external_id)``."""

TRANSACTIONS = Aggregate(
    "transactions",
    TransactionRepository,
    memory="relcore.activity._memory:MemoryTransactionRepository",
    sql="relcore.activity._sql:SqlTransactions",
    entity=Transaction,
    references=(("contact_id", "contacts"),),
    unique=(("source", "external_id"),),
    table="relcore.storage.sql.schema:transactions",
)
"""Orders and refunds, idempotent on ``(source, external_id)``."""

TOUCHPOINT_HISTORY = History(
    "touchpoints",
    TOUCHPOINTS,
    (
        HistoryField("channel", "choice", vocabulary="channels"),
        HistoryField("direction", "choice", choices=Direction),
        HistoryField("kind", "choice", vocabulary="touchpoint_kinds"),
        HistoryField("subject", "text", nullable=True),
        HistoryField("outcome", "text", nullable=True),
        HistoryField("sentiment", "number", nullable=True),
        HistoryField("campaign_id", "id", nullable=True),
        HistoryField("case_id", "id", nullable=True),
        HistoryField("opportunity_id", "id", nullable=True),
        HistoryField("contact_id", "id", nullable=True),
        HistoryField("source", "text"),
    ),
)
"""Touchpoints as rules see them: ``touchpoints(channel == "email").within(days=30).count()``."""

TRANSACTION_HISTORY = History(
    "transactions",
    TRANSACTIONS,
    (
        HistoryField("kind", "choice", choices=TransactionKind),
        HistoryField("currency", "choice", choices=sorted(CURRENCIES)),
        HistoryField("amount", "money", column="amount_minor"),
        HistoryField("quantity", "number"),
        HistoryField("channel", "choice", nullable=True, vocabulary="channels"),
        HistoryField("description", "text", nullable=True),
        HistoryField("contact_id", "id", nullable=True),
        HistoryField("source", "text"),
    ),
    money=Money(),
)
"""Transactions as rules see them; ``sum`` and ``average`` add up one currency's amounts."""

ACTIVITY = Port(
    "activity",
    TimelineQuery,
    memory="relcore.activity._memory:MemoryTimeline",
    sql="relcore.activity._sql:SqlTimeline",
)
"""The timeline across touchpoints and transactions."""

CONTEXT = Context(
    "activity",
    ports=(TOUCHPOINTS, TRANSACTIONS, ACTIVITY),
    events=(TouchpointRecorded, TransactionRecorded, TouchpointsImported, TransactionsImported),
    contracts=(
        "relcore.activity._testing_timeline:TimelineContract",
        "relcore.activity._testing_timeline:MoneyColumnsContract",
    ),
    snapshot="relcore.activity._testing:stored_state",
    histories=(TOUCHPOINT_HISTORY, TRANSACTION_HISTORY),
)
"""The activity context, as the registry sees it."""


def event_key(source: object, external_id: object) -> tuple[str, str]:
    """Return the checked arguments of a lookup by idempotency key ``(source, external_id)``.

    Raises:
        ValidationError: As `check_key`.
    """
    return check_key("source", source, max_len=100), check_key("external_id", external_id, max_len=200)


class TimeWindow:
    """The filter of a timeline query: channels and ``[since, until)``.

    Args:
        channels: Channels to keep (members or their values); ``None`` keeps
            all, an empty collection keeps nothing.
        since: Keep entries at or after this instant.
        until: Keep entries strictly before this instant.

    Raises:
        ValidationError: For an unknown channel or a naive datetime.
    """

    __slots__ = ("channels", "since", "until")

    def __init__(
        self,
        channels: Iterable[Channel | str] | None,
        since: datetime | None,
        until: datetime | None,
    ) -> None:
        if channels is not None and isinstance(channels, str):
            raise fail("channels", "expected a collection of channels, got a single string")
        self.channels: frozenset[Channel | str] | None = (
            None
            if channels is None
            else frozenset(check_token(Channel, f"channels[{i}]", c) for i, c in enumerate(channels))
        )
        self.since = None if since is None else check_datetime("since", since)
        self.until = None if until is None else check_datetime("until", until)

    def admits(self, entry: Touchpoint | Transaction) -> bool:
        """Whether ``entry`` passes the channel and time filters."""
        if self.channels is not None and entry.channel not in self.channels:
            return False
        if self.since is not None and entry.occurred_at < self.since:
            return False
        return self.until is None or entry.occurred_at < self.until


E = TypeVar("E", bound=Touchpoint | Transaction)


def newest_first(entries: Iterable[E], window: TimeWindow, limit: int) -> list[E]:
    """Return up to ``limit`` entries admitted by ``window``, newest first.

    Newest means greatest ``(occurred_at, id)``, so equal times are ordered
    by id, descending.
    """
    admitted = (e for e in entries if window.admits(e))
    return heapq.nlargest(limit, admitted, key=lambda e: (e.occurred_at, e.id))
