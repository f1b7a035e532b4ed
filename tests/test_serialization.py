"""Reading dicts and JSON: strict, and every problem reported with its path."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore.domain import (
    Channel,
    ConsentChanged,
    ConsentStatus,
    Contact,
    ContactAdded,
    ContactPoint,
    ContactUpdated,
    Customer,
    CustomerCreated,
    CustomerUpdated,
    PostalAddress,
    Purpose,
    Touchpoint,
    TouchpointRecorded,
    TouchpointsImported,
    Transaction,
    TransactionKind,
    TransactionRecorded,
    TransactionsImported,
)
from relcore.errors import ValidationError
from relcore.ids import uuid7
from relcore.serialization import from_dict, from_json, to_dict, to_json
from relcore.testing import strategies

AT = datetime(2025, 1, 1, tzinfo=UTC)


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


def test_a_non_object_where_an_object_belongs_is_named() -> None:
    data = to_dict(Contact(customer_id=Customer.person("A").id, name="A"))
    data["points"] = [1, "x", {"kind": "postal", "value": "x", "address": "1 Main St"}]
    with pytest.raises(ValidationError) as caught:
        from_dict(Contact, data)
    problems = {e.path: e.problem for e in caught.value.errors}
    assert set(problems) == {"points[0]", "points[1]", "points[2].address"}
    assert problems["points[0]"] == "expected an object (dict), got int"


def test_unknown_keys_are_refused_at_any_depth() -> None:
    data = to_dict(Customer.person("Ada", identities=[("shop", "1")]))
    data["identities"][0]["colour"] = "red"
    data["nickname"] = "A"
    with pytest.raises(ValidationError) as caught:
        from_dict(Customer, data)
    assert set(caught.value.paths) == {"identities[0].colour", "nickname"}
    assert all(e.problem == "unknown key" for e in caught.value.errors)


def test_missing_required_keys_are_named() -> None:
    with pytest.raises(ValidationError) as caught:
        from_dict(Touchpoint, {"channel": "web"})
    assert set(caught.value.paths) == {"customer_id", "direction", "occurred_at"}
    assert {e.problem for e in caught.value.errors} == {"required key is missing"}


def test_type_and_value_problems_are_reported_together() -> None:
    data = to_dict(
        Touchpoint(
            customer_id=Customer.person("A").id,
            channel="web",
            direction="inbound",
            occurred_at=datetime(2025, 3, 1, tzinfo=UTC),
        )
    )
    data.update(channel="pigeon", sentiment=True, payload={"a": [1, {"x": float("nan")}]})
    with pytest.raises(ValidationError) as caught:
        from_dict(Touchpoint, data)
    assert set(caught.value.paths) == {"channel", "sentiment", "payload.a[1].x"}


def test_amount_and_currency_problems_are_reported_together() -> None:
    data = {"customer_id": str(uuid7()), "amount": [1], "currency": 3, "occurred_at": "2025-01-01T00:00:00Z"}
    with pytest.raises(ValidationError) as caught:
        from_dict(Transaction, data)
    assert set(caught.value.paths) == {"amount", "currency"}


def test_cross_field_rules_of_nested_entities_get_their_path() -> None:
    data = to_dict(Contact(customer_id=Customer.person("A").id, name="A"))
    point = to_dict(ContactPoint.email("ada@example.com"))
    data["points"] = [point, {**point, "value": "ADA@EXAMPLE.COM"}]
    with pytest.raises(ValidationError) as caught:
        from_dict(Contact, data)
    assert caught.value.paths == ("points[1].value",)


def test_tags_must_be_a_list_not_an_object() -> None:
    data = to_dict(Customer.person("Ada"))
    data["tags"] = {"vip": True}
    with pytest.raises(ValidationError) as caught:
        from_dict(Customer, data)
    assert caught.value.paths == ("tags",)


def test_deeply_nested_json_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        from_json(Customer, "[" * 100_000)


def test_output_is_a_copy_not_the_entitys_own_payload() -> None:
    visit = Touchpoint(
        customer_id=Customer.person("A").id,
        channel="web",
        direction="inbound",
        occurred_at=datetime(2025, 3, 1, tzinfo=UTC),
        payload={"pages": ["/"]},
    )
    to_dict(visit)["payload"]["pages"].append("/cart")
    assert visit.payload == {"pages": ["/"]}


def test_tags_are_sorted_and_amounts_exact_text() -> None:
    assert to_dict(Customer.person("A", tags=["b", "a", "c"]))["tags"] == ["a", "b", "c"]
    money = Transaction(customer_id=uuid7(), amount="1234567890123.4", currency="EUR", occurred_at=AT)
    data = to_dict(money)
    assert data["amount"] == "1234567890123.40"
    assert from_dict(Transaction, data).minor_units == 123456789012340


@pytest.mark.parametrize(
    "event",
    [
        CustomerCreated(uuid7()),
        CustomerUpdated(uuid7(), 3),
        ContactAdded(uuid7(), uuid7()),
        ContactUpdated(uuid7(), uuid7(), 2),
        TouchpointRecorded(uuid7(), uuid7(), Channel.SMS, AT),
        TransactionRecorded(uuid7(), uuid7(), TransactionKind.REFUND),
        TouchpointsImported(5),
        TransactionsImported(0),
        ConsentChanged(uuid7(), Purpose.MARKETING, None, ConsentStatus.WITHDRAWN),
    ],
    ids=type,
)
def test_every_domain_event_round_trips(event: Any) -> None:
    data = to_dict(event)
    assert json.loads(json.dumps(data)) == data
    assert from_dict(type(event), data) == event
    assert from_json(type(event), to_json(event)) == event


def test_event_fields_are_checked_strictly() -> None:
    with pytest.raises(ValidationError) as caught:
        from_dict(
            TouchpointRecorded,
            {
                "touchpoint_id": "x",
                "customer_id": 1,
                "channel": "pigeon",
                "occurred_at": "2025-01-01T00:00:00",
            },
        )
    assert set(caught.value.paths) == {"touchpoint_id", "customer_id", "channel", "occurred_at"}


# Arbitrary JSON values to put where the real ones belong.
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
ENTITIES = st.one_of(
    strategies.customers(),
    strategies.contacts(),
    strategies.consent_records(),
    strategies.touchpoints(),
    strategies.transactions(),
)


def corrupt(data: Any, draw: st.DrawFn) -> Any:
    """Replace one value somewhere inside ``data`` with junk, or add an unknown key."""
    if isinstance(data, dict) and data and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(data)))
        return {**data, key: corrupt(data[key], draw)}
    if isinstance(data, list) and data and draw(st.booleans()):
        index = draw(st.integers(0, len(data) - 1))
        return [*data[:index], corrupt(data[index], draw), *data[index + 1 :]]
    if isinstance(data, dict) and draw(st.booleans()):
        return {**data, draw(st.text(max_size=5)): draw(JUNK)}
    return draw(JUNK)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(ENTITIES, st.data())
def test_corrupted_input_raises_only_validation_errors(entity: Any, data: st.DataObject) -> None:
    bad = corrupt(to_dict(entity), data.draw)
    try:
        rebuilt = from_dict(type(entity), bad)
    except ValidationError as error:
        problems = [e.problem for e in error.errors]
        located = all(e.path for e in error.errors)
    else:  # the junk happened to be acceptable: then it built a valid entity
        assert type(rebuilt) is type(entity)
        return
    assert problems
    assert all(problems)
    assert located or not isinstance(bad, dict)  # inside an object, every problem has a path
