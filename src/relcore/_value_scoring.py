"""Scoring one currency's customers for the value refresh (numpy and scipy load here)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from relcore.errors import ValidationError
from relcore.ids import CustomerId
from relcore.value import BetaGeo, rfm_summary
from relcore.value.errors import ConvergenceError

if TYPE_CHECKING:
    from relcore.value_refresh import ValueSettings, _Ledger

__all__ = ["score_currency"]


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
