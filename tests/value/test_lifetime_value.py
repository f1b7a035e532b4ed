"""The discounted CLV: definition, units, every purchase model."""

from __future__ import annotations

import numpy as np
import pytest

from relcore.errors import ValidationError
from relcore.value import (
    BetaGeoFit,
    BetaGeoParams,
    GammaGammaFit,
    GammaGammaParams,
    ModifiedBetaGeoFit,
    ModifiedBetaGeoParams,
    ParetoNBDFit,
    ParetoNBDParams,
    customer_lifetime_value,
)

FITS = [
    BetaGeoFit(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)),
    ModifiedBetaGeoFit(ModifiedBetaGeoParams(r=0.525, alpha=6.183, a=0.891, b=1.614)),
    ParetoNBDFit(ParetoNBDParams(r=0.553, alpha=10.58, s=0.606, beta=11.67)),
]
SPEND = GammaGammaFit(GammaGammaParams(p=6.25, q=3.74, v=15.44))
X, TX, T, M = [0, 2, 7], [0.0, 30.43, 37.0], [38.86, 38.86, 38.86], [0.0, 22.35, 40.0]


@pytest.mark.parametrize("fit", FITS, ids=lambda f: type(f).__name__)
def test_is_the_discounted_sum_of_expected_purchases_times_spend(fit: object) -> None:
    clv = customer_lifetime_value(fit, SPEND, X, TX, T, M, horizon=6, discount_rate=0.02, period=4.0)
    spend = SPEND.expected_spend(X, M)
    cumulative = [np.zeros(3)] + [fit.expected_purchases(4.0 * i, X, TX, T) for i in range(1, 7)]  # type: ignore[attr-defined]
    direct = sum((cumulative[i] - cumulative[i - 1]) * spend / 1.02**i for i in range(1, 7))
    np.testing.assert_allclose(clv, direct, rtol=1e-12)
    assert (clv > 0).all()


@pytest.mark.parametrize("fit", FITS, ids=lambda f: type(f).__name__)
def test_without_discounting_it_is_expected_purchases_times_spend(fit: object) -> None:
    clv = customer_lifetime_value(
        fit, [10.0, 20.0, 30.0], X, TX, T, M, horizon=13, discount_rate=0.0, period=4.0
    )
    expected = fit.expected_purchases(52.0, X, TX, T) * np.array([10.0, 20.0, 30.0])  # type: ignore[attr-defined]
    np.testing.assert_allclose(clv, expected, rtol=1e-12)


def test_discounting_lowers_the_value_and_the_period_only_sets_the_grid() -> None:
    fit = FITS[0]
    plain = customer_lifetime_value(fit, SPEND, X, TX, T, M, horizon=52, discount_rate=0.0, period=1.0)
    coarse = customer_lifetime_value(fit, SPEND, X, TX, T, M, horizon=4, discount_rate=0.0, period=13.0)
    np.testing.assert_allclose(plain, coarse, rtol=1e-12)
    discounted = customer_lifetime_value(fit, SPEND, X, TX, T, M, horizon=52, discount_rate=0.01, period=1.0)
    assert (discounted < plain).all()


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"horizon": 0, "discount_rate": 0.1}, "horizon"),
        ({"horizon": 2.5, "discount_rate": 0.1}, "horizon"),
        ({"horizon": 2, "discount_rate": -0.1}, "discount_rate"),
        ({"horizon": 2, "discount_rate": 0.1, "period": 0}, "period"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, float], path: str) -> None:
    with pytest.raises(ValidationError) as info:
        customer_lifetime_value(FITS[0], SPEND, X, TX, T, M, **kwargs)  # type: ignore[arg-type]
    assert info.value.paths == (path,)


def test_bad_rows_are_named() -> None:
    with pytest.raises(ValidationError) as info:
        customer_lifetime_value(FITS[0], SPEND, X, TX, T, [0.0, -1.0, 3.0], horizon=2, discount_rate=0.1)
    assert info.value.paths == ("monetary[1]",)
    with pytest.raises(ValidationError) as info:
        customer_lifetime_value(FITS[0], [1.0, 2.0], X, TX, T, M, horizon=2, discount_rate=0.1)
    assert info.value.paths == ("spend_fit",)
