"""Segments: rules that pick customers, evaluated in memory or in the database.

A rule is a tree of frozen nodes (`relcore.segments.rules.nodes`) built in
Python ([`field`][relcore.segments.field], [`touchpoints`][relcore.segments.touchpoints],
[`transactions`][relcore.segments.transactions] with ``&``, ``|``, ``~``), read from JSON
([`from_json`][relcore.segments.from_json]) or parsed from text ([`parse`][relcore.segments.parse]). Every
rule is checked against a [`Catalogue`][relcore.segments.Catalogue] of allowed fields before it runs; a rule
that is not allowed fails with [`InvalidRuleError`][relcore.errors.InvalidRuleError] and nothing else.

This package is pure: it never imports SQLAlchemy. The SQL adapter compiles
the same rules to one query per membership question.
"""

from relcore.errors import InvalidRuleError
from relcore.segments.model import Segment, SegmentKind
from relcore.segments.rules.builder import (
    EventQuery,
    FieldRef,
    MeasureRef,
    field,
    history,
    touchpoints,
    transactions,
)
from relcore.segments.rules.catalogue import (
    DEFAULT_CATALOGUE,
    Catalogue,
    FieldSource,
    FieldSpec,
    FieldType,
)
from relcore.segments.rules.evaluation import CustomerView, Explanation, evaluate, explain, matcher
from relcore.segments.rules.nodes import (
    Aggregate,
    And,
    Condition,
    Events,
    Measure,
    Not,
    Op,
    Or,
    Rule,
    Scalar,
    Value,
)
from relcore.segments.rules.rule_json import FORMAT_VERSION, from_json, json_schema, to_json
from relcore.segments.rules.text import MAX_TEXT_INPUT, parse, to_text
from relcore.segments.rules.validation import (
    MAX_DEPTH,
    MAX_LIST_VALUES,
    MAX_NODES,
    MAX_TEXT_LENGTH,
    MAX_WHERE,
    MAX_WINDOW_DAYS,
    validate,
)

__all__ = [
    "DEFAULT_CATALOGUE",
    "FORMAT_VERSION",
    "MAX_DEPTH",
    "MAX_LIST_VALUES",
    "MAX_NODES",
    "MAX_TEXT_INPUT",
    "MAX_TEXT_LENGTH",
    "MAX_WHERE",
    "MAX_WINDOW_DAYS",
    "Aggregate",
    "And",
    "Catalogue",
    "Condition",
    "CustomerView",
    "EventQuery",
    "Events",
    "Explanation",
    "FieldRef",
    "FieldSource",
    "FieldSpec",
    "FieldType",
    "InvalidRuleError",
    "Measure",
    "MeasureRef",
    "Not",
    "Op",
    "Or",
    "Rule",
    "Scalar",
    "Segment",
    "SegmentKind",
    "Value",
    "evaluate",
    "explain",
    "field",
    "from_json",
    "history",
    "json_schema",
    "matcher",
    "parse",
    "to_json",
    "to_text",
    "touchpoints",
    "transactions",
    "validate",
]
