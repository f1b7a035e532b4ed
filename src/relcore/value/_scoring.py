"""Scoring one currency's customers for the value refresh (numpy and scipy load here).

Everything here is the public [`relcore.value`][] toolkit applied to one
currency's orders: [`rfm_summary`][relcore.value.rfm_summary], RFM quintile scores and
named segments (`relcore.value.models.rfm_scoring`), a purchase model fit (BG/NBD,
MBG/NBD or Pareto/NBD, as the settings say) with its P(alive) and expected purchases, a Gamma-Gamma spend fit,
[`customer_lifetime_value`][relcore.value.customer_lifetime_value] over the horizon in steps of
``step_days``, and the customer pyramid ([`customer_pyramid`][relcore.value.customer_pyramid])
cut on the CLV. Where the Gamma-Gamma model cannot be fitted (small or
homogeneous samples), each repeat buyer's own mean spend stands in (the repeat
buyers' mean for the others), and the run's models say why.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from relcore._kernel.money import CURRENCIES
from relcore.errors import ValidationError
from relcore.ids import CustomerId
from relcore.value import (
    BetaGeo,
    BetaGeoFit,
    BetaGeoParams,
    GammaGamma,
    GammaGammaFit,
    GammaGammaParams,
    ModifiedBetaGeo,
    ModifiedBetaGeoFit,
    ModifiedBetaGeoParams,
    ParetoNBD,
    ParetoNBDFit,
    ParetoNBDParams,
    customer_lifetime_value,
    rfm_summary,
)
from relcore.value.models._arrays import FloatArray
from relcore.value.models.errors import ConvergenceError
from relcore.value.models.rfm_scoring import rfm_scores, rfm_segments
from relcore.value.models.tiers import customer_pyramid

if TYPE_CHECKING:
    from relcore.value.services import ValueSettings, _Ledger

__all__ = ["score_currency"]

PurchaseFit = BetaGeoFit | ModifiedBetaGeoFit | ParetoNBDFit

#: settings name -> (model, fit result, parameters, key of its parameters in the run's models)
_PURCHASE_MODELS: dict[str, tuple[Any, Any, Any, str]] = {
    "bg/nbd": (BetaGeo, BetaGeoFit, BetaGeoParams, "beta_geo"),
    "mbg/nbd": (ModifiedBetaGeo, ModifiedBetaGeoFit, ModifiedBetaGeoParams, "modified_beta_geo"),
    "pareto/nbd": (ParetoNBD, ParetoNBDFit, ParetoNBDParams, "pareto_nbd"),
}


def score_currency(
    currency: str, ledger: _Ledger, as_of: datetime, settings: ValueSettings, reuse: dict[str, Any]
) -> tuple[dict[CustomerId, dict[str, Any]], dict[str, Any]]:
    """Return the metrics of the customers of ``currency``, and the models used as JSON.

    ``reuse`` holds a stored run's models for this currency (empty to fit anew):
    a stored purchase model scores without a fit, and then so does the stored
    Gamma-Gamma model or its fallback.
    """
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
        "monetary": _exact_means(x, spend, currency),
        "r_score": scores.recency,
        "f_score": scores.frequency,
        "m_score": scores.monetary,
        "rfm_segment": rfm_segments(scores.recency, scores.frequency),
    }
    models: dict[str, Any] = {"customers": len(x)}
    repeaters = int((x > 0).sum())
    model, fit_type, params_type, key = _PURCHASE_MODELS[settings.purchase_model]
    fit: PurchaseFit
    if key in reuse:
        fit = fit_type(params_type(**reuse[key]))
        models["reused_from"] = reuse["reused_from"]
    elif repeaters < settings.min_customers:
        models["skipped"] = f"{repeaters} repeat customers, fewer than {settings.min_customers}"
        return _rows(summary.customer_ids.tolist(), columns), models
    else:
        try:
            fit = model().fit(x, t_x, age)
        except (ConvergenceError, ValidationError) as problem:
            models["skipped"] = str(problem)[:500]
            return _rows(summary.customer_ids.tolist(), columns), models
        models["log_likelihood"] = float(fit.log_likelihood)
    models[key] = {k: float(v) for k, v in attrs.asdict(fit.params).items()}
    step = settings.step_days / settings.period_days  # one CLV step in the models' time unit
    predicted = {
        "probability_alive": fit.probability_alive(x, t_x, age),
        "expected_purchases": fit.expected_purchases(settings.horizon * step, x, t_x, age),
        "expected spend": _expected_spend(x, spend, models, reuse, reused=key in reuse),
    }
    if all(np.isfinite(values).all() for values in predicted.values()):
        predicted["clv"] = customer_lifetime_value(
            fit,
            predicted.pop("expected spend"),
            x,
            t_x,
            age,
            spend,
            horizon=settings.horizon,
            discount_rate=settings.discount_rate,
            period=step,
        )
    broken = [name for name, values in predicted.items() if not np.isfinite(values).all()]
    if broken:  # models that cannot score these customers are no models: store none of their predictions
        for name in (key, "gamma_gamma", "gamma_gamma_skipped", "log_likelihood"):
            models.pop(name, None)
        models["skipped"] = f"the models' {broken[0]} is not finite for some customers"
        return _rows(summary.customer_ids.tolist(), columns), models
    columns.update(predicted)
    columns["tier"] = customer_pyramid(predicted["clv"], settings.tiers)
    return _rows(summary.customer_ids.tolist(), columns), models


def _exact_means(x: npt.NDArray[Any], spend: FloatArray, currency: str) -> list[Decimal | None]:
    """Each repeat buyer's mean purchase value, exact and rounded half-even to the minor unit.

    ``spend`` is the float mean of whole minor units, so ``spend * x`` is
    within far less than half a unit of the repeat purchases' exact total.
    """
    digits = CURRENCIES[currency]
    unit = Decimal(1).scaleb(-digits)
    means: list[Decimal | None] = []
    for count, mean in zip(x.tolist(), spend.tolist(), strict=True):
        if count <= 0:
            means.append(None)
            continue
        total = round(mean * count * 10**digits)  # minor units
        means.append((Decimal(total).scaleb(-digits) / count).quantize(unit, rounding=ROUND_HALF_EVEN))
    return means


def _rows(ids: list[CustomerId], columns: dict[str, Any]) -> dict[CustomerId, dict[str, Any]]:
    return {cid: {name: _plain(values[i]) for name, values in columns.items()} for i, cid in enumerate(ids)}


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _expected_spend(
    x: npt.NDArray[Any], spend: FloatArray, models: dict[str, Any], reuse: dict[str, Any], *, reused: bool
) -> FloatArray:
    """Gamma-Gamma expected spend, or each repeat buyer's own mean where there is no model.

    Customers without repeat purchases then get the repeat buyers' mean; the
    reason is kept in ``models``.
    """
    repeat = (x > 0) & (spend > 0)
    spend_fit, problem = _spend_model(x[repeat], spend[repeat], reuse, reused=reused)
    if spend_fit is None:
        models["gamma_gamma_skipped"] = problem
        population = float(spend[repeat].mean()) if repeat.any() else 0.0
        return np.where(repeat, spend, population)
    models["gamma_gamma"] = {k: float(v) for k, v in attrs.asdict(spend_fit.params).items()}
    return spend_fit.expected_spend(x, np.where(x > 0, spend, 0.0))


def _spend_model(
    x: npt.NDArray[Any], spend: FloatArray, reuse: dict[str, Any], *, reused: bool
) -> tuple[GammaGammaFit | None, str]:
    """The stored or a freshly fitted Gamma-Gamma model, or ``None`` and why there is none."""
    if "gamma_gamma" in reuse:
        return GammaGammaFit(GammaGammaParams(**reuse["gamma_gamma"])), ""
    if reused:  # the stored run used the buyers' own mean spend: so does this one
        return None, str(reuse.get("gamma_gamma_skipped", "the stored run has no Gamma-Gamma model"))
    if len(spend) and np.ptp(spend) <= 1e-9 * float(spend.max()):
        # no spread between customers: the likelihood grows without end along p, q -> infinity
        return None, "the repeat buyers' mean spends are all equal: no spread for a Gamma-Gamma model to fit"
    try:
        return GammaGamma().fit(x, spend), ""
    except (ConvergenceError, ValidationError) as problem:
        return None, str(problem)[:500]
