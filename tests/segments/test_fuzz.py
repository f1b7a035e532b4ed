"""Untrusted input fails one way only: `from_json` and `parse` return a rule or raise `InvalidRuleError`.

Hypothesis feeds them arbitrary JSON-like values and text, and mutations of
valid documents and texts (near misses reach deeper into the readers than
noise does). Whatever they accept must be a valid rule that survives its own
form again.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore.errors import InvalidRuleError
from relcore.segments import (
    DEFAULT_CATALOGUE,
    Catalogue,
    Rule,
    from_json,
    parse,
    to_json,
    to_text,
    validate,
)
from relcore.testing.segment_strategies import rules

CATALOGUE = DEFAULT_CATALOGUE.with_attributes(plan="text", seats="number", trial="bool")
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_KEYS = [
    *("version", "rule", "type", "rules", "field", "op", "value", "events", "where", "within_days"),
    *("measure", "full_window", "decimal", "datetime", "uuid"),
]
_WORDS = [
    *("and", "or", "not", "condition", "aggregate", "touchpoints", "transactions", "count", "sum", "average"),
    *("first", "last", "stage", "name", "tags", "country", "created_at", "channel", "currency", "amount"),
    *("EUR", "JPY", "email", "lead", "customer", "vip", "==", "!=", "<", ">=", "between", "in", "not in"),
    *("is set", "has tag", "has any", "within", "older than", "contains", "2025-01-01T00:00:00+00:00"),
    *("2025-01-01", "12.50", "1.001", "NaN", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "attributes.seats"),
    *("consent.marketing.email", "metrics.clv", "\x00", "\ud800", "", " "),
]
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, 1, -1, 30, 2**53, 2**53 + 1, 10**9 + 1]),
    st.builds(pow, st.just(10), st.sampled_from([400, 5000])),  # too long for repr() and float()
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(_WORDS),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(_KEYS), st.text(max_size=6)), inner, max_size=5),
        st.dictionaries(st.integers(-3, 3), inner, max_size=2),
        st.tuples(inner),
    ),
    max_leaves=30,
)


def _only_invalid_rule_error_from_json(data: object, catalogue: Catalogue | None = CATALOGUE) -> Rule | None:
    refused: InvalidRuleError | None = None
    try:
        rule = from_json(data, catalogue=catalogue)
    except InvalidRuleError as exc:
        refused = exc
    except Exception as exc:
        raise AssertionError(f"from_json leaked {type(exc).__name__}: {exc}") from exc
    if refused is not None:
        assert all(p == "rule" or p.startswith(("rule.", "rule[", "version")) for p in refused.paths)
        return None
    if catalogue is not None:
        assert validate(rule, catalogue) == rule
        assert from_json(to_json(rule), catalogue=catalogue) == rule
    return rule


def _only_invalid_rule_error_from_text(text: str, catalogue: Catalogue | None = CATALOGUE) -> Rule | None:
    try:
        rule = parse(text, catalogue=catalogue)
    except InvalidRuleError:
        return None
    except Exception as exc:
        raise AssertionError(f"parse leaked {type(exc).__name__}: {exc}") from exc
    if catalogue is not None:
        assert validate(rule, catalogue) == rule
        assert parse(to_text(rule), catalogue=catalogue) == rule
    return rule


@FUZZ
@given(data=st.one_of(_JSON, st.fixed_dictionaries({"version": st.just(1), "rule": _JSON})))
def test_arbitrary_json_fails_only_with_invalid_rule_error(data: object) -> None:
    _only_invalid_rule_error_from_json(data)
    _only_invalid_rule_error_from_json(data, catalogue=None)


def _containers(node: object, found: list[Any]) -> list[Any]:
    if isinstance(node, dict | list):
        found.append(node)
        for child in node.values() if isinstance(node, dict) else node:
            _containers(child, found)
    return found


@st.composite
def _mutated_documents(draw: st.DrawFn) -> object:
    document: Any = copy.deepcopy(to_json(draw(rules(CATALOGUE, max_depth=2))))
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(_containers(document, [])))
        replacement = draw(st.one_of(_SCALARS, _JSON, st.just(copy.deepcopy(document))))
        if isinstance(target, dict):
            keys = sorted(target, key=str)
            action = draw(st.sampled_from(["delete", "replace", "add"] if keys else ["add"]))
            if action == "add":
                target[draw(st.sampled_from(_KEYS) | st.text(max_size=4))] = replacement
            else:
                key = draw(st.sampled_from(keys))
                if action == "delete":
                    del target[key]
                else:
                    target[key] = replacement
        else:
            action = draw(st.sampled_from(["delete", "replace", "insert"] if target else ["insert"]))
            index = draw(st.integers(0, max(len(target) - 1, 0)))
            if action == "delete":
                del target[index]
            elif action == "replace":
                target[index] = replacement
            else:
                target.insert(index, replacement)
    return document


@FUZZ
@given(data=_mutated_documents())
def test_mutated_documents_fail_only_with_invalid_rule_error(data: object) -> None:
    _only_invalid_rule_error_from_json(data)
    _only_invalid_rule_error_from_json(data, catalogue=None)


def _hostile_values() -> list[object]:
    big = 10**5000  # built here: repr() and float() refuse it, so no strategy may hold it
    return [
        *(None, True, False, 0, -1, 1.5, math.nan, math.inf, 2**53 + 1, 10**400, big, "", "\x00", "\ud800"),
        *("x" * 2000, [], [None], [[1]], {}, {"decimal": "1"}, {"uuid": big}, {big: 1}, {1: 2}, ("a",), b"x"),
        *({"datetime": "2025-01-01T00:00:00+99:00"}, {"decimal": "1E+999999999"}, {"decimal": "-0E-999999"}),
    ]


def _slots(node: object, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    if isinstance(node, dict | list):
        for key in list(node) if isinstance(node, dict) else range(len(node)):
            found.append((node, key))
            _slots(node[key], found)
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=rules(CATALOGUE, max_depth=1))
def test_every_slot_of_a_valid_document_retyped(rule: Rule) -> None:
    """Each key and item of a valid document, replaced by each hostile value in turn."""
    document = to_json(rule)
    for container, key in _slots(document, []):
        original = container[key]
        for value in _hostile_values():
            container[key] = value
            _only_invalid_rule_error_from_json(document)
            _only_invalid_rule_error_from_json(document, catalogue=None)
        container[key] = original
    assert from_json(document, catalogue=CATALOGUE) == validate(rule, CATALOGUE)


_TOKENS = [
    *("stage", "name", "tags", "country", "created_at", "metrics.clv", "attributes.seats", "touchpoints"),
    *("transactions", "channel", "currency", "amount", "==", "!=", "<", "<=", ">", ">=", "=", "between"),
    *("in", "not", "is", "set", "contains", "starts", "ends", "with", "has", "tag", "any", "all", "within"),
    *("older", "than", "and", "or", "(", ")", "[", "]", ",", ".", ".count", ".sum", ".first", "within=30d"),
    *("full_window=true", "30d", "0d", "3", "-1", "2.5", "1e999", "1" * 45, "true", "false", '"lead"'),
    *('"EUR"', '"email"', '"vip"', '"', '"\\', '"\\u12"', '"\\U0010FFFF"', '"\\ud800"', 'd"1.50"', 'd"x"'),
    *('t"2025-01-01T00:00:00+00:00"', 't"2025-01-01"', 'u"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"', 'u"x"'),
    *("\n", "\t", " ", "😀", "\x00", "#", "@", "\\"),
]


@FUZZ
@given(
    text=st.one_of(
        st.text(max_size=60),
        st.lists(st.sampled_from(_TOKENS), max_size=25).map(" ".join),
        st.lists(st.sampled_from(_TOKENS), max_size=25).map("".join),
    )
)
def test_arbitrary_text_fails_only_with_invalid_rule_error(text: str) -> None:
    _only_invalid_rule_error_from_text(text)
    _only_invalid_rule_error_from_text(text, catalogue=None)


@FUZZ
@given(rule=rules(CATALOGUE, max_depth=2), data=st.data())
def test_mutated_texts_fail_only_with_invalid_rule_error(rule: Rule, data: st.DataObject) -> None:
    text = to_text(rule)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        start = data.draw(st.integers(0, len(text)), label="start")
        cut = data.draw(st.integers(0, 4), label="cut")
        insert = data.draw(st.sampled_from(["", *_TOKENS]) | st.text(max_size=3), label="insert")
        text = text[:start] + insert + text[start + cut :]
    _only_invalid_rule_error_from_text(text)
    _only_invalid_rule_error_from_text(text, catalogue=None)


@settings(max_examples=50, deadline=None)
@given(depth=st.integers(17, 3000), opener=st.sampled_from(["(", "not ", "all(", "any(", "[", 'not ("']))
def test_deep_text_fails_cleanly(depth: int, opener: str) -> None:
    _only_invalid_rule_error_from_text(opener * depth + 'stage == "lead"' + ")" * depth)


@settings(max_examples=50, deadline=None)
@given(depth=st.integers(17, 3000), kind=st.sampled_from(["not", "and", "or", "list"]))
def test_deep_json_fails_cleanly(depth: int, kind: str) -> None:
    node: Any = {"type": "condition", "field": "stage", "op": "==", "value": "lead"}
    for _ in range(depth):
        if kind == "not":
            node = {"type": "not", "rule": node}
        elif kind == "list":
            node = [node]
        else:
            node = {"type": kind, "rules": [node]}
    assert _only_invalid_rule_error_from_json({"version": 1, "rule": node}) is None


def test_finite_floats_only() -> None:
    for bad in (math.inf, -math.inf, math.nan):
        assert _only_invalid_rule_error_from_json(
            {"version": 1, "rule": {"type": "condition", "field": "metrics.clv", "op": "==", "value": bad}},
            catalogue=None,
        ) is None  # fmt: skip
