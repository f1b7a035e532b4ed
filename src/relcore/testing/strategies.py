"""Hypothesis strategies for every relcore entity, for your own tests.

Every strategy produces valid entities only (built through the public
constructors), with the awkward cases real data has: non-UTC and
microsecond datetimes, astral-plane text, empty and large JSON payloads,
amounts at each currency's precision, postal and social contact points.

Example:
    >>> from hypothesis import given, settings
    >>> from relcore.serialization import from_dict, to_dict
    >>> @settings(max_examples=20)
    ... @given(customers())
    ... def test_round_trip(customer):
    ...     assert from_dict(type(customer), to_dict(customer)) == customer
    >>> test_round_trip()
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from relcore.domain import (
    CURRENCIES,
    Channel,
    ConsentRecord,
    ConsentStatus,
    Contact,
    ContactPoint,
    Customer,
    Direction,
    Identity,
    LifecycleStage,
    PostalAddress,
    Purpose,
    RelationshipKind,
    Touchpoint,
    TouchpointKind,
    Transaction,
    TransactionKind,
)
from relcore.ids import uuid7

__all__ = [
    "amounts",
    "aware_datetimes",
    "consent_records",
    "contact_points",
    "contacts",
    "customer_ids",
    "customers",
    "identities",
    "payloads",
    "postal_addresses",
    "texts",
    "touchpoints",
    "transactions",
]

# Numbers phonenumbers accepts as valid, in several numbering plans.
PHONES = ("+14155552671", "+442079460018", "+33142685300", "+4930901820", "+81312345678", "+61293744000")
EMAILS = ("ada@example.com", "Grace.Hopper@example.org", "jose@exämple.de", "li@例え.jp", "o'neil@example.ie")
ZONES = ("Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham")


def texts(min_size: int = 1, max_size: int = 40) -> st.SearchStrategy[str]:
    """Text any backend stores: any Unicode but NUL and lone surrogates, not blank."""
    alphabet = st.characters(codec="utf-8", exclude_characters="\x00")
    return st.text(alphabet, min_size=min_size, max_size=max_size).filter(lambda s: bool(s.strip()))


def aware_datetimes(
    min_value: datetime = datetime(1970, 1, 1), max_value: datetime = datetime(2200, 1, 1)
) -> st.SearchStrategy[datetime]:
    """Aware datetimes in fixed offsets and real zones, with microseconds."""
    zones = st.one_of(
        st.just(UTC),
        st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
        st.sampled_from(ZONES).map(ZoneInfo),
    )
    return st.datetimes(min_value, max_value, timezones=zones)


def customer_ids() -> st.SearchStrategy[Any]:
    """Fresh time-ordered ids."""
    return st.integers(0, 2**48 - 1).map(lambda ms: uuid7(ms))


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**63 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        texts(0, 30),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts(0, 10), inner, max_size=4),
        max_leaves=12,
    )


def payloads() -> st.SearchStrategy[dict[str, Any]]:
    """JSON objects: mostly small or empty, now and then close to the 64 KiB limit."""
    small = st.dictionaries(texts(1, 12), _json_values(), max_size=5)
    large = st.integers(1, 60).map(lambda k: {"blob": "é" * (k * 512), "size": k})
    return st.one_of(st.just({}), small, small, large)


def identities() -> st.SearchStrategy[Identity]:
    """External identities."""
    namespace = st.from_regex(r"[a-z0-9][a-z0-9_.:-]{0,15}", fullmatch=True)
    return st.builds(Identity, namespace, texts(1, 30))


def postal_addresses() -> st.SearchStrategy[PostalAddress]:
    """International postal addresses."""
    return st.builds(
        PostalAddress,
        lines=st.lists(texts(1, 40), min_size=1, max_size=3),
        locality=texts(1, 30),
        country=st.sampled_from(["GB", "FR", "US", "JP", "BR"]),
        postal_code=st.none() | st.from_regex(r"[A-Z0-9 -]{3,10}", fullmatch=True),
        region=st.none() | texts(1, 20),
    )


def contact_points() -> st.SearchStrategy[ContactPoint]:
    """E-mail, phone, postal and social points (not flagged primary)."""
    flags: dict[str, st.SearchStrategy[Any]] = {"verified": st.booleans(), "label": st.none() | texts(1, 10)}
    return st.one_of(
        st.builds(ContactPoint.email, st.sampled_from(EMAILS), **flags),
        st.builds(ContactPoint.phone, st.sampled_from(PHONES), **flags),
        st.builds(ContactPoint.postal, postal_addresses(), **flags),
        st.builds(
            ContactPoint.social,
            st.sampled_from(["mastodon", "x", "linkedin"]),
            st.from_regex(r"@?[a-z0-9_.]{1,20}", fullmatch=True),
            **flags,
        ),
    )


@st.composite
def customers(draw: st.DrawFn) -> Customer:
    """Persons and organizations with tags, attributes and identities."""
    created = draw(aware_datetimes())
    factory = draw(st.sampled_from([Customer.person, Customer.organization]))
    customer: Customer = factory(
        draw(texts(1, 60)),
        stage=draw(st.sampled_from(list(LifecycleStage))),
        relationship=draw(st.sampled_from(list(RelationshipKind))),
        tags=draw(st.frozensets(st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True), max_size=4)),
        attributes=draw(payloads()),
        identities=draw(st.lists(identities(), max_size=3, unique=True)),
        country=draw(st.none() | st.sampled_from(["FR", "DE", "US", "JP"])),
        created_at=created,
    )
    return customer


@st.composite
def contacts(draw: st.DrawFn, customer_id: UUID | None = None) -> Contact:
    """Contacts of ``customer_id`` (a fresh id if omitted) with distinct points."""
    points = draw(st.lists(contact_points(), max_size=4, unique_by=lambda p: (p.kind, p.key)))
    return Contact(
        customer_id=customer_id if customer_id is not None else draw(customer_ids()),
        name=draw(texts(1, 60)),
        role=draw(st.sampled_from(["self", "buyer", "billing", "technical"])),
        points=points,
        preferred_channel=draw(st.none() | st.sampled_from(list(Channel))),
        language=draw(st.none() | st.sampled_from(["en", "fr", "pt-BR", "zh-Hant"])),
        time_zone=draw(st.none() | st.sampled_from(ZONES)),
        created_at=draw(aware_datetimes()),
    )


@st.composite
def consent_records(draw: st.DrawFn, customer_id: UUID | None = None) -> ConsentRecord:
    """Consent ledger entries, some channel-specific, some expiring."""
    recorded = draw(aware_datetimes(max_value=datetime(2100, 1, 1)))
    lifetime = st.timedeltas(timedelta(seconds=1), timedelta(days=3650))
    expires = draw(st.none() | lifetime.map(lambda d: recorded + d))
    return ConsentRecord(
        customer_id=customer_id if customer_id is not None else draw(customer_ids()),
        purpose=draw(st.sampled_from(list(Purpose))),
        channel=draw(st.none() | st.sampled_from(list(Channel))),
        status=draw(st.sampled_from(list(ConsentStatus))),
        recorded_at=recorded,
        expires_at=expires,
        source=draw(texts(1, 20)),
        notice_version=draw(st.none() | st.sampled_from(["v1", "2024-05"])),
    )


def _keys() -> st.SearchStrategy[tuple[str, str | None]]:
    return st.tuples(st.sampled_from(["web", "zendesk", "shop"]), st.none() | texts(1, 30))


@st.composite
def touchpoints(draw: st.DrawFn, customer_id: UUID | None = None) -> Touchpoint:
    """Touchpoints on every channel, with optional links, sentiment and payload."""
    source, external_id = draw(_keys())
    return Touchpoint(
        customer_id=customer_id if customer_id is not None else draw(customer_ids()),
        channel=draw(st.sampled_from(list(Channel))),
        direction=draw(st.sampled_from(list(Direction))),
        kind=draw(st.sampled_from(list(TouchpointKind))),
        occurred_at=draw(aware_datetimes()),
        subject=draw(st.none() | texts(1, 80)),
        outcome=draw(st.none() | texts(1, 20)),
        sentiment=draw(st.none() | st.floats(-1, 1)),
        campaign_id=draw(st.none() | customer_ids()),
        payload=draw(payloads()),
        source=source,
        external_id=external_id,
    )


def amounts(currency: str) -> st.SearchStrategy[Decimal]:
    """Non-negative amounts with exactly the currency's minor-unit precision."""
    digits = CURRENCIES[currency]
    return st.integers(0, 10**15).map(lambda units: Decimal(units).scaleb(-digits))


@st.composite
def transactions(draw: st.DrawFn, customer_id: UUID | None = None) -> Transaction:
    """Orders, refunds, invoices and quotes in currencies of every precision."""
    currency = draw(st.sampled_from(["EUR", "USD", "JPY", "KWD", "CLF", "GBP"]))
    source, external_id = draw(_keys())
    return Transaction(
        customer_id=customer_id if customer_id is not None else draw(customer_ids()),
        kind=draw(st.sampled_from(list(TransactionKind))),
        amount=draw(amounts(currency)),
        currency=currency,
        occurred_at=draw(aware_datetimes()),
        quantity=draw(st.integers(1, 1000)),
        channel=draw(st.none() | st.sampled_from(list(Channel))),
        description=draw(st.none() | texts(1, 80)),
        payload=draw(payloads()),
        source=source,
        external_id=external_id,
    )
