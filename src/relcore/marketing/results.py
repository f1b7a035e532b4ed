"""A campaign's results as of a moment: counts per variant, rates, the winner, the uplift.

[summarise][relcore.marketing.results.summarise] turns the counts the
adapters return for a [TallyQuery][relcore.marketing.TallyQuery] into
[CampaignResults][relcore.marketing.CampaignResults]; it is pure, so the
same counts give the same results on every backend and every day.

Rates ([Rate][relcore.marketing.statistics.Rate], with Wilson intervals):

| metric         | successes  | trials    |
|----------------|------------|-----------|
| ``reach``      | sent       | members   |
| ``delivery``   | delivered  | sent      |
| ``open``       | opened     | delivered |
| ``click``      | clicked    | delivered |
| ``response``   | responded  | sent      |
| ``conversion`` | converted  | members   |

The response rate is responders over those sent (Salesforce counts a
response per member; the wave-2 reference's "responders / sent"); the
conversion rate is over all members, so that the control group, which is sent
nothing, has one too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Literal

import attrs

from relcore._kernel import checks as check
from relcore.ids import CampaignId
from relcore.marketing.model import Campaign
from relcore.marketing.responses import FUNNEL, TallyQuery, TallyRow
from relcore.marketing.statistics import Rate, Uplift, ZTest, cost_per, two_proportion_test, uplift

__all__ = [
    "METRICS",
    "CampaignResults",
    "Metric",
    "VariantResults",
    "WinnerSent",
    "check_confidence",
    "check_metric",
    "rest_winner",
    "summarise",
]

Metric = Literal["reach", "delivery", "open", "click", "response", "conversion"]
"""A rate results can compare variants by."""

METRICS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "reach": ("sent", "members"),
        "delivery": ("delivered", "sent"),
        "open": ("opened", "delivered"),
        "click": ("clicked", "delivered"),
        "response": ("responded", "sent"),
        "conversion": ("converted", "members"),
    }
)
"""Each metric's successes and trials, by the names of the counts of
[VariantResults][relcore.marketing.VariantResults]."""


def check_metric(value: object) -> Metric:
    """Return ``value`` if it is one of [METRICS][relcore.marketing.results.METRICS].

    Raises:
        ValidationError: Naming ``metric``.
    """
    if not isinstance(value, str) or value not in METRICS:
        raise check.fail("metric", f"expected one of {', '.join(METRICS)}")
    return value  # type: ignore[return-value]


def check_confidence(value: object) -> float:
    """Return ``value`` as a float if it is a confidence level, strictly between 0 and 1.

    Raises:
        ValidationError: Naming ``confidence``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise check.fail("confidence", f"expected a number between 0 and 1, got {check.kind(value)}")
    if not 0.0 < float(value) < 1.0:
        raise check.fail("confidence", "must lie strictly between 0 and 1")
    return float(value)


@attrs.frozen(kw_only=True)
class VariantResults:
    """The counts and rates of one variant (or the control group, or all variants) as of a moment.

    Attributes:
        variant: The variant's key; ``None`` for the total (and for members without a variant).
        control: Whether these are the control group's members (sent nothing).
        members: How many members were added by ``as_of``.
        sent: How many were sent something (reached).
        delivered: How many were delivered to.
        opened: How many opened.
        clicked: How many clicked.
        responded: How many responded (reached a status that counts as a response).
        converted: How many placed an order after they were added, by ``as_of``.
        reached: For each of the campaign's member statuses, how many reached it (a status that
            is not terminal also by reaching a later one; a terminal one only by itself).
        confidence: The confidence level of the intervals.
    """

    variant: str | None
    control: bool
    members: int
    sent: int
    delivered: int
    opened: int
    clicked: int
    responded: int
    converted: int
    reached: Mapping[str, int]
    confidence: float

    def rate(self, metric: Metric) -> Rate:
        """The rate of ``metric`` (``"open"``: opened out of delivered; see the module's table)."""
        successes, trials = METRICS[check_metric(metric)]
        return Rate(getattr(self, successes), getattr(self, trials))

    def interval(self, metric: Metric) -> tuple[float, float] | None:
        """The Wilson interval of ``metric``'s rate at the results' confidence; ``None`` without trials."""
        return self.rate(metric).wilson(self.confidence)


@attrs.frozen(kw_only=True)
class CampaignResults:
    """A campaign's results as of a moment: by variant, in total, and against the control group.

    Attributes:
        campaign_id: The campaign.
        as_of: What happened after it is not counted.
        metric: The metric the winner is chosen by.
        confidence: The confidence level of intervals and uplifts.
        variants: Each variant that is not the control, in the campaign's order (then any
            other variant key members carry, sorted; members without one last).
        control: The control group, if the campaign has one.
        total: All members that are not in the control group.
        cost: The campaign's actual cost, if known; ``currency`` is its currency.
        currency: The currency of ``cost`` and ``cost_per_response``.
        cost_per_response: ``cost / total.responded``; ``None`` without a cost or a response.
        winner: The variant with the highest ``metric`` rate, if one is strictly highest among
            at least two variants with trials.
        runner_up: The variant second by ``metric``.
        test: The two-proportion test of the winner against the runner-up.
        uplift: For each variant, the difference of its conversion rate over the control
            group's, with its interval (``None`` without a control group or trials).
    """

    campaign_id: CampaignId
    as_of: datetime
    metric: Metric
    confidence: float
    variants: tuple[VariantResults, ...]
    control: VariantResults | None
    total: VariantResults
    cost: Decimal | None
    currency: str | None
    cost_per_response: Decimal | None
    winner: str | None
    runner_up: str | None
    test: ZTest | None
    uplift: Mapping[str, Uplift | None]

    def variant(self, key: str) -> VariantResults:
        """The results of the variant ``key``.

        Raises:
            ValidationError: No variant has this key (``key``).
        """
        found = next((v for v in (*self.variants, self.control) if v is not None and v.variant == key), None)
        if found is None:
            raise check.fail("key", "no variant has this key")
        return found


def _variant(query: TallyQuery, campaign: Campaign, row: TallyRow, confidence: float) -> VariantResults:
    keys = [s.key for s in campaign.member_statuses]
    statuses = len(keys)
    reached = dict(zip(keys, row.flagged[:statuses], strict=True))
    funnel = dict(zip(FUNNEL, row.flagged[statuses:], strict=True))
    return VariantResults(
        variant=row.variant,
        control=row.control,
        members=row.members,
        sent=funnel["sent"],
        delivered=funnel["delivered"],
        opened=funnel["opened"],
        clicked=funnel["clicked"],
        responded=funnel["responded"],
        converted=row.converted,
        reached=MappingProxyType(reached),
        confidence=confidence,
    )


def _add(rows: Iterable[TallyRow], variant: str | None, control: bool, width: int) -> TallyRow:
    members, converted, flagged = 0, 0, [0] * width
    for row in rows:
        members += row.members
        converted += row.converted
        flagged = [a + b for a, b in zip(flagged, row.flagged, strict=True)]
    return TallyRow(
        variant=variant, control=control, members=members, flagged=tuple(flagged), converted=converted
    )


def summarise(
    campaign: Campaign,
    query: TallyQuery,
    rows: Iterable[TallyRow],
    *,
    metric: Metric = "response",
    confidence: float = 0.95,
) -> CampaignResults:
    """The results of ``campaign`` from the counts its adapters returned for ``query``.

    Rows of the same variant are added up. The winner is the variant (not the
    control) with the highest ``metric`` share among those with trials; it is
    ``None`` when fewer than two have trials or the best two tie. Its test is
    [two_proportion_test][relcore.marketing.two_proportion_test] of the
    winner's rate against the runner-up's.

    Raises:
        ValidationError: Naming ``metric`` or ``confidence``.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore.marketing import Campaign, DEFAULT_RESPONSES, TallyQuery, TallyRow, Variant
        >>> ab = Campaign(name="A/B", channel="email", variants=[
        ...     Variant(key="a", share="0.5"), Variant(key="b", share="0.5")])
        >>> query = TallyQuery.of(ab, DEFAULT_RESPONSES, datetime(2026, 5, 1, tzinfo=UTC))
        >>> def row(key, sent, responded):  # 9 statuses, then sent ... responded
        ...     return TallyRow(variant=key, control=False, members=100, converted=0,
        ...                     flagged=(0,) * 9 + (sent, sent, sent, sent, responded))
        >>> results = summarise(ab, query, [row("a", 100, 30), row("b", 100, 12)])
        >>> results.winner, results.runner_up, round(results.test.p_value, 4)
        ('a', 'b', 0.0018)
    """
    chosen = check_metric(metric)
    level = check_confidence(confidence)
    statuses = len(campaign.member_statuses)
    width = statuses + len(FUNNEL)
    grouped: dict[tuple[str | None, bool], list[TallyRow]] = {}
    for row in rows:
        grouped.setdefault((row.variant, row.control), []).append(row)
    control_key = next((v.key for v in campaign.variants if v.control), None)
    order = [(v.key, v.control) for v in campaign.variants]
    others = sorted(
        (k for k in grouped if k not in order and k[0] is not None), key=lambda k: (k[0] or "", k[1])
    )
    tail = [k for k in grouped if k[0] is None]
    merged = {key: _add(grouped.get(key, []), key[0], key[1], width) for key in [*order, *others, *tail]}
    made = {key: _variant(query, campaign, row, level) for key, row in merged.items()}
    control = made.get((control_key, True)) if control_key is not None else None
    variants = tuple(v for key, v in made.items() if not key[1])
    total = _variant(
        query, campaign, _add((r for k, r in merged.items() if not k[1]), None, False, width), level
    )
    winner, runner_up, test = _winner(variants, chosen)
    lifts: dict[str, Uplift | None] = {}
    for v in variants:
        if v.variant is not None:
            lifts[v.variant] = (
                None
                if control is None
                else uplift(v.rate("conversion"), control.rate("conversion"), confidence=level)
            )
    cost = campaign.actual_cost
    return CampaignResults(
        campaign_id=campaign.id,
        as_of=query.as_of,
        metric=chosen,
        confidence=level,
        variants=variants,
        control=control,
        total=total,
        cost=cost,
        currency=campaign.currency if cost is not None else None,
        cost_per_response=None if cost is None else cost_per(cost, total.responded),
        winner=winner,
        runner_up=runner_up,
        test=test,
        uplift=MappingProxyType(lifts),
    )


def _winner(
    variants: Iterable[VariantResults], metric: Metric
) -> tuple[str | None, str | None, ZTest | None]:
    ranked = sorted(
        ((v.rate(metric), v) for v in variants if v.variant is not None and v.rate(metric).trials),
        key=lambda pair: -Fraction(pair[0].successes, pair[0].trials),
    )
    if len(ranked) < 2:
        return None, None, None
    (best_rate, best), (second_rate, second) = ranked[0], ranked[1]
    if best_rate.successes * second_rate.trials == second_rate.successes * best_rate.trials:
        return None, None, None
    return best.variant, second.variant, two_proportion_test(best_rate, second_rate)


@attrs.frozen(kw_only=True)
class WinnerSent:
    """What sending the winner to the rest of an A/B test did.

    Attributes:
        winner: The winning variant, or ``None`` when there is none yet (nothing was changed).
        p_value: The p-value of the winner against the runner-up, if tested.
        test: How many members are in the test group.
        reassigned: How many members of the rest, not yet sent anything, now have the winner.
    """

    winner: str | None
    p_value: float | None
    test: int
    reassigned: int


def rest_winner(results: CampaignResults, max_p_value: float | None = None) -> str | None:
    """The variant to send to the rest of an A/B test: the winner of ``results``, if it is one.

    With ``max_p_value``, the winner counts only when its test against the
    runner-up has a p-value at most that (say 0.05); otherwise, and when the
    results have no winner, the answer is ``None``: wait for more responses.

    Raises:
        ValidationError: ``max_p_value`` is not a number from 0 to 1 (``max_p_value``).
    """
    if not isinstance(results, CampaignResults):
        raise check.fail("results", f"expected CampaignResults, got {check.kind(results)}")
    if max_p_value is not None:
        if isinstance(max_p_value, bool) or not isinstance(max_p_value, int | float):
            raise check.fail("max_p_value", f"expected a number from 0 to 1, got {check.kind(max_p_value)}")
        if not 0.0 <= float(max_p_value) <= 1.0:
            raise check.fail("max_p_value", "must lie from 0 to 1")
    if results.winner is None:
        return None
    if max_p_value is not None and (results.test is None or results.test.p_value > max_p_value):
        return None
    return results.winner
