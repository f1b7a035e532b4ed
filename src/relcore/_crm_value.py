"""The relationship-value methods of the :class:`~relcore.CRM` facade (kept apart for length)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from relcore.clock import Clock
from relcore.domain import CustomerMetrics, ValueRun
from relcore.domain._checks import check_datetime
from relcore.ids import CustomerId
from relcore.storage.ports import UnitOfWork

if TYPE_CHECKING:
    from relcore.value_refresh import Progress, ValueSettings

__all__ = ["ValueMethods"]


class ValueMethods:
    """Refreshing the stored value metrics and reading them."""

    _clock: Clock

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:  # pragma: no cover - provided by CRM
        raise NotImplementedError

    def refresh_value(
        self,
        as_of: datetime | None = None,
        *,
        settings: ValueSettings | None = None,
        progress: Progress | None = None,
        reuse_models: bool = False,
    ) -> ValueRun:
        """Compute every customer's value metrics at ``as_of`` (default: now) and store them.

        Replaces the stored metrics in one unit of work; segment rules then
        see them as ``metrics.<name>``. Needs the ``analytics`` extra.

        Args:
            as_of: The date the metrics describe.
            settings: A :class:`relcore.value_refresh.ValueSettings` (period,
                horizon, discount rate, fewest repeat customers to fit a model).
            progress: Called as ``progress(stage, done, total)`` while it runs.
            reuse_models: Score with the stored run's fitted models instead of
                fitting again (fit nightly, score on demand); currencies
                without stored models are fitted.

        Returns:
            The stored run, with the fitted models' parameters per currency.
        """
        from relcore.value_refresh import refresh_value  # numpy and scipy load here, not at import

        moment = self._clock() if as_of is None else check_datetime("as_of", as_of)
        with self.unit_of_work() as uow:
            run = refresh_value(
                uow,
                moment,
                settings=settings,
                progress=progress,
                clock=self._clock,
                reuse_models=reuse_models,
            )
            uow.commit()
        return run

    def metrics_of(self, customer_id: CustomerId) -> CustomerMetrics | None:
        """Return the customer's stored value metrics, if a refresh computed them."""
        with self.unit_of_work(read_only=True) as uow:
            return uow.metrics.get(customer_id)

    def top_customers(self, by: str = "historical_value", *, limit: int = 10) -> list[CustomerMetrics]:
        """Return the stored metrics of the customers ranking highest by ``by``.

        ``by`` is one of :data:`relcore.storage.ports.METRIC_ORDERINGS`.
        """
        with self.unit_of_work(read_only=True) as uow:
            return uow.metrics.top(by, limit=limit)
