"""Reading dicts and JSON: strict, and every problem reported with its path."""

from __future__ import annotations

import json
import typing
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore import registry
from relcore.domain import (
    Channel,
    ConsentChanged,
    ConsentRecord,
    ConsentStatus,
    Contact,
    ContactAdded,
    ContactPoint,
    ContactUpdated,
    Customer,
    CustomerCreated,
    CustomerMetrics,
    CustomerUpdated,
    Identity,
    PostalAddress,
    Purpose,
    SegmentEntered,
    Touchpoint,
    TouchpointRecorded,
    TouchpointsImported,
    Transaction,
    TransactionKind,
    TransactionRecorded,
    TransactionsImported,
    ValueRun,
)
from relcore.errors import ValidationError
from relcore.feedback import FeedbackResponse
from relcore.ids import uuid7
from relcore.marketing import Campaign, CampaignMember, CustomerScore, ScoringPlan, Suppression
from relcore.marketing._scoring_testing import golden_plan
from relcore.partners import OpportunityPartner, PartnerProfile
from relcore.sales import Opportunity, OpportunityChange, Pipeline, Stage
from relcore.segments.model import Segment
from relcore.serialization import from_dict, from_json, to_dict, to_json
from relcore.service import (
    Case,
    CaseChange,
    CaseCondition,
    CaseStatus,
    SlaMark,
    SlaPolicy,
    SlaPolicyRevision,
    SlaTarget,
)
from relcore.testing import (
    feedback_strategies,
    partner_strategies,
    sales_strategies,
    service_strategies,
    strategies,
)

AT = datetime(2025, 1, 1, tzinfo=UTC)


def test_every_offending_path_is_named_at_once() -> None:
    data = {
        "customer_id": "x",
        "channel": "Pigeon post",
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
    data.update(channel="Pigeon post", sentiment=True, payload={"a": [1, {"x": float("nan")}]})
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
                "channel": "Pigeon post",
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


def _field_values(hint: Any, name: str) -> st.SearchStrategy[Any]:
    """Valid values of one field of an event, from its type."""
    optional = type(None) in typing.get_args(hint)
    base = next((a for a in typing.get_args(hint) if a is not type(None)), hint)
    if (
        base is UUID
        or (isinstance(base, type) and issubclass(base, UUID))
        or getattr(base, "__supertype__", None) is UUID
    ):
        values: st.SearchStrategy[Any] = st.builds(uuid7)
    elif base is datetime:
        values = strategies.aware_datetimes()
    elif base is int:
        values = st.integers(1 if name == "version" else 0, 1000 if name == "score" else 2**31 - 1)
    elif isinstance(base, type) and issubclass(base, Enum):
        values = st.sampled_from(list(base))
    elif base is str and name in {
        "stage",
        "from_stage",
        "to_stage",
        "reason",
        "status",
        "from_status",
        "to_status",
    }:
        values = sales_strategies.keys()
    elif base is str and name.endswith("label"):  # a scoring threshold's label
        values = st.sampled_from(["MQL", "SQL", "A", "hot ✦"])
    elif base is float:
        values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
    else:
        raise AssertionError(f"no values for {name}: {hint}")
    return st.none() | values if optional else values


def _events(cls: type) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    return st.builds(cls, **{f.name: _field_values(hints[f.name], f.name) for f in attrs.fields(cls)})


STRATEGIES: dict[type, st.SearchStrategy[Any]] = {
    Customer: strategies.customers(),
    Contact: strategies.contacts(),
    ConsentRecord: strategies.consent_records(),
    Touchpoint: strategies.touchpoints(),
    Transaction: strategies.transactions(),
    Identity: strategies.identities(),
    ContactPoint: strategies.contact_points(),
    PostalAddress: strategies.postal_addresses(),
    Segment: st.builds(Segment, name=strategies.texts(max_size=200), kind=st.just("static")),
    CustomerMetrics: st.builds(
        CustomerMetrics,
        customer_id=st.builds(uuid7),
        as_of=strategies.aware_datetimes(),
        run_id=st.builds(uuid7),
    ),
    ValueRun: st.builds(ValueRun, as_of=strategies.aware_datetimes()),
    Pipeline: sales_strategies.pipelines(),
    Stage: sales_strategies.stages(),
    Opportunity: sales_strategies.opportunities(),
    OpportunityChange: sales_strategies.opportunity_changes(),
    PartnerProfile: partner_strategies.partner_profiles(),
    Campaign: st.builds(
        Campaign,
        name=strategies.texts(1, 200),
        channel=st.sampled_from(["email", "sms", "postal"]),
        created_at=strategies.aware_datetimes(),
    )
    | st.builds(
        Campaign,
        name=strategies.texts(1, 200),
        channel=st.sampled_from(["email", "sms", "postal"]),
        budget=st.decimals(0, 10**6, places=2),
        currency=st.just("EUR"),
        created_at=strategies.aware_datetimes(),
    ),
    CampaignMember: st.builds(
        CampaignMember,
        campaign_id=st.builds(uuid7),
        customer_id=st.builds(uuid7),
        address=st.none() | st.just("ada@example.com"),
        variant=st.none() | st.sampled_from(["a", "b_2"]),
        status=st.just("targeted"),
        excluded=st.none() | st.sampled_from(["suppressed", "control_group"]),
        added_at=strategies.aware_datetimes(),
    ),
    Suppression: st.builds(
        Suppression,
        kind=st.just("domain"),
        value=st.sampled_from(["example.com", "Spam.Test"]),
        reason=strategies.texts(1, 200),
        created_at=strategies.aware_datetimes(),
    ),
    ScoringPlan: st.builds(golden_plan, strategies.texts(1, 100)),
    CustomerScore: st.builds(
        CustomerScore,
        plan_id=st.builds(uuid7),
        plan=strategies.texts(1, 100),
        customer_id=st.builds(uuid7),
        plan_version=st.integers(1, 10),
        as_of=strategies.aware_datetimes(),
        total=st.floats(-1e6, 1e6),
        label=st.none() | st.just("MQL"),
        fit=st.none() | st.floats(-1e6, 1e6),
    ),
    OpportunityPartner: partner_strategies.opportunity_partners(),
    CaseStatus: service_strategies.case_statuses(),
    SlaPolicy: service_strategies.sla_policies(),
    SlaPolicyRevision: service_strategies.sla_revisions(),
    Case: service_strategies.cases(),
    CaseChange: service_strategies.case_changes(),
    SlaMark: service_strategies.sla_marks(),
    CaseCondition: service_strategies.case_conditions(),
    SlaTarget: service_strategies.sla_targets(),
    FeedbackResponse: feedback_strategies.feedback_responses(),
    **{cls: _events(cls) for cls in registry.event_classes()},
}
"""Valid instances of every class the registry exchanges as JSON."""

ENTITIES = st.one_of(*(STRATEGIES[cls] for cls in registry.entity_classes()))


def test_every_class_the_registry_exchanges_has_values_here() -> None:
    assert set(registry.entity_classes()) == set(STRATEGIES)
    assert {Customer, Contact, Touchpoint, Segment, CustomerMetrics, SegmentEntered} <= set(STRATEGIES)


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


# -- dates ---------------------------------------------------------------------


@attrs.frozen
class Deal:
    """A stand-in for a future entity with calendar dates (an opportunity's close date)."""

    name: str
    closes_on: date
    signed_at: datetime | None = None
    reminder_on: date | None = None
    milestones: tuple[date, ...] = ()


class Day(date):
    """A date subclass: read back as a plain date."""

    def isoformat(self) -> str:
        return "not a date"


def _deal(**changes: object) -> dict[str, Any]:
    return {"name": "Renewal", "closes_on": "2026-06-30", **changes}


def test_dates_are_written_as_yyyy_mm_dd_and_read_back() -> None:
    deal = Deal(
        "Renewal",
        date(2026, 6, 30),
        signed_at=datetime(2026, 6, 30, 17, 5, tzinfo=UTC),
        milestones=(date(2026, 1, 2), date(5, 3, 4)),
    )
    data = to_dict(deal)
    assert data == {
        "name": "Renewal",
        "closes_on": "2026-06-30",
        "signed_at": "2026-06-30T17:05:00+00:00",  # a datetime keeps its time
        "reminder_on": None,
        "milestones": ["2026-01-02", "0005-03-04"],  # always four digits of year
    }
    assert json.loads(to_json(deal)) == data
    rebuilt = from_dict(Deal, data)
    assert rebuilt == deal
    assert type(rebuilt.closes_on) is date
    assert from_json(Deal, to_json(deal)) == deal
    assert from_dict(Deal, _deal(reminder_on="2026-06-01")).reminder_on == date(2026, 6, 1)


@settings(max_examples=100, deadline=None)
@given(st.dates())
def test_every_date_round_trips(day: date) -> None:
    deal = Deal("Renewal", day)
    text = to_dict(deal)["closes_on"]
    assert len(text) == 10
    assert from_dict(Deal, to_dict(deal)) == deal


def test_date_objects_and_subclasses_are_read_and_written_as_plain_dates() -> None:
    assert from_dict(Deal, _deal(closes_on=date(2026, 6, 30))).closes_on == date(2026, 6, 30)
    assert to_dict(Deal("Renewal", Day(2026, 6, 30)))["closes_on"] == "2026-06-30"
    read = from_dict(Deal, _deal(closes_on=Day(2026, 6, 30))).closes_on
    assert type(read) is date
    assert read == date(2026, 6, 30)


NOT_A_DATE = "not an ISO 8601 date (YYYY-MM-DD)"
NOT_IN_THE_CALENDAR = "not a calendar date (YYYY-MM-DD)"
WITH_A_TIME = "expected a date without a time"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2026-06-30T00:00:00", WITH_A_TIME),
        ("2026-06-30T00:00:00+00:00", WITH_A_TIME),
        ("2026-06-30 12:00", WITH_A_TIME),
        ("20260630", NOT_A_DATE),  # ISO basic format: date.fromisoformat takes it, relcore does not
        ("2026-W26-2", NOT_A_DATE),  # ISO week date
        ("2026-181", NOT_A_DATE),  # ISO ordinal date
        ("2026-6-30", NOT_A_DATE),
        ("26-06-30", NOT_A_DATE),
        ("30/06/2026", NOT_A_DATE),
        ("+2026-06-30", NOT_A_DATE),
        (" 2026-06-30", NOT_A_DATE),
        ("2026-06-30\n", NOT_A_DATE),
        ("2026-06-30Z", NOT_A_DATE),
        ("\uff12\uff10\uff12\uff16-06-30", NOT_A_DATE),  # full-width digits
        ("\u0662\u0660\u0662\u0666-06-30", NOT_A_DATE),  # Arabic-Indic digits
        ("", NOT_A_DATE),
        ("2026-06-31", NOT_IN_THE_CALENDAR),
        ("2026-02-29", NOT_IN_THE_CALENDAR),
        ("2026-13-01", NOT_IN_THE_CALENDAR),
        ("0000-01-01", NOT_IN_THE_CALENDAR),
        (20260630, "expected an ISO 8601 date string (YYYY-MM-DD), got int"),
        (2026.5, "expected an ISO 8601 date string (YYYY-MM-DD), got float"),
        (True, "expected an ISO 8601 date string (YYYY-MM-DD), got bool"),
        (None, "expected an ISO 8601 date string (YYYY-MM-DD), got NoneType"),
        ([2026, 6, 30], "expected an ISO 8601 date string (YYYY-MM-DD), got list"),
        ({"year": 2026}, "expected an ISO 8601 date string (YYYY-MM-DD), got dict"),
        (datetime(2026, 6, 30, tzinfo=UTC), "expected a date, got a datetime"),
        (datetime(2026, 6, 30), "expected a date, got a datetime"),
    ],
    ids=repr,
)
def test_a_bad_date_is_refused_with_its_path_and_without_its_value(value: object, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        from_dict(Deal, _deal(closes_on=value))
    assert [(e.path, e.problem) for e in caught.value.errors] == [("closes_on", problem)]
    error: BaseException | None = caught.value
    while error is not None:  # neither the message nor anything chained to it quotes the value
        if isinstance(value, str) and value.strip():
            assert value.strip() not in str(error)
        assert "2026-06-30" not in str(error)
        error = error.__cause__ or error.__context__


def test_bad_dates_are_named_in_lists_and_optional_fields_with_the_other_problems() -> None:
    data = _deal(name=7, reminder_on="2026-06-30T09:00", milestones=["2026-01-02", "2026-02-30", 3])
    with pytest.raises(ValidationError) as caught:
        from_dict(Deal, data)
    assert {e.path: e.problem for e in caught.value.errors} == {
        "name": "expected text, got int",
        "reminder_on": WITH_A_TIME,
        "milestones[1]": NOT_IN_THE_CALENDAR,
        "milestones[2]": "expected an ISO 8601 date string (YYYY-MM-DD), got int",
    }


def test_a_datetime_field_still_refuses_a_bare_date() -> None:
    with pytest.raises(ValidationError) as caught:
        from_dict(Deal, _deal(signed_at="2026-06-30"))
    assert caught.value.paths == ("signed_at",)
