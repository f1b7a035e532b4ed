"""The value namespace of the facade: ``crm.value``.

numpy and scipy load only when [refresh][relcore.value.api.Value.refresh] runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from relcore._kernel.arguments import check_callable, check_flag, check_id, check_instance, check_limit
from relcore._kernel.checks import check_text
from relcore._kernel.namespace import Namespace
from relcore.ids import CustomerId
from relcore.value.model import CustomerMetrics, ValueRun
from relcore.value.ports import ValueWork, check_ordering

if TYPE_CHECKING:
    from relcore.value.services import Progress, ValueSettings

__all__ = ["Value"]


class Value(Namespace[ValueWork]):
    """Relationship value: ``crm.value`` refreshes the stored metrics and reads them.

    Example:
        >>> from relcore import CRM
        >>> crm = CRM.in_memory()
        >>> crm.value.top("clv", currency="EUR")
        []
    """

    __slots__ = ()

    def refresh(
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
            settings: A [`relcore.value.services.ValueSettings`][] (period,
                horizon, discount rate, fewest repeat customers to fit a model).
            progress: Called as ``progress(stage, done, total)`` while it runs.
            reuse_models: Score with the stored run's fitted models instead of
                fitting again (fit nightly, score on demand); currencies
                without stored models are fitted.

        Returns:
            The stored run, with the fitted models' parameters per currency.
        """
        from relcore.value.services import ValueSettings, refresh_value  # numpy, scipy load in refresh_value

        moment = self._as_of(as_of)
        chosen = None if settings is None else check_instance("settings", settings, ValueSettings)
        report = check_callable("progress", progress, arguments=3, optional=True)
        reuse = check_flag("reuse_models", reuse_models)
        return self._write(
            lambda uow: refresh_value(
                uow, moment, settings=chosen, progress=report, clock=self._clock, reuse_models=reuse
            )
        )

    def metrics(self, customer_id: CustomerId) -> CustomerMetrics | None:
        """Return the customer's stored value metrics, if a refresh computed them."""
        wanted = check_id("customer_id", customer_id)
        return self._read(lambda uow: uow.metrics.get(wanted))

    def top(
        self, by: str = "historical_value", *, limit: int = 10, currency: str | None = None
    ) -> list[CustomerMetrics]:
        """Return the stored metrics of the customers ranking highest by ``by``.

        Args:
            by: One of [METRIC_ORDERINGS][relcore.value.ports.METRIC_ORDERINGS].
            limit: How many customers at most.
            currency: Rank only the customers valued in this ISO 4217 currency.

        Raises:
            ValidationError: For an unknown ``by`` or ``currency``, or when
                ``by`` is money (``clv``, ``historical_value``, ``monetary``),
                no ``currency`` is given and the customers are valued in more
                than one currency: euros are not ranked against yen.
        """
        ordering, currency = check_ordering(check_text("by", by, max_len=40), currency)
        size = check_limit(limit)
        return self._read(lambda uow: uow.metrics.top(ordering, limit=size, currency=currency))
