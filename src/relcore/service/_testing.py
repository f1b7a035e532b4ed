"""Contract of the service repositories' special queries, and the service aggregates' example entities."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import attrs
import pytest

from relcore.activity.model import Touchpoint
from relcore.customers.model import Customer
from relcore.errors import ConflictError, ValidationError
from relcore.ids import CaseId, CustomerId, uuid7
from relcore.registry import Store, UnitOfWork
from relcore.service.calendars import BusinessCalendar
from relcore.service.clocks import CaseMessage
from relcore.service.decisions import merge, open_case, set_status
from relcore.service.marks import MarkKind, SlaMark
from relcore.service.model import Case, CaseChange
from relcore.service.policies import CaseCondition, SlaPolicy, SlaPolicyRevision, SlaTarget
from relcore.service.statuses import BUILTIN_STATUSES, CaseStatus
from relcore.testing._contract_support import T0, ContractBase, contact, customer, in_unit, minutes

__all__ = [
    "ServiceContract",
    "case",
    "desk_calendar",
    "new_case",
    "new_change",
    "new_mark",
    "new_policy",
    "new_status",
    "policy",
    "stored_state",
]

EXAMPLE_CASE = CaseId(UUID("018f0000-0000-7000-8000-00000000c001"))
"""The id of the case the example history entries and marks belong to."""

_STATUS = {s.key: s for s in BUILTIN_STATUSES}


def desk_calendar() -> BusinessCalendar:
    """Monday to Friday, 09:00-12:00 and 13:00-17:00 in Paris, closed on 14 July 2024."""
    days = {day: ["09:00-12:00", "13:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    return BusinessCalendar.weekly("Europe/Paris", days, exceptions={date(2024, 7, 14): []})


def policy(name: str = "Standard", **fields: Any) -> SlaPolicy:
    """A policy on the desk calendar: first response in 1 h (4 h when low), resolution in 8 h (low: 24 h)."""
    fields.setdefault("created_at", T0)
    fields.setdefault("calendar", desk_calendar())
    targets = [
        SlaTarget(metric=metric, priority=priority, minutes=minutes * (4 if priority == "low" else 1))
        for metric, minutes in (("first_response", 60), ("next_response", 120), ("resolution", 480))
        for priority in ("low", "normal", "high", "urgent")
    ]
    fields.setdefault("targets", targets)
    return SlaPolicy(name=name, **fields)


def case(customer_id: CustomerId, **fields: Any) -> Case:
    """A new e-mail question of ``customer_id`` opened at `T0`, unless told otherwise."""
    fields.setdefault("subject", "Where is my order?")
    fields.setdefault("channel", "email")
    fields.setdefault("created_at", T0)
    return Case(customer_id=customer_id, **fields)


def stored_state(uow: UnitOfWork, customers: list[Customer]) -> dict[str, object]:
    """Every status and policy with its revisions, and every customer's cases with their history and marks."""
    return {
        "case_statuses": uow.case_statuses.list(limit=500).items,
        "sla_policies": uow.sla_policies.list(limit=500).items,
        "sla_revisions": uow.sla_revisions.list(limit=500).items,
        "cases": [uow.cases.for_owner(c.id) for c in customers],
        "case_changes": [uow.case_changes.for_owner(c.id) for c in customers],
        "sla_marks": [uow.sla_marks.for_owner(c.id) for c in customers],
    }


# -- example entities for the generic aggregate contract ---------------------------------------------


def _prepare_case(uow: UnitOfWork, owner: CustomerId) -> None:
    uow.cases.add(case(owner, id=EXAMPLE_CASE))


def new_status(owner: CustomerId, key: tuple[str] | None = None, **fields: Any) -> CaseStatus:
    """A new on-hold status keyed ``key`` (by default a key no other has); statuses have no owner."""
    name = key[0] if key is not None else f"waiting_{uuid7().hex[-12:]}"
    fields.setdefault("category", "on_hold")
    return CaseStatus(key=name, **fields)


def new_policy(owner: CustomerId, key: tuple[str] | None = None, **fields: Any) -> SlaPolicy:
    """A new policy named ``key`` (by default a name no other has); policies have no owner."""
    name = key[0] if key is not None else f"Policy {uuid7().hex[-12:]}"
    return policy(name, **fields)


def new_case(owner: CustomerId, key: object = None, **fields: Any) -> Case:
    """A new case of ``owner`` (cases have no unique key: ``key`` is ignored)."""
    return case(owner, **fields)


def new_change(owner: CustomerId, key: object = None, **fields: Any) -> CaseChange:
    """A new history entry of the example case (entries have no unique key: ``key`` is ignored)."""
    opened = open_case(case(owner, id=EXAMPLE_CASE), _STATUS["new"], lambda _: None)
    assert opened.change is not None
    return attrs.evolve(opened.change, id=uuid7(), **fields)


def new_mark(owner: CustomerId, key: tuple[Any, ...] | None = None, **fields: Any) -> SlaMark:
    """A new breach mark of the example case (``key``: its case, metric, instance and kind)."""
    if key is not None:
        fields.update(zip(("case_id", "metric", "instance", "kind"), key, strict=True))
    fields.setdefault("case_id", EXAMPLE_CASE)
    fields.setdefault("metric", "resolution")
    fields.setdefault("instance", int(uuid7().hex[-6:], 16))
    fields.setdefault("kind", "breached")
    return SlaMark(customer_id=owner, at=T0, marked_at=minutes(1), **fields)


new_change.prepare = _prepare_case  # type: ignore[attr-defined]
new_mark.prepare = _prepare_case  # type: ignore[attr-defined]


def _id(found: Case) -> UUID:
    return found.id


class ServiceContract(ContractBase):
    """The service repositories' special queries, and every field round-tripping."""

    def test_every_field_of_a_case_and_its_history_round_trips(self, store: Store) -> None:
        ada = customer()
        grace = contact(ada.id)
        standard = policy(condition=CaseCondition(priorities=["high"], tags_any=["vip"], channels=["email"]))
        parent = case(ada.id)
        full = case(
            ada.id,
            contact_id=grace.id,
            subject="Colis abîmé ✉",
            description="Long text " * 500,
            type="complaint",
            priority="high",
            team="tier-2",
            assignee="agent-7",
            parent_id=parent.id,
            tags=["vip", "damaged"],
            attributes={"order": "A-17", "nested": {"a": [1, 2]}},
        )
        revision = SlaPolicyRevision.of(standard, T0)
        opened = open_case(full, _STATUS["open"], lambda _: standard)
        solved = set_status(opened.case, _STATUS["solved"], minutes(90), lambda _: standard)
        assert opened.change is not None
        assert solved.change is not None

        def write(uow: UnitOfWork) -> None:
            uow.customers.add(ada)
            uow.contacts.add(grace)
            uow.sla_policies.add(standard)
            uow.sla_revisions.add(revision)
            uow.cases.add(parent)
            uow.cases.add(opened.case)
            uow.case_changes.add(opened.change)  # type: ignore[arg-type]
            uow.cases.save(solved.case)
            uow.case_changes.add(solved.change)  # type: ignore[arg-type]

        in_unit(store, write)
        with store.unit_of_work() as uow:
            assert uow.sla_policies.get(standard.id) == standard
            assert uow.sla_revisions.find(standard.id, 1) == revision
            assert uow.sla_revisions.find(standard.id, 2) is None
            got = uow.cases.get(full.id)
            assert got == attrs.evolve(solved.case, version=2, updated_at=got.updated_at)
            assert got.policy_id == standard.id
            assert got.solved_at == minutes(90)
            assert uow.case_changes.for_case(full.id) == [opened.change, solved.change]
            assert uow.cases.children(parent.id) == [got]
            assert uow.cases.children(full.id) == []

    def test_histories_in_bulk_are_oldest_first_and_status_use_is_seen(self, store: Store) -> None:
        ada = customer()
        waiting = CaseStatus(key="awaiting_parts", category="on_hold")
        first = open_case(case(ada.id), _STATUS["new"], lambda _: None)
        other = open_case(case(ada.id), _STATUS["open"], lambda _: None)
        held = set_status(first.case, waiting, minutes(5), lambda _: None)
        assert first.change is not None
        assert other.change is not None
        assert held.change is not None
        tied = [attrs.evolve(held.change, id=uuid7(), at=minutes(3)) for _ in range(3)]

        def write(uow: UnitOfWork) -> None:
            uow.customers.add(ada)
            uow.case_statuses.add(waiting)
            uow.cases.add(first.case)
            uow.cases.add(other.case)
            for entry in (held.change, *reversed(tied), first.change, other.change):
                uow.case_changes.add(entry)  # type: ignore[arg-type]

        in_unit(store, write)
        expected = [first.change, *sorted(tied, key=lambda c: c.id), held.change]
        with store.unit_of_work() as uow:
            assert uow.case_changes.for_case(first.case.id) == expected
            assert uow.case_changes.for_cases([first.case.id, other.case.id, CaseId(uuid7())]) == {
                first.case.id: expected,
                other.case.id: [other.change],
            }
            assert uow.case_changes.for_cases([]) == {}
            assert uow.case_changes.uses_status("awaiting_parts")
            assert uow.case_changes.uses_status("new")
            assert not uow.case_changes.uses_status("pending")
            assert uow.case_statuses.find("awaiting_parts") == waiting
            with pytest.raises(ValidationError):
                uow.case_changes.for_cases("not ids")  # type: ignore[arg-type]

    def test_running_cases_leave_out_closed_and_merged_ones(self, store: Store) -> None:
        ada = customer()
        cases = [case(ada.id, created_at=T0 + timedelta(minutes=i)) for i in range(6)]
        closed = set_status(cases[1], _STATUS["closed"], minutes(10), lambda _: None).case
        merged = merge(cases[2], cases[0], minutes(10)).case
        solved = set_status(cases[3], _STATUS["solved"], minutes(10), lambda _: None).case

        def write(uow: UnitOfWork) -> None:
            uow.customers.add(ada)
            uow.cases.add_many([cases[0], closed, merged, solved, cases[4], cases[5]])

        in_unit(store, write)
        with store.unit_of_work() as uow:
            first = uow.cases.running(limit=2)
            rest = uow.cases.running(after=first.next_after, limit=2)
            assert [c.id for c in (*first.items, *rest.items)] == sorted(
                c.id for c in (cases[0], solved, cases[4], cases[5])
            )
            assert rest.next_after is None

    def test_cases_opened_in_a_range_page_in_id_order(self, store: Store) -> None:
        ada = customer()
        # created out of id order, with instants on and next to the range's bounds
        offsets = [5, -1, 0, 3, 10, 9, 7]
        cases = [case(ada.id, created_at=minutes(m) + timedelta(microseconds=m % 2)) for m in offsets]
        solved = set_status(cases[3], _STATUS["solved"], minutes(20), lambda _: None).case
        closed = set_status(cases[0], _STATUS["closed"], minutes(30), lambda _: None).case
        stored = [closed, cases[1], cases[2], solved, *cases[4:]]

        def write(uow: UnitOfWork) -> None:
            uow.customers.add(ada)
            uow.cases.add_many(stored)

        in_unit(store, write)
        start, end = minutes(0), minutes(9) + timedelta(microseconds=1)
        inside = sorted(c.id for c in stored if start <= c.created_at < end)
        with store.unit_of_work() as uow:
            got: list[Case] = []
            after = None
            while True:
                page = uow.cases.opened(start, end, after=after, limit=2)
                got.extend(page.items)
                if page.next_after is None:
                    break
                after = page.next_after
            assert [c.id for c in got] == inside
            assert got == sorted((c for c in uow.cases.list(limit=50).items if c.id in inside), key=_id)
            everything = uow.cases.opened(None, minutes(60), limit=50)
            assert [c.id for c in everything.items] == sorted(c.id for c in stored)
            unsolved = uow.cases.opened(None, minutes(60), unsolved_at=minutes(25), limit=50)
            assert [c.id for c in unsolved.items] == sorted(c.id for c in stored if c is not solved)
            still = uow.cases.opened(None, minutes(60), unsolved_at=minutes(20), limit=50)
            assert len(still.items) == len(stored) - 1  # solved at the instant itself: left out
            assert uow.cases.opened(end, start).items == ()
            with pytest.raises(ValidationError):
                uow.cases.opened(start, datetime(2026, 1, 1))

    def test_marks_are_unique_per_case_metric_instance_and_kind(self, store: Store) -> None:
        ada = customer()
        one, two = case(ada.id), case(ada.id)
        marks = [
            SlaMark(case_id=one.id, customer_id=ada.id, metric=m, kind=k, at=T0, marked_at=minutes(5))
            for m in ("first_response", "resolution")
            for k in MarkKind
        ]
        again = attrs.evolve(marks[0], id=uuid7(), at=minutes(2))

        def write(uow: UnitOfWork) -> None:
            uow.customers.add(ada)
            uow.cases.add_many([one, two])
            assert uow.sla_marks.add_many(marks) == 4
            assert not uow.sla_marks.add(again)

        in_unit(store, write)
        with store.unit_of_work() as uow:
            assert uow.sla_marks.for_cases([one.id, two.id]) == sorted(marks, key=lambda m: m.id)
            assert uow.sla_marks.for_cases([two.id]) == []
            assert uow.sla_marks.find(one.id, "first_response", 0, "at_risk") == marks[0]

    def test_a_policy_name_is_unique(self, store: Store) -> None:
        def write(uow: UnitOfWork) -> None:
            assert uow.sla_policies.add(policy("Gold"))
            assert not uow.sla_policies.add(policy("Gold"))

        in_unit(store, write)
        with store.unit_of_work() as uow:
            assert uow.sla_policies.count() == 1
            gold = uow.sla_policies.find("Gold")
            assert gold is not None
            with pytest.raises(ConflictError):
                uow.sla_policies.save(attrs.evolve(gold, version=7))

    def test_a_cases_messages_are_its_customers_touchpoints_naming_it(self, store: Store) -> None:
        ada, grace = customer(), customer()
        mine, other = case(ada.id), case(ada.id)

        def touch(owner: CustomerId, about: Case, direction: str, at: datetime) -> Touchpoint:
            return Touchpoint(
                customer_id=owner, case_id=about.id, channel="email", direction=direction, occurred_at=at
            )

        talk = [
            touch(ada.id, mine, "outbound", minutes(5)),
            touch(ada.id, mine, "inbound", minutes(5)),
            touch(ada.id, mine, "inbound", minutes(1)),
            touch(grace.id, mine, "inbound", minutes(2)),  # names the case, but is another customer's
            touch(ada.id, other, "outbound", minutes(3)),
        ]

        def write(uow: UnitOfWork) -> None:
            uow.customers.add_many([ada, grace])
            uow.cases.add_many([mine, other])
            uow.touchpoints.add_many(talk)

        in_unit(store, write)
        with store.unit_of_work() as uow:
            assert uow.case_conversations.messages([mine, other, case(grace.id)]) == {
                mine.id: [
                    CaseMessage(at=minutes(1), outbound=False),
                    CaseMessage(at=minutes(5), outbound=False),
                    CaseMessage(at=minutes(5), outbound=True),
                ],
                other.id: [CaseMessage(at=minutes(3), outbound=True)],
            }
            assert uow.case_conversations.messages([]) == {}
            with pytest.raises(ValidationError):
                uow.case_conversations.messages([mine.id])  # type: ignore[list-item]

    def test_a_first_breach_is_recorded_once_without_a_new_version(self, store: Store) -> None:
        ada = customer()
        fresh, breached = case(ada.id), case(ada.id, breached_at=minutes(1))

        def write(uow: UnitOfWork) -> None:
            uow.customers.add(ada)
            uow.cases.add_many([fresh, breached])
            assert uow.cases.record_breaches({fresh.id: minutes(7), breached.id: minutes(8)}) == 1
            assert uow.cases.record_breaches({}) == 0

        in_unit(store, write)
        with store.unit_of_work() as uow:
            assert uow.cases.get(fresh.id) == attrs.evolve(fresh, breached_at=minutes(7))
            assert uow.cases.get(breached.id) == breached
