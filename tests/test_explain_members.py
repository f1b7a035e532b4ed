"""``crm.segments.explain`` agrees with ``crm.segments.members`` on every backend, for generated worlds.

Both must judge a customer on the same facts: their fields, consent ledger,
touchpoints, transactions and stored value metrics. The worlds are those of
the segment differential test (values on window edges, ties, hostile text,
stored metrics); the rules come from it, from leaves on those metrics and from
[relcore.testing.segment_strategies.rules][].
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore import CRM, Customer
from relcore.domain import CustomerMetrics, ValueRun
from relcore.registry import Store
from relcore.segments import And, Condition, Not, Op, Or, Rule, field
from relcore.storage.memory import MemoryStore
from relcore.testing import segment_strategies
from relcore.testing.contracts import FixedClock
from tests.conftest import StoreFactory
from tests.segments.test_differential import AS_OF, CATALOGUE, TIERS, World, leaves, load, rules, worlds

ZONES = [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
EXAMPLES = {"memory": 150, "sqlite": 40, "postgres": 30, "mysql": 30}


@pytest.fixture
def fresh(store_factory: StoreFactory, backend: str) -> Iterator[Callable[[], Store]]:
    """A function returning an empty store of the backend for each example."""
    if backend == "memory":
        yield MemoryStore
        return
    from relcore.storage.sql.testing import wipe

    store = store_factory()

    def empty() -> Store:
        wipe(store.bind)  # type: ignore[attr-defined]
        return store

    yield empty


def _crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(AS_OF), catalogue=CATALOGUE)


def test_explain_sees_the_stored_metrics_members_sees(store: Store) -> None:
    crm = _crm(store)
    ada, bob = Customer.person("Ada"), Customer.person("Bob")
    run = ValueRun(as_of=AS_OF, created_at=AS_OF)
    load(
        store,
        World(
            [ada, bob],
            [],
            [],
            [],
            [CustomerMetrics(customer_id=ada.id, as_of=AS_OF, run_id=run.id, orders=2)],
            run,
        ),
    )
    rule = field("metrics.orders") >= 1
    assert list(crm.segments.members(rule, AS_OF)) == [ada.id]
    explained = crm.segments.explain(rule, ada.id, AS_OF)
    assert explained.held
    assert explained.observed == 2
    assert not crm.segments.explain(rule, bob.id, AS_OF).held
    assert crm.segments.explain(field("metrics.orders").is_not_set(), bob.id, AS_OF).held


_COMPARE = st.sampled_from([Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE])


def _metric_leaves() -> st.SearchStrategy[Rule]:
    """Leaves on the metrics the worlds store (orders, clv, tier), on and around their values."""
    return st.one_of(
        st.builds(lambda op, v: Condition("metrics.orders", op, v), _COMPARE, st.integers(-1, 4)),
        st.builds(lambda op, v: Condition("metrics.clv", op, v), _COMPARE, st.sampled_from([0.0, 12.5, 300])),
        st.builds(
            lambda op, v: Condition("metrics.tier", op, v),
            st.sampled_from([Op.EQ, Op.NE, Op.STARTS_WITH, Op.CONTAINS]),
            st.sampled_from([*TIERS, "top", "%"]),
        ),
        st.sampled_from(["orders", "clv", "tier", "as_of", "recency"]).flatmap(
            lambda name: st.sampled_from(
                [field(f"metrics.{name}").is_set(), field(f"metrics.{name}").is_not_set()]
            )
        ),
    )


def _checked_rules() -> st.SearchStrategy[Rule]:
    """Every part of what a rule sees, metrics as often as the rest together.

    The rules of the segment differential test (fields, consent, touchpoints,
    transactions, metrics), leaves on the stored metrics, and the package's
    generated rules over the customer fields.
    """
    mixed = st.recursive(
        st.one_of(leaves(), _metric_leaves()),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(lambda rs: And(tuple(rs))),
            st.lists(inner, max_size=3).map(lambda rs: Or(tuple(rs))),
            inner.map(Not),
        ),
        max_leaves=4,
    )
    fields_only = segment_strategies.rules(CATALOGUE, as_of=AS_OF, events=(), max_depth=2)
    return st.one_of(mixed, rules(), fields_only)


def test_explain_holds_exactly_for_the_members(fresh: Callable[[], Store], backend: str) -> None:
    @settings(
        max_examples=EXAMPLES[backend],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        world=worlds(), checks=st.lists(_checked_rules(), min_size=1, max_size=3), zone=st.sampled_from(ZONES)
    )
    def check(world: World, checks: list[Rule], zone: timezone) -> None:
        store = fresh()
        load(store, world)
        crm = _crm(store)
        as_of = AS_OF.astimezone(zone)
        for rule in checks:
            members = set(crm.segments.members(rule, as_of))
            for person in world.customers:
                explained = crm.segments.explain(rule, person.id, as_of)
                assert explained.held == (person.id in members), (rule, person.id, explained.render())

    check()
