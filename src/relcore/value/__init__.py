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
    from relcore.value.models.beta_geo import BetaGeo, BetaGeoFit, BetaGeoParams
    from relcore.value.models.calibration import CalibrationHoldout, calibration_and_holdout
    from relcore.value.models.errors import ConvergenceError
    from relcore.value.models.fit_json import FORMAT_VERSION, ValueFit, fit_from_json, fit_to_json
    from relcore.value.models.gamma_gamma import GammaGamma, GammaGammaFit, GammaGammaParams
    from relcore.value.models.lifetime_value import PurchaseModel, SpendModel, customer_lifetime_value
    from relcore.value.models.modified_beta_geo import (
        ModifiedBetaGeo,
        ModifiedBetaGeoFit,
        ModifiedBetaGeoParams,
    )
    from relcore.value.models.pareto_nbd import ParetoNBD, ParetoNBDFit, ParetoNBDParams
    from relcore.value.models.rfm import RFMSummary, rfm_summary
    from relcore.value.models.rfm_scoring import (
        DEFAULT_RFM_SEGMENTS,
        RFMScores,
        RFMSegment,
        fm_scores,
        quintile_scores,
        rfm_scores,
        rfm_segments,
    )
    from relcore.value.models.shifted_beta_geo import ShiftedBetaGeo, ShiftedBetaGeoFit, ShiftedBetaGeoParams
    from relcore.value.models.tiers import (
        DEFAULT_PYRAMID,
        clv_deciles,
        customer_pyramid,
        customers_for_share,
        pareto_share,
    )

_MODULE_OF = {
    "BetaGeo": "relcore.value.models.beta_geo",
    "BetaGeoFit": "relcore.value.models.beta_geo",
    "BetaGeoParams": "relcore.value.models.beta_geo",
    "CalibrationHoldout": "relcore.value.models.calibration",
    "calibration_and_holdout": "relcore.value.models.calibration",
    "ConvergenceError": "relcore.value.models.errors",
    "FORMAT_VERSION": "relcore.value.models.fit_json",
    "ValueFit": "relcore.value.models.fit_json",
    "fit_from_json": "relcore.value.models.fit_json",
    "fit_to_json": "relcore.value.models.fit_json",
    "GammaGamma": "relcore.value.models.gamma_gamma",
    "GammaGammaFit": "relcore.value.models.gamma_gamma",
    "GammaGammaParams": "relcore.value.models.gamma_gamma",
    "PurchaseModel": "relcore.value.models.lifetime_value",
    "SpendModel": "relcore.value.models.lifetime_value",
    "customer_lifetime_value": "relcore.value.models.lifetime_value",
    "ModifiedBetaGeo": "relcore.value.models.modified_beta_geo",
    "ModifiedBetaGeoFit": "relcore.value.models.modified_beta_geo",
    "ModifiedBetaGeoParams": "relcore.value.models.modified_beta_geo",
    "ParetoNBD": "relcore.value.models.pareto_nbd",
    "ParetoNBDFit": "relcore.value.models.pareto_nbd",
    "ParetoNBDParams": "relcore.value.models.pareto_nbd",
    "RFMSummary": "relcore.value.models.rfm",
    "rfm_summary": "relcore.value.models.rfm",
    "DEFAULT_RFM_SEGMENTS": "relcore.value.models.rfm_scoring",
    "RFMScores": "relcore.value.models.rfm_scoring",
    "RFMSegment": "relcore.value.models.rfm_scoring",
    "fm_scores": "relcore.value.models.rfm_scoring",
    "quintile_scores": "relcore.value.models.rfm_scoring",
    "rfm_scores": "relcore.value.models.rfm_scoring",
    "rfm_segments": "relcore.value.models.rfm_scoring",
    "ShiftedBetaGeo": "relcore.value.models.shifted_beta_geo",
    "ShiftedBetaGeoFit": "relcore.value.models.shifted_beta_geo",
    "ShiftedBetaGeoParams": "relcore.value.models.shifted_beta_geo",
    "DEFAULT_PYRAMID": "relcore.value.models.tiers",
    "clv_deciles": "relcore.value.models.tiers",
    "customer_pyramid": "relcore.value.models.tiers",
    "customers_for_share": "relcore.value.models.tiers",
    "pareto_share": "relcore.value.models.tiers",
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
