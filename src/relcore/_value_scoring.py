"""Scoring one currency's customers for the value refresh (numpy and scipy load here).

Everything here is the public :mod:`relcore.value` toolkit applied to one
currency's orders: :func:`~relcore.value.rfm_summary`, RFM quintile scores and
named segments (:mod:`relcore.value.rfm_scores`), a BG/NBD fit (Fader, Hardie &
Lee 2005) with its P(alive) and expected purchases, a Gamma-Gamma spend fit,
:func:`~relcore.value.customer_lifetime_value` over the horizon in steps of
``step_days``, and the customer pyramid (:func:`~relcore.value.tiers.customer_pyramid`)
cut on the CLV. Where the Gamma-Gamma model cannot be fitted (small or
homogeneous samples), each repeat buyer's own mean spend stands in (the repeat
buyers' mean for the others), and the run's models say why.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from relcore.errors import ValidationError
from relcore.ids import CustomerId
from relcore.value import BetaGeo, GammaGamma, customer_lifetime_value, rfm_summary
from relcore.value._arrays import FloatArray
from relcore.value.errors import ConvergenceError
from relcore.value.rfm_scores import rfm_scores, rfm_segments
from relcore.value.tiers import customer_pyramid

if TYPE_CHECKING:
    from relcore.value_refresh import ValueSettings, _Ledger

__all__ = ["score_currency"]


def score_currency(
    ledger: _Ledger, as_of: datetime, settings: ValueSettings
) -> tuple[dict[CustomerId, dict[str, Any]], dict[str, Any]]:
    """Return the metrics of each customer of one currency, and the fitted models as JSON."""
    summary = rfm_summary(
        ledger.ids,
        ledger.times,
        ledger.amounts,
        observation_end=as_of,
        period=timedelta(days=settings.period_days),
    )
    x, t_x, age, spend = summary.frequency, summary.recency, summary.T, summary.monetary
    scores = rfm_scores(x, t_x, age, spend)
    columns: dict[str, Any] = {
        "frequency": x,
        "recency": t_x,
        "age": age,
        "monetary": np.where(x > 0, spend, np.nan),
        "r_score": scores.recency,
        "f_score": scores.frequency,
        "m_score": scores.monetary,
        "rfm_segment": rfm_segments(scores.recency, scores.frequency),
    }
    models: dict[str, Any] = {"customers": len(x)}
    repeaters = int((x > 0).sum())
    if repeaters < settings.min_customers:
        models["skipped"] = (
            f"{repeaters} customers with a repeat purchase, fewer than {settings.min_customers}"
        )
        return _rows(summary.customer_ids.tolist(), columns), models
    try:
        fit = BetaGeo().fit(x, t_x, age)
    except (ConvergenceError, ValidationError) as problem:
        models["skipped"] = str(problem)[:500]
        return _rows(summary.customer_ids.tolist(), columns), models
    models["beta_geo"] = {k: float(v) for k, v in attrs.asdict(fit.params).items()}
    models["log_likelihood"] = float(fit.log_likelihood)
    step = settings.step_days / settings.period_days  # one CLV step in the models' time unit
    columns["probability_alive"] = fit.probability_alive(x, t_x, age)
    columns["expected_purchases"] = fit.expected_purchases(settings.horizon * step, x, t_x, age)
    clv = customer_lifetime_value(
        fit,
        _expected_spend(x, spend, models),
        x,
        t_x,
        age,
        spend,
        horizon=settings.horizon,
        discount_rate=settings.discount_rate,
        period=step,
    )
    columns["clv"] = clv
    columns["tier"] = customer_pyramid(clv, settings.tiers)
    return _rows(summary.customer_ids.tolist(), columns), models


def _rows(ids: list[CustomerId], columns: dict[str, Any]) -> dict[CustomerId, dict[str, Any]]:
    return {cid: {name: _plain(values[i]) for name, values in columns.items()} for i, cid in enumerate(ids)}


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _expected_spend(x: npt.NDArray[Any], spend: FloatArray, models: dict[str, Any]) -> FloatArray:
    """Gamma-Gamma expected spend, or each repeat buyer's own mean where it cannot be fitted."""
    repeat = (x > 0) & (spend > 0)
    try:
        spend_fit = GammaGamma().fit(x[repeat], spend[repeat])
    except (ConvergenceError, ValidationError) as problem:
        models["gamma_gamma_skipped"] = str(problem)[:500]
        population = float(spend[repeat].mean()) if repeat.any() else 0.0
        return np.where(repeat, spend, population)
    models["gamma_gamma"] = {k: float(v) for k, v in attrs.asdict(spend_fit.params).items()}
    return spend_fit.expected_spend(x, np.where(x > 0, spend, 0.0))
