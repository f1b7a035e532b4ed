"""Entities of the synthetic shop, built from a customer's hidden profile.

Each function takes the generator it draws from, so that
[`relcore.testing.synthetic.SyntheticShop`][] controls the seeding and
every customer's data stays reproducible on its own.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from relcore.domain import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    Contact,
    ContactPoint,
    Customer,
    Identity,
    LifecycleStage,
    PartyType,
    PostalAddress,
    RelationshipKind,
    Transaction,
    TransactionKind,
)
from relcore.errors import ValidationError
from relcore.ids import ConsentId, TransactionId
from relcore.testing._shop_data import (
    ACQUISITION,
    COMPANIES,
    CONSENT_ASKS,
    CONSENT_CHANGE,
    CONSENT_RENEWAL,
    COUNTRIES,
    DAY_MS,
    FX,
    NAMES,
    PERSON_MAIL,
    ROLES,
    TAGS,
    TRADES,
)

if TYPE_CHECKING:
    from relcore.testing.synthetic import CustomerProfile

_VERSION_7, _VARIANT, _LOW_62 = 0x7 << 76, 0x2 << 62, (1 << 62) - 1
_COUNTRY = {country.code: country for country in COUNTRIES}
_NEW_NOTICE_MS = round(datetime(2024, 3, 1, tzinfo=UTC).timestamp() * 1000)
_LS, _RK = LifecycleStage, RelationshipKind


def v7(ms: int, rng: random.Random) -> UUID:
    """Return a version 7 UUID for Unix time ``ms`` with 74 random bits from ``rng``."""
    rand = rng.getrandbits(74)
    return UUID(int=(ms << 80) | _VERSION_7 | ((rand >> 62) << 64) | _VARIANT | (rand & _LOW_62))


def moment(ms: int) -> datetime:
    """Return Unix time ``ms`` as an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, UTC)


def _ms(when: datetime) -> int:
    return round(when.timestamp() * 1000)


def _fill(rng: random.Random, pattern: str) -> str:
    """Replace ``#`` by a digit and ``X`` by a digit from 2 to 9."""
    return "".join(
        str(rng.randrange(10)) if c == "#" else str(rng.randrange(2, 10)) if c == "X" else c for c in pattern
    )


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower() if c.isalnum())


def standing(
    p: CustomerProfile, orders: list[int], end_ms: int, rng: random.Random
) -> tuple[LifecycleStage, frozenset[RelationshipKind]]:
    """Return the customer's lifecycle stage and roles at ``end_ms``, given their orders."""
    if orders:
        if end_ms - orders[-1] > 365 * DAY_MS:
            stage = _LS.CHURNED
        else:
            stage = _LS.EVANGELIST if len(orders) >= 8 else _LS.CUSTOMER
        if not p.organization:
            return stage, frozenset({_RK.CUSTOMER})
        also = rng.choices((None, _RK.RESELLER, _RK.PARTNER), (80, 12, 8))[0]  # a buying partner is both
        return stage, frozenset({_RK.CUSTOMER} if also is None else {_RK.CUSTOMER, also})
    if p.organization:
        kind = rng.choices((_RK.PROSPECT, _RK.PARTNER, _RK.SUPPLIER), (70, 15, 15))[0]
        if kind is not _RK.PROSPECT:
            return _LS.OTHER, frozenset({kind})
    stages = (_LS.LEAD, _LS.SUBSCRIBER, _LS.QUALIFIED, _LS.OPPORTUNITY)
    return rng.choices(stages, (45, 30, 15, 10))[0], frozenset({_RK.PROSPECT})


def customer_and_contacts(
    p: CustomerProfile,
    stage: LifecycleStage,
    roles: frozenset[RelationshipKind],
    orders: int,
    rng: random.Random,
) -> tuple[Customer, list[Contact]]:
    """Return the customer of profile ``p`` and its contacts."""
    country = _COUNTRY[p.country]
    firsts, lasts = NAMES[country.names]
    names = [(rng.choice(firsts), rng.choice(lasts)) for _ in p.contact_ids]
    tags = set(rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2))))
    if orders >= 5 or p.mean_spend / FX[p.currency] > (600 if p.organization else 120):
        tags.add("vip")
    attributes: dict[str, object] = {"acquisition": rng.choice(ACQUISITION)}
    if p.organization:
        brand, trade = rng.choice(COMPANIES), rng.choice(TRADES)
        name = f"{brand} {trade} {rng.choice(country.legal)}"
        domain = f"{_slug(brand)}-{_slug(trade)}-{p.index}.example"
        attributes["employees"] = rng.choice((5, 20, 50, 250, 1000))
        if orders:
            tags.add("wholesale")
    else:
        name, domain = " ".join(names[0]), rng.choice(PERSON_MAIL)
    customer = Customer(
        id=p.id,
        type=PartyType.ORGANIZATION if p.organization else PartyType.PERSON,
        name=name,
        stage=stage,
        roles=roles,
        tags=tags,
        attributes=attributes,
        identities=[Identity("shop", f"C{p.index:07d}")],
        country=p.country,
        created_at=p.created_at,
    )
    jobs = ["buyer", *rng.sample(ROLES, len(names) - 1)] if p.organization else ["self"]
    used: set[str] = set()
    contacts = []
    for k, ((first, last), role) in enumerate(zip(names, jobs, strict=True)):
        local = f"{_slug(first)}.{_slug(last)}"
        local = f"{local}{p.index}" if not p.organization else (f"{local}{k}" if local in used else local)
        used.add(local)
        contacts.append(_contact(p, k, f"{first} {last}", role, f"{local}@{domain}", rng))
    return customer, contacts


def _contact(p: CustomerProfile, k: int, name: str, role: str, email: str, rng: random.Random) -> Contact:
    country = _COUNTRY[p.country]
    pattern, zone = rng.choice(country.phones)
    points = [
        ContactPoint.email(
            email, primary=True, verified=rng.random() < 0.75, label="work" if p.organization else None
        )
    ]
    if rng.random() < (0.85 if p.organization else 0.65):
        for _ in range(3):  # a pattern can produce a number not (or no longer) allocated: draw again
            try:
                points.append(
                    ContactPoint.phone(_fill(rng, pattern), primary=True, verified=rng.random() < 0.4)
                )
                break
            except ValidationError:
                continue
    if rng.random() < (0.7 if p.organization and k == 0 else 0 if p.organization else 0.55):
        city, postcode = rng.choice(country.cities)
        street = f"{rng.randint(1, 250)} {rng.choice(country.streets)}"
        address = PostalAddress(
            lines=[street], locality=city, postal_code=_fill(rng, postcode), country=p.country
        )
        points.append(ContactPoint.postal(address, primary=True))
    if not p.organization and rng.random() < 0.1:
        points.append(ContactPoint.social("instagram", email.partition("@")[0].replace(".", "_")))
    preferred = rng.choices((None, Channel.EMAIL, Channel.SMS, Channel.PHONE), (50, 32, 10, 8))[0]
    if preferred in (Channel.SMS, Channel.PHONE) and not any(pt.kind == "phone" for pt in points):
        preferred = Channel.EMAIL
    return Contact(
        id=p.contact_ids[k],
        customer_id=p.id,
        name=name,
        role=role,
        points=points,
        preferred_channel=preferred,
        language=country.language,
        time_zone=zone,
        created_at=p.created_at,
    )


def consent_ledger(p: CustomerProfile, end_ms: int, rng: random.Random) -> Iterator[ConsentRecord]:
    """Yield the customer's consent records, oldest first per question."""
    signup = _ms(p.created_at)
    for ask in CONSENT_ASKS:
        answer = rng.random()
        if answer >= ask.granted + ask.denied:
            continue  # never answered: no consent
        status = ConsentStatus.GRANTED if answer < ask.granted else ConsentStatus.DENIED
        at = signup + int(rng.random() * 60_000)
        source = "cookie-banner" if ask.channel is None else "checkout" if p.buyer else "signup-form"
        for _ in range(8):
            lapses = ask.lifetime_days is not None and status is ConsentStatus.GRANTED
            expires = at + int(ask.lifetime_days * DAY_MS) if lapses and ask.lifetime_days else None
            yield ConsentRecord(
                id=ConsentId(v7(at, rng)),
                customer_id=p.id,
                purpose=ask.purpose,
                channel=ask.channel,
                status=status,
                recorded_at=moment(at),
                expires_at=moment(expires) if expires is not None else None,
                source=source,
                notice_version="2023-01" if at < _NEW_NOTICE_MS else "2024-03",
            )
            if expires is not None:  # asked again some days after the grant lapsed
                at = expires + int(rng.random() * 30 * DAY_MS)
                if at >= end_ms or rng.random() >= CONSENT_RENEWAL:
                    break
            elif rng.random() < CONSENT_CHANGE:
                at += 1 + int(rng.random() * (end_ms - at - 1))
                if status is ConsentStatus.GRANTED:
                    status = ConsentStatus.WITHDRAWN
                    source = "unsubscribe-link" if ask.channel is Channel.EMAIL else "preference-center"
                else:
                    status, source = ConsentStatus.GRANTED, "preference-center"
            else:
                break


def money(
    p: CustomerProfile, orders: list[int], stage: LifecycleStage, end_ms: int, rng: random.Random
) -> list[Transaction]:
    """Return the customer's orders, refunds and quotes, oldest first."""
    rows: list[tuple[int, Transaction]] = []

    def add(kind: TransactionKind, ms: int, cents: int, key: str, **more: object) -> None:
        when = moment(ms)
        rows.append(
            (ms, Transaction(
                id=TransactionId(v7(ms, rng)), customer_id=p.id, kind=kind, amount=Decimal(cents).scaleb(-2),
                currency=p.currency, occurred_at=when, source="shop", external_id=key, recorded_at=when,
                **more,
            ))
        )  # fmt: skip

    for number, ms in enumerate(orders):
        cents = max(100, round(p.mean_spend * rng.lognormvariate(0, 0.35) * 100))
        channels = (Channel.WEB, Channel.MOBILE_APP, Channel.IN_PERSON, Channel.PHONE)
        add(
            TransactionKind.ORDER, ms, cents, f"O{p.index:07d}-{number}",
            quantity=rng.randint(5, 60) if p.organization else rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0],
            channel=rng.choices(channels, (58, 27, 10, 5))[0],
            contact_id=rng.choice(p.contact_ids),
            description=f"Order {p.index}-{number + 1}",
        )  # fmt: skip
        refund_ms = ms + int((2 + 28 * rng.random()) * DAY_MS)
        if rng.random() < 0.06 and refund_ms < end_ms:
            partial = rng.random() < 0.3
            refund = max(1, int(cents * (0.2 + 0.6 * rng.random()))) if partial else cents
            add(TransactionKind.REFUND, refund_ms, refund, f"R{p.index:07d}-{number}",
                description="Partial refund" if partial else "Refund")  # fmt: skip
    quote_ms = _ms(p.created_at) + int(rng.uniform(1, 60) * DAY_MS)
    if p.organization and stage is LifecycleStage.OPPORTUNITY and quote_ms < end_ms:
        cents = round(p.mean_spend * rng.lognormvariate(0.5, 0.4) * 100)
        add(TransactionKind.QUOTE, quote_ms, cents, f"Q{p.index:07d}-0", description="Quote", quantity=20)
    rows.sort(key=lambda row: row[0])
    return [transaction for _, transaction in rows]
