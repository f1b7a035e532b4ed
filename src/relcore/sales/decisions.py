"""The sales operations as pure decisions: the deal before, the request, the deal after.

Each function checks the request against the deal and its pipeline and
returns a [Decision][relcore.sales.decisions.Decision]: the changed deal, the
history entry recording the change, and the events to publish. Nothing is
stored here; the services store the decision, version-checked, in one unit of
work. A request that changes nothing gives a decision without a history entry
or events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent
from relcore._kernel.money import check_currency
from relcore.sales.model import (
    ChangeKind,
    Opportunity,
    OpportunityChange,
    OpportunityLost,
    OpportunityOpened,
    OpportunityReopened,
    OpportunityStageChanged,
    OpportunityUpdated,
    OpportunityWon,
    check_amount,
    check_date,
    check_money,
)
from relcore.sales.pipelines import (
    ForecastCategory,
    Pipeline,
    Stage,
    StageOutcome,
    check_key,
    check_probability,
)

__all__ = [
    "Decision",
    "advance",
    "category_of",
    "change_amount",
    "change_close_date",
    "effective_category",
    "effective_probability",
    "lose",
    "move",
    "open_deal",
    "probability_for",
    "reopen",
    "require_fields",
    "set_forecast_category",
    "set_probability",
    "win",
]


@attrs.frozen
class Decision:
    """What an operation decided.

    Attributes:
        opportunity: The deal after the operation (with the version it had before: the store checks it).
        change: The history entry to append, or ``None`` when nothing tracked changed.
        events: The events to publish after commit.
    """

    opportunity: Opportunity
    change: OpportunityChange | None
    events: tuple[DomainEvent, ...] = ()


def effective_probability(deal: Opportunity, pipeline: Pipeline, model: Decimal | None = None) -> Decimal:
    """The chance of winning ``deal`` that forecasts use.

    1 when won, 0 when lost, else the manual probability if set, else the
    win-probability model's score ``model`` if the pipeline uses the model and
    there is a score, else the stage's default probability.
    """
    return probability_for(pipeline, deal.outcome, deal.stage, deal.probability, model)


def probability_for(
    pipeline: Pipeline,
    outcome: StageOutcome,
    stage: str,
    manual: Decimal | None,
    model: Decimal | None = None,
) -> Decimal:
    """The effective probability of a deal in ``stage`` of ``pipeline`` (see `effective_probability`).

    A stage the pipeline no longer has counts as 0.
    """
    if outcome is StageOutcome.WON:
        return Decimal(1)
    if outcome is StageOutcome.LOST:
        return Decimal(0)
    if manual is not None:
        return manual
    if pipeline.win_probability and model is not None:
        return model
    found = pipeline.find_stage(stage)
    return Decimal(0) if found is None else found.probability


def effective_category(deal: Opportunity, pipeline: Pipeline) -> ForecastCategory:
    """The forecast category ``deal`` counts in.

    ``closed`` when won, ``omitted`` when lost, else the manual category if
    set, else its stage's.
    """
    if deal.outcome is StageOutcome.WON:
        return ForecastCategory.CLOSED
    if deal.outcome is StageOutcome.LOST:
        return ForecastCategory.OMITTED
    if deal.forecast_category is not None:
        return deal.forecast_category
    return pipeline.stage(deal.stage).forecast_category


# -- checks shared by the operations ------------------------------------------


def _when(deal: Opportunity, at: datetime) -> datetime:
    moment = check.check_datetime("at", at)
    if moment < deal.changed_at:
        raise check.fail("at", "earlier than the deal's last recorded change; history runs forward")
    return moment


def _in(deal: Opportunity, pipeline: Pipeline) -> None:
    if deal.pipeline_id != pipeline.id:
        raise check.fail("pipeline", "not the deal's pipeline")


def _must_be_open(deal: Opportunity) -> None:
    if not deal.is_open:
        raise check.fail("opportunity", f"the deal is {deal.outcome}; reopen it first")


def _enterable(pipeline: Pipeline, key: object, outcome: StageOutcome) -> Stage:
    stage = pipeline.stage(check_key("stage", key))
    if not stage.active:
        raise check.fail("stage", "the stage is inactive; deals may not enter it")
    if stage.outcome is not outcome:
        raise check.fail("stage", f"expected a {outcome} stage, got a {stage.outcome} one")
    return stage


def category_of(
    stage: Stage | None, outcome: StageOutcome, manual: ForecastCategory | None
) -> ForecastCategory:
    """The category a deal with ``outcome`` in ``stage`` and the manual category ``manual`` counts in.

    ``closed`` when won, ``omitted`` when lost, else ``manual``, else the
    stage's (``pipeline`` for a stage the pipeline no longer has).
    """
    if outcome is StageOutcome.WON:
        return ForecastCategory.CLOSED
    if outcome is StageOutcome.LOST:
        return ForecastCategory.OMITTED
    if manual is not None:
        return manual
    return ForecastCategory.PIPELINE if stage is None else stage.forecast_category


def require_fields(deal: Opportunity, stage: Stage) -> None:
    """Refuse ``deal`` entering ``stage`` while a field the stage requires is unset."""
    for name in stage.required_fields:
        if name.startswith("attributes."):
            missing = deal.attributes.get(name.removeprefix("attributes.")) in (None, "")
        else:
            missing = getattr(deal, name) is None
        if missing:
            raise check.fail(name, f"required before a deal enters the stage {stage.key!r}")


def _decide(
    before: Opportunity,
    after: Opportunity,
    kind: ChangeKind,
    at: datetime,
    actor: str | None,
    *events: DomainEvent,
) -> Decision:
    return Decision(after, OpportunityChange.between(before, after, kind, at, actor), events)


# -- the operations -----------------------------------------------------------


def open_deal(deal: Opportunity, pipeline: Pipeline, *, actor: str | None = None) -> Decision:
    """Open a new deal in its (open, active) stage at its ``created_at``."""
    _in(deal, pipeline)
    stage = _enterable(pipeline, deal.stage, StageOutcome.OPEN)
    if not deal.is_open:
        raise check.fail("outcome", "a deal is opened open; win or lose it afterwards")
    if deal.version != 1:
        raise check.fail("version", "a new deal has version 1")
    require_fields(deal, stage)
    at = deal.created_at
    category = category_of(stage, deal.outcome, deal.forecast_category)
    opened = attrs.evolve(deal, stage_entered_at=at, changed_at=at, updated_at=at, category=category)
    event = OpportunityOpened(deal.id, deal.customer_id, pipeline.id, stage.key)
    return Decision(opened, OpportunityChange.between(None, opened, ChangeKind.OPENED, at, actor), (event,))


def advance(
    deal: Opportunity, pipeline: Pipeline, stage: str, *, at: datetime, actor: str | None = None
) -> Decision:
    """Move an open deal to another open stage (forwards or back), enforcing that stage's required fields."""
    _in(deal, pipeline)
    _must_be_open(deal)
    moment = _when(deal, at)
    target = _enterable(pipeline, stage, StageOutcome.OPEN)
    if target.key == deal.stage:
        return Decision(deal, None)
    require_fields(deal, target)
    category = category_of(target, deal.outcome, deal.forecast_category)
    after = attrs.evolve(
        deal, stage=target.key, stage_entered_at=moment, changed_at=moment, category=category
    )
    event = OpportunityStageChanged(deal.id, deal.customer_id, deal.stage, target.key, deal.version + 1)
    return _decide(deal, after, ChangeKind.STAGE, moment, actor, event)


def win(
    deal: Opportunity,
    pipeline: Pipeline,
    *,
    at: datetime,
    amount: Decimal | str | int | None = None,
    currency: str | None = None,
    stage: str | None = None,
    actor: str | None = None,
) -> Decision:
    """Close an open deal as won, optionally with its final amount.

    The won stage is ``stage`` if given, else the first active won stage after
    the deal's stage, else the last one before it.
    """
    _in(deal, pipeline)
    _must_be_open(deal)
    moment = _when(deal, at)
    target = (
        pipeline.closing_stage(StageOutcome.WON, deal.stage)
        if stage is None
        else _enterable(pipeline, stage, StageOutcome.WON)
    )
    changes: dict[str, Any] = {}
    if amount is not None:
        changes = _money(amount, currency if currency is not None else deal.currency or pipeline.currency)
    changes.setdefault("close_date", pipeline.local_date(moment))
    after = attrs.evolve(
        deal,
        stage=target.key,
        outcome=StageOutcome.WON,
        category=ForecastCategory.CLOSED,
        closed_at=moment,
        stage_entered_at=moment,
        changed_at=moment,
        **changes,
    )
    require_fields(after, target)
    event = OpportunityWon(deal.id, deal.customer_id, target.key, deal.version + 1)
    return _decide(deal, after, ChangeKind.WON, moment, actor, event)


def lose(
    deal: Opportunity,
    pipeline: Pipeline,
    *,
    reason: str,
    at: datetime,
    note: str | None = None,
    stage: str | None = None,
    actor: str | None = None,
) -> Decision:
    """Close an open deal as lost, for one of its pipeline's reasons."""
    _in(deal, pipeline)
    _must_be_open(deal)
    moment = _when(deal, at)
    key = check_key("reason", reason)
    if key not in pipeline.lost_reasons:
        raise check.fail("reason", "not one of the pipeline's lost reasons")
    target = (
        pipeline.closing_stage(StageOutcome.LOST, deal.stage)
        if stage is None
        else _enterable(pipeline, stage, StageOutcome.LOST)
    )
    after = attrs.evolve(
        deal,
        stage=target.key,
        close_date=pipeline.local_date(moment),
        outcome=StageOutcome.LOST,
        category=ForecastCategory.OMITTED,
        closed_at=moment,
        stage_entered_at=moment,
        changed_at=moment,
        lost_reason=key,
        lost_note=note,
    )
    event = OpportunityLost(deal.id, deal.customer_id, target.key, key, deal.version + 1)
    return _decide(deal, after, ChangeKind.LOST, moment, actor, event)


def reopen(
    deal: Opportunity, pipeline: Pipeline, stage: str, *, at: datetime, actor: str | None = None
) -> Decision:
    """Open a won or lost deal again, in an open stage."""
    _in(deal, pipeline)
    if deal.is_open:
        raise check.fail("opportunity", "the deal is open already")
    moment = _when(deal, at)
    target = _enterable(pipeline, stage, StageOutcome.OPEN)
    after = attrs.evolve(
        deal,
        stage=target.key,
        outcome=StageOutcome.OPEN,
        category=category_of(target, StageOutcome.OPEN, deal.forecast_category),
        closed_at=None,
        lost_reason=None,
        lost_note=None,
        stage_entered_at=moment,
        changed_at=moment,
    )
    require_fields(after, target)
    event = OpportunityReopened(deal.id, deal.customer_id, target.key, deal.version + 1)
    return _decide(deal, after, ChangeKind.REOPENED, moment, actor, event)


def _updated(
    deal: Opportunity, changes: Mapping[str, Any], kind: ChangeKind, at: datetime, actor: str | None
) -> Decision:
    moment = _when(deal, at)
    if all(getattr(deal, name) == value for name, value in changes.items()):
        return Decision(deal, None)
    after = attrs.evolve(deal, changed_at=moment, **changes)
    event = OpportunityUpdated(deal.id, deal.customer_id, deal.version + 1)
    return _decide(deal, after, kind, moment, actor, event)


def set_probability(
    deal: Opportunity, probability: Decimal | str | None, *, at: datetime, actor: str | None = None
) -> Decision:
    """Set an open deal's manual probability, or clear it (``None``: automatic again)."""
    _must_be_open(deal)
    value = None if probability is None else check_probability("probability", probability)
    return _updated(deal, {"probability": value}, ChangeKind.PROBABILITY, at, actor)


def set_forecast_category(
    deal: Opportunity,
    pipeline: Pipeline,
    category: ForecastCategory | str | None,
    *,
    at: datetime,
    actor: str | None = None,
) -> Decision:
    """Set an open deal's manual forecast category (not ``closed``), or clear it (its stage's again)."""
    _in(deal, pipeline)
    _must_be_open(deal)
    value = None if category is None else check.check_enum(ForecastCategory, "forecast_category", category)
    if value is ForecastCategory.CLOSED:
        raise check.fail("forecast_category", "only won deals are closed")
    effective = category_of(pipeline.stage(deal.stage), deal.outcome, value)
    changes = {"forecast_category": value, "category": effective}
    return _updated(deal, changes, ChangeKind.FORECAST_CATEGORY, at, actor)


def _money(amount: object, currency: object) -> dict[str, Any]:
    value = check_amount("amount", amount)
    code = None if currency is None or value is None else check_currency("currency", currency)
    check_money(value, code)
    return {"amount": value, "currency": code}


def change_amount(
    deal: Opportunity,
    amount: Decimal | str | int | None,
    currency: str | None = None,
    *,
    at: datetime,
    actor: str | None = None,
) -> Decision:
    """Change a deal's amount (in ``currency``, by default the deal's), or clear it."""
    changes = _money(amount, currency if currency is not None else deal.currency)
    return _updated(deal, changes, ChangeKind.AMOUNT, at, actor)


def change_close_date(
    deal: Opportunity, close_date: date | str | None, *, at: datetime, actor: str | None = None
) -> Decision:
    """Change an open deal's expected close date, or clear it."""
    _must_be_open(deal)
    return _updated(
        deal, {"close_date": check_date("close_date", close_date)}, ChangeKind.CLOSE_DATE, at, actor
    )


def move(
    deal: Opportunity,
    source: Pipeline,
    target: Pipeline,
    stages: Mapping[str, str],
    *,
    at: datetime,
    actor: str | None = None,
) -> Decision:
    """Move a deal to another pipeline; ``stages`` maps the deal's stage to the stage it takes there.

    The mapped stage must have the deal's outcome (an open deal stays open)
    and be active; an open deal must have the fields it requires.
    """
    _in(deal, source)
    if target.id == source.id:
        raise check.fail("pipeline", "the deal is in this pipeline already")
    if not isinstance(stages, Mapping):
        raise check.fail("stages", f"expected a mapping of stage keys, got {check.kind(stages)}")
    moment = _when(deal, at)
    if deal.stage not in stages:
        raise check.fail("stages", "does not map the deal's stage")
    stage = _enterable(target, stages[deal.stage], deal.outcome)
    if deal.outcome is StageOutcome.LOST and deal.lost_reason not in target.lost_reasons:
        raise check.fail("pipeline", "the deal's lost reason is not one of the target pipeline's")
    after = attrs.evolve(
        deal,
        pipeline_id=target.id,
        stage=stage.key,
        stage_entered_at=moment,
        changed_at=moment,
        category=category_of(stage, deal.outcome, deal.forecast_category),
    )
    if deal.is_open:
        require_fields(after, stage)
    event = OpportunityUpdated(deal.id, deal.customer_id, deal.version + 1)
    return _decide(deal, after, ChangeKind.MOVED, moment, actor, event)
