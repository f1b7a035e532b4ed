"""The ports of the sales context: pipelines, opportunities and their history."""

from __future__ import annotations

import builtins
from typing import Protocol
from uuid import UUID

from relcore._kernel.declarations import Aggregate, Context
from relcore.ids import OpportunityId, PipelineId
from relcore.sales.model import (
    Opportunity,
    OpportunityChange,
    OpportunityLost,
    OpportunityOpened,
    OpportunityReopened,
    OpportunityStageChanged,
    OpportunityUpdated,
    OpportunityWon,
)
from relcore.sales.pipelines import Pipeline, Stage
from relcore.segments.ports import SegmentsWork
from relcore.storage.base import AggregateRepository, Page

__all__ = [
    "CHANGES",
    "CONTEXT",
    "OPPORTUNITIES",
    "PIPELINES",
    "ChangeRepository",
    "OpportunityRepository",
    "PipelineRepository",
    "SalesWork",
]


class PipelineRepository(AggregateRepository[Pipeline], Protocol):
    """Pipelines: the generic operations (``find(name)`` by their unique name), and the default one."""

    def default(self) -> Pipeline | None:
        """The pipeline marked as default, if one is."""
        ...


class OpportunityRepository(AggregateRepository[Opportunity], Protocol):
    """Opportunities: the generic operations, and the deals of one pipeline."""

    def in_pipeline(
        self, pipeline_id: PipelineId, *, after: UUID | None = None, limit: int = 100
    ) -> Page[Opportunity]:
        """One page of a pipeline's deals, in id order."""
        ...


class ChangeRepository(AggregateRepository[OpportunityChange], Protocol):
    """The append-only history of every deal: ``add`` appends, ``save`` refuses."""

    def for_opportunity(self, opportunity_id: OpportunityId) -> builtins.list[OpportunityChange]:
        """One deal's history, oldest first (by ``at``, then id)."""
        ...

    def uses_stage(self, pipeline_id: PipelineId, stage: str) -> bool:
        """Whether any deal of the pipeline is, or ever was, in the stage."""
        ...


class SalesWork(SegmentsWork, Protocol):
    """The ports the sales use cases need."""

    @property
    def pipelines(self) -> PipelineRepository:
        """The pipelines."""
        ...

    @property
    def opportunities(self) -> OpportunityRepository:
        """The opportunities."""
        ...

    @property
    def opportunity_changes(self) -> ChangeRepository:
        """The opportunities' history."""
        ...


PIPELINES = Aggregate(
    "pipelines",
    PipelineRepository,
    memory="relcore.sales._memory:MemoryPipelines",
    sql="relcore.sales._sql:SqlPipelines",
    entity=Pipeline,
    owner=None,
    unique=(("name",),),
    versioned=True,
    table="relcore.storage.sql.schema:pipelines",
)
"""Pipelines, unique by name, version-checked."""

OPPORTUNITIES = Aggregate(
    "opportunities",
    OpportunityRepository,
    memory="relcore.sales._memory:MemoryOpportunities",
    sql="relcore.sales._sql:SqlOpportunities",
    entity=Opportunity,
    references=(("contact_id", "contacts"), ("pipeline_id", "pipelines")),
    versioned=True,
    table="relcore.storage.sql.schema:opportunities",
)
"""Opportunities, owned by their customer, version-checked."""

CHANGES = Aggregate(
    "opportunity_changes",
    ChangeRepository,
    memory="relcore.sales._memory:MemoryChanges",
    sql="relcore.sales._sql:SqlChanges",
    entity=OpportunityChange,
    references=(("opportunity_id", "opportunities"), ("pipeline_id", "pipelines")),
    append_only=True,
    table="relcore.storage.sql.schema:opportunity_changes",
)
"""Every deal's history: append-only entries owned by the deal's customer."""

CONTEXT = Context(
    "sales",
    ports=(PIPELINES, OPPORTUNITIES, CHANGES),
    events=(
        OpportunityOpened,
        OpportunityStageChanged,
        OpportunityWon,
        OpportunityLost,
        OpportunityReopened,
        OpportunityUpdated,
    ),
    values=(Stage,),
    contracts=("relcore.sales._testing:SalesContract",),
    snapshot="relcore.sales._testing:stored_state",
    examples=(
        ("pipelines", "relcore.sales._testing:new_pipeline"),
        ("opportunities", "relcore.sales._testing:new_deal"),
        ("opportunity_changes", "relcore.sales._testing:new_change"),
    ),
)
"""The sales context, as the registry sees it."""
