"""Service analytics: memory = SQLite = PostgreSQL = MariaDB, on random desks played through ``crm.service``.

The cases open around the end of March 2026 (the Paris clocks changed on
29 March), move through statuses, replies, reopens, priority and team
changes, with or without the desk's SLA policy; every report must come out
the same on the backend under test as on a memory store that saw the same calls.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore import CRM, Customer
from relcore.domain import Touchpoint
from relcore.errors import ValidationError
from relcore.service import BusinessCalendar, Case
from relcore.service._testing import policy
from relcore.storage.memory import MemoryStore
from relcore.testing._contract_support import StoreFactory
from relcore.testing.contracts import FixedClock

BASE = datetime(2026, 3, 30, 20, tzinfo=UTC)
NOW = BASE + timedelta(days=30)
OFFICE = BusinessCalendar.weekly(
    "Europe/Paris", dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-17:00")
)
ACTIONS = ["reply", "inbound", "pending", "open", "solved", "closed", "reopen", "urgent", "team"]
GAPS = [0.0, 0.5, 1.0, 3.0, 20.0, 50.0]

actions = st.lists(st.tuples(st.sampled_from(GAPS), st.sampled_from(ACTIONS)), max_size=4)
cases = st.fixed_dictionaries(
    {
        "offset": st.sampled_from([-30.0, 0.0, 3.5, 4.0, 27.0, 50.0]),
        "channel": st.sampled_from(["email", "phone"]),
        "type": st.sampled_from(["question", "complaint"]),
        "priority": st.sampled_from(["low", "normal"]),
        "customer": st.integers(0, 1),
        "actions": actions,
    }
)


def play(crm: CRM, with_policy: bool, specs: list[dict[str, Any]]) -> None:
    people = [
        crm.customers.add(Customer.person("Ada", created_at=BASE - timedelta(days=40))),
        crm.customers.add(Customer.person("Bob", created_at=BASE + timedelta(days=1))),
    ]
    if with_policy:
        crm.service.add_policy(policy(created_at=BASE - timedelta(days=40)))
    for spec in specs:
        at = BASE + timedelta(hours=spec["offset"])
        case = crm.service.open(
            Case(
                customer_id=people[spec["customer"]].id,
                subject="s",
                channel=spec["channel"],
                type=spec["type"],
                priority=spec["priority"],
                created_at=at,
            )
        )
        for gap, action in spec["actions"]:
            at += timedelta(hours=gap)
            try:
                if action in ("reply", "inbound"):
                    direction = "outbound" if action == "reply" else "inbound"
                    crm.service.record_message(
                        Touchpoint(
                            customer_id=case.customer_id,
                            case_id=case.id,
                            channel="email",
                            direction=direction,
                            occurred_at=at,
                        )
                    )
                elif action == "reopen":
                    crm.service.reopen(case.id, at=at)
                elif action == "urgent":
                    crm.service.set_priority(case.id, "urgent", at=at)
                elif action == "team":
                    crm.service.assign(case.id, team="tier-2", at=at)
                else:
                    crm.service.set_status(case.id, action, at=at)
            except ValidationError:
                pass  # not allowed in the case's state: refused alike everywhere


def reports(crm: CRM, as_of: datetime) -> list[object]:
    span = (BASE - timedelta(days=2), BASE + timedelta(days=4))
    every_key = ("channel", "priority", "team", "type")
    return [
        crm.service.metrics(*span, by=every_key, period="day", timezone="Europe/Paris", as_of=as_of),
        crm.service.metrics(*span, by=(), calendar=OFFICE, as_of=as_of),
        crm.service.metrics(*span, by=("priority",), period="week", as_of=as_of),
        crm.service.backlog(*span, timezone="Europe/Paris"),
        crm.service.backlog(*span, by=("priority", "team"), period="day"),
        crm.service.complaints_per_thousand(*span, period="day", timezone="Europe/Paris"),
    ]


def test_every_report_agrees_with_the_memory_store(store_factory: StoreFactory) -> None:
    slow = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

    @settings(max_examples=12, deadline=None, suppress_health_check=slow)
    @given(
        with_policy=st.booleans(),
        specs=st.lists(cases, max_size=4),
        as_of=st.sampled_from([BASE, BASE + timedelta(hours=30), NOW]),
    )
    def check(with_policy: bool, specs: list[dict[str, Any]], as_of: datetime) -> None:
        reference = CRM(MemoryStore(), clock=FixedClock(NOW))
        tested = CRM(store_factory(), clock=FixedClock(NOW))
        play(reference, with_policy, specs)
        play(tested, with_policy, specs)
        assert reports(tested, as_of) == reports(reference, as_of)

    check()
