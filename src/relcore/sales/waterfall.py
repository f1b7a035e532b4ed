"""What changed in the open pipeline between two moments: a waterfall that reconciles exactly.

Compares the book as of ``start`` with the book as of ``end`` (see
[book_as_of][relcore.sales.funnel.book_as_of]): both include the entries
dated at their moment, so the changes counted are those dated after
``start`` and at or before ``end``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from relcore._kernel import checks as check
from relcore.ids import OpportunityId, PipelineId
from relcore.sales._history import (
    EXACT,
    Accumulator,
    check_pipelines,
    check_window,
    closing_entry,
    histories,
    stage_of,
    state_at,
)
from relcore.sales.funnel import Tally
from relcore.sales.model import OpportunityChange
from relcore.sales.pipelines import Pipeline, StageOutcome

__all__ = ["Waterfall", "waterfall"]


@attrs.frozen(kw_only=True)
class Waterfall:
    """The open pipeline at two moments and the flows between them.

    For every currency ``c`` (amounts of a [Tally][relcore.sales.funnel.Tally]):
    ``opening(c) + new(c) + reopened(c) + increased(c) - decreased(c) - won(c)
    - lost(c) == closing(c)``, and for the counts ``opening + new + reopened -
    won - lost == closing``. See [waterfall][relcore.sales.waterfall.waterfall]
    for the definition of each bucket.

    Attributes:
        start: The first moment.
        end: The second moment.
        opening: Deals open at ``start``, at their amounts then.
        new: Deals opened after ``start``, at their amounts at ``end``.
        reopened: Deals closed at ``start`` that are open at ``end`` or were closed again after
            ``start``, at their amounts at ``end``.
        increased: Deals open at ``start`` whose amount rose by ``end``, by how much.
        decreased: Deals open at ``start`` whose amount fell by ``end``, by how much.
        won: Deals won after ``start`` and won at ``end``, at their amounts at ``end``.
        lost: Deals lost after ``start`` and lost at ``end``, at their amounts at ``end``.
        closing: Deals open at ``end``, at their amounts then.
        advanced: Deals open at both moments, in the same pipeline, in a stage of higher position
            at ``end``; in id order.
        slipped: The same, in a stage of lower position at ``end``.
        pushed: Deals open at both moments whose close date is set at both and later at ``end``.
    """

    start: datetime
    end: datetime
    opening: Tally
    new: Tally
    reopened: Tally
    increased: Tally
    decreased: Tally
    won: Tally
    lost: Tally
    closing: Tally
    advanced: tuple[OpportunityId, ...]
    slipped: tuple[OpportunityId, ...]
    pushed: tuple[OpportunityId, ...]


def _moves(before: OpportunityChange, after: OpportunityChange) -> dict[str, Decimal]:
    """How a deal's amount moved per currency (a change of currency leaves one and enters the other)."""
    moves: dict[str, Decimal] = {}
    if before.amount is not None and before.currency is not None:
        moves[before.currency] = -before.amount
    if after.amount is not None and after.currency is not None:
        moves[after.currency] = EXACT.add(moves.get(after.currency, Decimal(0)), after.amount)
    return {currency: move for currency, move in moves.items() if move}


def _position(pipelines: Mapping[PipelineId, Pipeline], state: OpportunityChange) -> int:
    pipeline = pipelines.get(state.pipeline_id)
    if pipeline is None:
        raise check.fail("pipelines", "has no pipeline for a deal of the history")
    return stage_of(pipeline, state.stage, "pipelines").position


def waterfall(
    changes: Iterable[OpportunityChange],
    pipelines: Mapping[PipelineId, Pipeline],
    start: datetime,
    end: datetime,
) -> Waterfall:
    """What happened to the open pipeline between ``start`` and ``end``.

    Each deal's state at ``start`` (S, possibly none) and at ``end`` (E) are
    taken from the book at those moments. A deal's *closing entry* is its
    last ``won`` or ``lost`` entry dated at or before ``end``; the deal *closed
    in the window* when E is won or lost and that entry is dated after
    ``start``. Then each deal enters by one bucket and leaves by one:

    - enters by ``opening`` at S's amount when S is open; by ``new`` at E's
      amount when there is no S; by ``reopened`` at E's amount when S is
      closed and E is open or the deal closed in the window; a deal closed at
      both moments that did not close in the window is in no bucket;
    - when it entered by ``opening``, the difference between E's amount and
      S's goes to ``increased`` or ``decreased`` (per currency: a change of
      currency decreases the old one by S's amount and increases the new one
      by E's);
    - leaves by ``closing`` when E is open, else by ``won`` or ``lost`` (E's
      outcome) at E's amount.

    A deal without an amount counts in the counts and adds to no currency.
    ``increased`` and ``decreased`` count the deals with a move in some
    currency. ``advanced``, ``slipped`` and ``pushed`` compare S and E of the
    deals open at both moments (stage positions from ``pipelines``; a deal
    that changed pipeline neither advanced nor slipped).

    Args:
        changes: History entries of any deals, in any order.
        pipelines: The pipelines of the deals open at both moments, by id.
        start: The first moment (aware).
        end: The second moment (aware), not before ``start``.

    Returns:
        The [Waterfall][relcore.sales.waterfall.Waterfall], which reconciles exactly.

    Raises:
        ValidationError: A bad argument (the error names it), or ``pipelines`` misses the pipeline
            or stage of a deal open at both moments.
    """
    first, last = check_window(start, end)
    flows = check_pipelines(pipelines)
    buckets = {name: Accumulator() for name in ("opening", "new", "reopened", "increased", "decreased")}
    leaving = {name: Accumulator() for name in ("won", "lost", "closing")}
    advanced: list[OpportunityId] = []
    slipped: list[OpportunityId] = []
    pushed: list[OpportunityId] = []
    for deal, entries in histories(changes).items():
        after = state_at(entries, last)
        if after is None:
            continue
        before = state_at(entries, first)
        is_open = after.outcome is StageOutcome.OPEN
        closing = None if is_open else closing_entry(entries, last)
        closed_in_window = closing is not None and closing.at > first
        if before is None:
            buckets["new"].add(after.amount, after.currency)
        elif before.outcome is not StageOutcome.OPEN:
            if not (is_open or closed_in_window):
                continue
            buckets["reopened"].add(after.amount, after.currency)
        else:
            buckets["opening"].add(before.amount, before.currency)
            moves = _moves(before, after)
            for currency, move in moves.items():
                bucket = buckets["increased" if move > 0 else "decreased"]
                bucket.add(abs(move), currency, deals=0)
            for name, sign in (("increased", 1), ("decreased", -1)):
                if any(move * sign > 0 for move in moves.values()):
                    buckets[name].count += 1
            if is_open:
                if before.close_date and after.close_date and after.close_date > before.close_date:
                    pushed.append(deal)
                if before.pipeline_id == after.pipeline_id:
                    rise = _position(flows, after) - _position(flows, before)
                    if rise:
                        (advanced if rise > 0 else slipped).append(deal)
        leaving["closing" if is_open else after.outcome.value].add(after.amount, after.currency)
    tallies = {
        name: Tally(total.count, total.sorted_amounts()) for name, total in (buckets | leaving).items()
    }
    return Waterfall(
        start=first,
        end=last,
        **tallies,
        advanced=tuple(advanced),
        slipped=tuple(slipped),
        pushed=tuple(pushed),
    )
