"""Summaries of durations: how many, the median and the 90th percentile.

Percentiles interpolate linearly between the closest ranks (Hyndman and Fan's
type 7, the default of numpy's ``percentile`` and of PostgreSQL's
``percentile_cont``): for ``n`` sorted values ``x[0] <= ... <= x[n-1]`` and a
share ``p``, with ``h = (n - 1) * p``, the percentile is
``x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])``. It is computed
on whole microseconds with exact fractions and rounded half to even, so it does
not depend on floating point.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from fractions import Fraction

import attrs

from relcore._kernel import checks as check

__all__ = ["Durations", "percentile"]


def _micros(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds


def percentile(ordered: list[timedelta], share: Fraction) -> timedelta | None:
    """The type-7 percentile ``share`` (between 0 and 1) of the sorted ``ordered``; ``None`` when empty.

    Raises:
        ValidationError: ``share`` is outside [0, 1].
    """
    if not 0 <= share <= 1:
        raise check.fail("share", "expected a share between 0 and 1")
    if not ordered:
        return None
    h = (len(ordered) - 1) * share
    low = int(h)  # h >= 0: floor
    if low + 1 >= len(ordered):
        return ordered[low]
    a, b = _micros(ordered[low]), _micros(ordered[low + 1])
    return timedelta(microseconds=round(a + (h - low) * (b - a)))


@attrs.frozen
class Durations:
    """How many durations were measured, with their median and 90th percentile (type 7).

    Attributes:
        n: How many.
        median: Their median (the 50th percentile); ``None`` when ``n`` is 0.
        p90: Their 90th percentile; ``None`` when ``n`` is 0.
    """

    n: int
    median: timedelta | None
    p90: timedelta | None

    @classmethod
    def of(cls, values: Iterable[timedelta]) -> Durations:
        """Summarise ``values`` (any order).

        Example:
            >>> from datetime import timedelta
            >>> from relcore.service.durations import Durations
            >>> d = Durations.of(timedelta(minutes=m) for m in (10, 20, 30, 40, 100))
            >>> d.n, d.median, d.p90
            (5, datetime.timedelta(seconds=1800), datetime.timedelta(seconds=4560))

        Raises:
            ValidationError: A value is not a `timedelta`.
        """
        ordered: list[timedelta] = []
        for i, value in enumerate(values):
            if not isinstance(value, timedelta):
                raise check.fail(f"values[{i}]", f"expected a timedelta, got {check.kind(value)}")
            ordered.append(value)
        ordered.sort()
        return cls(len(ordered), percentile(ordered, Fraction(1, 2)), percentile(ordered, Fraction(9, 10)))
