"""The memory repositories of the sales context: the generic ones, and their special queries."""

from __future__ import annotations

import bisect
import builtins
from uuid import UUID

from relcore.ids import OpportunityId, PipelineId
from relcore.sales.model import Opportunity, OpportunityChange, ordered
from relcore.sales.pipelines import Pipeline
from relcore.storage.base import Page
from relcore.storage.memory.generic import MemoryRepository
from relcore.storage.rules import check_id, check_limit

__all__ = ["MemoryChanges", "MemoryOpportunities", "MemoryPipelines"]


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
