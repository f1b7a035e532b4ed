"""The contract of the ``campaign_tallies`` query port: a campaign's touchpoints and result counts."""

from __future__ import annotations

from typing import Any

import pytest

from relcore.errors import ValidationError
from relcore.ids import CustomerId
from relcore.marketing.members import CampaignMember
from relcore.marketing.model import Campaign
from relcore.marketing.responses import DEFAULT_RESPONSES, TallyQuery, TallyRow
from relcore.marketing.variants import Variant
from relcore.registry import Store, UnitOfWork
from relcore.testing._contract_support import (
    T0,
    ContractBase,
    customer,
    in_unit,
    minutes,
    touchpoint,
    transaction,
)

__all__ = ["CampaignTalliesContract"]

_AB = [Variant(key="a", share="0.9"), Variant(key="hold", share="0.1", control=True)]


def _member(campaign: Campaign, who: CustomerId, **fields: Any) -> CampaignMember:
    fields.setdefault("added_at", T0)
    return CampaignMember(campaign_id=campaign.id, customer_id=who, **fields)


class CampaignTalliesContract(ContractBase):
    """What a store counts for a campaign's results, and lists as its touchpoints."""

    def test_tally_counts_members_their_codes_and_their_orders_as_of_a_moment(self, store: Store) -> None:
        spring = Campaign(name="Spring", channel="email", created_at=T0, variants=_AB)
        ada, bob, cy, dee, eve = (customer(n) for n in ("Ada", "Bob", "Cy", "Dee", "Eve"))
        as_of = minutes(60)

        def write(uow: UnitOfWork) -> None:
            uow.customers.add_many([ada, bob, cy, dee, eve])
            uow.campaigns.add(spring)
            uow.campaign_members.add_many(
                [
                    _member(spring, ada.id, variant="a", status="targeted"),
                    _member(spring, bob.id, variant="a", status="targeted"),
                    _member(spring, cy.id, variant="hold", excluded="control_group"),
                    _member(spring, dee.id, excluded="no_consent"),  # left out: not counted
                    _member(spring, eve.id, variant="a", status="targeted", added_at=minutes(61)),  # too late
                ]
            )
            campaign = {"campaign_id": spring.id}
            uow.touchpoints.add_many(
                [
                    touchpoint(
                        ada.id, kind="message", direction="outbound", occurred_at=minutes(1), **campaign
                    ),
                    touchpoint(
                        ada.id, kind="click", occurred_at=minutes(60), **campaign
                    ),  # at as_of: counted
                    touchpoint(bob.id, kind="message", direction="outbound", outcome="bounced", **campaign),
                    touchpoint(bob.id, kind="open", occurred_at=minutes(61), **campaign),  # after as_of
                    touchpoint(bob.id, kind="click", occurred_at=minutes(2)),  # no campaign
                    touchpoint(dee.id, kind="click", **campaign),
                ]
            )
            uow.transactions.add_many(
                [
                    transaction(ada.id, occurred_at=minutes(30)),
                    transaction(bob.id, occurred_at=T0),  # not after it was added
                    transaction(cy.id, occurred_at=minutes(5)),
                    transaction(cy.id, occurred_at=minutes(6), kind="refund"),
                    transaction(dee.id, occurred_at=minutes(5)),
                ]
            )

        in_unit(store, write)
        query = TallyQuery.of(spring, DEFAULT_RESPONSES, as_of)
        with store.unit_of_work() as uow:
            rows = sorted(uow.campaign_tallies.tally(query), key=lambda r: str(r.variant))
        #       targeted sent delivered opened clicked responded converted bounced unsubscribed; funnel
        ada_bob = (1, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1, 0)
        assert rows == [
            TallyRow(variant="a", control=False, members=2, flagged=ada_bob, converted=1),
            TallyRow(variant="hold", control=True, members=1, flagged=(0,) * 14, converted=1),
        ]

    def test_touchpoints_lists_the_campaigns_own_oldest_first_until_a_moment(self, store: Store) -> None:
        spring = Campaign(name="Spring", channel="email", created_at=T0)
        ada = customer()
        made = [
            touchpoint(ada.id, kind="open", occurred_at=minutes(m), campaign_id=spring.id)
            for m in (5, 1, 9, 1)
        ]
        other = touchpoint(ada.id, kind="open", occurred_at=minutes(2))

        def write(uow: UnitOfWork) -> None:
            uow.customers.add(ada)
            uow.campaigns.add(spring)
            uow.touchpoints.add_many([*made, other])

        in_unit(store, write)
        with store.unit_of_work() as uow:
            every = uow.campaign_tallies.touchpoints(spring.id)
            until = uow.campaign_tallies.touchpoints(spring.id, until=minutes(5))
        assert every == sorted(made, key=lambda t: (t.occurred_at, t.id))
        assert until == every[:3]

    def test_touchpoints_by_customer_pages_through_customers_each_oldest_first(self, store: Store) -> None:
        spring = Campaign(name="Spring", channel="email", created_at=T0)
        autumn = Campaign(name="Autumn", channel="email", created_at=T0)
        people = [customer() for _ in range(5)]
        made = {
            p.id: [
                touchpoint(p.id, kind="open", occurred_at=minutes(m), campaign_id=spring.id)
                for m in ((9, 1, 5, 1) if i == 0 else (i,))
            ]
            for i, p in enumerate(people[:4])
        }
        others = [
            touchpoint(people[4].id, kind="open", occurred_at=minutes(2), campaign_id=autumn.id),
            touchpoint(people[0].id, kind="open", occurred_at=minutes(3)),
        ]

        def write(uow: UnitOfWork) -> None:
            uow.customers.add_many(people)
            uow.campaigns.add_many([spring, autumn])
            uow.touchpoints.add_many([t for ts in made.values() for t in ts] + others)

        in_unit(store, write)
        with store.unit_of_work() as uow:
            pages = []
            after = None
            while page := uow.campaign_tallies.touchpoints_by_customer(spring.id, after=after, limit=3):
                pages.append(page)
                after = page[-1][0]
            with pytest.raises(ValidationError) as error:
                uow.campaign_tallies.touchpoints_by_customer(spring.id, limit=0)
            assert error.value.paths == ("limit",)
            with pytest.raises(ValidationError) as error:
                uow.campaign_tallies.touchpoints_by_customer(spring.id, after="ada")  # type: ignore[arg-type]
            assert error.value.paths == ("after",)
        assert [len(page) for page in pages] == [3, 1]
        found = [group for page in pages for group in page]
        assert sorted(c for c, _ in found) == sorted(made)  # each customer of the campaign, once
        for who, touches in found:
            assert touches == sorted(made[who], key=lambda t: (t.occurred_at, t.id))

    def test_tally_refuses_what_is_not_a_query(self, store: Store) -> None:
        with store.unit_of_work() as uow, pytest.raises(ValidationError) as error:
            uow.campaign_tallies.tally("everything")  # type: ignore[arg-type]
        assert error.value.paths == ("query",)
