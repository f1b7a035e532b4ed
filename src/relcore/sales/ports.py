"""The ports of the sales context: pipelines, opportunities and their history."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from relcore._kernel.declarations import Aggregate, Context, Port
from relcore.ids import OpportunityId, PipelineId
from relcore.sales._history import ClosedGroup
from relcore.sales.forecasts import BookLine
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
    "BOOK",
    "CHANGES",
    "CONTEXT",
    "FUNNEL",
    "OPPORTUNITIES",
    "PIPELINES",
    "ChangeRepository",
    "ClosedGroup",
    "OpportunityRepository",
    "PipelineRepository",
    "SalesBook",
    "SalesFunnel",
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


class SalesBook(Protocol):
    """The book of deals, grouped for forecasts: one query over many deals."""

    def lines(
        self, pipeline_ids: Sequence[PipelineId], *, as_of: datetime | None = None, by_owner: bool = False
    ) -> builtins.list[BookLine]:
        """The deals of the pipelines, grouped into [BookLine][relcore.sales.forecasts.BookLine]s.

        With ``as_of``, the deals as they stood then, rebuilt from their history
        (each deal's last entry at or before ``as_of``; its owner is today's);
        else as they are. Lines come in no particular order; a store may split
        a group into several lines (add them up with ``merged``).
        """
        ...


class SalesFunnel(Protocol):
    """The deals' history, grouped for the funnel analytics: small answers over many entries.

    ``reaches`` and ``closed`` add up many entries (SQL stores group them in
    the database); ``history`` reads the entries the other analytics walk in
    Python. Their reference semantics are the pure functions of
    [relcore.sales.funnel][] and [relcore.sales.performance][].
    """

    def reaches(self, pipeline: Pipeline, as_of: datetime) -> dict[int, int]:
        """How many of the pipeline's deals reached each open stage at the furthest.

        The number of deals per reach, reaches without a deal left out, in
        order; see [reaches][relcore.sales.funnel.reaches].
        """
        ...

    def closed(
        self, start: datetime, end: datetime, pipeline: Pipeline | None = None
    ) -> builtins.list[ClosedGroup]:
        """The deals closed in ``[start, end)`` (of the pipeline at ``end``), grouped.

        One [ClosedGroup][relcore.sales.ports.ClosedGroup] per outcome, lost
        reason and currency, in the order of their ``key``; see
        [closed_groups][relcore.sales.performance.closed_groups].
        """
        ...

    def history(self, pipeline_id: PipelineId | None, until: datetime) -> builtins.list[OpportunityChange]:
        """The entries dated at or before ``until`` of the deals with such an entry in the pipeline.

        Every deal's when ``pipeline_id`` is ``None``; entries of other
        pipelines included (a deal's whole history up to ``until``), in
        history order per deal, deals in id order.
        """
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

    @property
    def sales_book(self) -> SalesBook:
        """The book of deals, grouped for forecasts."""
        ...

    @property
    def sales_funnel(self) -> SalesFunnel:
        """The deals' history, grouped for the funnel analytics."""
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

BOOK = Port(
    "sales_book",
    SalesBook,
    memory="relcore.sales._memory:MemoryBook",
    sql="relcore.sales._sql_book:SqlBook",
)
"""The book of deals, grouped for forecasts (a query port: it stores nothing)."""

FUNNEL = Port(
    "sales_funnel",
    SalesFunnel,
    memory="relcore.sales._memory_funnel:MemoryFunnel",
    sql="relcore.sales._sql_funnel:SqlFunnel",
)
"""The deals' history, grouped for the funnel analytics (a query port: it stores nothing)."""

CONTEXT = Context(
    "sales",
    ports=(PIPELINES, OPPORTUNITIES, CHANGES, BOOK, FUNNEL),
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
