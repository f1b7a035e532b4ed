"""Hypothesis strategies for every relcore entity, for your own tests.

Every strategy produces valid entities only (built through the public
constructors), with the awkward cases real data has: non-UTC and
microsecond datetimes, astral-plane text and emoji, empty and large JSON
payloads, amounts at each currency's precision, postal and social contact
points, saved entities with a later ``updated_at`` and a higher ``version``.

Importing this module needs Hypothesis (the ``testing`` extra).

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

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st

from relcore._kernel.checks import MAX_PAYLOAD_BYTES
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
    "EMAILS",
    "PHONES",
    "ZONES",
    "amounts",
    "aware_datetimes",
    "consent_records",
    "contact_points",
    "contacts",
    "customer_ids",
    "customers",
    "emails",
    "identities",
    "payloads",
    "phone_numbers",
    "postal_addresses",
    "texts",
    "touchpoints",
    "transactions",
]

PHONES = (
    "+14155552671",
    "+442079460018",
    "+33142685300",
    "+4930901820",
    "+81312345678",
    "+61293744000",
    "+5511987654321",
    "+919876543210",
    "+27211234567",
    "+34912345678",
)
"""Phone numbers in E.164 that phonenumbers accepts as valid, in ten numbering plans."""

EMAILS = (
    "ada@example.com",
    "Grace.Hopper@example.org",
    "user+tag@sub.example.co.uk",
    "o'neil@example.ie",
    "josé@example.com",
    "jose@exämple.de",
    "li@例え.jp",
    "пользователь@пример.рф",
)
"""E-mail addresses in normal form, some with Unicode local parts or domains."""

ZONES = (
    "Europe/Paris",
    "America/New_York",
    "America/St_Johns",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
)
"""IANA zones with daylight saving, half- and quarter-hour offsets, and +14:00."""

# National numbers with their region: what a user types into a form.
_NATIONAL = (
    ("020 7946 0018", "GB"),
    ("(415) 555-2671", "US"),
    ("01 42 68 53 00", "FR"),
    ("03-1234-5678", "JP"),
)
_ASTRAL = "😀🎉🐍𝄞\U0001d518\u200d\U0001f1eb\U0001f1f7"
_ENVELOPE = len('{"blob":""}')

Saved = TypeVar("Saved", Customer, Contact)


def texts(min_size: int = 1, max_size: int = 40) -> st.SearchStrategy[str]:
    """Text any backend stores: any Unicode but NUL and lone surrogates, not blank.

    Emoji and other astral-plane characters come up more often than chance.
    """
    alphabet = st.one_of(st.characters(codec="utf-8", exclude_characters="\x00"), st.sampled_from(_ASTRAL))
    strategy = st.text(alphabet, min_size=min_size, max_size=max_size)
    return strategy if min_size == 0 else strategy.filter(lambda s: bool(s.strip()))


def _zones() -> st.SearchStrategy[tzinfo]:
    return st.one_of(
        st.just(UTC),
        st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
        st.sampled_from(ZONES).map(ZoneInfo),
    )


def aware_datetimes(
    min_value: datetime = datetime(1900, 1, 2), max_value: datetime = datetime(2199, 12, 30)
) -> st.SearchStrategy[datetime]:
    """Aware datetimes in fixed offsets and real zones, with microseconds.

    Args:
        min_value: Earliest local (naive) time; the default keeps every
            value, once in UTC, within the years 1900 to 2199.
        max_value: Latest local (naive) time.
    """
    return st.datetimes(min_value, max_value, timezones=_zones())


def customer_ids() -> st.SearchStrategy[Any]:
    """Time-ordered ids (version 7 UUIDs) with timestamps from any era."""
    return st.integers(0, 2**48 - 1).map(lambda ms: uuid7(ms))


def emails() -> st.SearchStrategy[str]:
    """Valid e-mail addresses, already normalized (see [`EMAILS`][relcore.testing.strategies.EMAILS])."""
    return st.sampled_from(EMAILS)


def phone_numbers() -> st.SearchStrategy[str]:
    """Valid phone numbers in E.164 form (see [`PHONES`][relcore.testing.strategies.PHONES])."""
    return st.sampled_from(PHONES)


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


@st.composite
def _large_payloads(draw: st.DrawFn) -> dict[str, Any]:
    """One string filling the payload to within 2 KiB of the limit, never past it."""
    char = draw(st.sampled_from(["a", "é", "中", "😀"]))
    room = draw(st.integers(MAX_PAYLOAD_BYTES - 2048, MAX_PAYLOAD_BYTES)) - _ENVELOPE
    return {"blob": char * (room // len(char.encode()))}


@st.composite
def payloads(draw: st.DrawFn) -> dict[str, Any]:
    """JSON objects: often empty, mostly small and nested, now and then close to 64 KiB.

    About one payload in twenty is large, so tests stay fast on average.
    """
    if draw(st.integers(0, 19)) == 0:
        return draw(_large_payloads())
    return draw(st.dictionaries(texts(1, 12), _json_values(), max_size=5))


def identities() -> st.SearchStrategy[Identity]:
    """External identities (``namespace``, ``value``)."""
    namespace = st.from_regex(r"[a-z0-9][a-z0-9_.:-]{0,15}", fullmatch=True)
    return st.builds(Identity, namespace, texts(1, 30))


def postal_addresses() -> st.SearchStrategy[PostalAddress]:
    """International postal addresses, short enough to make a postal contact point."""
    return st.builds(
        PostalAddress,
        lines=st.lists(texts(1, 40), min_size=1, max_size=3),
        locality=texts(1, 30),
        country=st.sampled_from(["GB", "FR", "US", "JP", "BR", "IN"]),
        postal_code=st.none() | st.from_regex(r"[A-Z0-9 -]{3,10}", fullmatch=True),
        region=st.none() | texts(1, 20),
    )


def contact_points() -> st.SearchStrategy[ContactPoint]:
    """E-mail, phone, postal and social points, not flagged primary."""
    flags: dict[str, st.SearchStrategy[Any]] = {"verified": st.booleans(), "label": st.none() | texts(1, 10)}
    national = st.sampled_from(_NATIONAL)
    return st.one_of(
        st.builds(ContactPoint.email, emails(), **flags),
        st.builds(ContactPoint.phone, phone_numbers(), **flags),
        national.flatmap(lambda nr: st.builds(ContactPoint.phone, st.just(nr[0]), region=st.just(nr[1]))),
        st.builds(ContactPoint.postal, postal_addresses(), **flags),
        st.builds(
            ContactPoint.social,
            st.sampled_from(["mastodon", "x", "linkedin"]),
            st.from_regex(r"@?[a-z0-9_.]{1,20}", fullmatch=True),
            **flags,
        ),
    )


def _saved(draw: st.DrawFn, entity: Saved) -> Saved:
    """Sometimes return ``entity`` as if saved again later: newer ``updated_at``, higher version."""
    if not draw(st.booleans()):
        return entity
    later = draw(st.timedeltas(timedelta(0), timedelta(days=3650)))
    version = draw(st.integers(2, 1000))
    return attrs.evolve(entity, updated_at=entity.created_at + later, version=version)


@st.composite
def customers(draw: st.DrawFn) -> Customer:
    """Persons and organizations with tags, attributes and identities."""
    factory = draw(st.sampled_from([Customer.person, Customer.organization]))
    customer: Customer = factory(
        draw(texts(1, 60)),
        stage=draw(st.sampled_from(list(LifecycleStage))),
        roles=draw(st.frozensets(st.sampled_from(list(RelationshipKind)), min_size=1, max_size=3)),
        tags=draw(st.frozensets(st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True), max_size=4)),
        attributes=draw(payloads()),
        identities=draw(st.lists(identities(), max_size=3, unique=True)),
        country=draw(st.none() | st.sampled_from(["FR", "DE", "US", "JP"])),
        created_at=draw(aware_datetimes(max_value=datetime(2189, 1, 1))),
    )
    return _saved(draw, customer)


def _with_primaries(draw: st.DrawFn, points: list[ContactPoint]) -> list[ContactPoint]:
    """Flag the first point of some kinds primary (at most one per kind)."""
    result: list[ContactPoint] = []
    kinds_seen: set[str] = set()
    for point in points:
        first_of_kind = point.kind not in kinds_seen
        kinds_seen.add(point.kind)
        result.append(attrs.evolve(point, primary=True) if first_of_kind and draw(st.booleans()) else point)
    return result


@st.composite
def contacts(draw: st.DrawFn, customer_id: UUID | None = None) -> Contact:
    """Contacts of ``customer_id`` (any id if omitted) with distinct points."""
    points = draw(st.lists(contact_points(), max_size=4, unique_by=lambda p: (p.kind, p.key)))
    contact = Contact(
        customer_id=customer_id if customer_id is not None else draw(customer_ids()),
        name=draw(texts(1, 60)),
        role=draw(st.sampled_from(["self", "buyer", "billing", "technical"])),
        points=_with_primaries(draw, points),
        preferred_channel=draw(st.none() | st.sampled_from(list(Channel))),
        language=draw(st.none() | st.sampled_from(["en", "fr", "pt-BR", "zh-Hant"])),
        time_zone=draw(st.none() | st.sampled_from(ZONES)),
        created_at=draw(aware_datetimes(max_value=datetime(2189, 1, 1))),
    )
    return _saved(draw, contact)


@st.composite
def consent_records(draw: st.DrawFn, customer_id: UUID | None = None) -> ConsentRecord:
    """Consent ledger entries of ``customer_id``, some channel-specific, some expiring."""
    recorded = draw(aware_datetimes(max_value=datetime(2189, 1, 1)))
    lifetime = st.timedeltas(timedelta(microseconds=1), timedelta(days=3650))
    expires = draw(st.none() | lifetime.map(lambda d: recorded.astimezone(UTC) + d))  # later in UTC too
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


def _maybe_ids() -> st.SearchStrategy[Any]:
    return st.none() | customer_ids()


@st.composite
def touchpoints(
    draw: st.DrawFn,
    customer_id: UUID | None = None,
    *,
    contact_id: UUID | None = None,
    occurred_at: st.SearchStrategy[datetime] | None = None,
) -> Touchpoint:
    """Touchpoints on every channel, with optional links, sentiment and payload.

    Args:
        draw: Supplied by Hypothesis.
        customer_id: The customer; any id if omitted.
        contact_id: The contact (stored contacts only: backends check it); none if omitted.
        occurred_at: Strategy for the time;
            [`aware_datetimes`][relcore.testing.strategies.aware_datetimes] if omitted.
    """
    source, external_id = draw(_keys())
    return Touchpoint(
        customer_id=customer_id if customer_id is not None else draw(customer_ids()),
        contact_id=contact_id,
        channel=draw(st.sampled_from(list(Channel))),
        direction=draw(st.sampled_from(list(Direction))),
        kind=draw(st.sampled_from(list(TouchpointKind))),
        occurred_at=draw(occurred_at if occurred_at is not None else aware_datetimes()),
        subject=draw(st.none() | texts(1, 80)),
        outcome=draw(st.none() | texts(1, 20)),
        sentiment=draw(st.none() | st.floats(-1, 1)),
        campaign_id=draw(_maybe_ids()),
        case_id=draw(_maybe_ids()),
        opportunity_id=draw(_maybe_ids()),
        payload=draw(payloads()),
        source=source,
        external_id=external_id,
        recorded_at=draw(aware_datetimes()),
    )


def amounts(currency: str) -> st.SearchStrategy[Decimal]:
    """Non-negative amounts with exactly the currency's minor-unit precision.

    Args:
        currency: An ISO 4217 code from [`relcore.domain.CURRENCIES`][].
    """
    digits = CURRENCIES[currency]
    return st.integers(0, 10**15).map(lambda units: Decimal(units).scaleb(-digits))


@st.composite
def transactions(
    draw: st.DrawFn,
    customer_id: UUID | None = None,
    *,
    contact_id: UUID | None = None,
    currency: str | None = None,
    occurred_at: st.SearchStrategy[datetime] | None = None,
) -> Transaction:
    """Orders, refunds, invoices and quotes in currencies of every precision.

    Args:
        draw: Supplied by Hypothesis.
        customer_id: The customer; any id if omitted.
        contact_id: The contact (stored contacts only: backends check it); none if omitted.
        currency: The currency; one with 0, 2, 3 or 4 decimals if omitted.
        occurred_at: Strategy for the time;
            [`aware_datetimes`][relcore.testing.strategies.aware_datetimes] if omitted.
    """
    code = currency if currency is not None else draw(st.sampled_from(["EUR", "USD", "JPY", "KWD", "CLF"]))
    source, external_id = draw(_keys())
    return Transaction(
        customer_id=customer_id if customer_id is not None else draw(customer_ids()),
        kind=draw(st.sampled_from(list(TransactionKind))),
        amount=draw(amounts(code)),
        currency=code,
        occurred_at=draw(occurred_at if occurred_at is not None else aware_datetimes()),
        quantity=draw(st.integers(1, 1000)),
        channel=draw(st.none() | st.sampled_from(list(Channel))),
        contact_id=contact_id,
        description=draw(st.none() | texts(1, 80)),
        payload=draw(payloads()),
        source=source,
        external_id=external_id,
        recorded_at=draw(aware_datetimes()),
    )
