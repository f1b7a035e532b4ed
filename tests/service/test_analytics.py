"""Service analytics through ``crm.service``, on every backend: hand-computed answers.

Monday 2 March 2026, 09:00 in Paris is 08:00 UTC (T0). Business time is on a
Monday-Friday 09:00-17:00 Paris calendar unless a test says otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from relcore import CRM, Customer
from relcore.domain import Touchpoint
from relcore.errors import ValidationError
from relcore.registry import Store
from relcore.service import BusinessCalendar, Case
from relcore.service._testing import policy
from relcore.service.durations import Durations
from relcore.service.reports import Attainment
from relcore.testing.contracts import FixedClock

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
OFFICE = BusinessCalendar.weekly(
    "Europe/Paris", dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-17:00")
)


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(hours(24 * 60)))


@pytest.fixture
def ada(crm: CRM) -> Customer:
    return crm.customers.add(Customer.person("Ada", created_at=T0 - timedelta(days=400)))


def new_case(crm: CRM, customer: Customer, **fields: object) -> Case:
    fields.setdefault("subject", "Parcel damaged")
    fields.setdefault("channel", "email")
    fields.setdefault("created_at", T0)
    return crm.service.open(Case(customer_id=customer.id, **fields))  # type: ignore[arg-type]


def reply(crm: CRM, case: Case, at: datetime, direction: str = "outbound") -> None:
    crm.service.record_message(
        Touchpoint(
            customer_id=case.customer_id,
            case_id=case.id,
            channel="email",
            direction=direction,
            occurred_at=at,
        )
    )


def test_five_first_responses_give_the_median_and_p90_by_hand(crm: CRM, ada: Customer) -> None:
    for minutes in (40, 10, 100, 30, 20):
        case = new_case(crm, ada)
        reply(crm, case, T0 + timedelta(minutes=minutes), "inbound")  # the customer's message does not count
        reply(crm, case, T0 + timedelta(minutes=minutes))
    [line] = crm.service.metrics(*MARCH, as_of=hours(24))
    # sorted 10 20 30 40 100: median rank 2 -> 30; p90 h = 4 * 0.9 = 3.6 -> 40 + 0.6 * 60 = 76 min
    assert line.first_response == Durations(5, timedelta(minutes=30), timedelta(minutes=76))
    # without a policy business time is real time
    assert line.first_response_business == line.first_response
    assert line.resolution == Durations(0, None, None)
    assert (line.cases, line.channel) == (5, "email")
    assert line.first_response_sla == Attainment(0, 0)
    assert line.first_response_sla.rate is None


def test_friday_evening_to_monday_morning_is_one_business_hour(crm: CRM, ada: Customer) -> None:
    friday = datetime(2026, 3, 6, 17, tzinfo=UTC)  # 18:00 in Paris
    case = new_case(crm, ada, created_at=friday)
    reply(crm, case, datetime(2026, 3, 9, 9, tzinfo=UTC))  # Monday 10:00 in Paris
    crm.service.set_status(case.id, "solved", at=datetime(2026, 3, 9, 15, tzinfo=UTC))
    [line] = crm.service.metrics(*MARCH, calendar=OFFICE, as_of=hours(24 * 10))
    assert line.first_response == Durations(1, timedelta(hours=64), timedelta(hours=64))
    assert line.first_response_business == Durations(1, timedelta(hours=1), timedelta(hours=1))
    assert line.resolution_business == Durations(1, timedelta(hours=7), timedelta(hours=7))


def test_the_policy_calendar_counts_business_time_and_clocks_give_attainment(crm: CRM, ada: Customer) -> None:
    crm.service.add_policy(policy())  # desk: 09-12, 13-17 in Paris; first response 1 h, resolution 8 h
    fast, slow = new_case(crm, ada), new_case(crm, ada)
    reply(crm, fast, hours(0.5))
    reply(crm, slow, hours(5))  # 09:00 -> 14:00: 4 business hours (lunch 12-13)
    crm.service.set_status(fast.id, "solved", at=hours(2))
    [line] = crm.service.metrics(*MARCH, as_of=hours(6))
    assert line.first_response_business == Durations(2, timedelta(hours=2.25), timedelta(hours=3.65))
    assert line.first_response_sla == Attainment(met=1, ended=2)
    assert line.resolution_sla == Attainment(met=1, ended=1)  # the slow case's resolution clock still runs
    assert line.first_response_sla.rate == 0.5


def test_replies_and_solves_after_as_of_do_not_count(crm: CRM, ada: Customer) -> None:
    case = new_case(crm, ada)
    reply(crm, case, hours(3))
    crm.service.set_status(case.id, "solved", at=hours(4))
    [before] = crm.service.metrics(*MARCH, as_of=hours(2))
    assert (before.first_response.n, before.resolution.n, before.solved) == (0, 0, 0)
    [after] = crm.service.metrics(*MARCH, as_of=hours(5))
    assert after.first_response.median == timedelta(hours=3)
    assert after.resolution.median == timedelta(hours=4)
    assert crm.service.metrics(*MARCH, as_of=T0 - timedelta(hours=1)) == []  # not opened yet


def test_resolution_is_the_last_solve_and_reopens_are_counted(crm: CRM, ada: Customer) -> None:
    once = new_case(crm, ada)
    crm.service.set_status(once.id, "solved", at=hours(1))
    crm.service.reopen(once.id, at=hours(2))
    crm.service.set_status(once.id, "solved", at=hours(5))
    other = new_case(crm, ada)
    crm.service.set_status(other.id, "solved", at=hours(3))
    new_case(crm, ada)  # never solved
    [line] = crm.service.metrics(*MARCH, as_of=hours(10))
    assert line.resolution == Durations(2, timedelta(hours=4), timedelta(hours=4.8))
    assert (line.solved, line.reopened, line.reopen_rate) == (2, 1, 0.5)
    [reopened] = crm.service.metrics(*MARCH, as_of=hours(3))
    assert (reopened.resolution.n, reopened.solved, reopened.reopened) == (1, 2, 1)


def test_groups_by_priority_team_type_and_month_across_a_month_end_in_paris(crm: CRM, ada: Customer) -> None:
    late_march = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 1 April, 00:30 in Paris (UTC+2)
    new_case(crm, ada, created_at=datetime(2026, 3, 31, 21, 30, tzinfo=UTC), type="complaint")  # 23:30, March
    new_case(crm, ada, created_at=late_march, type="complaint")
    case = new_case(crm, ada, created_at=late_march, priority="high")
    crm.service.assign(case.id, team="tier-2", at=late_march + timedelta(hours=1))
    span = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))
    lines = crm.service.metrics(
        *span, by=("priority", "team"), period="month", timezone="Europe/Paris", as_of=hours(24 * 40)
    )
    assert [(x.period, x.priority, x.team, x.cases, x.complaints) for x in lines] == [
        (date(2026, 3, 1), "normal", None, 1, 1),
        (date(2026, 4, 1), "high", "tier-2", 1, 0),
        (date(2026, 4, 1), "normal", None, 1, 1),
    ]
    in_utc = crm.service.metrics(*span, by=("period",), period="month", as_of=hours(24 * 40))
    assert [(x.period, x.cases) for x in in_utc] == [(date(2026, 3, 1), 3)]
    by_type = crm.service.metrics(*span, by=("type",), as_of=hours(24 * 40))
    assert [(x.type, x.cases, x.period) for x in by_type] == [("complaint", 2, None), ("question", 1, None)]


def test_backlog_does_not_change_when_a_case_is_solved_later(crm: CRM, ada: Customer) -> None:
    first = new_case(crm, ada)  # Monday 2 March
    second = new_case(crm, ada, created_at=hours(24))  # Tuesday
    crm.service.set_status(first.id, "solved", at=hours(48 + 1))  # Wednesday
    week = (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC))
    before = crm.service.backlog(*week)
    assert [(p.period, p.open) for p in before] == [
        (date(2026, 3, 2), 1),
        (date(2026, 3, 3), 2),
        (date(2026, 3, 4), 1),
        (date(2026, 3, 5), 1),
    ]
    crm.service.set_status(second.id, "solved", at=hours(24 * 10))
    crm.service.merge(new_case(crm, ada, created_at=hours(24 * 10)).id, second.id, at=hours(24 * 11))
    assert crm.service.backlog(*week) == before
    by_channel = crm.service.backlog(*week, by=("channel",), period="week")
    assert [(p.period, p.channel, p.open) for p in by_channel] == [(date(2026, 3, 2), "email", 1)]
    assert [
        p.open
        for p in crm.service.backlog(datetime(2026, 3, 14, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC))
    ] == [0]


def test_cases_stored_without_history_are_read_from_their_fields(crm: CRM, ada: Customer) -> None:
    still_open = Case(customer_id=ada.id, subject="s", channel="phone", created_at=T0)
    solved = Case(
        customer_id=ada.id,
        subject="s",
        channel="phone",
        created_at=T0,
        status="solved",
        category="solved",
        solved_at=hours(30),
        reopen_count=1,
    )
    with crm.unit_of_work() as uow:
        uow.cases.add_many([still_open, solved])
        uow.commit()
    days = crm.service.backlog(datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 4, tzinfo=UTC))
    assert [p.open for p in days] == [2, 1]
    [line] = crm.service.metrics(*MARCH, as_of=hours(48))
    assert line.resolution == Durations(1, timedelta(hours=30), timedelta(hours=30))
    assert (line.cases, line.solved, line.reopened) == (2, 1, 1)


def test_complaints_per_thousand_customers(crm: CRM, ada: Customer) -> None:
    bob = crm.customers.add(Customer.person("Bob", created_at=datetime(2026, 3, 20, tzinfo=UTC)))
    new_case(crm, ada, type="complaint")
    new_case(crm, bob, type="complaint", created_at=datetime(2026, 4, 2, tzinfo=UTC))
    new_case(crm, bob, created_at=datetime(2026, 4, 3, tzinfo=UTC))
    rates = crm.service.complaints_per_thousand(
        datetime(2024, 7, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC), period="quarter"
    )
    assert [(r.period, r.complaints, r.customers, r.rate) for r in rates][-3:] == [
        (date(2025, 10, 1), 0, 1, 0.0),
        (date(2026, 1, 1), 1, 2, 500.0),
        (date(2026, 4, 1), 1, 2, 500.0),
    ]
    assert (rates[0].period, rates[0].customers, rates[0].rate) == (date(2024, 7, 1), 0, None)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.metrics(datetime(2026, 3, 1), MARCH[1]), "start"),
        (lambda s: s.metrics(MARCH[1], MARCH[0]), "end"),
        (lambda s: s.metrics(*MARCH, by=("channel", "colour")), "by[1]"),
        (lambda s: s.metrics(*MARCH, by=("team", "team")), "by[1]"),
        (lambda s: s.metrics(*MARCH, by="channel"), "by"),
        (lambda s: s.metrics(*MARCH, by=("period",)), "period"),
        (lambda s: s.metrics(*MARCH, period="fortnight"), "period"),
        (lambda s: s.metrics(*MARCH, timezone="Mars/Olympus"), "timezone"),
        (lambda s: s.metrics(*MARCH, calendar="office"), "calendar"),
        (lambda s: s.metrics(*MARCH, as_of="today"), "as_of"),
        (lambda s: s.backlog(*MARCH, by=("period",)), "by[0]"),
        (lambda s: s.backlog(*MARCH, period=None), "period"),
        (lambda s: s.complaints_per_thousand(*MARCH, timezone=3), "timezone"),
    ],
)
def test_every_argument_is_checked(crm: CRM, call: object, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        call(crm.service)  # type: ignore[operator]
    assert [e.path for e in raised.value.errors] == [field]
