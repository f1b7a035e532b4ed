"""MBG/NBD: CDNOW estimates, likelihood and gradient, simulation agreement."""

from __future__ import annotations

import attrs
import numpy as np
import pytest
from scipy.special import betaln, gammaln

from relcore.errors import ValidationError
from relcore.value import (
    BetaGeoFit,
    BetaGeoParams,
    ModifiedBetaGeo,
    ModifiedBetaGeoFit,
    ModifiedBetaGeoParams,
)
from relcore.value.models.modified_beta_geo import _log_likelihood
from relcore.value.models.simulate import SimulatedBetaGeo, simulate_modified_beta_geo
from tests.value.conftest import Cdnow

TRUE = ModifiedBetaGeoParams(r=0.5, alpha=6.0, a=0.9, b=1.6)


def test_cdnow_estimates(cdnow: Cdnow) -> None:
    """The MBG/NBD estimates on the CDNOW sample that other implementations (lifetimes) report."""
    fit = ModifiedBetaGeo().fit(cdnow.frequency, cdnow.recency, cdnow.T)
    expected = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
    for name, value in expected.items():
        assert round(getattr(fit.params, name), 3) == value, name
    assert fit.log_likelihood == pytest.approx(-9582.13, abs=0.01)
    assert fit.standard_errors is not None


def _plain(theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> float:
    """Batislam, Denizel & Filiztekin (2007), the likelihood term by term."""
    r, alpha, a, b = theta
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    first = np.exp(betaln(a, b + x + 1) - (r + x) * np.log(alpha + T))
    second = np.exp(betaln(a + 1, b + x) - (r + x) * np.log(alpha + t_x))
    return float(np.sum(head + np.log(first + second)))


@pytest.mark.parametrize("theta", [[0.525, 6.183, 0.891, 1.614], [2.0, 0.5, 3.0, 0.7]])
def test_likelihood_and_gradient(cdnow: Cdnow, theta: list[float]) -> None:
    point = np.array(theta)
    w = np.ones(len(cdnow.T))
    value, gradient = _log_likelihood(point, cdnow.frequency, cdnow.recency, cdnow.T, w)
    assert value == pytest.approx(_plain(point, cdnow.frequency, cdnow.recency, cdnow.T), rel=1e-12)
    for j in range(4):
        step = np.zeros(4)
        step[j] = 1e-6 * point[j]
        up = _log_likelihood(point + step, cdnow.frequency, cdnow.recency, cdnow.T, w)[0]
        down = _log_likelihood(point - step, cdnow.frequency, cdnow.recency, cdnow.T, w)[0]
        assert gradient[j] == pytest.approx((up - down) / (2 * step[j]), rel=1e-5, abs=1e-4)


@pytest.fixture(scope="module")
def simulated() -> SimulatedBetaGeo:
    rng = np.random.default_rng(20240602)
    return simulate_modified_beta_geo(TRUE, rng.uniform(13.0, 52.0, 30_000), rng, holdout=39.0)


def test_recovers_parameters_within_four_standard_errors(simulated: SimulatedBetaGeo) -> None:
    fit = ModifiedBetaGeo().fit(simulated.frequency, simulated.recency, simulated.T)
    assert fit.standard_errors is not None
    for name in ("r", "alpha", "a", "b"):
        estimate, se, truth = (getattr(p, name) for p in (fit.params, fit.standard_errors, TRUE))
        assert abs(estimate - truth) < 4 * se, (name, estimate, se)


def test_predictions_agree_with_the_simulation(simulated: SimulatedBetaGeo) -> None:
    model = ModifiedBetaGeoFit(TRUE)
    n = len(simulated.T)
    expected = model.expected_purchases(39.0, simulated.frequency, simulated.recency, simulated.T)
    observed = simulated.holdout_purchases
    assert observed.mean() == pytest.approx(expected.mean(), abs=4 * observed.std() / np.sqrt(n))
    alive = model.probability_alive(simulated.frequency, simulated.recency, simulated.T)
    assert simulated.alive.mean() == pytest.approx(
        alive.mean(), abs=4 * np.sqrt((alive * (1 - alive)).sum()) / n
    )
    assert (alive[simulated.frequency == 0] < 1).all()  # unlike BG/NBD


def test_new_customer_predictions_agree_with_the_simulation() -> None:
    n = 40_000
    sim = simulate_modified_beta_geo(TRUE, np.full(n, 26.0), np.random.default_rng(6))
    fit = ModifiedBetaGeoFit(TRUE)
    expected = fit.expected_purchases_new_customer([0.0, 26.0])
    assert expected[0] == 0
    assert sim.frequency.mean() == pytest.approx(expected[1], abs=4 * sim.frequency.std() / np.sqrt(n))
    p = fit.probability_of_purchases([0, 1, 2, 3, 4], 26.0)
    observed = np.bincount(sim.frequency, minlength=5)[:5] / n
    assert observed == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / n).max())


def test_probability_of_purchases_is_a_distribution_with_the_expected_mean() -> None:
    fit = ModifiedBetaGeoFit(TRUE)
    counts = np.arange(3000)
    for t in (1.0, 26.0, 104.0):
        p = fit.probability_of_purchases(counts, t)
        assert p.sum() == pytest.approx(1.0, abs=1e-9)
        assert (counts * p).sum() == pytest.approx(fit.expected_purchases_new_customer(t)[0], rel=1e-8)


def test_weights_and_bad_input(cdnow: Cdnow) -> None:
    rows = np.column_stack([cdnow.frequency, cdnow.recency, cdnow.T])
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    weighted = ModifiedBetaGeo().fit(unique[:, 0], unique[:, 1], unique[:, 2], weights=counts)
    plain = ModifiedBetaGeo().fit(cdnow.frequency, cdnow.recency, cdnow.T)
    assert weighted.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-10)
    assert attrs.astuple(weighted.params) == pytest.approx(attrs.astuple(plain.params), rel=1e-5)
    with pytest.raises(ValidationError) as info:
        ModifiedBetaGeo().fit([0, 1, 2], [1, 5, 6], [10, 10, 10])
    assert info.value.paths == ("recency[0]",)


@pytest.mark.parametrize("modified", [True, False])
@pytest.mark.parametrize(("a", "b"), [(2.55e7, 7.55e7), (1e6, 1e9)])
def test_predictions_stay_right_when_dropout_probabilities_hardly_vary(
    modified: bool, a: float, b: float
) -> None:
    """Huge ``a`` and ``b`` (a fit running towards one dropout probability ``p`` for all) once gave NaN.

    Then the model is close to its limit with ``p`` fixed at the beta mean: alive
    at ``T``, a customer buys ``(1 - (1 + p t / (alpha + T))^-(r + x)) / p`` in the
    next ``t`` (Poisson purchases at a gamma-distributed rate, a dropout chance
    ``p`` after each). The rows include heavy buyers, for whom both forms of the
    hypergeometric term are a vanishing power times an overflowing value.
    """
    r, alpha, t = 1.5, 100.0, 260.0
    fit_type, params_type = (
        (ModifiedBetaGeoFit, ModifiedBetaGeoParams) if modified else (BetaGeoFit, BetaGeoParams)
    )
    fit = fit_type(params_type(r=r, alpha=alpha, a=a, b=b))
    x = np.array([0.0, 1, 4, 40, 3000])
    t_x = np.array([0.0, 50, 250, 290, 299])
    T = np.full(5, 300.0)
    tail = b + x + 1 if modified else b + x  # the beta distribution of p given x, when alive
    p = a / (a + tail)
    odds_dead = a / (tail - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    if not modified:
        odds_dead[x == 0] = 0.0  # BG/NBD customers without repeat purchases are alive
    limit = -np.expm1(-(r + x) * np.log1p(p * t / (alpha + T))) / p / (1 + odds_dead)
    got = fit.expected_purchases(t, x, t_x, T)
    np.testing.assert_allclose(got, limit, rtol=1e-4)
    new = fit.expected_purchases_new_customer([t])[0]
    p_new = a / (a + b + 1) if modified else a / (a + b)
    first_dropout = b / (a + b) if modified else 1.0  # MBG/NBD: may drop out at the first purchase
    assert new == pytest.approx(first_dropout * -np.expm1(-r * np.log1p(p_new * t / alpha)) / p_new, rel=1e-4)
