"""Scoring one currency's customers for the value refresh (numpy and scipy load here).

RFM scores are quintiles (1 worst, 5 best) of days since the last purchase,
repeat purchases and mean repeat spend, ranked with ties kept together; the
named segments follow the usual recency-by-frequency grid. The CLV is the
BG/NBD expected purchases in each 30-period step of the horizon, times the
Gamma-Gamma expected spend, discounted per period (Fader, Hardie & Lee 2005,
"RFM and CLV: using iso-value curves for customer base analysis"); where the
Gamma-Gamma model cannot be fitted (small or homogeneous samples) the
customer's own mean spend stands in, and the run's models say so. Tiers cut
the CLV ranking at the top 1 %, 5 % and 20 %.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from relcore.errors import ValidationError
from relcore.ids import CustomerId
from relcore.value import BetaGeo, GammaGamma, rfm_summary
from relcore.value.errors import ConvergenceError

if TYPE_CHECKING:
    from relcore.value_refresh import ValueSettings, _Ledger

__all__ = ["lifetime_value", "quintiles", "rfm_scores", "score_currency", "tiers"]


def score_currency(
    ledger: _Ledger, as_of: datetime, settings: ValueSettings
) -> tuple[dict[CustomerId, dict[str, Any]], dict[str, Any]]:
    """Return the metrics of each customer of one currency, and the fitted model as JSON."""
    period = timedelta(days=settings.period_days)
    summary = rfm_summary(ledger.ids, ledger.times, ledger.amounts, observation_end=as_of, period=period)
    x, t_x, age, spend = summary.frequency, summary.recency, summary.T, summary.monetary
    columns: dict[str, Any] = {
        "frequency": x,
        "recency": t_x,
        "age": age,
        "monetary": np.where(x > 0, spend, np.nan),
    }
    columns.update(rfm_scores(age - t_x, x, spend))
    models: dict[str, Any] = {"customers": len(x)}
    repeaters = int((x > 0).sum())
    if repeaters >= settings.min_customers:
        try:
            fit = BetaGeo().fit(x, t_x, age)
        except (ConvergenceError, ValidationError) as problem:
            models["skipped"] = str(problem)[:500]
        else:
            models["beta_geo"] = {k: float(v) for k, v in attrs.asdict(fit.params).items()}
            models["log_likelihood"] = float(fit.log_likelihood)
            columns["probability_alive"] = fit.probability_alive(x, t_x, age)
            columns["expected_purchases"] = fit.expected_purchases(float(settings.horizon), x, t_x, age)
            expected_spend = _expected_spend(x, spend, models)
            clv = lifetime_value(fit, expected_spend, x, t_x, age, settings)
            columns["clv"] = clv
            columns["tier"] = tiers(clv)
    else:
        models["skipped"] = (
            f"{repeaters} customers with a repeat purchase, fewer than {settings.min_customers}"
        )
    rows: dict[CustomerId, dict[str, Any]] = {}
    for i, customer_id in enumerate(summary.customer_ids.tolist()):
        rows[customer_id] = {name: _plain(values[i]) for name, values in columns.items()}
    return rows, models


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


_SEGMENTS = (
    # (recency scores, frequency scores, name): the first row that matches names the customer
    ((5, 5), (4, 5), "champions"),
    ((3, 5), (4, 5), "loyal customers"),
    ((4, 5), (2, 3), "potential loyalists"),
    ((5, 5), (1, 1), "new customers"),
    ((4, 4), (1, 1), "promising"),
    ((3, 3), (3, 3), "need attention"),
    ((3, 3), (1, 2), "about to sleep"),
    ((1, 2), (5, 5), "can't lose them"),
    ((1, 2), (3, 4), "at risk"),
    ((2, 2), (1, 2), "hibernating"),
    ((1, 1), (1, 2), "lost"),
)


def _expected_spend(x: Any, spend: Any, models: dict[str, Any]) -> Any:
    """Gamma-Gamma expected spend, or each repeat buyer's own mean where it cannot be fitted.

    Customers without repeat purchases then get the repeat buyers' mean; the
    reason is kept in ``models``.
    """
    repeat = (x > 0) & (spend > 0)
    try:
        spend_fit = GammaGamma().fit(x[repeat], spend[repeat])
    except (ConvergenceError, ValidationError) as problem:
        models["gamma_gamma_skipped"] = str(problem)[:500]
        population = float(spend[repeat].mean()) if repeat.any() else 0.0
        return np.where(repeat, spend, population)
    models["gamma_gamma"] = {k: float(v) for k, v in attrs.asdict(spend_fit.params).items()}
    return spend_fit.expected_spend(x, np.where(x > 0, spend, 0.0))


def quintiles(values: Any, *, higher_is_better: bool) -> Any:
    """Scores 1 to 5 by rank; equal values share a score (the lower rank's)."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    key = values if higher_is_better else -values
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    first = np.searchsorted(sorted_key, sorted_key, side="left")  # ties take their first rank
    scores = np.empty(n, dtype=np.int64)
    scores[order] = 1 + (first * 5) // n
    return scores


def rfm_scores(days_since: Any, frequency: Any, spend: Any) -> dict[str, Any]:
    """R, F and M quintile scores and the named RFM segment of each customer."""
    r = quintiles(days_since.astype(np.float64), higher_is_better=False)
    f = quintiles(frequency.astype(np.float64), higher_is_better=True)
    m = quintiles(spend.astype(np.float64), higher_is_better=True)
    names = np.full(len(r), "others", dtype=object)
    unnamed = np.ones(len(r), dtype=bool)
    for (r_low, r_high), (f_low, f_high), name in _SEGMENTS:
        hit = unnamed & (r >= r_low) & (r <= r_high) & (f >= f_low) & (f <= f_high)
        names[hit] = name
        unnamed &= ~hit
    return {"r_score": r, "f_score": f, "m_score": m, "rfm_segment": names}


def lifetime_value(fit: Any, spend: Any, x: Any, t_x: Any, age: Any, settings: ValueSettings) -> Any:
    """Discounted expected value over the horizon, in 30-period steps."""
    step = 30.0
    edges = np.arange(step, settings.horizon + step, step)
    edges[-1] = min(edges[-1], float(settings.horizon))
    value = np.zeros(len(x))
    before = np.zeros(len(x))
    for end in edges:
        purchases = fit.expected_purchases(float(end), x, t_x, age)
        value += (purchases - before) * spend / (1.0 + settings.discount_rate) ** end
        before = purchases
    return value


def tiers(clv: Any) -> Any:
    """``"top 1%"``, ``"top 5%"``, ``"top 20%"`` or ``"rest"`` by CLV rank (ties by order)."""
    n = len(clv)
    order = np.argsort(-clv, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    share = (rank + 1) / max(n, 1)
    return np.select([share <= 0.01, share <= 0.05, share <= 0.20], ["top 1%", "top 5%", "top 20%"], "rest")
