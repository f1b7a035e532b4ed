"""The JSON and text forms: exact round trips, the JSON Schema, and untrusted input failing one way only."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore.errors import InvalidRuleError
from relcore.segments import (
    MAX_DEPTH,
    MAX_TEXT_INPUT,
    And,
    Condition,
    Not,
    Op,
    Or,
    Rule,
    field,
    from_json,
    json_schema,
    parse,
    to_json,
    to_text,
    touchpoints,
    transactions,
    validate,
)
from tests.segments.test_differential import CATALOGUE, rules

SCHEMA = json_schema()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=rules())
def test_json_round_trip_is_exact(rule: Rule) -> None:
    checked = validate(rule, CATALOGUE)
    document = json.loads(json.dumps(to_json(checked)))
    jsonschema.validate(document, SCHEMA)
    assert from_json(document, catalogue=CATALOGUE) == checked


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=rules())
def test_text_round_trip_is_exact(rule: Rule) -> None:
    checked = validate(rule, CATALOGUE)
    assert parse(to_text(checked), catalogue=CATALOGUE) == checked


def test_text_golden_examples() -> None:
    rule = (
        (field("stage") == "customer")
        & (touchpoints(channel="email", direction="inbound").within(days=30).count() >= 3)
        & ~field("tags").has_tag("churn-risk")
    )
    text = (
        'stage == "customer" and touchpoints(channel == "email", direction == "inbound", within=30d)'
        '.count >= 3 and not tags has tag "churn-risk"'
    )
    assert to_text(rule) == text
    assert parse(text) == validate(rule)
    spaced = parse(
        '  stage=="customer"\nand touchpoints( channel=="email" , direction=="inbound",within=30d )'
        '.count>=3\n and not tags has tag "churn-risk" '
    )
    assert spaced == validate(rule)


def test_text_precedence_and_grouping() -> None:
    a, b, c = (Condition("stage", Op.EQ, s) for s in ("lead", "customer", "churned"))
    assert parse('stage == "lead" or stage == "customer" and stage == "churned"') == Or((a, And((b, c))))
    assert parse('not stage == "lead" and stage == "customer"') == And((Not(a), b))
    nested = And((And((a, b)), c))
    assert to_text(nested) == '(stage == "lead" and stage == "customer") and stage == "churned"'
    assert parse(to_text(nested)) == nested
    assert to_text(And(())) == "all()"
    assert to_text(Or((a,))) == 'any(stage == "lead")'


def test_text_literals() -> None:
    when = datetime(2025, 2, 1, tzinfo=UTC)
    rule = (transactions(kind="order", currency="EUR").sum().between(Decimal("10.50"), Decimal(500))) & (
        field("created_at") < when
    )
    text = to_text(rule)
    assert 'd"10.50"' in text
    assert 't"2025-02-01T00:00:00+00:00"' in text
    assert parse(text) == validate(rule)
    tricky = field("name").isin(['quote " back \\ tab \t nl \n', "😀", "\u2028", "\x7f"])
    assert parse(to_text(tricky)) == validate(tricky)
    assert parse(r'name == "\u00e9\U0001F600"') == Condition("name", Op.EQ, "é😀")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "at 1:1"),
        ("stage ==", "expected a value"),
        ('stage == "lead', "unterminated string"),
        ('stage == "lead" and', "expected a field"),
        ('stage == "lead" garbage', "expected the end"),
        ('stage ~ "lead"', "unexpected character"),
        ('touchpoints(channel == "email").median > 1', "expected count"),
        ('touchpoints(channel == "email", within=30).count > 1', "number of days"),
        ('name == "\\q"', "unknown escape"),
        ('name == "\\u12"', "hex digits"),
        ('stage == "lead"\n and stage', "at 2:11: expected a comparison"),
        ("stage == 1" + "0" * 50, "number too long"),
        ('created_at < t"yesterday"', "not a valid datetime"),
        ("(" * 200 + 'stage == "lead"' + ")" * 200, "deeper than"),
        ("not " * 200 + 'stage == "lead"', "deeper than"),
        ('password == "x"', "unknown field"),
    ],
)
def test_text_errors_say_where(text: str, words: str) -> None:
    with pytest.raises(InvalidRuleError, match=words):
        parse(text)


def test_text_input_length_is_limited() -> None:
    with pytest.raises(InvalidRuleError, match="longer than"):
        parse(" " * (MAX_TEXT_INPUT + 1))


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({}, "rule", "missing key"),
        ({"version": 2, "rule": {}}, "version", "unsupported format version"),
        ({"version": True, "rule": {}}, "version", "unsupported"),
        ({"version": 1, "rule": {"type": "xor"}}, "rule.type", "unknown node type"),
        ({"version": 1, "rule": {"type": "and", "rules": {}}}, "rule.rules", "expected an array"),
        ({"version": 1, "rule": {"type": "and", "rules": [], "extra": 1}}, "rule", "unknown key 'extra'"),
        ({"version": 1, "rule": {"type": "condition", "field": "stage", "op": "==", "value": {"when": "x"}}},
         "rule.value", "unknown value tag"),
        ({"version": 1, "rule": {"type": "condition", "field": "stage", "op": "==", "value": [[1]]}},
         "rule.value[0]", "lists do not nest"),
        ({"version": 1, "rule": {"type": "condition", "field": "stage", "op": "==", "value": "king"}},
         "rule.value", "is not a stage"),
        ({"version": 1, "rule": {"type": "not", "rule": {"type": "condition", "field": 7, "op": "=="}}},
         "rule.rule.field", "expected a string"),
        ({"version": 1, "rule": {"type": "condition", "field": "created_at", "op": "<",
                                 "value": {"datetime": "2025-01-01T00:00:00"}}}, "rule.value", "naive"),
        ({"version": 1, "rule": {"type": "condition", "field": "name", "op": "==", "value": float("nan")}},
         "rule.value", "finite"),
    ],
)  # fmt: skip
def test_json_errors_point_at_the_node(data: object, path: str, words: str) -> None:
    with pytest.raises(InvalidRuleError) as caught:
        from_json(data)
    assert caught.value.paths == (path,)
    assert words in str(caught.value)


def test_json_depth_is_checked_before_recursing() -> None:
    data: dict[str, Any] = {"type": "condition", "field": "stage", "op": "==", "value": "lead"}
    for _ in range(100_000):
        data = {"type": "not", "rule": data}
    with pytest.raises(InvalidRuleError, match=f"deeper than {MAX_DEPTH}"):
        from_json({"version": 1, "rule": data})


def test_stored_rules_can_be_read_without_a_catalogue() -> None:
    data = to_json(field("attributes.region") == "north")
    with pytest.raises(InvalidRuleError, match="unknown field"):
        from_json(data)
    assert from_json(data, catalogue=None) == Condition("attributes.region", Op.EQ, "north")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=25,
)
_KEYS = st.sampled_from(["type", "rules", "rule", "field", "op", "value", "events", "where", "within_days",
                         "measure", "full_window", "version", "decimal", "datetime", "uuid"])  # fmt: skip
_NEAR = st.recursive(
    st.sampled_from([None, True, 1, -1, 0.5, "and", "or", "not", "condition", "aggregate", "stage", "==",
                     "in", "count", "touchpoints", "email", "lead", "2025-01-01T00:00:00+00:00"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=6),
    max_leaves=30,
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(data=st.one_of(_JSON, _NEAR, st.fixed_dictionaries({"version": st.just(1), "rule": _NEAR})))
def test_fuzzed_json_fails_only_with_invalid_rule_error(data: object) -> None:
    with contextlib.suppress(InvalidRuleError):
        from_json(data)


_WORDS = [
    *("stage", "==", '"lead"', "and", "or", "not", "(", ")", "[", "]", ",", "in", "touchpoints", ".count"),
    *(">=", "3", "within=30d", "has", "tag", 'd"1.5"', 't"2025-01-01"', 'u"x"', "all(", "any(", "is", "set"),
    *("\\", '"', "30d"),
]


@settings(max_examples=500, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=80),
        st.lists(st.sampled_from(_WORDS), max_size=20).map(" ".join),
    )
)  # fmt: skip
def test_fuzzed_text_fails_only_with_invalid_rule_error(text: str) -> None:
    with contextlib.suppress(InvalidRuleError):
        parse(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=rules(), data=st.data())
def test_mutated_texts_fail_only_with_invalid_rule_error(rule: Rule, data: st.DataObject) -> None:
    text = to_text(validate(rule, CATALOGUE))
    cut = data.draw(st.integers(0, len(text)))
    insert = data.draw(st.sampled_from(["", '"', "(", ")", "and", " ", "\\", "d", "[", "9" * 30]))
    with contextlib.suppress(InvalidRuleError):
        parse(text[:cut] + insert + text[cut + data.draw(st.integers(0, 3)) :], catalogue=CATALOGUE)
