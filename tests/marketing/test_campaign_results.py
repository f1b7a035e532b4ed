"""Campaign results as of a moment: golden values by hand; memory = SQLite = PostgreSQL = MariaDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore import CRM, Customer, NotFoundError, Touchpoint, Transaction, ValidationError
from relcore.marketing import (
    DEFAULT_MEMBER_STATUSES,
    DEFAULT_RESPONSES,
    Campaign,
    CampaignMember,
    MemberStatus,
    Rate,
    ResponseMapping,
    ResponseRule,
    TallyQuery,
    Variant,
    assign,
    split_test,
    summarise,
    two_proportion_test,
    uplift,
)
from relcore.registry import Store
from relcore.storage.memory import MemoryStore
from relcore.testing._contract_support import StoreFactory, in_unit, snapshot
from relcore.testing.contracts import FixedClock

T0 = datetime(2026, 4, 1, 9, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
AS_OF = T0 + 5 * DAY
AB = [
    Variant(key="a", share="0.45"),
    Variant(key="b", share="0.45"),
    Variant(key="hold", share="0.1", control=True),
]


def person(name: str) -> Customer:
    return Customer.person(name, created_at=T0 - 30 * DAY)


@attrs.frozen
class Golden:
    crm: CRM
    campaign: Campaign
    people: dict[str, Customer]


def golden(crm: CRM) -> Golden:
    """Ten members in ``a``, ten in ``b``, four held out, one left out and one added late (see the test)."""
    campaign = crm.campaigns.add(
        Campaign(
            name="April", channel="email", created_at=T0, variants=AB, actual_cost="120.00", currency="EUR"
        )
    )
    names = [f"A{i}" for i in range(11)] + [f"B{i}" for i in range(10)] + [f"C{i}" for i in range(4)] + ["N0"]
    people = {n: person(n) for n in names}

    def store(uow: Any) -> None:
        uow.customers.add_many(people.values())
        members = []
        for name, who in people.items():
            late = name == "A10"
            group = {"A": "a", "B": "b", "C": "hold", "N": None}[name[0]]
            members.append(
                CampaignMember(
                    campaign_id=campaign.id,
                    customer_id=who.id,
                    variant=group,
                    status="targeted" if group in ("a", "b") else None,
                    excluded={"hold": "control_group", None: "no_consent"}.get(group),  # type: ignore[arg-type]
                    added_at=T0 + 10 * DAY if late else T0,
                )
            )
        uow.campaign_members.add_many(members)

    with crm.unit_of_work() as uow:
        store(uow)
        uow.commit()
    touches: list[Touchpoint] = []

    def tp(name: str, kind: str, direction: str, at: timedelta, outcome: str | None = None) -> None:
        touches.append(
            Touchpoint(
                customer_id=people[name].id,
                campaign_id=campaign.id,
                channel="email",
                kind=kind,
                direction=direction,
                outcome=outcome,
                occurred_at=T0 + at,
                source="esp",
                external_id=f"{name}-{len(touches)}",
            )
        )

    for i in range(10):
        tp(f"A{i}", "message", "outbound", HOUR)
        tp(f"A{i}", "message", "outbound", 2 * HOUR, "bounced" if i == 9 else "delivered")
        tp(f"B{i}", "message", "outbound", HOUR)
        tp(f"B{i}", "message", "outbound", 2 * HOUR, "delivered")
    for i in range(6):
        tp(f"A{i}", "open", "inbound", 3 * HOUR)
    for i in range(4):
        tp(f"A{i}", "click", "inbound", 4 * HOUR)
        tp(f"B{i}", "open", "inbound", 3 * HOUR)
    for i in range(3):
        tp(f"A{i}", "message", "inbound", 5 * HOUR)
    tp("B0", "click", "inbound", 4 * HOUR)
    tp("B0", "message", "inbound", 5 * HOUR)
    tp("A8", "click", "inbound", 6 * HOUR, "unsubscribed")
    tp("N0", "message", "inbound", HOUR)  # left out: never counted
    tp("A6", "message", "inbound", 7 * DAY)  # after AS_OF
    tp("A10", "message", "outbound", 10 * DAY + HOUR)  # the late member
    crm.activity.import_touchpoints(touches)

    def order(name: str, at: timedelta, kind: str = "order") -> Transaction:
        return Transaction(
            customer_id=people[name].id, kind=kind, amount="10.00", currency="EUR", occurred_at=T0 + at
        )

    crm.activity.import_transactions(
        [
            order("A0", 2 * DAY),
            order("A1", -DAY),  # before it was added
            order("A2", 2 * DAY, "refund"),
            order("B0", 3 * DAY),
            order("B1", 6 * DAY),  # after AS_OF
            order("C0", DAY),  # the control group converts too
            order("N0", DAY),
        ]
    )
    return Golden(crm, campaign, people)


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(T0 + 30 * DAY))


def counts(v: Any) -> tuple[int, ...]:
    return (v.members, v.sent, v.delivered, v.opened, v.clicked, v.responded, v.converted)


def test_results_of_a_hand_made_campaign(crm: CRM) -> None:
    g = golden(crm)
    results = crm.campaigns.results(g.campaign.id, as_of=AS_OF)
    a, b, hold = results.variant("a"), results.variant("b"), results.variant("hold")
    assert [v.variant for v in results.variants] == ["a", "b"]
    assert results.control == hold
    assert counts(a) == (10, 10, 9, 6, 4, 3, 1)
    assert counts(b) == (10, 10, 10, 4, 1, 1, 1)
    assert counts(hold) == (4, 0, 0, 0, 0, 0, 1)
    assert counts(results.total) == (20, 20, 19, 10, 5, 4, 2)
    assert dict(a.reached) == {
        "targeted": 10,
        "sent": 10,
        "delivered": 9,
        "opened": 6,
        "clicked": 4,
        "responded": 3,
        "converted": 0,
        "bounced": 1,
        "unsubscribed": 1,
    }
    assert a.rate("open") == Rate(6, 9)
    assert a.rate("response") == Rate(3, 10)
    assert a.rate("conversion") == Rate(1, 10)
    assert a.interval("response") == Rate(3, 10).wilson(0.95)
    assert (results.cost, results.currency, results.cost_per_response) == (
        Decimal("120.00"),
        "EUR",
        Decimal(30),
    )
    assert (results.winner, results.runner_up) == ("a", "b")
    assert results.test == two_proportion_test(Rate(3, 10), Rate(1, 10))
    assert results.test is not None
    assert results.test.p_value == pytest.approx(0.2636, abs=1e-4)  # z = 0.2 / sqrt(0.2 * 0.8 * 0.2)
    assert results.uplift["a"] == uplift(Rate(1, 10), Rate(1, 4))
    assert results.uplift["a"].difference == pytest.approx(-0.15)  # type: ignore[union-attr]
    by_open = crm.campaigns.results(g.campaign.id, as_of=AS_OF, metric="open", confidence=0.9)
    assert (by_open.winner, by_open.test) == ("a", two_proportion_test(Rate(6, 9), Rate(4, 10)))
    assert by_open.variant("a").interval("open") == Rate(6, 9).wilson(0.9)
    by_conversion = crm.campaigns.results(g.campaign.id, as_of=AS_OF, metric="conversion")
    assert (by_conversion.winner, by_conversion.test) == (None, None)  # 1 in 10 each: a tie


def test_results_are_counted_as_of_a_moment_and_read_the_same_later(crm: CRM, store: Store) -> None:
    g = golden(crm)
    before = crm.campaigns.results(g.campaign.id, as_of=AS_OF)
    crm.campaigns.apply_responses(g.campaign.id)  # stored statuses move: results do not
    crm.activity.record_touchpoint(
        Touchpoint(
            customer_id=g.people["B5"].id,
            campaign_id=g.campaign.id,
            channel="email",
            kind="message",
            direction="inbound",
            occurred_at=AS_OF + HOUR,
        )
    )
    assert crm.campaigns.results(g.campaign.id, as_of=AS_OF) == before
    later = crm.campaigns.results(g.campaign.id, as_of=T0 + 10 * DAY)
    # A10 added; A6 replied on day 7, B5 after AS_OF: a reply implies the open and the click before it
    assert counts(later.variant("a")) == (11, 10, 9, 7, 5, 4, 1)
    assert counts(later.variant("b")) == (10, 10, 10, 5, 2, 2, 2)  # B1 ordered on day 6
    edge = crm.campaigns.results(g.campaign.id, as_of=T0 + 3 * HOUR)  # touchpoints at as_of count
    assert counts(edge.variant("a")) == (10, 10, 9, 6, 0, 0, 0)
    assert crm.campaigns.results(g.campaign.id) == crm.campaigns.results(g.campaign.id, as_of=T0 + 30 * DAY)
    nothing = snapshot(store)
    crm.campaigns.results(g.campaign.id)
    assert snapshot(store) == nothing


def test_bad_result_requests_are_refused(crm: CRM) -> None:
    g = golden(crm)
    cases: list[tuple[Any, type[Exception], tuple[str, ...] | None]] = [
        (lambda: crm.campaigns.results("nope"), ValidationError, ("campaign_id",)),
        (lambda: crm.campaigns.results(g.people["A0"].id), NotFoundError, None),
        (lambda: crm.campaigns.results(g.campaign.id, metric="likes"), ValidationError, ("metric",)),
        (lambda: crm.campaigns.results(g.campaign.id, confidence=1.0), ValidationError, ("confidence",)),
        (lambda: crm.campaigns.results(g.campaign.id, confidence=True), ValidationError, ("confidence",)),
        (
            lambda: crm.campaigns.results(g.campaign.id, as_of=datetime(2026, 4, 1)),
            ValidationError,
            ("as_of",),
        ),
        (lambda: crm.campaigns.results(g.campaign.id, mapping=None), ValidationError, ("mapping",)),
    ]
    for call, error, paths in cases:
        with pytest.raises(error) as raised:
            call()
        if paths is not None:
            assert raised.value.paths == paths  # type: ignore[attr-defined]


# -- differential: every backend counts what memory counts ------------------------------------------------

PEOPLE = 6
CUSTOM = (
    MemberStatus(key="targeted", position=0, default=True),
    MemberStatus(key="sent", position=1),
    MemberStatus(key="opened", position=2),
    MemberStatus(key="replied", position=3, responded=True),
    MemberStatus(key="bounced", position=4, terminal=True),
    MemberStatus(key="optout", position=5, terminal=True),
)
CUSTOM_MAPPING = ResponseMapping(
    rules=(
        ResponseRule(outcome="Bounced", status="bounced"),
        ResponseRule(outcome="optout", status="optout"),
        ResponseRule(direction="inbound", outcome="bounced ", status="opened"),
        ResponseRule(kind="open", status="opened"),
        ResponseRule(direction="inbound", status="replied"),
        ResponseRule(kind="message", status="sent"),
    ),
    withdraws="optout",
)
OFFSETS = [-DAY, timedelta(0), HOUR, 2 * DAY, 5 * DAY, 5 * DAY + timedelta(microseconds=1)]
OUTCOMES = [None, "delivered", "bounced", "Bounced", "bounced ", "unsubscribed", "optout"]


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    custom = draw(st.booleans())
    campaign = Campaign(
        name="Drawn",
        channel="email",
        created_at=T0 - 10 * DAY,
        variants=AB,
        member_statuses=CUSTOM if custom else DEFAULT_MEMBER_STATUSES,
    )
    other = Campaign(name="Other", channel="email", created_at=T0 - 10 * DAY)
    people = [person(f"P{i}") for i in range(PEOPLE)]
    members = []
    for who in people:
        role = draw(st.sampled_from(["none", "a", "b", "hold", "out", "a"]))
        if role == "none":
            continue
        variant = {"hold": "hold", "out": None}.get(role, draw(st.sampled_from([role, role, None])))
        members.append(
            CampaignMember(
                campaign_id=campaign.id,
                customer_id=who.id,
                variant=variant,
                status="targeted" if role in ("a", "b") else None,
                excluded={"hold": "control_group", "out": "frequency_cap"}.get(role),  # type: ignore[arg-type]
                added_at=T0 + draw(st.sampled_from(OFFSETS)),
            )
        )
    touches = [
        Touchpoint(
            customer_id=draw(st.sampled_from(people)).id,
            campaign_id=draw(st.sampled_from([campaign.id, campaign.id, other.id, None])),
            channel="email",
            kind=draw(st.sampled_from(["message", "open", "click", "call"])),
            direction=draw(st.sampled_from(["inbound", "outbound"])),
            outcome=draw(st.sampled_from(OUTCOMES)),
            occurred_at=T0 + draw(st.sampled_from(OFFSETS)),
        )
        for _ in range(draw(st.integers(0, 14)))
    ]
    orders = [
        Transaction(
            customer_id=draw(st.sampled_from(people)).id,
            kind=draw(st.sampled_from(["order", "order", "refund", "quote"])),
            amount="5.00",
            currency="EUR",
            occurred_at=T0 + draw(st.sampled_from(OFFSETS)),
        )
        for _ in range(draw(st.integers(0, 5)))
    ]
    return {
        "campaign": campaign,
        "other": other,
        "people": people,
        "members": members,
        "touches": touches,
        "orders": orders,
        "mapping": CUSTOM_MAPPING if custom else DEFAULT_RESPONSES,
        "as_of": T0 + draw(st.sampled_from([HOUR, 5 * DAY, 30 * DAY])),
    }


def _fill(store: Store, world: dict[str, Any]) -> None:
    def write(uow: Any) -> None:
        uow.customers.add_many(world["people"])
        uow.campaigns.add_many([world["campaign"], world["other"]])
        uow.campaign_members.add_many(world["members"])
        uow.touchpoints.add_many(world["touches"])
        uow.transactions.add_many(world["orders"])

    in_unit(store, write)


def _tally(store: Store, world: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    query = TallyQuery.of(world["campaign"], world["mapping"], world["as_of"])
    with store.unit_of_work(read_only=True) as uow:
        rows = sorted(uow.campaign_tallies.tally(query), key=lambda r: (str(r.variant), r.control))
        listed = uow.campaign_tallies.touchpoints(world["campaign"].id, until=world["as_of"])
    return rows, listed


def test_every_backend_counts_what_memory_counts(store_factory: StoreFactory) -> None:
    slow = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

    @settings(max_examples=40, deadline=None, suppress_health_check=slow)
    @given(world=worlds())
    def check(world: dict[str, Any]) -> None:
        reference = MemoryStore()
        _fill(reference, world)
        expected_rows, expected_listed = _tally(reference, world)
        store = store_factory()
        _fill(store, world)
        rows, listed = _tally(store, world)
        assert rows == expected_rows
        assert listed == expected_listed
        query = TallyQuery.of(world["campaign"], world["mapping"], world["as_of"])
        results = summarise(world["campaign"], query, rows)
        for v in (*results.variants, results.total):
            assert v.members >= v.sent >= v.delivered >= v.opened >= v.clicked
            assert v.sent >= v.responded
            assert v.members >= v.converted

    check()


def test_the_winner_of_the_test_group_goes_to_the_rest_not_yet_sent(crm: CRM, store: Store) -> None:
    campaign = crm.campaigns.add(
        Campaign(
            name="Split",
            channel="email",
            created_at=T0,
            seed=3,
            variants=[Variant(key="a", share="0.5"), Variant(key="b", share="0.5")],
        )
    )
    people = [person(f"S{i}") for i in range(40)]
    variants = {p.id: assign(campaign.id, p.id, campaign.seed, campaign.variants).key for p in people}
    split = split_test(campaign.id, [p.id for p in people], "0.25", campaign.seed)
    early = next(p for p in split.rest if variants[p] == "b")  # sent before the winner was known
    with crm.unit_of_work() as uow:
        uow.customers.add_many(people)
        uow.campaign_members.add_many(
            CampaignMember(
                campaign_id=campaign.id,
                customer_id=p.id,
                variant=variants[p.id],
                status="sent" if p.id == early else "targeted",
                added_at=T0,
            )
            for p in people
        )
        uow.commit()
    touches = []
    for i, who in enumerate(split.test):
        touches.append(
            Touchpoint(
                customer_id=who,
                campaign_id=campaign.id,
                channel="email",
                kind="message",
                direction="outbound",
                occurred_at=T0 + HOUR,
                source="esp",
                external_id=f"s{i}",
            )
        )
        if variants[who] == "a":
            touches.append(
                Touchpoint(
                    customer_id=who,
                    campaign_id=campaign.id,
                    channel="email",
                    kind="message",
                    direction="inbound",
                    occurred_at=T0 + 2 * HOUR,
                    source="esp",
                    external_id=f"r{i}",
                )
            )
    crm.activity.import_touchpoints(touches)
    before = snapshot(store)
    strict = crm.campaigns.send_winner(campaign.id, test_share="0.25", as_of=T0 + DAY, max_p_value=1e-9)
    assert (strict.winner, strict.reassigned, strict.test) == (None, 0, 10)
    assert snapshot(store) == before
    sent = crm.campaigns.send_winner(campaign.id, test_share="0.25", as_of=T0 + DAY)
    waiting_b = [p for p in split.rest if variants[p] == "b" and p != early]
    assert (sent.winner, sent.reassigned, sent.test) == ("a", len(waiting_b), 10)
    assert sent.p_value is not None
    assert sent.p_value < 0.05
    after = {m.customer_id: m.variant for m in crm.campaigns.members(campaign.id)}
    assert all(after[p] == "a" for p in split.rest if p != early)
    assert after[early] == "b"
    assert all(after[p] == variants[p] for p in split.test)
    again = crm.campaigns.send_winner(campaign.id, test_share="0.25", as_of=T0 + DAY)
    assert (again.winner, again.reassigned) == ("a", 0)
    with pytest.raises(ValidationError) as error:
        crm.campaigns.send_winner(campaign.id, test_share="1.5")
    assert error.value.paths == ("test_share",)
    with pytest.raises(ValidationError) as error:
        crm.campaigns.send_winner(campaign.id, test_share="0.25", max_p_value=2)
    assert error.value.paths == ("max_p_value",)


def test_outcomes_compare_exactly_and_a_bounce_alone_is_no_send(crm: CRM) -> None:
    campaign = crm.campaigns.add(Campaign(name="Exact", channel="email", created_at=T0))
    people = [person(f"E{i}") for i in range(3)]
    with crm.unit_of_work() as uow:
        uow.customers.add_many(people)
        uow.campaign_members.add_many(
            CampaignMember(campaign_id=campaign.id, customer_id=p.id, status="targeted", added_at=T0)
            for p in people
        )
        uow.commit()
    crm.activity.import_touchpoints(
        Touchpoint(
            customer_id=p.id,
            campaign_id=campaign.id,
            channel="email",
            kind="message",
            direction="outbound",
            outcome=outcome,
            occurred_at=T0 + HOUR,
        )
        for p, outcome in zip(people, ["bounced ", "Bounced", "bounced"], strict=True)
    )
    total = crm.campaigns.results(campaign.id, as_of=T0 + DAY).total
    assert (total.members, total.sent, total.reached["bounced"]) == (3, 2, 1)
