"""Pareto/NBD: the published CDNOW estimates, the likelihood against quadrature, simulation agreement."""

from __future__ import annotations

import attrs
import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import gammaln, hyp2f1

from relcore.errors import ValidationError
from relcore.value import ParetoNBD, ParetoNBDFit, ParetoNBDParams
from relcore.value._pareto_nbd_likelihood import ParetoNBDLikelihood, hyp2f1_one, log_likelihood_rows
from relcore.value.errors import ConvergenceError
from relcore.value.simulate import SimulatedBetaGeo, simulate_pareto_nbd
from tests.value.conftest import Cdnow

PUBLISHED = ParetoNBDParams(r=0.553, alpha=10.58, s=0.606, beta=11.67)
TRUE = ParetoNBDParams(r=0.6, alpha=8.0, s=0.8, beta=12.0)


def test_published_cdnow_estimates(cdnow: Cdnow) -> None:
    """Fader, Hardie & Lee (2005), "A note on implementing the Pareto/NBD model": r, alpha, s, beta, LL."""
    fit = ParetoNBD().fit(cdnow.frequency, cdnow.recency, cdnow.T)
    assert round(fit.params.r, 3) == 0.553
    assert round(fit.params.alpha, 2) == 10.58
    assert round(fit.params.s, 3) == 0.606
    assert round(fit.params.beta, 2) == 11.67
    assert fit.log_likelihood == pytest.approx(-9595.0, abs=0.05)
    assert fit.standard_errors is not None
    assert all(se > 0 for se in attrs.astuple(fit.standard_errors))


def _quadrature_rows(theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """The likelihood as "alive at T" plus "died at tau in (t_x, T)", the integral by quadrature."""
    r, alpha, s, beta = theta
    out = []
    for xi, ti, Ti in zip(x, t_x, T, strict=True):
        head = gammaln(r + xi) - gammaln(r) + r * np.log(alpha)

        def died(tau: float, xi: float = xi, head: float = head) -> float:
            return float(
                np.exp(head - (r + xi) * np.log(alpha + tau)) * s * beta**s / (beta + tau) ** (s + 1)
            )

        alive = np.exp(head - (r + xi) * np.log(alpha + Ti)) * (beta / (beta + Ti)) ** s
        out.append(np.log(alive + quad(died, ti, Ti, epsabs=0, epsrel=1e-13)[0]))
    return np.array(out)


@pytest.mark.parametrize(
    "theta", [[0.553, 10.58, 0.606, 11.67], [0.553, 10.58, 0.606, 1.67], [2.0, 1.0, 3.0, 40.0]]
)
def test_likelihood_agrees_with_quadrature(cdnow: Cdnow, theta: list[float]) -> None:
    rows = np.r_[0:40, np.argsort(-cdnow.frequency)[:5]]
    x, t_x, T = cdnow.frequency[rows], cdnow.recency[rows], cdnow.T[rows]
    got = log_likelihood_rows(np.array(theta), x, t_x, T)
    np.testing.assert_allclose(got, _quadrature_rows(np.array(theta), x, t_x, T), rtol=0, atol=1e-10)


def test_probability_alive_is_the_share_of_the_likelihood_from_being_alive(cdnow: Cdnow) -> None:
    fit = ParetoNBDFit(PUBLISHED)
    r, alpha, s, beta = attrs.astuple(PUBLISHED)
    x, t_x, T = cdnow.frequency[:30], cdnow.recency[:30], cdnow.T[:30]
    alive_term = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        - (r + x) * np.log(alpha + T)
        + s * np.log(beta / (beta + T))
    )
    theta = np.array(attrs.astuple(PUBLISHED))
    expected = np.exp(alive_term - _quadrature_rows(theta, x, t_x, T))
    np.testing.assert_allclose(fit.probability_alive(x, t_x, T), expected, rtol=1e-9)


def test_gradient_agrees_with_finite_differences(cdnow: Cdnow) -> None:
    likelihood = ParetoNBDLikelihood(cdnow.frequency, cdnow.recency, cdnow.T, np.ones(len(cdnow.T)))
    point = np.array([0.7, 9.0, 0.5, 14.0])
    _, gradient = likelihood(point)
    for j in range(4):
        step = np.zeros(4)
        step[j] = 1e-6 * point[j]
        numeric = (likelihood.value(point + step) - likelihood.value(point - step)) / (2 * step[j])
        assert gradient[j] == pytest.approx(numeric, rel=1e-5, abs=1e-4)


def _plain_series(m: float, c: float, z: float) -> float:
    total, term, k = 1.0, 1.0, 0
    while term > 1e-18 * total:
        term *= (m + k) / (c + k) * z
        total += term
        k += 1
    return total


@pytest.mark.parametrize(
    ("m", "c", "z"),
    [(0.55, 2.1, 0.5), (200.5, 201.6, 0.999), (1000.5, 1001.2, 0.99), (1.6, 300.0, 0.9999), (3.0, 4.0, 0.0)],
)
def test_series_is_accurate_where_scipy_is_not(m: float, c: float, z: float) -> None:
    got = hyp2f1_one(np.array([m]), np.array([c]), np.array([z]))[0]
    assert got == pytest.approx(_plain_series(m, c, z), rel=1e-12)
    if z < 0.6:
        assert got == pytest.approx(hyp2f1(1, m, c, z), rel=1e-12)


def test_heavy_buyers_stay_finite() -> None:
    fit = ParetoNBDFit(ParetoNBDParams(r=0.5, alpha=0.2, s=0.3, beta=0.01))
    x, t_x, T = [0, 500, 5000, 20_000], [0.0, 30.0, 38.0, 38.99], [39.0] * 4
    alive = fit.probability_alive(x, t_x, T)
    assert np.isfinite(alive).all()
    assert ((alive >= 0) & (alive <= 1)).all()
    assert np.isfinite(fit.expected_purchases(10.0, x, t_x, T)).all()


def test_weights_stand_for_repeated_rows(cdnow: Cdnow) -> None:
    rows = np.column_stack([cdnow.frequency, cdnow.recency, cdnow.T])[:600]
    doubled = np.vstack([rows, rows[:100]])
    plain = ParetoNBD().fit(doubled[:, 0], doubled[:, 1], doubled[:, 2])
    weights = np.r_[np.full(100, 2.0), np.ones(500)]
    weighted = ParetoNBD().fit(rows[:, 0], rows[:, 1], rows[:, 2], weights=weights)
    assert weighted.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-9)
    for got, want in zip(attrs.astuple(weighted.params), attrs.astuple(plain.params), strict=True):
        assert got == pytest.approx(want, rel=1e-4)


@pytest.fixture(scope="module")
def simulated() -> SimulatedBetaGeo:
    rng = np.random.default_rng(20240601)
    return simulate_pareto_nbd(TRUE, rng.uniform(13.0, 52.0, 10_000), rng, holdout=39.0)


def test_recovers_parameters_within_four_standard_errors(simulated: SimulatedBetaGeo) -> None:
    fit = ParetoNBD().fit(simulated.frequency, simulated.recency, simulated.T)
    assert fit.standard_errors is not None
    for name in ("r", "alpha", "s", "beta"):
        estimate, se, truth = (getattr(p, name) for p in (fit.params, fit.standard_errors, TRUE))
        assert abs(estimate - truth) < 4 * se, (name, estimate, se)


def test_predictions_agree_with_the_simulation(simulated: SimulatedBetaGeo) -> None:
    model = ParetoNBDFit(TRUE)
    n = len(simulated.T)
    expected = model.expected_purchases(39.0, simulated.frequency, simulated.recency, simulated.T)
    observed = simulated.holdout_purchases
    assert observed.mean() == pytest.approx(expected.mean(), abs=4 * observed.std() / np.sqrt(n))
    alive = model.probability_alive(simulated.frequency, simulated.recency, simulated.T)
    assert simulated.alive.mean() == pytest.approx(
        alive.mean(), abs=4 * np.sqrt((alive * (1 - alive)).sum()) / n
    )
    for low, high in ((0, 0), (1, 3), (4, 1000)):
        group = (simulated.frequency >= low) & (simulated.frequency <= high)
        spread = 4 * observed[group].std() / np.sqrt(group.sum())
        assert observed[group].mean() == pytest.approx(expected[group].mean(), abs=spread)


def test_new_customer_predictions_agree_with_the_simulation() -> None:
    n = 40_000
    sim = simulate_pareto_nbd(TRUE, np.full(n, 26.0), np.random.default_rng(5))
    fit = ParetoNBDFit(TRUE)
    expected = fit.expected_purchases_new_customer([0.0, 26.0])
    assert expected[0] == 0
    assert sim.frequency.mean() == pytest.approx(expected[1], abs=4 * sim.frequency.std() / np.sqrt(n))
    p = fit.probability_of_purchases([0, 1, 2, 3, 4], 26.0)
    observed = np.bincount(sim.frequency, minlength=5)[:5] / n
    assert observed == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / n).max())


def test_probability_of_purchases_is_a_distribution_with_the_expected_mean() -> None:
    fit = ParetoNBDFit(PUBLISHED)
    counts = np.arange(2000)
    for t in (1.0, 39.0, 104.0):
        p = fit.probability_of_purchases(counts, t)
        assert (p >= 0).all()
        assert p.sum() == pytest.approx(1.0, abs=1e-8)
        assert (counts * p).sum() == pytest.approx(fit.expected_purchases_new_customer(t)[0], rel=1e-7)


def test_expected_purchases_is_continuous_at_s_equal_one() -> None:
    args = (20.0, [0, 3], [0.0, 10.0], [30.0, 30.0])
    at_one = ParetoNBDFit(ParetoNBDParams(0.5, 10.0, 1.0, 12.0)).expected_purchases(*args)
    near = ParetoNBDFit(ParetoNBDParams(0.5, 10.0, 1.0 + 1e-7, 12.0)).expected_purchases(*args)
    np.testing.assert_allclose(at_one, near, rtol=1e-6)


def test_convergence_failure_reports_diagnostics(cdnow: Cdnow) -> None:
    with pytest.raises(ConvergenceError) as info:
        ParetoNBD(max_iterations=2).fit(cdnow.frequency, cdnow.recency, cdnow.T)
    assert info.value.model == "ParetoNBD"
    assert set(info.value.last_params) == {"r", "alpha", "s", "beta"}


def test_bad_input_is_named() -> None:
    with pytest.raises(ValidationError) as info:
        ParetoNBD().fit([0, 1, 2], [0, 5, 12], [10, 10, 10])
    assert info.value.paths == ("recency[2]",)
    with pytest.raises(ValidationError, match="no customer has a repeat purchase"):
        ParetoNBD().fit([0, 0], [0, 0], [5, 6])
    with pytest.raises(ValidationError) as info:
        ParetoNBDFit(PUBLISHED).expected_purchases(-1.0, [0], [0], [5])
    assert info.value.paths == ("t",)
    with pytest.raises(ValidationError) as info:
        ParetoNBDFit(PUBLISHED).probability_of_purchases([0, 1.5], 5.0)
    assert info.value.paths == ("n[1]",)
