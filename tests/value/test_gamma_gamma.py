from __future__ import annotations

import attrs
import numpy as np
import pytest

from relcore.errors import ValidationError
from relcore.value.gamma_gamma import GammaGamma, GammaGammaFit, GammaGammaParams, _log_likelihood
from relcore.value.simulate import simulate_gamma_gamma
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


def test_analytic_gradient_matches_finite_differences(cdnow: Cdnow) -> None:
    repeat = cdnow.frequency > 0
    x, z, w = cdnow.frequency[repeat], cdnow.monetary[repeat], np.ones(int(repeat.sum()))
    theta = np.array([4.0, 2.5, 10.0])
    _, gradient = _log_likelihood(theta, x, z, w)
    for j in range(3):
        step = np.zeros(3)
        step[j] = 1e-6 * theta[j]
        numeric = (_log_likelihood(theta + step, x, z, w)[0] - _log_likelihood(theta - step, x, z, w)[0]) / (
            2 * step[j]
        )
        assert gradient[j] == pytest.approx(numeric, rel=1e-5)


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
