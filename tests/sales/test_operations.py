"""The sales operations through ``crm.sales``, on every backend: history, events, checks, concurrency."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from relcore import CRM, ConflictError, Contact, Customer, NotFoundError, ValidationError
from relcore.registry import Store
from relcore.sales import (
    ChangeKind,
    ForecastCategory,
    Opportunity,
    OpportunityLost,
    OpportunityOpened,
    OpportunityReopened,
    OpportunityStageChanged,
    OpportunityUpdated,
    OpportunityWon,
    Pipeline,
    Stage,
    StageOutcome,
)
from relcore.testing._contract_support import snapshot
from relcore.testing.contracts import FixedClock
from relcore.testing.events import capture_events

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(day(100))


@pytest.fixture
def crm(store: Store, clock: FixedClock) -> CRM:
    return CRM(store, clock=clock)


@pytest.fixture
def acme(crm: CRM) -> Customer:
    return crm.customers.add(Customer.organization("Acme", created_at=T0))


@pytest.fixture
def direct(crm: CRM) -> Pipeline:
    pipeline = Pipeline.of(
        "Direct",
        [
            ("qualify", "Qualify", "0.1"),
            ("propose", "Propose", "0.4", "best_case"),
            ("negotiate", "Negotiate", "0.7", "commit"),
        ],
        currency="EUR",
        created_at=T0,
    )
    stages = list(pipeline.stages)
    stages[2] = attrs.evolve(stages[2], required_fields=("amount", "close_date", "attributes.budget"))
    return crm.sales.add_pipeline(attrs.evolve(pipeline, stages=stages, lost_reasons=("price", "timing")))


def open_deal(crm: CRM, customer: Customer, pipeline: Pipeline, **fields: object) -> Opportunity:
    fields.setdefault("stage", "qualify")
    fields.setdefault("name", "50 seats")
    fields.setdefault("amount", "12000.00")
    fields.setdefault("currency", "EUR")
    fields.setdefault("close_date", date(2026, 3, 31))
    fields.setdefault("created_at", T0)
    actor = fields.pop("actor", None)
    deal = Opportunity(customer_id=customer.id, pipeline_id=pipeline.id, **fields)  # type: ignore[arg-type]
    return crm.sales.open(deal, actor=actor)  # type: ignore[arg-type]


def test_a_deal_walks_the_pipeline_and_every_change_is_in_its_history(
    crm: CRM, acme: Customer, direct: Pipeline
) -> None:
    with capture_events(crm) as events:
        deal = open_deal(crm, acme, direct, attributes={"budget": "approved"}, actor="rep-1")
        deal = crm.sales.advance(deal.id, "negotiate", at=day(3), version=1, actor="rep-1")
        deal = crm.sales.change_close_date(deal.id, "2026-04-30", at=day(4))
        deal = crm.sales.set_probability(deal.id, "0.85", at=day(5))
        deal = crm.sales.set_forecast_category(deal.id, "best_case", at=day(5))
        deal = crm.sales.change_amount(deal.id, "15000", at=day(6))
        deal = crm.sales.win(deal.id, at=day(9), amount="14500.50")
    assert (deal.outcome, deal.stage, deal.amount, deal.closed_at, deal.version) == (
        StageOutcome.WON,
        "won",
        Decimal("14500.50"),
        day(9),
        7,
    )
    history = crm.sales.history(deal.id)
    assert [c.kind for c in history] == [
        ChangeKind.OPENED,
        ChangeKind.STAGE,
        ChangeKind.CLOSE_DATE,
        ChangeKind.PROBABILITY,
        ChangeKind.FORECAST_CATEGORY,
        ChangeKind.AMOUNT,
        ChangeKind.WON,
    ]
    assert [c.at for c in history] == [T0, day(3), day(4), day(5), day(5), day(6), day(9)]
    assert history[0].prev_stage is None
    assert history[0].actor == "rep-1"
    assert (history[1].prev_stage, history[1].stage) == ("qualify", "negotiate")
    assert (history[2].prev_close_date, history[2].close_date) == (date(2026, 3, 31), date(2026, 4, 30))
    assert history[2].pushed
    assert (history[3].prev_probability, history[3].probability) == (None, Decimal("0.85"))
    assert history[4].forecast_category is ForecastCategory.BEST_CASE
    assert (history[5].prev_amount, history[5].amount) == (Decimal("12000.00"), Decimal("15000"))
    assert (history[6].prev_amount, history[6].amount, history[6].outcome) == (
        Decimal("15000"),
        Decimal("14500.50"),
        StageOutcome.WON,
    )
    assert crm.sales.get(deal.id) == deal
    assert crm.sales.probability(deal.id) == 1
    assert events.of_type(OpportunityOpened) == (OpportunityOpened(deal.id, acme.id, direct.id, "qualify"),)
    assert events.of_type(OpportunityStageChanged) == (
        OpportunityStageChanged(deal.id, acme.id, "qualify", "negotiate", 2),
    )
    assert [e.version for e in events.of_type(OpportunityUpdated)] == [3, 4, 5, 6]
    assert events.of_type(OpportunityWon) == (OpportunityWon(deal.id, acme.id, "won", 7),)


def test_lose_then_reopen(crm: CRM, acme: Customer, direct: Pipeline) -> None:
    deal = open_deal(crm, acme, direct)
    with capture_events(crm) as events:
        lost = crm.sales.lose(deal.id, reason="price", note="Went with a rival", at=day(2))
        again = crm.sales.reopen(deal.id, "propose", at=day(3))
    assert (lost.outcome, lost.lost_reason, lost.lost_note, lost.closed_at) == (
        StageOutcome.LOST,
        "price",
        "Went with a rival",
        day(2),
    )
    assert (again.outcome, again.stage, again.closed_at, again.lost_reason) == (
        StageOutcome.OPEN,
        "propose",
        None,
        None,
    )
    assert events.of_type(OpportunityLost) == (OpportunityLost(deal.id, acme.id, "lost", "price", 2),)
    assert events.of_type(OpportunityReopened) == (OpportunityReopened(deal.id, acme.id, "propose", 3),)
    assert [c.lost_reason for c in crm.sales.history(deal.id)] == [None, "price", None]
    assert crm.sales.probability(deal.id) == Decimal("0.4")


def test_the_effective_probability_follows_override_then_stage(
    crm: CRM, acme: Customer, direct: Pipeline
) -> None:
    deal = open_deal(crm, acme, direct)
    assert crm.sales.probability(deal.id) == Decimal("0.1")
    crm.sales.set_probability(deal.id, "0.55", at=day(1))
    crm.sales.advance(deal.id, "propose", at=day(2))
    assert crm.sales.probability(deal.id) == Decimal("0.55")  # the override survives stage moves
    crm.sales.set_probability(deal.id, None, at=day(3))
    assert crm.sales.probability(deal.id) == Decimal("0.4")
    crm.sales.lose(deal.id, reason="timing", at=day(4))
    assert crm.sales.probability(deal.id) == 0


def test_a_change_that_changes_nothing_writes_nothing(crm: CRM, acme: Customer, direct: Pipeline) -> None:
    deal = open_deal(crm, acme, direct)
    with capture_events(crm) as events:
        same = crm.sales.change_amount(deal.id, "12000", at=day(1))
        same = crm.sales.advance(deal.id, "qualify", at=day(1))
    assert same == deal
    assert not events
    assert len(crm.sales.history(deal.id)) == 1


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        (lambda crm, d: crm.sales.advance(d.id, "negotiate", at=day(1)), "attributes.budget"),
        (lambda crm, d: crm.sales.advance(d.id, "won", at=day(1)), "stage"),
        (lambda crm, d: crm.sales.advance(d.id, "nowhere", at=day(1)), "stage"),
        (lambda crm, d: crm.sales.advance(d.id, "Propose!", at=day(1)), "stage"),
        (lambda crm, d: crm.sales.advance(d.id, "propose", at=T0 - timedelta(seconds=1)), "at"),
        (lambda crm, d: crm.sales.advance(d.id, "propose", at=datetime(2026, 2, 1)), "at"),
        (lambda crm, d: crm.sales.lose(d.id, reason="budget", at=day(1)), "reason"),
        (lambda crm, d: crm.sales.reopen(d.id, "propose", at=day(1)), "opportunity"),
        (lambda crm, d: crm.sales.set_probability(d.id, "1.5", at=day(1)), "probability"),
        (lambda crm, d: crm.sales.set_probability(d.id, 0.5, at=day(1)), "probability"),
        (lambda crm, d: crm.sales.set_probability(d.id, "0.12345", at=day(1)), "probability"),
        (lambda crm, d: crm.sales.set_forecast_category(d.id, "closed", at=day(1)), "forecast_category"),
        (lambda crm, d: crm.sales.change_amount(d.id, "-1", at=day(1)), "amount"),
        (lambda crm, d: crm.sales.change_amount(d.id, "1.001", at=day(1)), "amount"),
        (lambda crm, d: crm.sales.change_amount(d.id, "1", "XXX", at=day(1)), "currency"),
        (lambda crm, d: crm.sales.change_close_date(d.id, "31/03/2026", at=day(1)), "close_date"),
        (lambda crm, d: crm.sales.advance(d.id, "propose", at=day(1), version=0), "version"),
        (lambda crm, d: crm.sales.advance(d.id, "propose", at=day(1), actor=""), "actor"),
        (lambda crm, d: crm.sales.advance("not an id", "propose", at=day(1)), "opportunity_id"),
        (lambda crm, d: crm.sales.win(d.id, at=day(1), stage="lost"), "stage"),
    ],
)
def test_bad_requests_are_refused_naming_the_field_and_change_nothing(
    crm: CRM, store: Store, acme: Customer, direct: Pipeline, operation: object, field: str
) -> None:
    deal = open_deal(crm, acme, direct)
    before = snapshot(store)
    with pytest.raises(ValidationError) as caught:
        operation(crm, deal)  # type: ignore[operator]
    assert caught.value.errors[0].path == field
    assert snapshot(store) == before


def test_opening_checks_the_stage_the_fields_and_the_references(
    crm: CRM, store: Store, acme: Customer, direct: Pipeline
) -> None:
    other = crm.customers.add(Customer.person("Grace"))
    theirs = crm.customers.add_contact(Contact(customer_id=other.id, name="Grace"))
    before = snapshot(store)
    with pytest.raises(ValidationError, match=r"attributes\.budget"):
        open_deal(crm, acme, direct, stage="negotiate")
    with pytest.raises(ValidationError, match="stage"):
        open_deal(crm, acme, direct, stage="won")
    with pytest.raises(NotFoundError):
        open_deal(crm, Customer.person("Nobody"), direct)
    with pytest.raises(NotFoundError):
        open_deal(crm, acme, attrs.evolve(direct, id=Customer.person("x").id))
    with pytest.raises(ValidationError, match="contact_id"):
        open_deal(crm, acme, direct, contact_id=theirs.id)
    assert snapshot(store) == before


def test_save_changes_untracked_fields_only(crm: CRM, acme: Customer, direct: Pipeline) -> None:
    deal = open_deal(crm, acme, direct)
    saved = crm.sales.save(attrs.evolve(deal, name="60 seats", owner="rep-2", tags=["renewal"]))
    assert (saved.name, saved.owner, saved.tags, saved.version) == ("60 seats", "rep-2", ("renewal",), 2)
    with pytest.raises(ValidationError) as caught:
        crm.sales.save(attrs.evolve(saved, amount=Decimal(1)))
    assert caught.value.errors[0].path == "amount"
    with pytest.raises(ConflictError):
        crm.sales.save(attrs.evolve(deal, name="stale"))
    assert len(crm.sales.history(deal.id)) == 1


def test_two_writers_of_one_deal_one_conflicts(crm: CRM, acme: Customer, direct: Pipeline) -> None:
    deal = open_deal(crm, acme, direct)
    crm.sales.advance(deal.id, "propose", at=day(1), version=deal.version)
    with pytest.raises(ConflictError):
        crm.sales.advance(deal.id, "negotiate", at=day(2), version=deal.version)
    assert [c.kind for c in crm.sales.history(deal.id)] == [ChangeKind.OPENED, ChangeKind.STAGE]


def test_moving_a_deal_maps_its_stage(crm: CRM, acme: Customer, direct: Pipeline) -> None:
    partner = crm.sales.add_pipeline(
        Pipeline.of(
            "Partner", [("registered", "Registered", "0.2"), ("joint", "Joint call", "0.5")], currency="EUR"
        )
    )
    deal = open_deal(crm, acme, direct)
    with pytest.raises(ValidationError, match="stages"):
        crm.sales.move(deal.id, partner.id, {"propose": "joint"}, at=day(1))
    moved = crm.sales.move(deal.id, partner.id, {"qualify": "registered"}, at=day(1))
    assert (moved.pipeline_id, moved.stage) == (partner.id, "registered")
    last = crm.sales.history(deal.id)[-1]
    assert (last.kind, last.prev_pipeline_id, last.prev_stage, last.pipeline_id, last.stage) == (
        ChangeKind.MOVED,
        direct.id,
        "qualify",
        partner.id,
        "registered",
    )
    assert crm.sales.list(partner.id).items == (moved,)
    assert crm.sales.list(direct.id).items == ()


def test_a_stage_in_use_is_deactivated_not_removed(crm: CRM, acme: Customer, direct: Pipeline) -> None:
    open_deal(crm, acme, direct)
    without_qualify = attrs.evolve(direct, stages=[s for s in direct.stages if s.key != "qualify"])
    with pytest.raises(ValidationError, match="qualify"):
        crm.sales.save_pipeline(without_qualify)
    unused_gone = attrs.evolve(direct, stages=[s for s in direct.stages if s.key != "propose"])
    saved = crm.sales.save_pipeline(unused_gone)
    assert [s.key for s in saved.stages] == ["qualify", "negotiate", "won", "lost"]
    retired = [attrs.evolve(s, active=False) if s.key == "qualify" else s for s in saved.stages]
    saved = crm.sales.save_pipeline(attrs.evolve(saved, stages=retired))
    assert not saved.stage("qualify").active
    with pytest.raises(ValidationError, match="inactive"):
        open_deal(crm, acme, saved)


def test_one_default_pipeline_and_unique_names(crm: CRM, direct: Pipeline) -> None:
    first = crm.sales.add_pipeline(attrs.evolve(direct, id=Customer.person("x").id, name="A", default=True))
    second = crm.sales.add_pipeline(attrs.evolve(direct, id=Customer.person("y").id, name="B", default=True))
    defaults = [p.name for p in crm.sales.pipelines() if p.default]
    assert defaults == ["B"]
    assert second.default
    assert not crm.sales.pipeline(first.id).default
    with pytest.raises(ConflictError):
        crm.sales.add_pipeline(attrs.evolve(direct, id=Customer.person("z").id))
    assert crm.sales.find_pipeline("A") == crm.sales.pipeline(first.id)


def test_a_pipeline_needs_open_won_and_lost_stages() -> None:
    with pytest.raises(ValidationError, match="lost"):
        Pipeline(
            name="P",
            currency="EUR",
            stages=[Stage(key="a", label="A", position=0, probability="0.5"), Stage.won(position=1)],
        )
    with pytest.raises(ValidationError, match="probability"):
        Stage(key="w", label="W", position=0, probability="0.9", outcome="won")
    with pytest.raises(ValidationError, match="forecast_category"):
        Stage(key="a", label="A", position=0, probability="0.5", forecast_category="closed")
    with pytest.raises(ValidationError, match="required_fields"):
        Stage(key="a", label="A", position=0, probability="0.5", required_fields=["colour"])


def test_a_deal_counts_in_its_stages_category_unless_set_by_hand(
    crm: CRM, acme: Customer, direct: Pipeline
) -> None:
    deal = open_deal(crm, acme, direct)
    assert deal.category is ForecastCategory.PIPELINE
    deal = crm.sales.advance(deal.id, "propose", at=day(1))
    assert deal.category is ForecastCategory.BEST_CASE
    deal = crm.sales.set_forecast_category(deal.id, "commit", at=day(2))
    assert (deal.forecast_category, deal.category) == (ForecastCategory.COMMIT, ForecastCategory.COMMIT)
    deal = crm.sales.advance(deal.id, "qualify", at=day(3))
    assert deal.category is ForecastCategory.COMMIT  # the manual category survives stage moves
    deal = crm.sales.set_forecast_category(deal.id, None, at=day(4))
    assert deal.category is ForecastCategory.PIPELINE
    deal = crm.sales.lose(deal.id, reason="price", at=day(5))
    assert deal.category is ForecastCategory.OMITTED
    deal = crm.sales.reopen(deal.id, "propose", at=day(6))
    assert deal.category is ForecastCategory.BEST_CASE
    deal = crm.sales.win(deal.id, at=day(7))
    assert deal.category is ForecastCategory.CLOSED
    with pytest.raises(ValidationError) as caught:
        crm.sales.save(attrs.evolve(deal, category="commit"))
    assert caught.value.errors[0].path == "category"


def test_a_stage_changing_category_carries_its_deals_along(
    crm: CRM, acme: Customer, direct: Pipeline
) -> None:
    plain = open_deal(crm, acme, direct)
    by_hand = open_deal(crm, acme, direct)
    crm.sales.set_forecast_category(by_hand.id, "omitted", at=day(1))
    won = crm.sales.win(open_deal(crm, acme, direct).id, at=day(1))
    stages = [attrs.evolve(s, forecast_category="commit") if s.key == "qualify" else s for s in direct.stages]
    crm.sales.save_pipeline(attrs.evolve(direct, stages=stages))
    moved = crm.sales.get(plain.id)
    assert (moved.category, moved.version) == (ForecastCategory.COMMIT, plain.version)
    assert crm.sales.get(by_hand.id).category is ForecastCategory.OMITTED
    assert crm.sales.get(won.id).category is ForecastCategory.CLOSED
    [row] = [r for r in crm.sales.forecast(direct.id).rows if r.period == "2026-03"]
    assert row["commit"].count == 1
