"""Contract of [`SegmentRepository`][relcore.segments.ports.SegmentRepository] and of rule members."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import attrs
import pytest

from relcore.activity.model import Touchpoint, Transaction
from relcore.consent.model import ConsentRecord
from relcore.customers.model import Customer
from relcore.errors import ConflictError, InvalidRuleError, NotFoundError, ValidationError
from relcore.ids import CustomerId, SegmentId, uuid7
from relcore.registry import Store, UnitOfWork
from relcore.segments import (
    DEFAULT_CATALOGUE,
    CustomerView,
    Rule,
    Segment,
    evaluate,
    field,
    touchpoints,
    transactions,
)
from relcore.segments._views import UnitOfWorkViews
from relcore.segments.services import explain_membership
from relcore.testing._contract_support import (
    T0,
    ContractBase,
    consent,
    customer,
    in_unit,
    minutes,
    stored,
    touchpoint,
    transaction,
)
from relcore.value.model import CustomerMetrics, ValueRun

__all__ = ["SegmentContract", "stored_state"]

_CAMPAIGN = UUID("01890a5d-ac96-774b-bcce-b302099a8057")

#: A rule with every node type and every kind of value, to round-trip through storage.
EVERYTHING: Rule = (
    (field("stage").isin(["lead", "customer"]) & field("tags").has_all(["vip", "b2b"]))
    | ~(field("country") == "FR")
    | (touchpoints(channel="email", campaign_id=_CAMPAIGN).within(days=30, full_window=True).count() >= 3)
    | (transactions(kind="order", currency="EUR").sum().between(Decimal("10.50"), Decimal(500)))
    | (transactions(kind="order", currency="JPY").last() < T0)
    | field("created_at").older_than(days=90)
    | (field("consent.marketing.email") == True)  # noqa: E712 - builds a node
    | field("name").contains("%_'\\")
)


def _segment(name: str = "regulars", **fields: object) -> Segment:
    fields.setdefault("kind", "dynamic")
    if fields["kind"] != "static":
        fields.setdefault("rule", field("tags").has_tag("regular"))
    fields.setdefault("created_at", T0)
    if fields["kind"] == "snapshot":
        fields.setdefault("frozen_at", T0)
    return Segment(name=name, **fields)


def stored_state(uow: UnitOfWork, customers: list[Customer]) -> dict[str, object]:
    """Every stored segment, with its stored members."""
    segments = uow.segments.list()
    return {"segments": [(s, uow.segments.stored_members(s.id)) for s in segments]}


class SegmentContract(ContractBase):
    """Segments are stored with their rules, names are unique, memberships change exactly."""

    def test_segment_round_trips_with_every_node_type(self, store: Store) -> None:
        segment = _segment(rule=EVERYTHING, description="all of it ✓")
        in_unit(store, lambda uow: uow.segments.add(segment))
        with store.unit_of_work() as uow:
            assert uow.segments.get(segment.id) == segment
            assert uow.segments.find_by_name("regulars") == segment
            assert uow.segments.find_by_name("regulars ") is None
            assert uow.segments.list() == [segment]

    def test_static_and_snapshot_segments_round_trip(self, store: Store) -> None:
        static, snap = _segment("list", kind="static"), _segment("frozen", kind="snapshot")

        def add(uow: UnitOfWork) -> None:
            uow.segments.add(static)
            uow.segments.add(snap)

        in_unit(store, add)
        with store.unit_of_work() as uow:
            assert uow.segments.list() == [snap, static]

    def test_duplicate_name_or_id_conflicts(self, store: Store) -> None:
        first = _segment()
        in_unit(store, lambda uow: uow.segments.add(first))
        for clash in (_segment(), attrs.evolve(first, name="other")):
            with pytest.raises(ConflictError):
                in_unit(store, lambda uow, s=clash: uow.segments.add(s))  # type: ignore[misc]

    def test_save_checks_version_and_renames(self, store: Store) -> None:
        first, second = _segment(), _segment("second")

        def add(uow: UnitOfWork) -> None:
            uow.segments.add(first)
            uow.segments.add(second)

        in_unit(store, add)
        saved = in_unit(store, lambda uow: uow.segments.save(attrs.evolve(first, name="renamed")))
        assert saved.version == 2
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: uow.segments.save(first))
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: uow.segments.save(attrs.evolve(saved, name="second")))
        with store.unit_of_work() as uow:
            assert uow.segments.find_by_name("regulars") is None
            assert uow.segments.get(first.id).name == "renamed"

    def test_missing_segment_is_not_found(self, store: Store) -> None:
        missing = SegmentId(uuid7())
        for action in (
            lambda uow: uow.segments.get(missing),
            lambda uow: uow.segments.stored_members(missing),
            lambda uow: uow.segments.delete(missing),
            lambda uow: uow.segments.save(_segment(id=missing)),
        ):
            with pytest.raises(NotFoundError):
                in_unit(store, action)

    def test_members_change_exactly_and_come_back_sorted(self, store: Store) -> None:
        people = [customer(f"C{i}") for i in range(5)]
        segment = _segment(kind="static")
        stored(store, *people)
        ids = sorted(c.id for c in people)
        in_unit(store, lambda uow: uow.segments.add(segment))
        in_unit(store, lambda uow: uow.segments.change_members(segment.id, add=ids[::-1], at=T0))
        in_unit(
            store, lambda uow: uow.segments.change_members(segment.id, add=ids[:2], remove=[ids[4]], at=T0)
        )
        in_unit(
            store, lambda uow: uow.segments.change_members(segment.id, remove=[CustomerId(uuid7())], at=T0)
        )
        assert in_unit(store, lambda uow: uow.segments.stored_members(segment.id)) == ids[:4]

    def test_adding_an_unknown_customer_is_not_found_and_changes_nothing(self, store: Store) -> None:
        ada = customer()
        segment = _segment(kind="static")
        stored(store, ada)
        in_unit(store, lambda uow: uow.segments.add(segment))
        with pytest.raises(NotFoundError):
            in_unit(
                store,
                lambda uow: uow.segments.change_members(segment.id, add=[ada.id, CustomerId(uuid7())], at=T0),
            )
        assert in_unit(store, lambda uow: uow.segments.stored_members(segment.id)) == []

    def test_bad_member_ids_are_refused(self, store: Store) -> None:
        segment = _segment(kind="static")
        in_unit(store, lambda uow: uow.segments.add(segment))
        with pytest.raises(ValidationError):
            in_unit(store, lambda uow: uow.segments.change_members(segment.id, add=["not-a-uuid"], at=T0))  # type: ignore[list-item]

    def test_delete_removes_segment_and_members(self, store: Store) -> None:
        ada = customer()
        segment = _segment(kind="static")
        stored(store, ada)

        def add(uow: UnitOfWork) -> None:
            uow.segments.add(segment)
            uow.segments.change_members(segment.id, add=[ada.id], at=T0)

        in_unit(store, add)
        in_unit(store, lambda uow: uow.segments.delete(segment.id))
        with store.unit_of_work() as uow:
            assert uow.segments.list() == []
            assert uow.segments.find_by_name(segment.name) is None
        in_unit(store, lambda uow: uow.segments.add(segment))  # the name and id are free again
        assert in_unit(store, lambda uow: uow.segments.stored_members(segment.id)) == []

    def test_rollback_undoes_segments_and_members(self, store: Store) -> None:
        ada = customer()
        segment = _segment(kind="static")
        stored(store, ada)

        def work(uow: UnitOfWork) -> None:
            uow.segments.add(segment)
            uow.segments.change_members(segment.id, add=[ada.id], at=T0)

        in_unit(store, work, commit=False)
        with store.unit_of_work() as uow:
            assert uow.segments.list() == []

    def test_members_agree_with_evaluate(self, store: Store) -> None:
        people = _stored_population(store)
        as_of = minutes(60 * 24 * 10)
        with store.unit_of_work() as uow:
            views = {c.id: _view(uow, c) for c in people}
            for rule in _RULES:
                expected = sorted(i for i, v in views.items() if evaluate(rule, v, as_of))
                assert list(uow.segments.members(rule, as_of)) == expected, rule

    def test_explain_agrees_with_members(self, store: Store) -> None:
        people = _stored_population(store)
        as_of = minutes(60 * 24 * 10)
        with store.unit_of_work() as uow:
            for rule in _RULES:
                members = set(uow.segments.members(rule, as_of))
                for person in people:
                    explained = explain_membership(uow, rule, person.id, as_of, DEFAULT_CATALOGUE)
                    assert explained.held == (person.id in members), (rule, person.name)

    def test_members_refuses_invalid_rules_and_naive_time(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            with pytest.raises(InvalidRuleError):
                list(uow.segments.members(field("password") == "x", T0))
            with pytest.raises(ValidationError):
                list(uow.segments.members(field("stage") == "lead", T0.replace(tzinfo=None)))

    def test_members_of_an_empty_store_is_empty(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            assert list(uow.segments.members(field("stage") == "lead", T0)) == []


_RULES: list[Rule] = [
    field("stage") == "customer",
    field("tags").has_any(["vip", "gold"]),
    ~(field("country") == "FR"),
    field("country") != "FR",
    field("name").startswith("C1"),
    touchpoints(channel="email").within(days=7).count() >= 2,
    touchpoints(direction="inbound").count() == 0,
    transactions(kind="order", currency="EUR").sum() > Decimal("15.00"),
    transactions(kind="order", currency="EUR").average() >= Decimal("10.00"),
    transactions(kind="order").last().within(days=5),
    field("consent.marketing.email") == True,  # noqa: E712 - builds a node
    field("created_at").older_than(days=3) & ~field("tags").has_tag("vip"),
    field("metrics.orders") >= 2,
    field("metrics.tier").is_not_set() | (field("metrics.tier") == "top"),
]


def _population() -> tuple[list[Customer], list[ConsentRecord | Touchpoint | Transaction]]:
    people = [
        customer(
            f"C{i}",
            stage=("lead", "customer")[i % 2],
            tags=(("vip",), ("gold", "b2b"), ())[i % 3],
            country=(None, "FR", "DE")[i % 3],
            created_at=minutes(60 * 24 * i),
        )
        for i in range(9)
    ]
    history: list[ConsentRecord | Touchpoint | Transaction] = []
    for i, person in enumerate(people):
        for k in range(i % 4):
            when = minutes(60 * 24 * (i + k))
            history.append(touchpoint(person.id, occurred_at=when, direction=("inbound", "outbound")[k % 2]))
            history.append(transaction(person.id, amount=Decimal(5 * (k + 1)), occurred_at=when))
        if i % 2:
            history.append(consent(person.id, recorded_at=minutes(60 * i)))
    return people, history


def _stored_population(store: Store) -> list[Customer]:
    """Store the population, with value metrics for every other customer; return the customers."""
    people, history = _population()
    stored(store, *people, *history)
    run = ValueRun(as_of=T0, created_at=T0)
    metrics = [
        CustomerMetrics(
            customer_id=p.id, as_of=T0, run_id=run.id, orders=i % 4, tier=(None, "top")[i % 3 == 0]
        )
        for i, p in enumerate(people)
        if i % 2 == 0
    ]
    in_unit(store, lambda uow: uow.metrics.replace_all(run, metrics))
    return people


def _view(uow: UnitOfWork, person: Customer) -> CustomerView:
    return UnitOfWorkViews(uow).view(person.id, DEFAULT_CATALOGUE.histories.values())
