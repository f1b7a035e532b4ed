"""Compiling segment rules to one SQLAlchemy expression: the SQL twin of ``segments.evaluate``.

[`compile_rule`][relcore.segments._sql_rules.compile_rule] walks the same node union as the in-memory
interpreter (a ``match`` closed by ``assert_never``) and builds a boolean expression over
``relcore_customers``; aggregate leaves become correlated subqueries (``EXISTS``
when the question is "at least one" or "none"), consent fields the ledger's
deciding record, custom attributes a typed JSON extraction. Every value is a
bound parameter; no SQL text is made from rule content.

Each leaf is two-valued: it is TRUE or FALSE, never NULL, so ``NOT`` means
what it means in memory. The per-dialect differences that would make SQL
disagree with Python are handled here and only here: SQLite's ``LIKE`` ignores
case, so its text tests use ``instr`` / ``substr``; MariaDB's collations pad
trailing spaces and JSON text comes back in the connection's collation, so
its text comparisons go through ``BINARY``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, assert_never
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement

from relcore._kernel.adapters import load
from relcore._kernel.checks import check_datetime
from relcore._kernel.declarations import History
from relcore._kernel.money import CURRENCIES
from relcore.errors import InvalidRuleError
from relcore.segments import (
    DEFAULT_CATALOGUE,
    Aggregate,
    And,
    Catalogue,
    Condition,
    FieldSource,
    FieldSpec,
    FieldType,
    Measure,
    Not,
    Op,
    Or,
    Rule,
    Value,
    validate,
)
from relcore.segments._sql_fields import attribute, consent_granted, metric
from relcore.storage.sql.dialects import DialectFamily, dialect_family
from relcore.storage.sql.schema import customer_roles, customer_tags, customers

__all__ = ["compile_rule", "members_query"]

Bool = ColumnElement[bool]


def members_query(
    rule: Rule, as_of: datetime, *, dialect: Dialect | str, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> sa.Select[tuple[Any]]:
    """Return ``SELECT id FROM relcore_customers WHERE <rule> ORDER BY id``."""
    condition = compile_rule(rule, as_of, dialect=dialect, catalogue=catalogue)
    return sa.select(customers.c.id).where(condition).order_by(customers.c.id)


def compile_rule(
    rule: Rule, as_of: datetime, *, dialect: Dialect | str, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> Bool:
    """Return ``rule`` (validated here) as a boolean expression over ``relcore_customers``.

    Args:
        rule: The rule.
        as_of: The moment windows and consent are judged at (aware).
        dialect: The SQLAlchemy dialect the SQL is for, or the name of its
            family (``"sqlite"``, ``"postgresql"``, ``"mysql"``); see
            [dialect_family][relcore.storage.sql.dialects.dialect_family].
        catalogue: The fields the rule may use.
    """
    checked = validate(rule, catalogue)
    return _Compiler(check_datetime("as_of", as_of), dialect, catalogue).node(checked)


class _Compiler:
    def __init__(self, as_of: datetime, dialect: Dialect | str, catalogue: Catalogue) -> None:
        self.as_of = as_of
        self.family = dialect_family(dialect)
        self.mysql = self.family is DialectFamily.MYSQL
        self.sqlite = self.family is DialectFamily.SQLITE
        # MariaDB 10.7+ stores ids in its own UUID type (a family name alone: assume it does)
        self.native_uuid = self.mysql and bool(getattr(dialect, "supports_native_uuid", True))
        self.catalogue = catalogue

    def node(self, rule: Rule) -> Bool:
        match rule:
            case And(rules=rules):
                return sa.and_(*(self.node(r) for r in rules)) if rules else sa.true()
            case Or(rules=rules):
                return sa.or_(*(self.node(r) for r in rules)) if rules else sa.false()
            case Not(rule=inner):
                return sa.not_(self.node(inner))
            case Condition():
                return self.condition(self.catalogue.field(rule.field), rule)
            case Aggregate():
                return self.aggregate(rule)
            case _:
                assert_never(rule)

    # -- customer fields ------------------------------------------------------

    def condition(self, spec: FieldSpec, rule: Condition) -> Bool:
        match spec.source:
            case FieldSource.COLUMN:
                return self.compare(customers.c[spec.name], spec, rule.op, rule.value)
            case FieldSource.TAGS:
                return self.tags(rule.op, rule.value)
            case FieldSource.ROLES:
                return self.tags(rule.op, rule.value, customer_roles.c.customer_id, customer_roles.c.role)
            case FieldSource.ATTRIBUTE:
                expression = attribute(customers.c.attributes, spec.key, spec.type, self.family)
                return self.compare(expression, spec, rule.op, rule.value, maybe_null=True)
            case FieldSource.METRIC:
                return self.compare(metric(spec.key), spec, rule.op, rule.value, maybe_null=True)
            case FieldSource.CONSENT:
                purpose, _, channel = spec.key.partition(".")
                granted = consent_granted(purpose, channel, self.as_of)
                wanted = rule.value if rule.op is Op.EQ else not rule.value
                return granted if wanted else sa.not_(granted)
            case _:
                assert_never(spec.source)

    def tags(
        self,
        op: Op,
        value: Value,
        owner: sa.Column[Any] = customer_tags.c.customer_id,
        label: sa.Column[Any] = customer_tags.c.tag,
    ) -> Bool:
        """Test the customer's tags (or roles, from ``owner`` and ``label`` of their table)."""
        wanted = sorted(set(value)) if isinstance(value, tuple) else [value]
        owned = sa.and_(owner == customers.c.id, label.in_(wanted))
        if op is Op.HAS_ALL and len(wanted) > 1:
            count = sa.select(sa.func.count()).where(owned).scalar_subquery()
            return count == len(wanted)
        return sa.exists().where(owned)

    # -- comparisons ------------------------------------------------------------

    def compare(
        self, expression: Any, spec: FieldSpec, op: Op, value: Value, *, maybe_null: bool = False
    ) -> Bool:
        """Compare, keeping the result TRUE or FALSE when the expression is NULL."""
        if op is Op.IS_SET:
            return expression.is_not(None)  # type: ignore[no-any-return]
        if op is Op.IS_NOT_SET:
            return expression.is_(None)  # type: ignore[no-any-return]
        if spec.type is FieldType.BOOL:
            wanted = bool(value if op is Op.EQ else not value)
            if isinstance(getattr(expression, "type", None), sa.Boolean):  # a history's boolean column
                return sa.and_(expression.is_not(None), expression == wanted)
            # a typed attribute: 1 for true, 0 for false, NULL if unset
            return sa.and_(expression.is_not(None), expression == int(wanted))
        if spec.type is FieldType.NUMBER and value is not None:
            value = tuple(float(v) for v in value) if isinstance(value, tuple) else float(value)  # type: ignore[arg-type]
        result = self.test(expression, spec.type, op, value)
        if maybe_null or spec.nullable:
            return sa.and_(expression.is_not(None), result)
        return result

    def test(self, expression: Any, kind: FieldType, op: Op, value: Value) -> Bool:
        if kind is FieldType.TEXT:
            return self.text(expression, op, value)
        if kind is FieldType.ID and self.native_uuid:
            return self.ids(expression, op, value)
        match op:
            case Op.EQ:
                return expression == value  # type: ignore[no-any-return]
            case Op.NE:
                return expression != value  # type: ignore[no-any-return]
            case Op.LT:
                return expression < value  # type: ignore[no-any-return]
            case Op.LE:
                return expression <= value  # type: ignore[no-any-return]
            case Op.GT:
                return expression > value  # type: ignore[no-any-return]
            case Op.GE:
                return expression >= value  # type: ignore[no-any-return]
            case Op.BETWEEN:
                bounds: Any = value
                return sa.and_(expression >= bounds[0], expression <= bounds[1])
            case Op.IN:
                return expression.in_(value)  # type: ignore[no-any-return]
            case Op.NOT_IN:
                return expression.not_in(value)  # type: ignore[no-any-return]
            case Op.WITHIN:
                start = self.as_of - timedelta(days=value)  # type: ignore[arg-type]
                return sa.and_(expression >= start, expression <= self.as_of)
            case Op.OLDER_THAN:
                return expression < self.as_of - timedelta(days=value)  # type: ignore[arg-type, no-any-return]
            case _:
                raise InvalidRuleError.single("op", f"{op.value!r} cannot be compiled for {kind.value}")

    def ids(self, expression: Any, op: Op, value: Value) -> Bool:
        """Id tests on MariaDB's native UUID column, which cannot hold every UUID.

        MariaDB (10.7 and later) refuses a UUID whose variant bits are ``0xx``
        (the NCS variant): no stored id can equal one, and the literal itself
        would become NULL and turn ``!=`` into "unknown". Such values are
        dropped from the comparison instead: ``== u`` is false, ``!= u`` true.
        """
        if op is Op.EQ or op is Op.NE:
            if _storable(value):
                return expression == value if op is Op.EQ else expression != value  # type: ignore[no-any-return]
            return sa.false() if op is Op.EQ else sa.true()
        kept = [v for v in value if _storable(v)]  # type: ignore[union-attr]
        if op is Op.IN:
            return expression.in_(kept) if kept else sa.false()
        return expression.not_in(kept) if kept else sa.true()

    def text(self, expression: Any, op: Op, value: Value) -> Bool:
        """Case-sensitive, code-point text tests that agree with Python on every backend."""
        if self.mysql:  # byte comparison: no trailing-space padding, no case folding
            expression = sa.func.binary(expression)
        match op:
            case Op.EQ:
                return expression == value  # type: ignore[no-any-return]
            case Op.NE:
                return expression != value  # type: ignore[no-any-return]
            case Op.IN:
                return expression.in_(value)  # type: ignore[no-any-return]
            case Op.NOT_IN:
                return expression.not_in(value)  # type: ignore[no-any-return]
            case Op.CONTAINS | Op.STARTS_WITH | Op.ENDS_WITH if value == "":
                return sa.true()
            case Op.CONTAINS if self.sqlite:
                return sa.func.instr(expression, value) > 0
            case Op.STARTS_WITH if self.sqlite:
                return sa.func.substr(expression, 1, len(str(value))) == value
            case Op.ENDS_WITH if self.sqlite:
                size = len(str(value))
                return sa.and_(sa.func.length(expression) >= size, sa.func.substr(expression, -size) == value)
            case Op.CONTAINS:
                return expression.contains(value, autoescape=True)  # type: ignore[no-any-return]
            case Op.STARTS_WITH:
                return expression.startswith(value, autoescape=True)  # type: ignore[no-any-return]
            case Op.ENDS_WITH:
                return expression.endswith(value, autoescape=True)  # type: ignore[no-any-return]
            case _:
                raise InvalidRuleError.single("op", f"{op.value!r} cannot be compiled for text")

    # -- aggregates ---------------------------------------------------------------

    def aggregate(self, rule: Aggregate) -> Bool:
        history = self.catalogue.history(rule.events)
        table = _table(history).alias()
        time = table.c[history.time]
        start = None if rule.within_days is None else self.as_of - timedelta(days=rule.within_days)
        scope = [table.c[history.aggregate.owner or "customer_id"] == customers.c.id, time <= self.as_of]
        if start is not None:
            scope.append(time >= start)
        money = history.money
        currency = None
        if money is not None:
            fixing = (c.value for c in rule.where if c.field == money.currency and c.op is Op.EQ)
            currency = next(fixing, None)
        for condition in rule.where:
            spec = self.catalogue.event_field(history, condition.field, "where")
            scope.append(self.event_condition(history, table, spec, condition, currency))
        leaf = self.measure(rule, history, table, sa.and_(*scope), currency)
        if rule.full_window and start is not None:
            return sa.and_(customers.c.created_at <= start, leaf)
        return leaf

    def event_condition(
        self, history: History, table: Any, spec: FieldSpec, condition: Condition, currency: object
    ) -> Bool:
        setness = condition.op in (Op.IS_SET, Op.IS_NOT_SET)
        if history.money is not None and spec.name == history.money.amount and not setness:
            units = _minor_units(condition.value, str(currency))
            return self.compare(
                table.c[history.money.column], FieldSpec(spec.name, FieldType.NUMBER), condition.op, units
            )
        declared = history.field(spec.name)
        column = spec.name if declared is None else declared.sql_column
        return self.compare(table.c[column], spec, condition.op, condition.value)

    def measure(self, rule: Aggregate, history: History, table: Any, scope: Bool, currency: object) -> Bool:
        op, value = rule.op, rule.value
        minor = table.c[history.money.column] if history.money is not None else None
        match rule.measure:
            case Measure.COUNT:
                if (op is Op.GE and value == 1) or (op is Op.GT and value == 0):
                    return sa.exists().where(scope)
                if (
                    (op is Op.EQ and value == 0)
                    or (op is Op.LT and value == 1)
                    or (op is Op.LE and value == 0)
                ):
                    return sa.not_(sa.exists().where(scope))
                count = sa.select(sa.func.count()).where(scope).scalar_subquery()
                return self.test(count, FieldType.NUMBER, op, value)
            case Measure.SUM:
                total = sa.select(sa.func.coalesce(sa.func.sum(minor), 0)).where(scope)
                units = _minor_units(value, str(currency))
                return self.test(total.scalar_subquery(), FieldType.NUMBER, op, units)
            case Measure.AVERAGE:
                if op in (Op.IS_SET, Op.IS_NOT_SET):
                    found = sa.exists().where(scope)
                    return found if op is Op.IS_SET else sa.not_(found)
                amount = sa.select(sa.func.sum(minor)).where(scope).scalar_subquery()
                count = sa.select(sa.func.count()).where(scope).scalar_subquery()
                units = _minor_units(value, str(currency))
                # bound as BIGINT: an INTEGER parameter would overflow on PostgreSQL past 2**31 - 1 units
                scaled: Any = (
                    tuple(sa.literal(u, sa.BigInteger) * count for u in units)
                    if isinstance(units, tuple)
                    else sa.literal(units, sa.BigInteger) * count
                )
                return sa.and_(count > 0, self.test(amount, FieldType.NUMBER, op, scaled))
            case Measure.FIRST | Measure.LAST:
                pick = sa.func.min if rule.measure is Measure.FIRST else sa.func.max
                moment = sa.select(pick(table.c[history.time])).where(scope).scalar_subquery()
                spec = FieldSpec(rule.measure.value, FieldType.DATETIME, nullable=True)
                return self.compare(moment, spec, op, value)
            case _:
                assert_never(rule.measure)


def _table(history: History) -> sa.Table:
    """The ``sa.Table`` of the history's aggregate, named by its declaration."""
    if history.aggregate.table is None:
        raise InvalidRuleError.single("events", f"the {history.name} history has no SQL table")
    table = load(history.aggregate.table)
    if not isinstance(table, sa.Table):
        raise InvalidRuleError.single("events", f"the {history.name} history's table is not a table")
    return table


def _minor_units(value: Value, currency: str) -> Any:
    """An amount (or amounts) in the currency's minor units, exactly."""
    if isinstance(value, tuple):
        return tuple(_minor_units(v, currency) for v in value)
    return int(Decimal(value).scaleb(CURRENCIES[currency]))  # type: ignore[arg-type]


def _storable(value: object) -> bool:
    """Whether MariaDB's UUID type can hold ``value``: its variant's first bit is 1 (RFC 4122 and later)."""
    return isinstance(value, UUID) and bool(value.int >> 63 & 1)
