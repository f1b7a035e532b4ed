"""Memory repositories for touchpoints and transactions, and the timeline."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import ClassVar, Generic, TypeVar
from uuid import UUID

from relcore._kernel.checks import check_datetime, fail, positive_int
from relcore.activity.model import TimelineEntry, Touchpoint, Transaction, TransactionKind
from relcore.activity.ports import MoneyColumns, TimeWindow, event_key, newest_first
from relcore.customers.model import Channel
from relcore.errors import ConflictError, NotFoundError
from relcore.ids import CustomerId
from relcore.storage.base import DEFAULT_CHUNK_SIZE, SCAN_CHUNK_SIZE
from relcore.storage.memory.session import Session
from relcore.storage.memory.tables import Tables
from relcore.storage.rules import check_chunk_size, check_id, check_limit

__all__ = ["MemoryTouchpointRepository", "MemoryTransactionRepository", "timeline"]

E = TypeVar("E", Touchpoint, Transaction)
Key = tuple[str, str]


def _key(entry: Touchpoint | Transaction) -> Key | None:
    return None if entry.external_id is None else (entry.source, entry.external_id)


class ActivityTable(Generic[E]):
    """Touchpoints or transactions, with their idempotency and customer indexes.

    Attributes:
        rows: Entity by id.
        by_key: Id by ``(source, external_id)``, for rows that have a key.
        by_customer: Ids of each customer's rows, in the order they were added.
    """

    __slots__ = ("by_customer", "by_key", "rows")

    def __init__(self) -> None:
        self.rows: dict[UUID, E] = {}
        self.by_key: dict[tuple[str, str], UUID] = {}
        self.by_customer: dict[CustomerId, list[UUID]] = {}

    def owned(self, owner_id: UUID) -> list[E]:
        """The customer's entries, in the order they were added."""
        return [self.rows[i] for i in self.by_customer.get(CustomerId(owner_id), ())]


class _ActivityRepository(Generic[E]):
    """What touchpoints and transactions share: idempotent ingest and per-customer lists."""

    _kind: ClassVar[str]
    _type: type[E]

    def __init__(self, session: Session) -> None:
        self._session = session

    def _table(self) -> ActivityTable[E]:
        raise NotImplementedError

    def get(self, entry_id: UUID) -> E:
        """Return the entry with ``entry_id``."""
        self._session.check()
        found = self._table().rows.get(check_id(f"{self._kind}_id", entry_id))
        if found is None:
            raise NotFoundError(self._kind, entry_id)
        return found

    def add(self, entry: E) -> bool:
        """Store one entry; ``False`` if its ``(source, external_id)`` was already stored."""
        return self.add_many((entry,), chunk_size=1) == 1

    def add_many(self, entries: Iterable[E], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
        """Store a stream of entries in chunks; return how many were new.

        A key already stored, or repeated earlier in the stream, is skipped.
        Each chunk is checked whole before any of it is stored.
        """
        self._session.check_write()
        positive_int("chunk_size", chunk_size, minimum=1)
        stream = iter(entries)
        new = 0
        for number in itertools.count():
            chunk = list(itertools.islice(stream, chunk_size))
            if not chunk:
                return new
            new += self._add_chunk(chunk, number * chunk_size)
        raise AssertionError("unreachable")  # pragma: no cover

    def _add_chunk(self, chunk: list[E], offset: int) -> int:
        table, tables = self._table(), self._session.tables
        fresh: list[tuple[E, Key | None]] = []
        keys: set[Key] = set()
        ids: set[UUID] = set()
        for position, entry in enumerate(chunk, offset):
            if not isinstance(entry, self._type):
                raise fail(
                    f"{self._kind}s[{position}]",
                    f"expected a {self._type.__name__}, got {type(entry).__name__}",
                )
            _check_references(tables, entry)
            key = _key(entry)
            if key is not None and (key in table.by_key or key in keys):
                continue
            if entry.id in table.rows or entry.id in ids:
                raise ConflictError(f"a {self._kind} with id {entry.id} is already stored")
            if key is not None:
                keys.add(key)
            ids.add(entry.id)
            fresh.append((entry, key))
        log = self._session.log
        for entry, key in fresh:
            log.put(table.rows, entry.id, entry)
            if key is not None:
                log.put(table.by_key, key, entry.id)
            log.append_to_index(table.by_customer, entry.customer_id, entry.id)
        return len(fresh)

    def find_by_key(self, source: str, external_id: str) -> E | None:
        """Return the entry with this idempotency key, if any."""
        self._session.check()
        table = self._table()
        found = table.by_key.get(event_key(source, external_id))
        return None if found is None else table.rows[found]

    def for_customer(
        self,
        customer_id: CustomerId,
        *,
        channels: Iterable[Channel | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[E]:
        """Return the customer's entries, newest first (``occurred_at``, then id)."""
        self._session.check()
        check_id("customer_id", customer_id)
        check_limit(limit)
        window = TimeWindow(channels, since, until)
        return newest_first(_of_customer(self._table(), customer_id), window, limit)

    def count(self) -> int:
        """Return how many entries are stored."""
        self._session.check()
        return len(self._table().rows)

    def for_owner(self, owner_id: CustomerId) -> list[E]:
        """Return every entry of the customer, in storage order."""
        self._session.check()
        return _of_customer(self._table(), CustomerId(check_id("customer_id", owner_id)))


def _check_references(tables: Tables, entry: Touchpoint | Transaction) -> None:
    if not tables.holds("customers", entry.customer_id):
        raise NotFoundError("customer", entry.customer_id)
    if entry.contact_id is not None and not tables.holds("contacts", entry.contact_id):
        raise NotFoundError("contact", entry.contact_id)


def _of_customer(table: ActivityTable[E], customer_id: CustomerId) -> list[E]:
    return table.owned(customer_id)


def _touchpoints(tables: Tables) -> ActivityTable[Touchpoint]:
    return tables.table("touchpoints", ActivityTable[Touchpoint])


def _transactions(tables: Tables) -> ActivityTable[Transaction]:
    return tables.table("transactions", ActivityTable[Transaction])


class MemoryTouchpointRepository(_ActivityRepository[Touchpoint]):
    """Touchpoints in memory, implementing `TouchpointRepository`.

    Args:
        session: The unit of work's shared state.
    """

    _kind = "touchpoint"
    _type = Touchpoint

    def _table(self) -> ActivityTable[Touchpoint]:
        return _touchpoints(self._session.tables)


class MemoryTransactionRepository(_ActivityRepository[Transaction]):
    """Transactions in memory, implementing `TransactionRepository`.

    Args:
        session: The unit of work's shared state.
    """

    _kind = "transaction"
    _type = Transaction

    def _table(self) -> ActivityTable[Transaction]:
        return _transactions(self._session.tables)

    def money_columns(self, *, until: datetime, chunk_size: int = SCAN_CHUNK_SIZE) -> Iterator[MoneyColumns]:
        """Yield orders and refunds up to ``until`` as columns, by customer, time and id."""
        self._session.check()
        moment = check_datetime("until", until)
        check_chunk_size(chunk_size)
        wanted = (TransactionKind.ORDER, TransactionKind.REFUND)
        rows = sorted(
            (t for t in self._table().rows.values() if t.kind in wanted and t.occurred_at <= moment),
            key=lambda t: (t.customer_id, t.occurred_at, t.id),
        )
        for start in range(0, len(rows), chunk_size):
            chunk = rows[start : start + chunk_size]
            yield MoneyColumns(
                customer_ids=[t.customer_id for t in chunk],
                occurred_at=[t.occurred_at for t in chunk],
                refunds=[t.kind is TransactionKind.REFUND for t in chunk],
                currencies=[t.currency for t in chunk],
                minor_units=[t.minor_units for t in chunk],
            )


def timeline(
    tables: Tables,
    customer_id: CustomerId,
    *,
    limit: int,
    channels: Iterable[Channel | str] | None,
    since: datetime | None,
    until: datetime | None,
) -> list[TimelineEntry]:
    """Return a customer's touchpoints and transactions, newest first.

    Raises:
        ValidationError: For a bad limit, channel or datetime.
    """
    check_id("customer_id", customer_id)
    check_limit(limit)
    window = TimeWindow(channels, since, until)
    entries: list[TimelineEntry] = [
        *_of_customer(_touchpoints(tables), customer_id),
        *_of_customer(_transactions(tables), customer_id),
    ]
    return newest_first(entries, window, limit)


class MemoryTimeline:
    """The timeline of a memory store: touchpoints and transactions merged, newest first."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def timeline(
        self,
        customer_id: CustomerId,
        *,
        limit: int = 50,
        channels: Iterable[Channel | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[TimelineEntry]:
        """Return the customer's touchpoints and transactions, newest first (see the port)."""
        self._session.check()
        return timeline(
            self._session.tables, customer_id, limit=limit, channels=channels, since=since, until=until
        )
