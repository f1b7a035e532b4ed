"""The in-memory interpreter: the executable specification of the rules.

[`evaluate`][relcore.segments.evaluate] answers whether one customer matches a rule at ``as_of``;
[`explain`][relcore.segments.explain] answers why, leaf by leaf. The SQL compiler in
[`relcore.storage.sql`][] must agree with this module on every customer, a
promise the differential tests check on every backend.

Semantics, in one place:

* A comparison with an unset value is false (``is not set`` excepted).
* Events count if they occurred at or before ``as_of``; a window of ``d``
  days keeps those at or after ``as_of - d days``.
* ``within d days`` on a date means ``as_of - d days <= date <= as_of``;
  ``older than d days`` means ``date < as_of - d days``.
* Numbers compare as floats; amounts exactly, in the currency's units.
* Text compares by code point, case-sensitively.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Any, assert_never

import attrs

from relcore._kernel.checks import check_datetime
from relcore.activity.model import Touchpoint, Transaction
from relcore.consent.model import ConsentRecord, may_contact
from relcore.customers.model import Customer
from relcore.segments.rules.catalogue import (
    DEFAULT_CATALOGUE,
    Catalogue,
    FieldSource,
    FieldSpec,
    FieldType,
)
from relcore.segments.rules.nodes import Aggregate, And, Condition, Measure, Not, Op, Or, Rule, Value
from relcore.segments.rules.validation import validate

__all__ = ["CustomerView", "Explanation", "compare", "evaluate", "explain", "matcher", "typed_json"]


@attrs.frozen(init=False)
class CustomerView:
    """What a rule may look at for one customer.

    Args:
        customer: The customer.
        touchpoints: Their touchpoints (any order).
        transactions: Their transactions (any order).
        consents: Their consent ledger.
        metrics: Their stored value metrics by name.
        histories: The entries of other histories, by history name (any order);
            ``touchpoints`` and ``transactions`` join them.

    Attributes:
        customer: The customer.
        consents: Their consent ledger.
        metrics: Their stored value metrics by name.
        histories: The entries of every history the view holds, by name; a
            history it does not hold counts as empty.
    """

    customer: Customer
    consents: Sequence[ConsentRecord]
    metrics: Mapping[str, object]
    histories: Mapping[str, Sequence[Any]]

    def __init__(
        self,
        customer: Customer,
        touchpoints: Sequence[Touchpoint] = (),
        transactions: Sequence[Transaction] = (),
        consents: Sequence[ConsentRecord] = (),
        metrics: Mapping[str, object] | None = None,
        *,
        histories: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        merged = {"touchpoints": touchpoints, "transactions": transactions, **(histories or {})}
        self.__attrs_init__(customer, consents, {} if metrics is None else metrics, merged)

    @property
    def touchpoints(self) -> Sequence[Touchpoint]:
        """Their touchpoints."""
        return self.history("touchpoints")

    @property
    def transactions(self) -> Sequence[Transaction]:
        """Their transactions."""
        return self.history("transactions")

    def history(self, name: str) -> Sequence[Any]:
        """The entries of the history called ``name`` (empty if the view holds none)."""
        return self.histories.get(name, ())


@attrs.frozen
class Explanation:
    """Why a rule held or not for one customer: one node of the rule's tree.

    Attributes:
        rule: The node.
        held: Whether it held.
        observed: For a leaf, the value it compared (the field's value or the
            aggregate's result; ``None`` when unset); ``None`` for ``and``,
            ``or`` and ``not``.
        children: The explanations of the node's sub-rules.
    """

    rule: Rule
    held: bool
    observed: object = None
    children: tuple[Explanation, ...] = ()

    def leaves(self) -> list[Explanation]:
        """The explanations of every leaf, left to right."""
        if not self.children and not isinstance(self.rule, And | Or | Not):
            return [self]
        return [leaf for child in self.children for leaf in child.leaves()]

    def render(self) -> str:
        """Return the tree as indented lines, ``[x]`` marking what held."""
        from relcore.segments.rules.text import to_text

        lines: list[str] = []

        def walk(node: Explanation, depth: int) -> None:
            mark = "[x]" if node.held else "[ ]"
            if isinstance(node.rule, And | Or | Not):
                label = type(node.rule).__name__.lower()
            else:
                label = f"{to_text(node.rule)}  (observed: {_show(node.observed)})"
            lines.append(f"{'  ' * depth}{mark} {label}")
            for child in node.children:
                walk(child, depth + 1)

        walk(self, 0)
        return "\n".join(lines)


def evaluate(
    rule: Rule, view: CustomerView, as_of: datetime, *, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> bool:
    """Return whether the customer in ``view`` matches ``rule`` at ``as_of``.

    Raises:
        InvalidRuleError: The rule is not valid on ``catalogue``.
        ValidationError: ``as_of`` is naive.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore.domain import Customer
        >>> from relcore.segments import CustomerView, evaluate, field
        >>> ada = Customer.person("Ada", stage="customer", tags={"vip"})
        >>> rule = (field("stage") == "customer") & field("tags").has_tag("vip")
        >>> evaluate(rule, CustomerView(ada), datetime.now(UTC))
        True
    """
    return explain(rule, view, as_of, catalogue=catalogue).held


def explain(
    rule: Rule, view: CustomerView, as_of: datetime, *, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> Explanation:
    """Evaluate ``rule`` and keep, for every node, whether it held and what it saw.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore.domain import Customer
        >>> from relcore.segments import CustomerView, explain, field
        >>> ada = Customer.person("Ada", stage="lead", country="FR")
        >>> why = explain((field("stage") == "customer") | (field("country") == "FR"),
        ...               CustomerView(ada), datetime.now(UTC))
        >>> print(why.render())
        [x] or
          [ ] stage == "customer"  (observed: "lead")
          [x] country == "FR"  (observed: "FR")
    """
    moment = check_datetime("as_of", as_of)
    return _Interpreter(view, moment, catalogue).node(validate(rule, catalogue))


def matcher(
    rule: Rule, as_of: datetime, *, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> Callable[[CustomerView], bool]:
    """Validate ``rule`` once and return a test of one customer view at ``as_of``.

    For adapters that evaluate many customers:
    ``[v for v in views if test(v)]`` validates the rule once, not per customer.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore.domain import Customer
        >>> from relcore.segments import CustomerView, field, matcher
        >>> test = matcher(field("stage") == "lead", datetime.now(UTC))
        >>> test(CustomerView(Customer.person("Ada", stage="lead")))
        True
    """
    moment = check_datetime("as_of", as_of)
    checked = validate(rule, catalogue)
    return lambda view: _Interpreter(view, moment, catalogue).node(checked).held


class _Interpreter:
    def __init__(self, view: CustomerView, as_of: datetime, catalogue: Catalogue) -> None:
        self.view = view
        self.as_of = as_of
        self.catalogue = catalogue

    def node(self, rule: Rule) -> Explanation:
        match rule:
            case And(rules=rules):
                children = tuple(self.node(r) for r in rules)
                return Explanation(rule, all(c.held for c in children), None, children)
            case Or(rules=rules):
                children = tuple(self.node(r) for r in rules)
                return Explanation(rule, any(c.held for c in children), None, children)
            case Not(rule=inner):
                child = self.node(inner)
                return Explanation(rule, not child.held, None, (child,))
            case Condition():
                spec = self.catalogue.field(rule.field)
                observed = self.customer_value(spec)
                return Explanation(rule, compare(observed, rule.op, rule.value, self.as_of), observed)
            case Aggregate():
                observed, held = self.aggregate(rule)
                return Explanation(rule, held, observed)
            case _:
                assert_never(rule)

    def customer_value(self, spec: FieldSpec) -> object:
        customer = self.view.customer
        match spec.source:
            case FieldSource.COLUMN:
                return getattr(customer, spec.name)
            case FieldSource.TAGS:
                return customer.tags
            case FieldSource.ROLES:
                return customer.roles
            case FieldSource.ATTRIBUTE:
                return typed_json(customer.attributes.get(spec.key), spec.type)
            case FieldSource.METRIC:
                return typed_json(self.view.metrics.get(spec.key), spec.type)
            case FieldSource.CONSENT:
                purpose, _, channel = spec.key.partition(".")
                return may_contact(self.view.consents, purpose, channel, self.as_of)
            case _:
                assert_never(spec.source)

    def aggregate(self, rule: Aggregate) -> tuple[object, bool]:
        start = None if rule.within_days is None else self.as_of - timedelta(days=rule.within_days)
        if rule.full_window and start is not None and self.view.customer.created_at > start:
            return None, False
        history = self.catalogue.history(rule.events)
        specs = [(self.catalogue.event_field(history, c.field, "where"), c) for c in rule.where]
        time = attrgetter(history.time)
        matching = [
            event
            for event in self.view.history(history.name)
            if time(event) <= self.as_of
            and (start is None or time(event) >= start)
            and all(compare(_event_value(event, spec), c.op, c.value, self.as_of) for spec, c in specs)
        ]
        amount = attrgetter("amount" if history.money is None else history.money.amount)
        observed: object
        match rule.measure:
            case Measure.COUNT:
                observed = len(matching)
            case Measure.SUM:
                observed = sum((amount(e) for e in matching), Decimal(0))
            case Measure.AVERAGE:
                if not matching:
                    return None, compare(None, rule.op, rule.value, self.as_of)
                total = sum((amount(e) for e in matching), Decimal(0))
                # amount op v  <=>  total op v * n: exact, as the SQL compiler does it
                held = compare(total, rule.op, _scaled(rule.value, len(matching)), self.as_of)
                return total / len(matching), held
            case Measure.FIRST:
                observed = min((time(e) for e in matching), default=None)
            case Measure.LAST:
                observed = max((time(e) for e in matching), default=None)
            case _:
                assert_never(rule.measure)
        return observed, compare(observed, rule.op, rule.value, self.as_of)


def _scaled(value: Value, n: int) -> Value:
    if isinstance(value, tuple):
        return tuple(v * n for v in value)  # type: ignore[operator]
    return value * n if isinstance(value, Decimal) else value


def _event_value(event: object, spec: FieldSpec) -> object:
    value = getattr(event, spec.name)
    return str(value) if spec.type is FieldType.CHOICE and value is not None else value


def typed_json(value: object, kind: FieldType) -> object:
    """Return a stored JSON value if it has the declared type, else ``None``.

    Numbers become floats (as the databases compare them).
    """
    match kind:
        case FieldType.TEXT:
            return value if isinstance(value, str) else None
        case FieldType.BOOL:
            return value if isinstance(value, bool) else None
        case FieldType.NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            try:
                return float(value)
            except OverflowError:
                return None
        case _:
            return value


_ORDER: dict[Op, Callable[[Any, Any], bool]] = {
    Op.EQ: lambda a, b: a == b,
    Op.NE: lambda a, b: a != b,
    Op.LT: lambda a, b: a < b,
    Op.LE: lambda a, b: a <= b,
    Op.GT: lambda a, b: a > b,
    Op.GE: lambda a, b: a >= b,
}


def compare(observed: object, op: Op, value: Value, as_of: datetime) -> bool:
    """Apply one validated comparison to an observed value (``None`` = unset)."""
    if op is Op.IS_SET:
        return observed is not None
    if op is Op.IS_NOT_SET:
        return observed is None
    if observed is None:
        return False
    seen: Any = observed  # validation matched the value's type to the field's
    wanted: Any = value
    if isinstance(seen, frozenset):  # tags
        tags = wanted if isinstance(wanted, tuple) else (wanted,)
        if op is Op.HAS_ALL:
            return all(tag in seen for tag in tags)
        return any(tag in seen for tag in tags)
    if isinstance(seen, float):
        wanted = tuple(float(v) for v in wanted) if isinstance(wanted, tuple) else float(wanted)
    match op:
        case Op.EQ | Op.NE | Op.LT | Op.LE | Op.GT | Op.GE:
            return _ORDER[op](seen, wanted)
        case Op.BETWEEN:
            return bool(wanted[0] <= seen <= wanted[1])
        case Op.IN:
            return seen in wanted
        case Op.NOT_IN:
            return seen not in wanted
        case Op.CONTAINS:
            return wanted in seen
        case Op.STARTS_WITH:
            return bool(seen.startswith(wanted))
        case Op.ENDS_WITH:
            return bool(seen.endswith(wanted))
        case Op.WITHIN:
            return bool(as_of - timedelta(days=wanted) <= seen <= as_of)
        case Op.OLDER_THAN:
            return bool(seen < as_of - timedelta(days=wanted))
        case Op.HAS_TAG | Op.HAS_ANY | Op.HAS_ALL | Op.IS_SET | Op.IS_NOT_SET:
            return False  # tags and set tests are answered above
        case _:
            assert_never(op)


def _show(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, frozenset):
        return "{" + ", ".join(sorted(value)) + "}"
    if isinstance(value, datetime):
        return value.isoformat()
    return "unset" if value is None else str(value)
