"""SLA clocks and the sweep through ``crm.service``, on every backend.

The desk is open Monday to Friday, 09:00-12:00 and 13:00-17:00 in Paris
(UTC+1 in March 2026); the standard policy answers in 1 hour, resolves in 8
business hours, pauses resolution while pending or on hold, and warns at 75%.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from relcore import CRM, Customer
from relcore.domain import Touchpoint
from relcore.registry import Store
from relcore.service import Case, SlaAtRisk, SlaBreached, SlaMetric, SlaPolicy, SlaTarget
from relcore.service._testing import policy
from relcore.service.clocks import ClockState, SlaClock
from relcore.testing.contracts import FixedClock
from relcore.testing.events import capture_events

# Monday 2 March 2026, 09:00 in Paris
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(hours(24 * 30)))


@pytest.fixture
def ada(crm: CRM) -> Customer:
    return crm.customers.add(Customer.person("Ada", created_at=T0 - timedelta(days=400)))


@pytest.fixture
def standard(crm: CRM) -> SlaPolicy:
    return crm.service.add_policy(policy())


def new_case(crm: CRM, customer: Customer, **fields: object) -> Case:
    fields.setdefault("subject", "Parcel damaged")
    fields.setdefault("channel", "email")
    fields.setdefault("created_at", T0)
    return crm.service.open(Case(customer_id=customer.id, **fields))  # type: ignore[arg-type]


def message(crm: CRM, case: Case, direction: str, at: datetime) -> None:
    crm.service.record_message(
        Touchpoint(
            customer_id=case.customer_id,
            case_id=case.id,
            channel="email",
            direction=direction,
            occurred_at=at,
        )
    )


def clock(crm: CRM, case: Case, metric: str, as_of: datetime, instance: int = 0) -> SlaClock:
    found = [
        c for c in crm.service.sla(case.id, as_of=as_of) if (c.metric.value, c.instance) == (metric, instance)
    ]
    assert len(found) == 1
    return found[0]


def test_paused_time_counts_against_resolution_not_first_response(
    crm: CRM, ada: Customer, standard: SlaPolicy
) -> None:
    case = new_case(crm, ada)
    crm.service.set_status(case.id, "pending", at=hours(0.5))
    message(crm, case, "outbound", hours(1.5))
    crm.service.set_status(case.id, "open", at=hours(2.5))
    crm.service.set_status(case.id, "solved", at=hours(7))  # 16:00 in Paris
    first = clock(crm, case, "first_response", hours(8))
    # pending does not pause the first response: due at 10:00, answered at 10:30
    assert (first.state, first.breached_at, first.fulfilled_at) == (
        ClockState.FULFILLED_LATE,
        hours(1),
        hours(1.5),
    )
    assert (first.elapsed, first.paused) == (timedelta(hours=1.5), timedelta(0))
    resolution = clock(crm, case, "resolution", hours(8))
    # 09:00-09:30, 11:30-12:00 and 13:00-16:00 count; 09:30-11:30 is paused
    assert (resolution.state, resolution.fulfilled_at) == (ClockState.FULFILLED, hours(7))
    assert (resolution.elapsed, resolution.paused, resolution.remaining) == (
        timedelta(hours=4),
        timedelta(hours=2),
        timedelta(hours=4),
    )
    assert (resolution.policy_id, resolution.policy_version) == (standard.id, 1)


def test_a_priority_change_retargets_and_keeps_the_paused_time(
    crm: CRM, ada: Customer, standard: SlaPolicy
) -> None:
    case = new_case(crm, ada, priority="low")
    crm.service.set_status(case.id, "pending", at=hours(0.5))
    crm.service.set_status(case.id, "open", at=hours(2.5))
    assert clock(crm, case, "resolution", hours(3)).target == timedelta(hours=32)
    crm.service.set_priority(case.id, "normal", at=hours(3))
    resolution = clock(crm, case, "resolution", hours(6))  # 15:00 in Paris
    assert (resolution.target, resolution.elapsed, resolution.paused) == (
        timedelta(hours=8),
        timedelta(hours=3),
        timedelta(hours=2),
    )
    # 5 business hours left at 15:00 on Monday: 2 today, 3 on Tuesday morning
    assert (resolution.state, resolution.due_at) == (ClockState.RUNNING, hours(27))


def test_a_reopened_case_resumes_its_resolution_clock(crm: CRM, ada: Customer, standard: SlaPolicy) -> None:
    case = new_case(crm, ada)
    crm.service.set_status(case.id, "solved", at=hours(3))
    solved = clock(crm, case, "resolution", hours(4))
    assert (solved.state, solved.fulfilled_at, solved.elapsed) == (
        ClockState.FULFILLED,
        hours(3),
        timedelta(hours=3),
    )
    crm.service.reopen(case.id, at=hours(24))
    resumed = clock(crm, case, "resolution", hours(25))
    assert (resumed.state, resumed.fulfilled_at, resumed.elapsed) == (
        ClockState.RUNNING,
        None,
        timedelta(hours=4),
    )
    # asked as of the time it was solved, the answer has not changed
    assert clock(crm, case, "resolution", hours(4)) == solved


def test_editing_a_policy_does_not_change_running_clocks(
    crm: CRM, ada: Customer, standard: SlaPolicy
) -> None:
    case = new_case(crm, ada)
    faster = [
        attrs.evolve(t, minutes=60) if t.metric is SlaMetric.RESOLUTION else t for t in standard.targets
    ]
    crm.service.save_policy(attrs.evolve(standard, targets=faster))
    later = new_case(crm, ada, created_at=hours(1))
    assert clock(crm, case, "resolution", hours(2)).target == timedelta(hours=8)
    assert clock(crm, later, "resolution", hours(2)).target == timedelta(hours=1)


def test_a_case_opened_out_of_hours_starts_at_the_next_opening(
    crm: CRM, ada: Customer, standard: SlaPolicy
) -> None:
    friday_evening = datetime(2026, 3, 6, 17, tzinfo=UTC)  # 18:00 in Paris
    case = new_case(crm, ada, created_at=friday_evening)
    monday = datetime(2026, 3, 9, 8, tzinfo=UTC)
    first = clock(crm, case, "first_response", friday_evening + timedelta(hours=1))
    assert (first.started_at, first.due_at, first.elapsed) == (
        monday,
        monday + timedelta(hours=1),
        timedelta(0),
    )


def test_customer_messages_after_a_reply_start_next_response_clocks(
    crm: CRM, ada: Customer, standard: SlaPolicy
) -> None:
    case = new_case(crm, ada)
    message(crm, case, "outbound", hours(0.5))
    message(crm, case, "inbound", hours(1))
    message(crm, case, "inbound", hours(1.5))
    message(crm, case, "outbound", hours(2))
    message(crm, case, "inbound", hours(6))
    first = clock(crm, case, "next_response", hours(7), instance=1)
    assert (first.state, first.fulfilled_at, first.elapsed) == (
        ClockState.FULFILLED,
        hours(2),
        timedelta(hours=1),
    )
    second = clock(crm, case, "next_response", hours(7), instance=2)
    assert (second.state, second.elapsed, second.due_at) == (ClockState.RUNNING, timedelta(hours=1), hours(8))


def test_a_merged_case_stops_its_clocks_and_the_sweep_leaves_it(
    crm: CRM, ada: Customer, standard: SlaPolicy
) -> None:
    keep, dup = new_case(crm, ada), new_case(crm, ada)
    message(crm, keep, "outbound", hours(0.25))
    crm.service.merge(dup.id, keep.id, at=hours(0.5))
    stopped = clock(crm, dup, "first_response", hours(5))
    assert (stopped.state, stopped.elapsed, stopped.breached_at) == (
        ClockState.STOPPED,
        timedelta(hours=0.5),
        None,
    )
    with capture_events(crm) as events:
        report = crm.service.sweep(as_of=hours(5))
    assert report.cases == 1
    assert list(events) == []


def test_the_sweep_announces_each_clock_once(crm: CRM, ada: Customer, standard: SlaPolicy) -> None:
    case = new_case(crm, ada)
    quiet = new_case(crm, ada)
    message(crm, quiet, "outbound", hours(0.25))
    crm.service.set_status(quiet.id, "solved", at=hours(0.5))
    announced: list[tuple[type, str, datetime]] = []
    for sweep_at in (hours(1.5), hours(1.5), hours(2), hours(7.5), hours(7.5), hours(26.5), hours(48)):
        with capture_events(crm) as events:
            crm.service.sweep(as_of=sweep_at)
        assert all(e.case_id == case.id for e in events)  # type: ignore[attr-defined]
        announced += [(type(e), e.metric.value, e.at) for e in events]  # type: ignore[attr-defined]
    # first response breached at 10:00; resolution at risk after 6 business hours (16:00), breached after 8
    assert announced == [
        (SlaBreached, "first_response", hours(1)),
        (SlaAtRisk, "resolution", hours(7)),
        (SlaBreached, "resolution", hours(25)),
    ]
    assert crm.service.get(case.id).breached_at == hours(1)
    assert crm.service.get(case.id).version == 1  # recording the breach does not bump the version
    assert crm.service.get(quiet.id).breached_at is None


def test_a_case_without_a_policy_has_no_clocks(crm: CRM, ada: Customer) -> None:
    case = new_case(crm, ada)
    assert crm.service.sla(case.id, as_of=hours(5)) == ()
    crm.service.add_policy(
        SlaPolicy(name="Urgent only", targets=[SlaTarget(metric="resolution", priority="urgent", minutes=30)])
    )
    urgent = crm.service.set_priority(case.id, "urgent", at=hours(1))
    # a 24x7 target: the time before the policy applied does not count
    resolution = clock(crm, urgent, "resolution", hours(1.25))
    assert (resolution.elapsed, resolution.due_at) == (timedelta(minutes=15), hours(1.5))


def test_two_sweeps_at_once_announce_each_clock_once(crm: CRM, ada: Customer, standard: SlaPolicy) -> None:
    cases = [new_case(crm, ada, created_at=T0 + timedelta(minutes=i)) for i in range(20)]
    start = threading.Barrier(2, timeout=60)
    heard: list[object] = []
    crm.subscribe(SlaBreached, heard.append)
    failures: list[BaseException] = []

    def sweep() -> None:
        start.wait()
        try:
            crm.service.sweep(as_of=hours(2))
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    # every case's first response breached once, announced once (by one sweep or the other)
    assert sorted(e.case_id for e in heard) == sorted(c.id for c in cases)  # type: ignore[attr-defined]
    with crm.unit_of_work(read_only=True) as uow:
        assert len(uow.sla_marks.for_cases([c.id for c in cases])) == 20
