"""The SQL repository for value metrics and refresh runs."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa

from relcore._kernel.checks import fail
from relcore._kernel.money import from_minor_units, to_minor_units
from relcore.customers._sql import check_id
from relcore.errors import NotFoundError
from relcore.ids import CustomerId
from relcore.storage.rules import check_limit
from relcore.storage.sql.schema import customer_metrics, customers, value_runs
from relcore.value.model import MONEY_METRICS, CustomerMetrics, ValueRun
from relcore.value.ports import MONEY_RANKINGS, check_metrics, check_ordering, mixed_currencies

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlMetrics"]

_CHUNK = 1000
_COLUMNS = [f.name for f in attrs.fields(CustomerMetrics) if f.name not in MONEY_METRICS]


def _money_column(name: str) -> sa.Column[int]:
    """The column holding the money metric ``name`` in minor units of the row's currency."""
    return customer_metrics.c[f"{name}_minor"]


class SqlMetrics:
    """Metrics in ``relcore_customer_metrics``, runs in ``relcore_value_runs``."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def replace_all(self, run: ValueRun, metrics: Iterable[CustomerMetrics]) -> int:
        """Store ``run`` and make ``metrics`` the only stored metrics."""
        if not isinstance(run, ValueRun):
            raise fail("run", f"expected a ValueRun, got {type(run).__name__}")
        execute = self._uow.execute
        execute(customer_metrics.delete(), what="clear metrics")
        execute(value_runs.delete(), what="clear value runs")
        execute(value_runs.insert().values(attrs.asdict(run, recurse=False)), what="store value run")
        stored, seen = 0, set[CustomerId]()
        items = iter(metrics)
        while chunk := list(islice(items, _CHUNK)):
            rows = {}
            for i, item in enumerate(chunk, start=stored):
                check_metrics(run, item, i)
                rows[item.customer_id] = _row(item)
            fresh = [cid for cid in rows if cid not in seen]
            known = set(
                execute(
                    sa.select(customers.c.id).where(customers.c.id.in_(fresh)), what="find customers"
                ).scalars()
            )
            missing = [cid for cid in fresh if cid not in known]
            if missing:
                raise NotFoundError("customer", missing[0])
            again = [cid for cid in rows if cid in seen]
            if again:  # a customer repeated across chunks: the last one wins, as in memory
                execute(
                    customer_metrics.delete().where(customer_metrics.c.customer_id.in_(again)),
                    what="replace metrics",
                )
            execute(customer_metrics.insert(), list(rows.values()), what="store metrics")
            self._uow.grew(customer_metrics, len(rows))
            seen.update(rows)
            stored += len(chunk)
        return len(seen)

    def get(self, customer_id: CustomerId) -> CustomerMetrics | None:
        """Return the customer's stored metrics, if any."""
        query = sa.select(customer_metrics).where(
            customer_metrics.c.customer_id == check_id("customer_id", customer_id)
        )
        row = self._uow.execute(query, what="read metrics").mappings().first()
        return None if row is None else _metrics(row)

    def top(
        self, by: str, *, limit: int = 10, descending: bool = True, currency: str | None = None
    ) -> builtins.list[CustomerMetrics]:
        """Return the customers' metrics ranked by ``by``; unset values last, ties by id."""
        by, currency = check_ordering(by, currency)
        check_limit(limit)
        column = _money_column(by) if by in MONEY_METRICS else customer_metrics.c[by]
        query = sa.select(customer_metrics)
        if currency is not None:
            query = query.where(customer_metrics.c.currency == currency)
        elif by in MONEY_RANKINGS:
            ranked = (
                sa.select(sa.func.count(sa.distinct(customer_metrics.c.currency)))
                .where(column.is_not(None))
                .scalar_subquery()
            )
            if self._uow.execute(sa.select(ranked), what="count currencies").scalar_one() > 1:
                raise mixed_currencies(by)
        unset_last = sa.case((column.is_(None), 1), else_=0)
        query = query.order_by(
            unset_last, column.desc() if descending else column.asc(), customer_metrics.c.customer_id
        ).limit(limit)
        return [_metrics(row) for row in self._uow.execute(query, what="rank metrics").mappings()]

    def count(self) -> int:
        """Return how many customers have stored metrics."""
        query = sa.select(sa.func.count()).select_from(customer_metrics)
        return int(self._uow.execute(query, what="count metrics").scalar_one())

    def latest_run(self) -> ValueRun | None:
        """Return the run whose metrics are stored, if any."""
        row = self._uow.execute(sa.select(value_runs), what="read value run").mappings().first()
        return None if row is None else ValueRun(**dict(row))


def _row(item: CustomerMetrics) -> dict[str, Any]:
    row = {name: getattr(item, name) for name in _COLUMNS}
    for name in MONEY_METRICS:
        amount, currency = getattr(item, name), item.currency
        row[f"{name}_minor"] = None if amount is None or not currency else to_minor_units(amount, currency)
    return row


def _metrics(row: Mapping[Any, Any]) -> CustomerMetrics:
    fields: dict[str, Any] = {name: row[name] for name in _COLUMNS}
    for name in MONEY_METRICS:
        units = row[f"{name}_minor"]
        fields[name] = None if units is None else from_minor_units(units, row["currency"])
    return CustomerMetrics(**fields)
