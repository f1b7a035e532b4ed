"""The win-probability refresh: fit each pipeline's model on its closed deals, store it, score its open deals.

For each pipeline it reads the deals' history as of ``as_of``: a deal whose
last entry then left it won or lost in the pipeline is a closed deal, counted
at the **last open stage it was in before it closed** (the ``prev_stage`` of
its latest won or lost entry). Its field values are the deal's and its
customer's current ones (they keep no history). It fits
[`fit_win_probability`][relcore.sales.win_probability.fit_win_probability] on
them, scores every deal open in the pipeline now, and replaces the pipeline's
stored run and scores in the unit of work. A pipeline without won or without
lost deals gets a run that says so ([Unscored][relcore.sales.win_runs.Unscored])
and no score: its deals keep their stages' probabilities.

The same deals and settings give the same model, to the byte of its JSON text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs

from relcore._kernel.checks import fail
from relcore.customers.model import Customer
from relcore.ids import OpportunityId, PipelineId
from relcore.sales._win_format import fields_setting, smoothing_setting, support_setting, tag_fields_setting
from relcore.sales._win_values import (
    Closing,
    ProbabilitySource,
    check_field_names,
    closings,
    model_score,
    open_deal,
    probability_source,
    values_of,
)
from relcore.sales.decisions import effective_probability
from relcore.sales.model import Opportunity, OpportunityChange
from relcore.sales.pipelines import Pipeline
from relcore.sales.ports import SalesWork
from relcore.sales.win_calibration import Calibration, calibration
from relcore.sales.win_probability import (
    ClosedDeal,
    OpenDeal,
    WinProbabilityModel,
    WinScore,
    fit_win_probability,
)
from relcore.sales.win_runs import OpportunityScore, WinRun, unscored_reason

__all__ = [
    "ProbabilityExplanation",
    "Progress",
    "WinSettings",
    "calibrate",
    "check_settings",
    "explain",
    "pipelines_to_refresh",
    "probability",
    "refresh_pipeline",
]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``; stages ``"read"``, ``"fit"``, ``"score"``, ``"store"``."""

_PAGE = 1000


@attrs.frozen
class WinSettings:
    """A fit's settings, checked by the caller (see ``crm.sales.refresh_win_probability``)."""

    fields: tuple[str, ...]
    tag_fields: tuple[str, ...]
    smoothing: float
    min_tag_support: int

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON object (stored with the run)."""
        return {
            "fields": list(self.fields),
            "tag_fields": list(self.tag_fields),
            "smoothing": self.smoothing,
            "min_tag_support": self.min_tag_support,
        }

    def fit(self, deals: Sequence[ClosedDeal], pipeline: Pipeline) -> WinProbabilityModel:
        """The model of ``deals`` over the pipeline's open stages."""
        return fit_win_probability(
            deals,
            stages=[s.key for s in pipeline.open_stages],
            fields=self.fields,
            tag_fields=self.tag_fields,
            smoothing=self.smoothing,
            min_tag_support=self.min_tag_support,
        )


def check_settings(fields: object, tag_fields: object, smoothing: object, support: object) -> WinSettings:
    """The fit's settings, checked: every error names its argument (``fields[1]``, ``smoothing``)."""
    learned = check_field_names("fields", fields_setting(fields))
    tags = check_field_names("tag_fields", tag_fields_setting(tag_fields))
    return WinSettings(learned, tags, smoothing_setting(smoothing), support_setting(support))


def _pages(read: Callable[[UUID | None], Any]) -> Iterator[Any]:
    after: UUID | None = None
    while True:
        page = read(after)
        yield from page.items
        if page.next_after is None:
            return
        after = page.next_after


def _history(uow: SalesWork, report: Progress) -> Iterator[OpportunityChange]:
    pages = _pages(lambda after: uow.opportunity_changes.list(after=after, limit=_PAGE))
    for seen, change in enumerate(pages, start=1):
        if seen % _PAGE == 0:
            report("read", seen, 0)
        yield change


class _Reader:
    """Deals and customers read once, in pages, for the values of the fields learned."""

    def __init__(self, uow: SalesWork, settings: WinSettings) -> None:
        self._uow = uow
        self._customers = any(f.startswith("customer.") for f in settings.fields)
        self._fields = settings.fields
        self.deals: dict[OpportunityId, Opportunity] = {
            d.id: d for d in _pages(lambda after: uow.opportunities.list(after=after, limit=_PAGE))
        }
        self.people: dict[UUID, Customer] = {}
        if self._customers:
            self.people = {
                c.id: c for c in _pages(lambda after: uow.customers.list(after=after, limit=_PAGE))
            }

    def values(self, deal: Opportunity) -> dict[str, tuple[str, ...]]:
        return values_of(deal, self.people.get(deal.customer_id), self._fields)


def _closed_deals(
    pipeline: Pipeline, found: dict[Any, Closing], reader: _Reader
) -> tuple[list[ClosedDeal], list[OpportunityId]]:
    """The pipeline's closed deals among ``found``, as the model learns from them, and their ids."""
    deals: list[ClosedDeal] = []
    ids: list[OpportunityId] = []
    for deal_id in sorted(found):
        deal = reader.deals.get(deal_id)
        closed = None if deal is None else found[deal_id].closed_deal(pipeline, reader.values(deal))
        if closed is not None:
            deals.append(closed)
            ids.append(deal_id)
    return deals, ids


def refresh_pipeline(
    uow: SalesWork,
    pipelines: Sequence[Pipeline],
    as_of: datetime,
    settings: WinSettings,
    *,
    now: datetime,
    progress: Progress | None = None,
) -> list[WinRun]:
    """Refresh the models of ``pipelines`` from the deals closed by ``as_of``; return the stored runs."""
    report = progress if progress is not None else (lambda stage, done, total: None)
    found = closings(_history(uow, report), as_of)
    reader = _Reader(uow, settings)
    runs: list[WinRun] = []
    for i, pipeline in enumerate(pipelines):
        report("fit", i, len(pipelines))
        deals, _ = _closed_deals(pipeline, found, reader)
        model = settings.fit(deals, pipeline)
        open_deals = sorted(
            (d for d in reader.deals.values() if d.pipeline_id == pipeline.id and d.is_open),
            key=lambda d: d.id,
        )
        probabilities = model.score_many(open_deal(d, reader.values(d)) for d in open_deals)
        report("score", len(open_deals), len(open_deals))
        won = sum(1 for d in deals if d.won)
        reason = unscored_reason(won, len(deals) - won)
        run = WinRun(
            pipeline_id=pipeline.id,
            as_of=as_of,
            created_at=now,
            won=won,
            lost=len(deals) - won,
            scored=0 if reason is not None else len(open_deals),
            unscored=reason,
            settings=settings.to_dict(),
            model=model.to_json(),
        )
        scores = [
            OpportunityScore(
                opportunity_id=d.id, run_id=run.id, pipeline_id=pipeline.id, stage=d.stage, probability=p
            )
            for d, p in zip(open_deals, probabilities, strict=True)
            if p is not None
        ]
        uow.win_models.replace(run, scores)
        report("store", i + 1, len(pipelines))
        log.info("win probability: %d won, %d lost, %d deals scored", run.won, run.lost, len(scores))
        runs.append(run)
    report("fit", len(pipelines), len(pipelines))
    return runs


def calibrate(
    uow: SalesWork,
    pipeline: Pipeline,
    settings: WinSettings,
    *,
    train_until: datetime,
    evaluate_until: datetime,
    bins: int,
) -> Calibration:
    """Fit on the deals closed by ``train_until``; measure on those closed after it, by ``evaluate_until``.

    Each held-out deal is scored at the last open stage it was in before it closed.

    Raises:
        ValidationError: No won or no lost deal closed by ``train_until`` (``train_until``),
            or none closed in the held-out window (``evaluate_until``).
    """
    changes = list(_pages(lambda after: uow.opportunity_changes.list(after=after, limit=_PAGE)))
    reader = _Reader(uow, settings)
    training, _ = _closed_deals(pipeline, closings(changes, train_until), reader)
    model = settings.fit(training, pipeline)
    if not model.scoreable:
        raise fail("train_until", "no won or no lost deal of the pipeline closed by then: nothing to learn")
    held_out, _ = _closed_deals(pipeline, closings(changes, evaluate_until, since=train_until), reader)
    if not held_out:
        raise fail("evaluate_until", "no deal of the pipeline closed after train_until and by then")
    predicted = model.score_many(OpenDeal(d.stage, d.values) for d in held_out)
    return calibration([(p, d.won) for p, d in zip(predicted, held_out, strict=True) if p is not None], bins)


def pipelines_to_refresh(uow: SalesWork, pipeline_id: PipelineId | None) -> list[Pipeline]:
    """The named pipeline (whether it uses the model or not), else every pipeline that uses it."""
    if pipeline_id is not None:
        return [uow.pipelines.get(pipeline_id)]
    return [p for p in _pages(lambda after: uow.pipelines.list(after=after, limit=500)) if p.win_probability]


@attrs.frozen
class ProbabilityExplanation:
    """Where a deal's effective probability comes from.

    Attributes:
        probability: The effective probability (what ``crm.sales.probability`` returns).
        source: ``won``, ``lost``, ``manual``, ``model`` or ``stage``.
        score: For ``model``: the deal scored again by its pipeline's stored model, with each
            factor; it gives the stored probability unless the deal's fields changed since the refresh.
        run_id: For ``model``: the run whose score is used.
    """

    probability: Decimal
    source: ProbabilitySource
    score: WinScore | None = None
    run_id: UUID | None = None


def _deal_and_score(uow: SalesWork, deal_id: OpportunityId) -> tuple[Opportunity, Pipeline, Decimal | None]:
    deal = uow.opportunities.get(deal_id)
    pipeline = uow.pipelines.get(deal.pipeline_id)
    return deal, pipeline, model_score(deal, uow.win_models.score(deal.id))


def probability(uow: SalesWork, deal_id: OpportunityId) -> Decimal:
    """The deal's effective probability, with its stored score as the model's."""
    deal, pipeline, model = _deal_and_score(uow, deal_id)
    return effective_probability(deal, pipeline, model)


def explain(uow: SalesWork, deal_id: OpportunityId) -> ProbabilityExplanation:
    """The deal's effective probability and where it comes from (the model's factors, for ``model``)."""
    deal, pipeline, model = _deal_and_score(uow, deal_id)
    source = probability_source(deal, pipeline, model)
    value = effective_probability(deal, pipeline, model)
    run = uow.win_models.run(pipeline.id) if source is ProbabilitySource.MODEL else None
    if run is None:
        return ProbabilityExplanation(value, source)
    fitted = run.fitted()
    person = (
        uow.customers.get(deal.customer_id) if any(f.startswith("customer.") for f in fitted.fields) else None
    )
    return ProbabilityExplanation(
        value, source, fitted.score(open_deal(deal, values_of(deal, person, fitted.fields))), run.id
    )
