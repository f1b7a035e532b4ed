"""The calibration / holdout split against a plain Python reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from relcore.errors import ValidationError
from relcore.value import calibration_and_holdout, rfm_summary


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2024, 1, 1, hour, tzinfo=UTC) + timedelta(days=day)


def test_agrees_with_a_plain_python_reference() -> None:
    rng = np.random.default_rng(12)
    n = 4000
    ids = rng.integers(0, 300, n).tolist()
    days = rng.integers(0, 150, n).tolist()
    amounts = np.round(rng.gamma(2.0, 20.0, n), 2).tolist()
    dates = [at(d, int(h)) for d, h in zip(days, rng.integers(0, 24, n), strict=True)]
    split = calibration_and_holdout(
        ids, dates, amounts, calibration_end=at(90, 23), observation_end=at(140, 23)
    )
    calibration = rfm_summary(ids, dates, amounts, observation_end=at(90, 23))
    assert split.customer_ids.tolist() == calibration.customer_ids.tolist()
    for name in ("frequency", "recency", "T", "monetary"):
        np.testing.assert_array_equal(getattr(split, name), getattr(calibration, name))
    known = set(calibration.customer_ids.tolist())
    holdout: dict[int, dict[int, float]] = {}
    for c, d, a in zip(ids, days, amounts, strict=True):
        if c in known and 90 < d <= 140:
            holdout.setdefault(c, {}).setdefault(d, 0.0)
            holdout[c][d] += a
    for i, c in enumerate(split.customer_ids.tolist()):
        periods = holdout.get(c, {})
        assert split.holdout_frequency[i] == len(periods)
        mean = sum(periods.values()) / len(periods) if periods else 0.0
        assert split.holdout_monetary[i] == pytest.approx(mean, rel=1e-12)
    assert split.holdout_duration == 50.0


def test_customers_new_in_the_holdout_are_left_out() -> None:
    split = calibration_and_holdout(
        ["a", "b"], [at(0), at(20)], [1, 2], calibration_end=at(10), observation_end=at(30)
    )
    assert split.customer_ids.tolist() == ["a"]
    assert split.holdout_frequency.tolist() == [0]


def test_results_are_read_only_and_ends_are_checked() -> None:
    split = calibration_and_holdout(["a"], [at(0)], [1], calibration_end=at(1), observation_end=at(2))
    with pytest.raises(ValueError, match="read-only"):
        split.holdout_frequency[0] = 3
    with pytest.raises(ValidationError) as info:
        calibration_and_holdout(["a"], [at(0)], [1], calibration_end=at(5), observation_end=at(2))
    assert info.value.paths == ("observation_end",)
    with pytest.raises(ValidationError) as info:
        calibration_and_holdout(
            ["a", "b"], [at(0), datetime(2024, 1, 3)], [1, 2], calibration_end=at(5), observation_end=at(9)
        )
    assert info.value.paths == ("dates[1]",)
