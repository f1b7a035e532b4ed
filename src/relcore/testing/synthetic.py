"""A synthetic shop: realistic, reproducible CRM data for demos, tests and benchmarks.

Every stream is a generator, so a million touchpoints never sit in memory,
and every value derives from the seed: the same :class:`SyntheticShop` yields
the same customers, ids and histories on every run and machine.

The shape follows what shops see. About one customer in ten is an
organization with several contacts. Purchases follow a buy-till-you-die
process (Fader, Hardie & Lee 2005): each customer buys at a gamma-distributed
rate until, after some purchase, they drop out with a beta-distributed
probability, so most buy once or twice and a few buy often. Spend per order
is log-normal around a customer-specific mean. Touchpoints mix channels as
a shop's do (mostly e-mail and web) with kinds that fit each channel.

Example:
    >>> shop = SyntheticShop(customers=3, seed=7)
    >>> [c.name for c, _ in shop.customers_with_contacts()] == [
    ...     c.name for c, _ in SyntheticShop(customers=3, seed=7).customers_with_contacts()]
    True
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import attrs

from relcore.domain import (
    Channel,
    ConsentRecord,
    Contact,
    ContactPoint,
    Customer,
    Direction,
    Identity,
    LifecycleStage,
    PartyType,
    RelationshipKind,
    Touchpoint,
    TouchpointKind,
    Transaction,
    TransactionKind,
)
from relcore.errors import ValidationError
from relcore.ids import CampaignId, ContactId, CustomerId

__all__ = ["CustomerProfile", "SyntheticShop", "seeded_uuid7"]

FIRST = (
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Tim",
    "Radia",
    "Guido",
    "Hedy",
    "Edsger",
    "Sophie",
    "Niklaus",
    "Anita",
    "José",
    "Zhao",
    "Aiko",
)
LAST = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Berners-Lee",
    "Perlman",
    "van Rossum",
    "Lamarr",
    "Dijkstra",
    "Wilson",
    "Wirth",
    "Borg",
    "Martínez",
    "Wei",
    "Tanaka",
)
COMPANIES = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
)
SUFFIXES = ("Ltd", "GmbH", "SAS", "Inc", "BV", "KK")
COUNTRIES = (
    ("US", "USD", 0.35),
    ("GB", "GBP", 0.2),
    ("FR", "EUR", 0.2),
    ("DE", "EUR", 0.15),
    ("JP", "JPY", 0.1),
)
PHONE_PREFIX = {"US": "+1415", "GB": "+44207", "FR": "+331", "DE": "+4930", "JP": "+813"}
TAGS = ("newsletter", "vip", "wholesale", "gift-buyer", "eco", "early-adopter")
ROLES = ("buyer", "billing", "technical", "manager")
STAGES = (
    (LifecycleStage.CUSTOMER, 0.62),
    (LifecycleStage.LEAD, 0.14),
    (LifecycleStage.QUALIFIED, 0.08),
    (LifecycleStage.SUBSCRIBER, 0.06),
    (LifecycleStage.EVANGELIST, 0.04),
    (LifecycleStage.CHURNED, 0.06),
)
RELATIONSHIPS = (
    (RelationshipKind.CUSTOMER, 0.85),
    (RelationshipKind.PROSPECT, 0.08),
    (RelationshipKind.PARTNER, 0.04),
    (RelationshipKind.SUPPLIER, 0.03),
)
CHANNEL_MIX = (
    (Channel.EMAIL, 35),
    (Channel.WEB, 25),
    (Channel.MOBILE_APP, 10),
    (Channel.PHONE, 8),
    (Channel.SMS, 6),
    (Channel.CHAT, 6),
    (Channel.SOCIAL, 4),
    (Channel.IN_PERSON, 2),
    (Channel.POSTAL, 1),
    (Channel.MMS, 1),
    (Channel.KIOSK, 1),
    (Channel.VOICE_SERVER, 0.5),
    (Channel.FAX, 0.3),
    (Channel.OTHER, 0.2),
)
KINDS = {
    Channel.EMAIL: (TouchpointKind.MESSAGE, TouchpointKind.OPEN, TouchpointKind.CLICK),
    Channel.WEB: (TouchpointKind.WEB_VISIT, TouchpointKind.PAGE_VIEW),
    Channel.MOBILE_APP: (TouchpointKind.PAGE_VIEW, TouchpointKind.CLICK),
    Channel.PHONE: (TouchpointKind.CALL,),
    Channel.IN_PERSON: (TouchpointKind.VISIT, TouchpointKind.MEETING),
    Channel.KIOSK: (TouchpointKind.VISIT,),
}
SUBJECTS = (
    "Spring sale",
    "Your order has shipped",
    "Where is my parcel?",
    "Product question",
    "Welcome!",
    "Invoice request",
    "Return request",
    "Loyalty points",
    "New collection",
    "Feedback survey",
)
OUTCOMES = ("resolved", "no_answer", "follow_up", "converted", None, None)


def seeded_uuid7(rng: random.Random, moment: datetime) -> UUID:
    """Return a version 7 UUID for ``moment`` whose random bits come from ``rng``."""
    ms = int(moment.timestamp() * 1000)
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0x2 << 62) | rng.getrandbits(62)
    return UUID(int=value)


def _pick(rng: random.Random, weighted: tuple[tuple[object, float], ...]) -> object:
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights)[0]


@attrs.frozen
class CustomerProfile:
    """The hidden truth behind one synthetic customer (what the models should find).

    Attributes:
        index: Position in the shop.
        id: The customer's id.
        created_at: When the customer was created (first purchase, if any).
        country: ISO country code.
        currency: The currency they pay in.
        purchase_rate: Expected purchases per day while active.
        dropout: Probability of dropping out after each purchase.
        mean_spend: Typical order value, in the currency.
    """

    index: int
    id: CustomerId
    created_at: datetime
    country: str
    currency: str
    purchase_rate: float
    dropout: float
    mean_spend: float


@attrs.frozen
class SyntheticShop:
    """A reproducible synthetic shop.

    Attributes:
        customers: How many customers.
        seed: Seed of every random choice.
        start: Earliest customer creation.
        end: End of the observed period; nothing happens after it.
        b2b_share: Share of customers that are organizations.
        touchpoints_per_customer: Average touchpoints per customer over the period.
    """

    customers: int = 5000
    seed: int = 0
    start: datetime = datetime(2023, 1, 1, tzinfo=UTC)
    end: datetime = datetime(2025, 1, 1, tzinfo=UTC)
    b2b_share: float = 0.1
    touchpoints_per_customer: float = 12.0

    def __attrs_post_init__(self) -> None:
        if self.customers < 0:
            raise ValidationError.single("customers", "must not be negative")
        if not self.start < self.end:
            raise ValidationError.single("end", "must be later than start")
        if not 0 <= self.b2b_share <= 1:
            raise ValidationError.single("b2b_share", "must lie in [0, 1]")

    def _rng(self, index: int, stream: str) -> random.Random:
        return random.Random(f"{self.seed}:{index}:{stream}")

    def profile(self, index: int) -> CustomerProfile:
        """Return the hidden profile of customer ``index``."""
        rng = self._rng(index, "profile")
        span = (self.end - self.start).total_seconds()
        created = self.start + timedelta(seconds=rng.random() * span * 0.9)
        country, currency, _ = rng.choices(COUNTRIES, [w for *_, w in COUNTRIES])[0]
        return CustomerProfile(
            index=index,
            id=CustomerId(seeded_uuid7(rng, created)),
            created_at=created,
            country=country,
            currency=currency,
            purchase_rate=rng.gammavariate(0.6, 1 / 12) / 7,  # BG/NBD-like: r=0.6, alpha=12 weeks
            dropout=rng.betavariate(0.8, 2.5),
            mean_spend=rng.lognormvariate(3.6, 0.7),
        )

    def profiles(self) -> Iterator[CustomerProfile]:
        """Yield every customer's hidden profile."""
        return (self.profile(i) for i in range(self.customers))

    def customers_with_contacts(self) -> Iterator[tuple[Customer, list[Contact]]]:
        """Yield each customer with its contacts (one for a person, 2-5 for an organization)."""
        for profile in self.profiles():
            yield self._customer(profile)

    def _customer(self, p: CustomerProfile) -> tuple[Customer, list[Contact]]:
        rng = self._rng(p.index, "customer")
        organization = rng.random() < self.b2b_share
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{rng.choice(COMPANIES)} {rng.choice(SUFFIXES)}" if organization else f"{first} {last}"
        customer = Customer(
            id=p.id,
            type=PartyType.ORGANIZATION if organization else PartyType.PERSON,
            name=name,
            stage=_pick(rng, STAGES),
            relationship=_pick(rng, RELATIONSHIPS),
            tags=rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2))),
            attributes={"segment": rng.choice(("retail", "online", "marketplace")), "index": p.index},
            identities=[Identity("shop", f"C{p.index:07d}")],
            country=p.country,
            created_at=p.created_at,
        )
        people = rng.randint(2, 5) if organization else 1
        contacts = [self._contact(rng, p, k, organization) for k in range(people)]
        return customer, contacts

    def _contact(self, rng: random.Random, p: CustomerProfile, k: int, organization: bool) -> Contact:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        domain = "example.com" if not organization else f"{rng.choice(COMPANIES).lower()}.example"
        points = [
            ContactPoint.email(
                f"{first.lower()}.{p.index}.{k}@{domain}", primary=True, verified=rng.random() < 0.7
            )
        ]
        if rng.random() < 0.6:
            number = f"{PHONE_PREFIX[p.country]}{rng.randrange(10**6, 10**7)}"
            with contextlib.suppress(ValidationError):  # not every random number is allocated
                points.append(ContactPoint.phone(number, primary=True))
        return Contact(
            id=ContactId(seeded_uuid7(rng, p.created_at)),
            customer_id=p.id,
            name=f"{first} {last}",
            role=rng.choice(ROLES) if organization else "self",
            points=points,
            preferred_channel=rng.choice((None, Channel.EMAIL, Channel.SMS, Channel.PHONE)),
            language={"US": "en", "GB": "en-GB", "FR": "fr", "DE": "de", "JP": "ja"}[p.country],
            created_at=p.created_at,
        )

    def consents(self) -> Iterator[ConsentRecord]:
        """Yield consent answers: grants at sign-up, some later withdrawals."""
        for p in self.profiles():
            rng = self._rng(p.index, "consent")
            for purpose, channel, share in (
                ("marketing", "email", 0.7),
                ("marketing", "sms", 0.3),
                ("analytics", None, 0.6),
            ):
                if rng.random() >= share:
                    continue
                yield ConsentRecord(
                    id=seeded_uuid7(rng, p.created_at),
                    customer_id=p.id,
                    purpose=purpose,
                    channel=channel,
                    status="granted",
                    recorded_at=p.created_at,
                    source="signup-form",
                    notice_version="2023-01",
                )
                if rng.random() < 0.12:
                    withdrawn = p.created_at + (self.end - p.created_at) * rng.random()
                    yield ConsentRecord(
                        id=seeded_uuid7(rng, withdrawn),
                        customer_id=p.id,
                        purpose=purpose,
                        channel=channel,
                        status="withdrawn",
                        recorded_at=withdrawn,
                        source="preference-center",
                        notice_version="2023-01",
                    )

    def transactions(self) -> Iterator[Transaction]:
        """Yield orders (and some refunds) by a buy-till-you-die process, oldest first per customer."""
        for p in self.profiles():
            yield from self._purchases(p)

    def _purchases(self, p: CustomerProfile) -> Iterator[Transaction]:
        rng = self._rng(p.index, "purchases")
        digits = {"JPY": 0}.get(p.currency, 2)
        scale = 150 if p.currency == "JPY" else 1
        moment, number = p.created_at, 0
        while moment < self.end:
            amount = Decimal(str(round(rng.lognormvariate(0, 0.4) * p.mean_spend * scale, digits)))
            yield Transaction(
                id=seeded_uuid7(rng, moment),
                customer_id=p.id,
                kind=TransactionKind.ORDER,
                amount=amount,
                currency=p.currency,
                occurred_at=moment,
                quantity=rng.randint(1, 4),
                channel=rng.choice((Channel.WEB, Channel.MOBILE_APP, Channel.IN_PERSON)),
                source="shop",
                external_id=f"O{p.index:07d}-{number}",
                recorded_at=moment,
            )
            if rng.random() < 0.04:
                refund_at = moment + timedelta(days=rng.uniform(1, 20))
                if refund_at < self.end:
                    yield Transaction(
                        id=seeded_uuid7(rng, refund_at),
                        customer_id=p.id,
                        kind=TransactionKind.REFUND,
                        amount=amount,
                        currency=p.currency,
                        occurred_at=refund_at,
                        source="shop",
                        external_id=f"R{p.index:07d}-{number}",
                        recorded_at=refund_at,
                    )
            number += 1
            gap = rng.expovariate(p.purchase_rate) if p.purchase_rate > 0 else float("inf")
            if rng.random() < p.dropout or gap > (self.end - moment).days + 1:
                return
            moment += timedelta(days=gap)

    def touchpoints(self) -> Iterator[Touchpoint]:
        """Yield interactions across every channel, about ``touchpoints_per_customer`` each."""
        for p in self.profiles():
            yield from self._interactions(p)

    def _interactions(self, p: CustomerProfile) -> Iterator[Touchpoint]:
        rng = self._rng(p.index, "touchpoints")
        days = max((self.end - p.created_at).total_seconds() / 86400, 1.0)
        rate = self.touchpoints_per_customer * rng.uniform(0.3, 1.7) / (self.end - self.start).days
        moment, number = p.created_at, 0
        while True:
            gap = rng.expovariate(rate) if rate > 0 else days
            if gap > (self.end - moment).days + 1:
                return
            moment += timedelta(days=gap)
            if moment >= self.end:
                return
            channel = _pick(rng, CHANNEL_MIX)
            assert isinstance(channel, Channel)
            kind = rng.choice(KINDS.get(channel, (TouchpointKind.MESSAGE,)))
            if rng.random() < 0.02:
                kind = TouchpointKind.COMPLAINT
            outbound = (
                channel in (Channel.EMAIL, Channel.SMS, Channel.MMS, Channel.POSTAL) and rng.random() < 0.7
            )
            campaign = CampaignId(
                seeded_uuid7(random.Random(f"{self.seed}:campaign:{moment.month}"), self.start)
            )
            yield Touchpoint(
                id=seeded_uuid7(rng, moment),
                customer_id=p.id,
                channel=channel,
                direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
                kind=kind,
                occurred_at=moment,
                subject=rng.choice(SUBJECTS),
                outcome=rng.choice(OUTCOMES),
                sentiment=round(rng.uniform(-1, 0.2), 2)
                if kind is TouchpointKind.COMPLAINT
                else (round(rng.uniform(-0.3, 1), 2) if rng.random() < 0.3 else None),
                campaign_id=campaign if outbound else None,
                source=f"{channel.value}-feed",
                external_id=f"T{p.index:07d}-{number}",
                recorded_at=moment + timedelta(minutes=5),
            )
            number += 1
