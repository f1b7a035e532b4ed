"""Deals in segment rules: memory = SQLite = PostgreSQL = MariaDB, from the history's declaration alone.

Rules are drawn by relcore's own rule strategies over the registry's catalogue
(``opportunities(outcome == "won", currency == "EUR", within=365d).sum > 10000``);
each backend must return exactly the customers the in-memory evaluator picks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from relcore import CRM
from relcore.registry import UnitOfWork
from relcore.sales import Opportunity, Pipeline
from relcore.sales.decisions import lose, open_deal, set_forecast_category, win
from relcore.segments import history, parse, to_text
from relcore.testing._contract_support import StoreFactory, customer, in_unit
from tests._rule_agreement import assert_rules_agree

AS_OF = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
OFFSETS = [DAY, 30 * DAY, 365 * DAY - timedelta(microseconds=1), 365 * DAY, 400 * DAY, -DAY]
DIRECT = Pipeline.of(
    "Direct",
    [("qualify", "Qualify", "0.1"), ("negotiation", "Negotiation", "0.6", "commit")],
    currency="EUR",
    created_at=AS_OF - 1000 * DAY,
)
CATALOGUE = CRM.in_memory().segments.catalogue


def test_the_spec_rules_read_as_text() -> None:
    big = history("opportunities", outcome="won", currency="EUR").within(days=365).sum() > 10000
    text = to_text(big)
    assert text == 'opportunities(outcome == "won", currency == "EUR", within=365d).sum > 10000'
    assert parse(text, catalogue=CATALOGUE) == big
    engaged = history("opportunities", stage="negotiation").count() >= 1
    assert parse(to_text(engaged), catalogue=CATALOGUE) == engaged


def deals_of(owner: object) -> st.SearchStrategy[list[Opportunity]]:
    @st.composite
    def one(draw: st.DrawFn) -> Opportunity:
        created = AS_OF - draw(st.sampled_from(OFFSETS))
        currency = draw(st.sampled_from(["EUR", "USD", None]))
        deal = Opportunity(
            customer_id=owner,  # type: ignore[arg-type]
            pipeline_id=DIRECT.id,
            stage=draw(st.sampled_from(["qualify", "negotiation"])),
            name="d",
            amount=None if currency is None else Decimal(draw(st.sampled_from([0, 5000, 10000, 12000]))),
            currency=currency,
            close_date=date(2026, 3, 31),
            owner=draw(st.sampled_from([None, "ann", "Ann"])),
            source=draw(st.sampled_from([None, "web", "referral"])),
            created_at=created,
        )
        deal = open_deal(deal, DIRECT).opportunity
        ending = draw(st.sampled_from(["open", "won", "lost", "commit"]))
        later = created + DAY
        if ending == "won":
            deal = win(deal, DIRECT, at=later).opportunity
        elif ending == "lost":
            deal = lose(deal, DIRECT, reason="price", at=later).opportunity
        elif ending == "commit":
            deal = set_forecast_category(deal, DIRECT, "commit", at=later).opportunity
        return deal

    return st.lists(one(), max_size=3)


def test_deal_rules_agree_on_every_backend(store_factory: StoreFactory) -> None:
    def store_deals(uow: UnitOfWork, deals: list[Opportunity]) -> None:
        uow.pipelines.add(DIRECT)
        uow.opportunities.add_many(deals)

    assert_rules_agree(
        store_factory,
        CATALOGUE,
        "opportunities",
        deals_of,
        store_deals,
        as_of=AS_OF,
        texts=["web", "ann", "Ann", "negotiation", "qualify", ""],
        windows=[30, 365],
    )


def test_customers_with_an_open_deal_over_5000_eur_in_commit(store_factory: StoreFactory) -> None:
    rule = parse(
        'opportunities(outcome == "open", category == "commit", currency == "EUR", amount > 5000).count >= 1',
        catalogue=CATALOGUE,
    )
    ada, bob, cy = customer("Ada"), customer("Bob"), customer("Cy")
    base = {"pipeline_id": DIRECT.id, "name": "d", "currency": "EUR", "created_at": AS_OF - 10 * DAY}
    big = open_deal(
        Opportunity(customer_id=ada.id, stage="negotiation", amount=6000, **base), DIRECT
    ).opportunity
    small = open_deal(
        Opportunity(customer_id=bob.id, stage="negotiation", amount=4000, **base), DIRECT
    ).opportunity
    early = open_deal(
        Opportunity(customer_id=cy.id, stage="qualify", amount=9000, **base), DIRECT
    ).opportunity
    store = store_factory()

    def write(uow: UnitOfWork) -> None:
        uow.customers.add_many([ada, bob, cy])
        uow.pipelines.add(DIRECT)
        uow.opportunities.add_many([big, small, early])

    in_unit(store, write)
    with store.unit_of_work() as uow:
        assert list(uow.segments.members(rule, AS_OF, catalogue=CATALOGUE)) == [ada.id]
