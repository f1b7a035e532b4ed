"""Repositories for the interaction log: touchpoints and transactions.

Both are idempotent on ``(source, external_id)`` and share one mechanism,
parameterized by table and entity type; bulk writing lives in
`relcore.storage.sql.bulk`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from uuid import UUID

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from relcore._kernel.checks import check_datetime
from relcore.activity import _rows as rows
from relcore.activity.model import TimelineEntry, Touchpoint, Transaction
from relcore.activity.ports import MoneyColumns, TimeWindow, event_key
from relcore.customers.model import Channel
from relcore.errors import NotFoundError, ValidationError
from relcore.ids import CustomerId
from relcore.storage.base import DEFAULT_CHUNK_SIZE, SCAN_CHUNK_SIZE
from relcore.storage.rules import check_chunk_size, check_id, check_limit
from relcore.storage.sql import bulk
from relcore.storage.sql.codec import RowCodec
from relcore.storage.sql.driver import DriverStatement, compile_for_driver, reads_on_driver
from relcore.storage.sql.schema import touchpoints, transactions
from relcore.storage.sql.types import UTCDateTime

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlTimeline", "SqlTouchpoints", "SqlTransactions", "read_timeline"]

T = TypeVar("T", Touchpoint, Transaction)


def _same(value: Any) -> Any:
    return value


@functools.cache
def _history_statement(table: sa.Table, channels: int | None, since: bool, until: bool) -> sa.Select[Any]:
    """Build, once per filter shape, the newest-first query of one customer's rows.

    ``channels`` is how many channels are kept (``None``: all); each is its
    own parameter (``channel_0``...), so the SQL text of a shape never changes.
    """
    query = (
        sa.select(table)
        .where(table.c.customer_id == sa.bindparam("customer_id"))
        .order_by(table.c.occurred_at.desc(), table.c.id.desc())
        .limit(sa.bindparam("limit"))
    )
    if channels is not None:
        query = query.where(table.c.channel.in_([sa.bindparam(f"channel_{i}") for i in range(channels)]))
    if since:
        query = query.where(table.c.occurred_at >= sa.bindparam("since", type_=UTCDateTime))
    if until:
        query = query.where(table.c.occurred_at < sa.bindparam("until", type_=UTCDateTime))
    return query


@attrs.frozen
class _Filters:
    """The checked arguments of a history read: its statement's shape and parameter values."""

    customer_id: CustomerId
    limit: int
    channels: tuple[str, ...] | None
    since: datetime | None
    until: datetime | None

    @classmethod
    def check(
        cls,
        customer_id: CustomerId,
        channels: Iterable[Channel | str] | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
    ) -> _Filters:
        window = TimeWindow(channels, since, until)
        kept = None if window.channels is None else tuple(sorted(str(c) for c in window.channels))
        wanted = CustomerId(check_id("customer_id", customer_id))
        return cls(wanted, check_limit(limit), kept, window.since, window.until)

    @property
    def shape(self) -> tuple[int | None, bool, bool]:
        """What the statement depends on: how many channels, whether since and until are set."""
        return (
            None if self.channels is None else len(self.channels),
            self.since is not None,
            self.until is not None,
        )

    @property
    def empty(self) -> bool:
        """Whether no row can pass (an empty collection of channels)."""
        return self.channels == ()

    def values(
        self, uuid: Callable[[Any], Any] = _same, moment: Callable[[Any], Any] = _same
    ) -> dict[str, Any]:
        """The parameter values by name, the id and instants converted by ``uuid`` and ``moment``."""
        values: dict[str, Any] = {"customer_id": uuid(self.customer_id), "limit": self.limit}
        if self.channels is not None:
            values.update({f"channel_{i}": channel for i, channel in enumerate(self.channels)})
        if self.since is not None:
            values["since"] = moment(self.since)
        if self.until is not None:
            values["until"] = moment(self.until)
        return values


@functools.cache
def _timeline_statement(channels: int | None, since: bool, until: bool) -> sa.Select[Any]:
    """Build, once per filter shape, one statement reading both histories newest first.

    Each table contributes its own newest ``limit`` rows (an index scan), the
    two are stacked with ``UNION ALL`` on a shared column list (a column the
    other table lacks is a typed NULL), and the outer query keeps the newest
    ``limit`` of those. One round trip instead of two. Its first column,
    ``entry``, says which table a row comes from; the others are `_TIMELINE_COLUMNS`.
    """
    branches = []
    for entry, table in _TABLES.items():
        newest = _history_statement(table, channels, since, until).subquery()
        columns = [sa.literal_column(f"'{entry}'", sa.String).label("entry")]
        for name in _TIMELINE_COLUMNS:
            if name in newest.c:
                columns.append(newest.c[name].label(name))
            else:
                other = next(t for t in _TABLES.values() if name in t.c)
                columns.append(sa.type_coerce(sa.null(), other.c[name].type).label(name))
        branches.append(sa.select(*columns))
    stacked = sa.union_all(*branches).subquery()
    return (
        sa.select(stacked)
        .order_by(stacked.c.occurred_at.desc(), stacked.c.id.desc())
        .limit(sa.bindparam("limit"))
    )


_TABLES = {"touchpoint": touchpoints, "transaction": transactions}
_TIMELINE_COLUMNS = list(dict.fromkeys(c.name for table in _TABLES.values() for c in table.columns))
"""The columns of a timeline row after ``entry``: every column of either table, once."""


@attrs.frozen
class _DriverRead:
    """A history read on one dialect's driver: its compiled statement, parameter conversions and readers."""

    statement: DriverStatement
    uuid: Callable[[Any], Any]
    moment: Callable[[Any], Any]
    readers: Mapping[str, Callable[[Sequence[Any]], TimelineEntry]]

    def run(self, uow: SqlUnitOfWork, filters: _Filters, what: str) -> Sequence[Sequence[Any]]:
        parameters = self.statement.parameters(filters.values(self.uuid, self.moment))
        return uow.driver_rows(self.statement.sql, parameters, what=what)


def _conversions(dialect: Dialect) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """How a customer id and an instant are bound on ``dialect``: as the touchpoints codec binds them."""
    return (
        rows.TOUCHPOINTS.parameter("customer_id", dialect),
        rows.TOUCHPOINTS.parameter("occurred_at", dialect),
    )


@functools.lru_cache(maxsize=256)
def _timeline_read(dialect: Dialect, channels: int | None, since: bool, until: bool) -> _DriverRead:
    """The driver read of a timeline shape on ``dialect`` (compiled once)."""
    statement = compile_for_driver(_timeline_statement(channels, since, until), dialect)
    readers = {}
    for entry, table in _TABLES.items():
        positions = [1 + _TIMELINE_COLUMNS.index(c.name) for c in table.columns]
        readers[entry] = rows.CODECS[table].reader(dialect, positions=positions)
    return _DriverRead(statement, *_conversions(dialect), readers)


@functools.lru_cache(maxsize=256)
def _history_read(
    dialect: Dialect, table: sa.Table, channels: int | None, since: bool, until: bool
) -> _DriverRead:
    """The driver read of one table's history shape on ``dialect`` (compiled once)."""
    statement = compile_for_driver(_history_statement(table, channels, since, until), dialect)
    return _DriverRead(statement, *_conversions(dialect), {table.name: rows.CODECS[table].reader(dialect)})


def read_timeline(
    uow: SqlUnitOfWork,
    customer_id: CustomerId,
    *,
    channels: Iterable[Channel | str] | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[TimelineEntry]:
    """Return a customer's touchpoints and transactions, newest first, in one query.

    On a driver the codec knows, the statement runs on the driver's cursor and
    each row is decoded once by the table's codec (see
    [relcore.storage.sql.driver][]); elsewhere through SQLAlchemy.
    """
    filters = _Filters.check(customer_id, channels, since, until, limit)
    connection = uow.connection  # refuses an inactive unit of work
    if filters.empty:
        return []
    if reads_on_driver(connection):
        read = _timeline_read(connection.dialect, *filters.shape)
        touchpoint, transaction = read.readers["touchpoint"], read.readers["transaction"]
        return [
            touchpoint(row) if row[0] == "touchpoint" else transaction(row)
            for row in read.run(uow, filters, "read timeline")
        ]
    statement = _timeline_statement(*filters.shape)
    entries: list[TimelineEntry] = []
    touchpoint_columns, transaction_columns = touchpoints.c.keys(), transactions.c.keys()
    for row in uow.execute(statement, filters.values(), what="read timeline").mappings():
        if row["entry"] == "touchpoint":
            entries.append(rows.touchpoint_from_row({n: row[n] for n in touchpoint_columns}))
        else:
            entries.append(rows.transaction_from_row({n: row[n] for n in transaction_columns}))
    return entries


class _EventLog(Generic[T]):
    _table: sa.Table
    _entity: type[T]
    _kind: str
    _codec: RowCodec[T]
    _from_row: Callable[[Any], T]

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def get(self, entity_id: Any) -> T:
        query = sa.select(self._table).where(self._table.c.id == check_id(f"{self._kind}_id", entity_id))
        row = self._uow.execute(query, what=f"get {self._kind}").mappings().first()
        if row is None:
            raise NotFoundError(self._kind, entity_id)
        return self._from_row(row)

    def add(self, entity: T) -> bool:
        if not isinstance(entity, self._entity):
            raise ValidationError.single(
                self._kind, f"expected a {self._entity.__name__}, got {type(entity).__name__}"
            )
        return self.add_many((entity,)) == 1

    def add_many(self, entities: Iterable[T], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
        return bulk.ingest(self._uow, self._codec, entities, chunk_size=chunk_size, name=f"{self._kind}s")

    def find_by_key(self, source: str, external_id: str) -> T | None:
        source, external_id = event_key(source, external_id)
        query = sa.select(self._table).where(
            self._table.c.source == source, self._table.c.external_id == external_id
        )
        row = self._uow.execute(query, what=f"find {self._kind}").mappings().first()
        return None if row is None else self._from_row(row)

    def for_customer(
        self,
        customer_id: CustomerId,
        *,
        channels: Iterable[Channel | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[T]:
        filters = _Filters.check(customer_id, channels, since, until, limit)
        connection = self._uow.connection  # refuses an inactive unit of work
        if filters.empty:
            return []
        what = f"list {self._kind}s"
        if reads_on_driver(connection):
            read = _history_read(connection.dialect, self._table, *filters.shape)
            decode = read.readers[self._table.name]
            return [decode(row) for row in read.run(self._uow, filters, what)]  # type: ignore[misc]
        query = _history_statement(self._table, *filters.shape)
        found = self._uow.execute(query, filters.values(), what=what).mappings()
        return [self._from_row(r) for r in found]

    def count(self) -> int:
        query = sa.select(sa.func.count()).select_from(self._table)
        return int(self._uow.execute(query, what=f"count {self._kind}s").scalar_one())

    def for_owner(self, owner_id: CustomerId) -> list[T]:
        query = sa.select(self._table).where(self._table.c.customer_id == check_id("customer_id", owner_id))
        found = self._uow.execute(query, what=f"list {self._kind}s").mappings()
        return [self._from_row(r) for r in found]


class SqlTouchpoints(_EventLog[Touchpoint]):
    """Touchpoints in ``relcore_touchpoints``. See the ports for semantics."""

    _table = touchpoints
    _entity = Touchpoint
    _kind = "touchpoint"
    _codec = rows.TOUCHPOINTS
    _from_row = staticmethod(rows.touchpoint_from_row)


class SqlTransactions(_EventLog[Transaction]):
    """Transactions in ``relcore_transactions``. See the ports for semantics."""

    _table = transactions
    _entity = Transaction
    _kind = "transaction"
    _codec = rows.TRANSACTIONS
    _from_row = staticmethod(rows.transaction_from_row)

    def money_columns(self, *, until: datetime, chunk_size: int = SCAN_CHUNK_SIZE) -> Iterator[MoneyColumns]:
        """Yield orders and refunds up to ``until`` as columns, in ``(customer_id, occurred_at, id)`` order.

        One streamed query (a server-side cursor where the driver has one).
        """
        moment = check_datetime("until", until)
        check_chunk_size(chunk_size)
        c = transactions.c
        # the id column comes back as the driver gives it (hex text or a UUID) and is decoded
        # once per customer, not once per row: rows arrive grouped by customer
        raw_id = sa.type_coerce(c.customer_id, sa.String).label("customer_id")
        query = (
            sa.select(raw_id, c.occurred_at, c.kind, c.currency, c.amount_minor)
            .where(c.kind.in_(("order", "refund")), c.occurred_at <= moment)
            .order_by(c.customer_id, c.occurred_at, c.id)
            .execution_options(yield_per=chunk_size)
        )
        result = self._uow.execute(query, what="scan transactions")
        last_raw: object = None
        last_id = CustomerId(UUID(int=0))
        with self._uow.translating("scan transactions"):
            for part in result.partitions():
                raws, occurred_at, kinds, currencies, minor_units = zip(*part, strict=True)
                customer_ids = []
                for raw in raws:
                    if raw != last_raw:
                        last_raw, last_id = raw, CustomerId(raw if isinstance(raw, UUID) else UUID(hex=raw))
                    customer_ids.append(last_id)
                yield MoneyColumns(
                    customer_ids=customer_ids,
                    occurred_at=list(occurred_at),
                    refunds=[kind == "refund" for kind in kinds],
                    currencies=list(currencies),
                    minor_units=list(minor_units),
                )


class SqlTimeline:
    """The timeline in SQL: touchpoints and transactions merged by one query, newest first."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

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
        return read_timeline(self._uow, customer_id, channels=channels, since=since, until=until, limit=limit)
