"""Discounted customer lifetime value from a purchase model and a spend model.

The standard buy-till-you-die approach (Fader, Hardie & Lee 2005, "RFM and
CLV: using iso-value curves for customer base analysis", *Journal of
Marketing Research* 42(4)): cut the horizon into periods, take the expected
purchases in each period from the purchase model (BG/NBD, MBG/NBD or
Pareto/NBD), value them at the expected spend per purchase (Gamma-Gamma), and
discount each period's value to today.
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import numpy as np

from relcore.errors import ValidationError
from relcore.value.models._arrays import ArrayLike, FloatArray, btyd_arrays, float_array, same_length

__all__ = ["PurchaseModel", "SpendModel", "customer_lifetime_value"]


class PurchaseModel(Protocol):
    """What the CLV needs of a purchase model: a fitted BG/NBD, MBG/NBD or Pareto/NBD."""

    def expected_purchases(
        self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """Expected purchases in the next ``t`` time units, given each history."""


@runtime_checkable
class SpendModel(Protocol):
    """What the CLV needs of a spend model: a fitted Gamma-Gamma model."""

    def expected_spend(self, frequency: ArrayLike, monetary: ArrayLike) -> FloatArray:
        """Expected value of each customer's future purchase."""


def customer_lifetime_value(
    transaction_fit: PurchaseModel,
    spend_fit: SpendModel | ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary: ArrayLike,
    *,
    horizon: int,
    discount_rate: float,
    period: float = 1.0,
) -> FloatArray:
    """Discounted expected value of each customer's purchases over the next ``horizon`` periods.

    ``sum over i = 1..horizon of (E[purchases in (0, i p]] - E[purchases in (0, (i - 1) p]])
    * spend / (1 + discount_rate)^i``, with ``p = period``: a period's
    purchases are discounted as if they all fell at its end.

    Units: ``frequency``, ``recency``, ``T`` and ``period`` are in the time
    unit the purchase model was fitted in (say weeks); ``horizon`` counts
    periods; ``discount_rate`` is per period. Weekly data valued over a year
    of months is ``period=52 / 12, horizon=12`` with a monthly rate. The
    result is in the currency of ``monetary``.

    Args:
        transaction_fit: A fitted purchase model ([`BetaGeoFit`][relcore.value.BetaGeoFit],
            [`ModifiedBetaGeoFit`][relcore.value.ModifiedBetaGeoFit],
            [`ParetoNBDFit`][relcore.value.ParetoNBDFit]).
        spend_fit: A fitted spend model ([`GammaGammaFit`][relcore.value.GammaGammaFit]), or
            the expected spend per purchase of each customer directly.
        frequency: Repeat purchases ``x``.
        recency: Age at the last repeat purchase ``t_x``.
        T: Age at the end of observation.
        monetary: Mean value of the repeat purchases (0 when there are none).
        horizon: Number of periods to value, a whole number >= 1.
        discount_rate: Discount rate per period, >= 0.
        period: Length of one period, in the time unit of the data.

    Returns:
        One discounted value per customer.

    Raises:
        ValidationError: If an argument is invalid; the path names it (and the row).

    Example:
        >>> from relcore.value import BetaGeoFit, BetaGeoParams, GammaGammaFit, GammaGammaParams
        >>> purchases = BetaGeoFit(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
        >>> spend = GammaGammaFit(GammaGammaParams(p=6.25, q=3.74, v=15.44))
        >>> clv = customer_lifetime_value(purchases, spend, [2, 0], [30.43, 0.0], [38.86, 38.86],
        ...                               [22.35, 0.0], horizon=12, discount_rate=0.01, period=52 / 12)
        >>> for value in clv:
        ...     print(f"{value:.2f}")
        36.21
        8.35
    """
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise ValidationError.single("horizon", f"must be a whole number of periods >= 1, not {horizon!r}")
    if not (isinstance(discount_rate, int | float) and math.isfinite(discount_rate) and discount_rate >= 0):
        raise ValidationError.single("discount_rate", f"must be a finite number >= 0, not {discount_rate!r}")
    if not (isinstance(period, int | float) and math.isfinite(period) and period > 0):
        raise ValidationError.single("period", f"must be a finite number > 0, not {period!r}")
    x, t_x, age = btyd_arrays(frequency, recency, T)
    z = float_array("monetary", monetary, minimum=0)
    same_length(frequency=x, monetary=z)
    if isinstance(spend_fit, SpendModel):
        spend = np.asarray(spend_fit.expected_spend(x, z), dtype=np.float64)
    else:
        spend = float_array("spend_fit", spend_fit, minimum=0)
        same_length(frequency=x, spend_fit=spend)
    value = np.zeros(len(x))
    before = np.zeros(len(x))
    for i in range(1, horizon + 1):
        after = np.asarray(transaction_fit.expected_purchases(i * period, x, t_x, age), dtype=np.float64)
        value += (after - before) / (1.0 + discount_rate) ** i
        before = after
    return np.asarray(value * spend, dtype=np.float64)
