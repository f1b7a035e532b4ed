"""Contract of [WinModelRepository][relcore.sales.ports.WinModelRepository]: runs and scores."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest

from relcore.errors import NotFoundError, ValidationError
from relcore.ids import OpportunityId, PipelineId, uuid7
from relcore.registry import Store, UnitOfWork
from relcore.sales._testing import deal, pipeline
from relcore.sales.pipelines import Pipeline
from relcore.sales.win_probability import ClosedDeal, fit_win_probability
from relcore.sales.win_runs import OpportunityScore, Unscored, WinRun
from relcore.testing._contract_support import T0, ContractBase, customer, in_unit, minutes

__all__ = ["WinModelsContract", "win_run"]

_STAGES = ["qualify", "propose", "negotiate"]


def win_run(pipeline_id: PipelineId, **fields: Any) -> WinRun:
    """A scoreable run of ``pipeline_id`` as of `T0`: one won deal and one lost deal, learning ``source``."""
    deals = [ClosedDeal(True, "propose", {"source": ("web ✉",)}), ClosedDeal(False, "qualify")]
    model = fit_win_probability(deals, stages=_STAGES, fields=["source"])
    fields.setdefault("as_of", T0)
    fields.setdefault("created_at", minutes(1))
    fields.setdefault("won", 1)
    fields.setdefault("lost", 1)
    settings = {"fields": ["source"], "tag_fields": ["tags"], "smoothing": 0.1, "min_tag_support": 50}
    fields.setdefault("settings", settings)
    return WinRun(pipeline_id=pipeline_id, model=model.to_json(), **fields)


def _score(run: WinRun, deal_id: OpportunityId, bp: int, stage: str = "qualify") -> OpportunityScore:
    return OpportunityScore(
        opportunity_id=deal_id,
        run_id=run.id,
        pipeline_id=run.pipeline_id,
        stage=stage,
        probability=Decimal(bp).scaleb(-4),
    )


class WinModelsContract(ContractBase):
    """The latest run of each pipeline and the scores of its open deals, replaced together."""

    def _book(self, store: Store, *pipelines: Pipeline, deals: int = 3) -> list[list[OpportunityId]]:
        ada = customer()
        made = [[deal(ada.id, p.id, created_at=minutes(i)) for i in range(deals)] for p in pipelines]

        def write(uow: UnitOfWork) -> None:
            uow.customers.add(ada)
            for p in pipelines:
                uow.pipelines.add(p)
            uow.opportunities.add_many([d for ds in made for d in ds])

        in_unit(store, write)
        return [[d.id for d in ds] for ds in made]

    def test_a_run_and_its_scores_round_trip(self, store: Store) -> None:
        direct = pipeline()
        [ids] = self._book(store, direct)
        run = win_run(direct.id, scored=2)
        scores = [_score(run, ids[0], 1), _score(run, ids[2], 9999, "negotiate")]
        assert in_unit(store, lambda uow: uow.win_models.replace(run, scores)) == 2
        with store.unit_of_work() as uow:
            assert uow.win_models.run(direct.id) == run
            assert uow.win_models.run(direct.id).model == run.model  # type: ignore[union-attr]
            assert uow.win_models.runs() == [run]
            assert uow.win_models.score(ids[0]) == scores[0]
            assert uow.win_models.score(ids[1]) is None
            assert uow.win_models.scores(direct.id) == sorted(scores, key=lambda s: s.opportunity_id)
            assert uow.win_models.scores(PipelineId(uuid7())) == []
            assert uow.win_models.run(PipelineId(uuid7())) is None

    def test_an_unscoreable_run_is_stored_without_scores(self, store: Store) -> None:
        direct = pipeline()
        self._book(store, direct, deals=0)
        model = fit_win_probability([ClosedDeal(False, "qualify")], stages=_STAGES, fields=[])
        run = WinRun(pipeline_id=direct.id, as_of=T0, won=0, lost=1, unscored="no_won", model=model.to_json())
        assert in_unit(store, lambda uow: uow.win_models.replace(run, [])) == 0
        with store.unit_of_work() as uow:
            assert uow.win_models.run(direct.id) == run
            assert run.unscored is Unscored.NO_WON

    def test_a_new_run_replaces_its_pipelines_run_and_scores_only(self, store: Store) -> None:
        direct, partner = pipeline(), pipeline("Partner")
        mine, theirs = self._book(store, direct, partner)
        first, other = win_run(direct.id), win_run(partner.id)
        in_unit(store, lambda uow: uow.win_models.replace(first, [_score(first, d, 100) for d in mine]))
        in_unit(store, lambda uow: uow.win_models.replace(other, [_score(other, d, 200) for d in theirs]))
        second = win_run(direct.id, as_of=minutes(60))
        in_unit(store, lambda uow: uow.win_models.replace(second, [_score(second, mine[1], 300)]))
        with store.unit_of_work() as uow:
            assert uow.win_models.run(direct.id) == second
            assert uow.win_models.runs() == sorted([second, other], key=lambda r: r.pipeline_id)
            assert uow.win_models.scores(direct.id) == [_score(second, mine[1], 300)]
            assert uow.win_models.score(mine[0]) is None
            assert [s.probability for s in uow.win_models.scores(partner.id)] == [Decimal("0.02")] * 3

    def test_a_deal_scored_by_another_pipelines_run_takes_the_new_score(self, store: Store) -> None:
        direct, partner = pipeline(), pipeline("Partner")
        [mine, _] = self._book(store, direct, partner, deals=1)
        old, new = win_run(direct.id), win_run(partner.id)
        in_unit(store, lambda uow: uow.win_models.replace(old, [_score(old, mine[0], 100)]))
        in_unit(store, lambda uow: uow.win_models.replace(new, [_score(new, mine[0], 500)]))
        with store.unit_of_work() as uow:
            assert uow.win_models.score(mine[0]) == _score(new, mine[0], 500)
            assert uow.win_models.scores(direct.id) == []
            assert uow.win_models.run(direct.id) == old

    def test_bad_runs_and_scores_are_refused_and_change_nothing(self, store: Store) -> None:
        direct = pipeline()
        [ids] = self._book(store, direct)
        first = win_run(direct.id)
        in_unit(store, lambda uow: uow.win_models.replace(first, [_score(first, ids[0], 100)]))
        run = win_run(direct.id)
        stranger = attrs.evolve(_score(run, ids[1], 100), run_id=uuid7())
        cases: list[tuple[Any, list[Any], type[Exception]]] = [
            (run, [_score(run, OpportunityId(uuid7()), 100)], NotFoundError),
            (run, [stranger], ValidationError),
            (run, ["not a score"], ValidationError),
            ("not a run", [], ValidationError),
            (win_run(PipelineId(uuid7())), [], NotFoundError),
        ]
        for bad_run, scores, error in cases:
            with store.unit_of_work() as uow:
                with pytest.raises(error):
                    uow.win_models.replace(bad_run, scores)
                uow.commit()  # whatever the refused call did is committed: it must have done nothing
        with store.unit_of_work() as uow:
            assert uow.win_models.runs() == [first]
            assert uow.win_models.scores(direct.id) == [_score(first, ids[0], 100)]

    def test_an_uncommitted_replace_leaves_nothing(self, store: Store) -> None:
        direct = pipeline()
        [ids] = self._book(store, direct)
        run = win_run(direct.id)
        in_unit(store, lambda uow: uow.win_models.replace(run, [_score(run, ids[0], 100)]), commit=False)
        with store.unit_of_work() as uow:
            assert uow.win_models.runs() == []
            assert uow.win_models.score(ids[0]) is None
