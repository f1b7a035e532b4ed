"""The sBG model against its simulation."""

from __future__ import annotations

import numpy as np
import pytest

from relcore.value import ShiftedBetaGeo, ShiftedBetaGeoFit, ShiftedBetaGeoParams
from relcore.value.models.simulate import simulate_shifted_beta_geo

TRUE = ShiftedBetaGeoParams(alpha=0.7, beta=1.2)


def test_survival_agrees_with_the_simulation() -> None:
    size = 50_000
    active = simulate_shifted_beta_geo(TRUE, size, 10, np.random.default_rng(21))
    survival = ShiftedBetaGeoFit(TRUE).survival(np.arange(11))
    share = active / size
    assert share == pytest.approx(survival, abs=4 * np.sqrt(survival * (1 - survival) / size).max())


def test_fit_recovers_the_simulated_parameters() -> None:
    active = simulate_shifted_beta_geo(TRUE, 20_000, 8, np.random.default_rng(22))
    fit = ShiftedBetaGeo().fit(active)
    assert fit.standard_errors is not None
    assert abs(fit.params.alpha - TRUE.alpha) < 4 * fit.standard_errors.alpha
    assert abs(fit.params.beta - TRUE.beta) < 4 * fit.standard_errors.beta
