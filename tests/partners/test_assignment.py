"""Weighted random assignment: eligibility, determinism given a seed, and the distribution of the weights."""

from __future__ import annotations

from datetime import date

import pytest

from relcore import CRM, Customer
from relcore.ids import CustomerId, uuid7
from relcore.partners import PartnerProfile, PartnerRole, choose_partner, eligible_partners
from relcore.registry import Store
from relcore.testing.contracts import FixedClock
from tests.partners._world import T0, day, direct, open_deal, reseller

DAY = date(2026, 3, 1)


def profile(weight: int, **fields: object) -> PartnerProfile:
    fields.setdefault("territories", ["FR"])
    fields.setdefault("active_from", date(2026, 1, 1))
    return PartnerProfile(customer_id=CustomerId(uuid7()), weight=weight, **fields)


def test_only_active_weighted_partners_of_the_territory_not_on_the_deal_are_eligible() -> None:
    good, heavy = profile(1), profile(5, territories=["de", "fr"])
    others = [
        profile(0),  # never assigned
        profile(3, territories=["DE"]),  # another territory
        profile(3, active_from=date(2026, 3, 2)),  # not active yet
        profile(3, active_to=date(2026, 2, 28)),  # no longer active
    ]
    declined = profile(4)
    found = eligible_partners([declined, *others, heavy, good], "fr", DAY, excluded=[declined.customer_id])
    assert found == sorted([good, heavy], key=lambda p: p.customer_id)
    assert eligible_partners([good], None, DAY) == []
    assert eligible_partners([profile(1, active_to=DAY)], "FR", DAY) != []  # the last day is included


def test_the_same_seed_picks_the_same_partner_and_nobody_gives_none() -> None:
    candidates = [profile(w) for w in (1, 2, 3)]
    for seed in range(50):
        assert choose_partner(candidates, seed) == choose_partner(list(candidates), seed)
    assert choose_partner([], 1) is None
    assert choose_partner([profile(0)], 1) is None


def test_choices_over_many_seeds_follow_the_weights() -> None:
    weights = (1, 2, 3, 4, 0)
    candidates = [profile(w) for w in weights]
    seeds = 10_000
    counts = dict.fromkeys(weights, 0)
    for seed in range(seeds):  # fixed seeds: the same counts on every run
        chosen = choose_partner(candidates, seed)
        assert chosen is not None
        counts[chosen.weight] += 1
    assert counts[0] == 0
    # expected counts 10,000 x w / 10 = 1,000, 2,000, 3,000, 4,000; Pearson's chi-square with 3 degrees
    # of freedom exceeds 16.27 with probability 0.001; 25 is a generous bound (p about 0.00002)
    chi_square = sum((counts[w] - seeds * w / 10) ** 2 / (seeds * w / 10) for w in (1, 2, 3, 4))
    assert chi_square < 25


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(day(100)))


def test_assign_puts_the_chosen_partner_on_the_deal_on_every_backend(crm: CRM) -> None:
    acme = crm.customers.add(Customer.organization("Acme", country="FR", created_at=T0))
    nowhere = crm.customers.add(Customer.organization("Nowhere", created_at=T0))
    pipeline = direct(crm)
    deal = open_deal(crm, acme, pipeline, "100.00")
    light, heavy = reseller(crm, "Light", weight=1), reseller(crm, "Heavy", weight=3)
    reseller(crm, "German", weight=9, territories=["DE"])
    reseller(crm, "Dormant", weight=0)
    profiles = [crm.partners.profile(p.id) for p in (light, heavy)]
    candidates = sorted([p for p in profiles if p is not None], key=lambda p: p.customer_id)
    expected = choose_partner(candidates, 42)
    assert expected is not None
    link = crm.partners.assign(deal.id, seed=42, on=DAY, at=day(2))
    assert link is not None
    assert (link.partner_id, link.role, link.created_at) == (
        expected.customer_id,
        PartnerRole.RESELLER,
        day(2),
    )
    second = crm.partners.assign(deal.id, seed=42, on=DAY, role="referrer")
    assert second is not None
    assert {link.partner_id, second.partner_id} == {light.id, heavy.id}
    assert crm.partners.assign(deal.id, seed=42, on=DAY) is None  # every eligible partner is on the deal
    assert crm.partners.assign(open_deal(crm, nowhere, pipeline, "5.00").id, seed=1, on=DAY) is None
