"""NPS by month: the pushed-down figures of ``crm.feedback.nps`` vs a hand-written SQL query on the same rows.

The store holds ``--rows`` NPS answers (default 10,000,000) of 10,000
customers over two years, on three channels, written straight into relcore's
table with the driver (SQLite: ``executemany``; PostgreSQL: ``COPY``);
loading is not what is measured.

* ``crm.feedback.nps(period="month", zone=...)`` (one ``GROUP BY`` of local
  days in the database, folded into months and turned into figures in
  Python) is timed against one hand-written statement counting answers,
  promoters and detractors per month, turned into the same NPS in Python
  (target: at most 1.5 times its time). Both must give the same counts.
* On SQLite the months are UTC months (SQLite knows no time zones, so the
  hand-written query cannot do better); on PostgreSQL they are Paris months
  (``AT TIME ZONE 'Europe/Paris'``), and relcore is asked for Paris months too.
  On SQLite relcore's Paris months are timed as well and reported against the
  same UTC baseline.

Run: ``python benchmarks/bench_feedback.py [--rows 10000000] [--postgres URL] [--no-sqlite]``.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from _common import median_latency, report
from relcore import CRM, Customer
from relcore.feedback import NpsResult, nps_class
from relcore.ids import uuid7
from relcore.storage.sql.schema import feedback_responses

START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 86_400
CHANNELS = ("email", "web", "sms")
SCORES = list(range(11))
WEIGHTS = [2, 1, 1, 2, 2, 4, 6, 10, 14, 18, 16]
COLUMNS = [c.name for c in feedback_responses.columns]
MS = 10**6


def rows(customers: list[UUID], count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """``count`` NPS answers as table rows (no comment, no idempotency key)."""
    rng = random.Random(seed)
    scores = rng.choices(SCORES, WEIGHTS, k=count)
    created = START + timedelta(days=800)
    for score in scores:
        klass = nps_class(score)
        yield {
            "id": uuid7(),
            "customer_id": customers[rng.randrange(len(customers))],
            "contact_id": None,
            "kind": "nps",
            "score": score,
            "scale_min": 0,
            "scale_max": 10,
            "comment": None,
            "answered_at": START
            + timedelta(seconds=rng.randrange(SPAN_SECONDS), microseconds=rng.randrange(MS)),
            "channel": CHANNELS[rng.randrange(3)],
            "touchpoint_id": None,
            "case_id": None,
            "campaign_id": None,
            "survey": "nps-bench",
            "source": "bench",
            "external_id": None,
            "nps_class": klass.value,
            "positive": score >= 9,
            "latest": False,
            "created_at": created,
        }


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def load_sqlite(path: Path, customers: list[UUID], count: int) -> None:
    """Write the answers with plain sqlite3's ``executemany``."""
    marks = ", ".join("?" * len(COLUMNS))
    insert = f"INSERT INTO {feedback_responses.name} ({', '.join(COLUMNS)}) VALUES ({marks})"
    connection = sqlite3.connect(path)
    batch: list[tuple[Any, ...]] = []
    for row in rows(customers, count):
        batch.append(tuple(_sqlite_value(row[c]) for c in COLUMNS))
        if len(batch) >= 50_000:
            connection.executemany(insert, batch)
            batch = []
    connection.executemany(insert, batch)
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


def load_postgres(url: str, customers: list[UUID], count: int) -> None:
    """Write the answers with psycopg's ``COPY``."""
    import psycopg

    copy_sql = f"COPY {feedback_responses.name} ({', '.join(COLUMNS)}) FROM STDIN"
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        cursor = connection.cursor()
        with cursor.copy(copy_sql) as copy:
            for row in rows(customers, count):
                values = [row[c] for c in COLUMNS]
                values[COLUMNS.index("answered_at")] = row["answered_at"].replace(tzinfo=None)
                values[COLUMNS.index("created_at")] = row["created_at"].replace(tzinfo=None)
                copy.write_row(values)
        connection.commit()
        connection.execute(f"ANALYZE {feedback_responses.name}")


HAND_SQLITE = """
SELECT substr(answered_at, 1, 7) AS month, count(*), sum(score >= 9), sum(score <= 6)
FROM relcore_feedback_responses WHERE kind = 'nps' GROUP BY 1
"""

HAND_POSTGRES = """
SELECT to_char(date_trunc('month', (answered_at AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Paris'), 'YYYY-MM'),
       count(*), count(*) FILTER (WHERE score >= 9), count(*) FILTER (WHERE score <= 6)
FROM relcore_feedback_responses WHERE kind = 'nps' GROUP BY 1
"""


def _figures(found: list[tuple[Any, ...]]) -> dict[str, tuple[int, int, int, float]]:
    """The hand-written query's counts per month, with their NPS (as relcore computes it)."""
    return {str(m): (int(n), int(p), int(d), 100.0 * (int(p) - int(d)) / int(n)) for m, n, p, d in found}


def _ours(results: list[NpsResult]) -> dict[str, tuple[int, int, int, float]]:
    return {
        f"{r.group.period:%Y-%m}": (r.n, r.promoters, r.detractors, r.nps or 0.0)
        for r in results
        if r.group.period is not None
    }


def measure(crm: CRM, run: Callable[[], list[tuple[Any, ...]]], zone: str, label: str, repeat: int) -> float:
    """Check that relcore and the hand-written query agree, time both, print the ratio.

    Returns the hand-written query's time.
    """
    assert _ours(crm.feedback.nps(period="month", zone=zone)) == _figures(run()), "the NPS by month disagree"
    ours = median_latency(lambda: crm.feedback.nps(period="month", zone=zone), repeat)
    theirs = median_latency(lambda: _figures(run()), repeat)
    print(f"{label} NPS by month ({zone}): relcore {ours:.3f} s, hand-written {theirs:.3f} s", flush=True)
    report(f"NPS by month {label} relcore/hand-written", ours / theirs, "<= 1.5")
    return theirs


def sqlite(args: argparse.Namespace) -> None:
    """Load the answers into a temporary SQLite file and measure there."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "feedback.db"
        with CRM.open(path) as crm, crm.unit_of_work() as uow:
            people = [Customer.person(f"P{i}") for i in range(10_000)]
            uow.customers.add_many(people)
            uow.commit()
        load_sqlite(path, [p.id for p in people], args.rows)
        print(f"SQLite: {args.rows} answers", flush=True)
        raw = sqlite3.connect(path)
        with CRM.open(path) as crm:
            baseline = measure(crm, lambda: raw.execute(HAND_SQLITE).fetchall(), "UTC", "SQLite", args.repeat)
            paris = median_latency(lambda: crm.feedback.nps(period="month", zone="Europe/Paris"), args.repeat)
            print(f"SQLite NPS by Paris month: relcore {paris:.3f} s", flush=True)
            report("NPS by Paris month SQLite relcore/hand-written UTC months", paris / baseline, "reported")
        raw.close()


def postgres(url: str, args: argparse.Namespace) -> None:
    """Load the answers into PostgreSQL (replacing relcore's tables there) and measure there."""
    import psycopg

    from relcore.storage.sql.testing import create_test_engine, wipe

    engine = create_test_engine(url)
    with CRM.open(engine) as crm:
        wipe(engine)
        with crm.unit_of_work() as uow:
            people = [Customer.person(f"P{i}") for i in range(10_000)]
            uow.customers.add_many(people)
            uow.commit()
    load_postgres(url, [p.id for p in people], args.rows)
    print(f"PostgreSQL: {args.rows} answers", flush=True)
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain_url) as raw, CRM.open(engine) as crm:
        measure(crm, lambda: raw.execute(HAND_POSTGRES).fetchall(), "Europe/Paris", "PostgreSQL", args.repeat)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--postgres", help="also measure on this PostgreSQL URL (relcore's tables are replaced)"
    )
    parser.add_argument("--no-sqlite", action="store_true", help="measure on PostgreSQL only")
    args = parser.parse_args()
    if not args.no_sqlite:
        sqlite(args)
    if args.postgres:
        postgres(args.postgres, args)


if __name__ == "__main__":
    main()
