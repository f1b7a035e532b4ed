"""The feedback figures, as pure functions of counts: NPS, CSAT and CES with their uncertainty.

Every figure is computed from a [Tally][relcore.feedback.metrics.Tally] (how
many answers, how many positive, how many detractors, the sum of the scores
and of their squares), which the stores count in the database; so the same
counts give the same figures on every backend.

* NPS = % promoters - % detractors, from -100 to 100. With ``p`` and ``d``
  the shares of promoters and detractors among ``n`` answers, its standard
  error is ``100·√((p + d - (p - d)²)/n)`` (the variance of a difference of
  two multinomial shares: ``p(1-p)/n + d(1-d)/n + 2pd/n``; cybaea.net, "NPS
  confidence intervals", 2016), and its interval ``NPS ± z·SE``, clipped to
  [-100, 100].
* CSAT = the share of positive (top-two-box) answers, with the Wilson score
  interval ``(p̂ + z²/2n ± z·√(p̂(1-p̂)/n + z²/4n²)) / (1 + z²/n)``, which stays
  within [0, 1] and is sensible for small ``n`` and shares near 0 or 1.
* CES = the mean score and its sample standard deviation (``n - 1``), and
  the share of positive answers (5 or more on 1-7).

``z`` is the two-sided normal quantile of the ``confidence`` (1.96 for 0.95),
from `statistics.NormalDist`. No answers give no figure (``None``, never 0);
fewer than ``min_n`` answers give a figure flagged ``reliable=False``.
"""

from __future__ import annotations

import math
from datetime import date
from uuid import UUID

import attrs

from relcore._kernel.proportions import check_confidence, wilson_interval, z_value
from relcore.feedback.model import Scale

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_MIN_N",
    "CesResult",
    "CsatResult",
    "Group",
    "NpsResult",
    "Tally",
    "ces_result",
    "check_confidence",
    "csat_result",
    "nps_result",
    "nps_standard_error",
    "wilson_interval",
    "z_value",
]

DEFAULT_CONFIDENCE = 0.95
"""The confidence of the intervals when none is asked for."""

DEFAULT_MIN_N = 30
"""Figures over fewer answers are flagged ``reliable=False``."""


@attrs.frozen
class Tally:
    """The counts a figure is computed from.

    Attributes:
        n: How many answers.
        positive: How many are positive (promoters for NPS).
        detractors: How many NPS answers are detractors (0 for the other kinds).
        total: The sum of the scores.
        squares: The sum of the squared scores.
    """

    n: int = 0
    positive: int = 0
    detractors: int = 0
    total: int = 0
    squares: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.n + other.n,
            self.positive + other.positive,
            self.detractors + other.detractors,
            self.total + other.total,
            self.squares + other.squares,
        )


@attrs.frozen
class Group:
    """Which answers a figure covers, by the fields it was grouped by (``None`` for the others).

    Attributes:
        period: The first day of the local period (day, week, month, quarter or year).
        channel: The channel answered on.
        survey: The survey's key (``None`` also for answers without one).
        case_id: The case the answers are about (``None`` also for answers without one).
        campaign_id: The campaign that sent the survey (likewise).
        team: The team of the case the answers are about, as it is now (``None`` also without a case).
        assignee: The assignee of that case, as it is now (likewise): CSAT per agent.
    """

    period: date | None = None
    channel: str | None = None
    survey: str | None = None
    case_id: UUID | None = None
    campaign_id: UUID | None = None
    team: str | None = None
    assignee: str | None = None


def nps_standard_error(promoters: int, detractors: int, n: int) -> float:
    """``100·√((p + d - (p - d)²)/n)``, the standard error of an NPS over ``n`` answers (``n`` ≥ 1)."""
    p, d = promoters / n, detractors / n
    return 100.0 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)


@attrs.frozen(kw_only=True)
class NpsResult:
    """A Net Promoter Score with its counts and its interval.

    Attributes:
        group: The answers it covers.
        n: How many answers.
        promoters: Answers of 9 or 10.
        passives: Answers of 7 or 8.
        detractors: Answers of 0 to 6.
        nps: % promoters - % detractors, from -100 to 100; ``None`` without answers.
        se: Its standard error, in points; ``None`` without answers.
        ci_low: The interval's lower end (``nps - z·se``, at least -100).
        ci_high: Its upper end (``nps + z·se``, at most 100).
        confidence: The interval's confidence.
        reliable: Whether ``n`` reached the minimum asked for.
    """

    group: Group = Group()
    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    reliable: bool


def nps_result(
    tally: Tally,
    *,
    group: Group = Group(),
    confidence: float = DEFAULT_CONFIDENCE,
    min_n: int = DEFAULT_MIN_N,
) -> NpsResult:
    """The NPS of an NPS tally (its positive answers are the promoters).

    Example:
        >>> result = nps_result(Tally(n=100, positive=50, detractors=20))
        >>> result.nps, round(result.se, 2), result.passives
        (30.0, 7.81, 30)
    """
    z = z_value(confidence)
    n, p, d = tally.n, tally.positive, tally.detractors
    if n == 0:
        return NpsResult(
            group=group, n=0, promoters=0, passives=0, detractors=0, nps=None, se=None,
            ci_low=None, ci_high=None, confidence=confidence, reliable=False,
        )  # fmt: skip
    score = 100.0 * (p - d) / n
    se = nps_standard_error(p, d, n)
    return NpsResult(
        group=group, n=n, promoters=p, passives=n - p - d, detractors=d, nps=score, se=se,
        ci_low=max(score - z * se, -100.0), ci_high=min(score + z * se, 100.0),
        confidence=confidence, reliable=n >= min_n,
    )  # fmt: skip


@attrs.frozen(kw_only=True)
class CsatResult:
    """A CSAT: the share of positive (top-two-box) answers, with its Wilson interval.

    Attributes:
        group: The answers it covers.
        scale: The scale they share (``None`` without answers of a kind with no default scale).
        n: How many answers.
        positive: How many are in the top two boxes (4-5 on 1-5).
        share: ``positive / n``, from 0 to 1; ``None`` without answers.
        ci_low: The Wilson interval's lower end.
        ci_high: Its upper end.
        confidence: The interval's confidence.
        reliable: Whether ``n`` reached the minimum asked for.
    """

    group: Group = Group()
    scale: Scale | None
    n: int
    positive: int
    share: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    reliable: bool


def csat_result(
    tally: Tally,
    scale: Scale | None,
    *,
    group: Group = Group(),
    confidence: float = DEFAULT_CONFIDENCE,
    min_n: int = DEFAULT_MIN_N,
) -> CsatResult:
    """The CSAT of a tally on ``scale``."""
    z = z_value(confidence)
    n, k = tally.n, tally.positive
    if n == 0:
        return CsatResult(
            group=group, scale=scale, n=0, positive=0, share=None, ci_low=None, ci_high=None,
            confidence=confidence, reliable=False,
        )  # fmt: skip
    low, high = wilson_interval(k, n, z)
    return CsatResult(
        group=group, scale=scale, n=n, positive=k, share=k / n, ci_low=low, ci_high=high,
        confidence=confidence, reliable=n >= min_n,
    )  # fmt: skip


@attrs.frozen(kw_only=True)
class CesResult:
    """A customer effort score: the mean answer, its spread, and the share of easy answers.

    Attributes:
        group: The answers it covers.
        scale: The scale they share (``None`` without answers of a kind with no default scale).
        n: How many answers.
        mean: The mean score; ``None`` without answers.
        sd: The sample standard deviation (``n - 1``); ``None`` under two answers.
        positive: How many answers are on the easy side (5 or more on 1-7).
        share: ``positive / n``; ``None`` without answers.
        reliable: Whether ``n`` reached the minimum asked for.
    """

    group: Group = Group()
    scale: Scale | None
    n: int
    mean: float | None
    sd: float | None
    positive: int
    share: float | None
    reliable: bool


def ces_result(
    tally: Tally, scale: Scale | None, *, group: Group = Group(), min_n: int = DEFAULT_MIN_N
) -> CesResult:
    """The CES of a tally on ``scale``; the spread is computed exactly from the integer sums."""
    n = tally.n
    if n == 0:
        return CesResult(
            group=group, scale=scale, n=0, mean=None, sd=None, positive=0, share=None, reliable=False
        )
    sd = None
    if n > 1:
        spread = n * tally.squares - tally.total * tally.total  # n² times the biased variance, exact
        sd = math.sqrt(spread / (n * (n - 1)))
    return CesResult(
        group=group, scale=scale, n=n, mean=tally.total / n, sd=sd, positive=tally.positive,
        share=tally.positive / n, reliable=n >= min_n,
    )  # fmt: skip
