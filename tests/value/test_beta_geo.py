from __future__ import annotations

import attrs
import numpy as np
import pytest
from scipy.special import betaln, gammaln

from relcore.errors import RelcoreError, ValidationError
from relcore.value.models._beta_geo_likelihood import BetaGeoLikelihood
from relcore.value.models.beta_geo import BetaGeo, BetaGeoFit, BetaGeoParams
from relcore.value.models.errors import ConvergenceError
from relcore.value.models.simulate import SimulatedBetaGeo, simulate_beta_geo
from tests.value.conftest import Cdnow

TRUE = BetaGeoParams(r=0.25, alpha=4.0, a=0.8, b=2.5)


def test_published_cdnow_estimates(cdnow: Cdnow) -> None:
    """Fader, Hardie & Lee (2005), section 4: r, alpha, a, b and the log-likelihood."""
    fit = BetaGeo().fit(cdnow.frequency, cdnow.recency, cdnow.T)
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(fit.params, name) == pytest.approx(value, abs=0.0005), name
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    assert fit.standard_errors is not None
    for se, value in zip(attrs.astuple(fit.standard_errors), published.values(), strict=True):
        assert 0 < se < value


def _plain_log_likelihood(theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> float:
    """Eq. 6 of Fader, Hardie & Lee (2005), term by term."""
    r, alpha, a, b = theta
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    first = np.exp(betaln(a, b + x) - (r + x) * np.log(alpha + T))
    second = np.where(
        x > 0, np.exp(betaln(a + 1, np.maximum(b + x - 1, 1e-9)) - (r + x) * np.log(alpha + t_x)), 0.0
    )
    return float(np.sum(head + np.log(first + second)))


@pytest.mark.parametrize("theta", [[0.3, 5.0, 1.2, 2.0], [0.243, 4.414, 0.793, 2.426], [2.0, 0.5, 3.0, 0.7]])
def test_likelihood_and_gradient(cdnow: Cdnow, theta: list[float]) -> None:
    point = np.array(theta)
    likelihood = BetaGeoLikelihood(cdnow.frequency, cdnow.recency, cdnow.T, np.ones(len(cdnow.T)))
    value, gradient = likelihood(point)
    assert value == pytest.approx(
        _plain_log_likelihood(point, cdnow.frequency, cdnow.recency, cdnow.T), rel=1e-12
    )
    for j in range(4):
        step = np.zeros(4)
        step[j] = 1e-6 * point[j]
        numeric = (likelihood(point + step)[0] - likelihood(point - step)[0]) / (2 * step[j])
        assert gradient[j] == pytest.approx(numeric, rel=1e-5, abs=1e-4)


def test_weights_stand_for_repeated_rows(cdnow: Cdnow) -> None:
    rows = np.column_stack([cdnow.frequency, cdnow.recency, cdnow.T])
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    assert len(unique) < len(rows)
    weighted = BetaGeo().fit(unique[:, 0], unique[:, 1], unique[:, 2], weights=counts)
    plain = BetaGeo().fit(cdnow.frequency, cdnow.recency, cdnow.T)
    assert weighted.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-10)
    for got, want in zip(attrs.astuple(weighted.params), attrs.astuple(plain.params), strict=True):
        assert got == pytest.approx(want, rel=1e-5)


def test_time_unit_only_rescales_alpha(cdnow: Cdnow) -> None:
    weeks = BetaGeo().fit(cdnow.frequency, cdnow.recency, cdnow.T)
    days = BetaGeo().fit(cdnow.frequency, cdnow.recency * 7, cdnow.T * 7)
    assert days.params.alpha == pytest.approx(weeks.params.alpha * 7, rel=1e-5)
    for name in ("r", "a", "b"):
        assert getattr(days.params, name) == pytest.approx(getattr(weeks.params, name), rel=1e-5)


@pytest.fixture(scope="module")
def simulated() -> SimulatedBetaGeo:
    rng = np.random.default_rng(20240501)
    return simulate_beta_geo(TRUE, rng.uniform(13.0, 52.0, 30_000), rng, holdout=39.0)


def test_recovers_parameters_within_four_standard_errors(simulated: SimulatedBetaGeo) -> None:
    fit = BetaGeo().fit(simulated.frequency, simulated.recency, simulated.T)
    assert fit.standard_errors is not None
    for name in ("r", "alpha", "a", "b"):
        estimate, se, truth = (getattr(p, name) for p in (fit.params, fit.standard_errors, TRUE))
        assert 0 < se < 0.2 * truth, name
        assert abs(estimate - truth) < 4 * se, (name, estimate, se)


def test_predictions_agree_with_the_simulation(simulated: SimulatedBetaGeo) -> None:
    model = BetaGeoFit(TRUE)
    n = len(simulated.T)
    expected = model.expected_purchases(39.0, simulated.frequency, simulated.recency, simulated.T)
    observed = simulated.holdout_purchases
    assert observed.mean() == pytest.approx(expected.mean(), abs=4 * observed.std() / np.sqrt(n))
    alive = model.probability_alive(simulated.frequency, simulated.recency, simulated.T)
    binomial_se = np.sqrt((alive * (1 - alive)).sum()) / n
    assert simulated.alive.mean() == pytest.approx(alive.mean(), abs=4 * binomial_se)
    assert ((alive > 0) & (alive <= 1)).all()
    assert (alive[simulated.frequency == 0] == 1).all()


def test_new_customer_expectation_agrees_with_the_simulation() -> None:
    rng = np.random.default_rng(5)
    sim = simulate_beta_geo(TRUE, np.full(40_000, 26.0), rng)
    expected = BetaGeoFit(TRUE).expected_purchases_new_customer([0.0, 26.0])
    assert expected[0] == 0
    assert sim.frequency.mean() == pytest.approx(expected[1], abs=4 * sim.frequency.std() / np.sqrt(40_000))


def test_convergence_failure_reports_diagnostics(cdnow: Cdnow) -> None:
    with pytest.raises(ConvergenceError) as info:
        BetaGeo(max_iterations=2).fit(cdnow.frequency, cdnow.recency, cdnow.T)
    error = info.value
    assert isinstance(error, RelcoreError)
    assert error.model == "BetaGeo"
    assert error.iterations == 2
    assert set(error.last_params) == {"r", "alpha", "a", "b"}
    assert error.gradient_norm > 0


def test_results_are_frozen(cdnow: Cdnow) -> None:
    fit = BetaGeo().fit(cdnow.frequency[:200], cdnow.recency[:200], cdnow.T[:200])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fit.params.r = 1.0  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fit.log_likelihood = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "path"),
    [
        ([0, 1, 2], [0, 5, 12], [10, 10, 10], "recency[2]"),
        ([0, 1.5, 2], [0, 5, 6], [10, 10, 10], "frequency[1]"),
        ([0, -1, 2], [0, 5, 6], [10, 10, 10], "frequency[1]"),
        ([0, 1, 2], [0, float("nan"), 6], [10, 10, 10], "recency[1]"),
        ([0, 1, 2], [0, 5, 6], [10, "x", 10], "T[1]"),
        ([0, 1, 2], [1, 5, 6], [10, 10, 10], "recency[0]"),
        ([0, 1, 2], [0, 5], [10, 10, 10], "recency"),
    ],
)
def test_bad_rows_are_named(frequency: list[float], recency: list[float], T: list[object], path: str) -> None:
    with pytest.raises(ValidationError) as info:
        BetaGeo().fit(frequency, recency, T)  # type: ignore[arg-type]
    assert info.value.paths == (path,)
    with pytest.raises(ValidationError) as info:
        BetaGeoFit(TRUE).probability_alive(frequency, recency, T)  # type: ignore[arg-type]
    assert info.value.paths == (path,)


def test_bad_weights_are_named() -> None:
    with pytest.raises(ValidationError) as info:
        BetaGeo().fit([0, 1], [0, 3], [5, 5], weights=[1, -2])
    assert info.value.paths == ("weights[1]",)
    with pytest.raises(ValidationError, match="weights: must not all be zero"):
        BetaGeo().fit([0, 1], [0, 3], [5, 5], weights=[0, 0])


def test_standard_errors_match_the_inverse_hessian_of_the_plain_likelihood(cdnow: Cdnow) -> None:
    """Second differences of eq. 6 in the natural parameters, independent of the fitting code."""
    fit = BetaGeo().fit(cdnow.frequency, cdnow.recency, cdnow.T)
    theta = np.array(attrs.astuple(fit.params))

    def ll(point: np.ndarray) -> float:
        return _plain_log_likelihood(point, cdnow.frequency, cdnow.recency, cdnow.T)

    h = 1e-4 * theta
    hessian = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h[i], np.eye(4)[j] * h[j]
            hessian[i, j] = (
                ll(theta + ei + ej) - ll(theta + ei - ej) - ll(theta - ei + ej) + ll(theta - ei - ej)
            ) / (4 * h[i] * h[j])
    expected = np.sqrt(np.diag(np.linalg.inv(-hessian)))
    assert fit.standard_errors is not None
    assert np.array(attrs.astuple(fit.standard_errors)) == pytest.approx(expected, rel=1e-3)


def test_conditional_expectation_matches_the_paper_form_and_stays_finite() -> None:
    """Eq. 10 of the paper as printed, against the Euler-transformed form the code uses."""
    from scipy.special import hyp2f1

    fit = BetaGeoFit(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    x, t_x, T, t = np.array([0.0, 1, 5, 30]), np.array([0.0, 20, 30, 38]), np.full(4, 39.0), 52.0
    alive = fit.probability_alive(x, t_x, T)
    printed = (
        (a + b + x - 1)
        / (a - 1)
        * (
            1
            - ((alpha + T) / (alpha + T + t)) ** (r + x)
            * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        )
        * alive
    )
    assert fit.expected_purchases(t, x, t_x, T) == pytest.approx(printed, rel=1e-10)
    heavy = fit.expected_purchases(39.0, [200, 1000, 100_000], [38.9, 38.99, 38.999], [39, 39, 39])
    assert np.isfinite(heavy).all()
    assert (heavy >= 0).all()


def test_prediction_inputs_are_checked() -> None:
    fit = BetaGeoFit(TRUE)
    with pytest.raises(ValidationError) as info:
        fit.expected_purchases(-1.0, [0], [0], [5])
    assert info.value.paths == ("t",)
    with pytest.raises(ValidationError) as info:
        fit.expected_purchases_new_customer([1.0, float("inf")])
    assert info.value.paths == ("t[1]",)


def test_data_without_repeat_purchases_is_refused() -> None:
    with pytest.raises(ValidationError, match="frequency: no customer has a repeat purchase"):
        BetaGeo().fit([0, 0, 0], [0, 0, 0], [5, 6, 7])
    with pytest.raises(ValidationError, match="frequency: no customer has a repeat purchase"):
        BetaGeo().fit([], [], [])


def test_data_that_does_not_identify_the_model_raises_convergence_error() -> None:
    with pytest.raises(ConvergenceError, match="BetaGeo did not converge"):
        BetaGeo().fit([1], [2], [5])


def test_probability_of_purchases_is_a_distribution_with_the_expected_mean() -> None:
    fit = BetaGeoFit(TRUE)
    counts = np.arange(3000)
    for t in (1.0, 26.0, 104.0):
        p = fit.probability_of_purchases(counts, t)
        assert (p >= 0).all()
        assert p.sum() == pytest.approx(1.0, abs=1e-9)
        assert (counts * p).sum() == pytest.approx(fit.expected_purchases_new_customer(t)[0], rel=1e-8)


def test_probability_of_purchases_matches_the_simulation() -> None:
    n = 40_000
    sim = simulate_beta_geo(TRUE, np.full(n, 26.0), np.random.default_rng(17))
    p = BetaGeoFit(TRUE).probability_of_purchases([0, 1, 2, 3, 4], 26.0)
    observed = np.bincount(sim.frequency, minlength=5)[:5] / n
    assert observed == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / n).max())
    with pytest.raises(ValidationError) as info:
        BetaGeoFit(TRUE).probability_of_purchases([0, 1.5], 26.0)
    assert info.value.paths == ("n[1]",)
