"""Entities refuse bad input with a ValidationError naming the field."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, localcontext
from typing import Any

import attrs
import pytest

from relcore._kernel.money import from_minor_units, to_minor_units
from relcore.domain import (
    CURRENCIES,
    ConsentRecord,
    Contact,
    ContactPoint,
    Customer,
    Identity,
    PostalAddress,
    Touchpoint,
    Transaction,
    current_consent,
    may_contact,
)
from relcore.errors import ValidationError
from relcore.ids import CustomerId, uuid7

WHO = CustomerId(uuid7())
AT = datetime(2025, 1, 1, tzinfo=UTC)


def touchpoint(**changes: Any) -> Touchpoint:
    fields: dict[str, Any] = {
        "customer_id": WHO,
        "channel": "email",
        "direction": "inbound",
        "occurred_at": AT,
    }
    return Touchpoint(**{**fields, **changes})


def transaction(**changes: Any) -> Transaction:
    fields: dict[str, Any] = {"customer_id": WHO, "amount": "10.00", "currency": "EUR", "occurred_at": AT}
    return Transaction(**{**fields, **changes})


BAD: list[tuple[str, Callable[[], object], str]] = [
    ("naive datetime", lambda: touchpoint(occurred_at=datetime(2025, 1, 1)), "occurred_at"),
    ("datetime out of range", lambda: touchpoint(occurred_at=datetime(999, 1, 1, tzinfo=UTC)), "occurred_at"),
    ("malformed channel", lambda: touchpoint(channel="Pigeon post"), "channel"),
    ("unknown direction", lambda: touchpoint(direction="sideways"), "direction"),
    ("sentiment out of range", lambda: touchpoint(sentiment=1.5), "sentiment"),
    ("sentiment NaN", lambda: touchpoint(sentiment=float("nan")), "sentiment"),
    ("payload not a dict", lambda: touchpoint(payload=[1, 2]), "payload"),
    ("payload NaN", lambda: touchpoint(payload={"x": float("inf")}), "payload.x"),
    ("payload key not text", lambda: touchpoint(payload={1: "x"}), "payload"),
    ("payload oversized", lambda: touchpoint(payload={"x": "a" * 70_000}), "payload"),
    ("payload too deep", lambda: touchpoint(payload=_deep(40)), "payload"),
    ("NUL in text", lambda: touchpoint(subject="a\x00b"), "subject"),
    ("lone surrogate", lambda: touchpoint(subject="a\ud800"), "subject"),
    ("customer id not a UUID", lambda: touchpoint(customer_id="nope"), "customer_id"),
    ("negative amount", lambda: transaction(amount="-1"), "amount"),
    ("too many decimals", lambda: transaction(amount="1.001"), "amount"),
    ("float amount", lambda: transaction(amount=1.5), "amount"),
    ("not a number", lambda: transaction(amount="ten"), "amount"),
    ("unknown currency", lambda: transaction(currency="EUX"), "currency"),
    ("zero quantity", lambda: transaction(quantity=0), "quantity"),
    ("bool quantity", lambda: transaction(quantity=True), "quantity"),
    ("unknown kind", lambda: transaction(kind="gift"), "kind"),
    ("blank name", lambda: Customer.person("  "), "name"),
    ("name too long", lambda: Customer.person("x" * 201), "name"),
    ("malformed stage", lambda: Customer.person("A", stage="royalty!"), "stage"),
    ("no role", lambda: Customer.person("A", roles=[]), "roles"),
    ("malformed role", lambda: Customer.person("A", roles=["customer", "-x"]), "roles[1]"),
    ("roles as one string", lambda: Customer.person("A", roles="partner"), "roles"),
    ("bad tag", lambda: Customer.person("A", tags=["no\ttabs"]), "tags[0]"),
    ("tags as one string", lambda: Customer.person("A", tags="vip"), "tags"),
    ("bad country", lambda: Customer.person("A", country="France"), "country"),
    ("bad namespace", lambda: Identity("Shop!", "1"), "namespace"),
    (
        "duplicate identity",
        lambda: Customer.person("A", identities=[("s", "1"), ("s", "1")]),
        "identities[1]",
    ),
    (
        "updated before created",
        lambda: Customer(type="person", name="A", created_at=AT, updated_at=AT - timedelta(1)),
        "updated_at",
    ),
    ("malformed e-mail", lambda: ContactPoint.email("not-an-email"), "value"),
    ("phone without region", lambda: ContactPoint.phone("020 7946 0018"), "value"),
    ("invalid phone", lambda: ContactPoint.phone("+1 555"), "value"),
    ("e-mail not normalized", lambda: ContactPoint(kind="email", value="A@EXAMPLE.COM"), "value"),
    ("primary not a bool", lambda: ContactPoint.email("a@example.com", primary="yes"), "primary"),
    ("postal without address", lambda: ContactPoint(kind="postal", value="x"), "address"),
    ("address without lines", lambda: PostalAddress(lines=[], locality="X", country="GB"), "lines"),
    (
        "two primary e-mails",
        lambda: Contact(
            customer_id=WHO,
            name="A",
            points=[
                ContactPoint.email("a@example.com", primary=True),
                ContactPoint.email("b@example.com", primary=True),
            ],
        ),
        "points[1]",
    ),
    (
        "duplicate point",
        lambda: Contact(
            customer_id=WHO,
            name="A",
            points=[ContactPoint.email("a@example.com"), ContactPoint.email("A@example.com".lower())],
        ),
        "points[1]",
    ),
    ("unknown time zone", lambda: Contact(customer_id=WHO, name="A", time_zone="Mars/Olympus"), "time_zone"),
    ("bad language", lambda: Contact(customer_id=WHO, name="A", language="english!"), "language"),
    (
        "expiry before record",
        lambda: ConsentRecord(
            customer_id=WHO, purpose="marketing", status="granted", recorded_at=AT, expires_at=AT
        ),
        "expires_at",
    ),
    (
        "malformed purpose",
        lambda: ConsentRecord(customer_id=WHO, purpose="Spam", status="granted"),
        "purpose",
    ),
    ("negative quantity", lambda: transaction(quantity=-3), "quantity"),
    ("quantity beyond SQL INTEGER", lambda: transaction(quantity=2**31), "quantity"),
    ("version beyond SQL INTEGER", lambda: attrs.evolve(Customer.person("A"), version=2**31), "version"),
    ("version zero", lambda: attrs.evolve(Customer.person("A"), version=0), "version"),
    ("amount beyond 64-bit minor units", lambda: transaction(amount="92233720368547758.08"), "amount"),
    ("amount with a huge exponent", lambda: transaction(amount="1E+999999"), "amount"),
    (
        "amount with 29 significant digits",
        lambda: transaction(amount="1.0000000000000000000000000001"),
        "amount",
    ),
    ("amount NaN", lambda: transaction(amount="NaN"), "amount"),
    ("amount infinite", lambda: transaction(amount=Decimal("-Infinity")), "amount"),
    ("currency not text", lambda: transaction(currency=978), "currency"),
    ("sentiment beyond the float range", lambda: touchpoint(sentiment=10**400), "sentiment"),
    ("sentiment as text", lambda: touchpoint(sentiment="0.5"), "sentiment"),
    ("name not text", lambda: Customer.person(42), "name"),  # type: ignore[arg-type]
    ("identity value not text", lambda: Identity("shop", 7), "value"),  # type: ignore[arg-type]
    ("non-ASCII country that upper-cases to a code", lambda: Customer.person("A", country="ß"), "country"),
    (
        "address country with a digit",
        lambda: PostalAddress(lines=["x"], locality="Y", country="A1"),
        "country",
    ),
    ("NUL in a payload key", lambda: touchpoint(payload={"a\x00": 1}), "payload"),
    ("payload integer beyond 64 bits", lambda: touchpoint(payload={"n": 2**64}), "payload.n"),
    (
        "point that is not a ContactPoint",
        lambda: Contact(customer_id=WHO, name="A", points=["a@b.c"]),
        "points[0]",
    ),
    (
        "contact updated before created",
        lambda: Contact(customer_id=WHO, name="A", created_at=AT, updated_at=AT - timedelta(seconds=1)),
        "updated_at",
    ),
    ("social handle with spaces", lambda: ContactPoint.social("x", "two words"), "value"),
    ("social network not a name", lambda: ContactPoint.social("my network!", "ada"), "network"),
]


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"x": value}
    return value


@pytest.mark.parametrize(("make", "field"), [(m, f) for _, m, f in BAD], ids=[n for n, _, _ in BAD])
def test_bad_input_names_the_field(make: Callable[[], object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make()
    assert isinstance(caught.value, ValueError)
    assert any(path.startswith(field) for path in caught.value.paths), caught.value.paths


def test_enum_fields_accept_their_string_values() -> None:
    assert touchpoint(channel="sms").channel == "sms"
    assert transaction(kind="refund").signed_amount == Decimal("-10.00")


def test_datetimes_are_stored_in_utc_as_the_same_instant() -> None:
    local = datetime(2025, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=9)))
    stored = touchpoint(occurred_at=local).occurred_at
    assert stored.tzinfo is UTC
    assert stored == local


@pytest.mark.parametrize(
    ("currency", "given", "exact", "units"),
    [
        ("EUR", "10.5", "10.50", 1050),
        ("JPY", "1200", "1200", 1200),
        ("KWD", "1.5", "1.500", 1500),
    ],
)
def test_amounts_keep_the_currency_precision(currency: str, given: str, exact: str, units: int) -> None:
    money = transaction(amount=given, currency=currency)
    assert str(money.amount) == exact
    assert money.minor_units == units


def test_contact_points_are_normalized() -> None:
    assert ContactPoint.email("Ada@Example.COM").key == "ada@example.com"
    assert ContactPoint.phone("020 7946 0018", region="GB").value == "+442079460018"
    assert ContactPoint.social("Mastodon", "@ada").value == "mastodon:ada"
    address = PostalAddress(lines=["1 Main St"], locality="Springfield", postal_code="12345", country="US")
    assert ContactPoint.postal(address).value == "1 Main St, 12345 Springfield, US"


def test_contact_primary_falls_back_to_the_first_point_of_its_kind() -> None:
    first, second = ContactPoint.email("a@example.com"), ContactPoint.email("b@example.com", primary=True)
    assert Contact(customer_id=WHO, name="A", points=[first, second]).primary("email") == second
    assert Contact(customer_id=WHO, name="A", points=[first]).primary("email") == first
    assert Contact(customer_id=WHO, name="A").primary("phone") is None


def test_entities_are_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        Customer.person("A").name = "B"  # type: ignore[misc]


def consent(status: str, days: int, channel: str | None = None, expires: int | None = None) -> ConsentRecord:
    return ConsentRecord(
        customer_id=WHO,
        purpose="marketing",
        status=status,
        channel=channel,
        recorded_at=AT + timedelta(days=days),
        expires_at=None if expires is None else AT + timedelta(days=expires),
    )


def test_the_latest_applicable_record_decides_consent() -> None:
    ledger = [consent("granted", 0), consent("withdrawn", 10, channel="sms")]
    assert may_contact(ledger, "marketing", "email", AT + timedelta(days=20))
    assert not may_contact(ledger, "marketing", "sms", AT + timedelta(days=20))
    assert may_contact(ledger, "marketing", "sms", AT + timedelta(days=5))  # before the withdrawal
    assert not may_contact(ledger, "analytics", "email", AT + timedelta(days=20))  # other purpose
    assert not may_contact(ledger, "marketing", "email", AT - timedelta(days=1))  # before any answer


def test_a_grant_lapses_at_its_expiry() -> None:
    ledger = [consent("granted", 0, expires=30)]
    assert may_contact(ledger, "marketing", "email", AT + timedelta(days=29))
    assert not may_contact(ledger, "marketing", "email", AT + timedelta(days=30))


def test_records_at_the_same_instant_are_ordered_by_id() -> None:
    earlier, later = consent("granted", 0), consent("denied", 0)
    assert earlier.id < later.id
    assert current_consent([later, earlier], "marketing", "email", AT) == later
    assert not may_contact([later, earlier], "marketing", "email", AT)


def test_uuid7_ids_are_time_ordered_version_7() -> None:
    first, second = uuid7(1_000), uuid7(2_000)
    assert first < second
    assert first.version == 7
    assert first.variant == "specified in RFC 4122"


def test_uuid7_ids_made_in_one_process_strictly_increase() -> None:
    ids = [uuid7() for _ in range(20_000)]  # many share a millisecond
    assert all(a < b for a, b in itertools.pairwise(ids))
    assert len({i.int >> 80 for i in ids}) < len(ids)  # the test did exercise same-millisecond ids


def test_money_is_exact_whatever_the_decimal_context() -> None:
    with localcontext() as context:
        context.prec = 6  # a host application may lower the precision
        money = transaction(amount="12345678.91")
        assert money.minor_units == 1234567891
        assert money.amount == Decimal("12345678.91")
        assert from_minor_units(2**63 - 1, "KWD") == Decimal("9223372036854775.807")


def test_huge_exponents_are_refused_at_once() -> None:
    started = time.perf_counter()
    for text in ("1E+999990", "1E+999999999", "1E-999999999"):
        with pytest.raises(ValidationError):
            to_minor_units(Decimal(text), "EUR")
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("EUR", 2), ("KWD", 3), ("CLF", 4)])
def test_minor_units_follow_the_currency(currency: str, digits: int) -> None:
    assert CURRENCIES[currency] == digits
    smallest = Decimal(1).scaleb(-digits)
    assert transaction(amount=smallest, currency=currency).minor_units == 1
    with pytest.raises(ValidationError):
        transaction(amount=smallest / 10, currency=currency)
    assert transaction(amount="0", currency=currency.lower()).currency == currency


def test_defaults_of_a_new_customer() -> None:
    ada = Customer.person("Ada", created_at=AT)
    assert (ada.stage, ada.roles, ada.version) == ("lead", {"customer"}, 1)
    assert ada.updated_at == ada.created_at == AT
    assert ada.tags == frozenset()
    assert ada.attributes == {}
    assert ada.id.version == 7


def test_customer_values_are_normalized() -> None:
    acme = Customer.organization(
        "Acme", tags=[" vip ", "b2b"], country="fr", identities=[("shop", "2"), ("crm", "9")]
    )
    assert acme.tags == {"vip", "b2b"}
    assert acme.country == "FR"
    assert [i.namespace for i in acme.identities] == ["crm", "shop"]


def test_unicode_emails_keep_their_local_part_and_unicode_domain() -> None:
    assert ContactPoint.email("José@Exämple.DE").value == "José@exämple.de"
    assert ContactPoint.email("li@例え.jp").key == "li@例え.jp"


def test_postal_points_format_the_address_on_one_line() -> None:
    address = PostalAddress(lines=["10 Downing St"], locality="London", postal_code="SW1A 2AA", country="GB")
    point = ContactPoint.postal(address, primary=True, label="office")
    assert point.value == "10 Downing St, SW1A 2AA London, GB"
    assert point.address == address
    assert point.primary


def test_a_newer_all_channel_answer_overrides_an_older_channel_grant() -> None:
    ledger = [consent("granted", 0, channel="email"), consent("withdrawn", 5)]
    assert not may_contact(ledger, "marketing", "email", AT + timedelta(days=6))
    assert may_contact(ledger, "marketing", "email", AT + timedelta(days=1))


def test_a_newer_channel_grant_overrides_an_older_all_channel_denial() -> None:
    ledger = [consent("denied", 0), consent("granted", 5, channel="sms")]
    assert may_contact(ledger, "marketing", "sms", AT + timedelta(days=6))
    assert not may_contact(ledger, "marketing", "email", AT + timedelta(days=6))


def test_an_expired_grant_still_decides_until_a_new_answer() -> None:
    ledger = [consent("granted", 0, expires=10), consent("granted", 20)]
    assert current_consent(ledger, "marketing", "email", AT + timedelta(days=15)) == ledger[0]
    assert not may_contact(ledger, "marketing", "email", AT + timedelta(days=15))
    assert may_contact(ledger, "marketing", "email", AT + timedelta(days=25))


def test_no_record_means_no_consent_and_denials_refuse() -> None:
    assert current_consent([], "marketing", "email", AT) is None
    assert not may_contact([], "marketing", "email", AT)
    assert not may_contact([consent("denied", 0)], "marketing", "email", AT)


def test_consent_queries_check_their_arguments() -> None:
    with pytest.raises(ValidationError) as caught:
        may_contact([], "marketing", "email", datetime(2025, 1, 1))
    assert caught.value.paths == ("at",)
    with pytest.raises(ValidationError) as caught:
        may_contact([], "Spam!", "email", AT)
    assert caught.value.paths == ("purpose",)


def test_uuid7_embeds_the_timestamp() -> None:
    ms = 1_700_000_000_123
    made = uuid7(ms)
    assert made.int >> 80 == ms
    assert (made.int >> 76) & 0xF == 7
    assert (made.int >> 62) & 0b11 == 0b10
    with pytest.raises(ValueError, match="out of range"):
        uuid7(2**48)
