"""Contract of the marketing repositories' special queries, and the marketing aggregates' example entities."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest

from relcore.customers.model import Customer
from relcore.errors import ValidationError
from relcore.ids import CampaignId, CustomerId, uuid7
from relcore.marketing.members import CampaignMember, Exclusion
from relcore.marketing.model import Campaign, FrequencyCap
from relcore.marketing.statuses import MemberStatus
from relcore.marketing.suppressions import Suppression
from relcore.marketing.variants import Variant
from relcore.registry import Store, UnitOfWork
from relcore.testing._contract_support import T0, ContractBase, customer, in_unit, minutes

__all__ = [
    "MarketingContract",
    "campaign",
    "member",
    "new_campaign",
    "new_member",
    "new_suppression",
    "stored_state",
]

EXAMPLE_CAMPAIGNS = tuple(CampaignId(UUID(f"018f0000-0000-7000-8000-0000000ca{n:03x}")) for n in range(16))
"""The campaigns the example members belong to, one after the other."""
_next = [0]


def campaign(name: str = "Spring newsletter", **fields: Any) -> Campaign:
    """A planned e-mail campaign made at `T0`, unless told otherwise."""
    fields.setdefault("channel", "email")
    fields.setdefault("created_at", T0)
    return Campaign(name=name, **fields)


def member(campaign_id: CampaignId, customer_id: CustomerId, **fields: Any) -> CampaignMember:
    """A targeted member of variant ``a`` added at `T0`, unless told otherwise (or left out)."""
    fields.setdefault("added_at", T0)
    if fields.get("excluded") is None:
        fields.setdefault("status", "targeted")
        fields.setdefault("variant", "a")
    return CampaignMember(campaign_id=campaign_id, customer_id=customer_id, **fields)


def stored_state(uow: UnitOfWork, customers: list[Customer]) -> dict[str, object]:
    """Every campaign and suppression, and every customer's campaign memberships."""
    return {
        "campaigns": uow.campaigns.list(limit=500).items,
        "suppressions": uow.suppressions.list(limit=500).items,
        "campaign_members": [uow.campaign_members.for_owner(c.id) for c in customers],
    }


# -- example entities for the generic aggregate contract ---------------------------------------------


def new_campaign(owner: CustomerId, key: tuple[str] | None = None, **fields: Any) -> Campaign:
    """A new campaign named ``key`` (by default a name no other has); campaigns have no owner."""
    name = key[0] if key is not None else f"Campaign {uuid7().hex[-12:]}"
    return campaign(name, **fields)


def _prepare_member(uow: UnitOfWork, owner: CustomerId) -> None:
    uow.campaigns.add_many(campaign(f"Example {n}", id=c) for n, c in enumerate(EXAMPLE_CAMPAIGNS))
    _next[0] = 0


def new_member(
    owner: CustomerId, key: tuple[CampaignId, CustomerId] | None = None, **fields: Any
) -> CampaignMember:
    """A new member ``owner`` of the next example campaign (or of the ``key``'s)."""
    if key is None:
        key = (EXAMPLE_CAMPAIGNS[_next[0] % len(EXAMPLE_CAMPAIGNS)], owner)
        _next[0] += 1
    fields.setdefault("campaign_id", key[0])
    return member(customer_id=owner, **fields)


new_member.prepare = _prepare_member  # type: ignore[attr-defined]


def new_suppression(owner: CustomerId, key: tuple[str, str] | None = None, **fields: Any) -> Suppression:
    """A new address suppression (``key``: its kind and value); suppressions have no owner."""
    kind, value = key if key is not None else ("address", f"x{uuid7().hex[-12:]}@example.com")
    fields.setdefault("reason", "hard bounce")
    fields.setdefault("created_at", T0)
    return Suppression(kind=kind, value=value, **fields)


class MarketingContract(ContractBase):
    """The marketing repositories' special queries, and every field round-tripping."""

    def test_every_field_of_a_campaign_round_trips(self, store: Store) -> None:
        parent = campaign("Spring")
        statuses = [
            MemberStatus(key="sent", position=0, default=True),
            MemberStatus(key="replied", label="A replié ✉", position=3, responded=True),
            MemberStatus(key="bounced", position=9, terminal=True),
        ]
        full = campaign(
            "Spring sale, SMS ✦",
            channel="sms",
            purpose="newsletter",
            status="active",
            parent_id=parent.id,
            starts_at=minutes(60),
            ends_at=minutes(600),
            budget="1000.50",
            actual_cost="0.01",
            expected_revenue="99999999.99",
            currency="EUR",
            member_statuses=statuses,
            variants=[
                Variant(key="a", share="0.4500"),
                Variant(key="b", share="0.5"),
                Variant(key="c", share="0.05", control=True),
            ],
            seed=2**63 - 1,
            frequency_cap=FrequencyCap(count=3, window=timedelta(days=7)),
        )
        in_unit(store, lambda uow: uow.campaigns.add(parent))
        in_unit(store, lambda uow: uow.campaigns.add(full))
        with store.unit_of_work() as uow:
            got = uow.campaigns.get(full.id)
            assert got == full
            assert got.budget == Decimal("1000.50")
            assert got.frequency_cap == FrequencyCap(count=3, window=timedelta(days=7))
            assert uow.campaigns.find("Spring sale, SMS ✦") == full
            assert uow.campaigns.find("spring sale, sms ✦") is None
            assert uow.campaigns.get(parent.id) == parent

    def _marketing_world(self, store: Store) -> tuple[Campaign, Campaign, list[Customer]]:
        spring, autumn = campaign("Spring"), campaign("Autumn")
        people = [customer(f"Person {n}") for n in range(5)]

        def write(uow: UnitOfWork) -> None:
            uow.customers.add_many(people)
            uow.campaigns.add_many([spring, autumn])

        in_unit(store, write)
        return spring, autumn, people

    def test_a_campaigns_members_and_left_out_come_in_id_order_by_page(self, store: Store) -> None:
        spring, autumn, people = self._marketing_world(store)
        rows = [
            member(spring.id, people[0].id, address="ada@example.com", status="opened"),
            member(spring.id, people[1].id, excluded="no_consent"),
            member(spring.id, people[2].id, address="+33612345678", variant="b"),
            member(spring.id, people[3].id, excluded="control_group", variant="c"),
            member(spring.id, people[4].id, address="eve@example.com", status="opened"),
            member(autumn.id, people[0].id, address="ada@example.com"),
        ]
        in_unit(store, lambda uow: uow.campaign_members.add_many(reversed(rows)))
        with store.unit_of_work() as uow:
            members = uow.campaign_members

            def walk(**options: Any) -> list[CampaignMember]:
                found: list[CampaignMember] = []
                after = None
                while True:
                    page = members.for_campaign(spring.id, after=after, limit=2, **options)
                    found += page.items
                    if page.next_after is None:
                        return found
                    after = page.next_after

            assert walk() == sorted(rows[:5], key=lambda m: m.id)
            assert walk(excluded=False) == sorted([rows[0], rows[2], rows[4]], key=lambda m: m.id)
            assert walk(excluded=True) == sorted([rows[1], rows[3]], key=lambda m: m.id)
            assert members.for_campaign(autumn.id, limit=1).next_after is None
            assert members.for_campaign(CampaignId(uuid7())).items == ()
            assert members.find(spring.id, people[3].id) == rows[3]
            assert members.get(rows[3].id).excluded is Exclusion.CONTROL_GROUP
            with pytest.raises(ValidationError, match="excluded"):
                members.for_campaign(spring.id, excluded="yes")  # type: ignore[arg-type]

    def test_of_customers_gives_what_a_campaign_considered_of_each(self, store: Store) -> None:
        spring, autumn, people = self._marketing_world(store)
        rows = [
            member(spring.id, people[0].id, status="opened"),
            member(spring.id, people[1].id, excluded="no_consent"),
            member(autumn.id, people[2].id),
        ]
        in_unit(store, lambda uow: uow.campaign_members.add_many(rows))
        with store.unit_of_work() as uow:
            asked = [people[2].id, people[1].id, people[0].id, people[1].id]
            assert uow.campaign_members.of_customers(spring.id, asked) == {
                people[0].id: rows[0],
                people[1].id: rows[1],
            }
            assert uow.campaign_members.of_customers(autumn.id, asked) == {people[2].id: rows[2]}
            assert uow.campaign_members.of_customers(spring.id, []) == {}
            with pytest.raises(ValidationError) as error:
                uow.campaign_members.of_customers(spring.id, "everyone")  # type: ignore[arg-type]
            assert error.value.paths == ("customer_ids",)

    def test_reassign_gives_a_variant_to_members_in_a_status_only(self, store: Store) -> None:
        spring, autumn, people = self._marketing_world(store)
        rows = [
            member(spring.id, people[0].id, variant="a"),
            member(spring.id, people[1].id, variant="b"),
            member(spring.id, people[2].id, variant="b", status="sent"),
            member(spring.id, people[3].id, variant="c", excluded="control_group"),
            member(autumn.id, people[4].id, variant="b"),
        ]
        in_unit(store, lambda uow: uow.campaign_members.add_many(rows))
        everyone = [p.id for p in people]
        changed = in_unit(
            store, lambda uow: uow.campaign_members.reassign(spring.id, everyone, "a", status="targeted")
        )
        assert changed == 1  # only people[1]: targeted, on another variant
        with store.unit_of_work() as uow:
            moved = uow.campaign_members.get(rows[1].id)
            assert (moved.variant, moved.version) == ("a", 2)
            assert moved.updated_at >= rows[1].updated_at
            for row in (rows[0], rows[2], rows[3], rows[4]):
                assert uow.campaign_members.get(row.id) == row
            with pytest.raises(ValidationError) as error:
                uow.campaign_members.reassign(spring.id, everyone, "A", status="targeted")
            assert error.value.paths == ("variant",)

    def test_counts_are_by_status_and_by_exclusion(self, store: Store) -> None:
        spring, autumn, people = self._marketing_world(store)
        rows = [
            member(spring.id, people[0].id, status="opened"),
            member(spring.id, people[1].id, status="opened"),
            member(spring.id, people[2].id),
            member(spring.id, people[3].id, excluded="suppressed"),
            member(autumn.id, people[0].id, excluded="suppressed"),
        ]
        in_unit(store, lambda uow: uow.campaign_members.add_many(rows))
        with store.unit_of_work() as uow:
            assert uow.campaign_members.counts(spring.id) == {"opened": 2, "suppressed": 1, "targeted": 1}
            assert uow.campaign_members.counts(autumn.id) == {"suppressed": 1}
            assert uow.campaign_members.counts(CampaignId(uuid7())) == {}

    def test_suppressions_live_at_an_instant_and_what_they_cover(self, store: Store) -> None:
        rows = [
            new_suppression(customer().id, ("address", "Ada@Example.com ")),
            new_suppression(customer().id, ("domain", "spam.test")),
            new_suppression(customer().id, ("address", "+33612345678"), expires_at=minutes(60)),
            new_suppression(customer().id, ("customer", str(UUID(int=7))), created_at=minutes(30)),
            new_suppression(customer().id, ("address", "gone@example.com"), expires_at=T0),
        ]
        in_unit(store, lambda uow: uow.suppressions.add_many(rows))
        with store.unit_of_work() as uow:
            repo = uow.suppressions
            assert repo.find("address", "ada@example.com") == rows[0]
            assert [s.value for s in repo.active(minutes(10))] == [
                "+33612345678",
                "ada@example.com",
                "spam.test",
            ]
            assert len(repo.active(minutes(45))) == 4
            assert len(repo.active(minutes(60))) == 3
            given = [
                "ADA@example.com",
                "bob@SPAM.test",
                "bob@sub.spam.test",
                "+33612345678",
                "gone@example.com",
            ]
            ids = [CustomerId(UUID(int=7)), CustomerId(UUID(int=8))]
            assert repo.matches(given, ids, minutes(10)) == {
                "ADA@example.com",
                "bob@SPAM.test",
                "+33612345678",
            }
            assert repo.matches(given, ids, minutes(90)) == {"ADA@example.com", "bob@SPAM.test", ids[0]}
            assert repo.matches([], [], minutes(90)) == set()
            with pytest.raises(ValidationError, match="addresses"):
                repo.matches("ada@example.com", [], minutes(90))
            lifted = attrs.evolve(rows[0], expires_at=minutes(5))
            assert repo.save(lifted) == lifted
            assert repo.matches(given, [], minutes(10)) == {"bob@SPAM.test", "+33612345678"}
