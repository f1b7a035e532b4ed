"""Rotting deals: open deals nobody touched for longer than their stage allows.

After Pipedrive's ``rotten_days`` (a stage's "days the deals not updated in
this stage would become rotten"): a [Stage][relcore.sales.Stage] with
``rotting_days`` flags its open deals whose last recorded change
(``changed_at``) is older than that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import attrs

from relcore._kernel import checks as check
from relcore.ids import OpportunityId, PipelineId
from relcore.sales._history import check_pipelines, stage_of
from relcore.sales.model import Opportunity
from relcore.sales.pipelines import Pipeline

__all__ = ["RottingDeal", "rotting"]


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
