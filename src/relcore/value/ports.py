"""The port for stored relationship-value metrics and the refresh runs that made them.

Kept beside [`relcore.storage.base`][], which re-exports it.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Protocol

from relcore._kernel.checks import fail
from relcore._kernel.declarations import Aggregate, Context
from relcore._kernel.money import check_currency
from relcore.activity.ports import ActivityWork
from relcore.customers.ports import CustomersWork
from relcore.errors import ValidationError
from relcore.ids import CustomerId
from relcore.value.model import CustomerMetrics, ValueRun

__all__ = [
    "METRIC_ORDERINGS",
    "MONEY_RANKINGS",
    "MetricsRepository",
    "ValueWork",
    "check_metrics",
    "check_ordering",
    "mixed_currencies",
]

METRIC_ORDERINGS = (
    "clv",
    "expected_purchases",
    "frequency",
    "historical_value",
    "monetary",
    "orders",
    "probability_alive",
    "recency",
)
"""The metrics [MetricsRepository.top][relcore.value.ports.MetricsRepository.top] can rank by."""

MONEY_RANKINGS = ("clv", "historical_value", "monetary")
"""The orderings that compare money: they rank within one currency only."""


class MetricsRepository(Protocol):
    """One row of metrics per customer (the latest refresh's), and the refresh runs."""

    def replace_all(self, run: ValueRun, metrics: Iterable[CustomerMetrics]) -> int:
        """Store ``run`` and make ``metrics`` (all of that run) the only stored metrics.

        Streams ``metrics``; returns how many were stored. Every metric's
        ``run_id`` must be ``run.id`` and its customer stored
        ([`NotFoundError`][relcore.errors.NotFoundError]).
        """
        ...

    def get(self, customer_id: CustomerId) -> CustomerMetrics | None:
        """Return the customer's stored metrics, if any."""
        ...

    def top(
        self, by: str, *, limit: int = 10, descending: bool = True, currency: str | None = None
    ) -> builtins.list[CustomerMetrics]:
        """Return the customers' metrics ranked by one of the orderings.

        ``by`` is one of [METRIC_ORDERINGS][relcore.value.ports.METRIC_ORDERINGS].
        Customers whose metric is unset come last; ties go by customer id.
        With ``currency``, only the customers valued in that currency are
        ranked. Money (one of [MONEY_RANKINGS][relcore.value.ports.MONEY_RANKINGS])
        is never compared across currencies: without ``currency``, ranking by
        it raises [ValidationError][relcore.errors.ValidationError] when the
        customers who have the metric are valued in more than one currency.
        """
        ...

    def count(self) -> int:
        """Return how many customers have stored metrics."""
        ...

    def latest_run(self) -> ValueRun | None:
        """Return the run whose metrics are stored, if any."""
        ...


def check_metrics(run: ValueRun, item: object, index: int) -> CustomerMetrics:
    """Return ``item`` if it is a [`CustomerMetrics`][relcore.domain.CustomerMetrics] of ``run``."""
    if not isinstance(item, CustomerMetrics):
        raise fail(f"metrics[{index}]", f"expected CustomerMetrics, got {type(item).__name__}")
    if item.run_id != run.id:
        raise fail(f"metrics[{index}].run_id", "is not the run being stored")
    return item


def check_ordering(by: object, currency: object = None) -> tuple[str, str | None]:
    """Return ``by`` and ``currency`` if metrics can be ranked by them."""
    if type(by) is not str or by not in METRIC_ORDERINGS:
        raise fail("by", f"cannot rank by that; use one of {', '.join(METRIC_ORDERINGS)}")
    return by, None if currency is None else check_currency("currency", currency)


def mixed_currencies(by: str) -> ValidationError:
    """The error for ranking money of several currencies against each other."""
    return fail(
        "currency",
        f"the customers' {by} is in more than one currency; rank one currency at a time (currency=...)",
    )


class ValueWork(CustomersWork, ActivityWork, Protocol):
    """The ports the value refresh needs: customers, their transactions, and the metrics."""

    @property
    def metrics(self) -> MetricsRepository:
        """The stored value metrics and runs."""
        ...


METRICS = Aggregate(
    "metrics",
    MetricsRepository,
    memory="relcore.value._memory:MemoryMetricsRepository",
    sql="relcore.value._sql:SqlMetrics",
    entity=CustomerMetrics,
    references=(("run_id", "metrics"),),
    table="relcore.storage.sql.schema:customer_metrics",
)
"""Each customer's metrics of the latest value refresh, and the run that made them."""

CONTEXT = Context(
    "value",
    ports=(METRICS,),
    values=(ValueRun,),
    contracts=("relcore.value._testing:MetricsContract",),
    snapshot="relcore.value._testing:stored_state",
)
"""The value context, as the registry sees it."""
