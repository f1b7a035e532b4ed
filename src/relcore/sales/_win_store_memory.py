"""The win-probability runs and scores of a memory store."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from relcore.errors import NotFoundError
from relcore.ids import OpportunityId, PipelineId
from relcore.sales.win_runs import OpportunityScore, WinRun, check_scores
from relcore.storage.memory.session import Session
from relcore.storage.rules import check_id

__all__ = ["MemoryWinModels", "WinTable"]


class WinTable:
    """The runs (by pipeline id) and the scores (by deal id) of a memory store."""

    __slots__ = ("runs", "scores")

    def __init__(self) -> None:
        self.runs: dict[UUID, WinRun] = {}
        self.scores: dict[UUID, OpportunityScore] = {}

    @property
    def rows(self) -> dict[UUID, OpportunityScore]:
        """The scores by deal id."""
        return self.scores

    def owned(self, owner_id: UUID) -> builtins.list[Any]:
        """Nothing: runs and scores belong to pipelines and deals, not to customers."""
        return []


class MemoryWinModels:
    """Runs and scores in memory; implements [WinModelRepository][relcore.sales.ports.WinModelRepository]."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _table(self) -> WinTable:
        return self._session.tables.table("win_models", WinTable)

    def replace(self, run: WinRun, scores: Iterable[OpportunityScore]) -> int:
        """Make ``run`` its pipeline's stored run, and ``scores`` that pipeline's only scores."""
        self._session.check_write()
        checked = check_scores(run, scores)
        if not self._session.tables.holds("pipelines", run.pipeline_id):
            raise NotFoundError("pipeline", run.pipeline_id)
        for item in checked:
            if not self._session.tables.holds("opportunities", item.opportunity_id):
                raise NotFoundError("opportunity", item.opportunity_id)
        table, log = self._table(), self._session.log
        previous = table.runs.get(run.pipeline_id)
        if previous is not None:
            for deal_id in [d for d, s in table.scores.items() if s.run_id == previous.id]:
                log.delete(table.scores, deal_id)
        log.put(table.runs, run.pipeline_id, run)
        for item in checked:
            log.put(table.scores, item.opportunity_id, item)
        return len({item.opportunity_id for item in checked})

    def run(self, pipeline_id: PipelineId) -> WinRun | None:
        """The pipeline's stored run, if it was refreshed."""
        self._session.check()
        return self._table().runs.get(check_id("pipeline_id", pipeline_id))

    def runs(self) -> builtins.list[WinRun]:
        """Every stored run, by pipeline id."""
        self._session.check()
        runs = self._table().runs
        return [runs[p] for p in sorted(runs)]

    def score(self, opportunity_id: OpportunityId) -> OpportunityScore | None:
        """The deal's stored score, if a run scored it."""
        self._session.check()
        return self._table().scores.get(check_id("opportunity_id", opportunity_id))

    def scores(self, pipeline_id: PipelineId) -> builtins.list[OpportunityScore]:
        """The scores of the pipeline's stored run, in deal id order."""
        self._session.check()
        wanted = check_id("pipeline_id", pipeline_id)
        table = self._table()
        run = table.runs.get(wanted)
        if run is None:
            return []
        return sorted(
            (s for s in table.scores.values() if s.run_id == run.id), key=lambda s: s.opportunity_id
        )
