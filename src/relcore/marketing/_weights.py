"""The per-touch weights of each attribution model, as exact fractions summing to 1.

The formulas are stated in [relcore.marketing.attribution][]; this module holds
them apart from the bookkeeping of windows, campaigns and money.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from fractions import Fraction

from relcore._kernel import checks as check

__all__ = ["check_span", "touch_weights"]

_MICROSECOND = timedelta(microseconds=1)
# 2^-1075 rounds to 0.0: a touch this many half-lives older than the latest weighs nothing
_UNDERFLOW = 1075

_FIRST_LAST = Fraction(2, 5)
_MIDDLE = Fraction(1, 5)


def check_span(field: str, value: object) -> timedelta:
    """Return ``value`` if it is a positive `timedelta`."""
    if not isinstance(value, timedelta):
        raise check.fail(field, f"expected a timedelta, got {check.kind(value)}")
    span = timedelta(value.days, value.seconds, value.microseconds)  # a plain timedelta
    if span <= timedelta(0):
        raise check.fail(field, "must be positive")
    return span


def touch_weights(model: str, ages: Sequence[timedelta], half_life: timedelta) -> list[Fraction]:
    """The weight of each touch, oldest first, given its age at the order (at least one touch)."""
    n = len(ages)
    if model == "first_touch":
        return [Fraction(1)] + [Fraction(0)] * (n - 1)
    if model == "last_touch":
        return [Fraction(0)] * (n - 1) + [Fraction(1)]
    if model == "linear":
        return [Fraction(1, n)] * n
    if model == "position_based":
        return _u_shaped(n)
    return _time_decay(ages, half_life)


def _u_shaped(n: int) -> list[Fraction]:
    if n == 1:
        return [Fraction(1)]
    if n == 2:
        return [Fraction(1, 2)] * 2
    middle = _MIDDLE / (n - 2)
    return [_FIRST_LAST] + [middle] * (n - 2) + [_FIRST_LAST]


def _time_decay(ages: Sequence[timedelta], half_life: timedelta) -> list[Fraction]:
    youngest = min(ages)
    h = half_life // _MICROSECOND
    relative = [_power_of_half(Fraction((age - youngest) // _MICROSECOND, h)) for age in ages]
    total = sum(relative, Fraction(0))
    return [r / total for r in relative]


def _power_of_half(x: Fraction) -> Fraction:
    """``2^-x`` for ``x`` ≥ 0: exact for whole ``x``, else the exact value of the nearest float."""
    if x >= _UNDERFLOW:
        return Fraction(0)
    if x.denominator == 1:
        return Fraction(1, 2**x.numerator)
    return Fraction(math.pow(2.0, -float(x)))
