"""Proportions: the confidence level, its normal quantile, and the Wilson score interval.

Shared by the satisfaction figures (CSAT's interval) and the campaign
statistics (response and conversion rates); the Wilson interval is the one
Wilson (1927) gave, which keeps within [0, 1] and behaves at 0 and n
successes, unlike the normal approximation.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from relcore._kernel import checks as check

__all__ = ["check_confidence", "wilson_interval", "z_value"]

_NORMAL = NormalDist()


def check_confidence(value: object) -> float:
    """Return ``value`` as a float if it is a confidence level strictly between 0 and 1.

    Raises:
        ValidationError: Naming ``confidence`` otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise check.fail("confidence", f"expected a number between 0 and 1, got {check.kind(value)}")
    level = float(value)
    if not 0.0 < level < 1.0:
        raise check.fail("confidence", "must lie strictly between 0 and 1")
    return level


def z_value(confidence: object) -> float:
    """The two-sided standard normal quantile of ``confidence``: 1.959963984540054 for 0.95.

    Raises:
        ValidationError: Naming ``confidence`` if it is not strictly between 0 and 1.
    """
    return _NORMAL.inv_cdf((1.0 + check_confidence(confidence)) / 2.0)


def wilson_interval(positive: int, n: int, z: float) -> tuple[float, float]:
    """The Wilson score interval of the share ``positive / n`` (``n`` ≥ 1), within [0, 1].

    Example:
        >>> low, high = wilson_interval(8, 10, 1.959963984540054)
        >>> round(low, 4), round(high, 4)
        (0.4902, 0.9433)
    """
    share = positive / n
    z2 = z * z
    scale = 1.0 + z2 / n
    centre = (share + z2 / (2 * n)) / scale
    half = z * math.sqrt(share * (1.0 - share) / n + z2 / (4 * n * n)) / scale
    # it always holds the share (0 and 1 exactly at the ends); rounding must not move it past them
    return min(max(centre - half, 0.0), share), max(min(centre + half, 1.0), share)
