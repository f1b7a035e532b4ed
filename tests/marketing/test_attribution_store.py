"""Attribution of stored orders through ``crm.campaigns.attribute`` on every backend.

A hand-worked journey gives golden values through the stored path; the
filters, the period and the ROI rule are checked one by one; and on generated
journeys every backend's report, and the journeys it streams, equal the
memory store's, which equal the pure functions' on the same data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore import CRM, Customer, NotFoundError, Touchpoint, Transaction, ValidationError
from relcore.marketing import Campaign
from relcore.marketing.attribution import Order, Touch, attribute
from relcore.marketing.attribution_ports import Journey, JourneyQuery
from relcore.marketing.attribution_report import AttributionReport, CampaignReturn, summarise
from relcore.marketing.attribution_services import attribute_stored
from relcore.registry import Store
from relcore.storage.memory import MemoryStore
from relcore.testing._contract_support import StoreFactory
from relcore.testing.contracts import FixedClock
from relcore.vocabularies import Vocabularies

DAY = timedelta(days=1)
WEEK = 7 * DAY
ORDERED = datetime(2026, 3, 31, 12, tzinfo=UTC)
START, END = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
NEWSLETTER, WEBINAR, RETARGETING, UNSTORED = (UUID(int=i) for i in (1, 2, 3, 4))


def campaign(campaign_id: UUID, name: str, **money: Any) -> Campaign:
    return Campaign(id=campaign_id, name=name, channel="email", created_at=START - 60 * DAY, **money)


# ids spread over all their bytes: MariaDB's native UUID type orders them otherwise than Python
CUSTOMER_IDS = [
    UUID("0a9e5d77-ffff-7000-8000-000000000001"),
    UUID("f3c1a2b4-0000-4000-8000-000000000002"),
    UUID("7d3b0c11-1234-1000-9fff-ffffffffffff"),
    UUID("5b2f4e90-8a1c-7c3d-b000-0000000000aa"),
]


def customer(number: int) -> Customer:
    return attrs.evolve(Customer.organization(f"Customer {number}"), id=CUSTOMER_IDS[number])


def touch(
    who: Customer, at: datetime, campaign_id: UUID | None, *, kind: str = "message", n: int
) -> Touchpoint:
    return Touchpoint(
        id=UUID(int=10_000 + n),
        customer_id=who.id,
        channel="email",
        direction="outbound",
        kind=kind,
        occurred_at=at,
        campaign_id=campaign_id,
    )


def sale(
    who: Customer, at: datetime, amount: str, currency: str = "EUR", *, kind: str = "order", n: int
) -> Transaction:
    return Transaction(
        id=UUID(int=20_000 + n),
        customer_id=who.id,
        kind=kind,
        amount=amount,
        currency=currency,
        occurred_at=at,
    )


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(NOW), vocabularies=Vocabularies(touchpoint_kinds=["webinar_seat"]))


@pytest.fixture
def journey(crm: CRM) -> CRM:
    """The journey of the reference page, stored, with what must not count around it.

    Ada was touched by the newsletter 21 and 7 days before an order of 100.00 EUR,
    by the webinar 14 days before and by retargeting at the order's instant.
    """
    crm.campaigns.add(campaign(NEWSLETTER, "Newsletter", actual_cost="40.00", currency="EUR"))
    crm.campaigns.add(campaign(WEBINAR, "Webinar", actual_cost="0.00", currency="EUR"))
    crm.campaigns.add(campaign(RETARGETING, "Retargeting"))
    ada, bob = crm.customers.add(customer(1)), crm.customers.add(customer(2))
    crm.activity.import_touchpoints(
        [
            touch(ada, ORDERED - 31 * DAY, NEWSLETTER, n=1),  # a day too old for a 30-day window
            touch(ada, ORDERED - 21 * DAY, NEWSLETTER, n=2),
            touch(ada, ORDERED - 14 * DAY, WEBINAR, kind="webinar_seat", n=3),
            touch(ada, ORDERED - 7 * DAY, NEWSLETTER, kind="click", n=4),
            touch(ada, ORDERED - 3 * DAY, None, n=5),  # no campaign: never a touch
            touch(ada, ORDERED, RETARGETING, n=6),  # at the order's instant: counts
            touch(ada, ORDERED + DAY, RETARGETING, n=7),  # after the order
            touch(bob, ORDERED - DAY, WEBINAR, n=8),  # another customer's
        ]
    )
    crm.activity.import_transactions(
        [
            sale(ada, ORDERED, "100.00", n=1),
            sale(ada, ORDERED - 2 * DAY, "30.00", kind="refund", n=2),  # not an order
            sale(ada, END, "999.00", n=3),  # at the end: outside the period
            sale(bob, START, "20.00", n=4),  # at the start: inside, but bob's touch comes later
            sale(bob, START + 2 * DAY, "7", "JPY", n=5),  # no touch in its window either
        ]
    )
    return crm


def test_golden_values_of_the_hand_worked_journey_under_each_model(journey: CRM) -> None:
    expected = {
        "first_touch": {NEWSLETTER: "100.00", WEBINAR: "0.00", RETARGETING: "0.00"},
        "last_touch": {NEWSLETTER: "0.00", WEBINAR: "0.00", RETARGETING: "100.00"},
        "linear": {NEWSLETTER: "50.00", WEBINAR: "25.00", RETARGETING: "25.00"},
        "position_based": {NEWSLETTER: "50.00", WEBINAR: "10.00", RETARGETING: "40.00"},
        # 1/8, 1/4, 1/2, 1 before normalising: 1/3, 2/15, 8/15; the cent left over to the newsletter
        "time_decay": {NEWSLETTER: "33.34", WEBINAR: "13.33", RETARGETING: "53.33"},
    }
    for model, amounts in expected.items():
        report = journey.campaigns.attribute(
            model=model, start=START, end=END, half_life=WEEK if model == "time_decay" else None
        )
        assert {row.campaign_id: str(row.revenue) for row in report.campaigns} == amounts, model
        assert report.orders == 3
        assert report.revenue == {"EUR": Decimal("120.00"), "JPY": Decimal(7)}
        assert report.unattributed == {"EUR": Decimal("20.00"), "JPY": Decimal(7)}
        assert [(r.campaign_id, r.currency, r.orders, r.touches) for r in report.campaigns] == [
            (NEWSLETTER, "EUR", 1, 2),
            (WEBINAR, "EUR", 1, 1),
            (RETARGETING, "EUR", 1, 1),
        ]


def test_roi_is_taken_on_the_actual_cost_in_the_campaigns_currency(journey: CRM) -> None:
    report = journey.campaigns.attribute(model="position_based", start=START, end=END)
    assert report.returns == (
        # (50.00 - 40.00) / 40.00
        CampaignReturn(NEWSLETTER, "EUR", Decimal("40.00"), Decimal("50.00"), Decimal("0.25")),
        # a cost of 0: no ROI
        CampaignReturn(WEBINAR, "EUR", Decimal("0.00"), Decimal("10.00"), None),
        # no amounts at all: currency and cost unknown
        CampaignReturn(RETARGETING, None, None, None, None),
    )


def test_an_order_in_another_currency_than_the_campaigns_leaves_its_roi_undefined(crm: CRM) -> None:
    crm.campaigns.add(campaign(NEWSLETTER, "Newsletter", actual_cost="10.00", currency="EUR"))
    ada = crm.customers.add(customer(1))
    crm.activity.import_touchpoints([touch(ada, ORDERED - DAY, NEWSLETTER, n=1)])
    crm.activity.import_transactions([sale(ada, ORDERED, "5.00", "USD", n=1)])
    report = crm.campaigns.attribute(model="linear", start=START, end=END)
    assert report.revenue_of(NEWSLETTER) == {"USD": Decimal("5.00")}
    assert report.return_of(NEWSLETTER) == CampaignReturn(
        NEWSLETTER, "EUR", Decimal("10.00"), Decimal(0), None
    )
    # without that order: nothing earned in EUR, so all the cost is lost
    alone = crm.campaigns.attribute(model="linear", start=START, end=ORDERED, campaign_ids=[NEWSLETTER])
    assert alone.return_of(NEWSLETTER) == CampaignReturn(
        NEWSLETTER, "EUR", Decimal("10.00"), Decimal(0), Decimal(-1)
    )
    assert alone.orders == 0
    assert alone.campaigns == ()
    assert alone.revenue == {}


def test_the_campaigns_and_kinds_filters_leave_the_other_touches_out(journey: CRM) -> None:
    only = journey.campaigns.attribute(model="linear", start=START, end=END, campaign_ids=[WEBINAR])
    assert [(r.campaign_id, r.revenue) for r in only.campaigns] == [(WEBINAR, Decimal("100.00"))]
    assert [r.campaign_id for r in only.returns] == [WEBINAR]
    clicks = journey.campaigns.attribute(
        model="linear", start=START, end=END, kinds=["click", "webinar_seat"]
    )
    assert {r.campaign_id: r.revenue for r in clicks.campaigns} == {
        NEWSLETTER: Decimal("50.00"),
        WEBINAR: Decimal("50.00"),
    }
    none = journey.campaigns.attribute(model="linear", start=START, end=END, kinds=["call"])
    assert none.campaigns == ()
    assert none.unattributed == none.revenue
    # a 10-day window keeps the newsletter's click (7 days) and the retargeting only
    short = journey.campaigns.attribute(model="first_touch", start=START, end=END, lookback=10 * DAY)
    assert {r.campaign_id: r.revenue for r in short.campaigns} == {
        NEWSLETTER: Decimal("100.00"),
        RETARGETING: Decimal("0.00"),
    }


def test_a_touch_of_a_campaign_that_is_not_stored_is_credited_without_a_return(crm: CRM) -> None:
    ada = crm.customers.add(customer(1))
    crm.activity.import_touchpoints([touch(ada, ORDERED - DAY, UNSTORED, n=1)])
    crm.activity.import_transactions([sale(ada, ORDERED, "9.99", n=1)])
    report = crm.campaigns.attribute(model="last_touch", start=START, end=END)
    assert report.revenue_of(UNSTORED) == {"EUR": Decimal("9.99")}
    assert report.returns == (CampaignReturn(UNSTORED, None, None, None, None),)
    with pytest.raises(NotFoundError):
        crm.campaigns.attribute(model="last_touch", start=START, end=END, campaign_ids=[UNSTORED])


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"model": "u_shaped"}, "model"),
        ({"start": datetime(2026, 3, 1)}, "start"),  # naive
        ({"end": "2026-04-01"}, "end"),
        ({"end": START}, "end"),  # not after the start
        ({"lookback": timedelta(0)}, "lookback"),
        ({"lookback": 30}, "lookback"),
        ({"model": "time_decay"}, "half_life"),  # required there
        ({"half_life": WEEK}, "half_life"),  # refused elsewhere
        ({"campaign_ids": "not ids"}, "campaign_ids"),
        ({"campaign_ids": [NEWSLETTER, "x"]}, "campaign_ids[1]"),
        ({"kinds": "click"}, "kinds"),
        ({"kinds": ["click", "carrier_pigeon"]}, "kinds[0]"),  # undeclared (sorted: c < cl)
    ],
)
def test_bad_arguments_are_refused_naming_the_field(crm: CRM, arguments: dict[str, Any], field: str) -> None:
    given_arguments: dict[str, Any] = {"model": "linear", "start": START, "end": END, **arguments}
    with pytest.raises(ValidationError) as error:
        crm.campaigns.attribute(**given_arguments)
    assert error.value.paths == (field,)


# -- every backend streams and attributes as the memory store does ------------------------------------

_CAMPAIGNS = (NEWSLETTER, WEBINAR, RETARGETING, UNSTORED)
_KINDS = ("message", "click")
_touches = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 3), st.sampled_from(_KINDS), st.integers(0, 30)),
    min_size=3,
    max_size=16,
)  # (customer, campaign, kind, hour)
_orders = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["EUR", "JPY"]), st.integers(0, 10_000), st.integers(5, 40)),
    min_size=1,
    max_size=8,
)  # (customer, currency, minor units, hour)
_models = st.sampled_from(["first_touch", "last_touch", "linear", "time_decay", "position_based"])


def _write(
    crm: CRM, touches: list[tuple[int, int, str, int]], orders: list[tuple[int, str, int, int]]
) -> None:
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    crm.campaigns.add(campaign(NEWSLETTER, "Newsletter", actual_cost="12.00", currency="EUR"))
    crm.campaigns.add(campaign(WEBINAR, "Webinar", actual_cost="500", currency="JPY"))
    crm.campaigns.add(campaign(RETARGETING, "Retargeting"))
    people = [crm.customers.add(customer(i)) for i in range(4)]
    crm.activity.import_touchpoints(
        touch(people[who], t0 + timedelta(hours=hour), _CAMPAIGNS[which], kind=kind, n=n)
        for n, (who, which, kind, hour) in enumerate(touches)
    )
    crm.activity.import_transactions(
        sale(
            people[who],
            t0 + timedelta(hours=hour),
            str(Decimal(units).scaleb(-2 if cur == "EUR" else 0)),
            cur,
            n=n,
        )
        for n, (who, cur, units, hour) in enumerate(orders)
    )


def _journeys(crm: CRM, query: JourneyQuery, batch: int) -> list[Journey]:
    """The journeys the store streams, by customer id, touches by time then campaign id.

    The customers come in the database's id order and the touches of one
    instant in any order, which need not be Python's on every backend.
    """
    with crm.unit_of_work(read_only=True) as uow:
        found = list(uow.campaign_journeys.journeys(query, batch=batch))
    return sorted(
        (
            attrs.evolve(j, touches=tuple(sorted(j.touches, key=lambda t: (t.at, t.campaign_id))))
            for j in found
        ),
        key=lambda j: j.customer_id,
    )


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    touches=_touches,
    orders=_orders,
    model=_models,
    window=st.tuples(st.integers(0, 20), st.integers(1, 41)),
    lookback=st.integers(1, 40),
    half_life=st.integers(1, 10),
    batch=st.integers(1, 3),
    filters=st.sampled_from([(None, None), (None, None), ((NEWSLETTER, UNSTORED), None), (None, ("click",))]),
)
def test_every_backend_attributes_stored_orders_as_the_memory_store_and_the_pure_functions(
    store_factory: StoreFactory,
    touches: list[tuple[int, int, str, int]],
    orders: list[tuple[int, str, int, int]],
    model: str,
    window: tuple[int, int],
    lookback: int,
    half_life: int,
    batch: int,
    filters: tuple[tuple[UUID, ...] | None, tuple[str, ...] | None],
) -> None:
    clock = FixedClock(NOW)
    here, reference = CRM(store_factory(clock=clock), clock=clock), CRM(MemoryStore(clock=clock), clock=clock)
    for crm in (here, reference):
        _write(crm, touches, orders)
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    start, end = t0 + timedelta(hours=window[0]), t0 + timedelta(hours=window[0] + window[1])
    campaign_ids, kinds = filters
    arguments: dict[str, Any] = {
        "model": model,
        "start": start,
        "end": end,
        "lookback": timedelta(hours=lookback),
        "half_life": timedelta(hours=half_life) if model == "time_decay" else None,
        "campaign_ids": campaign_ids if campaign_ids is None else [c for c in campaign_ids if c != UNSTORED],
        "kinds": kinds,
    }
    query = JourneyQuery(start, end, timedelta(hours=lookback), arguments["campaign_ids"], kinds)
    found = _journeys(here, query, batch)
    assert found == _journeys(reference, query, 500)
    assert here.campaigns.attribute(**arguments) == reference.campaigns.attribute(**arguments)
    with here.unit_of_work(read_only=True) as uow:
        batched = attribute_stored(uow, query, model=model, half_life=arguments["half_life"], batch=batch)
    assert batched == reference.campaigns.attribute(**arguments)
    # the journeys are the generated data, filtered; the report is the pure functions' on them
    assert found == list(_expected_journeys(touches, orders, query))
    with reference.unit_of_work(read_only=True) as uow:
        stored = {c.id: c for c in uow.campaigns.list(limit=10).items}
    credits = [
        credit
        for journey in found
        for credit in attribute(
            journey.orders,
            journey.touches,
            model=model,
            lookback=query.lookback,
            half_life=arguments["half_life"],
        )
    ]
    pure = summarise(
        credits,
        stored,
        requested=query.campaign_ids or (),
        model=batched.model,
        start=start,
        end=end,
        lookback=query.lookback,
        half_life=arguments["half_life"],
    )
    assert batched == pure
    _money_adds_up(batched)


def _expected_journeys(
    touches: list[tuple[int, int, str, int]], orders: list[tuple[int, str, int, int]], query: JourneyQuery
) -> Iterator[Journey]:
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    for who in sorted(range(3), key=lambda i: CUSTOMER_IDS[i]):
        mine = sorted(
            (
                Order(
                    t0 + timedelta(hours=hour),
                    Decimal(units).scaleb(-2 if cur == "EUR" else 0),
                    cur,
                    UUID(int=20_000 + n),
                )
                for n, (person, cur, units, hour) in enumerate(orders)
                if person == who and query.start <= t0 + timedelta(hours=hour) < query.end
            ),
            key=lambda o: (o.at, o.transaction_id),
        )
        if not mine:
            continue
        earliest = query.earliest_touch
        assert earliest is not None
        near = sorted(
            (
                Touch(t0 + timedelta(hours=hour), _CAMPAIGNS[which])
                for person, which, kind, hour in touches
                if person == who
                and earliest <= t0 + timedelta(hours=hour) < query.end
                and (query.campaign_ids is None or _CAMPAIGNS[which] in query.campaign_ids)
                and (query.kinds is None or kind in query.kinds)
            ),
            key=lambda t: (t.at, t.campaign_id),
        )
        yield Journey(CUSTOMER_IDS[who], tuple(mine), tuple(near))


def _money_adds_up(report: AttributionReport) -> None:
    for currency, total in report.revenue.items():
        credited = sum((r.revenue for r in report.campaigns if r.currency == currency), Decimal(0))
        assert credited + report.unattributed[currency] == total
