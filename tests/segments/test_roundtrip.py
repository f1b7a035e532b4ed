"""The public rule strategies draw valid rules, and every valid rule survives both forms exactly."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore.segments import (
    DEFAULT_CATALOGUE,
    MAX_DEPTH,
    Aggregate,
    And,
    Condition,
    Events,
    Measure,
    Not,
    Op,
    Or,
    Rule,
    from_json,
    json_schema,
    parse,
    to_json,
    to_text,
    validate,
)
from relcore.testing.segment_strategies import HOSTILE_TEXTS, REFERENCE_TIME, leaves, rules

CATALOGUE = DEFAULT_CATALOGUE.with_attributes(plan="text", seats="number", trial="bool")
SCHEMA = json_schema()
SLOW = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _nodes(rule: Rule) -> list[Rule]:
    match rule:
        case And(rules=rules) | Or(rules=rules):
            return [rule, *(n for r in rules for n in _nodes(r))]
        case Not(rule=inner):
            return [rule, *_nodes(inner)]
        case _:
            return [rule]


@SLOW
@given(rule=rules(CATALOGUE))
def test_generated_rules_validate(rule: Rule) -> None:
    checked = validate(rule, CATALOGUE)
    assert validate(checked, CATALOGUE) == checked  # normalizing twice changes nothing


@settings(max_examples=200, deadline=None)
@given(rule=rules(max_depth=0))
def test_depth_zero_draws_leaves(rule: Rule) -> None:
    assert isinstance(rule, Condition | Aggregate)


@settings(max_examples=100, deadline=None)
@given(
    rule=leaves(
        CATALOGUE,
        tags=["t1"],
        countries=["XX"],
        names=["only"],
        texts=st.just("only"),
        numbers=[7],
        attribute_values={"plan": ["gold", 3], "seats": [4]},
        fields=["tags", "country", "name", "attributes.plan", "attributes.seats"],
        events=(),
    )
)
def test_value_pools_are_respected(rule: Rule) -> None:
    assert isinstance(rule, Condition)
    values = rule.value if isinstance(rule.value, tuple) else (rule.value,)
    allowed: dict[str, set[Any]] = {
        "tags": {"t1"},
        "country": {"XX", "only"},
        "name": {"only"},
        "attributes.plan": {"gold"},  # 3 does not fit a text attribute: left out
        "attributes.seats": {4},
    }
    assert set(values) <= allowed[rule.field] | {None}


def test_generated_rules_cover_every_node_operator_and_measure() -> None:
    seen: Counter[object] = Counter()

    @settings(max_examples=600, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(rule=rules(CATALOGUE, campaign_ids=[UUID(int=1)]))
    def collect(rule: Rule) -> None:
        for node in _nodes(rule):
            seen[type(node)] += 1
            if isinstance(node, And | Or):
                seen[type(node), len(node.rules)] += 1
            if isinstance(node, Condition | Aggregate):
                seen[Op(node.op)] += 1
            if isinstance(node, Aggregate):
                seen[node.events, node.measure] += 1
                seen["full_window"] += node.full_window
                seen["where"] += len(node.where)
                for condition in node.where:
                    seen[Op(condition.op)] += 1
            if isinstance(node, Condition) and isinstance(node.value, str):
                seen["hostile"] += node.value in HOSTILE_TEXTS

    collect()
    assert {And, Or, Not, Condition, Aggregate} <= set(seen)
    assert {(And, 0), (And, 1), (Or, 0), (Or, 2)} <= set(seen)
    assert set(Op) <= set(seen), set(Op) - set(seen)
    assert {(Events.TRANSACTIONS, m) for m in Measure} <= set(seen)
    assert {(Events.TOUCHPOINTS, m) for m in (Measure.COUNT, Measure.FIRST, Measure.LAST)} <= set(seen)
    assert seen["full_window"]
    assert seen["where"]
    assert seen["hostile"]


def test_datetimes_cluster_around_the_reference_time() -> None:
    as_of = datetime(2030, 6, 1, tzinfo=UTC)
    near = 0

    @settings(max_examples=200, deadline=None, database=None)
    @given(rule=leaves(fields=["created_at"], events=(), as_of=as_of, windows=[30]))
    def count(rule: Rule) -> None:
        nonlocal near
        assert isinstance(rule, Condition)
        values = rule.value if isinstance(rule.value, tuple) else (rule.value,)
        near += any(isinstance(v, datetime) and abs((as_of - v).days) <= 31 for v in values)

    count()
    assert near >= 20
    assert REFERENCE_TIME.tzinfo is UTC


@pytest.mark.parametrize(
    ("pools", "words"),
    [
        ({"names": ["a\x00b"]}, "NUL"),
        ({"countries": ["x" * 1001]}, "longer than"),
        ({"tags": ["not a tag!"]}, "invalid tag"),
        ({"tags": []}, "at least one"),
        ({"numbers": [float("inf")]}, "finite"),
        ({"windows": [0]}, "days"),
        ({"currencies": ["EURO"]}, "unknown currency"),
        ({"fields": ["password"]}, "unknown field"),
        ({"as_of": datetime(2024, 1, 1)}, "naive"),
        ({"fields": [], "events": ()}, "nothing to build"),
        ({"max_depth": MAX_DEPTH + 1}, "max_depth"),
    ],
)
def test_impossible_pools_fail_early(pools: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        rules(**pools)


@SLOW
@given(rule=rules(CATALOGUE))
def test_json_round_trip_is_exact(rule: Rule) -> None:
    checked = validate(rule, CATALOGUE)
    document = json.loads(json.dumps(to_json(rule)))
    jsonschema.validate(document, SCHEMA)
    back = from_json(document, catalogue=CATALOGUE)
    assert back == checked
    assert [type(v) for v in _values(back)] == [type(v) for v in _values(checked)]
    assert to_json(back) == to_json(checked)


@SLOW
@given(rule=rules(CATALOGUE))
def test_text_round_trip_is_exact(rule: Rule) -> None:
    checked = validate(rule, CATALOGUE)
    text = to_text(rule)
    back = parse(text, catalogue=CATALOGUE)
    assert back == checked, text
    assert [type(v) for v in _values(back)] == [type(v) for v in _values(checked)]
    assert to_text(back) == to_text(checked)


@SLOW
@given(rule=rules(CATALOGUE))
def test_structure_survives_without_a_catalogue(rule: Rule) -> None:
    """Without validation the forms keep the rule as written, grouping and all."""
    checked = validate(rule, CATALOGUE)
    assert from_json(to_json(checked), catalogue=None) == checked
    assert parse(to_text(checked), catalogue=None) == checked


def _values(rule: Rule) -> list[object]:
    found: list[object] = []
    for node in _nodes(rule):
        if isinstance(node, Condition | Aggregate):
            conditions = node.where if isinstance(node, Aggregate) else ()
            for item in (*conditions, node):
                found += item.value if isinstance(item.value, tuple) else [item.value]
    return found
