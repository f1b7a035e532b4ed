"""The win-probability runs and scores in SQL: ``relcore_win_runs`` and ``relcore_win_scores``."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from itertools import islice
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from relcore.errors import NotFoundError
from relcore.ids import OpportunityId, PipelineId
from relcore.sales.win_runs import OpportunityScore, WinRun, check_scores
from relcore.storage.rules import check_id
from relcore.storage.sql.codec import RowCodec
from relcore.storage.sql.schema import opportunities, pipelines, win_runs, win_scores

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlWinModels"]

_CHUNK = 1000
_RUNS = RowCodec(win_runs, WinRun)
_SCORES = RowCodec(win_scores, OpportunityScore)


class SqlWinModels:
    """Runs and scores in SQL; implements [WinModelRepository][relcore.sales.ports.WinModelRepository]."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def replace(self, run: WinRun, scores: Iterable[OpportunityScore]) -> int:
        """Make ``run`` its pipeline's stored run, and ``scores`` that pipeline's only scores."""
        checked = check_scores(run, scores)
        execute = self._uow.execute
        known = execute(
            sa.select(pipelines.c.id).where(pipelines.c.id == run.pipeline_id), what="find the pipeline"
        ).first()
        if known is None:
            raise NotFoundError("pipeline", run.pipeline_id)
        rows = {item.opportunity_id: _SCORES.row(item) for item in checked}  # the last score of a deal wins
        deal_ids = list(rows)
        for start in range(0, len(deal_ids), _CHUNK):
            chunk = deal_ids[start : start + _CHUNK]
            found = set(
                execute(
                    sa.select(opportunities.c.id).where(opportunities.c.id.in_(chunk)), what="find the deals"
                ).scalars()
            )
            missing = [d for d in chunk if d not in found]
            if missing:
                raise NotFoundError("opportunity", missing[0])
        previous = sa.select(win_runs.c.id).where(win_runs.c.pipeline_id == run.pipeline_id)
        stale = list(execute(previous, what="read the pipeline's win run").scalars())
        if stale:
            execute(win_scores.delete().where(win_scores.c.run_id.in_(stale)), what="drop win scores")
            execute(win_runs.delete().where(win_runs.c.id.in_(stale)), what="drop the win run")
        execute(win_runs.insert().values(_RUNS.row(run)), what="store the win run")
        values = iter(rows.items())
        while chunk_rows := list(islice(values, _CHUNK)):
            ids = [deal_id for deal_id, _ in chunk_rows]
            # a deal moved from another pipeline may still hold that pipeline's score: this one wins
            execute(
                win_scores.delete().where(win_scores.c.opportunity_id.in_(ids)), what="replace win scores"
            )
            execute(win_scores.insert(), [row for _, row in chunk_rows], what="store win scores")
            self._uow.grew(win_scores, len(chunk_rows))
        return len(rows)

    def run(self, pipeline_id: PipelineId) -> WinRun | None:
        """The pipeline's stored run, if it was refreshed."""
        wanted = check_id("pipeline_id", pipeline_id)
        query = sa.select(win_runs).where(win_runs.c.pipeline_id == wanted)
        row = self._uow.execute(query, what="read the win run").mappings().first()
        return None if row is None else _RUNS.entity(dict(row))

    def runs(self) -> builtins.list[WinRun]:
        """Every stored run, by pipeline id."""
        query = sa.select(win_runs).order_by(win_runs.c.pipeline_id)
        found = [_RUNS.entity(dict(row)) for row in self._uow.execute(query, what="read win runs").mappings()]
        return sorted(found, key=lambda r: r.pipeline_id)  # UUID order, whatever the column's collation

    def score(self, opportunity_id: OpportunityId) -> OpportunityScore | None:
        """The deal's stored score, if a run scored it."""
        wanted = check_id("opportunity_id", opportunity_id)
        query = sa.select(win_scores).where(win_scores.c.opportunity_id == wanted)
        row = self._uow.execute(query, what="read the win score").mappings().first()
        return None if row is None else _SCORES.entity(dict(row))

    def scores(self, pipeline_id: PipelineId) -> builtins.list[OpportunityScore]:
        """The scores of the pipeline's stored run, in deal id order."""
        wanted = check_id("pipeline_id", pipeline_id)
        joined = win_scores.join(win_runs, win_runs.c.id == win_scores.c.run_id)
        query: Any = sa.select(win_scores).select_from(joined).where(win_runs.c.pipeline_id == wanted)
        rows = self._uow.execute(query, what="read win scores").mappings()
        return sorted((_SCORES.entity(dict(row)) for row in rows), key=lambda s: s.opportunity_id)
