"""Partners on deals through ``crm.partners`` on every backend: links, primary, registration, events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import attrs
import pytest

from relcore import CRM, ConflictError, Customer, NotFoundError, ValidationError
from relcore.partners import (
    DealRegistered,
    PartnerAdded,
    PartnerProfile,
    PartnerRole,
    PrimaryPartnerChanged,
    RegistrationDecided,
    RegistrationStatus,
)
from relcore.registry import Store
from relcore.sales import Opportunity, Pipeline
from relcore.testing._contract_support import snapshot
from relcore.testing.contracts import FixedClock
from relcore.testing.events import capture_events
from tests.partners._world import T0, day, direct, open_deal, reseller


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(day(100)))


@pytest.fixture
def acme(crm: CRM) -> Customer:
    return crm.customers.add(Customer.organization("Acme", country="FR", created_at=T0))


@pytest.fixture
def pipeline(crm: CRM) -> Pipeline:
    return direct(crm)


@pytest.fixture
def deal(crm: CRM, acme: Customer, pipeline: Pipeline) -> Opportunity:
    return open_deal(crm, acme, pipeline, "1000.00")


def test_a_profile_needs_a_partner_or_reseller_role_and_is_one_per_partner(crm: CRM, store: Store) -> None:
    plain = crm.customers.add(Customer.organization("Plain Ltd", created_at=T0))
    before = snapshot(store)
    with pytest.raises(ValidationError) as caught:
        crm.partners.add_profile(PartnerProfile(customer_id=plain.id, active_from=date(2026, 1, 1)))
    assert caught.value.errors[0].path == "customer_id"
    assert snapshot(store) == before
    partner = crm.customers.add(Customer.organization("Partner Ltd", roles=["partner"], created_at=T0))
    made = crm.partners.add_profile(PartnerProfile(customer_id=partner.id, active_from=date(2026, 1, 1)))
    with pytest.raises(ConflictError):
        crm.partners.add_profile(PartnerProfile(customer_id=partner.id, active_from=date(2026, 2, 1)))
    assert crm.partners.profile(partner.id) == made
    saved = crm.partners.save_profile(attrs.evolve(made, tier="gold", weight=5))
    assert (saved.tier, saved.weight, saved.version) == ("gold", 5, 2)
    with pytest.raises(ConflictError):
        crm.partners.save_profile(attrs.evolve(made, tier="silver"))
    assert crm.partners.profile(plain.id) is None


def test_one_primary_partner_at_a_time_with_events(crm: CRM, deal: Opportunity) -> None:
    first, second = reseller(crm, "First"), reseller(crm, "Second")
    with capture_events(crm) as events:
        crm.partners.add(deal.id, first.id, "reseller", primary=True, sourced=True, at=day(1))
        crm.partners.add(deal.id, second.id, PartnerRole.IMPLEMENTER, primary=True, at=day(2))
    links = {link.partner_id: link for link in crm.partners.on_deal(deal.id)}
    assert (links[first.id].primary, links[second.id].primary) == (False, True)
    assert (links[first.id].sourced, links[second.id].role) == (True, PartnerRole.IMPLEMENTER)
    assert list(events) == [
        PartnerAdded(deal.id, deal.customer_id, first.id, PartnerRole.RESELLER),
        PrimaryPartnerChanged(deal.id, deal.customer_id, first.id, None),
        PartnerAdded(deal.id, deal.customer_id, second.id, PartnerRole.IMPLEMENTER),
        PrimaryPartnerChanged(deal.id, deal.customer_id, second.id, first.id),
    ]
    # each change of primary saved the deal: its version is the boundary two writers conflict on
    assert crm.sales.get(deal.id).version == deal.version + 2
    after = crm.partners.set_primary(deal.id, first.id)
    assert [link.partner_id for link in after if link.primary] == [first.id]
    cleared = crm.partners.set_primary(deal.id, None)
    assert not any(link.primary for link in cleared)
    with pytest.raises(ConflictError):
        crm.partners.add(deal.id, first.id, "referrer")
    with pytest.raises(ConflictError):
        crm.partners.set_primary(deal.id, second.id, version=deal.version)


def test_deal_registration_holds_the_customer_for_the_window(
    crm: CRM, acme: Customer, pipeline: Pipeline, deal: Opportunity
) -> None:
    first, second, third = reseller(crm, "First"), reseller(crm, "Second"), reseller(crm, "Third")
    other = open_deal(crm, acme, pipeline, "50.00", name="Support")
    with capture_events(crm, DealRegistered, RegistrationDecided) as events:
        mine = crm.partners.add(deal.id, first.id, "reseller", registered_at=day(10), at=day(10))
        assert (mine.status, mine.registered_at, mine.decided_at) == (
            RegistrationStatus.PROPOSED,
            day(10),
            None,
        )
        # a second registration of any of the customer's deals by another partner inside 90 days is refused
        for when in (day(10), day(99.9), day(-79)):
            with pytest.raises(ConflictError):
                crm.partners.add(other.id, second.id, "reseller", registered_at=when, at=day(10))
        # the same partner may register another deal of the customer; 90 days or more apart anyone may
        # (day 101.5 is 91.5 days after day 10 and 90.5 after day 11)
        crm.partners.add(other.id, first.id, "reseller", registered_at=day(11), at=day(11))
        crm.partners.add(other.id, third.id, "referrer", registered_at=day(101.5), at=day(101.5))
        # a shorter window lets the second partner in
        crm.partners.add(
            other.id, second.id, "referrer", registered_at=day(50), window=timedelta(days=30), at=day(50)
        )
        accepted = crm.partners.decide(deal.id, first.id, "accepted", at=day(12))
        assert (accepted.status, accepted.decided_at) == (RegistrationStatus.ACCEPTED, day(12))
        with pytest.raises(ValidationError) as caught:
            crm.partners.decide(deal.id, first.id, "declined", at=day(13))
        assert caught.value.errors[0].path == "status"
    assert list(events) == [
        DealRegistered(deal.id, acme.id, first.id, day(10)),
        DealRegistered(other.id, acme.id, first.id, day(11)),
        DealRegistered(other.id, acme.id, third.id, day(101.5)),
        DealRegistered(other.id, acme.id, second.id, day(50)),
        RegistrationDecided(deal.id, acme.id, first.id, RegistrationStatus.ACCEPTED),
    ]


def test_a_declined_registration_holds_nothing_and_loses_the_primary(crm: CRM, deal: Opportunity) -> None:
    first, second = reseller(crm, "First"), reseller(crm, "Second")
    crm.partners.add(deal.id, first.id, "reseller", primary=True, registered_at=day(1), at=day(1))
    with capture_events(crm) as events:
        declined = crm.partners.decide(deal.id, first.id, RegistrationStatus.DECLINED, at=day(2))
    assert (declined.status, declined.primary) == (RegistrationStatus.DECLINED, False)
    assert list(events) == [
        RegistrationDecided(deal.id, deal.customer_id, first.id, RegistrationStatus.DECLINED),
        PrimaryPartnerChanged(deal.id, deal.customer_id, None, first.id),
    ]
    crm.partners.add(deal.id, second.id, "reseller", registered_at=day(3), at=day(3))
    with pytest.raises(ValidationError) as caught:
        crm.partners.set_primary(deal.id, first.id)
    assert caught.value.errors[0].path == "partner_id"


def test_the_partner_view_shows_partner_safe_fields_only(crm: CRM, deal: Opportunity) -> None:
    first, second = reseller(crm, "First"), reseller(crm, "Second")
    crm.partners.add(deal.id, first.id, "reseller", sourced=True, registered_at=day(1), at=day(1))
    crm.partners.add(deal.id, second.id, "influencer", primary=True, at=day(1))
    [seen] = crm.partners.partner_view(first.id)
    assert attrs.asdict(seen, recurse=False) == {
        "opportunity_id": deal.id,
        "name": "Annual licence",
        "stage": "qualify",
        "outcome": deal.outcome,
        "amount": Decimal("1000.00"),
        "currency": "EUR",
        "close_date": None,
        "role": PartnerRole.RESELLER,
        "primary": False,
        "sourced": True,
        "status": RegistrationStatus.PROPOSED,
    }
    assert crm.partners.partner_view(deal.customer_id) == []


BAD: list[tuple[str, Callable[[CRM, Opportunity, Customer], object]]] = [
    ("role", lambda crm, d, p: crm.partners.add(d.id, p.id, "spy")),
    ("commission_rate", lambda crm, d, p: crm.partners.add(d.id, p.id, "reseller", commission_rate="1.5")),
    ("commission_rate", lambda crm, d, p: crm.partners.add(d.id, p.id, "reseller", commission_rate=0.1)),  # type: ignore[arg-type]
    (
        "commission_rate",
        lambda crm, d, p: crm.partners.add(d.id, p.id, "reseller", commission_rate="0.12345"),
    ),
    ("primary", lambda crm, d, p: crm.partners.add(d.id, p.id, "reseller", primary="yes")),  # type: ignore[arg-type]
    (
        "registered_at",
        lambda crm, d, p: crm.partners.add(d.id, p.id, "reseller", registered_at=T0.replace(tzinfo=None)),
    ),
    ("window", lambda crm, d, p: crm.partners.add(d.id, p.id, "reseller", window=timedelta(0))),
    ("partner_id", lambda crm, d, p: crm.partners.add(d.id, "not an id", "reseller")),  # type: ignore[arg-type]
    ("partner_id", lambda crm, d, p: crm.partners.add(d.id, d.customer_id, "reseller")),
    ("version", lambda crm, d, p: crm.partners.set_primary(d.id, p.id, version=0)),
    ("status", lambda crm, d, p: crm.partners.decide(d.id, p.id, "proposed")),
    ("seed", lambda crm, d, p: crm.partners.assign(d.id, seed="7", on=date(2026, 1, 1))),  # type: ignore[arg-type]
    ("on", lambda crm, d, p: crm.partners.assign(d.id, seed=7, on=T0)),
    ("end", lambda crm, d, p: crm.partners.commissions(start=day(2), end=day(1))),
    ("as_of", lambda crm, d, p: crm.partners.pipeline(start=day(0), end=day(1), as_of="today")),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("field", "operation"), BAD, ids=[f"{f}-{n}" for n, (f, _) in enumerate(BAD)])
def test_bad_requests_are_refused_naming_the_field_and_change_nothing(
    crm: CRM,
    store: Store,
    deal: Opportunity,
    field: str,
    operation: Callable[[CRM, Opportunity, Customer], object],
) -> None:
    partner = reseller(crm, "Reseller")
    before = snapshot(store)
    with pytest.raises(ValidationError) as caught:
        operation(crm, deal, partner)
    assert caught.value.errors[0].path == field
    assert snapshot(store) == before


def test_unknown_deals_and_partners_are_not_found_and_change_nothing(
    crm: CRM, store: Store, acme: Customer, deal: Opportunity
) -> None:
    partner = reseller(crm, "Reseller")
    stranger = crm.customers.add(Customer.organization("No profile", roles=["partner"], created_at=T0))
    before = snapshot(store)
    with pytest.raises(NotFoundError):
        crm.partners.add(Customer.person("x").id, partner.id, "reseller")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        crm.partners.add(deal.id, Customer.person("x").id, "reseller")
    with pytest.raises(ValidationError, match="partner_id"):
        crm.partners.add(deal.id, stranger.id, "reseller")
    with pytest.raises(NotFoundError):
        crm.partners.decide(deal.id, partner.id, "accepted")
    assert snapshot(store) == before
