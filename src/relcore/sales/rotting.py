"""Deals left behind: rotting deals nobody touched, overdue deals whose close date has passed.

Rotting follows Pipedrive's ``rotten_days`` (a stage's "days the deals not
updated in this stage would become rotten"): a [Stage][relcore.sales.Stage]
with ``rotting_days`` flags its open deals whose last recorded change
(``changed_at``) is older than that. Overdue deals are the open deals whose
expected close date is before the current date in their pipeline's time
zone, each with how many times its close date was pushed later, as the
issue asks of forecasts ("overdue ones flagged, with how often their close
date was pushed").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal

import attrs

from relcore._kernel import checks as check
from relcore.ids import OpportunityId, PipelineId
from relcore.sales._history import check_pipeline, check_pipelines, histories, stage_of, state_at
from relcore.sales.model import Opportunity, OpportunityChange
from relcore.sales.pipelines import Pipeline, StageOutcome

__all__ = ["OverdueDeal", "RottingDeal", "overdue", "rotting"]


@attrs.frozen(kw_only=True)
class RottingDeal:
    """An open deal left without a change for longer than its stage allows.

    Attributes:
        opportunity_id: The deal.
        pipeline_id: Its pipeline.
        stage: Its stage's key.
        idle: The time since its last recorded change.
        days_idle: Whole days of ``idle`` (rounded down).
        rotting_days: The stage's limit, in days.
    """

    opportunity_id: OpportunityId
    pipeline_id: PipelineId
    stage: str
    idle: timedelta
    days_idle: int
    rotting_days: int


def _deal(path: str, value: object) -> Opportunity:
    if not isinstance(value, Opportunity):
        raise check.fail(path, f"expected an Opportunity, got {check.kind(value)}")
    return value


def rotting(
    deals: Iterable[Opportunity], pipelines: Mapping[PipelineId, Pipeline], as_of: datetime
) -> tuple[RottingDeal, ...]:
    """The open deals nobody touched for longer than their stage's ``rotting_days``.

    A deal rots when it is open, its stage has ``rotting_days``, and the time
    from its ``changed_at`` to ``as_of`` is more than that many days.

    Args:
        deals: The deals, in any order.
        pipelines: The pipelines of the open deals, by id.
        as_of: The moment (aware).

    Returns:
        The rotting deals, the longest idle first, ties in id order.

    Raises:
        ValidationError: A bad argument (the error names it), or ``pipelines`` misses the pipeline
            or stage of an open deal.
    """
    checked = check.check_tuple(_deal, "deals", deals)
    flows = check_pipelines(pipelines)
    moment = check.check_datetime("as_of", as_of)
    found = []
    for deal in checked:
        if not deal.is_open:
            continue
        flow = flows.get(deal.pipeline_id)
        if flow is None:
            raise check.fail("pipelines", "has no pipeline for an open deal")
        limit = stage_of(flow, deal.stage, "pipelines").rotting_days
        idle = moment - deal.changed_at
        if limit is not None and idle > timedelta(days=limit):
            found.append(
                RottingDeal(
                    opportunity_id=deal.id,
                    pipeline_id=deal.pipeline_id,
                    stage=deal.stage,
                    idle=idle,
                    days_idle=idle.days,
                    rotting_days=limit,
                )
            )
    return tuple(sorted(found, key=lambda rot: (-rot.idle, rot.opportunity_id)))


@attrs.frozen(kw_only=True)
class OverdueDeal:
    """An open deal whose expected close date has passed.

    Attributes:
        opportunity_id: The deal.
        stage: Its stage's key.
        close_date: Its expected close date.
        days_overdue: Days from the close date to the current date in the pipeline's time zone
            (at least 1).
        pushes: How many of its history entries moved its close date later (an entry whose
            ``close_date`` is after its ``prev_close_date``), up to the moment.
        amount: Its amount, if any.
        currency: The amount's currency.
    """

    opportunity_id: OpportunityId
    stage: str
    close_date: date
    days_overdue: int
    pushes: int
    amount: Decimal | None
    currency: str | None


def overdue(
    changes: Iterable[OpportunityChange], pipeline: Pipeline, as_of: datetime
) -> tuple[OverdueDeal, ...]:
    """The pipeline's deals open at ``as_of`` whose close date was before that day, from their history.

    Each deal's state at ``as_of`` is its last entry dated at or before it (as
    in [book_as_of][relcore.sales.funnel.book_as_of]); it is overdue when
    that state is open, in the pipeline, and its close date is before
    ``as_of``'s date in the pipeline's time zone. Its pushes are counted over
    all its entries dated at or before ``as_of``, in any pipeline.

    Args:
        changes: History entries, in any order.
        pipeline: The pipeline.
        as_of: The moment (aware).

    Returns:
        The overdue deals, the longest overdue first, ties in id order.

    Raises:
        ValidationError: A bad argument (the error names it).
    """
    flow = check_pipeline(pipeline)
    moment = check.check_datetime("as_of", as_of)
    today = flow.local_date(moment)
    found = []
    for deal, entries in histories(changes).items():
        state = state_at(entries, moment)
        if state is None or state.outcome is not StageOutcome.OPEN or state.pipeline_id != flow.id:
            continue
        if state.close_date is None or state.close_date >= today:
            continue
        found.append(
            OverdueDeal(
                opportunity_id=deal,
                stage=state.stage,
                close_date=state.close_date,
                days_overdue=(today - state.close_date).days,
                pushes=sum(1 for entry in entries if entry.at <= moment and entry.pushed),
                amount=state.amount,
                currency=state.currency,
            )
        )
    return tuple(sorted(found, key=lambda late: (late.close_date, late.opportunity_id)))
