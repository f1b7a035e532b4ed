"""A synthetic shop: realistic, reproducible CRM data for demos, tests and benchmarks.

Every stream is a generator, so a million touchpoints never sit in memory,
and every value derives from the seed: the same [`SyntheticShop`][relcore.testing.synthetic.SyntheticShop]
yields the same customers, ids (version 7 UUIDs built from the seeded generator) and
histories on every run and machine with the same Python version (`random`
promises stable sequences across versions only for ``random()``). Each
customer's data comes from generators seeded with ``(seed, customer index,
stream)``, so the streams can be read in any order, or only in part.

The data looks like a shop's (the constants are in
``relcore/testing/_shop_data.py``):

* customers in eight countries paying in USD, GBP or EUR; about one in ten is
  an organization with 2-5 contacts in roles, the others are persons;
* contacts with unique e-mail addresses, phone numbers valid for their
  country, postal addresses, languages and time zones;
* purchases by a buy-till-you-die process (Fader, Hardie & Lee 2005): a
  customer buys at a gamma-distributed rate and, after each purchase, drops
  out with a beta-distributed probability, so most buy once or twice and a
  few buy often; spend per order is log-normal around a customer's own mean;
  a few orders are refunded, some organizations only got a quote;
* the lifecycle stage follows from that history (no order: lead, subscriber,
  qualified or opportunity; no order for a year: churned);
* consent asked at sign-up for marketing by e-mail and SMS and for analytics,
  then sometimes withdrawn or granted later, analytics grants lapsing;
* touchpoints on every channel in a shop's mix (mostly e-mail and web), with
  kinds, directions, subjects, outcomes and sentiment that fit the channel,
  newsletters and their opens and clicks tied to fortnightly campaigns; the
  chat can run on a channel the host declares (`chat_channel`, ``"whatsapp"``
  in ``relcore demo``);
* customers with a set of roles: a few organizations that buy are resellers
  or partners too.

Example:
    >>> shop = SyntheticShop(customers=3, seed=7)
    >>> [customer.name for customer, _ in shop.customers_with_contacts()] == [
    ...     customer.name for customer, _ in SyntheticShop(customers=3, seed=7).customers_with_contacts()]
    True
    >>> sum(1 for _ in shop.touchpoints(count=1000))  # fast: no customers are built
    1000
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from uuid import UUID

import attrs

from relcore.domain import (
    Channel,
    ConsentRecord,
    Contact,
    Customer,
    LifecycleStage,
    RelationshipKind,
    Touchpoint,
    Transaction,
)
from relcore.errors import ValidationError
from relcore.ids import CampaignId, ContactId, CustomerId, TouchpointId
from relcore.testing import _shop_entities as build
from relcore.testing._shop_data import COUNTRIES, DAY_MS, FX, TEMPLATE_WEIGHTS, TEMPLATES
from relcore.testing._shop_entities import moment as _moment
from relcore.testing._shop_entities import v7 as _v7
from relcore.vocabularies import Vocabularies

__all__ = ["CustomerProfile", "SyntheticShop", "seeded_uuid7"]

_COUNTRY_WEIGHTS = tuple(accumulate(c.share for c in COUNTRIES))
_TEMPLATE_WEIGHTS = tuple(accumulate(TEMPLATE_WEIGHTS))
_CAMPAIGN_PERIOD_MS = 14 * 86_400_000


def seeded_uuid7(rng: random.Random, moment: datetime) -> UUID:
    """Return a version 7 UUID for ``moment`` whose random bits come from ``rng``.

    Like [`relcore.ids.uuid7`][], but reproducible: the same generator state
    gives the same id.

    Example:
        >>> when = datetime(2024, 5, 1, tzinfo=UTC)
        >>> a, b = seeded_uuid7(random.Random(1), when), seeded_uuid7(random.Random(1), when)
        >>> a == b and a.version == 7 and a.int >> 80 == int(when.timestamp() * 1000)
        True
    """
    return _v7(round(moment.timestamp() * 1000), rng)


@attrs.frozen
class CustomerProfile:
    """The hidden truth behind one synthetic customer (what models should find).

    Attributes:
        index: Position in the shop, from 0.
        id: The customer's id.
        created_at: When the customer signed up (their first order, if any).
        country: ISO 3166-1 country code.
        currency: The currency they pay in.
        organization: An organization (B2B) rather than a person.
        contact_ids: Ids of the customer's contacts (one for a person).
        buyer: Whether they ever order.
        purchase_rate: Expected orders per day while active.
        dropout: Probability of dropping out after each order.
        mean_spend: Typical order value, in ``currency``.
        activity: How much more (or less) than average they interact.
    """

    index: int
    id: CustomerId
    created_at: datetime
    country: str
    currency: str
    organization: bool
    contact_ids: tuple[ContactId, ...]
    buyer: bool
    purchase_rate: float
    dropout: float
    mean_spend: float
    activity: float


@attrs.frozen
class SyntheticShop:
    """A reproducible synthetic shop (see the module documentation for its shape).

    Load one shop per store: ids, identities and idempotency keys are unique
    within a shop, and two shops share keys such as identity ``C0000000``.

    Attributes:
        customers: How many customers.
        seed: Seed of every random choice.
        start: Earliest sign-up.
        end: End of the observed period; nothing happens at or after it.
        b2b_share: Share of customers that are organizations.
        touchpoints_per_customer: Average number of touchpoints per customer.
        chat_channel: A channel the host declares (``"whatsapp"``, say) that the
            shop's chat runs on: its chat touchpoints have this channel instead of
            [Channel.CHAT][relcore.domain.Channel] (nothing else changes). A CRM
            storing them must declare it: build it with
            [vocabularies][relcore.testing.synthetic.SyntheticShop.vocabularies].
    """

    customers: int = 5000
    seed: int = 0
    start: datetime = datetime(2023, 1, 1, tzinfo=UTC)
    end: datetime = datetime(2025, 1, 1, tzinfo=UTC)
    b2b_share: float = 0.1
    touchpoints_per_customer: float = 12.0
    chat_channel: str | None = None

    def __attrs_post_init__(self) -> None:
        if isinstance(self.customers, bool) or not isinstance(self.customers, int) or self.customers < 0:
            raise ValidationError.single("customers", "must be a non-negative integer")
        for name in ("start", "end"):
            moment = getattr(self, name)
            if not isinstance(moment, datetime) or moment.utcoffset() is None:
                raise ValidationError.single(name, "must be an aware datetime")
        if not self.start < self.end:
            raise ValidationError.single("end", "must be later than start")
        if not 0 <= self.b2b_share <= 1:
            raise ValidationError.single("b2b_share", "must lie in [0, 1]")
        if not 0 <= self.touchpoints_per_customer < 1e6:
            raise ValidationError.single("touchpoints_per_customer", "must lie in [0, 1e6)")
        if self.chat_channel is not None:
            Vocabularies(channels=[self.chat_channel])  # a well-formed token, or ValidationError
            if self.chat_channel in Vocabularies().channels:
                raise ValidationError.single("chat_channel", "must not be a built-in channel")

    @property
    def vocabularies(self) -> Vocabularies:
        """The vocabularies a CRM needs to store this shop: its `chat_channel` declared."""
        return Vocabularies(channels=() if self.chat_channel is None else (self.chat_channel,))

    @property
    def _start_ms(self) -> int:
        return round(self.start.timestamp() * 1000)

    @property
    def _end_ms(self) -> int:
        return round(self.end.timestamp() * 1000)

    def _rng(self, index: int, stream: str) -> random.Random:
        return random.Random(f"{self.seed}:{index}:{stream}")

    # -- customers ------------------------------------------------------------

    def profile(self, index: int) -> CustomerProfile:
        """Return the hidden profile of customer ``index`` (0 to ``customers - 1``)."""
        if not 0 <= index < self.customers:
            raise IndexError(f"no customer {index} in a shop of {self.customers}")
        rng = self._rng(index, "profile")
        country = rng.choices(COUNTRIES, cum_weights=_COUNTRY_WEIGHTS)[0]
        organization = rng.random() < self.b2b_share
        created_ms = self._start_ms + int(rng.random() * 0.9 * (self._end_ms - self._start_ms))
        customer_id = CustomerId(_v7(created_ms, rng))
        contacts = rng.randint(2, 5) if organization else 1
        return CustomerProfile(
            index=index,
            id=customer_id,
            created_at=_moment(created_ms),
            country=country.code,
            currency=country.currency,
            organization=organization,
            contact_ids=tuple(ContactId(_v7(created_ms, rng)) for _ in range(contacts)),
            buyer=rng.random() < (0.8 if organization else 0.72),
            # Purchase rates as a BG/NBD fit of a shop finds them: gamma, shape 0.6, a mean of one per
            # 20 weeks; dropout probabilities beta(0.8, 2.5), a mean of about one in four.
            purchase_rate=max(rng.gammavariate(0.6, 1 / 12), 1e-9) / 7 * (1.5 if organization else 1),
            dropout=rng.betavariate(0.8, 2.5),
            mean_spend=rng.lognormvariate(3.6, 0.7) * (6 if organization else 1) * FX[country.currency],
            activity=rng.gammavariate(2.0, 0.5),
        )

    def profiles(self) -> Iterator[CustomerProfile]:
        """Yield every customer's hidden profile, in index order."""
        return (self.profile(i) for i in range(self.customers))

    def order_times(self, profile: CustomerProfile) -> list[datetime]:
        """Return when the customer orders: the buy-till-you-die process, oldest first."""
        return [_moment(ms) for ms in self._order_ms(profile)]

    def _order_ms(self, p: CustomerProfile) -> list[int]:
        if not p.buyer:
            return []
        rng = self._rng(p.index, "orders")
        ms, end, times = round(p.created_at.timestamp() * 1000), self._end_ms, []
        while ms < end:
            times.append(ms)
            if rng.random() < p.dropout:
                break
            ms += 1 + int(rng.expovariate(p.purchase_rate) * DAY_MS)
        return times

    def standing(self, profile: CustomerProfile) -> tuple[LifecycleStage, frozenset[RelationshipKind]]:
        """Return the customer's lifecycle stage and roles at `end`.

        Both follow from the orders: customers who ordered in the last year are
        customers (evangelists from their eighth order), the others churned;
        some organizations that order are resellers or partners too. Those who
        never ordered are prospects at some stage, or partners and suppliers
        (stage ``other``) among organizations.
        """
        return build.standing(
            profile, self._order_ms(profile), self._end_ms, self._rng(profile.index, "stage")
        )

    def customers_with_contacts(self) -> Iterator[tuple[Customer, list[Contact]]]:
        """Yield each customer with its contacts (one for a person, 2-5 for an organization)."""
        for p in self.profiles():
            orders = self._order_ms(p)
            stage, roles = build.standing(p, orders, self._end_ms, self._rng(p.index, "stage"))
            yield build.customer_and_contacts(p, stage, roles, len(orders), self._rng(p.index, "customer"))

    # -- consent and money ---------------------------------------------------

    def consents(self) -> Iterator[ConsentRecord]:
        """Yield each customer's consent ledger: answers at sign-up, later changes, lapses."""
        for p in self.profiles():
            yield from build.consent_ledger(p, self._end_ms, self._rng(p.index, "consent"))

    def transactions(self) -> Iterator[Transaction]:
        """Yield orders, refunds and quotes, customer by customer, each customer's oldest first."""
        for p in self.profiles():
            orders = self._order_ms(p)
            stage, _ = build.standing(p, orders, self._end_ms, self._rng(p.index, "stage"))
            yield from build.money(p, orders, stage, self._end_ms, self._rng(p.index, "amounts"))

    # -- touchpoints ----------------------------------------------------------

    def campaign_ids(self) -> list[UUID]:
        """Return the ids of the fortnightly campaigns, oldest first."""
        rng = random.Random(f"{self.seed}:campaigns")
        starts = range(self._start_ms, self._end_ms, _CAMPAIGN_PERIOD_MS)
        return [_v7(ms, rng) for ms in starts]

    def touchpoints(
        self, count: int | None = None, *, customer_ids: Sequence[CustomerId] | None = None
    ) -> Iterator[Touchpoint]:
        """Yield interactions across every channel.

        Without arguments: each customer's own history, customer by customer,
        about `touchpoints_per_customer` each (more for active ones),
        after their sign-up, naming their contacts.

        With ``count``: exactly ``count`` touchpoints in time order, spread at
        random over the customers, without building them (or even their
        profiles, when ``customer_ids`` is given): the fast way to stream a
        million rows for a store that already holds these customers.

        Args:
            count: How many touchpoints to make, instead of the histories.
            customer_ids: With ``count``: the customers to spread them over
                (no contacts are named). Default: this shop's customers, each
                only after their sign-up.

        Raises:
            ValidationError: If ``count`` is negative or ``customer_ids`` empty
                or given without ``count``.
        """
        if count is None:
            if customer_ids is not None:
                raise ValidationError.single("customer_ids", "needs a count")
            return self._histories()
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError.single("count", "must be a non-negative integer")
        if customer_ids is not None and not customer_ids:
            raise ValidationError.single("customer_ids", "must not be empty")
        if customer_ids is None and count and not self.customers:
            raise ValidationError.single("customer_ids", "needed: the shop has no customers")
        return self._batch(count, customer_ids)

    def _histories(self) -> Iterator[Touchpoint]:
        campaigns, start = self.campaign_ids(), self._start_ms
        mean_life_ms = 0.55 * (self._end_ms - self._start_ms)  # sign-ups are uniform over 90 % of the period
        end = self._end_ms
        for p in self.profiles():
            rng = self._rng(p.index, "touchpoints")
            rate = self.touchpoints_per_customer * p.activity / mean_life_ms
            if rate <= 0:
                continue
            ms, number, prefix = round(p.created_at.timestamp() * 1000), 0, f"T{p.index:07d}-"
            while True:
                ms += 1 + int(rng.expovariate(rate))
                if ms >= end:
                    break
                yield self._touchpoint(rng, p.id, p.contact_ids, ms, f"{prefix}{number}", campaigns, start)
                number += 1

    def _batch(self, count: int, customer_ids: Sequence[CustomerId] | None) -> Iterator[Touchpoint]:
        if customer_ids is None:
            profiles = sorted(self.profiles(), key=lambda p: p.created_at)
            pool = [(p.id, p.contact_ids) for p in profiles]
            signups = [round(p.created_at.timestamp() * 1000) for p in profiles]
        else:
            pool = [(c, ()) for c in customer_ids]
            signups = [self._start_ms] * len(pool)
        if not pool:
            return
        campaigns, start, rng = self.campaign_ids(), self._start_ms, random.Random(f"{self.seed}:batch")
        first, ready = signups[0], 0
        step = (self._end_ms - first) / max(count, 1)
        for i in range(count):
            ms = first + int((i + rng.random()) * step)
            while ready < len(pool) and signups[ready] <= ms:
                ready += 1
            customer_id, contact_ids = pool[int(rng.random() * ready)]
            yield self._touchpoint(rng, customer_id, contact_ids, ms, f"B{i:010d}", campaigns, start)

    def _touchpoint(
        self,
        rng: random.Random,
        customer_id: CustomerId,
        contact_ids: tuple[ContactId, ...],
        ms: int,
        external_id: str,
        campaigns: list[UUID],
        start_ms: int,
    ) -> Touchpoint:
        draw = rng.random
        t = TEMPLATES[bisect(_TEMPLATE_WEIGHTS, draw() * _TEMPLATE_WEIGHTS[-1])]
        if t.mood is None:
            sentiment = None
        elif t.mood == "negative":
            sentiment = round(-0.15 - 0.85 * draw(), 2)
        else:
            sentiment = round(1.3 * draw() - 0.3, 2) if draw() < 0.4 else None
        if t.campaign:  # one newsletter (or mailing) per campaign period: same id, same subject
            period = (ms - start_ms) // _CAMPAIGN_PERIOD_MS
            campaign, subject = CampaignId(campaigns[period]), t.subjects[period % len(t.subjects)]
        else:
            campaign, subject = None, t.subjects[int(draw() * len(t.subjects))]
        occurred = _moment(ms)
        return Touchpoint(
            id=TouchpointId(_v7(ms, rng)),
            customer_id=customer_id,
            contact_id=contact_ids[int(draw() * len(contact_ids))] if t.personal and contact_ids else None,
            channel=self.chat_channel if self.chat_channel and t.channel is Channel.CHAT else t.channel,
            direction=t.direction,
            kind=t.kind,
            occurred_at=occurred,
            subject=subject,
            outcome=t.outcomes[int(draw() * len(t.outcomes))],
            sentiment=sentiment,
            campaign_id=campaign,
            source=t.source,
            external_id=external_id,
            recorded_at=occurred + timedelta(seconds=int(draw() * 900)),
        )
