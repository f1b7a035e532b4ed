"""How well deals close: win rate, sales velocity, losses by reason, and rotting deals.

Pure functions over [OpportunityChange][relcore.sales.OpportunityChange]
entries (and, for rotting, over [Opportunity][relcore.sales.Opportunity]
values), the reference semantics of the memory backend. A window is
half-open, ``[start, end)``: a deal *closed in the window* is one whose state
as of ``end`` (its last entry dated at or before ``end``) is won or lost, and
whose closing entry (its last ``won`` or ``lost`` entry dated at or before
``end``) is dated at or after ``start`` and before ``end``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal

import attrs

from relcore._kernel import checks as check
from relcore.ids import OpportunityId
from relcore.sales._history import (
    EXACT,
    Accumulator,
    ClosedGroup,
    check_pipeline,
    check_window,
    closing_entry,
    histories,
    state_at,
)
from relcore.sales.funnel import Ratio, Tally
from relcore.sales.model import OpportunityChange
from relcore.sales.pipelines import Pipeline, StageOutcome

__all__ = [
    "DIVISION",
    "SalesVelocity",
    "Velocity",
    "closed_groups",
    "losses_by_reason",
    "losses_of",
    "sales_velocity",
    "win_rate",
    "win_rate_of",
]

DIVISION = Context(prec=28, rounding=ROUND_HALF_EVEN)
"""The context of the one inexact step of [sales_velocity][relcore.sales.performance.sales_velocity]:
28 significant digits, rounded half-even (the `decimal` defaults, made explicit)."""

_MICROSECONDS_PER_DAY = 86_400_000_000


def _microseconds(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def _optional_pipeline(value: object) -> Pipeline | None:
    return None if value is None else check_pipeline(value)


def _closed_in(
    history: Mapping[OpportunityId, list[OpportunityChange]],
    start: datetime,
    end: datetime,
    pipeline: Pipeline | None,
) -> Iterator[tuple[OpportunityChange, OpportunityChange, OpportunityChange]]:
    """Each deal closed in ``[start, end)``: its state at ``end``, its closing entry, its first entry.

    With ``pipeline``, only deals in it at ``end``.
    """
    for entries in history.values():
        state = state_at(entries, end)
        if state is None or state.outcome is StageOutcome.OPEN:
            continue
        if pipeline is not None and state.pipeline_id != pipeline.id:
            continue
        closing = closing_entry(entries, end)
        if closing is not None and start <= closing.at < end:
            yield state, closing, entries[0]


def closed_groups(
    changes: Iterable[OpportunityChange],
    start: datetime,
    end: datetime,
    *,
    pipeline: Pipeline | None = None,
) -> list[ClosedGroup]:
    """The deals closed in ``[start, end)``, counted and summed per outcome, lost reason and currency.

    The small answer a store groups for [win_rate][relcore.sales.performance.win_rate] and
    [losses_by_reason][relcore.sales.performance.losses_by_reason] (SQL stores with one ``GROUP BY``):
    each deal's outcome, lost reason, amount and currency are those of its state as of ``end``.

    Args:
        changes: History entries, in any order.
        start: The window's first moment (aware, included).
        end: The window's end (aware, excluded), not before ``start``.
        pipeline: Count only the deals in this pipeline at ``end`` (default: every deal).

    Returns:
        One [ClosedGroup][relcore.sales.ports.ClosedGroup] per outcome, reason and currency
        with a deal, in the order of their ``key``.

    Raises:
        ValidationError: A bad argument (the error names it).
    """
    first, last = check_window(start, end)
    flow = _optional_pipeline(pipeline)
    groups: dict[tuple[StageOutcome, str | None, str | None], Accumulator] = {}
    for state, _, _ in _closed_in(histories(changes), first, last, flow):
        total = groups.setdefault((state.outcome, state.lost_reason, state.currency), Accumulator())
        total.add(state.amount, state.currency)
    found = [
        ClosedGroup(outcome, reason, currency, total.count, total.amounts.get(currency or "", Decimal(0)))
        for (outcome, reason, currency), total in groups.items()
    ]
    return sorted(found, key=ClosedGroup.key)


def _groups(value: object) -> tuple[ClosedGroup, ...]:
    def one(path: str, item: object) -> ClosedGroup:
        if not isinstance(item, ClosedGroup):
            raise check.fail(path, f"expected a ClosedGroup, got {check.kind(item)}")
        return item

    return check.check_tuple(one, "groups", value)


def win_rate_of(groups: Iterable[ClosedGroup]) -> Ratio:
    """Won / (won + lost) from the deals closed in a window, grouped.

    Args:
        groups: The [closed_groups][relcore.sales.performance.closed_groups] of a window.

    Returns:
        The exact [Ratio][relcore.sales.funnel.Ratio]; ``0/0`` without a group.
    """
    won = closed = 0
    for group in _groups(groups):
        closed += group.count
        won += group.count if group.outcome is StageOutcome.WON else 0
    return Ratio(won, closed)


def losses_of(groups: Iterable[ClosedGroup]) -> dict[str | None, Tally]:
    """The lost deals of the groups, counted and summed per currency for each reason.

    Args:
        groups: The [closed_groups][relcore.sales.performance.closed_groups] of a window.

    Returns:
        A [Tally][relcore.sales.funnel.Tally] per lost reason, the most frequent reason first,
        ties in reason order (see [losses_by_reason][relcore.sales.performance.losses_by_reason]).
    """
    reasons: dict[str | None, Accumulator] = {}
    for group in _groups(groups):
        if group.outcome is StageOutcome.LOST:
            reasons.setdefault(group.lost_reason, Accumulator()).add(
                group.amount, group.currency, deals=group.count
            )
    ranked = sorted(reasons.items(), key=lambda item: (-item[1].count, item[0] or ""))
    return {reason: Tally(total.count, total.sorted_amounts()) for reason, total in ranked}


def win_rate(
    changes: Iterable[OpportunityChange],
    start: datetime,
    end: datetime,
    *,
    pipeline: Pipeline | None = None,
) -> Ratio:
    """The share of won deals among those closed in ``[start, end)``: won / (won + lost).

    Args:
        changes: History entries, in any order.
        start: The window's first moment (aware, included).
        end: The window's end (aware, excluded), not before ``start``.
        pipeline: Count only the deals in this pipeline at ``end`` (default: every deal).

    Returns:
        The exact [Ratio][relcore.sales.funnel.Ratio]; ``0/0`` when no deal closed in the window.

    Raises:
        ValidationError: A bad argument (the error names it).
    """
    return win_rate_of(closed_groups(changes, start, end, pipeline=pipeline))


@attrs.frozen(kw_only=True)
class Velocity:
    """Sales velocity in one currency.

    Attributes:
        currency: The ISO 4217 currency.
        open_deals: Deals open as of ``as_of`` with an amount in it.
        won_deals: Deals won in the window with an amount in it.
        won_amount: The sum of their amounts (as of the window's end).
        per_day: ``open_deals * (won_amount / won_deals) * win rate / average cycle in days``,
            money per day; ``None`` when no deal was won in it or the average cycle is zero.
    """

    currency: str
    open_deals: int
    won_deals: int
    won_amount: Decimal
    per_day: Decimal | None


@attrs.frozen(kw_only=True)
class SalesVelocity:
    """Sales velocity per currency, with the currency-free factors it shares.

    Attributes:
        win_rate: Won / (won + lost) among the deals closed in the window, every currency.
        won_deals: Deals won in the window, every currency and those without an amount.
        cycle_total: The sum of their cycles (closing entry's ``at`` minus first entry's ``at``).
        currencies: One [Velocity][relcore.sales.performance.Velocity] per currency of an open deal
            or a deal won in the window, currencies in alphabetical order.
    """

    win_rate: Ratio
    won_deals: int
    cycle_total: timedelta
    currencies: Mapping[str, Velocity] = attrs.field(hash=False)


def sales_velocity(
    changes: Iterable[OpportunityChange],
    pipeline: Pipeline | None,
    start: datetime,
    end: datetime,
    as_of: datetime,
) -> SalesVelocity:
    """Money per day the pipeline is expected to close, per currency.

    The formula is (open opportunities x average deal size x win rate) /
    average sales-cycle length, in money per day (the reference's §1.2,
    after mavenlb.com/blog/sales-velocity-formula), with the open count from
    the deals open as of ``as_of`` and the other factors from the deals closed
    in ``[start, end)``. For currency ``c``, with ``N`` its open deals, ``n``
    and ``S`` the number and sum of its won deals, ``w`` and ``l`` the won and
    lost deals of every currency and ``T`` the total cycle of the ``w`` won
    deals in microseconds: ``per_day = N * (S / n) * (w / (w + l)) / (T / w /
    86_400_000_000)``. The numerator ``N * S * w**2 * 86_400_000_000`` and the
    denominator ``n * (w + l) * T`` are exact; the one division is rounded in
    [DIVISION][relcore.sales.performance.DIVISION]. A deal's cycle runs from its
    first entry to its closing entry; amounts are those as of ``end`` (won
    deals) and ``as_of`` (open deals); deals without an amount count in ``w``,
    ``l`` and ``T`` only.

    Args:
        changes: History entries, in any order.
        pipeline: Count only the deals in this pipeline (at ``end``, or at ``as_of`` for open
            deals); ``None`` for every deal.
        start: The window's first moment (aware, included).
        end: The window's end (aware, excluded), not before ``start``.
        as_of: The moment the open deals are counted at (aware).

    Returns:
        The [SalesVelocity][relcore.sales.performance.SalesVelocity].

    Raises:
        ValidationError: A bad argument (the error names it).
    """
    flow = _optional_pipeline(pipeline)
    first, last = check_window(start, end)
    moment = check.check_datetime("as_of", as_of)
    history = histories(changes)
    won = Accumulator()
    open_by_currency: dict[str, int] = {}
    won_by_currency: dict[str, int] = {}
    closed = 0
    cycles = timedelta(0)
    for state, closing, opening in _closed_in(history, first, last, flow):
        closed += 1
        if state.outcome is StageOutcome.WON:
            won.add(state.amount, state.currency)
            cycles += closing.at - opening.at
            if state.currency is not None:
                won_by_currency[state.currency] = won_by_currency.get(state.currency, 0) + 1
    for entries in history.values():
        now = state_at(entries, moment)
        if now is None or now.outcome is not StageOutcome.OPEN or now.currency is None:
            continue
        if flow is None or now.pipeline_id == flow.id:
            open_by_currency[now.currency] = open_by_currency.get(now.currency, 0) + 1
    cycle = _microseconds(cycles)
    velocities = {}
    for currency in sorted(open_by_currency.keys() | won_by_currency.keys()):
        count, won_count = open_by_currency.get(currency, 0), won_by_currency.get(currency, 0)
        amount = won.amounts.get(currency, Decimal(0))
        per_day = None
        if won_count and cycle:
            top = EXACT.multiply(amount, Decimal(count * won.count**2 * _MICROSECONDS_PER_DAY))
            per_day = DIVISION.divide(top, Decimal(won_count * closed * cycle))
        velocities[currency] = Velocity(
            currency=currency, open_deals=count, won_deals=won_count, won_amount=amount, per_day=per_day
        )
    return SalesVelocity(
        win_rate=Ratio(won.count, closed), won_deals=won.count, cycle_total=cycles, currencies=velocities
    )


def losses_by_reason(
    changes: Iterable[OpportunityChange],
    start: datetime,
    end: datetime,
    *,
    pipeline: Pipeline | None = None,
) -> dict[str | None, Tally]:
    """The deals lost in ``[start, end)``, counted and summed per currency for each lost reason.

    Args:
        changes: History entries, in any order.
        start: The window's first moment (aware, included).
        end: The window's end (aware, excluded), not before ``start``.
        pipeline: Count only the deals in this pipeline at ``end`` (default: every deal).

    Returns:
        A [Tally][relcore.sales.funnel.Tally] per lost reason (the reason and amount of each deal
        as of ``end``), the most frequent reason first, ties in reason order; entries that
        carry no reason (none written by [lose][relcore.sales.decisions.lose]) count under ``None``.

    Raises:
        ValidationError: A bad argument (the error names it).
    """
    return losses_of(closed_groups(changes, start, end, pipeline=pipeline))
