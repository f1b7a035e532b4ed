"""The JSON form: a golden document, typed values, the schema, and refusals that name the node."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import jsonschema
import pytest

from relcore.errors import InvalidRuleError
from relcore.segments import (
    DEFAULT_CATALOGUE,
    FORMAT_VERSION,
    MAX_DEPTH,
    MAX_LIST_VALUES,
    MAX_NODES,
    MAX_TEXT_LENGTH,
    Aggregate,
    And,
    Condition,
    Events,
    Measure,
    Not,
    Op,
    Or,
    field,
    from_json,
    json_schema,
    to_json,
    touchpoints,
    transactions,
    validate,
)

CATALOGUE = DEFAULT_CATALOGUE.with_attributes(plan="text", seats="number", trial="bool")
SCHEMA = json_schema()
CAMPAIGN = UUID("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
WHEN = datetime(2025, 1, 1, tzinfo=UTC)

GOLDEN_RULE = Or(
    (
        And(
            (
                Condition("stage", Op.EQ, "customer"),
                Aggregate(
                    Events.TOUCHPOINTS,
                    (Condition("channel", Op.EQ, "email"), Condition("campaign_id", Op.IN, (CAMPAIGN,))),
                    30,
                    Measure.COUNT,
                    Op.GE,
                    3,
                    full_window=True,
                ),
            )
        ),
        Not(Condition("tags", Op.HAS_ANY, ("vip", "b2b"))),
        Aggregate(
            Events.TRANSACTIONS,
            (Condition("currency", Op.EQ, "EUR"),),
            None,
            Measure.SUM,
            Op.BETWEEN,
            (Decimal("500.00"), Decimal(1000)),
        ),
        Condition("created_at", Op.LT, WHEN),
        Condition("attributes.seats", Op.IN, (1, 2.5)),
        Condition("country", Op.IS_NOT_SET),
        Condition("attributes.trial", Op.EQ, True),
    )
)
GOLDEN_DOCUMENT: dict[str, Any] = {
    "version": 1,
    "rule": {
        "type": "or",
        "rules": [
            {
                "type": "and",
                "rules": [
                    {"type": "condition", "field": "stage", "op": "==", "value": "customer"},
                    {
                        "type": "aggregate",
                        "events": "touchpoints",
                        "where": [
                            {"field": "channel", "op": "==", "value": "email"},
                            {"field": "campaign_id", "op": "in", "value": [{"uuid": str(CAMPAIGN)}]},
                        ],
                        "within_days": 30,
                        "measure": "count",
                        "op": ">=",
                        "value": 3,
                        "full_window": True,
                    },
                ],
            },
            {"type": "not",
             "rule": {"type": "condition", "field": "tags", "op": "has any", "value": ["vip", "b2b"]}},
            {
                "type": "aggregate",
                "events": "transactions",
                "where": [{"field": "currency", "op": "==", "value": "EUR"}],
                "within_days": None,
                "measure": "sum",
                "op": "between",
                "value": [{"decimal": "500.00"}, {"decimal": "1000"}],
                "full_window": False,
            },
            {"type": "condition", "field": "created_at", "op": "<",
             "value": {"datetime": "2025-01-01T00:00:00+00:00"}},
            {"type": "condition", "field": "attributes.seats", "op": "in", "value": [1, 2.5]},
            {"type": "condition", "field": "country", "op": "is not set", "value": None},
            {"type": "condition", "field": "attributes.trial", "op": "==", "value": True},
        ],
    },
}  # fmt: skip


def _doc(rule: Any) -> dict[str, Any]:
    return {"version": 1, "rule": rule}


def _condition(field_name: object, op: object, value: object = None) -> dict[str, Any]:
    return {"type": "condition", "field": field_name, "op": op, "value": value}


def _sum(**changes: object) -> dict[str, Any]:
    node: dict[str, Any] = {
        "type": "aggregate",
        "events": "transactions",
        "where": [{"field": "currency", "op": "==", "value": "EUR"}],
        "measure": "sum",
        "op": ">",
        "value": {"decimal": "500.00"},
    }
    return node | changes


def test_golden_document() -> None:
    assert to_json(GOLDEN_RULE) == GOLDEN_DOCUMENT
    assert from_json(GOLDEN_DOCUMENT, catalogue=CATALOGUE) == validate(GOLDEN_RULE, CATALOGUE)
    jsonschema.validate(GOLDEN_DOCUMENT, SCHEMA)


def test_golden_document_survives_json_text() -> None:
    text = json.dumps(GOLDEN_DOCUMENT, sort_keys=True)
    assert from_json(json.loads(text), catalogue=CATALOGUE) == validate(GOLDEN_RULE, CATALOGUE)


def test_builder_rule_in_json() -> None:
    rule = (field("stage") == "customer") & (touchpoints(channel="email").within(days=30).count() >= 3)
    assert to_json(rule)["rule"]["rules"][1] == {
        "type": "aggregate",
        "events": "touchpoints",
        "where": [{"field": "channel", "op": "==", "value": "email"}],
        "within_days": 30,
        "measure": "count",
        "op": ">=",
        "value": 3,
        "full_window": False,
    }


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("3", "3"),
        (3, 3),
        (3.0, 3.0),
        (-0.0, -0.0),
        (True, True),
        (Decimal("12.50"), {"decimal": "12.50"}),
        (Decimal("1E+3"), {"decimal": "1E+3"}),
        (datetime(2025, 1, 1, 9, 30, 0, 1, tzinfo=timezone(timedelta(hours=2))),
         {"datetime": "2025-01-01T09:30:00.000001+02:00"}),
        (CAMPAIGN, {"uuid": str(CAMPAIGN)}),
        (("a", 1), ["a", 1]),
        (None, None),
    ],
)  # fmt: skip
def test_values_are_typed_unambiguously(value: object, written: object) -> None:
    document = to_json(Condition("x", Op.EQ, value))
    assert document["rule"]["value"] == written
    back = from_json(json.loads(json.dumps(document)), catalogue=None)
    assert isinstance(back, Condition)
    assert back.value == value
    assert type(back.value) is type(value)
    if isinstance(value, tuple):
        assert [type(v) for v in back.value] == [type(v) for v in value]  # type: ignore[union-attr]


def test_optional_keys_have_defaults() -> None:
    short = _doc({"type": "aggregate", "events": "touchpoints", "measure": "count", "op": ">=", "value": 1})
    assert from_json(short) == Aggregate(Events.TOUCHPOINTS, (), None, Measure.COUNT, Op.GE, 1)
    assert from_json(_doc({"type": "condition", "field": "country", "op": "is set"})) == Condition(
        "country", Op.IS_SET
    )


def test_from_json_does_not_change_its_input() -> None:
    document = copy.deepcopy(GOLDEN_DOCUMENT)
    from_json(document, catalogue=CATALOGUE)
    assert document == GOLDEN_DOCUMENT


def test_the_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["version"] == {"const": FORMAT_VERSION}


@pytest.mark.parametrize(
    "document",
    [
        {"version": 2, "rule": _condition("stage", "==", "lead")},
        _doc({"type": "xor", "rules": []}),
        _doc(_condition("stage", "~", "lead")),
        _doc(_condition("stage", "==", {"decimal": "1", "uuid": "x"})),
        _doc(_condition("stage", "==", {"decimal": " 1"})),
        _doc(_condition("stage", "==", [])),
        _doc(_condition("stage", "==", [[1]])),
        _doc({**_condition("stage", "==", "lead"), "extra": 1}),
        _doc(_sum(where=[{"field": "currency", "op": "==", "value": "EUR", "type": "condition"}])),
        _doc(_sum(full_window="yes")),
        _doc(_sum(within_days=1.5)),
        {"rule": _condition("stage", "==", "lead")},
    ],
)
def test_the_schema_refuses_what_from_json_refuses(document: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)
    with pytest.raises(InvalidRuleError):
        from_json(document, catalogue=CATALOGUE)


NEST = {"type": "and", "rules": [{"type": "not", "rule": _condition("stage", "==", "lead")}]}


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        # the document
        (None, "rule", "expected an object, got null"),
        ([], "rule", "expected an object, got list"),
        ({"version": 1}, "rule", "missing key 'rule'"),
        ({"version": 1, "rule": {}, "comment": "x"}, "rule", "unknown key 'comment'"),
        ({"version": 1.0, "rule": NEST}, "version", "unsupported format version; expected 1"),
        ({"version": "1", "rule": NEST}, "version", "unsupported format version; expected 1"),
        ({"version": 10**5000, "rule": NEST}, "version", "unsupported format version"),
        # nodes
        (_doc([]), "rule", "expected a rule object, got list"),
        (_doc({"rules": []}), "rule.type", "unknown node type (not shown"),
        (_doc({"type": "AND", "rules": []}), "rule.type", "unknown node type (not shown"),
        (_doc({"type": 10**5000}), "rule.type", "unknown node type (not shown"),
        (_doc({"type": "and"}), "rule", "missing key 'rules'"),
        (_doc({"type": "and", "rules": [], 7: 1}), "rule", "unknown key (not shown"),
        (_doc({"type": "and", "rules": [], 10**5000: 1}), "rule", "unknown key (not shown"),
        (_doc({"type": "or", "rules": [NEST, NEST, {"type": "not"}]}), "rule.rules[2]", "missing key 'rule'"),
        (_doc({"type": "or", "rules": [NEST, "stage"]}), "rule.rules[1]", "expected a rule object, got str"),
        (_doc({"type": "not", "rule": [NEST]}), "rule.rule", "expected a rule object, got list"),
        (_doc({"type": "and", "rules": [None] * (MAX_NODES + 1)}), "rule.rules", f"more than {MAX_NODES}"),
        # conditions
        (_doc(_condition("stage", "=", "lead")), "rule.op", "unknown op; expected one of ==, !="),
        (_doc(_condition("stage", None, "lead")), "rule.op", "expected a string, got null"),
        (_doc({"type": "condition", "op": "=="}), "rule", "missing key 'field'"),
        (_doc(_condition("x" * (MAX_TEXT_LENGTH + 1), "==", 1)), "rule.field", "longer than"),
        (_doc(_condition("stage", "==", 10**5000)), "rule.value", "got int"),
        (_doc(_condition("metrics.clv", "==", 10**400)), "rule.value", "magnitude at most 2**53"),
        (_doc(_condition("metrics.clv", "==", float("inf"))), "rule.value", "finite"),
        (_doc(_condition("stage", "in", ["lead"] * (MAX_LIST_VALUES + 1))), "rule.value", "more than"),
        (_doc(_condition("stage", "in", ["lead", None])), "rule.value[1]", "expected a single value"),
        (_doc(_condition("stage", "in", [{"decimal": "1"}, {}])), "rule.value[1]", "expected one of"),
        (_doc(_condition("stage", "==", ("lead",))), "rule.value", "not a JSON value: tuple"),
        (_doc(_condition("stage", "==", b"lead")), "rule.value", "not a JSON value: bytes"),
        (_doc(_condition("name", "==", "a\x00b")), "rule.value", "NUL"),
        (_doc(_condition("name", "==", "\ud800")), "rule.value", "lone surrogate"),
        (_doc(_condition("stage", "is set", None)), "rule.op", "'is set' does not apply to stage"),
        (_doc(_condition("country", "is set", "FR")), "rule.value", "takes no value"),
        # tagged values
        (_doc(_condition("created_at", "<", {"datetime": "yesterday"})), "rule.value", "not a valid"),
        (_doc(_condition("created_at", "<", {"datetime": 20250101})), "rule.value", "short string"),
        (_doc(_condition("created_at", "<", {"datetime": "2025-01-01"})), "rule.value", "naive"),
        (_doc(_condition("created_at", "<", {"date": "2025-01-01"})), "rule.value", "unknown value tag"),
        (_doc(_condition("created_at", "<", {"datetime": "x" * 65})), "rule.value", "short string"),
        (_doc(_sum(value={"decimal": "NaN"})), "rule.value", "not a valid decimal"),
        (_doc(_sum(value={"decimal": "1_000"})), "rule.value", "not a valid decimal"),
        (_doc(_sum(value={"decimal": " 1"})), "rule.value", "not a valid decimal"),
        (_doc(_sum(value={"decimal": "+1"})), "rule.value", "not a valid decimal"),
        (_doc(_sum(value={"decimal": "1.001"})), "rule.value", "more decimals than EUR"),
        (_doc(_sum(value=500.5)), "rule.value", "exact amount"),
        (_doc(_condition("contact_id", "==", {"uuid": "nope"})), "rule.value", "not a valid uuid"),
        # aggregates
        (_doc(_sum(events="orders")), "rule.events", "unknown history"),
        (_doc(_sum(measure="median")), "rule.measure", "unknown measure; expected one of"),
        (_doc(_sum(op="=")), "rule.op", "unknown op; expected one of"),
        (_doc(_sum(within_days="30")), "rule.within_days", "expected whole days or null, got str"),
        (_doc(_sum(within_days=True)), "rule.within_days", "expected whole days or null, got bool"),
        (_doc(_sum(within_days=0)), "rule.within_days", "from 1 to"),
        (_doc(_sum(full_window=1)), "rule.full_window", "expected true or false, got int"),
        (_doc(_sum(full_window=True)), "rule.full_window", "needs a window"),
        (_doc(_sum(where={})), "rule.where", "expected an array, got dict"),
        (_doc(_sum(where=["currency"])), "rule.where[0]", "expected an object, got str"),
        (_doc(_sum(where=[{"field": "currency", "op": "==", "value": "EUR", "type": "condition"}])),
         "rule.where[0]", "unknown key 'type'"),
        (_doc(_sum(where=[{"field": "currency", "value": "EUR"}])), "rule.where[0]", "missing key 'op'"),
        (_doc(_sum(where=[])), "rule.where", "needs one currency"),
        (_doc(_sum(where=[{"field": "stage", "op": "==", "value": "lead"}])),
         "rule.where[0].field", "unknown transactions field 'stage'"),
        (_doc(_sum(events="touchpoints", where=[])), "rule.measure", "touchpoints have no sum"),
        (_doc({"type": "not", "rule": _sum(value=3)}), "rule.rule.value", None),
    ],
)  # fmt: skip
def test_errors_name_the_node(data: object, path: str, words: str | None) -> None:
    if words is None:  # a valid rule: an int amount is exact
        assert from_json(data) == Not(validate(from_json(data, catalogue=None).rule))  # type: ignore[union-attr]
        return
    with pytest.raises(InvalidRuleError) as caught:
        from_json(data)
    assert caught.value.paths == (path,), caught.value
    assert words in caught.value.errors[0].problem


def test_errors_from_validation_keep_their_path_under_rule() -> None:
    data = to_json(And((Condition("stage", Op.EQ, "lead"), Or((Condition("stage", Op.EQ, "king"),)))))
    with pytest.raises(InvalidRuleError) as caught:
        from_json(data)
    assert caught.value.paths == ("rule.rules[1].rules[0].value",)


@pytest.mark.parametrize("kind", ["not", "and"])
def test_depth_is_checked_before_recursing(kind: str) -> None:
    data: dict[str, Any] = _condition("stage", "==", "lead")
    for _ in range(100_000):
        data = {"type": "not", "rule": data} if kind == "not" else {"type": "and", "rules": [data]}
    with pytest.raises(InvalidRuleError) as caught:
        from_json(_doc(data))
    assert f"nested deeper than {MAX_DEPTH} levels" in str(caught.value)
    assert caught.value.paths[0].count("rule") == MAX_DEPTH + 2


def test_depth_limit_is_exact() -> None:
    deepest: dict[str, Any] = _condition("stage", "==", "lead")
    for _ in range(MAX_DEPTH):
        deepest = {"type": "not", "rule": deepest}
    assert from_json(_doc(deepest)) is not None
    with pytest.raises(InvalidRuleError, match="nested deeper"):
        from_json(_doc({"type": "not", "rule": deepest}))


def test_node_count_is_limited_while_reading() -> None:
    wide = {"type": "and", "rules": [{"type": "or", "rules": [NEST] * 100}] * 5}
    with pytest.raises(InvalidRuleError, match=f"more than {MAX_NODES} nodes"):
        from_json(_doc(wide))


def test_self_referencing_data_fails_cleanly() -> None:
    loop: dict[str, Any] = {"type": "not"}
    loop["rule"] = loop
    with pytest.raises(InvalidRuleError, match="nested deeper"):
        from_json(_doc(loop))
    values: list[Any] = []
    values.append(values)
    with pytest.raises(InvalidRuleError, match="lists do not nest"):
        from_json(_doc(_condition("stage", "in", values)))


def test_without_a_catalogue_only_the_structure_is_checked() -> None:
    data = _doc(_condition("attributes.region", "starts with", "nor"))
    with pytest.raises(InvalidRuleError, match="unknown field"):
        from_json(data)
    assert from_json(data, catalogue=None) == Condition("attributes.region", Op.STARTS_WITH, "nor")
    assert from_json(data, catalogue=DEFAULT_CATALOGUE.with_attributes(region="text")) is not None
    with pytest.raises(InvalidRuleError, match="unknown op"):
        from_json(_doc(_condition("stage", "like", "x")), catalogue=None)
    with pytest.raises(InvalidRuleError, match="whole days"):
        from_json(_doc(_sum(within_days="soon")), catalogue=None)


def test_transactions_in_json_are_exact() -> None:
    rule = transactions(kind="order", currency="JPY").within(days=365).average().between(1, Decimal("1E+3"))
    back = from_json(json.loads(json.dumps(to_json(rule))))
    assert back == validate(rule)
    assert isinstance(back, Aggregate)
    assert back.value == (Decimal(1), Decimal("1E+3"))
