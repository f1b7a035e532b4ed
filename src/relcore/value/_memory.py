"""The memory repository for value metrics and refresh runs."""

from __future__ import annotations

import builtins
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from uuid import UUID

from relcore._kernel.checks import fail
from relcore.ids import CustomerId
from relcore.storage.memory.session import Session
from relcore.storage.rules import check_id, check_limit
from relcore.value.model import CustomerMetrics, ValueRun
from relcore.value.ports import MONEY_RANKINGS, check_metrics, check_ordering, mixed_currencies

__all__ = ["MemoryMetricsRepository", "MetricsTable"]


class MetricsTable:
    """The latest value refresh of a memory store.

    Attributes:
        latest: ``"run"`` (the [ValueRun][relcore.value.model.ValueRun]) and ``"metrics"``
            (metrics by customer id), replaced together.
    """

    __slots__ = ("latest",)

    def __init__(self) -> None:
        self.latest: dict[str, Any] = {}

    @property
    def rows(self) -> dict[CustomerId, CustomerMetrics]:
        """The stored metrics by customer id."""
        found = self.latest.get("metrics")
        return found if isinstance(found, dict) else {}

    def owned(self, owner_id: UUID) -> builtins.list[CustomerMetrics]:
        """The customer's stored metrics, if any."""
        found = self.rows.get(CustomerId(owner_id))
        return [] if found is None else [found]


class MemoryMetricsRepository:
    """Metrics in memory, implementing [`MetricsRepository`][relcore.value.ports.MetricsRepository].

    Args:
        session: The unit of work's shared state.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def _table(self) -> MetricsTable:
        return self._session.tables.table("metrics", MetricsTable)

    def replace_all(self, run: ValueRun, metrics: Iterable[CustomerMetrics]) -> int:
        """Store ``run`` and make ``metrics`` the only stored metrics."""
        self._session.check_write()
        if not isinstance(run, ValueRun):
            raise fail("run", f"expected a ValueRun, got {type(run).__name__}")
        rows: dict[CustomerId, CustomerMetrics] = {}
        for i, item in enumerate(metrics):
            check_metrics(run, item, i)
            self._session.require_customer(item.customer_id)
            rows[item.customer_id] = item
        table, log = self._table(), self._session.log
        log.put(table.latest, "run", run)
        log.put(table.latest, "metrics", rows)
        return len(rows)

    def get(self, customer_id: CustomerId) -> CustomerMetrics | None:
        """Return the customer's stored metrics, if any."""
        self._session.check()
        check_id("customer_id", customer_id)
        return self._rows().get(customer_id)

    def top(
        self, by: str, *, limit: int = 10, descending: bool = True, currency: str | None = None
    ) -> builtins.list[CustomerMetrics]:
        """Return the customers' metrics ranked by ``by``; unset values last, ties by id."""
        self._session.check()
        by, currency = check_ordering(by, currency)
        check_limit(limit)
        rows = [m for m in self._rows().values() if currency is None or m.currency == currency]
        valued_in = {m.currency for m in rows if getattr(m, by) is not None}
        if currency is None and by in MONEY_RANKINGS and len(valued_in) > 1:
            raise mixed_currencies(by)
        sign = -1 if descending else 1

        def key(m: CustomerMetrics) -> tuple[bool, float | Decimal, CustomerId]:
            value = getattr(m, by)
            return (value is None, sign * value if value is not None else math.inf, m.customer_id)

        return sorted(rows, key=key)[:limit]

    def count(self) -> int:
        """Return how many customers have stored metrics."""
        self._session.check()
        return len(self._rows())

    def latest_run(self) -> ValueRun | None:
        """Return the run whose metrics are stored, if any."""
        self._session.check()
        run = self._table().latest.get("run")
        return run if isinstance(run, ValueRun) else None

    def _rows(self) -> dict[CustomerId, CustomerMetrics]:
        return self._table().rows
