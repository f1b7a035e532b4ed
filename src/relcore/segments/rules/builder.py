"""Building rules in Python: ``field("stage") == "customer"`` and friends.

The builder only assembles nodes; [`validate`][relcore.segments.validate] checks
them against a catalogue when they are used.

Example:
    >>> from relcore.segments import field, touchpoints
    >>> rule = (field("stage") == "customer") & (
    ...     touchpoints(channel="email", direction="inbound").within(days=30).count() >= 3
    ... ) & ~field("tags").has_tag("vip")
    >>> print(type(rule).__name__, len(rule.rules))
    And 3
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

from relcore.segments.rules.nodes import Aggregate, Condition, Events, Measure, Op, Scalar

__all__ = ["EventQuery", "FieldRef", "MeasureRef", "field", "history", "touchpoints", "transactions"]


class _Comparable:
    """Comparison operators that build nodes instead of answering."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]

    def _node(self, op: Op, value: Any = None) -> Any:
        raise NotImplementedError

    def __eq__(self, value: object) -> Any:
        return self._node(Op.EQ, value)

    def __ne__(self, value: object) -> Any:
        return self._node(Op.NE, value)

    def __lt__(self, value: object) -> Any:
        return self._node(Op.LT, value)

    def __le__(self, value: object) -> Any:
        return self._node(Op.LE, value)

    def __gt__(self, value: object) -> Any:
        return self._node(Op.GT, value)

    def __ge__(self, value: object) -> Any:
        return self._node(Op.GE, value)

    def __bool__(self) -> NoReturn:
        raise TypeError("a field is not a truth value; combine conditions with &, | and ~")

    def between(self, low: Scalar, high: Scalar) -> Any:
        """``low <= x <= high``."""
        return self._node(Op.BETWEEN, (low, high))

    def isin(self, values: Iterable[Scalar]) -> Any:
        """``x`` is one of ``values``."""
        return self._node(Op.IN, tuple(values))

    def not_in(self, values: Iterable[Scalar]) -> Any:
        """``x`` is set and none of ``values``."""
        return self._node(Op.NOT_IN, tuple(values))

    def is_set(self) -> Any:
        """``x`` has a value."""
        return self._node(Op.IS_SET)

    def is_not_set(self) -> Any:
        """``x`` has no value."""
        return self._node(Op.IS_NOT_SET)

    def within(self, *, days: int) -> Any:
        """The date lies in the ``days`` days before ``as_of``, ends included."""
        return self._node(Op.WITHIN, days)

    def older_than(self, *, days: int) -> Any:
        """The date lies more than ``days`` days before ``as_of``."""
        return self._node(Op.OLDER_THAN, days)


class FieldRef(_Comparable):
    """A customer field, compared to build a [`Condition`][relcore.segments.Condition]."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def _node(self, op: Op, value: Any = None) -> Condition:
        return Condition(self.name, op, value)

    def contains(self, text: str) -> Condition:
        """The text contains ``text`` (case-sensitive)."""
        return self._node(Op.CONTAINS, text)

    def startswith(self, text: str) -> Condition:
        """The text starts with ``text`` (case-sensitive)."""
        return self._node(Op.STARTS_WITH, text)

    def endswith(self, text: str) -> Condition:
        """The text ends with ``text`` (case-sensitive)."""
        return self._node(Op.ENDS_WITH, text)

    def has_tag(self, tag: str) -> Condition:
        """The customer has ``tag``."""
        return self._node(Op.HAS_TAG, tag)

    def has_any(self, tags: Iterable[str]) -> Condition:
        """The customer has at least one of ``tags``."""
        return self._node(Op.HAS_ANY, tuple(tags))

    def has_all(self, tags: Iterable[str]) -> Condition:
        """The customer has every one of ``tags``."""
        return self._node(Op.HAS_ALL, tuple(tags))

    def __repr__(self) -> str:
        return f"field({self.name!r})"


def field(name: str) -> FieldRef:
    """Refer to a catalogue field: ``field("stage") == "customer"``.

    Example:
        >>> from relcore.segments import field
        >>> print((field("country").isin(["FR", "BE"])).op)
        in
    """
    return FieldRef(name)


class MeasureRef(_Comparable):
    """A measure of an `EventQuery`, compared to build an `Aggregate`."""

    __slots__ = ("measure", "query")

    def __init__(self, query: EventQuery, measure: Measure) -> None:
        self.query = query
        self.measure = measure

    def _node(self, op: Op, value: Any = None) -> Aggregate:
        q = self.query
        return Aggregate(q.events, q.where, q.within_days, self.measure, op, value, q.full_window)


class EventQuery:
    """The touchpoints or transactions an aggregate summarises.

    Keyword arguments of [`touchpoints`][relcore.segments.touchpoints] /
    [`transactions`][relcore.segments.transactions] become ``==`` conditions (``in`` for a list); positional
    [`Condition`][relcore.segments.Condition] arguments, built with [`field`][relcore.segments.field], give
    any other comparison on the event's fields.
    """

    __slots__ = ("events", "full_window", "where", "within_days")

    def __init__(
        self,
        events: str,
        where: tuple[Condition, ...],
        within_days: int | None = None,
        full_window: bool = False,
    ) -> None:
        self.events = events
        self.where = where
        self.within_days = within_days
        self.full_window = full_window

    def within(self, *, days: int, full_window: bool = False) -> EventQuery:
        """Keep only events of the ``days`` days before ``as_of``.

        ``full_window=True`` makes the leaf false for customers created less
        than ``days`` before ``as_of`` (see [`Aggregate`][relcore.segments.Aggregate]).
        """
        return EventQuery(self.events, self.where, days, full_window)

    def count(self) -> MeasureRef:
        """How many events match."""
        return MeasureRef(self, Measure.COUNT)

    def sum(self) -> MeasureRef:
        """Total amount of the matching transactions (one currency)."""
        return MeasureRef(self, Measure.SUM)

    def average(self) -> MeasureRef:
        """Mean amount of the matching transactions (one currency)."""
        return MeasureRef(self, Measure.AVERAGE)

    def first(self) -> MeasureRef:
        """When the earliest matching event occurred."""
        return MeasureRef(self, Measure.FIRST)

    def last(self) -> MeasureRef:
        """When the latest matching event occurred."""
        return MeasureRef(self, Measure.LAST)


def _query(events: str, conditions: tuple[Condition, ...], where: dict[str, Any]) -> EventQuery:
    built = list(conditions)
    for name, value in where.items():
        is_list = isinstance(value, list | tuple | set | frozenset)
        built.append(Condition(name, Op.IN if is_list else Op.EQ, tuple(value) if is_list else value))
    return EventQuery(events, tuple(built))


def history(name: str, *conditions: Condition, **where: Any) -> EventQuery:
    """Select a customer's entries of the history called ``name``: ``history("notes", source="web")``.

    For a history a context registers; [`touchpoints`][relcore.segments.touchpoints] and
    [`transactions`][relcore.segments.transactions] name the built-in ones. The name is
    checked when the rule is validated against a catalogue.

    Example:
        >>> from relcore.segments import history
        >>> leaf = history("notes", source="web").within(days=30).count() >= 1
        >>> print(leaf.events, leaf.measure, leaf.op, leaf.value)
        notes count >= 1
    """
    return _query(name, conditions, where)


def touchpoints(*conditions: Condition, **where: Any) -> EventQuery:
    """Select a customer's touchpoints: ``touchpoints(channel="email")``.

    Example:
        >>> from relcore.segments import touchpoints
        >>> leaf = touchpoints(channel="email", direction="inbound").within(days=30).count() >= 3
        >>> print(leaf.measure, leaf.op, leaf.value, leaf.within_days)
        count >= 3 30
    """
    return _query(Events.TOUCHPOINTS, conditions, where)


def transactions(*conditions: Condition, **where: Any) -> EventQuery:
    """Select a customer's transactions: ``transactions(kind="order", currency="EUR")``.

    Example:
        >>> from decimal import Decimal
        >>> from relcore.segments import transactions
        >>> leaf = transactions(kind="order", currency="EUR").within(days=365).sum() > Decimal(500)
        >>> print(leaf.measure, leaf.op, leaf.value)
        sum > 500
    """
    return _query(Events.TRANSACTIONS, conditions, where)
