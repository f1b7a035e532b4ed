"""The sBG model: the published estimates of Fader & Hardie (2007), curves, DERL, recovery, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from relcore.errors import ValidationError
from relcore.value import ShiftedBetaGeo, ShiftedBetaGeoFit, ShiftedBetaGeoParams

# Fader & Hardie (2007), "How to project customer retention", Table 1: survivors per 1,000, years 0-7
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.mark.parametrize(
    ("survivors", "alpha", "beta"),
    [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)],
    ids=["regular", "high-end"],
)
def test_reproduces_the_published_estimates(survivors: list[int], alpha: float, beta: float) -> None:
    fit = ShiftedBetaGeo().fit(survivors)
    assert round(fit.params.alpha, 3) == alpha
    assert round(fit.params.beta, 3) == beta
    assert fit.standard_errors is not None
    assert fit.standard_errors.alpha > 0
    # the fitted curve stays close to the data it was fitted on (within 3 % of the cohort)
    assert np.max(np.abs(fit.survival(range(len(survivors))) * 1000 - survivors)) < 30


def test_regular_log_likelihood_is_the_papers() -> None:
    assert ShiftedBetaGeo().fit(REGULAR).log_likelihood == pytest.approx(-1680.27, abs=0.01)


def test_curves_agree_with_each_other() -> None:
    fit = ShiftedBetaGeoFit(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
    t = np.arange(1, 30)
    survival = fit.survival(np.arange(0, 30))
    np.testing.assert_allclose(survival[1:] / survival[:-1], fit.retention(t))
    np.testing.assert_allclose(survival[:-1] - survival[1:], fit.churn(t))
    assert np.all(np.diff(fit.retention(t)) > 0)  # the cohort keeps its loyal members


def test_discounted_residual_lifetime_is_the_discounted_sum() -> None:
    fit = ShiftedBetaGeoFit(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
    z = 1 / 1.1
    for n in (0, 3, 10):
        survival = fit.survival(np.arange(n, n + 4000))
        direct = float(np.sum(survival[1:] / survival[0] * z ** np.arange(len(survival) - 1)))
        assert fit.discounted_residual_lifetime([n], 0.1)[0] == pytest.approx(direct, rel=1e-9)
    with pytest.raises(ValidationError):
        fit.discounted_residual_lifetime([0], 0.0)


def test_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(11)
    alpha, beta, size, periods = 1.5, 4.0, 20_000, 12
    churn = rng.beta(alpha, beta, size)
    lifetime = rng.geometric(churn)  # the period in which each customer cancels
    active = [int(np.sum(lifetime > t)) for t in range(periods)]
    fit = ShiftedBetaGeo().fit(active)
    assert fit.standard_errors is not None
    assert abs(fit.params.alpha - alpha) < 4 * fit.standard_errors.alpha
    assert abs(fit.params.beta - beta) < 4 * fit.standard_errors.beta


@pytest.mark.parametrize(
    ("active", "path"),
    [([1000], "active"), ([0, 0], "active[0]"), ([100, 90, 95], "active[2]"), ([100, 50.5], "active[1]"),
     ([100, -1], "active[1]")],
)  # fmt: skip
def test_bad_counts_are_refused(active: list[float], path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ShiftedBetaGeo().fit(active)
    assert caught.value.paths == (path,)
