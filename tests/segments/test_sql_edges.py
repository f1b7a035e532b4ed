"""Edges of the pushdown on every backend: arbitrary hostile text, huge lists, leap days, deep rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore.domain import Customer, Touchpoint
from relcore.registry import Store
from relcore.segments import MAX_DEPTH, MAX_LIST_VALUES, CustomerView, Not, Rule, evaluate, field, touchpoints

AS_OF = datetime(2024, 3, 30, 12, tzinfo=UTC)
_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)


def _members(store: Store, rule: Rule, as_of: datetime = AS_OF) -> list[object]:
    with store.unit_of_work() as uow:
        return list(uow.segments.members(rule, as_of))


def _expected(people: list[Customer], rule: Rule, tps: list[Touchpoint] = ()) -> list[object]:  # type: ignore[assignment]
    return sorted(
        p.id
        for p in people
        if evaluate(rule, CustomerView(p, [t for t in tps if t.customer_id == p.id]), AS_OF)
    )


def test_hostile_text_agrees_with_memory(fresh: Callable[[], Store]) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        names=st.lists(_TEXT.filter(lambda s: s.strip()), min_size=1, max_size=4), probe=_TEXT, data=st.data()
    )
    def check(names: list[str], probe: str, data: st.DataObject) -> None:
        people = [Customer.person(name) for name in names]
        if data.draw(st.booleans()):  # probe with a piece of a stored name, where matches are likely
            name = data.draw(st.sampled_from(names))
            start = data.draw(st.integers(0, len(name)))
            probe = name[start : start + data.draw(st.integers(0, len(name)))]
        store = fresh()
        with store.unit_of_work() as uow:
            for person in people:
                uow.customers.add(person)
            uow.commit()
        name = field("name")
        for rule in (
            name == probe,
            name != probe,
            name.contains(probe),
            name.startswith(probe),
            name.endswith(probe),
            name.isin([probe, *names[:1]]),
        ):
            assert _members(store, rule) == _expected(people, rule), rule

    check()


def test_huge_in_lists(fresh: Callable[[], Store]) -> None:
    store = fresh()
    people = [Customer.person(f"Customer {i}") for i in range(3)]
    with store.unit_of_work() as uow:
        for person in people:
            uow.customers.add(person)
        uow.commit()
    names = [f"Customer {i}" for i in range(1, MAX_LIST_VALUES + 1)]
    rule = field("name").isin(names)
    assert _members(store, rule) == sorted(p.id for p in people[1:])
    assert _members(store, field("name").not_in(names)) == [people[0].id]


def test_leap_day_window(fresh: Callable[[], Store]) -> None:
    store = fresh()
    ada = Customer.person("Ada", created_at=AS_OF - timedelta(days=400))
    leap = Touchpoint(customer_id=ada.id, channel="email", direction="inbound",
                      occurred_at=datetime(2024, 2, 29, 12, tzinfo=UTC))  # fmt: skip
    with store.unit_of_work() as uow:
        uow.customers.add(ada)
        uow.touchpoints.add(leap)
        uow.commit()
    rule = touchpoints().within(days=30).count() == 1
    assert _members(store, rule, AS_OF) == [ada.id]  # 2024-03-30 12:00 minus 30 days is the leap day, 12:00
    assert _members(store, rule, AS_OF + timedelta(microseconds=1)) == []


def test_rules_at_the_depth_limit_compile_everywhere(fresh: Callable[[], Store]) -> None:
    store = fresh()
    ada = Customer.person("Ada", stage="lead")
    with store.unit_of_work() as uow:
        uow.customers.add(ada)
        uow.commit()
    rule: Rule = field("stage") == "lead"
    for _ in range(MAX_DEPTH):
        rule = Not(rule)
    assert _members(store, rule) == ([ada.id] if MAX_DEPTH % 2 == 0 else [])


def test_text_tests_are_case_sensitive_everywhere(fresh: Callable[[], Store]) -> None:
    store = fresh()
    ada = Customer.person("Ada Lovelace")
    with store.unit_of_work() as uow:
        uow.customers.add(ada)
        uow.commit()
    name = field("name")
    misses = (name.contains("ada"), name.startswith("ada"), name.endswith("LOVELACE"), name == "ada lovelace")
    for rule in misses:
        assert _members(store, rule) == [], rule
    for rule in (name.contains("Ada"), name.startswith("Ada L"), name.endswith("lace")):
        assert _members(store, rule) == [ada.id], rule


def test_consent_expiring_exactly_at_as_of_is_no_longer_granted(fresh: Callable[[], Store]) -> None:
    from relcore.domain import ConsentRecord

    store = fresh()
    ada = Customer.person("Ada", created_at=AS_OF - timedelta(days=10))
    grant = ConsentRecord(customer_id=ada.id, purpose="marketing", channel="email", status="granted",
                          recorded_at=AS_OF - timedelta(days=5), expires_at=AS_OF)  # fmt: skip
    with store.unit_of_work() as uow:
        uow.customers.add(ada)
        uow.consents.add(grant)
        uow.commit()
    rule = field("consent.marketing.email") == True  # noqa: E712 - builds a rule
    assert _members(store, rule, AS_OF) == []
    assert _members(store, rule, AS_OF - timedelta(microseconds=1)) == [ada.id]


def test_event_exactly_at_the_window_start_counts(fresh: Callable[[], Store]) -> None:
    store = fresh()
    ada = Customer.person("Ada", created_at=AS_OF - timedelta(days=400))
    with store.unit_of_work() as uow:
        uow.customers.add(ada)
        uow.touchpoints.add(Touchpoint(customer_id=ada.id, channel="email", direction="inbound",
                                       occurred_at=AS_OF - timedelta(days=7)))  # fmt: skip
        uow.commit()
    assert _members(store, touchpoints().within(days=7).count() >= 1) == [ada.id]
    later = AS_OF + timedelta(microseconds=1)
    assert _members(store, touchpoints().within(days=7).count() == 0, later) == [ada.id]


def test_sums_and_averages_past_32_bit_minor_units_agree_with_memory(store: Store) -> None:
    from decimal import Decimal

    from relcore.domain import Transaction
    from relcore.segments import transactions

    people = [Customer.person(f"P{i}") for i in range(3)]
    amounts = [[Decimal("21474837")], [Decimal("30000000.01"), Decimal("30000000.01")], [Decimal("0.01")]]
    with store.unit_of_work() as uow:
        for person in people:
            uow.customers.add(person)
        uow.transactions.add_many(
            Transaction(customer_id=p.id, amount=a, currency="EUR", occurred_at=AS_OF - timedelta(days=1))
            for p, paid in zip(people, amounts, strict=True)
            for a in paid
        )
        uow.commit()
    with store.unit_of_work() as uow:
        history = {p.id: uow.transactions.for_customer(p.id) for p in people}
    eur = transactions(currency="EUR")
    for rule in (
        eur.average() == Decimal("21474837"),
        eur.average() >= Decimal("30000000.01"),
        eur.average().between(Decimal("21474836.99"), Decimal("30000000")),
        eur.sum() == Decimal("60000000.02"),
        eur.sum() > Decimal("21474836.47"),
    ):
        expected = sorted(
            p.id for p in people if evaluate(rule, CustomerView(p, transactions=history[p.id]), AS_OF)
        )
        assert expected  # every rule holds for someone, so the comparison is not vacuous
        assert _members(store, rule) == expected, rule


def test_the_deepest_valid_rule_can_be_stored_as_a_segment(store: Store) -> None:
    from relcore.segments import And, Or, validate
    from relcore.segments.model import Segment
    from relcore.segments.rules.catalogue import DEFAULT_CATALOGUE

    rule: Rule = touchpoints(channel=["email", "sms"]).within(days=30).count() >= 1
    depth = 0
    while True:  # alternate and / or (no flattening) until one more level is refused
        deeper: Rule = (Or if depth % 2 else And)((rule, field("name") == "x"))
        try:
            validate(deeper, DEFAULT_CATALOGUE)
        except ValueError:
            break
        rule, depth = deeper, depth + 1
    assert depth >= MAX_DEPTH
    with store.unit_of_work() as uow:
        uow.segments.add(Segment(name="deepest", kind="dynamic", rule=rule))
        uow.commit()
    with store.unit_of_work() as uow:
        found = uow.segments.find_by_name("deepest")
    assert found is not None
    assert found.rule == rule
