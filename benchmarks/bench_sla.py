"""SLA clocks and the sweep over many cases, against reading the same rows with plain queries (the floor).

The store holds ``--cases`` cases (default 1,000,000) of 10,000 customers with
about five status changes each (at most ``--changes``): opened, open, pending,
open again, solved, closed, some reopened; two to four messages each (the
customer's, our replies). One SLA policy on a Monday-Friday 09:00-12:00,
13:00-17:00 calendar in Paris covers them all. Rows are written straight into
relcore's tables with the driver (loading is not what is measured).

* ``crm.service.sweep(as_of=...)`` is timed on a fresh store (it announces and
  marks every at-risk and breached clock of the cases that are neither closed
  nor merged), then again (it announces nothing new); both are reported as
  ratios to the floor: three plain ``SELECT`` statements reading the same
  cases, their history entries and their messages into Python tuples.
* The clocks of one case (``crm.service.sla``) are timed and reported in
  milliseconds.

With ``--postgres URL`` the same cases are loaded into PostgreSQL (relcore's
tables there are emptied first) and measured there too.

Run: ``python benchmarks/bench_sla.py [--cases 1000000] [--changes 5] [--postgres URL]``.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from _common import median_latency, report
from relcore import CRM, Customer
from relcore.ids import uuid7
from relcore.service import BusinessCalendar, SlaPolicy, SlaTarget
from relcore.storage.sql.schema import case_changes, cases, touchpoints

START = datetime(2026, 1, 5, 8, tzinfo=UTC)
AS_OF = datetime(2026, 7, 1, 8, tzinfo=UTC)
HOUR = 3600
PRIORITIES = ["low", "normal", "normal", "normal", "high", "urgent"]
CHANNELS = ["email", "email", "phone", "chat", "web"]
PATH = [
    ("open", "open"),
    ("pending", "pending"),
    ("open", "open"),
    ("solved", "solved"),
    ("closed", "closed"),
]


def desk() -> BusinessCalendar:
    days = {day: ["09:00-12:00", "13:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    return BusinessCalendar.weekly(
        "Europe/Paris", days, exceptions={date(2026, 5, 1): [], date(2026, 5, 14): []}
    )


def policy() -> SlaPolicy:
    minutes = {"first_response": 60, "next_response": 240, "resolution": 16 * 60}
    factor = {"low": 4, "normal": 2, "high": 1, "urgent": 0.5}
    targets = [
        SlaTarget(metric=m, priority=p, minutes=int(v * f))
        for m, v in minutes.items()
        for p, f in factor.items()
    ]
    return SlaPolicy(name="Standard", calendar=desk(), targets=targets, created_at=START - timedelta(days=30))


def case_rows(
    policy_id: UUID, customers: list[UUID], count: int, changes: int, seed: int = 11
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]:
    """Each case's row, its history rows and its message rows, as column -> value (Python values)."""
    rng = random.Random(seed)
    span = int((AS_OF - START).total_seconds()) - 2 * 86400
    for _ in range(count):
        case_id, customer = uuid7(), rng.choice(customers)
        created = at = START + timedelta(seconds=rng.randrange(span))
        priority = rng.choice(PRIORITIES)
        state = {"status": "new", "category": "new"}
        base = {
            "case_id": case_id,
            "customer_id": customer,
            "actor": None,
            "priority": priority,
            "team": None,
            "assignee": None,
            "policy_id": policy_id,
            "policy_version": 1,
            "merged_into": None,
        }
        history = [
            {
                "id": uuid7(),
                "kind": "opened",
                "at": at,
                **state,
                "prev_status": None,
                "prev_category": None,
                **base,
            }
        ]
        solved_at = closed_at = None
        reopens = 0
        steps = PATH[: rng.randrange(1, len(PATH) + 1)]
        if rng.random() < 0.05 and len(steps) >= 4:
            steps = [*steps[:4], ("open", "open"), ("solved", "solved")]
        for status, category in steps[: changes - 1]:
            at += timedelta(seconds=rng.randrange(HOUR // 4, 30 * HOUR))
            if at >= AS_OF:
                break
            kind = "reopened" if state["category"] == "solved" and category == "open" else "status"
            reopens += kind == "reopened"
            history.append(
                {
                    "id": uuid7(),
                    "kind": kind,
                    "at": at,
                    "status": status,
                    "category": category,
                    "prev_status": state["status"],
                    "prev_category": state["category"],
                    **base,
                }
            )
            state = {"status": status, "category": category}
            solved_at = at if category in ("solved", "closed") and solved_at is None else solved_at
            solved_at = None if category == "open" else solved_at
            closed_at = at if category == "closed" else None
        talk = [
            (created, "inbound"),
            (created + timedelta(seconds=rng.randrange(600, 10 * HOUR)), "outbound"),
        ]
        if rng.random() < 0.5:
            later = talk[-1][0] + timedelta(seconds=rng.randrange(HOUR, 20 * HOUR))
            talk += [
                (later, "inbound"),
                (later + timedelta(seconds=rng.randrange(600, 10 * HOUR)), "outbound"),
            ]
        messages = [
            {
                "id": uuid7(),
                "customer_id": customer,
                "contact_id": None,
                "channel": "email",
                "direction": d,
                "kind": "message",
                "occurred_at": t,
                "subject": None,
                "outcome": None,
                "sentiment": None,
                "campaign_id": None,
                "case_id": case_id,
                "opportunity_id": None,
                "payload": "{}",
                "source": "bench",
                "external_id": None,
                "recorded_at": t,
            }
            for t, d in talk
            if t < AS_OF
        ]
        row = {
            "id": case_id,
            "customer_id": customer,
            "contact_id": None,
            "subject": "Where is my parcel?",
            "description": None,
            "channel": rng.choice(CHANNELS),
            "type": "question",
            "priority": priority,
            **state,
            "team": f"team-{rng.randrange(5)}",
            "assignee": None,
            "parent_id": None,
            "opportunity_id": None,
            "tags": "[]",
            "attributes": "{}",
            "policy_id": policy_id,
            "policy_version": 1,
            "created_at": created,
            "first_responded_at": talk[1][0] if talk[1][0] < AS_OF else None,
            "solved_at": solved_at if state["category"] in ("solved", "closed") else None,
            "closed_at": closed_at,
            "reopen_count": reopens,
            "merged_into": None,
            "breached_at": None,
            "changed_at": at,
            "updated_at": at,
            "version": len(history),
        }
        yield row, history, messages


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _insert(table: str, columns: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


TABLES = (cases, case_changes, touchpoints)


def load(
    write: Callable[[list[list[list[Any]]]], None],
    policy_id: UUID,
    customers: list[UUID],
    args: argparse.Namespace,
) -> int:
    """Generate the cases and hand them to ``write`` in batches (rows of each table); return history rows."""
    columns = [[c.name for c in t.columns] for t in TABLES]
    batches: list[list[list[Any]]] = [[], [], []]
    entries = 0
    for row, history, messages in case_rows(policy_id, customers, args.cases, args.changes):
        batches[0].append([row[c] for c in columns[0]])
        batches[1].extend([h[c] for c in columns[1]] for h in history)
        batches[2].extend([m[c] for c in columns[2]] for m in messages)
        entries += len(history)
        if len(batches[0]) >= 20_000:
            write(batches)
            batches = [[], [], []]
    write(batches)
    return entries


FLOOR = [
    "SELECT * FROM relcore_cases WHERE category <> 'closed' AND merged_into IS NULL",
    "SELECT h.* FROM relcore_case_changes h JOIN relcore_cases c ON c.id = h.case_id"
    " WHERE c.category <> 'closed' AND c.merged_into IS NULL",
    "SELECT t.case_id, t.customer_id, t.occurred_at, t.direction FROM relcore_touchpoints t"
    " JOIN relcore_cases c ON c.id = t.case_id WHERE c.category <> 'closed' AND c.merged_into IS NULL",
]


def measure(crm: CRM, run: Callable[[str], list[tuple[Any, ...]]], label: str) -> None:
    """Time the floor, the first sweep, a second sweep and one case's clocks; print the ratios."""
    floor = median_latency(lambda: [run(q) for q in FLOOR], 3)
    running = len(run(FLOOR[0]))
    start = time.perf_counter()
    first = crm.service.sweep(as_of=AS_OF)
    first_time = time.perf_counter() - start
    start = time.perf_counter()
    again = crm.service.sweep(as_of=AS_OF)
    again_time = time.perf_counter() - start
    assert (first.cases, again.cases) == (running, running)
    assert again.at_risk == again.breached == 0, "the second sweep announced something again"
    print(
        f"{label}: {running} running cases; floor {floor:.2f} s; sweep {first_time:.2f} s "
        f"({first.breached} breached, {first.at_risk} at risk announced); again {again_time:.2f} s",
        flush=True,
    )
    report(f"sweep {label} / plain read of the same rows", first_time / floor, "reported")
    report(f"second sweep {label} / plain read of the same rows", again_time / floor, "reported")
    some = crm.service.list(limit=1).items[0].id
    one = median_latency(lambda: crm.service.sla(some, as_of=AS_OF), 20)
    print(f"{label}: one case's clocks {one * 1000:.2f} ms", flush=True)


def sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sla.db"
        with CRM.open(path) as crm:
            customers = _customers(crm)
            standard = crm.service.add_policy(policy())
        connection = sqlite3.connect(path)
        inserts = [_insert(t.name, [c.name for c in t.columns]) for t in TABLES]

        def write(batches: list[list[list[Any]]]) -> None:
            for insert, rows in zip(inserts, batches, strict=True):
                connection.executemany(insert, [[_sqlite_value(v) for v in row] for row in rows])

        started = time.perf_counter()
        entries = load(write, standard.id, customers, args)
        connection.commit()
        connection.execute("ANALYZE")
        print(
            f"sqlite: loaded {args.cases} cases, {entries} entries in {time.perf_counter() - started:.0f} s",
            flush=True,
        )

        def run(query: str) -> list[tuple[Any, ...]]:
            return connection.execute(query).fetchall()

        with CRM.open(path) as crm:
            measure(crm, run, "SQLite")
        connection.close()


def _customers(crm: CRM) -> list[UUID]:
    made = [Customer.person(f"C{i}", created_at=START - timedelta(days=400)) for i in range(10_000)]
    with crm.unit_of_work() as uow:
        uow.customers.add_many(made)
        uow.commit()
    return [c.id for c in made]


def postgres(url: str, args: argparse.Namespace) -> None:
    import psycopg

    from relcore.storage.sql.testing import create_test_engine, wipe

    engine = create_test_engine(url)
    with CRM.open(engine) as crm:
        wipe(engine)
        customers = _customers(crm)
        standard = crm.service.add_policy(policy())
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection:
        cursor = connection.cursor()
        copies = [f"COPY {t.name} ({', '.join(c.name for c in t.columns)}) FROM STDIN" for t in TABLES]

        def write(batches: list[list[list[Any]]]) -> None:
            for statement, rows in zip(copies, batches, strict=True):
                with cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)

        started = time.perf_counter()
        entries = load(write, standard.id, customers, args)
        connection.commit()
        for table in TABLES:
            connection.execute(f"ANALYZE {table.name}")
        print(
            f"PG: {args.cases} cases, {entries} entries loaded in {time.perf_counter() - started:.0f} s",
            flush=True,
        )

        def run(query: str) -> list[tuple[Any, ...]]:
            return connection.execute(query).fetchall()

        with CRM.open(engine) as crm:
            measure(crm, run, "PostgreSQL")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=6)
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.no_sqlite:
        sqlite(args)
    if args.postgres:
        postgres(args.postgres, args)


if __name__ == "__main__":
    main()
