"""The memory repositories of the sales context: the generic ones, and their special queries."""

from __future__ import annotations

import bisect
import builtins
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs

from relcore._kernel.checks import check_datetime
from relcore.ids import OpportunityId, PipelineId
from relcore.sales.decisions import category_of, probability_for
from relcore.sales.forecasts import BookLine, check_groups, merged
from relcore.sales.model import Opportunity, OpportunityChange, ordered
from relcore.sales.pipelines import ForecastCategory, Pipeline, StageOutcome
from relcore.storage.base import AggregateRepository, Page
from relcore.storage.memory.generic import MemoryRepository
from relcore.storage.memory.session import Session
from relcore.storage.rules import check_id, check_limit

__all__ = ["MemoryBook", "MemoryChanges", "MemoryOpportunities", "MemoryPipelines"]


class MemoryPipelines(MemoryRepository[Pipeline]):
    """Pipelines in memory; implements [PipelineRepository][relcore.sales.ports.PipelineRepository]."""

    def default(self) -> Pipeline | None:
        """The pipeline marked as default, if one is."""
        self._session.check()
        return next((p for p in self._table().rows.values() if p.default), None)


class MemoryOpportunities(MemoryRepository[Opportunity]):
    """Opportunities in memory.

    Implements [OpportunityRepository][relcore.sales.ports.OpportunityRepository].
    """

    def in_pipeline(
        self, pipeline_id: PipelineId, *, after: UUID | None = None, limit: int = 100
    ) -> Page[Opportunity]:
        """One page of a pipeline's deals, in id order."""
        self._session.check()
        wanted = check_id("pipeline_id", pipeline_id)
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        table = self._table()
        index = 0 if start is None else bisect.bisect_right(table.ids, start)
        chosen: builtins.list[Opportunity] = []
        for entity_id in table.ids[index:]:
            deal = table.rows[entity_id]
            if deal.pipeline_id == wanted:
                if len(chosen) == size:
                    return Page(tuple(chosen), chosen[-1].id)
                chosen.append(deal)
        return Page(tuple(chosen), None)

    def recategorize(self, pipeline_id: PipelineId, stage: str, category: ForecastCategory) -> int:
        """Give the open deals of a stage without a manual category the stage's new ``category``."""
        self._session.check_write()
        wanted = check_id("pipeline_id", pipeline_id)
        table = self._table()
        changed = 0
        for deal in list(table.rows.values()):
            if (deal.pipeline_id, deal.stage, deal.outcome) != (wanted, stage, StageOutcome.OPEN):
                continue
            if deal.forecast_category is None and deal.category is not category:
                self._session.log.put(table.rows, deal.id, attrs.evolve(deal, category=category))
                changed += 1
        return changed


class MemoryChanges(MemoryRepository[OpportunityChange]):
    """The deals' history in memory; implements [ChangeRepository][relcore.sales.ports.ChangeRepository]."""

    def for_opportunity(self, opportunity_id: OpportunityId) -> builtins.list[OpportunityChange]:
        """One deal's history, oldest first (by ``at``, then id)."""
        self._session.check()
        wanted = check_id("opportunity_id", opportunity_id)
        return ordered(c for c in self._table().rows.values() if c.opportunity_id == wanted)

    def uses_stage(self, pipeline_id: PipelineId, stage: str) -> bool:
        """Whether any deal of the pipeline is, or ever was, in the stage."""
        self._session.check()
        wanted = check_id("pipeline_id", pipeline_id)
        return any(
            (c.pipeline_id == wanted and c.stage == stage)
            or (c.prev_pipeline_id == wanted and c.prev_stage == stage)
            for c in self._table().rows.values()
        )


def _every(repository: AggregateRepository[Any]) -> Iterator[Any]:
    after: UUID | None = None
    while True:
        page = repository.list(after=after, limit=1000)
        yield from page.items
        if page.next_after is None:
            return
        after = page.next_after


class MemoryBook:
    """The book of deals of a memory store, added up deal by deal (the reference of the SQL query).

    A deal open in the pipeline and stage its stored win-probability score was
    computed for weighs with that score when its pipeline uses the model (as of
    a past moment too: today's scores, matched to the stage the deal was in then).
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def lines(
        self,
        pipelines: Sequence[Pipeline],
        *,
        as_of: datetime | None = None,
        by: Collection[str] = ("stage", "month"),
        today: Mapping[PipelineId, date] | None = None,
    ) -> builtins.list[BookLine]:
        """The deals of the pipelines, grouped (see [SalesBook][relcore.sales.ports.SalesBook])."""
        self._session.check()
        wanted = {p.id: p for p in pipelines}
        groups = check_groups(by)
        uow = self._session.uow
        deals: dict[UUID, Opportunity] = {d.id: d for d in _every(uow.opportunities)}
        states: list[Opportunity | OpportunityChange]
        if as_of is None:
            states = list(deals.values())
        else:
            moment = check_datetime("as_of", as_of)
            last: dict[UUID, OpportunityChange] = {}
            for entry in _every(uow.opportunity_changes):
                seen = last.get(entry.opportunity_id)
                if entry.at <= moment and (seen is None or (entry.at, entry.id) > (seen.at, seen.id)):
                    last[entry.opportunity_id] = entry
            states = list(last.values())
        scores = {
            s.opportunity_id: s
            for p in wanted.values()
            if p.win_probability
            for s in uow.win_models.scores(p.id)
        }
        lines = []
        for state in states:
            pipeline = wanted.get(state.pipeline_id)
            if pipeline is None or state.outcome is StageOutcome.LOST:
                continue
            deal_id = state.id if isinstance(state, Opportunity) else state.opportunity_id
            score = scores.get(deal_id)
            model = (
                score.probability
                if score is not None and (score.pipeline_id, score.stage) == (state.pipeline_id, state.stage)
                else None
            )
            lines.append(self._line(state, pipeline, deals.get(deal_id), model, groups, today))
        return merged(lines)

    @staticmethod
    def _line(
        state: Opportunity | OpportunityChange,
        pipeline: Pipeline,
        deal: Opportunity | None,
        model: Decimal | None,
        groups: frozenset[str],
        today: Mapping[PipelineId, date] | None,
    ) -> BookLine:
        amount = state.amount if state.amount is not None else Decimal(0)
        closing = state.close_date
        due = None if today is None else today.get(pipeline.id)
        late = (
            state.outcome is StageOutcome.OPEN and due is not None and closing is not None and closing < due
        )
        probability = probability_for(pipeline, state.outcome, state.stage, state.probability, model)
        if isinstance(state, Opportunity):
            category = state.category  # kept with the deal
        else:
            stage = pipeline.find_stage(state.stage)
            category = category_of(stage, state.outcome, state.forecast_category)
        dated = closing is not None and "month" in groups
        return BookLine(
            state.pipeline_id,
            state.stage if "stage" in groups else None,
            category,
            state.currency,
            closing.year if dated else None,  # type: ignore[union-attr]
            closing.month if dated else None,  # type: ignore[union-attr]
            late,
            deal.owner if deal is not None and "owner" in groups else None,
            1,
            amount,
            amount * probability,
        )
