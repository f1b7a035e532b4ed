"""Relationship value: RFM summaries and buy-till-you-die customer models.

Needs the ``analytics`` extra (numpy and scipy): ``pip install -e '.[analytics]'`` in a clone.
``import relcore`` never loads numpy or scipy: the names below are imported
on first use, and the facade's [`Value`][relcore.value.api.Value] namespace
needs none of them. Inputs are plain sequences or numpy arrays; results are
frozen attrs objects holding numpy arrays.

Example:
    >>> from relcore.value import BetaGeoFit, BetaGeoParams
    >>> fit = BetaGeoFit(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
    >>> alive = fit.probability_alive([0, 2], [0.0, 30.43], [38.86, 38.86])
    >>> print(", ".join(f"{p:.3f}" for p in alive))
    1.000, 0.727
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relcore.value.beta_geo import BetaGeo, BetaGeoFit, BetaGeoParams
    from relcore.value.calibration import CalibrationHoldout, calibration_and_holdout
    from relcore.value.errors import ConvergenceError
    from relcore.value.fit_json import FORMAT_VERSION, ValueFit, fit_from_json, fit_to_json
    from relcore.value.gamma_gamma import GammaGamma, GammaGammaFit, GammaGammaParams
    from relcore.value.lifetime_value import PurchaseModel, SpendModel, customer_lifetime_value
    from relcore.value.modified_beta_geo import ModifiedBetaGeo, ModifiedBetaGeoFit, ModifiedBetaGeoParams
    from relcore.value.pareto_nbd import ParetoNBD, ParetoNBDFit, ParetoNBDParams
    from relcore.value.rfm import RFMSummary, rfm_summary
    from relcore.value.rfm_scoring import (
        DEFAULT_RFM_SEGMENTS,
        RFMScores,
        RFMSegment,
        fm_scores,
        quintile_scores,
        rfm_scores,
        rfm_segments,
    )
    from relcore.value.shifted_beta_geo import ShiftedBetaGeo, ShiftedBetaGeoFit, ShiftedBetaGeoParams
    from relcore.value.tiers import (
        DEFAULT_PYRAMID,
        clv_deciles,
        customer_pyramid,
        customers_for_share,
        pareto_share,
    )

_MODULE_OF = {
    "BetaGeo": "relcore.value.beta_geo",
    "BetaGeoFit": "relcore.value.beta_geo",
    "BetaGeoParams": "relcore.value.beta_geo",
    "CalibrationHoldout": "relcore.value.calibration",
    "calibration_and_holdout": "relcore.value.calibration",
    "ConvergenceError": "relcore.value.errors",
    "FORMAT_VERSION": "relcore.value.fit_json",
    "ValueFit": "relcore.value.fit_json",
    "fit_from_json": "relcore.value.fit_json",
    "fit_to_json": "relcore.value.fit_json",
    "GammaGamma": "relcore.value.gamma_gamma",
    "GammaGammaFit": "relcore.value.gamma_gamma",
    "GammaGammaParams": "relcore.value.gamma_gamma",
    "PurchaseModel": "relcore.value.lifetime_value",
    "SpendModel": "relcore.value.lifetime_value",
    "customer_lifetime_value": "relcore.value.lifetime_value",
    "ModifiedBetaGeo": "relcore.value.modified_beta_geo",
    "ModifiedBetaGeoFit": "relcore.value.modified_beta_geo",
    "ModifiedBetaGeoParams": "relcore.value.modified_beta_geo",
    "ParetoNBD": "relcore.value.pareto_nbd",
    "ParetoNBDFit": "relcore.value.pareto_nbd",
    "ParetoNBDParams": "relcore.value.pareto_nbd",
    "RFMSummary": "relcore.value.rfm",
    "rfm_summary": "relcore.value.rfm",
    "DEFAULT_RFM_SEGMENTS": "relcore.value.rfm_scoring",
    "RFMScores": "relcore.value.rfm_scoring",
    "RFMSegment": "relcore.value.rfm_scoring",
    "fm_scores": "relcore.value.rfm_scoring",
    "quintile_scores": "relcore.value.rfm_scoring",
    "rfm_scores": "relcore.value.rfm_scoring",
    "rfm_segments": "relcore.value.rfm_scoring",
    "ShiftedBetaGeo": "relcore.value.shifted_beta_geo",
    "ShiftedBetaGeoFit": "relcore.value.shifted_beta_geo",
    "ShiftedBetaGeoParams": "relcore.value.shifted_beta_geo",
    "DEFAULT_PYRAMID": "relcore.value.tiers",
    "clv_deciles": "relcore.value.tiers",
    "customer_pyramid": "relcore.value.tiers",
    "customers_for_share": "relcore.value.tiers",
    "pareto_share": "relcore.value.tiers",
}
"""Where each public name lives; imported on first use (PEP 562) so numpy loads only when needed."""

__all__ = [
    "DEFAULT_PYRAMID",
    "DEFAULT_RFM_SEGMENTS",
    "FORMAT_VERSION",
    "BetaGeo",
    "BetaGeoFit",
    "BetaGeoParams",
    "CalibrationHoldout",
    "ConvergenceError",
    "GammaGamma",
    "GammaGammaFit",
    "GammaGammaParams",
    "ModifiedBetaGeo",
    "ModifiedBetaGeoFit",
    "ModifiedBetaGeoParams",
    "ParetoNBD",
    "ParetoNBDFit",
    "ParetoNBDParams",
    "PurchaseModel",
    "RFMScores",
    "RFMSegment",
    "RFMSummary",
    "ShiftedBetaGeo",
    "ShiftedBetaGeoFit",
    "ShiftedBetaGeoParams",
    "SpendModel",
    "ValueFit",
    "calibration_and_holdout",
    "clv_deciles",
    "customer_lifetime_value",
    "customer_pyramid",
    "customers_for_share",
    "fit_from_json",
    "fit_to_json",
    "fm_scores",
    "pareto_share",
    "quintile_scores",
    "rfm_scores",
    "rfm_segments",
    "rfm_summary",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
