# mypy's attrs plugin cannot follow the field-aware attrs.Converter converters that make a
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Campaign statistics as pure functions of counts and money: rates, tests, uplift, ROI.

* A [Rate][relcore.marketing.statistics.Rate] is ``successes`` out of
  ``trials`` (responders out of recipients, say), with the Wilson score interval
  ``(p̂ + z²/2n ± z·√(p̂(1-p̂)/n + z²/4n²)) / (1 + z²/n)``, which stays within
  [0, 1] and behaves for small ``n`` and shares near 0 or 1.
* [two_proportion_test][relcore.marketing.statistics.two_proportion_test]
  compares two rates (variant A against B) with the pooled share
  ``p = (x₁ + x₂)/(n₁ + n₂)``: ``z = (p̂₁ - p̂₂)/√(p(1-p)(1/n₁ + 1/n₂))`` and
  the two-sided p-value ``2·Φ(-|z|)``.
* [uplift][relcore.marketing.statistics.uplift] is the difference of shares
  ``p̂ₜ - p̂꜀`` of a treated group over a control group, with the Wald
  (unpooled) interval ``± z·√(p̂ₜ(1-p̂ₜ)/nₜ + p̂꜀(1-p̂꜀)/n꜀)``, clipped to [-1, 1].
* [roi][relcore.marketing.statistics.roi] is ``(revenue - cost)/cost`` and
  [cost_per][relcore.marketing.statistics.cost_per] is ``cost/count`` (cost
  per response, per conversion), both as `Decimal` to 28 significant digits
  whatever the current `decimal` context.

``z`` is the two-sided normal quantile of the ``confidence`` (1.96 for 0.95),
from `statistics.NormalDist`. A figure that is undefined is ``None``, never 0
or infinity: no trials, a cost of 0, a count of 0, or a test whose pooled
share is 0 or 1 (no variance to compare).
"""

from __future__ import annotations

import math
from decimal import Context, Decimal
from statistics import NormalDist

import attrs

from relcore._kernel import checks as check
from relcore._kernel.proportions import wilson_interval, z_value

__all__ = ["Rate", "ZTest", "Uplift", "cost_per", "roi", "two_proportion_test", "uplift"]

_NORMAL = NormalDist()
_DECIMAL = Context(prec=28)
_MAX_COUNT = 2**63 - 1


def _count(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, maximum=_MAX_COUNT)


@attrs.frozen
class Rate:
    """``successes`` out of ``trials``.

    Attributes:
        successes: How many succeeded (responded, converted...), at most ``trials``.
        trials: How many tried (recipients, members...).
    """

    successes: int = attrs.field(converter=attrs.Converter(_count, takes_field=True))
    trials: int = attrs.field(converter=attrs.Converter(_count, takes_field=True))

    def __attrs_post_init__(self) -> None:
        if self.successes > self.trials:
            raise check.fail("successes", "must not exceed trials")

    @property
    def share(self) -> float | None:
        """``successes / trials``, or ``None`` when there were no trials."""
        return self.successes / self.trials if self.trials else None

    def wilson(self, confidence: float = 0.95) -> tuple[float, float] | None:
        """The Wilson score interval of the share at ``confidence``, or ``None`` without trials.

        Raises:
            ValidationError: If ``confidence`` is not strictly between 0 and 1.
        """
        z = z_value(confidence)
        if not self.trials:
            return None
        return wilson_interval(self.successes, self.trials, z)


@attrs.frozen
class ZTest:
    """A two-proportion z-test.

    Attributes:
        z: The statistic; positive when the first rate is the higher.
        p_value: The two-sided p-value, ``2·Φ(-|z|)``.
    """

    z: float
    p_value: float


@attrs.frozen
class Uplift:
    """The difference of two shares, with its Wald interval.

    Attributes:
        difference: ``treated share - control share``, in [-1, 1].
        low: The interval's lower end.
        high: The interval's upper end.
        confidence: The interval's confidence level.
    """

    difference: float
    low: float
    high: float
    confidence: float


def two_proportion_test(a: Rate, b: Rate) -> ZTest | None:
    """Test whether two rates differ, with the pooled standard error.

    Args:
        a: The first rate (variant A).
        b: The second rate (variant B).

    Returns:
        The z statistic and two-sided p-value, or ``None`` when either rate has
        no trials or the pooled share is 0 or 1.

    Raises:
        ValidationError: If ``a`` or ``b`` is not a [Rate][relcore.marketing.statistics.Rate].
    """
    _rate("a", a)
    _rate("b", b)
    if not (a.trials and b.trials):
        return None
    pooled = (a.successes + b.successes) / (a.trials + b.trials)
    variance = pooled * (1.0 - pooled) * (1.0 / a.trials + 1.0 / b.trials)
    if variance <= 0.0:
        return None
    z = (a.successes / a.trials - b.successes / b.trials) / math.sqrt(variance)
    return ZTest(z, min(2.0 * _NORMAL.cdf(-abs(z)), 1.0))


def uplift(treated: Rate, control: Rate, *, confidence: float = 0.95) -> Uplift | None:
    """The uplift of a treated group over a control group, with its Wald (unpooled) interval.

    Args:
        treated: The rate in the group that received the campaign.
        control: The rate in the hold-out group.
        confidence: The interval's confidence level, strictly between 0 and 1.

    Returns:
        The difference of shares and its interval, or ``None`` when either
        rate has no trials.

    Raises:
        ValidationError: If an argument is of the wrong type or value.
    """
    _rate("treated", treated)
    _rate("control", control)
    z = z_value(confidence)
    if not (treated.trials and control.trials):
        return None
    pt, pc = treated.successes / treated.trials, control.successes / control.trials
    se = math.sqrt(pt * (1.0 - pt) / treated.trials + pc * (1.0 - pc) / control.trials)
    difference = pt - pc
    low, high = max(difference - z * se, -1.0), min(difference + z * se, 1.0)
    return Uplift(difference, low, high, float(confidence))


def roi(revenue: Decimal | int | str, cost: Decimal | int | str) -> Decimal | None:
    """The return on investment ``(revenue - cost)/cost``: 0.5 means 50 % more back than spent.

    Args:
        revenue: The attributed revenue.
        cost: The cost, not negative, in the same currency.

    Returns:
        The ratio to 28 significant digits, or ``None`` when the cost is 0.

    Raises:
        ValidationError: If an amount is not a finite decimal, or the cost is negative.
    """
    earned = check.decimal_value("revenue", revenue)
    spent = _cost(cost)
    if not spent:
        return None
    return _DECIMAL.divide(_DECIMAL.subtract(earned, spent), spent)


def cost_per(cost: Decimal | int | str, count: int) -> Decimal | None:
    """The cost per response, conversion or member: ``cost/count``.

    Args:
        cost: The cost, not negative.
        count: How many responses (conversions, members...), not negative.

    Returns:
        The cost per one to 28 significant digits, or ``None`` when ``count`` is 0.

    Raises:
        ValidationError: If the cost is not a finite decimal or is negative, or
            ``count`` is not a whole number ≥ 0.
    """
    spent = _cost(cost)
    how_many = check.positive_int("count", count, maximum=_MAX_COUNT)
    if not how_many:
        return None
    return _DECIMAL.divide(spent, Decimal(how_many))


def _cost(value: object) -> Decimal:
    spent = check.decimal_value("cost", value)
    if spent < 0:
        raise check.fail("cost", "must not be negative")
    return spent


def _rate(field: str, value: object) -> Rate:
    if not isinstance(value, Rate):
        raise check.fail(field, f"expected a Rate, got {check.kind(value)}")
    return value
