"""Pareto/NBD: the published CDNOW estimates, the likelihood against quadrature, simulation agreement."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import attrs
import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import gammaln

from relcore.errors import ValidationError
from relcore.testing.synthetic import SyntheticShop
from relcore.value import ParetoNBD, ParetoNBDFit, ParetoNBDParams, rfm_summary
from relcore.value.models import _pareto_nbd_likelihood as likelihood_module
from relcore.value.models._pareto_nbd_likelihood import ParetoNBDLikelihood, _panels
from relcore.value.models.errors import ConvergenceError
from relcore.value.models.simulate import SimulatedBetaGeo, simulate_pareto_nbd
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
    """The likelihood as "alive at T" plus "died at tau in (t_x, T)", the integral by scipy's quad.

    In logs relative to the integrand at ``t_x`` (so that a huge ``s`` neither over- nor
    underflows), with break points at geometric distances from ``t_x`` for quad to
    find a sharply falling integrand.
    """
    r, alpha, s, beta = theta
    out = []
    for xi, ti, Ti in zip(x, t_x, T, strict=True):
        head = gammaln(r + xi) - gammaln(r)

        def powers(t: float, xi: float = xi) -> float:  # log(alpha^r beta^s (alpha + t)^-(r+x) (beta + t)^-s)
            return float(-r * np.log1p(t / alpha) - xi * np.log(alpha + t) - s * np.log1p(t / beta))

        def died(tau: float, xi: float = xi, ti: float = ti) -> float:
            gap = tau - ti
            return float(
                np.exp(-(r + xi) * np.log1p(gap / (alpha + ti)) - (s + 1) * np.log1p(gap / (beta + ti)))
            )

        cuts = np.unique(np.r_[ti, ti + (Ti - ti) * np.logspace(-9, 0, 40)])
        dead = sum(quad(died, a, b, epsabs=0, epsrel=1e-13)[0] for a, b in itertools.pairwise(cuts))
        with np.errstate(divide="ignore"):
            died_term = np.log(s) + powers(ti) - np.log(beta + ti) + np.log(dead)
        out.append(head + np.logaddexp(powers(Ti), died_term))
    return np.array(out)


PARAMETERS = [
    [0.553, 10.58, 0.606, 11.67],  # CDNOW
    [0.553, 10.58, 0.606, 1.67],
    [2.0, 1.0, 3.0, 40.0],
    [0.5, 0.05, 2.0, 5000.0],  # alpha far below beta: the papers' series needs ~1e5 terms
    [3.0, 500.0, 0.3, 0.01],  # beta far below alpha
    [0.62, 112.6, 7.9e5, 4.3e8],  # s and beta running off together, as on a shop's daily data
    [40.0, 2.0, 0.2, 3.0],  # steep in both factors
]


@pytest.mark.parametrize("theta", PARAMETERS)
def test_likelihood_agrees_with_quadrature(cdnow: Cdnow, theta: list[float]) -> None:
    rows = np.r_[0:40, np.argsort(-cdnow.frequency)[:5]]
    x, t_x, T = cdnow.frequency[rows], cdnow.recency[rows], cdnow.T[rows]
    got = ParetoNBDLikelihood(x, t_x, T, np.ones(len(x))).rows(np.array(theta))
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


@pytest.mark.parametrize("theta", PARAMETERS)
def test_gradient_agrees_with_finite_differences(cdnow: Cdnow, theta: list[float]) -> None:
    """The analytic gradient against central differences in log-parameter space."""
    likelihood = ParetoNBDLikelihood(cdnow.frequency, cdnow.recency, cdnow.T, np.ones(len(cdnow.T)))
    point = np.array(theta)
    _, gradient = likelihood(point)
    h = 1e-5
    for j in range(4):
        up, down = point.copy(), point.copy()
        up[j] *= np.exp(h)
        down[j] *= np.exp(-h)
        numeric = (likelihood.value(up) - likelihood.value(down)) / (2 * h)  # d / d log theta_j
        assert point[j] * gradient[j] == pytest.approx(numeric, rel=1e-6, abs=1e-4), j


@pytest.mark.parametrize("theta", PARAMETERS)
def test_each_row_costs_a_few_panels(cdnow: Cdnow, theta: list[float]) -> None:
    """The integral costs about the same for any parameters (the papers' series does not)."""
    r, alpha, s, beta = theta
    x, t_x, T = cdnow.frequency, cdnow.recency, cdnow.T
    m = min(alpha, beta)
    with np.errstate(divide="ignore"):
        end = np.log((m + T) / (m + t_x))
    rows, *_ = _panels(r + x, s + 1, alpha + t_x, beta + t_x, m + t_x, end, alpha_is_min=alpha <= beta)
    assert np.bincount(rows).max() <= 12


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


@pytest.fixture(scope="module")
def shop_days() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Data shaped like ``relcore demo``'s: the synthetic shop's GBP customers, summarised in days.

    The shop draws dropouts as BG/NBD does, and for these customers the
    Pareto/NBD likelihood keeps rising as ``s`` and ``beta`` grow together:
    on them the fit once ran for more than ten minutes, each evaluation slower
    than the last (the hypergeometric series needs ~beta / alpha terms).
    """
    shop = SyntheticShop(customers=5000, seed=0)
    ids, times = [], []
    for profile in shop.profiles():
        if profile.currency == "GBP":
            for when in shop.order_times(profile):
                ids.append(profile.index)
                times.append(when)
    summary = rfm_summary(ids, times, [1.0] * len(ids), observation_end=shop.end, period=timedelta(days=1))
    return summary.frequency, summary.recency, summary.T


def test_a_fit_on_demo_shaped_data_ends_within_its_budget(
    shop_days: tuple[np.ndarray, np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fit or a reason, after a bounded number of evaluations that each cost a few panels a row."""
    evaluations, panels = [0], [0]
    real_call, real_panels = ParetoNBDLikelihood.__call__, likelihood_module._panels

    def counted_call(self: ParetoNBDLikelihood, theta: np.ndarray) -> tuple[float, np.ndarray]:
        evaluations[0] += 1
        return real_call(self, theta)

    def counted_panels(*args: Any, **kwargs: Any) -> Any:
        found = real_panels(*args, **kwargs)
        panels[0] = max(panels[0], int(np.bincount(found[0]).max(initial=0)))
        return found

    monkeypatch.setattr(ParetoNBDLikelihood, "__call__", counted_call)
    monkeypatch.setattr(likelihood_module, "_panels", counted_panels)
    x, t_x, T = shop_days
    outcome: ParetoNBDFit | ConvergenceError
    try:
        outcome = ParetoNBD().fit(x, t_x, T)
    except ConvergenceError as error:
        outcome = error
    if isinstance(outcome, ConvergenceError):
        assert outcome.reason
    else:
        assert np.isfinite(outcome.expected_purchases(360.0, x, t_x, T)).all()
    assert evaluations[0] <= ParetoNBD().max_evaluations + 2 * 4 + 2
    assert panels[0] <= 12
