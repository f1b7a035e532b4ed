"""RFM quintile scores and named segments."""

from __future__ import annotations

import numpy as np
import pytest

from relcore.errors import ValidationError
from relcore.value import (
    DEFAULT_RFM_SEGMENTS,
    RFMSegment,
    fm_scores,
    quintile_scores,
    rfm_scores,
    rfm_segments,
)


def test_quintiles_of_distinct_values_are_fifths() -> None:
    values = np.random.default_rng(1).permutation(500).astype(float)
    scores = quintile_scores(values)
    assert np.bincount(scores, minlength=6)[1:].tolist() == [100] * 5
    assert (quintile_scores(values, higher_is_better=False) == 6 - scores).all()


def test_ties_share_the_lower_score_whatever_the_order() -> None:
    values = np.array([0.0] * 60 + list(range(1, 41)), dtype=float)
    scores = quintile_scores(values)
    assert set(scores[:60].tolist()) == {1}
    order = np.random.default_rng(2).permutation(100)
    assert quintile_scores(values[order]).tolist() == scores[order].tolist()


def test_recency_score_ranks_time_since_the_last_purchase() -> None:
    s = rfm_scores([1, 1, 1, 1, 1], [10.0, 5.0, 30.0, 2.0, 1.0], [40.0, 10.0, 31.0, 50.0, 5.0], [1.0] * 5)
    # time since the last purchase: 30, 5, 1, 48, 4
    assert s.recency.tolist() == [2, 3, 5, 1, 4]
    assert s.frequency.tolist() == [1] * 5


def test_every_score_pair_gets_a_name_and_the_grid_is_the_documented_one() -> None:
    r, f = np.meshgrid(np.arange(1, 6), np.arange(1, 6))
    names = rfm_segments(r.ravel(), f.ravel())
    grid = dict(zip(zip(r.ravel().tolist(), f.ravel().tolist(), strict=True), names.tolist(), strict=True))
    assert grid[(5, 5)] == "champions"
    assert grid[(4, 5)] == "loyal customers"
    assert grid[(5, 1)] == "new customers"
    assert grid[(1, 5)] == "can't lose them"
    assert grid[(1, 1)] == "lost"
    assert grid[(2, 3)] == "at risk"
    assert {n for n in names if n == "others"} <= {"others"}
    assert len({s.name for s in DEFAULT_RFM_SEGMENTS}) == len(DEFAULT_RFM_SEGMENTS) == 11


def test_segments_are_configurable_and_checked() -> None:
    mine = [RFMSegment("fans", (4, 5), (4, 5))]
    assert rfm_segments([5, 1], [5, 1], mine, default="rest").tolist() == ["fans", "rest"]
    with pytest.raises(ValidationError) as info:
        rfm_segments([5], [5], [RFMSegment("bad", (4, 6), (1, 5))])
    assert info.value.paths == ("segments[0].recency",)
    with pytest.raises(ValidationError) as info:
        rfm_segments([5, 0], [5, 1])
    assert info.value.paths == ("recency_scores[1]",)
    with pytest.raises(ValidationError) as info:
        rfm_segments([5, 1], [5, 6])
    assert info.value.paths == ("frequency_scores[1]",)


def test_fm_scores_round_halves_up() -> None:
    assert fm_scores([1, 2, 5, 5], [1, 1, 4, 5]).tolist() == [1, 2, 5, 5]
    with pytest.raises(ValidationError) as info:
        fm_scores([1, 2], [1])
    assert info.value.paths == ("monetary_scores",)
