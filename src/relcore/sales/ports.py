"""The ports of the sales context: pipelines, opportunities and their history."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from relcore._kernel.declarations import Aggregate, Context, History, HistoryField, Money, Port
from relcore._kernel.money import CURRENCIES
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
from relcore.sales.pipelines import ForecastCategory, Pipeline, Stage, StageOutcome
from relcore.sales.win_runs import OpportunityScore, WinRun
from relcore.segments.ports import SegmentsWork
from relcore.storage.base import AggregateRepository, Page

__all__ = [
    "BOOK",
    "CHANGES",
    "CONTEXT",
    "FUNNEL",
    "OPPORTUNITIES",
    "OPPORTUNITY_HISTORY",
    "PIPELINES",
    "ChangeRepository",
    "ClosedGroup",
    "OpportunityRepository",
    "PipelineRepository",
    "SalesBook",
    "SalesFunnel",
    "SalesWork",
    "WIN_MODELS",
    "WinModelRepository",
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

    def recategorize(self, pipeline_id: PipelineId, stage: str, category: ForecastCategory) -> int:
        """Give the open deals of a stage without a manual category the stage's new ``category``.

        Their versions do not change (the category follows from the pipeline);
        returns how many deals changed.
        """
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
        self,
        pipelines: Sequence[Pipeline],
        *,
        as_of: datetime | None = None,
        by: Collection[str] = ("stage", "month"),
        today: Mapping[PipelineId, date] | None = None,
    ) -> builtins.list[BookLine]:
        """The open and won deals of the pipelines, grouped into book lines.

        Lines tell pipelines, categories, currencies and overdue deals apart,
        and stages, months of close date and owners when ``by`` names them
        ([GROUPS][relcore.sales.forecasts.GROUPS]). With ``as_of``, the deals
        as they stood then, rebuilt from their history (each deal's last entry
        at or before ``as_of``; its category follows from today's stages, its
        owner is today's); else as they are. The weighted amounts
        use the pipelines' stage probabilities as given and, for a pipeline
        using the win-probability model, the stored score of a deal open in the
        pipeline and stage it was scored for (today's scores, as of a past
        moment too). An open deal is overdue when its close date is before its
        pipeline's ``today`` (never without ``today``). Lines come in no
        particular order; a store may split a group into several lines (add
        them up with ``merged``).
        """
        ...


class WinModelRepository(Protocol):
    """The win-probability refresh's runs (the latest per pipeline) and the scores of their open deals."""

    def replace(self, run: WinRun, scores: Iterable[OpportunityScore]) -> int:
        """Make ``run`` its pipeline's stored run, and ``scores`` that pipeline's only scores.

        The pipeline's previous run and its scores are dropped; a deal scored
        by another pipeline's run keeps that score until that run is
        replaced. Every score must name ``run`` and its pipeline, and a
        stored deal ([`NotFoundError`][relcore.errors.NotFoundError]); a deal
        scored twice keeps the last score. Returns how many deals are scored.
        """
        ...

    def run(self, pipeline_id: PipelineId) -> WinRun | None:
        """The pipeline's stored run, if it was refreshed."""
        ...

    def runs(self) -> builtins.list[WinRun]:
        """Every stored run, by pipeline id."""
        ...

    def score(self, opportunity_id: OpportunityId) -> OpportunityScore | None:
        """The deal's stored score, if a run scored it."""
        ...

    def scores(self, pipeline_id: PipelineId) -> builtins.list[OpportunityScore]:
        """The scores of the pipeline's stored run, in deal id order."""
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
    def win_models(self) -> WinModelRepository:
        """The win-probability runs and scores."""
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

OPPORTUNITY_HISTORY = History(
    "opportunities",
    OPPORTUNITIES,
    (
        HistoryField("stage", "text"),
        HistoryField("outcome", "choice", choices=StageOutcome),
        HistoryField("pipeline_id", "id"),
        HistoryField("currency", "choice", nullable=True, choices=sorted(CURRENCIES)),
        HistoryField("amount", "money", nullable=True, column="amount_minor"),
        HistoryField("category", "choice", choices=ForecastCategory),
        HistoryField("forecast_category", "choice", nullable=True, choices=ForecastCategory),
        HistoryField("owner", "text", nullable=True),
        HistoryField("source", "text", nullable=True),
        HistoryField("campaign_id", "id", nullable=True),
        HistoryField("contact_id", "id", nullable=True),
        HistoryField("lost_reason", "text", nullable=True),
        HistoryField("closed_at", "datetime", nullable=True),
    ),
    time="created_at",
    money=Money(),
)
"""A customer's deals as rules see them, as they are now and dated by their opening:
``opportunities(outcome == "won").within(days=365).sum(currency="EUR") > 10000``.
``category`` is the category a deal counts in (``opportunities(outcome == "open", category ==
"commit", currency == "EUR", amount > 5000).count() >= 1``); ``forecast_category`` the manual one."""

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

WIN_MODELS = Port(
    "win_models",
    WinModelRepository,
    memory="relcore.sales._win_store_memory:MemoryWinModels",
    sql="relcore.sales._win_store_sql:SqlWinModels",
)
"""The win-probability runs (the latest of each pipeline) and their scores."""

CONTEXT = Context(
    "sales",
    ports=(PIPELINES, OPPORTUNITIES, CHANGES, BOOK, WIN_MODELS, FUNNEL),
    events=(
        OpportunityOpened,
        OpportunityStageChanged,
        OpportunityWon,
        OpportunityLost,
        OpportunityReopened,
        OpportunityUpdated,
    ),
    values=(Stage,),
    contracts=("relcore.sales._testing:SalesContract", "relcore.sales._win_testing:WinModelsContract"),
    histories=(OPPORTUNITY_HISTORY,),
    snapshot="relcore.sales._testing:stored_state",
    examples=(
        ("pipelines", "relcore.sales._testing:new_pipeline"),
        ("opportunities", "relcore.sales._testing:new_deal"),
        ("opportunity_changes", "relcore.sales._testing:new_change"),
    ),
)
"""The sales context, as the registry sees it."""
