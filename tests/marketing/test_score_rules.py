"""Stored scores in segment rules: memory = SQLite = PostgreSQL = MariaDB, from the history's declaration.

Each customer's stored scores are a history, ``scores``, one entry per plan dated by the
score's ``as_of``: ``history("scores", plan_id=plan.id, total >= 50).count() >= 1``. Rules
drawn by relcore's own rule strategies over the registry's catalogue must pick, on every
backend, exactly the customers the in-memory evaluator picks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from relcore import CRM
from relcore.marketing import CustomerScore
from relcore.marketing._scoring_testing import golden_plan, new_plan
from relcore.registry import UnitOfWork
from relcore.segments import field, history, parse
from relcore.testing._contract_support import StoreFactory, customer, in_unit
from tests._rule_agreement import assert_rules_agree

AS_OF = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
OFFSETS = [DAY, 30 * DAY - timedelta(microseconds=1), 30 * DAY, 200 * DAY, -DAY]
CATALOGUE = CRM.in_memory().segments.catalogue
LEADS = golden_plan("Leads")
FANS = new_plan(customer().id, ("Fans",))
NAMES = {LEADS.id: LEADS.name, FANS.id: FANS.name}


def scores_of(owner: object) -> st.SearchStrategy[list[CustomerScore]]:
    @st.composite
    def one(draw: st.DrawFn, plan_id: object) -> CustomerScore:
        total = draw(st.sampled_from([-1.0, 0.0, 1.0, 3.0, 12.0, 12.5, 50.0]))
        return CustomerScore(
            plan_id=plan_id,  # type: ignore[arg-type]
            plan=NAMES[plan_id],  # type: ignore[index]
            customer_id=owner,  # type: ignore[arg-type]
            plan_version=draw(st.integers(1, 3)),
            as_of=AS_OF - draw(st.sampled_from(OFFSETS)),
            total=total,
            label=draw(st.sampled_from([None, "MQL", "SQL", ""])) or None,
            fit=draw(st.sampled_from([None, 0.5, 12.0])),
            fit_label=draw(st.sampled_from([None, "A"])),
        )

    return st.lists(st.sampled_from([LEADS.id, FANS.id]), max_size=2, unique=True).flatmap(
        lambda plans: st.tuples(*(one(p) for p in plans)).map(list)
    )


def _store(uow: UnitOfWork, rows: list[CustomerScore]) -> None:
    uow.scoring_plans.add_many([LEADS, FANS])
    for plan_id in (LEADS.id, FANS.id):
        uow.scores.replace(plan_id, [r for r in rows if r.plan_id == plan_id])


def test_score_rules_agree_on_every_backend(store_factory: StoreFactory) -> None:
    assert_rules_agree(
        store_factory,
        CATALOGUE,
        "scores",
        scores_of,
        _store,
        as_of=AS_OF,
        texts=["MQL", "SQL", "A", "", LEADS.name, FANS.name],
        windows=[30, 90],
    )


def test_customers_whose_stored_score_reaches_a_threshold(store_factory: StoreFactory) -> None:
    ada, bob, cy = customer("Ada", tags=["vip"]), customer("Bob"), customer("Cy")

    def score(who: object, total: float, plan_id: object = LEADS.id) -> CustomerScore:
        return CustomerScore(
            plan_id=plan_id,  # type: ignore[arg-type]
            plan=NAMES[plan_id],  # type: ignore[index]
            customer_id=who,  # type: ignore[arg-type]
            plan_version=1,
            as_of=AS_OF - DAY,
            total=total,
        )

    rows = [score(ada.id, 64.0), score(bob.id, 49.5), score(cy.id, 80.0, FANS.id)]

    def write(uow: UnitOfWork) -> None:
        uow.customers.add_many([ada, bob, cy])
        _store(uow, rows)

    store = store_factory()
    in_unit(store, write)
    hot = history("scores", field("total") >= 50, plan_id=LEADS.id).count() >= 1
    with store.unit_of_work() as uow:
        assert list(uow.segments.members(hot, AS_OF, catalogue=CATALOGUE)) == [ada.id]
        vip_or_hot = hot | field("tags").has_tag("vip")
        assert list(uow.segments.members(vip_or_hot, AS_OF, catalogue=CATALOGUE)) == [ada.id]
        scored = history("scores").count() >= 1
        assert list(uow.segments.members(scored, AS_OF, catalogue=CATALOGUE)) == sorted(
            [ada.id, bob.id, cy.id]
        )
        # plans are named in rules by their name as well as by their id
        by_name = parse(f'scores(plan == "{LEADS.name}", total >= 50).count >= 1', catalogue=CATALOGUE)
        assert list(uow.segments.members(by_name, AS_OF, catalogue=CATALOGUE)) == [ada.id]
        # a score computed after the rule's as_of is not seen yet
        assert list(uow.segments.members(scored, AS_OF - 2 * DAY, catalogue=CATALOGUE)) == []
