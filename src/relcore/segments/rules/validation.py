"""Checking a rule against a catalogue and the limits, before anything runs it.

[`validate`][relcore.segments.validate] is the one gate every rule passes, whether built in Python,
read from JSON or parsed from text: it refuses unknown fields, operators and
node types, values of the wrong type, rules deeper or larger than the limits
and absurd windows, each with an [`InvalidRuleError`][relcore.errors.InvalidRuleError]
whose path points at the node. It returns the rule normalized (enum members
for operators, UTC datetimes, plain strings for choices, UUIDs for ids), which
is what the interpreters then run.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

from relcore._kernel.checks import check_uuid, kind, member_of, parse_uuid
from relcore._kernel.declarations import History
from relcore._kernel.money import CURRENCIES
from relcore.errors import InvalidRuleError, ValidationError
from relcore.segments.rules.catalogue import DEFAULT_CATALOGUE, Catalogue, FieldSpec, FieldType
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

__all__ = [
    "MAX_DEPTH",
    "MAX_LIST_VALUES",
    "MAX_NODES",
    "MAX_TEXT_LENGTH",
    "MAX_WHERE",
    "MAX_WINDOW_DAYS",
    "validate",
]

MAX_DEPTH = 13
"""Deepest nesting of ``and`` / ``or`` / ``not`` a rule may have.

Chosen so that every valid rule can be stored as a segment on every backend:
the JSON form of the deepest rule (alternating ``and`` / ``or`` around an
aggregate leaf with a list filter) nests 31 levels, and MariaDB refuses JSON
documents nested 32 levels or deeper.
"""
MAX_NODES = 500
"""Most nodes (leaves, combinators and ``where`` conditions) in one rule."""
MAX_LIST_VALUES = 1000
"""Longest list after ``in``, ``not in``, ``has any`` or ``has all``."""
MAX_TEXT_LENGTH = 1000
"""Longest text value."""
MAX_WHERE = 20
"""Most conditions in one aggregate's ``where``."""
MAX_WINDOW_DAYS = 36_600
"""Longest window or ``within`` / ``older than`` span: about a hundred years."""
_MAX_NUMBER = 2**53
_MAX_COUNT = 10**9
_MAX_AMOUNT = Decimal(10) ** 15
_COUNT = "count"  # the key marking a count measure: whole numbers only

E = TypeVar("E", bound=Enum)

_ORDERED = (Op.LT, Op.LE, Op.GT, Op.GE, Op.BETWEEN)
_EQUALITY = (Op.EQ, Op.NE, Op.IN, Op.NOT_IN)
_OPS: dict[FieldType, tuple[Op, ...]] = {
    FieldType.TEXT: (*_EQUALITY, Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH),
    FieldType.CHOICE: _EQUALITY,
    FieldType.NUMBER: (*_EQUALITY, *_ORDERED),
    FieldType.MONEY: (Op.EQ, Op.NE, *_ORDERED),
    FieldType.BOOL: (Op.EQ, Op.NE),
    FieldType.DATETIME: (*_ORDERED, Op.WITHIN, Op.OLDER_THAN),
    FieldType.TAGS: (Op.HAS_TAG, Op.HAS_ANY, Op.HAS_ALL),
    FieldType.ID: _EQUALITY,
}
_TIMES = (Measure.COUNT, Measure.FIRST, Measure.LAST)
"""What any history has; ``sum`` and ``average`` need its money."""


def validate(rule: object, catalogue: Catalogue = DEFAULT_CATALOGUE) -> Rule:
    """Return ``rule`` checked and normalized against ``catalogue``.

    Raises:
        InvalidRuleError: Anything about the rule is not allowed; the error's
            path names the offending node (``rules[1].value``).

    Example:
        >>> from relcore.segments import field, validate
        >>> print(validate(field("stage") == "customer"))
        Condition(field='stage', op=<Op.EQ: '=='>, value='customer')
    """
    checker = _Checker(catalogue)
    return checker.rule(rule, "", 0)


class _Checker:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.nodes = 0

    def count(self, path: str) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _error(path, f"the rule has more than {MAX_NODES} nodes")

    def rule(self, node: object, path: str, depth: int) -> Rule:
        self.count(path)
        if depth > MAX_DEPTH:
            raise _error(path, f"nested deeper than {MAX_DEPTH} levels")
        match node:
            case And(rules=rules) | Or(rules=rules):
                if not isinstance(rules, tuple):
                    raise _error(_at(path, "rules"), "expected a list of rules")
                checked = tuple(
                    self.rule(r, _at(path, f"rules[{i}]"), depth + 1) for i, r in enumerate(rules)
                )
                return And(checked) if isinstance(node, And) else Or(checked)
            case Not(rule=inner):
                return Not(self.rule(inner, _at(path, "rule"), depth + 1))
            case Condition():
                spec = self.catalogue.field(node.field, _at(path, "field"))
                op, value = _comparison(spec, node.op, node.value, path)
                return Condition(spec.name, op, value)
            case Aggregate():
                return self.aggregate(node, path)
            case _:
                raise _error(path, f"not a rule node: {type(node).__name__}")

    def aggregate(self, node: Aggregate, path: str) -> Aggregate:
        history = self.catalogue.history(node.events, _at(path, "events"))
        measure = _enum(Measure, node.measure, _at(path, "measure"))
        if measure not in _TIMES and history.money is None:
            raise _error(_at(path, "measure"), f"{history.name} have no {measure.value}")
        window = node.within_days
        if window is not None:
            window = _days(window, _at(path, "within_days"))
        if not isinstance(node.full_window, bool):
            raise _error(_at(path, "full_window"), "expected true or false")
        if node.full_window and window is None:
            raise _error(_at(path, "full_window"), "needs a window (within_days)")
        where = self.where(history, node.where, _at(path, "where"))
        currency = _currency_of(history, where)
        spec = _measure_spec(measure, history, currency, path)
        op, value = _comparison(spec, node.op, node.value, path)
        return Aggregate(history.name, where, window, measure, op, value, node.full_window)

    def where(self, history: History, where: object, path: str) -> tuple[Condition, ...]:
        if not isinstance(where, tuple):
            raise _error(path, "expected a list of conditions")
        if len(where) > MAX_WHERE:
            raise _error(path, f"more than {MAX_WHERE} conditions")
        checked: list[Condition] = []
        for i, condition in enumerate(where):
            at = f"{path}[{i}]"
            self.count(at)
            if not isinstance(condition, Condition):
                raise _error(at, f"expected a condition, got {type(condition).__name__}")
            spec = self.catalogue.event_field(history, condition.field, _at(at, "field"))
            op, value = _comparison(spec, condition.op, condition.value, at)
            checked.append(Condition(str.__str__(condition.field), op, value))
        currency = _currency_of(history, tuple(checked))
        for i, condition in enumerate(checked):
            if history.money is not None and condition.field == history.money.amount:
                _check_money_scale(condition.value, currency, history.money.currency, f"{path}[{i}]")
        return tuple(checked)


def _measure_spec(measure: Measure, history: History, currency: str | None, path: str) -> FieldSpec:
    name = f"{history.name}.{measure.value}"
    if measure is Measure.COUNT:
        return FieldSpec(name, FieldType.NUMBER, key=_COUNT)
    if measure in (Measure.FIRST, Measure.LAST):
        return FieldSpec(name, FieldType.DATETIME, nullable=True)
    if currency is None:
        field_name = "currency" if history.money is None else history.money.currency
        wanted = f'add {field_name} == "EUR" (say)'
        raise _error(_at(path, "where"), f"a {measure.value} needs one currency: {wanted}")
    return FieldSpec(name, FieldType.MONEY, nullable=measure is Measure.AVERAGE, key=currency)


def _currency_of(history: History, where: tuple[Condition, ...]) -> str | None:
    """The currency a ``currency == "EUR"`` condition fixes, if the history has money and one does."""
    if history.money is None:
        return None
    for condition in where:
        field_name = history.money.currency
        if condition.field == field_name and condition.op is Op.EQ and isinstance(condition.value, str):
            return condition.value
    return None


def _comparison(spec: FieldSpec, op: object, value: object, path: str) -> tuple[Op, Value]:
    op = _enum(Op, op, _at(path, "op"))
    allowed = _OPS[spec.type] + ((Op.IS_SET, Op.IS_NOT_SET) if spec.nullable else ())
    if op not in allowed:
        shown = ", ".join(o.value for o in allowed)
        raise _error(
            _at(path, "op"), f"{op.value!r} does not apply to {spec.name} ({spec.type.value}); use {shown}"
        )
    at = _at(path, "value")
    if op in (Op.IS_SET, Op.IS_NOT_SET):
        if value is not None:
            raise _error(at, f"{op.value!r} takes no value")
        return op, None
    if op in (Op.WITHIN, Op.OLDER_THAN):
        return op, _days(value, at)
    if op in (Op.IN, Op.NOT_IN, Op.HAS_ANY, Op.HAS_ALL, Op.BETWEEN):
        if not isinstance(value, tuple):
            raise _error(at, f"{op.value!r} takes a list of values")
        if op is Op.BETWEEN and len(value) != 2:
            raise _error(at, "'between' takes exactly two values, low and high")
        if not 1 <= len(value) <= MAX_LIST_VALUES:
            raise _error(at, f"expected 1 to {MAX_LIST_VALUES} values, got {len(value)}")
        items = tuple(_scalar(spec, v, f"{at}[{i}]") for i, v in enumerate(value))
        if op is Op.BETWEEN and items[0] > items[1]:  # type: ignore[operator]
            raise _error(at, "'between' takes the low value first")
        result: Value = items
    else:
        result = _scalar(spec, value, at)
    if spec.type is FieldType.MONEY and spec.key:  # a measure's currency is known here; where-amounts later
        _check_money_scale(result, spec.key, "currency", at)  # spec.key is set: the currency is known
    return op, result


def _scalar(spec: FieldSpec, value: object, path: str) -> Scalar:
    match spec.type:
        case FieldType.TEXT:
            return _text(value, path)
        case FieldType.CHOICE:
            text = value.value if isinstance(value, Enum) else value
            if not isinstance(text, str):
                raise _error(path, f"expected one of {_list(spec.choices)}, got {kind(value)}")
            text = str.__str__(text)
            if text not in spec.choices:
                raise _error(path, f"is not a {spec.name}; expected one of {_list(spec.choices)}")
            return text
        case FieldType.NUMBER:
            if spec.key == _COUNT:
                if type(value) is not int or not 0 <= value <= _MAX_COUNT:
                    raise _error(path, f"expected a whole count from 0 to {_MAX_COUNT}")
                return value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _error(path, f"expected a number, got {type(value).__name__}")
            # abs first: math.isfinite overflows on ints too large for a float
            value = float.__float__(value) if isinstance(value, float) else int.__index__(value)
            if abs(value) > _MAX_NUMBER or not math.isfinite(value):
                raise _error(path, "expected a finite number of magnitude at most 2**53")
            return value
        case FieldType.MONEY:
            if isinstance(value, bool) or not isinstance(value, int | Decimal):
                raise _error(path, f"expected an exact amount (Decimal or int), got {type(value).__name__}")
            amount = Decimal(value)
            if not amount.is_finite() or not -_MAX_AMOUNT < amount < _MAX_AMOUNT:  # abs() could overflow
                raise _error(path, "expected a finite amount below 10**15")
            return amount
        case FieldType.BOOL:
            if not isinstance(value, bool):
                raise _error(path, f"expected true or false, got {type(value).__name__}")
            return value
        case FieldType.DATETIME:
            return _datetime(value, path)
        case FieldType.TAGS:
            tag = str(_checked(path, lambda: _tag(path, value)))
            if spec.choices and tag not in spec.choices:  # roles: a closed set
                raise _error(path, f"is not one of the {spec.name}; expected one of {_list(spec.choices)}")
            return tag
        case FieldType.ID:
            if isinstance(value, UUID):
                return _checked(path, lambda: check_uuid(path, value))  # type: ignore[no-any-return]
            if isinstance(value, str) and len(value) <= 40:
                parsed = parse_uuid(str.__str__(value))
                if parsed is None:
                    raise _error(path, "expected a UUID, got text that is not one")
                return parsed
            raise _error(path, f"expected a UUID, got {kind(value)}")


def _check_money_scale(value: object, currency: str | None, field_name: str, path: str) -> None:
    if currency is None:
        raise _error(path, f'an amount needs one currency: add {field_name} == "EUR" (say) to the where')
    amounts = value if isinstance(value, tuple) else (value,)
    for amount in amounts:
        if isinstance(amount, Decimal) and amount.as_tuple().exponent < -CURRENCIES[currency]:  # type: ignore[operator]
            raise _error(path, f"has more decimals than {currency} has")


def _text(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise _error(path, f"expected text, got {kind(value)}")
    value = str.__str__(value)
    if len(value) > MAX_TEXT_LENGTH:
        raise _error(path, f"text longer than {MAX_TEXT_LENGTH} characters")
    if "\x00" in value:
        raise _error(path, "text contains a NUL character")
    if any("\ud800" <= c <= "\udfff" for c in value):
        raise _error(path, "text contains a lone surrogate")
    return value


def _tag(path: str, value: object) -> str:
    from relcore._kernel.checks import check_tag

    return check_tag(path, value)


def _datetime(value: object, path: str) -> datetime:
    from relcore._kernel.checks import check_datetime

    result: datetime = _checked(path, lambda: check_datetime(path, value))
    return result


def _days(value: object, path: str) -> int:
    if type(value) is not int or not 1 <= value <= MAX_WINDOW_DAYS:
        raise _error(path, f"expected a whole number of days from 1 to {MAX_WINDOW_DAYS}")
    return value


T = TypeVar("T")


def _checked(path: str, make: Any) -> Any:
    """``make()``, with a ValidationError it raises turned into an InvalidRuleError (relcore's own text)."""
    try:
        return make()
    except InvalidRuleError:
        raise
    except ValidationError as exc:
        raise InvalidRuleError(exc.errors) from None


def _enum(enum: type[E], value: object, path: str) -> E:
    if isinstance(value, enum):
        return value
    if not isinstance(value, str):
        raise _error(path, f"expected one of {_list(enum)}, got {kind(value)}")
    member = member_of(enum, str.__str__(value))
    if member is None:
        raise _error(path, f"unknown {enum.__name__.lower()}; expected one of {_list(enum)}")
    return member


def _error(path: str, problem: str) -> InvalidRuleError:
    return InvalidRuleError.single(path, problem)  # type: ignore[return-value]


def _at(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _list(values: object) -> str:
    items = [v.value if isinstance(v, Enum) else str(v) for v in values]  # type: ignore[attr-defined]
    shown = ", ".join(items[:12])
    return shown + (", ..." if len(items) > 12 else "")
