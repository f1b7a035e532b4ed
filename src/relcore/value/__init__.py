"""Relationship value: RFM summaries and buy-till-you-die customer models.

Needs the ``analytics`` extra (numpy and scipy): ``pip install relcore[analytics]``.
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
from relcore.value.errors import ConvergenceError
from relcore.value.gamma_gamma import GammaGamma, GammaGammaFit, GammaGammaParams
from relcore.value.rfm import RFMSummary, rfm_summary
from relcore.value.shifted_beta_geo import ShiftedBetaGeo, ShiftedBetaGeoFit, ShiftedBetaGeoParams

__all__ = [
    "BetaGeo",
    "BetaGeoFit",
    "BetaGeoParams",
    "ConvergenceError",
    "GammaGamma",
    "GammaGammaFit",
    "GammaGammaParams",
    "RFMSummary",
    "ShiftedBetaGeo",
    "ShiftedBetaGeoFit",
    "ShiftedBetaGeoParams",
    "rfm_summary",
]
