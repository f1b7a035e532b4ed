"""The feedback figures as pure maths: golden values, bounds and the edge cases."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relcore.errors import ValidationError
from relcore.feedback import Group, Scale, Tally
from relcore.feedback.metrics import (
    ces_result,
    csat_result,
    nps_result,
    nps_standard_error,
    wilson_interval,
    z_value,
)


def test_golden_nps_from_the_cybaea_example() -> None:
    # p = 0.5, d = 0.2, n = 100: NPS = 50 - 20 = 30; SE = 100 * sqrt((0.5 + 0.2 - 0.3**2) / 100)
    # = 100 * sqrt(0.61 / 100) = 7.8102...
    result = nps_result(Tally(n=100, positive=50, detractors=20))
    assert result.nps == pytest.approx(30.0)
    assert result.se == pytest.approx(100 * math.sqrt(0.61 / 100))
    assert result.se == pytest.approx(7.81, abs=0.005)
    assert (result.promoters, result.passives, result.detractors) == (50, 30, 20)
    z = 1.959963984540054
    assert result.ci_low == pytest.approx(30 - z * result.se)
    assert result.ci_high == pytest.approx(30 + z * result.se)
    assert result.reliable
    assert result.confidence == 0.95


def test_the_confidence_sets_z() -> None:
    assert z_value(0.95) == pytest.approx(1.959963984540054)
    assert z_value(0.9) == pytest.approx(1.6448536269514722)
    wide = nps_result(Tally(n=100, positive=50, detractors=20), confidence=0.99)
    assert wide.ci_high - wide.ci_low == pytest.approx(2 * 2.5758293035489 * wide.se)
    for bad in (0, 1, 1.5, -0.1, True, "0.95", float("nan")):
        with pytest.raises(ValidationError, match="confidence"):
            z_value(bad)  # type: ignore[arg-type]


@given(
    st.integers(1, 5000)
    .flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n)))
    .flatmap(lambda nk: st.tuples(st.just(nk[0]), st.just(nk[1]), st.integers(0, nk[0] - nk[1])))
)
def test_nps_and_its_interval_stay_within_minus_100_and_100(counts: tuple[int, int, int]) -> None:
    n, promoters, detractors = counts
    result = nps_result(Tally(n=n, positive=promoters, detractors=detractors), min_n=30)
    assert result.nps is not None
    assert result.ci_low is not None
    assert result.ci_high is not None
    assert -100.0 <= result.ci_low <= result.nps <= result.ci_high <= 100.0
    assert result.reliable is (n >= 30)
    assert result.promoters + result.passives + result.detractors == n


@pytest.mark.parametrize("which", ["promoters", "passives", "detractors"])
@pytest.mark.parametrize("n", [1, 7, 1000])
def test_the_standard_error_is_zero_when_every_answer_shares_a_class(which: str, n: int) -> None:
    promoters = n if which == "promoters" else 0
    detractors = n if which == "detractors" else 0
    result = nps_result(Tally(n=n, positive=promoters, detractors=detractors))
    assert result.se == 0.0
    assert (
        result.ci_low
        == result.ci_high
        == result.nps
        == {"promoters": 100, "passives": 0, "detractors": -100}[which]
    )
    assert nps_standard_error(promoters, detractors, n) == 0.0


def test_no_answers_give_no_figure_never_zero() -> None:
    empty = nps_result(Tally(), group=Group(channel="sms"))
    assert (empty.n, empty.nps, empty.se, empty.ci_low, empty.ci_high, empty.reliable) == (
        0, None, None, None, None, False,
    )  # fmt: skip
    assert empty.group.channel == "sms"
    csat = csat_result(Tally(), Scale(1, 5))
    assert (csat.share, csat.ci_low, csat.ci_high, csat.reliable) == (None, None, None, False)
    ces = ces_result(Tally(), None)
    assert (ces.mean, ces.sd, ces.share, ces.scale) == (None, None, None, None)


def test_golden_wilson_interval() -> None:
    # 8 positive of 10 at 95 %: z = 1.959964, z^2 = 3.841459, z^2/n = 0.384146.
    # centre = (0.8 + 3.841459/20) / 1.384146 = 0.992073 / 1.384146 = 0.716741
    # half = 1.959964 * sqrt(0.8 * 0.2 / 10 + 3.841459 / 400) / 1.384146
    #      = 1.959964 * sqrt(0.016 + 0.009604) / 1.384146 = 1.959964 * 0.160011 / 1.384146 = 0.226578
    # so (0.716741 - 0.226578, 0.716741 + 0.226578) = (0.490163, 0.943319), to the rounding of the steps
    low, high = wilson_interval(8, 10, z_value(0.95))
    assert low == pytest.approx(0.490163, abs=5e-6)
    assert high == pytest.approx(0.943319, abs=5e-6)
    # 0 of 10: the lower end is 0 and the upper end z^2/(n + z^2) = 3.841459 / 13.841459 = 0.277533
    assert wilson_interval(0, 10, z_value(0.95)) == pytest.approx((0.0, 0.277533), abs=5e-6)
    result = csat_result(Tally(n=10, positive=8), Scale(1, 5), min_n=10)
    assert (result.share, result.reliable) == (0.8, True)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.490163, 0.943319), abs=5e-6)


@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_the_wilson_interval_holds_the_share_within_0_and_1(counts: tuple[int, int]) -> None:
    n, k = counts
    low, high = wilson_interval(k, n, z_value(0.95))
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_golden_ces() -> None:
    # scores 2, 5, 6, 7 on 1-7: mean 5, deviations -3, 0, 1, 2, sample variance 14 / 3
    scores = [2, 5, 6, 7]
    tally = Tally(n=4, positive=3, total=sum(scores), squares=sum(s * s for s in scores))
    result = ces_result(tally, Scale(1, 7), min_n=4)
    assert result.mean == 5.0
    assert result.sd == pytest.approx(math.sqrt(14 / 3))
    assert (result.positive, result.share, result.reliable) == (3, 0.75, True)
    one = ces_result(Tally(n=1, positive=1, total=6, squares=36), Scale(1, 7))
    assert (one.mean, one.sd, one.reliable) == (6.0, None, False)


def test_the_positive_side_of_each_scale() -> None:
    assert Scale(0, 10).positive_from("nps") == 9
    assert Scale(1, 5).positive_from("csat") == 4
    assert Scale(1, 7).positive_from("ces") == 5
    assert Scale(1, 5).positive_from("ces") == 4
    assert Scale(1, 10).positive_from("ces") == 7
    assert Scale(0, 100).positive_from("custom") == 99
