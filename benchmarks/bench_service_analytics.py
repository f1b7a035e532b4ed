"""Service analytics: ``crm.service.metrics`` and ``backlog`` vs plain reads of the same rows.

The SQLite store holds ``--cases`` cases (default 50,000) of 2,000 customers
over a quarter, half of them on an SLA policy with a business calendar, each
with its opening, a reply, and most of them solved (some reopened and solved
again); rows go in through relcore's bulk path (loading is not measured).

* ``crm.service.metrics`` for one month, by channel and priority, in calendar
  and business time with SLA attainment, is timed against reading the same
  cases, their histories and their touchpoints with plain ``sqlite3``
  statements and computing nothing (target: at most 40 times: every row is
  decoded into a checked entity, and each case's SLA clocks and business
  durations are computed in Python; a profile puts about a third of the time
  in entity construction and half in the clocks and calendars).
* ``crm.service.backlog`` of the month by day, against the same plain reads
  of every case opened up to the month's end and not solved before the first
  day's end, with its history (target: at most 20).

Run: ``python benchmarks/bench_service_analytics.py [--cases 50000]``.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import median_latency, report
from relcore import CRM, Customer
from relcore.activity.model import Touchpoint
from relcore.service import BUILTIN_STATUSES, Case
from relcore.service._testing import policy
from relcore.service.decisions import open_case, set_status

START = datetime(2026, 1, 1, tzinfo=UTC)
MONTH = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
AS_OF = datetime(2026, 4, 1, tzinfo=UTC)
STATUS = {s.key: s for s in BUILTIN_STATUSES}
FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLite holds relcore's UTC instants


def load(crm: CRM, cases: int, rng: random.Random) -> None:
    customers = [Customer.person(f"C{i}", created_at=START - timedelta(days=30)) for i in range(2000)]
    standard = crm.service.add_policy(policy(created_at=START - timedelta(days=30)))
    with crm.unit_of_work() as uow:
        uow.customers.add_many(customers)
        uow.commit()
    made, changes, messages = [], [], []
    for _ in range(cases):
        who = rng.choice(customers)
        at = START + timedelta(minutes=rng.randrange(0, 90 * 24 * 60))
        on = rng.random() < 0.5
        case = Case(
            customer_id=who.id,
            subject="s",
            channel=rng.choice(["email", "phone", "web"]),
            priority=rng.choice(["low", "normal", "high"]),
            created_at=at,
        )
        decision = open_case(case, STATUS["open"], lambda _, p=standard, on=on: p if on else None)  # type: ignore[misc]
        steps = [decision]
        reply = at + timedelta(minutes=rng.randrange(5, 3000))
        messages.append(
            Touchpoint(
                customer_id=who.id, case_id=case.id, channel="email", direction="outbound", occurred_at=reply
            )
        )
        if rng.random() < 0.8:
            solved = reply + timedelta(minutes=rng.randrange(5, 5000))
            steps.append(set_status(steps[-1].case, STATUS["solved"], solved, lambda _: None))
            if rng.random() < 0.1:
                steps.append(
                    set_status(steps[-1].case, STATUS["open"], solved + timedelta(hours=5), lambda _: None)
                )
                steps.append(
                    set_status(steps[-1].case, STATUS["solved"], solved + timedelta(hours=9), lambda _: None)
                )
        made.append(steps[-1].case)
        changes.extend(s.change for s in steps if s.change is not None)
    with crm.unit_of_work() as uow:
        uow.cases.add_many(made)
        uow.case_changes.add_many(changes)
        uow.touchpoints.add_many(messages)
        uow.commit()


def plain_reads(
    path: Path, start: datetime | None, end: datetime, messages: bool, unsolved_at: datetime | None = None
) -> int:
    """Read the cases opened in the range, their histories (and touchpoints) with plain sqlite3."""
    rows = 0
    with sqlite3.connect(path) as db:
        low = "1900-01-01 00:00:00.000000" if start is None else start.strftime(FORMAT)
        ids = [
            r[0]
            for r in db.execute(
                "select * from relcore_cases where created_at >= ? and created_at < ?"
                " and (solved_at is null or solved_at > ?) order by id",
                (
                    low,
                    end.strftime(FORMAT),
                    "1900-01-01" if unsolved_at is None else unsolved_at.strftime(FORMAT),
                ),
            )
        ]
        rows += len(ids)
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            rows += len(
                db.execute(
                    f"select * from relcore_case_changes where case_id in ({marks}) order by case_id, at, id",
                    part,
                ).fetchall()
            )
            if messages:
                rows += len(
                    db.execute(
                        "select case_id, customer_id, occurred_at, direction from relcore_touchpoints"
                        f" where case_id in ({marks}) order by case_id, occurred_at",
                        part,
                    ).fetchall()
                )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "service.db"
        crm = CRM.open(path, clock=lambda: AS_OF)
        load(crm, args.cases, random.Random(7))
        lines = crm.service.metrics(*MONTH, by=("channel", "priority"), as_of=AS_OF)
        print(f"{len(lines)} metric lines over {sum(x.cases for x in lines)} cases", flush=True)
        metrics = median_latency(
            lambda: crm.service.metrics(*MONTH, by=("channel", "priority"), as_of=AS_OF), repeat=3
        )
        reads = median_latency(lambda: plain_reads(path, MONTH[0], MONTH[1], True), repeat=3)
        report("service metrics / plain reads of the same rows", metrics / reads, "<= 40")
        backlog = median_latency(lambda: crm.service.backlog(*MONTH), repeat=3)
        reads = median_latency(
            lambda: plain_reads(path, None, MONTH[1], False, MONTH[0] + timedelta(days=1)), repeat=3
        )
        report("service backlog / plain reads of the same rows", backlog / reads, "<= 20")
        crm.close()


if __name__ == "__main__":
    main()
