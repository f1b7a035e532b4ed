"""Scores computed by every store equal the memory evaluator's: generated plans over generated histories.

Decay is floating point. With a factor that is a power-of-two fraction (0.5, 0.25, 0.75) and
event ages of at most 13 periods, every weight ``factor ** k`` and every sum of them times whole
points is exactly representable in a double, so any summation order gives the same result and
the scores must be *equal*. With another factor (0.9, 0.3) the weights are rounded; SQL adds them
in an order of its choosing, so the totals may differ by a few units in the last place: each sum
has at most ``n`` terms, so its relative error is below ``n * 2**-53``; the test allows ``1e-9``
relative (plus ``1e-9`` absolute), far above that and far below any points a plan gives.
"""

from __future__ import annotations

import math
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore.activity.model import Touchpoint
from relcore.customers.model import Customer
from relcore.marketing import Decay, ScoringGroup, ScoringPlan, ScoringRule, score
from relcore.registry import UnitOfWork
from relcore.segments import Aggregate, CustomerView, Rule, field, touchpoints
from relcore.testing._contract_support import T0, StoreFactory, customer, in_unit

EXACT_FACTORS = (0.5, 0.25, 0.75)
ROUNDED_FACTORS = (0.9, 0.3)
PERIODS = (30, 45)
KINDS = ("open", "click", "visit")
CHANNELS = ("email", "web")
# ages in days, some exactly on a 30- or 45-day period boundary (and a microsecond either side)
AGES = st.one_of(
    st.sampled_from([0, 1, 29, 30, 44, 45, 60, 90, 135, 180, 300, 390]).map(lambda d: timedelta(days=d)),
    st.sampled_from([30, 45, 90]).map(lambda d: timedelta(days=d, microseconds=1)),
    st.sampled_from([30, 45, 90]).map(lambda d: timedelta(days=d, microseconds=-1)),
    st.integers(min_value=0, max_value=390 * 86_400_000_000).map(lambda us: timedelta(microseconds=us)),
)
PEOPLE = 4


def _leaf() -> st.SearchStrategy[Aggregate]:
    """An event condition over touchpoints: a kind or channel, an optional window, at least ``n``."""
    where = st.one_of(
        st.sampled_from(KINDS).map(lambda k: touchpoints(kind=k)),
        st.sampled_from(CHANNELS).map(lambda c: touchpoints(channel=c)),
    )
    windowed = st.tuples(where, st.sampled_from([None, 7, 30, 90]), st.booleans()).map(
        lambda t: t[0] if t[1] is None else t[0].within(days=t[1], full_window=t[2])
    )
    return st.tuples(windowed, st.integers(min_value=1, max_value=3)).map(lambda t: t[0].count() >= t[1])


def _condition() -> st.SearchStrategy[Rule]:
    return st.one_of(
        st.sampled_from(["vip", "test"]).map(lambda tag: field("tags").has_tag(tag)),
        st.sampled_from(["FR", "DE"]).map(lambda country: field("country") == country),
        _leaf(),
    )


def _rule(name: str, lowest: int = -20) -> st.SearchStrategy[ScoringRule]:
    points = st.integers(min_value=lowest, max_value=20)
    once = st.builds(ScoringRule, name=st.just(name), rule=_condition(), points=points)
    caps = st.one_of(st.none(), st.integers(min_value=1, max_value=40))
    each = st.builds(
        ScoringRule, name=st.just(name), rule=_leaf(), points=points, per_event=st.just(True), cap=caps
    )
    return st.one_of(once, each)


def _group(name: str, factors: tuple[float, ...], lowest: int = -20) -> st.SearchStrategy[ScoringGroup]:
    decays = st.builds(Decay, factor=st.sampled_from(factors), period_days=st.sampled_from(PERIODS))
    timing = st.one_of(
        st.just({}),
        st.sampled_from([7, 30, 60]).map(lambda days: {"window_days": days}),
        decays.map(lambda decay: {"decay": decay}),
    )
    rules = st.integers(min_value=1, max_value=3).flatmap(
        lambda n: st.tuples(*(_rule(f"r{i}", lowest) for i in range(n)))
    )
    limits = st.one_of(st.none(), st.integers(min_value=1, max_value=60))
    return st.builds(
        lambda kind, rules, limit, timing: ScoringGroup(
            name=name, kind=kind, rules=rules, limit=limit, **timing
        ),
        st.sampled_from(["fit", "engagement"]),
        rules,
        limits,
        timing,
    )


def plans(factors: tuple[float, ...], lowest: int = -20) -> st.SearchStrategy[ScoringPlan]:
    """Plans of one to three groups whose decays use ``factors``, rules giving ``lowest`` points or more."""
    groups = st.integers(min_value=1, max_value=3).flatmap(
        lambda n: st.tuples(*(_group(f"g{i}", factors, lowest) for i in range(n)))
    )
    limits = st.one_of(st.none(), st.integers(min_value=1, max_value=100))
    return st.builds(
        lambda gs, limit: ScoringPlan(name="P", groups=gs, limit=limit, created_at=T0), groups, limits
    )


def _people() -> list[Customer]:
    tags = [["vip"], [], ["test", "vip"], []]
    countries = ["FR", "DE", None, "FR"]
    created = [T0 - timedelta(days=400), T0 - timedelta(days=20), T0 - timedelta(days=100), T0]
    return [
        customer(f"P{i}", tags=tags[i], country=countries[i], created_at=created[i]) for i in range(PEOPLE)
    ]


def _histories(people: list[Customer]) -> st.SearchStrategy[tuple[list[Touchpoint], ...]]:
    def entries(person: Customer) -> st.SearchStrategy[list[Touchpoint]]:
        one = st.builds(
            lambda age, kind, channel: Touchpoint(
                customer_id=person.id, channel=channel, direction="inbound", kind=kind, occurred_at=T0 - age
            ),
            AGES,
            st.sampled_from(KINDS),
            st.sampled_from(CHANNELS),
        )
        return st.lists(one, max_size=6)

    return st.tuples(*(entries(p) for p in people))


def _agree(store_factory: StoreFactory, factors: tuple[float, ...], exact: bool, max_examples: int) -> None:
    people = _people()
    slow = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

    @settings(max_examples=max_examples, deadline=None, suppress_health_check=slow)
    @given(found=_histories(people), plan=plans(factors))
    def check(found: tuple[list[Touchpoint], ...], plan: ScoringPlan) -> None:
        store = store_factory()

        def write(uow: UnitOfWork) -> None:
            uow.customers.add_many(people)
            uow.touchpoints.add_many([t for mine in found for t in mine])

        in_unit(store, write)
        expected = {}
        for person, mine in zip(people, found, strict=True):
            got = score(plan, CustomerView(person, touchpoints=mine), T0)
            expected[person.id] = (got.fit, got.engagement, got.total)
        with store.unit_of_work() as uow:
            computed = {cid: (fit, eng, total) for cid, fit, eng, total in uow.scores.compute(plan, T0)}
        assert list(computed) == sorted(expected)
        for customer_id, want in expected.items():
            have = computed[customer_id]
            if exact:
                assert have == want, plan
            else:
                for a, b in zip(have, want, strict=True):
                    assert (a is None) == (b is None), plan
                    assert a is None or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), plan  # type: ignore[arg-type]

    check()


def test_every_store_computes_the_memory_scores_exactly_with_power_of_two_decay(
    store_factory: StoreFactory,
) -> None:
    _agree(store_factory, EXACT_FACTORS, exact=True, max_examples=40)


def test_every_store_computes_the_memory_scores_within_rounding_with_other_decay(
    store_factory: StoreFactory,
) -> None:
    _agree(store_factory, ROUNDED_FACTORS, exact=False, max_examples=15)


def test_adding_a_matching_event_never_lowers_an_engagement_score(store_factory: StoreFactory) -> None:
    """With points of zero or more (rules testing "at least n" events), one more event only adds.

    Decay by a factor other than a power-of-two fraction is rounded, and the database may add the
    same weights in another order once a row is added: "not lower" allows the tolerance above.
    """
    people = _people()
    slow = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
    event = st.builds(
        lambda who, age, kind, channel: Touchpoint(
            customer_id=people[who].id, channel=channel, direction="inbound", kind=kind, occurred_at=T0 - age
        ),
        st.integers(0, PEOPLE - 1),
        AGES,
        st.sampled_from(KINDS),
        st.sampled_from(CHANNELS),
    )

    @settings(max_examples=20, deadline=None, suppress_health_check=slow)
    @given(found=_histories(people), plan=plans(EXACT_FACTORS + ROUNDED_FACTORS, lowest=0), more=event)
    def check(found: tuple[list[Touchpoint], ...], plan: ScoringPlan, more: Touchpoint) -> None:
        store = store_factory()

        def write(uow: UnitOfWork) -> None:
            uow.customers.add_many(people)
            uow.touchpoints.add_many([t for mine in found for t in mine])

        in_unit(store, write)
        with store.unit_of_work() as uow:
            before = {cid: (eng, total) for cid, _, eng, total in uow.scores.compute(plan, T0)}
        in_unit(store, lambda uow: uow.touchpoints.add(more))
        with store.unit_of_work() as uow:
            after = {cid: (eng, total) for cid, _, eng, total in uow.scores.compute(plan, T0)}
        for customer_id, (engagement, total) in before.items():
            now_engagement, now_total = after[customer_id]
            if engagement is not None:
                assert now_engagement is not None
                assert now_engagement >= engagement - 1e-9 * (1 + abs(engagement)), plan
            assert now_total >= total - 1e-9 * (1 + abs(total)), plan

    check()
