"""Campaign membership in segment rules: memory = SQLite = PostgreSQL = MariaDB, from its declaration.

Rules are drawn by relcore's own rule strategies over the registry's catalogue
(``campaigns(status == "responded", within=90d).count >= 1``); each backend
must return exactly the customers the in-memory evaluator picks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from relcore import CRM
from relcore.marketing import Campaign
from relcore.marketing.members import CampaignMember
from relcore.registry import UnitOfWork
from relcore.segments import parse
from relcore.testing._contract_support import StoreFactory, customer, in_unit
from tests._rule_agreement import assert_rules_agree

AS_OF = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
OFFSETS = [DAY, 90 * DAY - timedelta(microseconds=1), 90 * DAY, 200 * DAY, -DAY]
CATALOGUE = CRM.in_memory().segments.catalogue
SPRING = Campaign(name="Spring", channel="email", created_at=AS_OF - 400 * DAY)
AUTUMN = Campaign(name="Autumn", channel="sms", created_at=AS_OF - 400 * DAY)


def members_of(owner: object) -> st.SearchStrategy[list[CampaignMember]]:
    @st.composite
    def one(draw: st.DrawFn, campaign: Campaign) -> CampaignMember:
        added = AS_OF - draw(st.sampled_from(OFFSETS))
        excluded = draw(st.sampled_from([None, None, "no_consent", "suppressed", "frequency_cap"]))
        responded = excluded is None and draw(st.booleans())
        status = (
            None if excluded else ("responded" if responded else draw(st.sampled_from(["sent", "opened"])))
        )
        return CampaignMember(
            campaign_id=campaign.id,
            customer_id=owner,  # type: ignore[arg-type]
            status=status,
            variant=None if excluded else draw(st.sampled_from(["a", "b"])),
            excluded=excluded,
            first_responded_at=added + DAY if responded else None,
            added_at=added,
        )

    return st.lists(st.sampled_from([SPRING, AUTUMN]), max_size=2, unique=True).flatmap(
        lambda campaigns: st.tuples(*(one(c) for c in campaigns)).map(list)
    )


def test_campaign_rules_agree_on_every_backend(store_factory: StoreFactory) -> None:
    def store_members(uow: UnitOfWork, members: list[CampaignMember]) -> None:
        uow.campaigns.add_many([SPRING, AUTUMN])
        uow.campaign_members.add_many(members)

    assert_rules_agree(
        store_factory,
        CATALOGUE,
        "campaigns",
        members_of,
        store_members,
        as_of=AS_OF,
        texts=["responded", "sent", "a", "b", ""],
        windows=[30, 90],
    )


def test_customers_who_responded_in_the_last_90_days(store_factory: StoreFactory) -> None:
    rule = parse('campaigns(status == "responded", within=90d).count >= 1', catalogue=CATALOGUE)
    ada, bob, cy = customer("Ada"), customer("Bob"), customer("Cy")
    recent, old = AS_OF - 10 * DAY, AS_OF - 120 * DAY

    def member(who: object, status: str, at: datetime) -> CampaignMember:
        return CampaignMember(
            campaign_id=SPRING.id,
            customer_id=who,  # type: ignore[arg-type]
            status=status,
            first_responded_at=at + DAY if status == "responded" else None,
            added_at=at,
        )

    store = store_factory()

    def write(uow: UnitOfWork) -> None:
        uow.customers.add_many([ada, bob, cy])
        uow.campaigns.add(SPRING)
        uow.campaign_members.add_many(
            [
                member(ada.id, "responded", recent),
                member(bob.id, "responded", old),
                member(cy.id, "sent", recent),
            ]
        )

    in_unit(store, write)
    with store.unit_of_work() as uow:
        assert list(uow.segments.members(rule, AS_OF, catalogue=CATALOGUE)) == [ada.id]
