"""Segments through the CRM facade, on every backend: define, members, explain, refresh, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from relcore import (
    CRM,
    ConflictError,
    Customer,
    InvalidRuleError,
    NotFoundError,
    SegmentEntered,
    SegmentLeft,
    Touchpoint,
    Transaction,
    ValidationError,
)
from relcore.registry import Store
from relcore.segments import DEFAULT_CATALOGUE, field, touchpoints, transactions
from relcore.testing.contracts import FixedClock

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def crm(store: Store, clock: FixedClock) -> CRM:
    return CRM(store, clock=clock, catalogue=DEFAULT_CATALOGUE.with_attributes(plan="text", seats="number"))


def _people(crm: CRM) -> dict[str, Customer]:
    people = {
        "ada": Customer.person(
            "Ada",
            stage="customer",
            tags={"vip"},
            attributes={"plan": "pro", "seats": 12},
            created_at=NOW - timedelta(days=400),
        ),
        "bob": Customer.person(
            "Bob", stage="lead", attributes={"plan": 3}, created_at=NOW - timedelta(days=5)
        ),
        "cy": Customer.organization(
            "Cy Corp", stage="customer", country="FR", created_at=NOW - timedelta(days=90)
        ),
    }
    for person in people.values():
        crm.customers.add(person)
    ada, cy = people["ada"].id, people["cy"].id
    for days in (1, 2, 3, 40):
        crm.activity.record_touchpoint(
            Touchpoint(
                customer_id=ada, channel="email", direction="inbound", occurred_at=NOW - timedelta(days=days)
            )
        )
    crm.activity.record_transaction(
        Transaction(
            customer_id=cy, amount=Decimal("600.00"), currency="EUR", occurred_at=NOW - timedelta(days=10)
        )
    )
    return people


def test_members_of_a_rule_streams_ids_in_order(crm: CRM) -> None:
    people = _people(crm)
    customers = field("stage") == "customer"
    assert list(crm.segments.members(customers)) == sorted([people["ada"].id, people["cy"].id])
    busy = touchpoints(channel="email").within(days=30).count() >= 3
    assert list(crm.segments.members(busy)) == [people["ada"].id]
    assert list(crm.segments.members(busy, as_of=NOW - timedelta(days=2))) == []
    big = transactions(kind="order", currency="EUR").within(days=365).sum() > 500
    assert list(crm.segments.members(big)) == [people["cy"].id]
    assert list(crm.segments.members(field("attributes.plan") == "pro")) == [people["ada"].id]
    assert list(crm.segments.members(field("attributes.seats") >= 10)) == [people["ada"].id]


def test_rules_are_checked_against_the_crm_catalogue(crm: CRM) -> None:
    with pytest.raises(InvalidRuleError, match=r"attributes\.region"):
        list(crm.segments.members(field("attributes.region") == "north"))
    with pytest.raises(InvalidRuleError):
        crm.segments.define("bad", field("stage") == "king")
    assert crm.segments.list().items == ()


def test_refresh_emits_entered_and_left_after_commit(crm: CRM, clock: FixedClock) -> None:
    people = _people(crm)
    events: list[object] = []
    crm.subscribe(SegmentEntered, events.append)
    crm.subscribe(SegmentLeft, events.append)
    segment = crm.segments.define("engaged", touchpoints(channel="email").within(days=7).count() >= 1)
    assert events == []
    assert segment.refreshed_at is None
    first = crm.segments.refresh("engaged")
    assert first.entered == (people["ada"].id,)
    assert first.left == ()
    assert first.size == 1
    assert events == [SegmentEntered(segment.id, people["ada"].id, NOW)]
    assert crm.segments.refresh(segment.id).entered == ()  # nothing changed, nothing emitted
    assert len(events) == 1
    later = clock.advance(timedelta(days=10))
    second = crm.segments.refresh(segment)
    assert second.left == (people["ada"].id,)
    assert second.size == 0
    assert events[-1] == SegmentLeft(segment.id, people["ada"].id, later)
    assert crm.segments.get("engaged").refreshed_at == later


def test_refresh_segments_refreshes_every_dynamic_one(crm: CRM) -> None:
    _people(crm)
    crm.segments.define("customers", field("stage") == "customer")
    crm.segments.define("leads", field("stage") == "lead")
    crm.segments.define("list", kind="static")
    results = crm.segments.refresh_all()
    assert sorted((r.segment.name, r.size) for r in results) == [("customers", 2), ("leads", 1)]


def test_static_list_changes_by_hand(crm: CRM) -> None:
    people = _people(crm)
    events: list[object] = []
    crm.subscribe(SegmentEntered, events.append)
    crm.segments.define("press", kind="static", description="journalists")
    added = crm.segments.add_members("press", [people["bob"].id, people["ada"].id])
    assert added.entered == tuple(sorted([people["bob"].id, people["ada"].id]))
    assert crm.segments.add_members("press", [people["bob"].id]).entered == ()
    removed = crm.segments.remove_members("press", [people["bob"].id])
    assert removed.left == (people["bob"].id,)
    assert list(crm.segments.members("press")) == [people["ada"].id]
    assert len(events) == 2
    with pytest.raises(ValidationError, match="no rule"):
        crm.segments.explain("press", people["ada"].id)
    with pytest.raises(ValidationError, match="static"):
        crm.segments.define("oops", field("stage") == "lead", kind="static")


def test_snapshot_freezes_membership(crm: CRM) -> None:
    people = _people(crm)
    snap = crm.segments.define("customers-then", field("stage") == "customer", kind="snapshot")
    assert snap.frozen_at == NOW
    crm.customers.save(attrs.evolve(crm.customers.get(people["bob"].id), stage="customer"))
    assert list(crm.segments.members("customers-then")) == sorted([people["ada"].id, people["cy"].id])
    assert crm.segments.refresh("customers-then").entered == ()
    # the rule, explained on today's data, now holds for Bob, who is not in the frozen membership
    assert crm.segments.explain("customers-then", people["bob"].id).held


def test_explain_says_which_leaves_held(crm: CRM) -> None:
    people = _people(crm)
    rule = (field("stage") == "customer") & (touchpoints(channel="email").within(days=30).count() >= 3)
    why = crm.segments.explain(rule, people["ada"].id)
    assert why.held
    assert [leaf.observed for leaf in why.leaves()] == ["customer", 3]
    why_not = crm.segments.explain(rule, people["cy"].id)
    assert not why_not.held
    assert [leaf.held for leaf in why_not.leaves()] == [True, False]


def test_names_are_unique_and_segments_can_be_deleted(crm: CRM) -> None:
    crm.segments.define("leads", field("stage") == "lead")
    with pytest.raises(ConflictError):
        crm.segments.define("leads", field("stage") == "customer")
    crm.segments.delete("leads")
    with pytest.raises(NotFoundError):
        crm.segments.get("leads")
    crm.segments.define("leads", field("stage") == "customer")


def test_naive_as_of_is_refused(crm: CRM) -> None:
    with pytest.raises(ValidationError):
        list(crm.segments.members(field("stage") == "lead", as_of=datetime(2025, 1, 1)))
