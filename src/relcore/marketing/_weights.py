"""The per-touch weights of each attribution model, as exact fractions summing to 1.

The formulas are stated in [relcore.marketing.attribution][]; this module holds
them apart from the bookkeeping of windows, campaigns and money.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta

from relcore._kernel import checks as check

__all__ = ["check_span", "touch_weights"]

_MICROSECOND = timedelta(microseconds=1)
# 2^-1075 rounds to 0.0: a touch this many half-lives older than the latest weighs nothing
_UNDERFLOW = 1075


def check_span(field: str, value: object) -> timedelta:
    """Return ``value`` if it is a positive `timedelta`."""
    if not isinstance(value, timedelta):
        raise check.fail(field, f"expected a timedelta, got {check.kind(value)}")
    span = timedelta(value.days, value.seconds, value.microseconds)  # a plain timedelta
    if span <= timedelta(0):
        raise check.fail(field, "must be positive")
    return span


def touch_weights(model: str, ages: Sequence[timedelta], half_life: timedelta) -> tuple[list[int], int]:
    """The weight of each touch, oldest first, given its age at the order (at least one touch).

    Weights are integers over a common denominator, returned with it (their
    sum): touch ``i`` weighs exactly ``weights[i] / total``. Integers keep
    the sums and the money split exact and fast; fractions are made only for
    the credits.
    """
    n = len(ages)
    if model == "first_touch":
        return [1] + [0] * (n - 1), 1
    if model == "last_touch":
        return [0] * (n - 1) + [1], 1
    if model == "linear":
        return [1] * n, n
    if model == "position_based":
        return _u_shaped(n)
    return _time_decay(ages, half_life)


def _u_shaped(n: int) -> tuple[list[int], int]:
    if n <= 2:
        return [1] * n, n
    # 2/5 = 2(n-2)/5(n-2) to the first and the last; 1/5 shared by n-2 middle touches = 1/5(n-2) each
    ends = 2 * (n - 2)
    return [ends] + [1] * (n - 2) + [ends], 5 * (n - 2)


def _time_decay(ages: Sequence[timedelta], half_life: timedelta) -> tuple[list[int], int]:
    youngest = min(ages)
    h = half_life // _MICROSECOND
    relative = [_power_of_half((age - youngest) // _MICROSECOND, h) for age in ages]
    # every relative weight is a dyadic rational p/q (q a power of two): bring them over the largest q
    common = max(q for _, q in relative)
    weights = [p * (common // q) for p, q in relative]
    return weights, sum(weights)


def _power_of_half(age: int, half_life: int) -> tuple[int, int]:
    """``2^(-age/half_life)`` as ``(p, q)``: exact for whole half-lives, else the nearest float, exactly."""
    if age >= _UNDERFLOW * half_life:
        return 0, 1
    halvings, rest = divmod(age, half_life)
    if not rest:
        return 1, 2**halvings
    return math.pow(2.0, -(age / half_life)).as_integer_ratio()  # int / int is correctly rounded
