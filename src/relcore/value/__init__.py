"""Relationship value: RFM summaries and buy-till-you-die customer models.

Needs the ``analytics`` extra (numpy and scipy): ``pip install -e '.[analytics]'`` in a clone.
``import relcore`` never imports this package. Inputs are plain sequences or
numpy arrays; results are frozen attrs objects holding numpy arrays.

Example:
    >>> from relcore.value import BetaGeoFit, BetaGeoParams
    >>> fit = BetaGeoFit(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
    >>> alive = fit.probability_alive([0, 2], [0.0, 30.43], [38.86, 38.86])
    >>> print(", ".join(f"{p:.3f}" for p in alive))
    1.000, 0.727
"""

from __future__ import annotations

from relcore.value.beta_geo import BetaGeo, BetaGeoFit, BetaGeoParams
from relcore.value.calibration import CalibrationHoldout, calibration_and_holdout
from relcore.value.errors import ConvergenceError
from relcore.value.fit_json import FORMAT_VERSION, ValueFit, fit_from_json, fit_to_json
from relcore.value.gamma_gamma import GammaGamma, GammaGammaFit, GammaGammaParams
from relcore.value.lifetime_value import PurchaseModel, SpendModel, customer_lifetime_value
from relcore.value.modified_beta_geo import ModifiedBetaGeo, ModifiedBetaGeoFit, ModifiedBetaGeoParams
from relcore.value.pareto_nbd import ParetoNBD, ParetoNBDFit, ParetoNBDParams
from relcore.value.rfm import RFMSummary, rfm_summary
from relcore.value.rfm_scores import (
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
