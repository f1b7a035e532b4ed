"""The per-level interpolation tables agree with the exact hypergeometric terms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import hyp2f1

from relcore.value import BetaGeoFit, BetaGeoParams, ModifiedBetaGeoFit, ModifiedBetaGeoParams
from relcore.value.models._level_table import by_level

positive = st.floats(min_value=0.05, max_value=40.0)


def bg_kept(r: float, a: float, b: float):  # type: ignore[no-untyped-def]
    def kept(level: np.ndarray, u: np.ndarray) -> np.ndarray:
        return np.exp((1 - a) * u) * hyp2f1(a + b - 1 - r, a - 1, a + b + level - 1, -np.expm1(-u))

    return kept


@settings(max_examples=60, deadline=None)
@given(r=positive, a=positive, b=st.floats(min_value=1.01, max_value=40.0), seed=st.integers(0, 2**32 - 1))
def test_tables_match_the_exact_term(r: float, a: float, b: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 50_000
    level = np.minimum(np.floor(rng.exponential(rng.uniform(0.5, 30.0), n)), 40.0)
    u = rng.uniform(0.0, rng.uniform(0.01, 4.0), n)  # at most 41 levels x 33 cells: tables pay
    exact = bg_kept(r, a, b)
    tabulated = by_level(level, u, exact)
    if tabulated is None:  # the intervals it would need make a table too big for 50,000 points
        return
    want = exact(level, u)
    scale = np.maximum(np.abs(want), 1e-300)
    # scipy's hyp2f1 itself is accurate to some 1e-14 here, and the interpolant adds its noise
    assert np.max(np.abs(tabulated - want) / scale) < 1e-12


@pytest.mark.parametrize(
    ("r", "a", "b", "top", "u_max", "used"),
    [
        (0.243, 0.793, 2.426, 80, 2.0, True),  # CDNOW-like: intervals of 1/8 suffice
        (1.0, 6.0, 2.0, 40, 0.25, True),  # fast-varying high levels: intervals are halved
        (1.0, 6.0, 2.0, 40, 40.0, False),  # ... and over a long range that does not pay
    ],
)
def test_tables_are_used_where_they_pay_and_are_accurate(
    r: float, a: float, b: float, top: int, u_max: float, used: bool
) -> None:
    rng = np.random.default_rng(7)
    level = rng.integers(0, top + 1, 100_000).astype(np.float64)
    u = rng.uniform(0.0, u_max, 100_000)
    exact = bg_kept(r, a, b)
    tabulated = by_level(level, u, exact)
    assert (tabulated is not None) == used
    if tabulated is not None:
        np.testing.assert_allclose(tabulated, exact(level, u), rtol=1e-12)


def test_tables_cover_points_exactly_on_cell_edges() -> None:
    level = np.repeat(np.arange(3.0), 4000)
    u = np.tile(np.arange(4000) / 16.0 / 100, 3)  # many points on the half-grid edges j/16
    exact = bg_kept(0.3, 0.8, 2.5)
    tabulated = by_level(level, u, exact)
    assert tabulated is not None
    np.testing.assert_allclose(tabulated, exact(level, u), rtol=1e-13)


@pytest.mark.parametrize(
    ("level", "u"),
    [
        (np.zeros(0), np.zeros(0)),  # nothing to do
        (np.zeros(100), np.linspace(0, 1, 100)),  # too few points
        (np.arange(10_000.0), np.zeros(10_000)),  # a level per point
        (np.zeros(10_000), np.linspace(0, 500, 10_000)),  # a long u range: many cells
        (np.full(10_000, 200_000.0), np.zeros(10_000)),  # a huge level
    ],
)
def test_no_table_when_it_would_not_save_work(level: np.ndarray, u: np.ndarray) -> None:
    assert by_level(level, u, bg_kept(0.3, 0.8, 2.5)) is None


def _direct_bg(fit: BetaGeoFit, t: float, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
    """FHL (2005) eq. 10 written out with scipy's hyp2f1 and no table."""
    r, alpha, a, b = fit.params.r, fit.params.alpha, fit.params.a, fit.params.b
    z = t / (alpha + age + t)
    head = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + age) / (alpha + age + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
    )
    odds_dead = np.where(
        x > 0, a / (b + np.maximum(x, 1) - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x), 0.0
    )
    return np.asarray(head / (1 + odds_dead))


def _histories(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` CDNOW-like (frequency, recency, T) rows with continuous ages."""
    rng = np.random.default_rng(n)
    x = np.floor(rng.exponential(2.0, n))
    age = rng.uniform(1.0, 52.0, n)
    return x, np.where(x > 0, age * rng.uniform(0, 1, n), 0.0), age


@pytest.mark.parametrize("n", [200, 200_000])  # below and above the size where tables pay
def test_bg_expected_purchases_equal_the_direct_formula(n: int) -> None:
    fit = BetaGeoFit(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
    x, t_x, age = _histories(n)
    got = fit.expected_purchases(26.0, x, t_x, age)
    np.testing.assert_allclose(got, _direct_bg(fit, 26.0, x, t_x, age), rtol=1e-10)


@pytest.mark.parametrize("n", [200, 200_000])
def test_mbg_expected_purchases_equal_with_and_without_tables(n: int) -> None:
    fit = ModifiedBetaGeoFit(ModifiedBetaGeoParams(r=0.525, alpha=6.183, a=0.891, b=1.614))
    x, t_x, age = _histories(n)
    got = fit.expected_purchases(39.0, x, t_x, age)
    r, alpha, a, b = fit.params.r, fit.params.alpha, fit.params.a, fit.params.b
    z = 39.0 / (alpha + age + 39.0)
    # Batislam, Denizel & Filiztekin (2007), eq. for E[Y(t) | x, t_x, T], written out directly
    direct = (
        (a + b + x)
        / (a - 1)
        * (1 - ((alpha + age) / (alpha + age + 39.0)) ** (r + x) * hyp2f1(r + x, b + x + 1, a + b + x, z))
        / (1 + a / (b + x) * ((alpha + age) / (alpha + t_x)) ** (r + x))
    )
    np.testing.assert_allclose(got, direct, rtol=1e-10)
