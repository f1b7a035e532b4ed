"""Contract of the partners repositories' special queries, and the example links of the generic contract."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest

from relcore.customers.model import Customer
from relcore.errors import ConflictError, NotFoundError
from relcore.ids import CustomerId, OpportunityId, uuid7
from relcore.partners.model import OpportunityPartner, PartnerProfile
from relcore.registry import Store, UnitOfWork
from relcore.sales._testing import EXAMPLE_PIPELINE, deal, pipeline
from relcore.testing._contract_support import T0, ContractBase, customer, in_unit, minutes

__all__ = ["PartnersContract", "link", "new_link", "partner", "profile", "stored_state"]

EXAMPLE_DEAL = OpportunityId(UUID("018f0000-0000-7000-8000-00000000b001"))
"""The id of the deal the example links belong to."""
EXAMPLE_PARTNERS = tuple(CustomerId(UUID(f"018f0000-0000-7000-8000-0000000b{n:04x}")) for n in range(1, 17))
"""The partners the example links name, one after the other."""
_next = [0]


def partner(name: str = "Reseller SA", **fields: Any) -> Customer:
    """An organization with the reseller role, created at `T0`."""
    fields.setdefault("created_at", T0)
    fields.setdefault("roles", ["customer", "reseller"])
    return Customer.organization(name, **fields)


def profile(customer_id: CustomerId, **fields: Any) -> PartnerProfile:
    """A profile of weight 1 at 10 %, covering France, active from 2024-01-01, made at `T0`."""
    fields.setdefault("territories", ["FR"])
    fields.setdefault("commission_rate", Decimal("0.1"))
    fields.setdefault("active_from", date(2024, 1, 1))
    fields.setdefault("created_at", T0)
    return PartnerProfile(customer_id=customer_id, **fields)


def link(
    opportunity: OpportunityId, customer_id: CustomerId, partner_id: CustomerId, **fields: Any
) -> OpportunityPartner:
    """A reseller link made at `T0`, neither primary nor sourced nor registered unless told."""
    fields.setdefault("role", "reseller")
    fields.setdefault("created_at", T0)
    return OpportunityPartner(
        opportunity_id=opportunity, customer_id=customer_id, partner_id=partner_id, **fields
    )


def stored_state(uow: UnitOfWork, customers: list[Customer]) -> dict[str, object]:
    """Every customer's partner profile and the partners on its deals."""
    profiles = [uow.partner_profiles.for_owner(c.id) for c in customers]
    links = [uow.opportunity_partners.for_owner(c.id) for c in customers]
    return {"partner_profiles": profiles, "opportunity_partners": links}


# -- example entities for the generic aggregate contract ---------------------------------------------


def _prepare_link(uow: UnitOfWork, owner: CustomerId) -> None:
    if uow.pipelines.find("Example") is None:
        uow.pipelines.add(pipeline("Example", id=EXAMPLE_PIPELINE))
    uow.opportunities.add(deal(owner, EXAMPLE_PIPELINE, id=EXAMPLE_DEAL))
    uow.customers.add_many(
        attrs.evolve(partner(f"Partner {n}"), id=p) for n, p in enumerate(EXAMPLE_PARTNERS)
    )
    _next[0] = 0


def new_link(
    owner: CustomerId, key: tuple[OpportunityId, CustomerId] | None = None, **fields: Any
) -> OpportunityPartner:
    """A new link of the example deal of ``owner`` to the next example partner (or to the ``key``'s)."""
    if key is None:
        key = (EXAMPLE_DEAL, EXAMPLE_PARTNERS[_next[0] % len(EXAMPLE_PARTNERS)])
        _next[0] += 1
    fields.setdefault("opportunity_id", key[0])
    fields.setdefault("partner_id", key[1])
    return link(customer_id=owner, opportunity=fields.pop("opportunity_id"), **fields)


new_link.prepare = _prepare_link  # type: ignore[attr-defined]


class PartnersContract(ContractBase):
    """The partners repositories: profiles (one per customer), the special queries, every field kept."""

    def _world(self, store: Store) -> tuple[Customer, list[Customer], list[OpportunityId]]:
        """A customer with two deals, and three resellers."""
        acme = customer("Acme")
        resellers = [partner(f"Reseller {n}") for n in range(3)]
        deals = [deal(acme.id, EXAMPLE_PIPELINE, created_at=T0 + timedelta(minutes=n)) for n in range(2)]

        def write(uow: UnitOfWork) -> None:
            uow.customers.add_many([acme, *resellers])
            uow.pipelines.add(pipeline("Example", id=EXAMPLE_PIPELINE))
            uow.opportunities.add_many(deals)

        in_unit(store, write)
        return acme, resellers, [d.id for d in deals]

    def test_a_profile_round_trips_and_is_one_per_partner(self, store: Store) -> None:
        _, (first, second, _), _ = self._world(store)
        full = profile(
            first.id,
            tier="gold ✦",
            territories=["fr", "DE", "FR"],
            weight=7,
            commission_rate="0.1275",
            active_from=date(2024, 2, 29),
            active_to=date(2025, 12, 31),
        )
        assert full.territories == ("DE", "FR")
        assert in_unit(store, lambda uow: uow.partner_profiles.add(full)) is True
        twin = profile(first.id)
        assert in_unit(store, lambda uow: uow.partner_profiles.add(twin)) is False
        with store.unit_of_work() as uow:
            assert uow.partner_profiles.get(full.id) == full
            assert uow.partner_profiles.find(first.id) == full
            assert uow.partner_profiles.find(second.id) is None
            assert uow.partner_profiles.for_owner(first.id) == [full]
            assert uow.partner_profiles.get(full.id).commission_rate == Decimal("0.1275")
        saved = in_unit(store, lambda uow: uow.partner_profiles.save(attrs.evolve(full, weight=0)))
        assert saved.version == 2
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: uow.partner_profiles.save(attrs.evolve(full, weight=3)))
        with pytest.raises(NotFoundError):
            in_unit(store, lambda uow: uow.partner_profiles.add(profile(CustomerId(uuid7()))))
        assert in_unit(store, lambda uow: uow.partner_profiles.get(full.id), commit=False) == saved

    def test_profiles_active_on_a_day_include_both_ends(self, store: Store) -> None:
        _, resellers, _ = self._world(store)
        spans = [(date(2024, 1, 1), None), (date(2024, 3, 1), date(2024, 3, 31)), (date(2024, 4, 1), None)]
        made = [profile(r.id, active_from=f, active_to=t) for r, (f, t) in zip(resellers, spans, strict=True)]
        in_unit(store, lambda uow: uow.partner_profiles.add_many(made))
        by_partner = sorted(made, key=lambda p: p.customer_id)
        with store.unit_of_work() as uow:

            def on(day: date) -> list[PartnerProfile]:
                return uow.partner_profiles.active_on(day)

            assert on(date(2023, 12, 31)) == []
            assert on(date(2024, 1, 1)) == [made[0]]
            assert on(date(2024, 3, 1)) == [p for p in by_partner if p in made[:2]]
            assert on(date(2024, 3, 31)) == [p for p in by_partner if p in made[:2]]
            assert on(date(2024, 4, 1)) == [p for p in by_partner if p in (made[0], made[2])]

    def test_a_link_with_every_field_round_trips_and_is_one_per_deal_and_partner(self, store: Store) -> None:
        acme, (first, second, _), (one, _) = self._world(store)
        full = link(
            one,
            acme.id,
            first.id,
            role="implementer",
            primary=True,
            sourced=True,
            commission_rate="0.0005",
            registered_at=minutes(3),
            status="declined",
            decided_at=minutes(90),
        )
        bare = link(one, acme.id, second.id, role="influencer")
        in_unit(store, lambda uow: uow.opportunity_partners.add_many([full, bare]))
        assert in_unit(store, lambda uow: uow.opportunity_partners.add(link(one, acme.id, first.id))) is False
        with store.unit_of_work() as uow:
            assert uow.opportunity_partners.get(full.id) == full
            assert uow.opportunity_partners.get(bare.id) == bare
            assert uow.opportunity_partners.find(one, first.id) == full
            assert uow.opportunity_partners.find(one, acme.id) is None

    def test_a_deals_partners_a_partners_deals_and_a_customers_registrations(self, store: Store) -> None:
        acme, resellers, (one, two) = self._world(store)
        other = customer("Globex")
        in_unit(store, lambda uow: uow.customers.add(other))
        elsewhere = deal(other.id, EXAMPLE_PIPELINE)
        in_unit(store, lambda uow: uow.opportunities.add(elsewhere))
        registered = {"registered_at": minutes(1), "status": "proposed"}
        links = [
            link(one, acme.id, resellers[2].id),
            link(one, acme.id, resellers[0].id, **registered),
            link(two, acme.id, resellers[0].id),
            link(two, acme.id, resellers[1].id, **registered),
            link(elsewhere.id, other.id, resellers[0].id, **registered),
        ]
        in_unit(store, lambda uow: uow.opportunity_partners.add_many(reversed(links)))
        with store.unit_of_work() as uow:
            on_one = uow.opportunity_partners.for_opportunity(one)
            assert on_one == sorted(links[:2], key=lambda x: x.partner_id)
            assert uow.opportunity_partners.for_opportunity(OpportunityId(uuid7())) == []
            theirs = uow.opportunity_partners.for_partner(resellers[0].id)
            assert theirs == sorted([links[1], links[2], links[4]], key=lambda x: x.id)
            assert uow.opportunity_partners.for_partner(acme.id) == []
            assert uow.opportunity_partners.registrations(acme.id) == [links[1], links[3]]
            assert uow.opportunity_partners.registrations(other.id) == [links[4]]
            assert uow.opportunity_partners.registrations(resellers[0].id) == []
