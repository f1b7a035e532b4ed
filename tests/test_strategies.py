"""The public strategies produce valid, varied entities and honour their arguments."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore._kernel.checks import MAX_PAYLOAD_BYTES, check_json
from relcore._kernel.money import to_minor_units
from relcore.domain import (
    CURRENCIES,
    ConsentRecord,
    Contact,
    ContactPoint,
    Customer,
    Touchpoint,
    Transaction,
    normalize_email,
    normalize_phone,
)
from relcore.ids import uuid7
from relcore.testing import strategies as s

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WHO = uuid7()


def rebuilt(entity: Any) -> Any:
    """Run the entity's validation again: attrs.evolve calls the constructor."""
    return attrs.evolve(entity)


@FAST
@given(s.customers())
def test_customers_are_valid(customer: Customer) -> None:
    assert rebuilt(customer) == customer
    assert customer.updated_at >= customer.created_at
    assert customer.version >= 1


@FAST
@given(s.contacts(customer_id=WHO))
def test_contacts_belong_to_the_given_customer(contact: Contact) -> None:
    assert contact.customer_id == WHO
    assert rebuilt(contact) == contact
    kinds = [p.kind for p in contact.points if p.primary]
    assert len(kinds) == len(set(kinds))


@FAST
@given(s.consent_records(customer_id=WHO))
def test_consent_records_belong_to_the_given_customer(record: ConsentRecord) -> None:
    assert record.customer_id == WHO
    assert record.expires_at is None or record.expires_at > record.recorded_at


@FAST
@given(s.touchpoints(customer_id=WHO, occurred_at=st.just(datetime(2025, 5, 1, tzinfo=UTC))))
def test_touchpoints_honour_their_arguments(touchpoint: Touchpoint) -> None:
    assert touchpoint.customer_id == WHO
    assert touchpoint.occurred_at == datetime(2025, 5, 1, tzinfo=UTC)
    assert touchpoint.contact_id is None
    assert rebuilt(touchpoint) == touchpoint


@FAST
@given(s.transactions(customer_id=WHO, currency="KWD"))
def test_transactions_honour_their_arguments(transaction: Transaction) -> None:
    assert transaction.customer_id == WHO
    assert transaction.currency == "KWD"
    assert transaction.amount.as_tuple().exponent == -3
    assert rebuilt(transaction) == transaction


@pytest.mark.parametrize("currency", ["JPY", "EUR", "KWD", "CLF"])
def test_amounts_have_exactly_the_minor_unit_digits(currency: str) -> None:
    @FAST
    @given(s.amounts(currency))
    def check(amount: Any) -> None:
        assert amount >= 0
        assert amount.as_tuple().exponent == -CURRENCIES[currency]
        to_minor_units(amount, currency)  # never refused

    check()


@FAST
@given(s.aware_datetimes())
def test_datetimes_are_aware_and_storable(value: datetime) -> None:
    assert value.utcoffset() is not None
    assert 1900 <= value.astimezone(UTC).year <= 2199


def test_datetimes_come_in_several_time_zones() -> None:
    seen: set[str] = set()

    @settings(max_examples=150, deadline=None)
    @given(s.aware_datetimes())
    def collect(value: datetime) -> None:
        seen.add(type(value.tzinfo).__name__)

    collect()
    assert {"timezone", "ZoneInfo"} <= seen


@FAST
@given(s.payloads())
def test_payloads_are_storable_json_objects(payload: dict[str, Any]) -> None:
    assert check_json("payload", payload) == payload
    assert json.loads(json.dumps(payload)) == payload


@settings(max_examples=20, deadline=None)
@given(s._large_payloads())
def test_large_payloads_come_close_to_the_limit(payload: dict[str, Any]) -> None:
    size = len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    assert MAX_PAYLOAD_BYTES - 2048 - 4 < size <= MAX_PAYLOAD_BYTES
    check_json("payload", payload)


def test_texts_reach_the_astral_plane() -> None:
    seen: list[bool] = []

    @settings(max_examples=100, deadline=None)
    @given(s.texts(1, 20))
    def collect(text: str) -> None:
        assert text.strip()
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogates
        seen.append(any(ord(c) > 0xFFFF for c in text))

    collect()
    assert any(seen)


@pytest.mark.parametrize("email", s.EMAILS)
def test_sample_emails_are_valid_and_normalized(email: str) -> None:
    assert normalize_email(email) == email
    assert ContactPoint.email(email).value == email


@pytest.mark.parametrize("phone", s.PHONES)
def test_sample_phones_are_valid_e164(phone: str) -> None:
    assert normalize_phone(phone) == phone


@FAST
@given(s.contact_points())
def test_contact_points_are_in_normal_form(point: ContactPoint) -> None:
    assert rebuilt(point) == point
    assert not point.primary
