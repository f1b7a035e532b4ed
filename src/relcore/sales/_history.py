"""Checks and walks over deal histories shared by the sales analytics.

Private: [relcore.sales.funnel][] and [relcore.sales.performance][] read
histories through these helpers, so both modules check their arguments and
order entries the same way. [ClosedGroup][relcore.sales.ports.ClosedGroup],
the grouped answer of the funnel query port, is defined here (below the ports
and the analytics, which both use it) and re-exported by the ports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal

import attrs

from relcore._kernel import checks as check
from relcore.ids import OpportunityId, PipelineId
from relcore.sales.model import ChangeKind, OpportunityChange, ordered
from relcore.sales.pipelines import Pipeline, Stage, StageOutcome

__all__ = [
    "EXACT",
    "Accumulator",
    "ClosedGroup",
    "check_pipeline",
    "check_pipelines",
    "check_window",
    "closing_entry",
    "histories",
    "stage_of",
    "state_at",
]

EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
"""Adding and multiplying finite amounts is exact in this context (the ambient one may round)."""

_CLOSING = (ChangeKind.WON, ChangeKind.LOST)


def _change(path: str, value: object) -> OpportunityChange:
    if not isinstance(value, OpportunityChange):
        raise check.fail(path, f"expected an OpportunityChange, got {check.kind(value)}")
    return value


def histories(changes: Iterable[OpportunityChange]) -> dict[OpportunityId, list[OpportunityChange]]:
    """Each deal's entries of ``changes``, in history order (by ``at``, then id), deals in id order.

    Raises:
        ValidationError: ``changes`` is not a sequence of history entries (the error names ``changes``).
    """
    by_deal: dict[OpportunityId, list[OpportunityChange]] = {}
    for entry in check.check_tuple(_change, "changes", changes):
        by_deal.setdefault(entry.opportunity_id, []).append(entry)
    return {deal: ordered(by_deal[deal]) for deal in sorted(by_deal)}


def state_at(entries: list[OpportunityChange], moment: datetime) -> OpportunityChange | None:
    """The last of a deal's ordered ``entries`` dated at or before ``moment``, if any."""
    found = None
    for entry in entries:
        if entry.at > moment:
            break
        found = entry
    return found


def closing_entry(entries: list[OpportunityChange], moment: datetime) -> OpportunityChange | None:
    """The last ``won`` or ``lost`` entry of a deal's ordered ``entries`` dated at or before ``moment``."""
    found = None
    for entry in entries:
        if entry.at > moment:
            break
        if entry.kind in _CLOSING:
            found = entry
    return found


def check_window(start: object, end: object) -> tuple[datetime, datetime]:
    """Return ``start`` and ``end`` as aware UTC datetimes, refusing an end before the start."""
    first = check.check_datetime("start", start)
    last = check.check_datetime("end", end)
    if last < first:
        raise check.fail("end", "earlier than start")
    return first, last


def check_pipeline(value: object) -> Pipeline:
    """Return ``value`` if it is a [Pipeline][relcore.sales.Pipeline] (the error names ``pipeline``)."""
    if not isinstance(value, Pipeline):
        raise check.fail("pipeline", f"expected a Pipeline, got {check.kind(value)}")
    return value


def check_pipelines(value: object) -> dict[PipelineId, Pipeline]:
    """Return ``value`` as a dict of pipelines by their id (the error names ``pipelines``)."""
    if not isinstance(value, Mapping):
        raise check.fail("pipelines", f"expected a mapping of pipelines by id, got {check.kind(value)}")
    found: dict[PipelineId, Pipeline] = {}
    for key, pipeline in check.guarded("pipelines", lambda: list(value.items())):
        if not isinstance(pipeline, Pipeline):
            raise check.fail("pipelines", f"expected Pipeline values, got {check.kind(pipeline)}")
        if key != pipeline.id:
            raise check.fail("pipelines", "a pipeline is filed under another id than its own")
        found[pipeline.id] = pipeline
    return found


def stage_of(pipeline: Pipeline, key: str, field: str) -> Stage:
    """The stage ``key`` of ``pipeline``, refusing a key it lacks (the error names ``field``)."""
    stage = pipeline.find_stage(key)
    if stage is None:
        raise check.fail(field, "a history entry or deal names a stage its pipeline does not have")
    return stage


@attrs.frozen
class ClosedGroup:
    """The deals closed in a window that share an outcome, a lost reason and a currency.

    Attributes:
        outcome: Won or lost (their state at the window's end).
        lost_reason: Their lost reason then (``None`` for won deals and reasonless entries).
        currency: Their amount's currency then; ``None`` for the deals without an amount.
        count: How many deals.
        amount: The sum of their amounts then (zero for the deals without an amount).
    """

    outcome: StageOutcome
    lost_reason: str | None
    currency: str | None
    count: int
    amount: Decimal

    def key(self) -> tuple[str, str, str]:
        """The group's outcome, reason and currency as text, for a stable order."""
        return (self.outcome.value, self.lost_reason or "", self.currency or "")


class Accumulator:
    """A running count of deals and their amounts per currency (exact sums)."""

    __slots__ = ("amounts", "count")

    def __init__(self) -> None:
        self.count = 0
        self.amounts: dict[str, Decimal] = {}

    def add(self, amount: Decimal | None, currency: str | None, *, deals: int = 1) -> None:
        """Count ``deals`` deals and add ``amount`` to its currency (a deal without an amount adds none)."""
        self.count += deals
        if amount is not None and currency is not None:
            self.amounts[currency] = EXACT.add(self.amounts.get(currency, Decimal(0)), amount)

    def sorted_amounts(self) -> dict[str, Decimal]:
        """The amounts, currencies in alphabetical order."""
        return dict(sorted(self.amounts.items()))
