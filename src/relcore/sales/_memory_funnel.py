"""The funnel query port of a memory store: the pure reference functions over every history entry.

[MemoryFunnel][relcore.sales._memory_funnel.MemoryFunnel] is the reference the
SQL adapter is held to: it reads the whole history and hands it to
[reaches][relcore.sales.funnel.reaches] and
[closed_groups][relcore.sales.performance.closed_groups], so a memory store's
answers are those functions' answers by construction.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from datetime import datetime
from uuid import UUID

from relcore._kernel.checks import check_datetime
from relcore.ids import PipelineId
from relcore.sales._history import ClosedGroup, check_pipeline, histories
from relcore.sales.funnel import reaches
from relcore.sales.model import OpportunityChange
from relcore.sales.performance import closed_groups
from relcore.sales.pipelines import Pipeline
from relcore.storage.memory.session import Session
from relcore.storage.rules import check_id

__all__ = ["MemoryFunnel"]

_PAGE = 1000


class MemoryFunnel:
    """The deals' history of a memory store, grouped in Python.

    Implements [SalesFunnel][relcore.sales.ports.SalesFunnel].
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def _entries(self) -> Iterator[OpportunityChange]:
        """Every history entry of the store, page by page."""
        changes = self._session.uow.opportunity_changes
        after: UUID | None = None
        while True:
            page = changes.list(after=after, limit=_PAGE)
            yield from page.items
            if page.next_after is None:
                return
            after = page.next_after

    def reaches(self, pipeline: Pipeline, as_of: datetime) -> dict[int, int]:
        """Deals per reach in the pipeline (see [SalesFunnel][relcore.sales.ports.SalesFunnel])."""
        self._session.check()
        flow = check_pipeline(pipeline)
        moment = check_datetime("as_of", as_of)
        return reaches(list(self._entries()), flow, moment)

    def closed(
        self, start: datetime, end: datetime, pipeline: Pipeline | None = None
    ) -> builtins.list[ClosedGroup]:
        """The deals closed in the window, grouped (see [SalesFunnel][relcore.sales.ports.SalesFunnel])."""
        self._session.check()
        return closed_groups(list(self._entries()), start, end, pipeline=pipeline)

    def history(self, pipeline_id: PipelineId | None, until: datetime) -> builtins.list[OpportunityChange]:
        """The deals' history up to ``until`` (see [SalesFunnel][relcore.sales.ports.SalesFunnel])."""
        self._session.check()
        wanted = None if pipeline_id is None else check_id("pipeline_id", pipeline_id)
        moment = check_datetime("until", until)
        found: builtins.list[OpportunityChange] = []
        for entries in histories(e for e in self._entries() if e.at <= moment).values():
            if wanted is None or any(e.pipeline_id == wanted for e in entries):
                found += entries
        return found
