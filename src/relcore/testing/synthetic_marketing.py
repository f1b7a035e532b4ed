"""A reproducible e-mail campaign on a segment: suppressions, an audience, sends, responses and orders.

[SyntheticCampaign][relcore.testing.synthetic_marketing.SyntheticCampaign]
runs one campaign the way a host would. It puts a few customers, addresses
and one company's domain on the suppression list, builds the campaign's
audience from a segment two days before the send (consent, suppressions and a
weekly frequency cap judged at that moment), lets a few members withdraw their
consent before the send, asks [check_send][relcore.marketing.api.Campaigns.check_send]
before each message, and then records what an e-mail service would report:
the sends (delivered or bounced), opens, clicks, replies and unsubscribes,
variant B doing somewhat better than variant A. Members of every variant, and
of the control group, place orders over the following month, more of them
after a click, so the campaign's results, its uplift over the control group
and the revenue attributed to it have something to show. The touchpoints and
orders are imported in bulk and the members moved by
[apply_responses][relcore.marketing.api.Campaigns.apply_responses]. The same
seed and store give the same campaign.

Example:
    >>> from datetime import UTC, datetime, timedelta
    >>> from relcore import CRM, Contact, ContactPoint, Customer
    >>> crm = CRM.in_memory()
    >>> t0 = datetime(2026, 3, 1, tzinfo=UTC)
    >>> for i in range(40):
    ...     who = crm.customers.add(Customer.person(f"P{i}", tags=["news"], created_at=t0))
    ...     _ = crm.customers.add_contact(Contact(customer_id=who.id, name=f"P{i}",
    ...                                   points=[ContactPoint.email(f"p{i}@example.com")]))
    ...     _ = crm.consent.record(who.id, "marketing", "granted", recorded_at=t0)
    >>> from relcore.segments import parse
    >>> _ = crm.segments.define("news", parse('tags has tag "news"'))
    >>> run = SyntheticCampaign(segment="news", sent_at=t0 + timedelta(days=10)).run(crm)
    >>> run.audience.considered
    40
    >>> run.sent + run.refused_at_send == run.audience.members
    True
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

import attrs

from relcore.activity.model import Direction, Touchpoint, Transaction
from relcore.crm import CRM
from relcore.ids import CampaignId, CustomerId
from relcore.marketing.audiences import Audience
from relcore.marketing.members import CampaignMember
from relcore.marketing.model import Campaign, FrequencyCap
from relcore.marketing.response_services import UNSUBSCRIBE_SOURCE
from relcore.marketing.suppressions import Suppression
from relcore.marketing.variants import Variant
from relcore.registry import UnitOfWork

__all__ = ["CONSENT_SOURCES", "SOURCE", "CampaignRun", "SyntheticCampaign", "recorded"]

SOURCE = "demo-mailer"
"""The source of what the campaign records: touchpoints and orders (their external ids numbered), consent."""

CONSENT_SOURCES = (SOURCE, UNSUBSCRIBE_SOURCE)
"""The sources of the consent records a campaign run adds: withdrawals before the send, unsubscribes."""

_DAY = timedelta(days=1)
_OPEN = {"a": 0.30, "b": 0.38}
_CLICK = {"a": 0.25, "b": 0.32}  # of the opens


@attrs.frozen(kw_only=True)
class CampaignRun:
    """What [SyntheticCampaign.run][relcore.testing.synthetic_marketing.SyntheticCampaign.run] did.

    Attributes:
        campaign: The campaign, as stored at the end.
        audience: What building its audience did.
        refused_at_send: Members [check_send][relcore.marketing.api.Campaigns.check_send] refused.
        sent: Messages sent.
        touchpoints: Touchpoints recorded (sends, opens, clicks, replies, unsubscribes).
        orders: Orders recorded, by members and by the control group.
    """

    campaign: Campaign
    audience: Audience
    refused_at_send: int
    sent: int
    touchpoints: int
    orders: int


@attrs.frozen(kw_only=True)
class SyntheticCampaign:
    """A reproducible e-mail campaign on a stored segment (see the module).

    Attributes:
        segment: The name of the segment it targets.
        sent_at: When the messages go out; the audience is built two days before.
        name: The campaign's name.
        seed: Seed of every random choice (and of the variant assignment).
    """

    segment: str
    sent_at: datetime
    name: str = "Spring newsletter"
    seed: int = 0

    def campaign(self) -> Campaign:
        """The campaign: e-mail, a 45/45 A/B test with a 10 % control group, at most one message a week."""
        drawn = random.Random(f"{self.seed}:campaign-id").getrandbits(128)
        return Campaign(
            id=CampaignId(UUID(int=drawn, version=4)),  # from the seed: the same variants every run
            name=self.name,
            channel="email",
            starts_at=self.sent_at,
            ends_at=self.sent_at + 30 * _DAY,
            budget=Decimal("2500.00"),
            actual_cost=Decimal("1800.00"),
            expected_revenue=Decimal("6000.00"),
            currency="EUR",
            variants=(
                Variant(key="a", share=Decimal("0.45")),
                Variant(key="b", share=Decimal("0.45")),
                Variant(key="holdout", share=Decimal("0.1"), control=True),
            ),
            seed=self.seed,
            frequency_cap=FrequencyCap(count=1, window=7 * _DAY),
            created_at=self.sent_at - 10 * _DAY,
        )

    def run(self, crm: CRM) -> CampaignRun:
        """Run the campaign in ``crm``: store it, its audience, its messages, the responses and orders."""
        rng = random.Random(f"{self.seed}:campaign")
        built_at = self.sent_at - 2 * _DAY
        campaign = crm.campaigns.add(self.campaign())
        crm.campaigns.set_status(campaign.id, "active")
        held = list(crm.segments.members(self.segment, built_at))
        self._suppress(crm, held, rng, built_at - 5 * _DAY)
        audience = crm.campaigns.build_audience(campaign.id, self.segment, as_of=built_at)
        members = crm.campaigns.members(campaign.id)
        for member in members:  # a few change their minds before the send
            if rng.random() < 0.01:
                crm.consent.record(
                    member.customer_id, "marketing", "withdrawn", source=SOURCE, recorded_at=built_at + _DAY
                )
        sent: list[CampaignMember] = []
        refused = 0
        for member in members:
            if crm.campaigns.check_send(campaign.id, member.customer_id, at=self.sent_at).allowed:
                sent.append(member)
            else:
                refused += 1
        control = crm.campaigns.members(campaign.id, excluded=True)
        holdout = [m.customer_id for m in control if m.variant == "holdout"]
        touchpoints = list(self._responses(campaign, sent, rng))
        clicked = {t.customer_id for t in touchpoints if str(t.kind) == "click"}
        orders = list(self._orders([m.customer_id for m in sent], holdout, clicked, rng))
        crm.activity.import_touchpoints(touchpoints)
        crm.activity.import_transactions(orders)
        crm.campaigns.apply_responses(campaign.id)
        return CampaignRun(
            campaign=crm.campaigns.get(campaign.id),
            audience=audience,
            refused_at_send=refused,
            sent=len(sent),
            touchpoints=len(touchpoints),
            orders=len(orders),
        )

    def _suppress(self, crm: CRM, held: list[CustomerId], rng: random.Random, at: datetime) -> None:
        """Hard bounces (2 % of the segment's addresses), opted-out customers (1 %), one company's domain."""
        entries: list[Suppression] = []
        domain_done = False
        for customer_id in held:
            draw = rng.random()
            if draw < 0.01:
                entries.append(_suppression("customer", str(customer_id), "opted out", at))
                continue
            for contact in crm.customers.contacts(customer_id)[:1]:
                for point in contact.points:
                    if str(point.kind) != "email":
                        continue
                    domain = point.key.rpartition("@")[2]
                    if not domain_done and not domain.startswith("example."):
                        entries.append(_suppression("domain", domain, "company asked", at))
                        domain_done = True
                    elif draw < 0.03:
                        entries.append(_suppression("address", point.key, "hard bounce", at))
                    break
        with crm.unit_of_work() as uow:
            uow.suppressions.add_many(entries)
            uow.commit()

    def _responses(
        self, campaign: Campaign, sent: list[CampaignMember], rng: random.Random
    ) -> Iterator[Touchpoint]:
        """What the e-mail service reports: sends, then opens, clicks, replies and unsubscribes."""
        number = 0

        def touch(
            member: CampaignMember, kind: str, direction: Direction, at: datetime, outcome: str | None = None
        ) -> Touchpoint:
            nonlocal number
            number += 1
            send = kind == "message" and direction is Direction.OUTBOUND
            return Touchpoint(
                customer_id=member.customer_id,
                campaign_id=campaign.id,
                channel="email",
                kind=kind,
                direction=direction,
                outcome=outcome,
                subject=f"{campaign.name} ({member.variant})" if send else None,
                occurred_at=at,
                source=SOURCE,
                external_id=f"T{number:07d}",
                recorded_at=at,
            )

        for index, member in enumerate(sent):
            variant = str(member.variant)
            at = self.sent_at + timedelta(seconds=index)
            bounced = rng.random() < 0.03
            yield touch(member, "message", Direction.OUTBOUND, at, "bounced" if bounced else "delivered")
            if bounced or rng.random() >= _OPEN.get(variant, 0.3):
                continue
            opened = at + timedelta(minutes=rng.randrange(5, 3 * 24 * 60))
            yield touch(member, "open", Direction.INBOUND, opened)
            if rng.random() < 0.02:
                yield touch(member, "click", Direction.INBOUND, opened + timedelta(minutes=1), "unsubscribed")
                continue
            if rng.random() < _CLICK.get(variant, 0.25):
                yield touch(
                    member, "click", Direction.INBOUND, opened + timedelta(minutes=rng.randrange(1, 30))
                )
            if rng.random() < 0.1:
                yield touch(
                    member, "message", Direction.INBOUND, opened + timedelta(hours=rng.randrange(1, 48))
                )

    def _orders(
        self, sent: list[CustomerId], holdout: list[CustomerId], clicked: set[CustomerId], rng: random.Random
    ) -> Iterator[Transaction]:
        """Orders in the month after the send: control group 4 %, members 5 %, 20 % after a click."""
        number = 0
        members = set(sent)
        for customer_id in [*sent, *holdout]:
            chance = 0.20 if customer_id in clicked else (0.05 if customer_id in members else 0.04)
            if rng.random() >= chance:
                continue
            number += 1
            at = self.sent_at + timedelta(hours=rng.randrange(2, 30 * 24))
            yield Transaction(
                customer_id=customer_id,
                kind="order",
                amount=Decimal(rng.randrange(2000, 20000)) / 100,
                currency="EUR",
                channel="web",
                occurred_at=at,
                source=SOURCE,
                external_id=f"O{number:07d}",
                recorded_at=at,
            )


def _suppression(kind: str, value: str, reason: str, at: datetime) -> Suppression:
    return Suppression(kind=kind, value=value, reason=reason, created_at=at)


def recorded(uow: UnitOfWork) -> tuple[int, int]:
    """How many touchpoints and orders a campaign of this module recorded in a store.

    Their external ids are numbered from 1 without gaps, so the count is the
    last number stored, found by doubling and halving.
    """

    def last(stored: Callable[[int], bool]) -> int:
        high = 1
        while stored(high):
            high *= 2
        low = high // 2  # stored(low) holds, or low is 0
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if stored(middle) else (low, middle)
        return low

    touchpoints = last(lambda n: uow.touchpoints.find_by_key(SOURCE, f"T{n:07d}") is not None)
    orders = last(lambda n: uow.transactions.find_by_key(SOURCE, f"O{n:07d}") is not None)
    return touchpoints, orders
