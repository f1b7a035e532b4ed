"""The JSON form of rules: a tagged union with a format version, and its JSON Schema.

::

    {"version": 1,
     "rule": {"type": "and", "rules": [
         {"type": "condition", "field": "stage", "op": "==", "value": "customer"},
         {"type": "aggregate", "events": "touchpoints",
          "where": [{"field": "channel", "op": "==", "value": "email"}],
          "within_days": 30, "measure": "count", "op": ">=", "value": 3,
          "full_window": false}]}}

Strings, whole numbers, other numbers and booleans are plain JSON; a list is
a JSON array; exact amounts, datetimes and UUIDs are one-key objects
(``{"decimal": "12.50"}``, ``{"datetime": "2025-01-01T00:00:00+00:00"}``,
``{"uuid": "..."}``), so reading a rule back gives exactly the rule written.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar, assert_never
from uuid import UUID

from relcore._kernel.checks import guarded, member_of, shown_name
from relcore.errors import InvalidRuleError
from relcore.segments.rules.catalogue import DEFAULT_CATALOGUE, HISTORY_NAME, Catalogue
from relcore.segments.rules.nodes import (
    Aggregate,
    And,
    Condition,
    Measure,
    Not,
    Op,
    Or,
    Rule,
    Scalar,
    Value,
)
from relcore.segments.rules.validation import MAX_DEPTH, MAX_LIST_VALUES, MAX_NODES, MAX_TEXT_LENGTH, validate

__all__ = ["FORMAT_VERSION", "from_json", "json_schema", "to_json"]

E = TypeVar("E", bound=Enum)

FORMAT_VERSION = 1
"""The version written by `to_json` and the only one `from_json` reads."""


def to_json(rule: Rule) -> dict[str, Any]:
    """Return the JSON form of ``rule`` (a dict ready for `json.dumps`).

    Example:
        >>> import json
        >>> from relcore.segments import field, to_json
        >>> print(json.dumps(to_json(field("stage") == "lead")))
        {"version": 1, "rule": {"type": "condition", "field": "stage", "op": "==", "value": "lead"}}
    """
    return {"version": FORMAT_VERSION, "rule": _node(rule)}


def _node(rule: Rule) -> dict[str, Any]:
    match rule:
        case And(rules=rules):
            return {"type": "and", "rules": [_node(r) for r in rules]}
        case Or(rules=rules):
            return {"type": "or", "rules": [_node(r) for r in rules]}
        case Not(rule=inner):
            return {"type": "not", "rule": _node(inner)}
        case Condition():
            return {"type": "condition", **_condition(rule)}
        case Aggregate():
            return {
                "type": "aggregate",
                "events": str.__str__(rule.events),
                "where": [_condition(c) for c in rule.where],
                "within_days": rule.within_days,
                "measure": Measure(rule.measure).value,
                "op": Op(rule.op).value,
                "value": _value(rule.value),
                "full_window": rule.full_window,
            }
        case _:
            assert_never(rule)


def _condition(condition: Condition) -> dict[str, Any]:
    return {"field": condition.field, "op": Op(condition.op).value, "value": _value(condition.value)}


def _value(value: Value) -> Any:
    if isinstance(value, tuple):
        return [_value(v) for v in value]
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, UUID):
        return {"uuid": str(value)}
    return value


def from_json(data: object, *, catalogue: Catalogue | None = DEFAULT_CATALOGUE) -> Rule:
    """Read a rule from its JSON form and check it against ``catalogue``.

    With ``catalogue=None`` only the structure is checked (for rules that
    were validated when stored).

    Raises:
        InvalidRuleError: The data is not a rule of this format, or the rule
            is not valid; the path names the offending part (``rule.rules[2].op``).

    Example:
        >>> from relcore.segments import from_json
        >>> rule = from_json({"version": 1, "rule": {"type": "condition", "field": "tags",
        ...                                           "op": "has tag", "value": "vip"}})
        >>> print(rule.op)
        has tag
    """
    rule = guarded("rule", lambda: _read(data), _error)
    return rule if catalogue is None else _prefixed(lambda: validate(rule, catalogue))


def _read(data: object) -> Rule:
    reader = _Reader()
    document = reader.fields(data, "", {"version", "rule"})
    if type(document["version"]) is not int or document["version"] != FORMAT_VERSION:
        raise _error("version", f"unsupported format version; expected {FORMAT_VERSION}")
    return reader.rule(document["rule"], "rule", 0)


_VALUE = frozenset({"value"})  # the one optional key of a condition


class _Reader:
    def __init__(self) -> None:
        self.nodes = 0

    def fields(
        self, data: object, path: str, keys: set[str], optional: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise _error(path, f"expected an object, got {_kind(data)}")
        unknown = [k for k in data if k not in keys]
        if unknown:
            raise _error(path, f"unknown key {shown_name(unknown[0])}")
        missing = sorted(k for k in keys - optional if k not in data)
        if missing:
            raise _error(path, f"missing key {missing[0]!r}")
        return data

    def rule(self, data: object, path: str, depth: int) -> Rule:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _error(path, f"the rule has more than {MAX_NODES} nodes")
        if depth > MAX_DEPTH:
            raise _error(path, f"nested deeper than {MAX_DEPTH} levels")
        if not isinstance(data, dict):
            raise _error(path, f"expected a rule object, got {_kind(data)}")
        kind = data.get("type")
        match kind:
            case "and" | "or":
                body = self.fields(data, path, {"type", "rules"})
                rules = self.array(body["rules"], _at(path, "rules"))
                children = tuple(self.rule(r, f"{path}.rules[{i}]", depth + 1) for i, r in enumerate(rules))
                return And(children) if kind == "and" else Or(children)
            case "not":
                body = self.fields(data, path, {"type", "rule"})
                return Not(self.rule(body["rule"], _at(path, "rule"), depth + 1))
            case "condition":
                body = self.fields(data, path, {"type", "field", "op", "value"}, _VALUE)
                return self.condition(body, path)
            case "aggregate":
                return self.aggregate(data, path)
            case _:
                raise _error(
                    _at(path, "type"),
                    f"unknown node type {shown_name(kind)}; expected and, or, not, condition, aggregate",
                )

    def aggregate(self, data: dict[Any, Any], path: str) -> Aggregate:
        keys = {"type", "events", "where", "within_days", "measure", "op", "value", "full_window"}
        body = self.fields(data, path, keys, frozenset({"where", "within_days", "value", "full_window"}))
        where = self.array(body.get("where", []), _at(path, "where"))
        conditions = []
        for i, item in enumerate(where):
            at = f"{path}.where[{i}]"
            self.nodes += 1
            conditions.append(self.condition(self.fields(item, at, {"field", "op", "value"}, _VALUE), at))
        within_days = body.get("within_days")
        if within_days is not None and type(within_days) is not int:
            raise _error(_at(path, "within_days"), f"expected whole days or null, got {_kind(within_days)}")
        full_window = body.get("full_window", False)
        if not isinstance(full_window, bool):
            raise _error(_at(path, "full_window"), f"expected true or false, got {_kind(full_window)}")
        return Aggregate(
            events=self.history(body["events"], _at(path, "events")),
            where=tuple(conditions),
            within_days=within_days,
            measure=self.member(Measure, body["measure"], _at(path, "measure")),
            op=self.member(Op, body["op"], _at(path, "op")),
            value=self.value(body.get("value"), _at(path, "value"), 0),
            full_window=full_window,
        )

    def condition(self, body: dict[str, Any], path: str) -> Condition:
        return Condition(
            field=self.text(body["field"], _at(path, "field")),
            op=self.member(Op, body["op"], _at(path, "op")),
            value=self.value(body.get("value"), _at(path, "value"), 0),
        )

    def member(self, enum: type[E], data: object, path: str) -> E:
        member = member_of(enum, str.__str__(self.text(data, path)))
        if member is None:
            expected = ", ".join(m.value for m in enum)
            raise _error(path, f"unknown {enum.__name__.lower()}; expected one of {expected}")
        return member

    def history(self, data: object, path: str) -> str:
        name = str.__str__(self.text(data, path))
        if not HISTORY_NAME.fullmatch(name):
            raise _error(path, "expected a history name (a lower-case identifier)")
        return name

    def array(self, data: object, path: str) -> list[Any]:
        if not isinstance(data, list):
            raise _error(path, f"expected an array, got {_kind(data)}")
        if len(data) > MAX_NODES:
            raise _error(path, f"more than {MAX_NODES} items")
        return data

    def text(self, data: object, path: str) -> str:
        if not isinstance(data, str):
            raise _error(path, f"expected a string, got {_kind(data)}")
        if len(data) > MAX_TEXT_LENGTH:
            raise _error(path, f"longer than {MAX_TEXT_LENGTH} characters")
        return data

    def value(self, data: object, path: str, depth: int) -> Value:
        match data:
            case None | bool() | int() | str():
                return data
            case float():
                if not math.isfinite(data):
                    raise _error(path, "numbers must be finite")
                return data
            case list():
                if depth > 0:
                    raise _error(path, "lists do not nest")
                if len(data) > MAX_LIST_VALUES:
                    raise _error(path, f"more than {MAX_LIST_VALUES} values")
                return tuple(self.scalar(v, f"{path}[{i}]") for i, v in enumerate(data))
            case dict():
                return self.tagged(data, path)
            case _:
                raise _error(path, f"not a JSON value: {_kind(data)}")

    def scalar(self, data: object, path: str) -> Scalar:
        value = self.value(data, path, 1)
        if value is None or isinstance(value, tuple):
            raise _error(path, "expected a single value")
        return value

    def tagged(self, data: dict[Any, Any], path: str) -> Scalar:
        if len(data) != 1:
            raise _error(path, 'expected one of {"decimal": ...}, {"datetime": ...}, {"uuid": ...}')
        [(tag, text)] = data.items()
        if not isinstance(text, str) or len(text) > 64:
            raise _error(path, f"expected a short string under {shown_name(tag)}")
        if tag not in ("decimal", "datetime", "uuid"):
            raise _error(path, f"unknown value tag {shown_name(tag)}; expected decimal, datetime or uuid")
        value = _tagged_value(tag, str.__str__(text))
        if value is None:  # raised here, not where parsing failed: that error quotes the value
            raise _error(path, f"not a valid {tag}")
        return value


def _tagged_value(tag: str, text: str) -> Decimal | datetime | UUID | None:
    """The value ``text`` spells under ``tag``, or ``None``."""
    try:
        match tag:
            case "decimal":
                amount = Decimal(text) if _DECIMAL.fullmatch(text) else None
                return amount if amount is not None and amount.is_finite() else None
            case "datetime":
                return datetime.fromisoformat(text)
            case _:
                return UUID(text)
    except (ValueError, InvalidOperation):
        return None


_DECIMAL = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", re.ASCII)
"""The spelling of an exact amount: what ``str(Decimal)`` writes for finite amounts."""


def _prefixed(check: Any) -> Rule:
    try:
        result: Rule = check()
    except InvalidRuleError as exc:
        raise InvalidRuleError.single(*_rebase(exc)) from None
    return result


def _rebase(exc: InvalidRuleError) -> tuple[str, str]:
    first = exc.errors[0]
    path = "rule" + (("" if first.path.startswith("[") else ".") + first.path if first.path else "")
    return path, first.problem


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of the JSON form, for UIs and other languages.

    Example:
        >>> from relcore.segments import json_schema
        >>> print(json_schema()["$schema"])
        https://json-schema.org/draft/2020-12/schema
    """
    scalar = {
        "oneOf": [
            {"type": ["string", "number", "boolean"]},
            _tag("decimal", {"type": "string", "pattern": f"^{_DECIMAL.pattern}$"}),
            _tag("datetime", {"type": "string", "format": "date-time"}),
            _tag("uuid", {"type": "string", "format": "uuid"}),
        ]
    }
    items = {"$ref": "#/$defs/scalar"}
    values = {"type": "array", "items": items, "minItems": 1, "maxItems": MAX_LIST_VALUES}
    value = {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/scalar"}, values]}
    condition: dict[str, Any] = {
        "type": "object",
        "properties": {
            "field": {"type": "string", "maxLength": MAX_TEXT_LENGTH},
            "op": {"enum": [op.value for op in Op]},
            "value": {"$ref": "#/$defs/value"},
        },
        "required": ["field", "op"],
    }
    rule_types: dict[str, dict[str, Any]] = {
        "and": {"rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}}},
        "or": {"rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}}},
        "not": {"rule": {"$ref": "#/$defs/rule"}},
        "condition": condition["properties"],
        "aggregate": {
            "events": {"type": "string", "pattern": HISTORY_NAME.pattern},
            "where": {"type": "array", "items": {**condition, "additionalProperties": False}},
            "within_days": {"type": ["integer", "null"], "minimum": 1},
            "measure": {"enum": [m.value for m in Measure]},
            "op": {"enum": [op.value for op in Op]},
            "value": {"$ref": "#/$defs/value"},
            "full_window": {"type": "boolean"},
        },
    }
    required = {"and": ["rules"], "or": ["rules"], "not": ["rule"], "condition": ["field", "op"],
                "aggregate": ["events", "measure", "op"]}  # fmt: skip
    rule = {
        "oneOf": [
            {
                "type": "object",
                "properties": {"type": {"const": name}, **props},
                "required": ["type", *required[name]],
                "additionalProperties": False,
            }
            for name, props in rule_types.items()
        ]
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://relcore.dev/schemas/segment-rule-v1.json",
        "title": "relcore segment rule",
        "type": "object",
        "properties": {"version": {"const": FORMAT_VERSION}, "rule": {"$ref": "#/$defs/rule"}},
        "required": ["version", "rule"],
        "additionalProperties": False,
        "$defs": {"rule": rule, "scalar": scalar, "value": value},
    }


def _tag(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {name: schema}, "required": [name], "additionalProperties": False}


def _error(path: str, problem: str) -> InvalidRuleError:
    return InvalidRuleError.single(path or "rule", problem)  # type: ignore[return-value]


def _at(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _kind(data: object) -> str:
    return "null" if data is None else type(data).__name__
