"""Audiences that cannot break consent, on every backend.

Hypothesis draws a handful of customers with e-mail contact points, consent
ledgers, suppressions and touchpoint histories around ``AS_OF``. On each
backend the audience built from a rule must equal the reference computed here
from the drawn data alone (consent by ``may_contact``, suppressions by
``is_live``, the cap by counting), and it must be consent-safe: no member may
be contacted without consent for the campaign's purpose on its channel, be
suppressed by customer, address or domain, be over the cap, or share an
address with another member; the reasons' counts add up to the excluded total.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore import CRM
from relcore.activity.model import Touchpoint
from relcore.consent.model import ConsentRecord, may_contact
from relcore.customers import Contact, ContactPoint, Customer
from relcore.errors import NotFoundError, ValidationError
from relcore.ids import CampaignId, new_id
from relcore.marketing import (
    Campaign,
    Exclusion,
    FrequencyCap,
    Reachable,
    Screening,
    Suppression,
    Variant,
    address_domain,
    assign,
    screen,
)
from relcore.registry import UnitOfWork
from relcore.segments import parse
from relcore.testing._contract_support import StoreFactory, in_unit

AS_OF = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)
WEEK = 7 * DAY
ADDRESSES = ["ada@example.com", "Ada@example.com", "bob@example.com", "cy@other.org", "dee@other.org"]
OTHER = CampaignId(new_id())  # another campaign whose sends count towards the cap
RULE = parse('tags has tag "news"')
CAMPAIGN = Campaign(
    name="Spring",
    channel="email",
    variants=(
        Variant(key="a", share=Decimal("0.45")),
        Variant(key="b", share=Decimal("0.45")),
        Variant(key="holdout", share=Decimal("0.1"), control=True),
    ),
    frequency_cap=FrequencyCap(count=2, window=WEEK),
    created_at=AS_OF - 30 * DAY,
)
MOMENTS = [AS_OF - 40 * DAY, AS_OF - WEEK, AS_OF - WEEK + TICK, AS_OF - DAY, AS_OF, AS_OF + TICK]


@st.composite
def person(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """One customer and everything the audience reads about it."""
    tags = ["news"] if draw(st.booleans()) or index < 2 else []
    who = Customer.person(f"P{index}", tags=tags, created_at=AS_OF - 100 * DAY)
    picked = draw(st.lists(st.sampled_from(ADDRESSES), max_size=2, unique_by=str.casefold))
    primary = draw(st.sampled_from([None, *range(len(picked))]))
    points = [
        ContactPoint.email(a, primary=i == primary, verified=draw(st.booleans()))
        for i, a in enumerate(picked)
    ]
    contacts = [Contact(customer_id=who.id, name=f"P{index}", points=points)] if points else []
    consents = [
        ConsentRecord(
            customer_id=who.id,
            purpose=draw(st.sampled_from(["marketing", "marketing", "analytics"])),
            channel=draw(st.sampled_from(["email", None, "sms"])),
            status=draw(st.sampled_from(["granted", "granted", "denied", "withdrawn"])),
            recorded_at=draw(st.sampled_from(MOMENTS)),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    sends = [
        Touchpoint(
            customer_id=who.id,
            channel=draw(st.sampled_from(["email", "email", "sms"])),
            direction=draw(st.sampled_from(["outbound", "outbound", "inbound"])),
            kind="message",
            campaign_id=draw(st.sampled_from([OTHER, OTHER, None])),
            occurred_at=draw(st.sampled_from(MOMENTS)),
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    return {"customer": who, "contacts": contacts, "consents": consents, "sends": sends}


SUPPRESSIBLE = [
    ("address", "ada@example.com"),
    ("address", "cy@other.org"),
    ("domain", "other.org"),
    ("domain", "example.com"),
]


@st.composite
def suppression_list(draw: st.DrawFn, people: list[dict[str, Any]]) -> list[Suppression]:
    named = [("customer", str(p["customer"].id)) for p in people]
    chosen = draw(st.lists(st.sampled_from(SUPPRESSIBLE + named), max_size=3, unique=True))
    entries = []
    for kind, value in chosen:
        made = draw(st.sampled_from([*MOMENTS[:4], AS_OF + TICK]))
        ends = draw(st.sampled_from([None, AS_OF, AS_OF + DAY]))
        expires = None if ends is None or ends < made else ends
        entries.append(
            Suppression(kind=kind, value=value, reason="test", created_at=made, expires_at=expires)
        )
    return entries


def world() -> st.SearchStrategy[tuple[list[dict[str, Any]], list[Suppression]]]:
    people = st.tuples(*(person(i) for i in range(5))).map(list)
    return people.flatmap(lambda found: st.tuples(st.just(found), suppression_list(found)))


def reference(people: list[dict[str, Any]], suppressions: list[Suppression]) -> list[Any]:
    """The audience computed from the drawn data alone, by the rules the docs state."""
    live = [s for s in suppressions if s.is_live(AS_OF)]
    by_kind = {kind: {s.value for s in live if s.kind == kind} for kind in ("address", "domain", "customer")}
    facts = []
    for p in sorted(people, key=lambda p: p["customer"].id):
        who = p["customer"]
        if "news" not in who.tags:
            continue
        points = [
            Reachable(
                contact_id=c.id,
                position=i,
                kind=point.kind,
                value=point.value,
                key=point.key,
                primary=point.primary,
                verified=point.verified,
            )
            for c in p["contacts"]
            for i, point in enumerate(c.points)
        ]
        free = tuple(
            r
            for r in points
            if r.key not in by_kind["address"] and address_domain(r.key) not in by_kind["domain"]
        )
        sent = [
            t
            for t in p["sends"]
            if t.direction.value == "outbound"
            and t.campaign_id is not None
            and t.channel == "email"
            and AS_OF - WEEK < t.occurred_at <= AS_OF
        ]
        facts.append(
            Screening(
                customer_id=who.id,
                consented=may_contact(p["consents"], "marketing", "email", AS_OF),
                suppressed=str(who.id) in by_kind["customer"],
                capped=len(sent) >= 2,
                reachable=free,
                had_points=bool(points),
            )
        )
    return list(screen(facts, needs_address=True))


def store_world(uow: UnitOfWork, people: list[dict[str, Any]], suppressions: list[Suppression]) -> None:
    for p in people:
        uow.customers.add(p["customer"])
        for c in p["contacts"]:
            uow.contacts.add(c)
        uow.consents.add_many(p["consents"])
        uow.touchpoints.add_many(p["sends"])
    uow.suppressions.add_many(suppressions)


def test_audiences_are_consent_safe_and_match_the_reference(store_factory: StoreFactory) -> None:
    slow = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

    @settings(max_examples=40, deadline=None, suppress_health_check=slow)
    @given(drawn=world())
    def check(drawn: tuple[list[dict[str, Any]], list[Suppression]]) -> None:
        people, suppressions = drawn
        store = store_factory()
        in_unit(store, lambda uow: store_world(uow, people, suppressions))
        crm = CRM(store, clock=lambda: AS_OF)
        campaign = crm.campaigns.add(CAMPAIGN)
        audience = crm.campaigns.build_audience(campaign.id, RULE, as_of=AS_OF)

        expected = reference(people, suppressions)
        stored = {m.customer_id: m for m in crm.campaigns.members(campaign.id, excluded=None)}
        assert sorted(stored) == [c.customer_id for c in expected]
        for candidate in expected:
            member = stored[candidate.customer_id]
            if candidate.exclusion is not None:
                assert (member.excluded, member.status, member.address) == (candidate.exclusion, None, None)
                continue
            variant = assign(campaign.id, candidate.customer_id, campaign.seed, campaign.variants)
            assert member.variant == variant.key
            if variant.control:
                assert member.excluded is Exclusion.CONTROL_GROUP
            else:
                assert (member.excluded, member.status, member.address) == (
                    None,
                    "targeted",
                    candidate.address,
                )

        # the counts add up
        excluded = Counter(m.excluded for m in stored.values() if m.excluded is not None)
        assert audience.excluded == dict(excluded)
        assert audience.considered == audience.added == len(stored)
        assert audience.members + sum(audience.excluded.values()) == audience.added
        assert audience.kept == 0

        # consent safety, judged from the drawn data, whatever the reference says
        live = [s for s in suppressions if s.is_live(AS_OF)]
        owners = {p["customer"].id: p for p in people}
        reached = [m for m in stored.values() if m.excluded is None]
        assert len({str(m.address).casefold() for m in reached}) == len(reached)
        for member in reached:
            p = owners[member.customer_id]
            assert may_contact(p["consents"], "marketing", "email", AS_OF)
            assert member.address is not None
            assert member.address in {point.value for c in p["contacts"] for point in c.points}
            key = member.address.casefold()
            for s in live:
                assert (s.kind.value, s.value) not in {
                    ("customer", str(member.customer_id)),
                    ("address", key),
                    ("domain", address_domain(key)),
                }
            recent = [
                t
                for t in p["sends"]
                if t.direction.value == "outbound"
                and t.campaign_id is not None
                and t.channel == "email"
                and AS_OF - WEEK < t.occurred_at <= AS_OF
            ]
            assert len(recent) < 2

    check()


def test_building_again_keeps_what_was_decided_and_adds_the_newcomers(store: Any) -> None:
    crm = CRM(store, clock=lambda: AS_OF)
    first = Customer.person("Ada", tags=["news"], created_at=AS_OF - 100 * DAY)
    crm.customers.add(
        first, [Contact(customer_id=first.id, name="Ada", points=[ContactPoint.email(ADDRESSES[0])])]
    )
    crm.consent.record(first.id, "marketing", "granted", channel="email", recorded_at=AS_OF - DAY)
    campaign = crm.campaigns.add(attrs_evolve_name(CAMPAIGN, "Again"))
    one = crm.campaigns.build_audience(campaign.id, RULE, as_of=AS_OF)
    assert (one.considered, one.added, one.kept) == (1, 1, 0)

    second = Customer.person("Bob", tags=["news"], created_at=AS_OF - 100 * DAY)
    crm.customers.add(second)
    again = crm.campaigns.build_audience(campaign.id, RULE, as_of=AS_OF + DAY)
    assert (again.considered, again.added, again.kept) == (2, 1, 1)
    assert again.excluded == {Exclusion.NO_CONSENT: 1}
    assert crm.campaigns.why_excluded(campaign.id, second.id) is Exclusion.NO_CONSENT


def reached_at(who: Customer, address: str) -> Contact:
    return Contact(customer_id=who.id, name="Ada", points=[ContactPoint.email(address)])


def attrs_evolve_name(campaign: Campaign, name: str) -> Campaign:
    import attrs

    return attrs.evolve(campaign, id=CampaignId(new_id()), name=name)


def _ada_in_a_built_audience(
    store: Any, address: str, **campaign_fields: Any
) -> tuple[CRM, Customer, Campaign]:
    """Ada (tagged, one e-mail address, consenting to marketing) in the audience of a new e-mail campaign."""
    crm = CRM(store, clock=lambda: AS_OF)
    ada = Customer.person("Ada", tags=["news"], created_at=AS_OF - 100 * DAY)
    crm.customers.add(ada, [Contact(customer_id=ada.id, name="Ada", points=[ContactPoint.email(address)])])
    crm.consent.record(ada.id, "marketing", "granted", channel="email", recorded_at=AS_OF - DAY)
    made = Campaign(name="Only A", channel="email", created_at=AS_OF - DAY, **campaign_fields)
    campaign = crm.campaigns.add(made)
    crm.campaigns.build_audience(campaign.id, RULE, as_of=AS_OF)
    return crm, ada, campaign


def test_a_withdrawal_before_sending_removes_the_member(store: Any) -> None:
    crm, ada, campaign = _ada_in_a_built_audience(store, ADDRESSES[0])

    ok = crm.campaigns.check_send(campaign.id, ada.id, at=AS_OF + DAY)
    assert (ok.allowed, ok.address, ok.variant, ok.reason) == (True, ADDRESSES[0], "a", None)

    crm.consent.record(ada.id, "marketing", "withdrawn", recorded_at=AS_OF + 2 * DAY)
    no = crm.campaigns.check_send(campaign.id, ada.id, at=AS_OF + 3 * DAY)
    assert (no.allowed, no.reason) == (False, "no_consent")
    assert crm.campaigns.why_excluded(campaign.id, ada.id) is Exclusion.NO_CONSENT
    assert crm.campaigns.members(campaign.id) == []


def test_a_suppression_before_sending_removes_the_member(store: Any) -> None:
    crm, ada, campaign = _ada_in_a_built_audience(store, ADDRESSES[1])
    crm.campaigns.suppress("domain", "EXAMPLE.com", "complaint")
    no = crm.campaigns.check_send(campaign.id, ada.id, at=AS_OF + DAY)
    assert (no.allowed, no.reason) == (False, "suppressed")


def test_the_frequency_cap_is_checked_again_before_sending(store: Any) -> None:
    cap = FrequencyCap(count=2, window=WEEK)
    crm, ada, campaign = _ada_in_a_built_audience(store, ADDRESSES[0], frequency_cap=cap)

    def sent(at: datetime, campaign_id: CampaignId | None, channel: str = "email") -> None:
        crm.activity.record_touchpoint(
            Touchpoint(
                customer_id=ada.id,
                channel=channel,
                kind="message",
                direction="outbound",
                campaign_id=campaign_id,
                occurred_at=at,
            )
        )

    sent(AS_OF + DAY, campaign.id)
    sent(AS_OF + 2 * DAY, None)  # transactional: does not count
    sent(AS_OF + 2 * DAY, OTHER, channel="sms")  # another channel: does not count
    assert crm.campaigns.check_send(campaign.id, ada.id, at=AS_OF + 3 * DAY).allowed
    sent(AS_OF + 3 * DAY, OTHER)  # another campaign's message counts
    no = crm.campaigns.check_send(campaign.id, ada.id, at=AS_OF + 3 * DAY)
    assert (no.allowed, no.address, no.reason) == (False, ADDRESSES[0], "frequency_cap")
    assert crm.campaigns.why_excluded(campaign.id, ada.id) is None  # still a member: only not now
    still = crm.campaigns.check_send(campaign.id, ada.id, at=AS_OF + 8 * DAY - TICK)
    assert (still.allowed, still.reason) == (False, "frequency_cap")
    later = crm.campaigns.check_send(campaign.id, ada.id, at=AS_OF + 8 * DAY)  # the first left the window
    assert (later.allowed, later.reason) == (True, None)


def test_a_static_segment_gives_its_stored_members(store: Any) -> None:
    crm = CRM(store, clock=lambda: AS_OF)
    people = [Customer.person(name, created_at=AS_OF - 100 * DAY) for name in ("Ada", "Bob")]
    for who in people:
        crm.customers.add(who)
        crm.consent.record(who.id, "marketing", "granted", recorded_at=AS_OF - DAY)
    crm.segments.define("Invited", kind="static")
    crm.segments.add_members("Invited", [people[1].id])
    campaign = crm.campaigns.add(Campaign(name="Web", channel="web", created_at=AS_OF - DAY))
    audience = crm.campaigns.build_audience(campaign.id, "Invited", as_of=AS_OF)
    assert (audience.members, audience.excluded) == (1, {})
    (member,) = crm.campaigns.members(campaign.id)
    assert (member.customer_id, member.address) == (people[1].id, None)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda crm, c: crm.campaigns.build_audience("nope", RULE), "campaign_id"),
        (lambda crm, c: crm.campaigns.build_audience(c.id, 42), "source"),
        (lambda crm, c: crm.campaigns.build_audience(c.id, RULE, as_of=datetime(2026, 1, 1)), "as_of"),
        (lambda crm, c: crm.campaigns.check_send(c.id, "nope"), "customer_id"),
    ],
)
def test_bad_arguments_are_refused_before_storage(call: Any, field: str) -> None:
    crm = CRM.in_memory(clock=lambda: AS_OF)
    campaign = crm.campaigns.add(Campaign(name="Bad", channel="email", created_at=AS_OF - DAY))
    with pytest.raises(ValidationError) as caught:
        call(crm, campaign)
    assert caught.value.paths == (field,)
    assert crm.campaigns.members(campaign.id, excluded=None) == []


def test_a_closed_campaign_has_no_audience_to_build() -> None:
    crm = CRM.in_memory(clock=lambda: AS_OF)
    campaign = crm.campaigns.add(Campaign(name="Old", channel="email", created_at=AS_OF - DAY))
    crm.campaigns.set_status(campaign.id, "aborted")
    with pytest.raises(ValidationError) as caught:
        crm.campaigns.build_audience(campaign.id, RULE)
    assert caught.value.paths == ("campaign_id",)
    planned = crm.campaigns.add(Campaign(name="New", channel="email", created_at=AS_OF - DAY))
    with pytest.raises(NotFoundError):
        crm.campaigns.build_audience(planned.id, "No such segment")
