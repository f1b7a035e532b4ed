"""Contract of the scoring repositories: plans round-trip, scores are stored, ranked and computed alike."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from relcore.activity.model import Touchpoint, Transaction
from relcore.customers.model import Customer
from relcore.errors import NotFoundError, ValidationError
from relcore.ids import CustomerId, ScoringPlanId, uuid7
from relcore.marketing._testing import stored_state as marketing_state
from relcore.marketing.scoring import Decay, ScoringGroup, ScoringPlan, ScoringRule
from relcore.marketing.scoring_store import CustomerScore, Outcome
from relcore.registry import Store, UnitOfWork
from relcore.segments import field, touchpoints
from relcore.testing._contract_support import T0, ContractBase, customer, in_unit

__all__ = ["ScoringContract", "golden_plan", "golden_world", "new_plan", "stored_state"]


def stored_state(uow: UnitOfWork, customers: list[Customer]) -> dict[str, object]:
    """What the marketing context stores (see its ``stored_state``), with every plan and score."""
    state = marketing_state(uow, customers)
    plans = uow.scoring_plans.list(limit=500).items
    state["scoring_plans"] = plans
    state["scores"] = [uow.scores.for_owner(c.id) for c in customers]
    state["ranked"] = [uow.scores.ranked(p.id, limit=500) for p in plans]
    return state


def new_plan(owner: CustomerId, key: tuple[str] | None = None, **fields: Any) -> ScoringPlan:
    """A new one-rule fit plan named ``key`` (by default a name no other has); plans have no owner."""
    name = key[0] if key is not None else f"Plan {uuid7().hex[-12:]}"
    vip = ScoringRule(name="vip", rule=field("tags").has_tag("vip"), points=10)
    fields.setdefault("groups", [ScoringGroup(name="fit", kind="fit", rules=[vip])])
    fields.setdefault("created_at", T0)
    return ScoringPlan(name=name, **fields)


def golden_plan(name: str = "Leads") -> ScoringPlan:
    """A combined plan: a fit group, a windowed engagement group with a cap, a decayed one with a limit.

    * fit: ``vip`` tag 30, country FR 10, a disqualifying ``test`` tag -50;
    * engagement "recent": 5 points per e-mail open in the last 30 days, capped at 15;
    * engagement "decayed": 8 points per web visit, halved every 30 days, group limit 20.
    """
    fit = ScoringGroup(
        name="fit",
        kind="fit",
        rules=[
            ScoringRule(name="vip", rule=field("tags").has_tag("vip"), points=30),
            ScoringRule(name="french", rule=field("country") == "FR", points=10),
            ScoringRule(name="test account", rule=field("tags").has_tag("test"), points=-50),
        ],
    )
    opens = ScoringRule(name="opens", rule=touchpoints(kind="open"), points=5, per_event=True, cap=15)
    recent = ScoringGroup(name="recent", kind="engagement", rules=[opens], window_days=30)
    visits = ScoringRule(name="visits", rule=touchpoints(channel="web"), points=8, per_event=True)
    decayed = ScoringGroup(
        name="decayed",
        kind="engagement",
        rules=[visits],
        decay=Decay(factor=0.5, period_days=30),
        limit=20,
    )
    return ScoringPlan(
        name=name,
        groups=[fit, recent, decayed],
        limit=60,
        thresholds=[(20, "MQL"), (50, "SQL")],
        fit_thresholds=[(10, "B"), (30, "A")],
        engagement_thresholds=[(10, "warm"), (25, "hot")],
        created_at=T0,
    )


def _touch(person: Customer, days: float, **fields: Any) -> Touchpoint:
    fields.setdefault("channel", "email")
    fields.setdefault("kind", "open")
    return Touchpoint(
        customer_id=person.id, direction="inbound", occurred_at=T0 - timedelta(days=days), **fields
    )


def golden_world() -> tuple[list[Customer], list[Touchpoint], dict[str, tuple[float, float, float]]]:
    """Customers and touchpoints with their (fit, engagement, total) on the golden plan at `T0`, by hand."""
    ada = customer("Ada", tags=["vip"], country="FR")
    bob = customer("Bob", country="FR")
    cyd = customer("Cyd", tags=["test"])
    dee = customer("Dee", tags=["vip"])
    eve = customer("Eve")
    touches = [
        # Ada: 4 opens within 30 days (20, capped at 15), one open 40 days ago (outside the window)
        *(_touch(ada, d) for d in (0, 1, 2, 29)),
        _touch(ada, 40),
        # Ada: visits 0 and 30 days old: 8 + 4 = 12
        _touch(ada, 0, channel="web", kind="visit"),
        _touch(ada, 30, channel="web", kind="visit"),
        # Bob: visits 10, 40 and 95 days old: 8 + 4 + 1 = 13; 1 open: 5
        *(_touch(bob, d, channel="web", kind="visit") for d in (10, 40, 95)),
        _touch(bob, 3),
        # Dee: 4 visits today: 32, group limit 20; 3 opens: 15
        *(_touch(dee, 0.5, channel="web", kind="visit") for _ in range(4)),
        *(_touch(dee, d) for d in (5, 6, 7)),
        # Eve: a visit exactly 30 days before T0 (one whole period: 4) and one a microsecond later (8)
        _touch(eve, 30, channel="web", kind="visit"),
        Touchpoint(
            customer_id=eve.id,
            channel="web",
            direction="inbound",
            kind="visit",
            occurred_at=T0 - timedelta(days=30) + timedelta(microseconds=1),
        ),
    ]
    expected = {
        # fit, engagement, total (plan limit 60)
        "Ada": (40.0, 15.0 + 12.0, 60.0),  # 40 + 27 = 67, limited to 60
        "Bob": (10.0, 5.0 + 13.0, 28.0),
        "Cyd": (-50.0, 0.0, -50.0),
        "Dee": (30.0, 15.0 + 20.0, 60.0),  # 65, limited
        "Eve": (0.0, 12.0, 12.0),
    }
    return [ada, bob, cyd, dee, eve], touches, expected


class ScoringContract(ContractBase):
    """Stored plans and scores, and the scores a store computes, on every backend."""

    def test_every_field_of_a_plan_round_trips(self, store: Store) -> None:
        plan = golden_plan("Leads ✦")
        in_unit(store, lambda uow: uow.scoring_plans.add(plan))
        with store.unit_of_work() as uow:
            got = uow.scoring_plans.get(plan.id)
            assert got == plan
            assert got.groups[2].decay == Decay(factor=0.5, period_days=30)
            assert uow.scoring_plans.find("Leads ✦") == plan
            assert uow.scoring_plans.find("leads ✦") is None

    def test_the_store_computes_the_golden_scores(self, store: Store) -> None:
        people, touches, expected = golden_world()
        plan = golden_plan()

        def write(uow: UnitOfWork) -> None:
            uow.customers.add_many(people)
            uow.touchpoints.add_many(touches)
            uow.scoring_plans.add(plan)

        in_unit(store, write)
        names = {p.id: name for p, name in zip(people, expected, strict=True)}
        with store.unit_of_work() as uow:
            got = {names[cid]: (fit, eng, total) for cid, fit, eng, total in uow.scores.compute(plan, T0)}
            ids = [cid for cid, *_ in uow.scores.compute(plan, T0)]
        assert got == expected
        assert ids == sorted(ids)
        with store.unit_of_work() as uow:  # by pages of two: the same customers, once each, in order
            paged: list[Any] = []
            while page := list(uow.scores.compute(plan, T0, after=paged[-1][0] if paged else None, limit=2)):
                assert len(page) <= 2
                paged += page
            assert [cid for cid, *_ in paged] == ids
            with pytest.raises(ValidationError) as error:
                list(uow.scores.compute(plan, T0, limit=0))
            assert error.value.paths == ("limit",)
            with pytest.raises(ValidationError) as error:
                list(uow.scores.compute(plan, T0, after="Ada"))  # type: ignore[arg-type]
            assert error.value.paths == ("after",)

    def _stored(self, store: Store) -> tuple[ScoringPlan, list[Customer], list[CustomerScore]]:
        plan = new_plan(CustomerId(uuid7()), ("Stored",))
        people = [customer(f"P{n}") for n in range(4)]
        rows = [
            CustomerScore(
                plan_id=plan.id,
                plan=plan.name,
                customer_id=p.id,
                plan_version=1,
                as_of=T0,
                total=total,
                label=label,
                fit=total,
                fit_label=None,
            )
            for p, total, label in zip(people, [12.5, 40.0, 12.5, -3.0], ["A", "B", "A", None], strict=True)
        ]

        def write(uow: UnitOfWork) -> None:
            uow.customers.add_many(people)
            uow.scoring_plans.add(plan)
            assert uow.scores.replace(plan.id, rows) == 4

        in_unit(store, write)
        return plan, people, rows

    def test_scores_are_stored_found_and_ranked(self, store: Store) -> None:
        plan, people, rows = self._stored(store)
        with store.unit_of_work() as uow:
            repo = uow.scores
            assert repo.find(plan.id, people[1].id) == rows[1]
            assert repo.find(plan.id, CustomerId(uuid7())) is None
            assert repo.count(plan.id) == 4
            assert repo.count(ScoringPlanId(uuid7())) == 0
            assert repo.labels(plan.id) == {r.customer_id: r.label for r in rows}
            tied = sorted([rows[0], rows[2]], key=lambda r: r.customer_id)
            assert repo.ranked(plan.id, limit=10) == [rows[1], *tied, rows[3]]
            assert repo.ranked(plan.id, offset=1, limit=2) == tied
            assert repo.ranked(plan.id, label="A") == tied
            with pytest.raises(ValidationError, match="offset"):
                repo.ranked(plan.id, offset=-1)

    def test_replacing_a_plans_scores_drops_the_old_ones(self, store: Store) -> None:
        plan, people, rows = self._stored(store)
        again = attrs.evolve(rows[0], total=99.0, plan_version=2)
        in_unit(store, lambda uow: uow.scores.replace(plan.id, [again]))
        with store.unit_of_work() as uow:
            assert uow.scores.count(plan.id) == 1
            assert uow.scores.find(plan.id, people[0].id) == again

    def test_storing_replaces_only_the_customers_given(self, store: Store) -> None:
        plan, people, rows = self._stored(store)
        again = attrs.evolve(rows[0], total=99.0, label="SQL", plan_version=2)
        in_unit(store, lambda uow: uow.scores.store(plan.id, [again]))
        with store.unit_of_work() as uow:
            assert uow.scores.count(plan.id) == 4
            assert uow.scores.find(plan.id, people[0].id) == again
            assert uow.scores.find(plan.id, people[1].id) == rows[1]
            asked = [people[0].id, people[1].id, CustomerId(uuid7())]
            assert uow.scores.labels(plan.id, asked) == {people[0].id: "SQL", people[1].id: rows[1].label}
            with pytest.raises(NotFoundError):
                uow.scores.store(ScoringPlanId(uuid7()), [])

    def test_replacing_refuses_unknown_customers_plans_and_other_plans_rows(self, store: Store) -> None:
        plan, _, rows = self._stored(store)
        stranger = attrs.evolve(rows[0], customer_id=CustomerId(uuid7()))
        with pytest.raises(NotFoundError):
            in_unit(store, lambda uow: uow.scores.replace(plan.id, [stranger]))
        with pytest.raises(NotFoundError):
            in_unit(store, lambda uow: uow.scores.replace(ScoringPlanId(uuid7()), []))
        other = attrs.evolve(rows[0], plan_id=ScoringPlanId(uuid7()))
        with pytest.raises(ValidationError, match=r"scores\[0\]\.plan_id"):
            in_unit(store, lambda uow: uow.scores.replace(plan.id, [other]))
        with store.unit_of_work() as uow:
            assert uow.scores.count(plan.id) == 4

    def test_a_plan_is_locked_by_id_or_name(self, store: Store) -> None:
        plan, _, _ = self._stored(store)
        with store.unit_of_work() as uow:
            assert uow.scores.lock(plan.id) == plan.id
            assert uow.scores.lock(plan.name) == plan.id
            with pytest.raises(NotFoundError):
                uow.scores.lock(ScoringPlanId(uuid7()))
            with pytest.raises(NotFoundError):
                uow.scores.lock(plan.name.upper())  # names compare exactly

    def test_outcomes_count_orders_after_as_of_within_the_horizon(self, store: Store) -> None:
        plan, people, rows = self._stored(store)
        orders = [
            Transaction(customer_id=people[0].id, kind="order", amount="10", currency="EUR", occurred_at=at)
            for at in (T0 + timedelta(days=5),)
        ] + [
            Transaction(customer_id=people[1].id, kind="order", amount="10", currency="EUR", occurred_at=T0),
            Transaction(
                customer_id=people[2].id,
                kind="refund",
                amount="10",
                currency="EUR",
                occurred_at=T0 + timedelta(days=1),
            ),
            Transaction(
                customer_id=people[3].id,
                kind="order",
                amount="10",
                currency="EUR",
                occurred_at=T0 + timedelta(days=31),
            ),
        ]
        in_unit(store, lambda uow: uow.transactions.add_many(orders))
        with store.unit_of_work() as uow:
            got = uow.scores.outcomes(plan.id, Outcome.ORDER, 30)
            by_id = sorted(rows, key=lambda r: r.customer_id)
            reached = {people[0].id}
            assert got == [(r.total, r.customer_id in reached) for r in by_id]
            assert uow.scores.outcomes(plan.id, Outcome.WON_OPPORTUNITY, 30) == [
                (r.total, False) for r in by_id
            ]
