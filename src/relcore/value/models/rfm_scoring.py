"""RFM quintile scores and the named RFM segments.

Each customer gets a score from 1 (worst) to 5 (best) for recency (time
since the last purchase, shorter is better), frequency and monetary value,
by quintile of rank among all customers (Hughes 1994, *Strategic Database
Marketing*). The named segments are the usual recency-by-frequency grid
(champions, loyal customers, ..., lost); the mapping is data
(`DEFAULT_RFM_SEGMENTS`) and can be replaced.

Ties: customers with equal values share the lowest score of their group
(``1 + floor(5 k / n)``, ``k`` the number of customers with a strictly worse
value), so scores never depend on the order of the input, and a block of
equal values (many customers with no repeat purchase) is never promoted.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np
import numpy.typing as npt

from relcore.errors import ValidationError
from relcore.value.models._arrays import ArrayLike, IntArray, btyd_arrays, float_array, same_length
from relcore.value.models.tiers import _rank_scores

__all__ = [
    "DEFAULT_RFM_SEGMENTS",
    "RFMScores",
    "RFMSegment",
    "fm_scores",
    "quintile_scores",
    "rfm_scores",
    "rfm_segments",
]


def quintile_scores(values: ArrayLike, *, higher_is_better: bool = True) -> IntArray:
    """Quintile score 1..5 of each value (5 for the best fifth), ties sharing the lower score.

    Example:
        >>> print(*quintile_scores([3.0, 0.0, 0.0, 0.0, 9.0]))
        4 1 1 1 5
        >>> print(*quintile_scores([2.0, 30.0, 7.0], higher_is_better=False))
        4 1 2
    """
    v = float_array("values", values)
    return _rank_scores(v if higher_is_better else -v, 5)


@attrs.frozen(eq=False)
class RFMScores:
    """Recency, frequency and monetary quintile scores, 1 (worst) to 5 (best), one per customer.

    Attributes:
        recency: Score of the time since the last purchase, ``T - recency`` (shorter is better).
        frequency: Score of the repeat purchases.
        monetary: Score of the mean repeat purchase value.
    """

    recency: IntArray
    frequency: IntArray
    monetary: IntArray


def rfm_scores(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, monetary: ArrayLike) -> RFMScores:
    """Score each customer of an RFM summary (see [`rfm_summary`][relcore.value.rfm_summary]).

    Args:
        frequency: Repeat purchases ``x``.
        recency: Age at the last repeat purchase ``t_x`` (BTYD recency).
        T: Age at the end of observation; ``T - recency`` is the time since
            the last purchase, which the recency score ranks.
        monetary: Mean value of the repeat purchases.

    Returns:
        The three scores.

    Example:
        >>> s = rfm_scores([0, 4, 1, 9, 2], [0.0, 30.0, 5.0, 38.0, 20.0], [39.0] * 5,
        ...                [0.0, 25.0, 10.0, 40.0, 15.0])
        >>> print(*s.recency, "/", *s.frequency, "/", *s.monetary)
        1 4 2 5 3 / 1 4 2 5 3 / 1 4 2 5 3
    """
    x, t_x, age = btyd_arrays(frequency, recency, T)
    z = float_array("monetary", monetary)
    same_length(frequency=x, monetary=z)
    return RFMScores(
        recency=quintile_scores(age - t_x, higher_is_better=False),
        frequency=quintile_scores(x),
        monetary=quintile_scores(z),
    )


def fm_scores(frequency_scores: ArrayLike, monetary_scores: ArrayLike) -> IntArray:
    """The combined FM score: the mean of the F and M scores, halves rounded up.

    For segment grids on (R, FM) rather than (R, F).

    Example:
        >>> print(*fm_scores([1, 4, 5], [2, 4, 2]))
        2 4 4
    """
    f = _scores("frequency_scores", frequency_scores)
    m = _scores("monetary_scores", monetary_scores)
    same_length(frequency_scores=f, monetary_scores=m)
    return np.asarray((f + m + 1) // 2, dtype=np.int64)


@attrs.frozen
class RFMSegment:
    """A named rectangle of the (R, F) score grid, bounds inclusive.

    Attributes:
        name: The segment's name.
        recency: Lowest and highest recency score.
        frequency: Lowest and highest frequency (or FM) score.
    """

    name: str
    recency: tuple[int, int]
    frequency: tuple[int, int]


#: The usual RFM segments on the (R, F) grid; the first that matches names
#: the customer, and customers matching none are ``"others"``.
DEFAULT_RFM_SEGMENTS: tuple[RFMSegment, ...] = (
    RFMSegment("champions", (5, 5), (4, 5)),
    RFMSegment("loyal customers", (3, 5), (4, 5)),
    RFMSegment("potential loyalists", (4, 5), (2, 3)),
    RFMSegment("new customers", (5, 5), (1, 1)),
    RFMSegment("promising", (4, 4), (1, 1)),
    RFMSegment("need attention", (3, 3), (3, 3)),
    RFMSegment("about to sleep", (3, 3), (1, 2)),
    RFMSegment("can't lose them", (1, 2), (5, 5)),
    RFMSegment("at risk", (1, 2), (3, 4)),
    RFMSegment("hibernating", (2, 2), (1, 2)),
    RFMSegment("lost", (1, 1), (1, 2)),
)


def rfm_segments(
    recency_scores: ArrayLike,
    frequency_scores: ArrayLike,
    segments: Sequence[RFMSegment] = DEFAULT_RFM_SEGMENTS,
    *,
    default: str = "others",
) -> npt.NDArray[np.object_]:
    """Name each customer's RFM segment: the first of ``segments`` whose rectangle holds their scores.

    Args:
        recency_scores: R scores, 1 to 5.
        frequency_scores: F scores (or FM scores, see [`fm_scores`][relcore.value.fm_scores]), 1 to 5.
        segments: The segments, tried in order.
        default: The name of customers no segment holds.

    Returns:
        One name per customer.

    Raises:
        ValidationError: A score outside 1..5 or a malformed segment; the path names it.

    Example:
        >>> print(*rfm_segments([5, 1, 3], [5, 1, 3]), sep="; ")
        champions; lost; need attention
    """
    r = _scores("recency_scores", recency_scores)
    f = _scores("frequency_scores", frequency_scores)
    same_length(recency_scores=r, frequency_scores=f)
    for i, segment in enumerate(segments):
        _check_segment(i, segment)
    names = np.full(len(r), default, dtype=object)
    unnamed = np.ones(len(r), dtype=bool)
    for segment in segments:
        (r_low, r_high), (f_low, f_high) = segment.recency, segment.frequency
        hit = unnamed & (r >= r_low) & (r <= r_high) & (f >= f_low) & (f <= f_high)
        names[hit] = segment.name
        unnamed &= ~hit
    return names


def _scores(name: str, values: ArrayLike) -> IntArray:
    scores = float_array(name, values, minimum=1, integer=True)
    if (scores > 5).any():
        i = int(np.argmax(scores > 5))
        raise ValidationError.single(f"{name}[{i}]", f"must be a score from 1 to 5, got {scores[i]!r}")
    return scores.astype(np.int64)


def _check_segment(i: int, segment: object) -> None:
    if not isinstance(segment, RFMSegment):
        raise ValidationError.single(f"segments[{i}]", "must be an RFMSegment")
    if not segment.name:
        raise ValidationError.single(f"segments[{i}].name", "must not be empty")
    for axis in ("recency", "frequency"):
        low, high = getattr(segment, axis)
        if not (1 <= low <= high <= 5):
            raise ValidationError.single(
                f"segments[{i}].{axis}", f"must be 1 <= low <= high <= 5, got {(low, high)}"
            )
