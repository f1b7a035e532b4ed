"""Deciles, the customer pyramid and Pareto shares: definitions and ties."""

from __future__ import annotations

import numpy as np
import pytest

from relcore.errors import ValidationError
from relcore.value import clv_deciles, customer_pyramid, customers_for_share, pareto_share


def test_deciles_split_distinct_values_into_tenths() -> None:
    values = np.random.default_rng(1).permutation(1000).astype(float)
    deciles = clv_deciles(values)
    assert np.bincount(deciles, minlength=11)[1:].tolist() == [100] * 10
    assert deciles[np.argmax(values)] == 10
    assert deciles[np.argmin(values)] == 1


def test_ties_share_the_lower_decile_whatever_the_order() -> None:
    values = np.array([0.0] * 50 + list(range(1, 51)), dtype=float)
    deciles = clv_deciles(values)
    assert set(deciles[:50].tolist()) == {1}
    shuffled = np.random.default_rng(2).permutation(100)
    assert clv_deciles(values[shuffled]).tolist() == deciles[shuffled].tolist()


def test_pyramid_tiers_hold_the_configured_shares() -> None:
    values = np.random.default_rng(3).permutation(1000).astype(float)
    tiers = customer_pyramid(values)
    counts = {name: int((tiers == name).sum()) for name in ("top", "big", "medium", "small")}
    assert counts == {"top": 10, "big": 40, "medium": 150, "small": 800}
    custom = customer_pyramid(values, (("gold", 0.1), ("silver", 0.2), ("bronze", 1.0)))
    assert (custom == "gold").sum() == 100
    assert (custom == "silver").sum() == 200


def test_pyramid_does_not_promote_a_block_of_equal_values() -> None:
    tiers = customer_pyramid([0.0] * 99 + [5.0])
    assert tiers[-1] == "top"
    assert set(tiers[:-1].tolist()) == {"small"}


@pytest.mark.parametrize(
    ("tiers", "path"),
    [((), "tiers"), ((("a", 0.0), ("b", 1.0)), "tiers[0]"), ((("a", 0.5), ("a", 1.0)), "tiers[1]"),
     ((("a", 0.7), ("b", 0.7), ("c", 1.0)), "tiers")],
)  # fmt: skip
def test_bad_pyramids_are_refused(tiers: tuple[tuple[str, float], ...], path: str) -> None:
    with pytest.raises(ValidationError) as info:
        customer_pyramid([1.0, 2.0], tiers)
    assert info.value.paths == (path,)


def test_pareto_share_and_its_inverse() -> None:
    values = np.random.default_rng(4).pareto(1.2, 5000) + 1
    for top in (0.01, 0.2, 0.5):
        share = pareto_share(values, top)
        assert customers_for_share(values, share) == pytest.approx(top, abs=1e-9)
    assert pareto_share(values, 0.0) == 0.0
    assert pareto_share(values, 1.0) == pytest.approx(1.0)
    assert pareto_share([1.0] * 10, 0.3) == pytest.approx(0.3)


def test_pareto_share_refuses_bad_input() -> None:
    with pytest.raises(ValidationError, match="all zero"):
        pareto_share([0.0, 0.0])
    with pytest.raises(ValidationError) as info:
        pareto_share([1.0, -2.0])
    assert info.value.paths == ("values[1]",)
    with pytest.raises(ValidationError) as info:
        customers_for_share([1.0], 1.5)
    assert info.value.paths == ("share",)
