"""The key gate: ``members`` on every backend equals ``evaluate`` in memory, for generated data and rules.

Hypothesis builds a small world (customers with hostile names, tags, mixed-type
attributes, touchpoints and transactions on both sides of window boundaries,
consent ledgers with ties and expiries, stored value metrics) and rules over
it; each backend stores the world and must return exactly the customers for
which :func:`relcore.segments.evaluate` holds at the same ``as_of``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import mysql, postgresql, sqlite

from relcore.domain import ConsentRecord, Customer, CustomerMetrics, Touchpoint, Transaction, ValueRun
from relcore.registry import Store
from relcore.segments import (
    DEFAULT_CATALOGUE,
    And,
    Condition,
    CustomerView,
    Not,
    Op,
    Or,
    Rule,
    evaluate,
    field,
    touchpoints,
    transactions,
    validate,
)
from relcore.segments._sql_rules import members_query

AS_OF = datetime(2024, 3, 1, 12, tzinfo=UTC)
CATALOGUE = DEFAULT_CATALOGUE.with_attributes(plan="text", seats="number", trial="bool")
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)

WINDOWS = [7, 30, 365]
OFFSETS = [
    *(w * DAY + tick for w in WINDOWS[:2] for tick in (-TICK, timedelta(0), timedelta(0), TICK)),
    timedelta(0),
    TICK,
    2 * DAY,
    100 * DAY,
    365 * DAY,
    -DAY,
    -TICK,
]
"""How long before ``AS_OF`` things happen: mostly on and around the windows' edges, some after it."""
NAMES = [
    "Ada",
    "ada",
    "Ada ",
    " Ada",
    "O'Brien",
    "100%_off",
    "back\\slash",
    "'; DROP TABLE relcore_customers; --",
    "Zoë",
    "Zoe\u0308",
    "😀 emoji",
    "a_b",
    "a%b",
    "日本",
    'say "hi"',
    "tab\there",
]
TEXTS = ["", " ", "%", "_", "\\", "'", '"', "Ada", "ada", "A", "😀", "%_", "b", "Zo", "ë", "日", "DROP", "\t"]
TAGS = ["vip", "b2b", "gold", "eco"]
PLANS = ["pro", "Pro", "pro ", 3, True, None, "😀", "a\\b"]
SEATS = [5, 12.5, "12", True, 2**40, 0, -3]
OUTCOMES = [None, "resolved", "Resolved", "no_answer", "100%", "res"]
MONEY = {"EUR": ["0.10", "10.00", "99.99", "500.00"], "JPY": ["100", "5000"], "USD": ["1.00", "250.00"]}
TIERS = ["top 1%", "top 5%", "rest", "Top 1%"]


@attrs.frozen
class World:
    customers: list[Customer]
    touchpoints: list[Touchpoint]
    transactions: list[Transaction]
    consents: list[ConsentRecord]
    metrics: list[CustomerMetrics]
    run: ValueRun


def _when(offset: timedelta) -> datetime:
    return AS_OF - offset


@st.composite
def worlds(draw: st.DrawFn) -> World:
    people = []
    for i in range(draw(st.integers(1, 5))):
        attributes: dict[str, Any] = {}
        for key, pool in (("plan", PLANS), ("seats", SEATS), ("trial", [True, False, 1, "yes"])):
            if draw(st.booleans()):
                attributes[key] = draw(st.sampled_from(pool))
        name = draw(st.sampled_from(NAMES))
        people.append(
            Customer.person(
                name if name.strip() else f"C{i}",
                stage=draw(st.sampled_from(["lead", "customer", "churned"])),
                tags=draw(st.sets(st.sampled_from(TAGS), max_size=3)),
                country=draw(st.sampled_from([None, "FR", "DE"])),
                attributes=attributes,
                created_at=_when(draw(st.sampled_from([2 * DAY, 30 * DAY, 100 * DAY, 400 * DAY]))),
            )
        )
    ids = [p.id for p in people]
    pick = st.sampled_from(ids)
    tps = [
        Touchpoint(
            customer_id=draw(pick),
            channel=draw(st.sampled_from(["email", "phone"])),
            direction=draw(st.sampled_from(["inbound", "outbound"])),
            outcome=draw(st.sampled_from(OUTCOMES)),
            occurred_at=_when(draw(st.sampled_from(OFFSETS))),
        )
        for _ in range(draw(st.integers(0, 8)))
    ]
    txs = []
    for _ in range(draw(st.integers(0, 6))):
        currency = draw(st.sampled_from(sorted(MONEY)))
        txs.append(
            Transaction(
                customer_id=draw(pick),
                kind=draw(st.sampled_from(["order", "order", "refund", "quote"])),
                amount=Decimal(draw(st.sampled_from(MONEY[currency]))),
                currency=currency,
                occurred_at=_when(draw(st.sampled_from(OFFSETS))),
            )
        )
    tie = _when(10 * DAY)
    ledger = []
    for _ in range(draw(st.integers(0, 6))):
        recorded = draw(st.sampled_from([tie, tie, _when(40 * DAY), _when(-DAY)]))
        expires = draw(st.sampled_from([None, AS_OF, AS_OF + TICK, _when(5 * DAY)]))
        ledger.append(
            ConsentRecord(
                customer_id=draw(pick),
                purpose="marketing",
                channel=draw(st.sampled_from(["email", None, "sms"])),
                status=draw(st.sampled_from(["granted", "denied", "withdrawn"])),
                recorded_at=recorded,
                expires_at=expires if expires is None or expires > recorded else None,
            )
        )
    run = ValueRun(as_of=AS_OF, created_at=AS_OF)
    metrics = [
        CustomerMetrics(
            customer_id=cid,
            as_of=AS_OF,
            run_id=run.id,
            orders=draw(st.integers(0, 3)),
            clv=draw(st.sampled_from([None, 0.0, 12.5, 300.0])),
            tier=draw(st.sampled_from([None, *TIERS])),
        )
        for cid in ids
        if draw(st.booleans())
    ]
    return World(people, tps, txs, ledger, metrics, run)


def _dates() -> st.SearchStrategy[datetime]:
    return st.sampled_from(OFFSETS).map(_when)


def _text_leaf(name: str) -> st.SearchStrategy[Rule]:
    text = st.sampled_from(TEXTS + NAMES)
    return st.one_of(
        st.builds(
            lambda op, v: Condition(name, op, v),
            st.sampled_from([Op.EQ, Op.NE, Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH]),
            text,
        ),
        st.lists(text, min_size=1, max_size=3).map(lambda vs: Condition(name, Op.IN, tuple(vs))),
        st.lists(text, min_size=1, max_size=3).map(lambda vs: Condition(name, Op.NOT_IN, tuple(vs))),
    )


def _set_leaf(name: str) -> st.SearchStrategy[Rule]:
    return st.sampled_from([field(name).is_set(), field(name).is_not_set()])


def _number_leaf(name: str, values: list[float]) -> st.SearchStrategy[Rule]:
    ops = st.sampled_from([Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE])
    return st.one_of(
        st.builds(lambda op, v: Condition(name, op, v), ops, st.sampled_from(values)),
        st.tuples(st.sampled_from(values), st.sampled_from(values)).map(
            lambda lh: field(name).between(min(lh), max(lh))
        ),
    )


def _date_leaf(make: Callable[[Op, Any], Rule]) -> st.SearchStrategy[Rule]:
    return st.one_of(
        st.builds(make, st.sampled_from([Op.LT, Op.LE, Op.GT, Op.GE]), _dates()),
        st.builds(make, st.sampled_from([Op.WITHIN, Op.OLDER_THAN]), st.sampled_from(WINDOWS)),
        st.tuples(_dates(), _dates()).map(lambda lh: make(Op.BETWEEN, (min(lh), max(lh)))),
    )


def _touchpoint_leaf() -> st.SearchStrategy[Rule]:
    where = st.lists(
        st.one_of(
            st.sampled_from(
                [
                    Condition("channel", Op.EQ, "email"),
                    Condition("direction", Op.EQ, "inbound"),
                    Condition("channel", Op.IN, ("email", "sms")),
                    Condition("direction", Op.NE, "inbound"),
                ]
            ),
            st.builds(
                lambda op, v: Condition("outcome", op, v),
                st.sampled_from([Op.EQ, Op.NE, Op.STARTS_WITH, Op.CONTAINS]),
                st.sampled_from(["resolved", "Resolved", "res", "%", ""]),
            ),
            st.sampled_from([Condition("outcome", Op.IS_SET), Condition("outcome", Op.IS_NOT_SET)]),
        ),
        max_size=2,
    )
    window = st.one_of(st.none(), st.sampled_from(WINDOWS))

    def build(conditions: list[Condition], days: int | None, full: bool, test: tuple[str, Op, Any]) -> Rule:
        query = touchpoints(*conditions)
        if days is not None:
            query = query.within(days=days, full_window=full)
        measure, op, value = test
        return getattr(query, measure)()._node(op, value)  # type: ignore[no-any-return]

    tests = st.one_of(
        st.tuples(st.just("count"), st.sampled_from([Op.EQ, Op.GE, Op.GT, Op.LT, Op.LE]), st.integers(0, 3)),
        st.tuples(st.sampled_from(["first", "last"]), st.sampled_from([Op.LT, Op.GE]), _dates()),
        st.tuples(
            st.sampled_from(["first", "last"]),
            st.sampled_from([Op.WITHIN, Op.OLDER_THAN]),
            st.sampled_from(WINDOWS),
        ),
        st.tuples(st.sampled_from(["last"]), st.sampled_from([Op.IS_SET, Op.IS_NOT_SET]), st.none()),
    )
    return st.builds(build, where, window, st.booleans(), tests)


@st.composite
def _transaction_leaf(draw: st.DrawFn) -> Rule:
    currency = draw(st.sampled_from(sorted(MONEY)))
    conditions = [Condition("currency", Op.EQ, currency)]
    if draw(st.booleans()):
        conditions.append(Condition("kind", Op.EQ, draw(st.sampled_from(["order", "refund"]))))
    if draw(st.booleans()):
        amount = Decimal(draw(st.sampled_from(MONEY[currency])))
        conditions.append(Condition("amount", draw(st.sampled_from([Op.GE, Op.LT])), amount))
    query = transactions(*conditions)
    days = draw(st.one_of(st.none(), st.sampled_from(WINDOWS)))
    if days is not None:
        query = query.within(days=days, full_window=draw(st.booleans()))
    measure = draw(st.sampled_from(["count", "sum", "average", "last"]))
    amounts = [Decimal(0), *(Decimal(v) for v in MONEY[currency])]
    if measure == "count":
        return query.count()._node(draw(st.sampled_from([Op.GE, Op.EQ, Op.LT])), draw(st.integers(0, 2)))
    if measure == "last":
        return query.last()._node(
            draw(st.sampled_from([Op.WITHIN, Op.OLDER_THAN])), draw(st.sampled_from(WINDOWS))
        )
    ref = getattr(query, measure)()
    if draw(st.booleans()):
        low, high = sorted([draw(st.sampled_from(amounts)), draw(st.sampled_from(amounts))])
        return ref.between(low, high)  # type: ignore[no-any-return]
    op = draw(st.sampled_from([Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE]))
    return ref._node(op, draw(st.sampled_from(amounts)))  # type: ignore[no-any-return]


def leaves() -> st.SearchStrategy[Rule]:
    """Aggregates as often as all the customer fields together: they are where the SQL is hardest."""
    return st.one_of(customer_leaves(), _touchpoint_leaf(), _transaction_leaf())


def customer_leaves() -> st.SearchStrategy[Rule]:
    return st.one_of(
        st.builds(
            lambda op, v: Condition("stage", op, v),
            st.sampled_from([Op.EQ, Op.NE]),
            st.sampled_from(["lead", "customer"]),
        ),
        st.lists(st.sampled_from(TAGS), min_size=1, max_size=3).flatmap(
            lambda tags: st.sampled_from(
                [field("tags").has_tag(tags[0]), field("tags").has_any(tags), field("tags").has_all(tags)]
            )
        ),
        st.builds(
            lambda op, v: Condition("country", op, v),
            st.sampled_from([Op.EQ, Op.NE]),
            st.sampled_from(["FR", "DE", "FR "]),
        ),
        st.lists(st.sampled_from(["FR", "DE", "IT"]), min_size=1, max_size=2).map(
            lambda vs: field("country").not_in(vs)
        ),
        _set_leaf("country"),
        _text_leaf("name"),
        _text_leaf("attributes.plan"),
        _set_leaf("attributes.plan"),
        _number_leaf("attributes.seats", [0, 5, 12, 12.5, -1, 2**40]),
        _set_leaf("attributes.seats"),
        st.builds(
            lambda op, v: Condition("attributes.trial", op, v), st.sampled_from([Op.EQ, Op.NE]), st.booleans()
        ),
        _set_leaf("attributes.trial"),
        st.builds(
            lambda op, v: Condition("consent.marketing.email", op, v),
            st.sampled_from([Op.EQ, Op.NE]),
            st.booleans(),
        ),
        _date_leaf(lambda op, v: Condition("created_at", op, v)),
        _number_leaf("metrics.clv", [0.0, 12.5, 100, 300]),
        _number_leaf("metrics.orders", [0, 1, 2]),
        st.builds(
            lambda op, v: Condition("metrics.tier", op, v),
            st.sampled_from([Op.EQ, Op.NE, Op.STARTS_WITH]),
            st.sampled_from([*TIERS, "top"]),
        ),
        _set_leaf("metrics.tier"),
    )


def rules() -> st.SearchStrategy[Rule]:
    return st.recursive(
        leaves(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(lambda rs: And(tuple(rs))),
            st.lists(inner, max_size=3).map(lambda rs: Or(tuple(rs))),
            inner.map(Not),
        ),
        max_leaves=6,
    )


def expected_members(world: World, rule: Rule, as_of: datetime) -> list[UUID]:
    found = []
    metrics = {m.customer_id: m.values() for m in world.metrics}
    for person in world.customers:
        view = CustomerView(
            person,
            [t for t in world.touchpoints if t.customer_id == person.id],
            [t for t in world.transactions if t.customer_id == person.id],
            [c for c in world.consents if c.customer_id == person.id],
            metrics.get(person.id, {}),
        )
        if evaluate(rule, view, as_of, catalogue=CATALOGUE):
            found.append(person.id)
    return sorted(found)


def load(store: Store, world: World) -> None:
    with store.unit_of_work() as uow:
        for person in world.customers:
            uow.customers.add(person)
        uow.touchpoints.add_many(world.touchpoints)
        uow.transactions.add_many(world.transactions)
        for record in world.consents:
            uow.consents.add(record)
        uow.metrics.replace_all(world.run, world.metrics)
        uow.commit()


@pytest.mark.parametrize("zone", [UTC, timezone(timedelta(hours=-5))], ids=["utc", "utc-5"])
def test_members_equal_evaluate(fresh: Callable[[], Store], zone: timezone) -> None:
    as_of = AS_OF.astimezone(zone)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(world=worlds(), checks=st.lists(rules(), min_size=1, max_size=6))
    def check(world: World, checks: list[Rule]) -> None:
        store = fresh()
        load(store, world)
        with store.unit_of_work() as uow:
            for rule in checks:
                got = list(uow.segments.members(rule, as_of, catalogue=CATALOGUE))
                assert got == expected_members(world, rule, as_of), rule

    check()


@settings(max_examples=300, deadline=None)
@given(rule=rules())
def test_generated_rules_are_valid(rule: Rule) -> None:
    assert validate(rule, CATALOGUE) is not None


def test_generated_rules_split_populations() -> None:
    """The generators are useful only if rules often keep some customers and drop others."""
    split = 0

    @settings(max_examples=200, deadline=None, database=None)
    @given(world=worlds(), rule=rules())
    def count(world: World, rule: Rule) -> None:
        nonlocal split
        members = expected_members(world, rule, AS_OF)
        split += 0 < len(members) < len(world.customers)

    count()
    assert split >= 20, split


SENTINEL = "§marker§"


@settings(max_examples=100, deadline=None)
@given(text=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30))
def test_rule_values_never_reach_the_sql_text(text: str) -> None:
    marker = SENTINEL + text
    rule = (
        (field("name") == marker)
        | field("name").contains(marker)
        | field("attributes.plan").startswith(marker)
        | (touchpoints(outcome=marker).count() >= 2)
        | field("name").isin([marker, marker + "x"])
    )
    dialects = (
        (sqlite.dialect(), "sqlite"),
        (postgresql.dialect(), "postgresql"),
        (mysql.dialect(), "mysql"),
    )
    for dialect, name in dialects:
        statement = str(
            members_query(rule, AS_OF, dialect=name, catalogue=CATALOGUE).compile(dialect=dialect)
        )
        assert SENTINEL not in statement, (name, statement)
