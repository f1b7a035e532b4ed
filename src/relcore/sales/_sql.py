"""The SQL repositories of the sales context: the generic ones, and their special queries."""

from __future__ import annotations

import builtins
from uuid import UUID

import sqlalchemy as sa

from relcore.ids import OpportunityId, PipelineId
from relcore.sales.model import Opportunity, OpportunityChange
from relcore.sales.pipelines import ForecastCategory, Pipeline, StageOutcome
from relcore.storage.base import Page
from relcore.storage.rules import check_id, check_limit
from relcore.storage.sql.generic import SqlRepository
from relcore.storage.sql.schema import opportunities, opportunity_changes, pipelines

__all__ = ["SqlChanges", "SqlOpportunities", "SqlPipelines"]


class SqlPipelines(SqlRepository[Pipeline]):
    """Pipelines in ``relcore_pipelines``."""

    def default(self) -> Pipeline | None:
        """The pipeline marked as default, if one is."""
        return self.first(
            sa.select(pipelines).where(pipelines.c.is_default).order_by(pipelines.c.id).limit(1)
        )


class SqlOpportunities(SqlRepository[Opportunity]):
    """Opportunities in ``relcore_opportunities``."""

    def in_pipeline(
        self, pipeline_id: PipelineId, *, after: UUID | None = None, limit: int = 100
    ) -> Page[Opportunity]:
        """One page of a pipeline's deals, in id order."""
        wanted = check_id("pipeline_id", pipeline_id)
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        query = (
            sa.select(opportunities)
            .where(opportunities.c.pipeline_id == wanted)
            .order_by(opportunities.c.id)
            .limit(size + 1)
        )
        if start is not None:
            query = query.where(opportunities.c.id > start)
        found = self.all(query)
        items = tuple(found[:size])
        return Page(items, items[-1].id if len(found) > size else None)

    def recategorize(self, pipeline_id: PipelineId, stage: str, category: ForecastCategory) -> int:
        """Give the open deals of a stage without a manual category the stage's new ``category``."""
        self._uow.check_writable()
        table = opportunities
        statement = (
            table.update()
            .where(
                table.c.pipeline_id == check_id("pipeline_id", pipeline_id),
                table.c.stage == stage,
                table.c.outcome == StageOutcome.OPEN.value,
                table.c.forecast_category.is_(None),
                table.c.category != category.value,
            )
            .values(category=category.value)
        )
        return int(self._uow.execute(statement, what="recategorize opportunities").rowcount)


class SqlChanges(SqlRepository[OpportunityChange]):
    """The deals' history in ``relcore_opportunity_changes`` (append-only)."""

    def for_opportunity(self, opportunity_id: OpportunityId) -> builtins.list[OpportunityChange]:
        """One deal's history, oldest first (by ``at``, then id)."""
        wanted = check_id("opportunity_id", opportunity_id)
        table = opportunity_changes
        return self.all(
            sa.select(table).where(table.c.opportunity_id == wanted).order_by(table.c.at, table.c.id)
        )

    def uses_stage(self, pipeline_id: PipelineId, stage: str) -> bool:
        """Whether any deal of the pipeline is, or ever was, in the stage."""
        wanted = check_id("pipeline_id", pipeline_id)
        table = opportunity_changes
        condition = sa.or_(
            sa.and_(table.c.pipeline_id == wanted, table.c.stage == stage),
            sa.and_(table.c.prev_pipeline_id == wanted, table.c.prev_stage == stage),
        )
        found = self._uow.execute(sa.select(sa.exists().where(condition)), what="read opportunity_changes")
        return bool(found.scalar_one())
