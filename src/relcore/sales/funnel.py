"""The sales funnel rebuilt from deal history: the book at a moment, stage conversion, time in stage.

Pure functions over [OpportunityChange][relcore.sales.OpportunityChange]
entries, the reference semantics of the memory backend (SQL backends that push
some of them down give the same answers). Every entry holds a deal's tracked
fields after a change, so the state of a deal at a moment is its last entry
dated at or before it, entries in their history order (by ``at``, then id).
Results are exact: counts are integers, money is `Decimal` per currency
(never two currencies added), times are `timedelta`, and ratios are
[Ratio][relcore.sales.funnel.Ratio] values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import attrs

from relcore._kernel import checks as check
from relcore.ids import OpportunityId
from relcore.sales._history import check_pipeline, histories, stage_of, state_at
from relcore.sales.model import OpportunityChange
from relcore.sales.pipelines import Pipeline, StageOutcome

__all__ = [
    "Ratio",
    "StageConversion",
    "StageDuration",
    "Tally",
    "book_as_of",
    "conversion_of",
    "reaches",
    "stage_conversion",
    "stage_durations",
]

_MAX_PLACES = 28


@attrs.frozen
class Ratio:
    """An exact ratio of two counts, such as a conversion or win rate.

    ``0/0`` is allowed and means "undefined" (no deal to count); a positive
    count over zero is refused.

    Attributes:
        numerator: The counted part, not negative.
        denominator: The whole, not negative.

    Example:
        >>> Ratio(2, 3).decimal(), Ratio(2, 3).decimal(places=1), Ratio(0, 0).decimal()
        (Decimal('0.6667'), Decimal('0.7'), None)
    """

    numerator: int
    denominator: int

    def __attrs_post_init__(self) -> None:
        check.positive_int("numerator", self.numerator, maximum=2**63 - 1)
        check.positive_int("denominator", self.denominator, maximum=2**63 - 1)
        if self.denominator == 0 and self.numerator != 0:
            raise check.fail("denominator", "zero under a positive numerator")

    @property
    def defined(self) -> bool:
        """Whether the ratio has a value (its denominator is not zero)."""
        return self.denominator != 0

    def fraction(self) -> Fraction | None:
        """The exact value as a `Fraction`, or ``None`` for ``0/0``."""
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    def decimal(self, places: int = 4) -> Decimal | None:
        """The value rounded half-even to ``places`` decimal places, or ``None`` for ``0/0``.

        Computed in integers, so the result does not depend on the `decimal` context.
        """
        digits = check.positive_int("places", places, maximum=_MAX_PLACES)
        if not self.denominator:
            return None
        quotient, remainder = divmod(self.numerator * 10**digits, self.denominator)
        if 2 * remainder > self.denominator or (2 * remainder == self.denominator and quotient % 2):
            quotient += 1
        return Decimal(f"{quotient}E-{digits}")

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


@attrs.frozen
class Tally:
    """A number of deals and their amounts, per currency.

    Attributes:
        count: How many deals, including those without an amount.
        amounts: The sum of their amounts per ISO 4217 currency, currencies in alphabetical
            order; a currency appears when at least one deal counted has an amount in it.
    """

    count: int = 0
    amounts: Mapping[str, Decimal] = attrs.field(factory=dict, hash=False)

    def amount(self, currency: str) -> Decimal:
        """The sum in ``currency`` (zero when no deal counted has an amount in it)."""
        return self.amounts.get(currency, Decimal(0))


def book_as_of(changes: Iterable[OpportunityChange], at: datetime) -> dict[OpportunityId, OpportunityChange]:
    """Every deal as it stood at ``at``, rebuilt from its history.

    Args:
        changes: History entries of any number of deals, in any order.
        at: The moment (aware).

    Returns:
        For each deal with an entry dated at or before ``at``, its last such entry (in history
        order: by ``at``, then id), whose fields are the deal's tracked fields at that moment;
        deals in id order. Deals opened after ``at`` are absent.

    Raises:
        ValidationError: ``at`` is not an aware datetime, or ``changes`` holds something else
            than history entries.
    """
    moment = check.check_datetime("at", at)
    book: dict[OpportunityId, OpportunityChange] = {}
    for deal, entries in histories(changes).items():
        state = state_at(entries, moment)
        if state is not None:
            book[deal] = state
    return book


@attrs.frozen
class StageConversion:
    """How many deals reached an open stage, and how many of them went on to the next.

    Attributes:
        stage: The open stage's key.
        reached: Deals that reached it (or a later open stage, or were won).
        advanced: Deals that reached the next open stage, or, for the last open stage, were won.
        rate: ``advanced / reached``.
    """

    stage: str
    reached: int
    advanced: int
    rate: Ratio


def reaches(changes: Iterable[OpportunityChange], pipeline: Pipeline, as_of: datetime) -> dict[int, int]:
    """How many of a pipeline's deals reached each open stage at the furthest, up to ``as_of``.

    Let the pipeline's open stages be ``O_0 ... O_{m-1}`` in position order. A
    deal's *reach* is the highest ``i`` such that one of its entries dated at
    or before ``as_of``, in this pipeline, has stage ``O_i``; it is ``m`` if
    such an entry has a won stage (a won deal passed every open stage, even
    if reopened since). Lost entries add nothing: a lost deal reached the
    furthest open stage it was in, and a deal whose only entries in the
    pipeline are lost has no reach. Only entries whose ``pipeline_id`` is the
    pipeline's count; inactive stages are included. This is the small answer
    a store groups for [stage_conversion][relcore.sales.funnel.stage_conversion]
    (SQL stores with one ``GROUP BY``).

    Args:
        changes: History entries, in any order (other pipelines' entries are ignored).
        pipeline: The pipeline.
        as_of: The moment (aware); later entries are ignored.

    Returns:
        The number of deals per reach ``0 ... m``, reaches without a deal left out, in order.

    Raises:
        ValidationError: A bad argument, or an entry of the pipeline names a stage it does not have.
    """
    flow = check_pipeline(pipeline)
    moment = check.check_datetime("as_of", as_of)
    index = {stage.key: i for i, stage in enumerate(flow.open_stages)}
    last = len(index)
    deals_by_reach: dict[int, int] = {}
    for entries in histories(changes).values():
        reach = -1
        for entry in entries:
            if entry.at > moment:
                break
            if entry.pipeline_id != flow.id:
                continue
            outcome = stage_of(flow, entry.stage, "pipeline").outcome
            if outcome is StageOutcome.WON:
                reach = last
            elif outcome is StageOutcome.OPEN:
                reach = max(reach, index[entry.stage])
        if reach >= 0:
            deals_by_reach[reach] = deals_by_reach.get(reach, 0) + 1
    return dict(sorted(deals_by_reach.items()))


def conversion_of(pipeline: Pipeline, deals_by_reach: Mapping[int, int]) -> tuple[StageConversion, ...]:
    """Stage-to-stage conversion from the deals per [reach][relcore.sales.funnel.reaches].

    A deal *reached* ``O_k`` when its reach is at least ``k``, so skipped
    stages count as passed; it *advanced* from ``O_k`` when its reach is at
    least ``k + 1``.

    Args:
        pipeline: The pipeline.
        deals_by_reach: Deals per reach ``0 ... m`` (``m``: the number of open stages, for won).

    Returns:
        One [StageConversion][relcore.sales.funnel.StageConversion] per open stage, in position order.

    Raises:
        ValidationError: A bad argument: a reach out of ``0 ... m`` or a negative count
            (the error names ``deals_by_reach``).
    """
    flow = check_pipeline(pipeline)
    opens = [s.key for s in flow.open_stages]
    last = len(opens)
    if not isinstance(deals_by_reach, Mapping):
        raise check.fail("deals_by_reach", f"expected a mapping, got {check.kind(deals_by_reach)}")
    counts = [0] * (last + 1)
    for reach, deals in check.guarded("deals_by_reach", lambda: list(deals_by_reach.items())):
        if type(reach) is not int or not 0 <= reach <= last:
            raise check.fail("deals_by_reach", "a reach is not an open stage's index or the won one")
        counts[reach] += check.positive_int("deals_by_reach", deals, maximum=2**63 - 1)
    at_least = [sum(counts[i:]) for i in range(last + 1)]
    return tuple(
        StageConversion(key, at_least[i], at_least[i + 1], Ratio(at_least[i + 1], at_least[i]))
        for i, key in enumerate(opens)
    )


def stage_conversion(
    changes: Iterable[OpportunityChange], pipeline: Pipeline, as_of: datetime
) -> tuple[StageConversion, ...]:
    """Stage-to-stage conversion of a pipeline's deals, from their history up to ``as_of``.

    The [conversion][relcore.sales.funnel.conversion_of] of the deals'
    [reaches][relcore.sales.funnel.reaches]: a deal reached an open stage when
    it was in it or in a later open stage of the pipeline, or won there (so
    skipped stages count as passed), and advanced from it when it reached the
    next open stage (or won, from the last one).

    Args:
        changes: History entries, in any order (other pipelines' entries are ignored).
        pipeline: The pipeline.
        as_of: The moment (aware); later entries are ignored.

    Returns:
        One [StageConversion][relcore.sales.funnel.StageConversion] per open stage, in position order.

    Raises:
        ValidationError: A bad argument, or an entry of the pipeline names a stage it does not have.
    """
    return conversion_of(pipeline, reaches(changes, pipeline, as_of))


@attrs.frozen
class StageDuration:
    """How long deals spent in an open stage.

    Attributes:
        stage: The open stage's key.
        deals: Deals that were in the stage (for any time, zero included).
        total: The time all of them spent in it.
        median: The nearest-rank median of the per-deal times (``None`` without deals).
        p90: The nearest-rank 90th percentile of the per-deal times (``None`` without deals).
    """

    stage: str
    deals: int
    total: timedelta
    median: timedelta | None
    p90: timedelta | None


def _nearest_rank(values: list[timedelta], numerator: int, denominator: int) -> timedelta | None:
    """The nearest-rank percentile ``numerator/denominator`` of ``values``, or ``None`` if empty.

    The value of rank ``ceil(n * numerator / denominator)`` (at least 1) in
    ascending order: always one of the values, so exact on `timedelta`. The
    median (1/2) of an even number of values is the lower middle one.
    """
    if not values:
        return None
    rank = max(1, -(-len(values) * numerator // denominator))
    return sorted(values)[rank - 1]


def stage_durations(
    changes: Iterable[OpportunityChange], pipeline: Pipeline, as_of: datetime
) -> tuple[StageDuration, ...]:
    """The time a pipeline's deals spent in each of its open stages, from their history up to ``as_of``.

    A deal is in the stage of an entry from that entry's ``at`` to the next
    entry's (or to ``as_of``, for its last entry at or before ``as_of``: an
    open interval is clipped there). Intervals in the same stage add up per
    deal, re-entries included; entries of other pipelines count for none of
    this pipeline's stages. Percentiles are nearest-rank over the per-deal
    totals of the deals that were in the stage: the median is the value of
    rank ``ceil(n/2)`` and the 90th percentile that of rank ``ceil(9n/10)``.

    Args:
        changes: History entries, in any order.
        pipeline: The pipeline.
        as_of: The moment (aware); later entries are ignored.

    Returns:
        One [StageDuration][relcore.sales.funnel.StageDuration] per open stage, in position order.

    Raises:
        ValidationError: A bad argument, or an entry of the pipeline names a stage it does not have.
    """
    flow = check_pipeline(pipeline)
    moment = check.check_datetime("as_of", as_of)
    per_stage: dict[str, list[timedelta]] = {s.key: [] for s in flow.open_stages}
    for entries in histories(changes).values():
        spent: dict[str, timedelta] = {}
        for position, entry in enumerate(entries):
            if entry.at > moment:
                break
            if entry.pipeline_id != flow.id:
                continue
            if stage_of(flow, entry.stage, "pipeline").outcome is not StageOutcome.OPEN:
                continue
            following = entries[position + 1].at if position + 1 < len(entries) else moment
            spent[entry.stage] = spent.get(entry.stage, timedelta(0)) + min(following, moment) - entry.at
        for key, time in spent.items():
            per_stage[key].append(time)
    return tuple(
        StageDuration(
            stage=key,
            deals=len(times),
            total=sum(times, timedelta(0)),
            median=_nearest_rank(times, 1, 2),
            p90=_nearest_rank(times, 9, 10),
        )
        for key, times in per_stage.items()
    )
