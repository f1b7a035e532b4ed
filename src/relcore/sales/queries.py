"""Sales read use cases: forecasts, the weighted pipeline and the funnel analytics, against the ports only.

Each function takes a unit of work and arguments already checked by the
namespace ([Sales][relcore.sales.api.Sales]). The questions that add up many
rows ask the store's query ports (``sales_book``, ``sales_funnel``: one
``GROUP BY`` each on SQL backends); the others read the history through
``sales_funnel.history`` and compute with the pure functions of
[relcore.sales.funnel][], [relcore.sales.waterfall][],
[relcore.sales.performance][] and [relcore.sales.rotting][].
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from relcore.ids import OpportunityId, PipelineId
from relcore.sales import forecasts, funnel, performance
from relcore.sales.forecasts import ExchangeRates, Forecast, Period, WeightedLine
from relcore.sales.funnel import Ratio, StageConversion, StageDuration, Tally
from relcore.sales.model import Opportunity, OpportunityChange
from relcore.sales.performance import SalesVelocity
from relcore.sales.pipelines import Pipeline
from relcore.sales.ports import SalesWork
from relcore.sales.rotting import OverdueDeal, RottingDeal
from relcore.sales.rotting import overdue as overdue_deals
from relcore.sales.rotting import rotting as rotting_deals
from relcore.sales.waterfall import Waterfall, waterfall

__all__ = [
    "book_as_of",
    "changes_between",
    "conversion",
    "every_deal",
    "every_pipeline",
    "forecast",
    "losses",
    "overdue",
    "rotting",
    "stage_durations",
    "velocity",
    "weighted",
    "win_rate",
]

_PAGE = 500


def every_pipeline(uow: SalesWork) -> list[Pipeline]:
    """Every pipeline, in id order."""
    found: list[Pipeline] = []
    page = uow.pipelines.list(limit=_PAGE)
    found += page.items
    while page.next_after is not None:
        page = uow.pipelines.list(after=page.next_after, limit=_PAGE)
        found += page.items
    return found


def every_deal(uow: SalesWork, pipeline_id: PipelineId | None) -> list[Opportunity]:
    """The deals of one pipeline, or every deal, in id order."""

    def page_after(after: object) -> tuple[tuple[Opportunity, ...], object]:
        if pipeline_id is None:
            page = uow.opportunities.list(after=after, limit=_PAGE)  # type: ignore[arg-type]
        else:
            page = uow.opportunities.in_pipeline(pipeline_id, after=after, limit=_PAGE)  # type: ignore[arg-type]
        return page.items, page.next_after

    found: list[Opportunity] = []
    items, after = page_after(None)
    found += items
    while after is not None:
        items, after = page_after(after)
        found += items
    return found


def forecast(
    uow: SalesWork,
    pipeline_id: PipelineId,
    period: Period,
    *,
    as_of: datetime | None,
    now: datetime,
    rates: ExchangeRates | None,
    currency: str | None,
) -> Forecast:
    """The pipeline's forecast (live without ``as_of``); open deals closing before ``now`` are overdue."""
    pipeline = uow.pipelines.get(pipeline_id)
    on = pipeline.local_date(now)
    lines = uow.sales_book.lines([pipeline], as_of=as_of, by=("month",), today={pipeline.id: on})
    return forecasts.forecast(lines, [pipeline], period, rates=rates, currency=currency, on=on)


def weighted(
    uow: SalesWork,
    pipeline_ids: Sequence[PipelineId] | None,
    groups: Sequence[str],
    *,
    as_of: datetime | None,
    on: date,
    rates: ExchangeRates | None,
    currency: str | None,
) -> list[WeightedLine]:
    """The weighted pipeline of the pipelines (every one with ``None``), grouped by ``groups``."""
    chosen = pipeline_ids is not None
    pipelines = [uow.pipelines.get(p) for p in pipeline_ids or ()] if chosen else every_pipeline(uow)
    dimensions = [name for name in ("stage", "owner") if name in groups]
    lines = uow.sales_book.lines(pipelines, as_of=as_of, by=dimensions)
    return forecasts.weighted_pipeline(lines, pipelines, by=groups, rates=rates, currency=currency, on=on)


def book_as_of(
    uow: SalesWork, as_of: datetime, pipeline_id: PipelineId | None
) -> dict[OpportunityId, OpportunityChange]:
    """Every deal (of the pipeline then, if one is named) as it stood at ``as_of``."""
    if pipeline_id is not None:
        uow.pipelines.get(pipeline_id)
    book = funnel.book_as_of(uow.sales_funnel.history(pipeline_id, as_of), as_of)
    return {deal: state for deal, state in book.items() if pipeline_id in (None, state.pipeline_id)}


def changes_between(
    uow: SalesWork, start: datetime, end: datetime, pipeline_id: PipelineId | None
) -> Waterfall:
    """The waterfall from ``start`` to ``end`` (of the deals in the pipeline at either moment, if named)."""
    pipelines = {p.id: p for p in every_pipeline(uow)}
    if pipeline_id is not None and pipeline_id not in pipelines:
        uow.pipelines.get(pipeline_id)  # raises NotFoundError
    entries = uow.sales_funnel.history(pipeline_id, end)
    if pipeline_id is not None:
        books = (funnel.book_as_of(entries, start), funnel.book_as_of(entries, end))
        kept = {deal for book in books for deal, state in book.items() if state.pipeline_id == pipeline_id}
        entries = [e for e in entries if e.opportunity_id in kept]
    return waterfall(entries, pipelines, start, end)


def conversion(uow: SalesWork, pipeline_id: PipelineId, as_of: datetime) -> tuple[StageConversion, ...]:
    """Stage-to-stage conversion, from the reaches the store counts."""
    pipeline = uow.pipelines.get(pipeline_id)
    return funnel.conversion_of(pipeline, uow.sales_funnel.reaches(pipeline, as_of))


def stage_durations(uow: SalesWork, pipeline_id: PipelineId, as_of: datetime) -> tuple[StageDuration, ...]:
    """Time spent in each open stage, from the pipeline's history."""
    pipeline = uow.pipelines.get(pipeline_id)
    return funnel.stage_durations(uow.sales_funnel.history(pipeline_id, as_of), pipeline, as_of)


def win_rate(uow: SalesWork, start: datetime, end: datetime, pipeline_id: PipelineId | None) -> Ratio:
    """Won / (won + lost) among the deals closed in ``[start, end)``, from the groups the store counts."""
    pipeline = None if pipeline_id is None else uow.pipelines.get(pipeline_id)
    return performance.win_rate_of(uow.sales_funnel.closed(start, end, pipeline))


def losses(
    uow: SalesWork, start: datetime, end: datetime, pipeline_id: PipelineId | None
) -> dict[str | None, Tally]:
    """The deals lost in ``[start, end)`` per reason, from the groups the store counts."""
    pipeline = None if pipeline_id is None else uow.pipelines.get(pipeline_id)
    return performance.losses_of(uow.sales_funnel.closed(start, end, pipeline))


def velocity(
    uow: SalesWork, pipeline_id: PipelineId | None, start: datetime, end: datetime, as_of: datetime
) -> SalesVelocity:
    """Sales velocity per currency, from the history."""
    pipeline = None if pipeline_id is None else uow.pipelines.get(pipeline_id)
    entries = uow.sales_funnel.history(pipeline_id, max(end, as_of))
    return performance.sales_velocity(entries, pipeline, start, end, as_of)


def rotting(uow: SalesWork, as_of: datetime, pipeline_id: PipelineId | None) -> tuple[RottingDeal, ...]:
    """The open deals idle longer than their stage's rotting days."""
    pipelines = {p.id: p for p in every_pipeline(uow)}
    if pipeline_id is not None and pipeline_id not in pipelines:
        uow.pipelines.get(pipeline_id)  # raises NotFoundError
    return rotting_deals(every_deal(uow, pipeline_id), pipelines, as_of)


def overdue(uow: SalesWork, pipeline_id: PipelineId, as_of: datetime) -> tuple[OverdueDeal, ...]:
    """The pipeline's open deals past their close date, with their pushes, from the history."""
    pipeline = uow.pipelines.get(pipeline_id)
    return overdue_deals(uow.sales_funnel.history(pipeline_id, as_of), pipeline, as_of)
