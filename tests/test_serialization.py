"""Reading dicts and JSON: strict, and every problem reported with its path."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from relcore.domain import Contact, ContactPoint, Customer, CustomerCreated, PostalAddress, Touchpoint
from relcore.errors import ValidationError
from relcore.serialization import from_dict, from_json, to_dict, to_json


def test_every_offending_path_is_named_at_once() -> None:
    data = {
        "customer_id": "x",
        "channel": "pigeon",
        "direction": "in",
        "occurred_at": "2024-01-01T00:00:00",
        "surplus": 1,
    }
    with pytest.raises(ValidationError) as caught:
        from_dict(Touchpoint, data)
    assert set(caught.value.paths) == {"customer_id", "channel", "direction", "occurred_at", "surplus"}


def test_nested_paths_point_into_lists() -> None:
    ada = Customer.person("Ada")
    contact = Contact(
        customer_id=ada.id,
        name="Ada",
        points=[
            ContactPoint.email("ada@example.com"),
            ContactPoint.postal(PostalAddress(lines=["1 Main St"], locality="Leeds", country="GB")),
        ],
    )
    data = to_dict(contact)
    data["points"][0]["value"] = "not an e-mail"
    data["points"][1]["address"]["lines"] = "1 Main St"
    del data["name"]
    with pytest.raises(ValidationError) as caught:
        from_dict(Contact, data)
    assert set(caught.value.paths) == {"name", "points[0].value", "points[1].address.lines"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", "1"),
        ("version", True),
        ("name", 5),
        ("tags", "vip"),
        ("created_at", 1700000000),
    ],
)
def test_no_silent_coercion(field: str, value: object) -> None:
    data = to_dict(Customer.person("Ada"))
    data[field] = value
    with pytest.raises(ValidationError) as caught:
        from_dict(Customer, data)
    assert caught.value.paths == (field,)


def test_malformed_json_and_non_objects_are_validation_errors() -> None:
    with pytest.raises(ValidationError):
        from_json(Customer, "{")
    with pytest.raises(ValidationError):
        from_dict(Customer, [1, 2])  # type: ignore[arg-type]


def test_events_serialize_too() -> None:
    event = CustomerCreated(Customer.person("Ada").id)
    assert from_json(CustomerCreated, to_json(event)) == event


def test_dates_are_iso_8601_utc_and_amounts_exact_text() -> None:
    visit = Touchpoint(
        customer_id=Customer.person("A").id,
        channel="web",
        direction="inbound",
        occurred_at=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
    )
    assert to_dict(visit)["occurred_at"] == "2025-03-01T09:30:00+00:00"
