"""The nodes of a segment rule.

A rule is a tree of frozen values. Its leaves test one thing about a
customer: a [`Condition`][relcore.segments.Condition] compares a field from the catalogue with a
value, an [`Aggregate`][relcore.segments.Aggregate] summarises the customer's touchpoints or
transactions (count, sum, average, first or last date) and compares the
result. [`And`][relcore.segments.And], [`Or`][relcore.segments.Or] and [`Not`][relcore.segments.Not] combine
rules; the operators ``&``, ``|`` and ``~`` build them.

Nodes check only their shape when built; whether the field exists and the
value suits it is checked against a catalogue by
[`relcore.segments.validate`][], which every interpreter calls first.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeAlias
from uuid import UUID

import attrs

__all__ = [
    "Aggregate",
    "And",
    "Condition",
    "Events",
    "Measure",
    "Not",
    "Op",
    "Or",
    "Rule",
    "Scalar",
    "Value",
]

Scalar: TypeAlias = str | int | float | Decimal | bool | datetime | UUID
"""One value a rule compares with."""

Value: TypeAlias = Scalar | tuple[Scalar, ...] | None
"""A comparison's right-hand side: one value, a list (``in``, ``between``,
``has any``, ``has all``), or nothing (``is set``, ``is not set``)."""


class Op(StrEnum):
    """A comparison operator. The value is the spelling in the text form."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    BETWEEN = "between"
    IN = "in"
    NOT_IN = "not in"
    IS_SET = "is set"
    IS_NOT_SET = "is not set"
    CONTAINS = "contains"
    STARTS_WITH = "starts with"
    ENDS_WITH = "ends with"
    HAS_TAG = "has tag"
    HAS_ANY = "has any"
    HAS_ALL = "has all"
    WITHIN = "within"
    """The date lies in the ``value`` days before ``as_of`` (both ends included)."""
    OLDER_THAN = "older than"
    """The date lies more than ``value`` days before ``as_of``."""


class Events(StrEnum):
    """The names of the built-in histories an [`Aggregate`][relcore.segments.Aggregate] may summarise.

    A context registers more ([relcore.registry.History][]); an aggregate
    names any history of the catalogue it is checked against.
    """

    TOUCHPOINTS = "touchpoints"
    TRANSACTIONS = "transactions"


class Measure(StrEnum):
    """What an [`Aggregate`][relcore.segments.Aggregate] computes over the matching events."""

    COUNT = "count"
    """How many; 0 when none match."""
    SUM = "sum"
    """Total amount (transactions of one currency); 0 when none match."""
    AVERAGE = "average"
    """Mean amount (transactions of one currency); unset when none match."""
    FIRST = "first"
    """Earliest ``occurred_at``; unset when none match."""
    LAST = "last"
    """Latest ``occurred_at``; unset when none match."""


class _Combinable:
    """``&``, ``|`` and ``~`` for every node; ``&`` and ``|`` flatten chains."""

    __slots__ = ()

    def __and__(self, other: Rule) -> And:
        left = self.rules if isinstance(self, And) else (self,)
        return And((*left, other))

    def __or__(self, other: Rule) -> Or:
        left = self.rules if isinstance(self, Or) else (self,)
        return Or((*left, other))

    def __invert__(self) -> Not:
        return Not(self)  # type: ignore[arg-type]

    def __json__(self) -> dict[str, Any]:
        """This rule's JSON form, as [to_json][relcore.segments.rules.rule_json.to_json] writes it."""
        from relcore.segments.rules.rule_json import to_json  # the JSON form builds on these nodes

        return to_json(self)  # type: ignore[arg-type]

    @classmethod
    def __from_json__(cls, data: object) -> Rule:
        """The rule of a JSON form (checked for its shape and limits, not against a catalogue)."""
        from relcore.segments.rules.rule_json import from_json

        return from_json(data, catalogue=None)


def _tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


@attrs.frozen
class And(_Combinable):
    """Holds when every rule holds; ``And(())`` holds for everyone."""

    rules: tuple[Rule, ...] = attrs.field(converter=_tuple)


@attrs.frozen
class Or(_Combinable):
    """Holds when at least one rule holds; ``Or(())`` holds for no one."""

    rules: tuple[Rule, ...] = attrs.field(converter=_tuple)


@attrs.frozen
class Not(_Combinable):
    """Holds when ``rule`` does not."""

    rule: Rule


@attrs.frozen
class Condition(_Combinable):
    """Compare one field with a value.

    Attributes:
        field: A name from the catalogue: ``"stage"``, ``"tags"``,
            ``"attributes.plan"``, ``"consent.marketing.email"``...
        op: The comparison.
        value: What to compare with (see [`Value`][relcore.segments.Value]).

    A comparison with an unset field is false, whatever the operator, except
    ``is not set``; so ``country != "FR"`` does not hold for a customer with
    no country, while ``~(country == "FR")`` does.
    """

    field: str
    op: Op
    value: Value = attrs.field(default=None, converter=_tuple)


@attrs.frozen
class Aggregate(_Combinable):
    """Summarise a customer's events and compare the result.

    Only events that occurred at or before ``as_of`` count, and with a window
    only those in the ``within_days`` days before it (both ends included).

    Attributes:
        events: The name of the history it summarises: ``"touchpoints"``,
            ``"transactions"`` or one a context registers (see
            [Catalogue.histories][relcore.segments.Catalogue]).
        where: Conditions on the events' own fields, all of which must hold
            (``channel == "email"``, ``kind == "order"``...).
        within_days: The window's length in days; ``None`` for all history.
        measure: What to compute over the matching events.
        op: The comparison of the result.
        value: What to compare the result with.
        full_window: ``False`` (the default) judges a customer younger than
            the window on the history they have, so "no e-mail opened in the
            last 30 days" holds for a customer created a week ago who opened
            none. ``True`` makes the leaf false for every customer created
            less than ``within_days`` before ``as_of``.
    """

    events: str
    where: tuple[Condition, ...] = attrs.field(converter=_tuple)
    within_days: int | None
    measure: Measure
    op: Op
    value: Value = attrs.field(default=None, converter=_tuple)
    full_window: bool = False


Rule: TypeAlias = And | Or | Not | Condition | Aggregate
"""Any node: a whole rule is its root node."""
