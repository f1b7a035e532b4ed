"""``crm.scoring`` on every backend: stored plans, refresh, threshold events, ranking, calibration."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import attrs
import pytest

from relcore import CRM, ConflictError, NotFoundError, ValidationError
from relcore.activity.model import Transaction
from relcore.errors import InvalidRuleError
from relcore.marketing import (
    Crossing,
    Outcome,
    ScoreThresholdCrossed,
    ScoringGroup,
    ScoringPlan,
    ScoringRule,
    scoring_services,
)
from relcore.marketing._scoring_testing import golden_plan, golden_world
from relcore.marketing.scoring_store import RefreshResult
from relcore.registry import Store
from relcore.sales import Opportunity, Pipeline
from relcore.segments import DEFAULT_CATALOGUE, field
from relcore.testing._contract_support import T0
from relcore.testing.contracts import FixedClock
from relcore.testing.events import capture_events

NOW = T0 + timedelta(days=1)


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(NOW))


def world(crm: CRM) -> dict[str, object]:
    people, touches, _ = golden_world()
    for person in people:
        crm.customers.add(person)
    for touch in touches:
        crm.activity.record_touchpoint(touch)
    names = ["Ada", "Bob", "Cyd", "Dee", "Eve"]
    return {name: person.id for name, person in zip(names, people, strict=True)}


def test_a_plan_is_defined_then_saved_as_a_new_version(crm: CRM) -> None:
    plan = crm.scoring.define(golden_plan())
    assert crm.scoring.get(plan.id) == plan == crm.scoring.get("Leads") == crm.scoring.find("Leads")
    assert crm.scoring.find("leads") is None
    assert crm.scoring.list().items == (plan,)
    # the same name, a new object of the stored version: saved as version 2, same id
    again = crm.scoring.define(attrs.evolve(golden_plan(), limit=100))
    assert (again.id, again.version, again.limit) == (plan.id, 2, 100)
    with pytest.raises(ConflictError):  # stale: version 1 again
        crm.scoring.define(attrs.evolve(golden_plan(), limit=90))
    with pytest.raises(NotFoundError):
        crm.scoring.get("Nope")


def test_a_plan_whose_rule_the_catalogue_does_not_know_is_refused(crm: CRM) -> None:
    unknown = ScoringRule(name="x", rule=field("attributes.plan") == "pro", points=1)
    with pytest.raises(InvalidRuleError):
        crm.scoring.define(
            ScoringPlan(name="P", groups=[ScoringGroup(name="g", kind="fit", rules=[unknown])])
        )
    assert crm.scoring.list().items == ()


def test_refresh_stores_the_golden_scores_with_the_plans_version(crm: CRM) -> None:
    ids = world(crm)
    plan = crm.scoring.define(golden_plan())
    result = crm.scoring.refresh("Leads", as_of=T0)
    assert (result.customers, result.plan_version, result.as_of) == (5, 1, T0)
    assert result.labels == {"": 2, "MQL": 1, "SQL": 2}
    stored = {name: crm.scoring.score(plan.id, cid) for name, cid in ids.items()}
    ada = stored["Ada"]
    assert ada is not None
    assert (ada.total, ada.label, ada.fit, ada.fit_label, ada.engagement, ada.engagement_label) == (
        60.0, "SQL", 40.0, "A", 27.0, "hot",
    )  # fmt: skip
    assert [(s.total, s.label) for s in crm.scoring.scores(plan)] == [
        (60.0, "SQL"), (60.0, "SQL"), (28.0, "MQL"), (12.0, None), (-50.0, None),
    ]  # fmt: skip
    assert [s.customer_id for s in crm.scoring.scores(plan, limit=2)] == sorted([ids["Ada"], ids["Dee"]])
    assert [s.total for s in crm.scoring.scores(plan, offset=2, limit=1)] == [28.0]
    assert [s.total for s in crm.scoring.scores(plan, label="MQL")] == [28.0]


def test_a_threshold_crossing_is_announced_once(crm: CRM) -> None:
    ids = world(crm)
    crm.scoring.define(golden_plan())
    with capture_events(crm, ScoreThresholdCrossed) as first:
        crm.scoring.refresh("Leads", as_of=T0)
    assert sorted((e.to_label, e.direction) for e in first) == [
        ("MQL", Crossing.UP), ("SQL", Crossing.UP), ("SQL", Crossing.UP),
    ]  # fmt: skip
    assert all(e.from_label is None and e.plan_version == 1 for e in first)
    with capture_events(crm, ScoreThresholdCrossed) as again:
        result = crm.scoring.refresh("Leads", as_of=T0)
    assert list(again) == []
    assert (result.crossed_up, result.crossed_down) == (0, 0)
    # 200 days later every engagement point has decayed or left the window: Bob falls below MQL,
    # Ada and Dee from SQL to MQL (fit 40 and 30)
    with capture_events(crm, ScoreThresholdCrossed) as later:
        result = crm.scoring.refresh("Leads", as_of=T0 + timedelta(days=200))
    moves = {(e.customer_id, e.from_label, e.to_label, e.direction) for e in later}
    assert moves == {
        (ids["Ada"], "SQL", "MQL", Crossing.DOWN),
        (ids["Dee"], "SQL", "MQL", Crossing.DOWN),
        (ids["Bob"], "MQL", None, Crossing.DOWN),
    }
    assert (result.crossed_up, result.crossed_down) == (0, 3)


@pytest.mark.parametrize("backend", ["postgres", "mysql"])
def test_two_refreshes_at_once_take_turns_and_announce_each_crossing_once(crm: CRM) -> None:
    world(crm)
    crm.scoring.define(golden_plan())
    second: list[RefreshResult] = []
    with capture_events(crm, ScoreThresholdCrossed) as seen:
        with crm.unit_of_work() as uow:  # the first refresh, not committed yet
            first = scoring_services.refresh(uow, "Leads", T0, DEFAULT_CATALOGUE)
            other = threading.Thread(target=lambda: second.append(crm.scoring.refresh("Leads", as_of=T0)))
            other.start()
            other.join(0.5)
            assert other.is_alive()  # it waits for the plan's lock
            uow.commit()
        other.join(60)
    assert not other.is_alive()
    assert (first.crossed_up, second[0].crossed_up, second[0].crossed_down) == (3, 0, 0)
    assert len(seen) == 3


def test_a_refresh_by_small_pages_stores_and_announces_the_same(
    crm: CRM, monkeypatch: pytest.MonkeyPatch
) -> None:
    world(crm)
    plan = crm.scoring.define(golden_plan())
    monkeypatch.setattr(scoring_services, "_PAGE", 2)  # five customers: pages of 2, 2 and 1
    with capture_events(crm, ScoreThresholdCrossed) as seen:
        result = crm.scoring.refresh("Leads", as_of=T0)
    assert (result.customers, result.labels, result.crossed_up) == (5, {"": 2, "MQL": 1, "SQL": 2}, 3)
    assert len(seen) == 3
    assert len(crm.scoring.scores(plan.id, limit=10)) == 5
    with capture_events(crm, ScoreThresholdCrossed) as again:
        crm.scoring.refresh("Leads", as_of=T0)
    assert list(again) == []


def test_a_failed_refresh_announces_nothing_and_keeps_the_stored_scores(crm: CRM) -> None:
    world(crm)
    plan = crm.scoring.define(golden_plan())
    crm.scoring.refresh(plan.id, as_of=T0)
    before = crm.scoring.scores(plan, limit=10)
    with capture_events(crm, ScoreThresholdCrossed) as seen, pytest.raises(ValidationError, match="as_of"):
        crm.scoring.refresh(plan.id, as_of=T0.replace(tzinfo=None))
    assert list(seen) == []
    assert crm.scoring.scores(plan, limit=10) == before


def test_explain_gives_the_rules_that_made_the_score(crm: CRM) -> None:
    ids = world(crm)
    crm.scoring.define(golden_plan())
    why = crm.scoring.explain("Leads", ids["Ada"], as_of=T0)  # type: ignore[arg-type]
    assert (why.score.total, why.limit_hit, why.sum) == (60.0, True, 67.0)
    opens = why.groups[1].rules[0]
    assert (opens.occurrences, opens.raw_points, opens.points, opens.cap_hit) == (4, 20, 15.0, True)
    assert "capped" in why.render()
    with pytest.raises(NotFoundError):
        crm.scoring.explain("Leads", ids["Ada"].__class__(int=1), as_of=T0)  # type: ignore[attr-defined]


def test_calibration_gives_the_order_rate_per_band(crm: CRM) -> None:
    ids = world(crm)
    crm.scoring.define(golden_plan())
    crm.scoring.refresh("Leads", as_of=T0)
    for name, days in (("Ada", 3), ("Dee", 40), ("Bob", 10), ("Eve", -1)):
        order = Transaction(
            customer_id=ids[name],
            kind="order",
            amount="10",
            currency="EUR",
            occurred_at=T0 + timedelta(days=days),
        )
        crm.activity.record_transaction(order)
    bands = crm.scoring.calibration("Leads", outcome="order", horizon_days=30)
    # below 20: Cyd, Eve (Eve ordered before as_of); [20, 50): Bob; from 50: Ada, Dee (Dee too late)
    assert [(b.low, b.high, b.rate.successes, b.rate.trials) for b in bands] == [
        (None, 20.0, 0, 2), (20.0, 50.0, 1, 1), (50.0, None, 1, 2),
    ]  # fmt: skip
    interval = bands[2].rate.wilson()
    assert interval is not None
    assert interval[0] < 0.5 < interval[1]
    custom = crm.scoring.calibration("Leads", outcome=Outcome.ORDER, horizon_days=60, bands=[0])
    assert [(b.rate.successes, b.rate.trials) for b in custom] == [(0, 1), (3, 4)]


def test_calibration_on_won_opportunities(crm: CRM) -> None:
    ids = world(crm)
    crm.scoring.define(golden_plan())
    crm.scoring.refresh("Leads", as_of=T0)
    stages = [("qualify", "Qualify", "0.1"), ("propose", "Propose", "0.4")]
    direct = crm.sales.add_pipeline(Pipeline.of("Direct", stages, currency="EUR", created_at=T0))
    deal = crm.sales.open(
        Opportunity(
            customer_id=ids["Bob"], pipeline_id=direct.id, stage="qualify", name="d", amount="100",
            currency="EUR", close_date=date(2024, 6, 30), created_at=T0,
        )
    )  # fmt: skip
    crm.sales.win(deal.id, at=T0 + timedelta(days=2))
    bands = crm.scoring.calibration("Leads", bands=[20, 50])
    assert [(b.rate.successes, b.rate.trials) for b in bands] == [(0, 2), (1, 1), (0, 2)]


@pytest.mark.parametrize(
    ("call", "field_name"),
    [
        (lambda crm: crm.scoring.define("plan"), "plan"),
        (lambda crm: crm.scoring.get(3), "plan"),
        (lambda crm: crm.scoring.refresh("Leads", as_of="2024-01-01"), "as_of"),
        (lambda crm: crm.scoring.scores("Leads", limit=0), "limit"),
        (lambda crm: crm.scoring.scores("Leads", offset=-1), "offset"),
        (lambda crm: crm.scoring.calibration("Leads", outcome="clicked"), "outcome"),
        (lambda crm: crm.scoring.calibration("Leads", horizon_days=0), "horizon_days"),
        (lambda crm: crm.scoring.calibration("Leads", bands=[50, 20]), "bands[1]"),
        (lambda crm: crm.scoring.calibration("Leads", bands=[]), "bands"),
        (lambda crm: crm.scoring.explain("Leads", "ada"), "customer_id"),
    ],
)
def test_bad_input_is_refused_naming_the_field(crm: CRM, call: object, field_name: str) -> None:
    with pytest.raises(ValidationError) as error:
        call(crm)  # type: ignore[operator]
    assert field_name in error.value.paths


def test_calibration_without_bands_needs_thresholds(crm: CRM) -> None:
    crm.scoring.define(attrs.evolve(golden_plan(), thresholds=()))
    with pytest.raises(ValidationError) as error:
        crm.scoring.calibration("Leads")
    assert error.value.paths == ("bands",)
