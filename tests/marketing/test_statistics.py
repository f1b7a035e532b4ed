"""Campaign statistics: golden values worked by hand, bounds, undefined figures and validation."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relcore.errors import ValidationError
from relcore.marketing import Rate, cost_per, roi, two_proportion_test, uplift

Z95 = 1.959963984540054


def test_golden_two_proportion_test() -> None:
    # 200/1000 against 150/1000: pooled p = 350/2000 = 0.175;
    # SE = sqrt(0.175 * 0.825 * (1/1000 + 1/1000)) = sqrt(0.00028875) = 0.0169926...;
    # z = (0.20 - 0.15) / 0.0169926 = 2.9424...; p = 2 * Phi(-2.9424) = 2 * 0.0016281 = 0.003256...
    result = two_proportion_test(Rate(200, 1000), Rate(150, 1000))
    assert result is not None
    assert result.z == pytest.approx(0.05 / math.sqrt(0.00028875))
    assert result.z == pytest.approx(2.9424, abs=5e-5)
    assert result.p_value == pytest.approx(0.003256, abs=5e-6)
    swapped = two_proportion_test(Rate(150, 1000), Rate(200, 1000))
    assert swapped is not None
    assert swapped.z == pytest.approx(-result.z)
    assert swapped.p_value == pytest.approx(result.p_value)


def test_equal_rates_give_z_zero_and_p_one() -> None:
    result = two_proportion_test(Rate(30, 100), Rate(60, 200))
    assert result is not None
    assert result.z == 0.0
    assert result.p_value == 1.0


@pytest.mark.parametrize(
    ("a", "b"), [(Rate(0, 0), Rate(1, 10)), (Rate(0, 10), Rate(0, 20)), (Rate(5, 5), Rate(9, 9))]
)
def test_an_undefined_test_is_none(a: Rate, b: Rate) -> None:
    assert two_proportion_test(a, b) is None


def test_golden_wilson_interval() -> None:
    # 200/1000 at 95 %: z^2/n = 3.841459/1000; centre = (0.2 + 0.0019207) / 1.0038415 = 0.201148;
    # half = 1.959964 * sqrt(0.2 * 0.8 / 1000 + 3.841459 / 4e6) / 1.0038415 = 0.0247709
    rate = Rate(200, 1000)
    assert rate.share == 0.2
    interval = rate.wilson()
    assert interval is not None
    assert interval[0] == pytest.approx(0.176377, abs=5e-7)
    assert interval[1] == pytest.approx(0.225919, abs=5e-7)
    # 0/10: the lower end is 0 and the upper z^2/(n + z^2) = 3.841459/13.841459 = 0.27753
    zero = Rate(0, 10).wilson()
    assert zero is not None
    assert zero[0] == 0.0
    assert zero[1] == pytest.approx(Z95**2 / (10 + Z95**2))
    assert Rate(10, 10).wilson() == pytest.approx((10 / (10 + Z95**2), 1.0))


def test_no_trials_give_no_share_and_no_interval() -> None:
    assert Rate(0, 0).share is None
    assert Rate(0, 0).wilson() is None


def test_golden_uplift() -> None:
    # treated 200/1000, control 150/1000: difference 0.05;
    # SE = sqrt(0.2 * 0.8 / 1000 + 0.15 * 0.85 / 1000) = sqrt(0.0002875) = 0.0169558;
    # 95 %: 0.05 -/+ 1.959964 * 0.0169558 = 0.05 -/+ 0.0332328 -> (0.016767, 0.083233)
    result = uplift(Rate(200, 1000), Rate(150, 1000))
    assert result is not None
    assert result.difference == pytest.approx(0.05)
    assert result.low == pytest.approx(0.016767, abs=5e-7)
    assert result.high == pytest.approx(0.083233, abs=5e-7)
    assert result.confidence == 0.95
    assert uplift(Rate(1, 2), Rate(0, 0)) is None
    # both shares certain: no spread, the interval is the difference itself
    certain = uplift(Rate(10, 10), Rate(0, 10), confidence=0.9)
    assert certain is not None
    assert (certain.difference, certain.low, certain.high) == (1.0, 1.0, 1.0)


def test_golden_roi_and_cost_per() -> None:
    assert roi(Decimal("1500.00"), Decimal("1000.00")) == Decimal("0.5")
    assert roi(0, 250) == Decimal(-1)
    assert roi("1", "3") == Decimal("-0.6666666666666666666666666667")  # 28 significant digits
    assert roi(Decimal(100), 0) is None
    assert cost_per(Decimal("100.00"), 3) == Decimal("33.33333333333333333333333333")
    assert cost_per(Decimal("100.00"), 0) is None
    assert cost_per(Decimal("100.00"), 4) == Decimal("25.00")


def test_decimal_figures_ignore_the_ambient_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3
        assert roi("1", "3") == Decimal("-0.6666666666666666666666666667")
        assert cost_per("100", 3) == Decimal("33.33333333333333333333333333")


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda: Rate(11, 10), "successes"),
        (lambda: Rate(-1, 10), "successes"),
        (lambda: Rate(1, True), "trials"),
        (lambda: Rate(1, 10).wilson(1.0), "confidence"),
        (lambda: Rate(1, 10).wilson("0.95"), "confidence"),
        (lambda: two_proportion_test((1, 10), Rate(1, 10)), "a"),
        (lambda: two_proportion_test(Rate(1, 10), None), "b"),
        (lambda: uplift(Rate(1, 10), 0.5), "control"),
        (lambda: uplift(Rate(1, 10), Rate(1, 10), confidence=0), "confidence"),
        (lambda: roi(1.5, 1), "revenue"),
        (lambda: roi(1, -1), "cost"),
        (lambda: roi(1, "NaN"), "cost"),
        (lambda: cost_per(1, -1), "count"),
        (lambda: cost_per(1, 2.0), "count"),
    ],
)
def test_bad_input_is_refused_by_name(call: object, path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.paths == (path,)


_rates = st.integers(0, 10**6).flatmap(lambda n: st.builds(Rate, st.integers(0, n), st.just(n)))


@given(_rates, st.floats(0.5, 0.999))
def test_the_wilson_interval_holds_the_share_within_zero_and_one(rate: Rate, confidence: float) -> None:
    interval = rate.wilson(confidence)
    if rate.trials == 0:
        assert interval is None
        return
    assert interval is not None
    assert rate.share is not None
    assert 0.0 <= interval[0] <= rate.share <= interval[1] <= 1.0


@given(_rates, _rates)
def test_the_test_is_antisymmetric_and_p_is_a_probability(a: Rate, b: Rate) -> None:
    forward, backward = two_proportion_test(a, b), two_proportion_test(b, a)
    assert (forward is None) == (backward is None)
    if forward is not None and backward is not None:
        assert forward.z == pytest.approx(-backward.z)
        assert 0.0 <= forward.p_value <= 1.0


@given(_rates, _rates)
def test_the_uplift_interval_holds_the_difference(treated: Rate, control: Rate) -> None:
    result = uplift(treated, control)
    if not (treated.trials and control.trials):
        assert result is None
        return
    assert result is not None
    assert -1.0 <= result.low <= result.difference <= result.high <= 1.0
