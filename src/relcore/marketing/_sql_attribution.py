"""The journeys port in SQL: orders and campaign touches read a batch of customers at a time.

Each batch is three statements, each served by the timeline indexes on
``(customer_id, occurred_at, id)`` of the transactions and the touchpoints:

1. the next ``batch`` customers (by id) with an order in ``[start, end)``;
2. their orders in the period, ordered by customer, time and id (a range of
   customer ids: every customer in it with such an order is in the batch);
3. their touchpoints with a campaign in ``[start - lookback, end)`` (of the
   chosen campaigns and kinds), ordered the same way (an ``IN`` list of the
   batch's customers, so customers without an order are never read).

The two ordered streams are then merged per customer in Python. Memory holds
one batch at a time, whatever the size of the tables. Ids are read untyped
and mapped to the batch's customers (and a handful of campaigns), and the
values are made with [stored_touch][relcore.marketing.attribution.stored_touch]
and [stored_order][relcore.marketing.attribution.stored_order]: they were
checked when they were stored, and checking them again was most of the time
of reading.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from uuid import UUID

import sqlalchemy as sa

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_instance
from relcore._kernel.money import from_minor_units
from relcore.activity.model import TransactionKind
from relcore.marketing.attribution import Order, Touch, stored_order, stored_touch
from relcore.marketing.attribution_ports import Journey, JourneyQuery
from relcore.storage.sql.schema import touchpoints, transactions

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlJourneys"]


class SqlJourneys:
    """Each customer's orders and campaign touches in a SQL store, a batch of customers at a time.

    Implements [JourneySource][relcore.marketing.attribution_ports.JourneySource].
    """

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def journeys(self, query: JourneyQuery, *, batch: int = 500) -> Iterator[Journey]:
        """Every customer's journey, in the store's id order.

        See [JourneySource][relcore.marketing.attribution_ports.JourneySource].
        """
        wanted = check_instance("query", query, JourneyQuery)
        size = check.positive_int("batch", batch, minimum=1)
        return self._stream(wanted, size)

    def _stream(self, wanted: JourneyQuery, size: int) -> Iterator[Journey]:
        sales = transactions.c
        in_period = sa.and_(
            sales.kind == TransactionKind.ORDER.value,
            sales.occurred_at >= wanted.start,
            sales.occurred_at < wanted.end,
        )
        after: UUID | None = None
        while True:
            next_customers = (
                sa.select(sales.customer_id)
                .where(in_period)
                .group_by(sales.customer_id)
                .order_by(sales.customer_id)
                .limit(size)
            )
            if after is not None:
                next_customers = next_customers.where(sales.customer_id > after)
            customers: builtins.list[UUID] = list(
                self._uow.execute(next_customers, what="find customers with orders").scalars()
            )
            if not customers:
                return
            orders = self._orders(in_period, customers)
            touches = self._touches(wanted, customers)
            for customer in customers:
                yield Journey(customer, tuple(orders.get(customer, ())), tuple(touches.get(customer, ())))
            if len(customers) < size:
                return
            after = customers[-1]

    def _orders(self, in_period: sa.ColumnElement[bool], customers: builtins.list[UUID]) -> dict[UUID, Any]:
        sales = transactions.c
        query = (
            sa.select(
                sa.type_coerce(sales.customer_id, sa.String),
                sales.occurred_at,
                sales.amount_minor,
                sales.currency,
                sales.id,
            )
            .where(in_period, sales.customer_id >= customers[0], sales.customer_id <= customers[-1])
            .order_by(sales.customer_id, sales.occurred_at, sales.id)
        )
        ids = _raw_ids(customers)
        found: dict[UUID, builtins.list[Order]] = {}
        for customer, at, minor, currency, sale in self._uow.execute(query, what="read orders").all():
            order = stored_order(at, from_minor_units(minor, currency), currency, sale)
            found.setdefault(ids[customer], []).append(order)
        return found

    def _touches(self, wanted: JourneyQuery, customers: builtins.list[UUID]) -> dict[UUID, Any]:
        points = touchpoints.c
        query = (
            sa.select(
                sa.type_coerce(points.customer_id, sa.String),
                points.occurred_at,
                sa.type_coerce(points.campaign_id, sa.String),
            )
            .where(
                points.customer_id.in_(customers),
                points.campaign_id.is_not(None),
                points.occurred_at < wanted.end,
            )
            .order_by(points.customer_id, points.occurred_at)
        )
        earliest = wanted.earliest_touch
        if earliest is not None:
            query = query.where(points.occurred_at >= earliest)
        if wanted.campaign_ids is not None:
            query = query.where(points.campaign_id.in_(sorted(wanted.campaign_ids)))
        if wanted.kinds is not None:
            query = query.where(points.kind.in_(sorted(wanted.kinds)))
        campaigns: dict[object, UUID] = {}
        found: dict[object, builtins.list[Touch]] = {}  # by the customer id as the driver returns it
        for customer, at, raw in self._uow.execute(query, what="read campaign touches").all():
            campaign = campaigns.get(raw)
            if campaign is None:
                campaign = campaigns[raw] = raw if isinstance(raw, UUID) else UUID(raw)
            touches = found.get(customer)
            if touches is None:
                touches = found[customer] = []
            touches.append(stored_touch(at, campaign))
        ids = _raw_ids(customers)
        return {ids[customer]: touches for customer, touches in found.items()}


def _raw_ids(customers: builtins.list[UUID]) -> dict[object, UUID]:
    """Each customer's id by its value as the driver returns it untyped: a `UUID`, or its text.

    The text is 32 hex digits where relcore stores ids as text (SQLite, MySQL),
    and the dashed form from MariaDB's native ``UUID`` type.
    """
    ids: dict[object, UUID] = {customer: customer for customer in customers}
    ids.update((customer.hex, customer) for customer in customers)
    ids.update((str(customer), customer) for customer in customers)
    return ids
