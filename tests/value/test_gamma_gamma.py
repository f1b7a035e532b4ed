from __future__ import annotations

import attrs
import numpy as np
import pytest
from scipy.special import gammaln

from relcore.errors import ValidationError
from relcore.value.models._gamma_gamma_likelihood import GammaGammaLikelihood
from relcore.value.models.errors import ConvergenceError
from relcore.value.models.gamma_gamma import GammaGamma, GammaGammaFit, GammaGammaParams
from relcore.value.models.simulate import simulate_gamma_gamma
from tests.value.conftest import Cdnow

TRUE = GammaGammaParams(p=6.0, q=4.0, v=15.0)


def test_published_cdnow_estimates(cdnow: Cdnow) -> None:
    """Fader, Hardie & Lee (2005, JMR): p = 6.25, q = 3.74, v = 15.44 on the 946 repeat buyers.

    The file rounds the mean spends to cents, so we allow one unit in the last
    published digit (v comes out at 15.448).
    """
    assert int((cdnow.frequency > 0).sum()) == 946
    fit = GammaGamma().fit(cdnow.frequency, cdnow.monetary)
    for name, value in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert getattr(fit.params, name) == pytest.approx(value, abs=0.01), name
    assert fit.standard_errors is not None
    assert all(se > 0 for se in attrs.astuple(fit.standard_errors))


def _plain_rows(theta: np.ndarray, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Fader & Hardie (2013), the log density of each mean spend, term by term."""
    p, q, v = theta
    return np.asarray(
        gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
        + (p * x - 1) * np.log(z) + p * x * np.log(x) - (p * x + q) * np.log(v + x * z)
    )  # fmt: skip


@pytest.mark.parametrize(
    "theta", [[4.0, 2.5, 10.0], [6.25, 3.74, 15.44], [0.3, 40.0, 900.0], [80.0, 0.5, 0.2]]
)
def test_likelihood_and_analytic_gradient(cdnow: Cdnow, theta: list[float]) -> None:
    repeat = cdnow.frequency > 0
    x, z = cdnow.frequency[repeat], cdnow.monetary[repeat]
    w = np.random.default_rng(3).integers(1, 4, len(x)).astype(float)
    likelihood = GammaGammaLikelihood(x, z, w)
    point = np.array(theta)
    value, gradient = likelihood(point)
    assert value == pytest.approx(float(np.sum(w * _plain_rows(point, x, z))), rel=1e-12)
    for j in range(3):
        step = np.zeros(3)
        step[j] = 1e-6 * point[j]
        numeric = (likelihood(point + step)[0] - likelihood(point - step)[0]) / (2 * step[j])
        assert gradient[j] == pytest.approx(numeric, rel=1e-5, abs=1e-6)


def test_identical_rows_are_merged_into_weights(cdnow: Cdnow) -> None:
    """Mean spends in cents repeat: merging them changes nothing but the work."""
    repeat = cdnow.frequency > 0
    x, z = cdnow.frequency[repeat], cdnow.monetary[repeat]
    assert len(np.unique(np.column_stack([x, z]), axis=0)) < len(x)  # CDNOW has repeated rows
    unique, counts = np.unique(np.column_stack([x, z]), axis=0, return_counts=True)
    merged = GammaGamma().fit(unique[:, 0], unique[:, 1], weights=counts)
    plain = GammaGamma().fit(x, z)
    assert merged.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-12)
    assert attrs.astuple(merged.params) == pytest.approx(attrs.astuple(plain.params), rel=1e-6)


def test_customers_without_repeat_purchases_do_not_change_the_fit(cdnow: Cdnow) -> None:
    repeat = cdnow.frequency > 0
    only_repeat = GammaGamma().fit(cdnow.frequency[repeat], cdnow.monetary[repeat])
    everyone = GammaGamma().fit(cdnow.frequency, cdnow.monetary)
    assert everyone.log_likelihood == pytest.approx(only_repeat.log_likelihood, rel=1e-12)


@pytest.fixture(scope="module")
def simulated() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(99)
    frequency = rng.integers(1, 12, 20_000).astype(float)
    return frequency, simulate_gamma_gamma(TRUE, frequency, rng)


def test_recovers_parameters_within_four_standard_errors(simulated: tuple[np.ndarray, np.ndarray]) -> None:
    fit = GammaGamma().fit(*simulated)
    assert fit.standard_errors is not None
    for name in ("p", "q", "v"):
        estimate, se, truth = (getattr(p, name) for p in (fit.params, fit.standard_errors, TRUE))
        assert 0 < se < 0.2 * truth, name
        assert abs(estimate - truth) < 4 * se, (name, estimate, se)


def test_expected_spend_averages_to_the_population_mean(simulated: tuple[np.ndarray, np.ndarray]) -> None:
    """By the law of total expectation the posterior means average to p v / (q - 1)."""
    spend = GammaGammaFit(TRUE).expected_spend(*simulated)
    population = TRUE.p * TRUE.v / (TRUE.q - 1)
    assert spend.mean() == pytest.approx(population, abs=4 * spend.std() / np.sqrt(len(spend)))
    no_history = GammaGammaFit(TRUE).expected_spend([0], [0.0])
    assert no_history[0] == pytest.approx(population)


def test_more_purchases_pull_towards_the_customer_mean() -> None:
    spend = GammaGammaFit(TRUE).expected_spend([1, 10, 100], [100.0, 100.0, 100.0])
    assert spend[0] < spend[1] < spend[2] < 100.0


def test_bad_rows_are_named() -> None:
    with pytest.raises(ValidationError) as info:
        GammaGamma().fit([1, 2, 3], [10.0, 0.0, 5.0])
    assert info.value.paths == ("monetary[1]",)
    with pytest.raises(ValidationError) as info:
        GammaGamma().fit([1, 2, 3], [10.0, -1.0, 5.0])
    assert info.value.paths == ("monetary[1]",)
    with pytest.raises(ValidationError) as info:
        GammaGamma().fit([1, 2.5, 3], [10.0, 1.0, 5.0])
    assert info.value.paths == ("frequency[1]",)
    with pytest.raises(ValidationError) as info:
        GammaGamma().fit([1, 2], [10.0, 1.0, 5.0])
    assert info.value.paths == ("monetary",)
    with pytest.raises(ValidationError, match="no customer has a repeat purchase"):
        GammaGamma().fit([0, 0], [0.0, 0.0])


def test_expected_spend_is_infinite_where_the_posterior_mean_does_not_exist() -> None:
    # q <= 1: the population mean p v / (q - 1) does not exist; a customer's own purchases restore it
    # once p x + q > 1 (here p = 0.2, q = 0.5: from x = 3 on)
    fit = GammaGammaFit(GammaGammaParams(p=0.2, q=0.5, v=3.0))
    spend = fit.expected_spend([0, 1, 2, 3], [0.0, 10.0, 10.0, 10.0])
    assert np.isinf(spend[:3]).all()
    assert spend[3] == pytest.approx(0.2 * (3.0 + 30.0) / (0.6 + 0.5 - 1))
    assert np.isinf(GammaGammaFit(GammaGammaParams(p=2.0, q=1.0, v=3.0)).expected_spend([0], [0.0])).all()


def test_expected_spend_has_no_mean_where_the_posterior_has_none() -> None:
    """With ``q <= 1`` a new customer's spend has no mean: infinite, never a negative number."""
    fit = GammaGammaFit(GammaGammaParams(p=6.0, q=0.6, v=15.0))
    spend = fit.expected_spend([0, 1, 3], [0.0, 20.0, 20.0])
    assert spend[0] == np.inf
    assert spend[1:] == pytest.approx(6.0 * (15.0 + np.array([1, 3]) * 20.0) / (6.0 * np.array([1, 3]) - 0.4))


def test_a_fit_whose_new_customers_have_no_mean_spend_fails() -> None:
    """Customer means drawn with ``q = 0.6``: 5,000 buyers put the estimate of ``q`` far below 1."""
    rng = np.random.default_rng(11)
    x = rng.integers(1, 8, 5000)
    spend = simulate_gamma_gamma(GammaGammaParams(p=6.0, q=0.6, v=15.0), x, rng)
    with pytest.raises(ConvergenceError, match="with q <= 1 the spend of a new customer has no mean") as info:
        GammaGamma().fit(x, spend)
    assert info.value.last_params["q"] < 0.8
