"""Segment membership: a rule pushed down to SQL vs a hand-written query vs evaluating in memory.

The store holds relcore's synthetic shop: 100,000 customers with their
contacts, about 1,000,000 touchpoints, and its buy-till-you-die purchases
topped up with a second, shifted copy of part of them to reach about 300,000
transactions. The rule has five leaves: lifecycle stage, country, a tag, a
touchpoint count in a window and a transaction sum in a window.

* ``crm.segments.members(rule)`` (one query compiled from the rule) is timed against a
  hand-written SQL statement returning the same ids on a plain ``sqlite3``
  connection (target: at most 1.5 times its time).
* The same pushed-down query is compared with loading every customer and
  their history and evaluating the rule in memory (reported only).
* With ``--postgres URL`` the pushed-down query also runs on PostgreSQL
  against a hand-written statement there (reported only).
* The first refresh of a dynamic segment holding about two thirds of the
  customers (``BROAD``) is timed on SQLite and, with ``--postgres URL`` /
  ``--mysql URL``, on those servers: the ratio to SQLite shows whether the
  membership diff stays linear there (it once grew with the square of the
  segment's size on PostgreSQL: 53 s against SQLite's 2.3 s at 66,000 members).

Run: ``python benchmarks/bench_segments.py [--customers 100000] [--postgres URL] [--mysql URL]``.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs
import sqlalchemy as sa

from _common import add_customers, empty_server, median_latency, report, shop, timed
from relcore import CRM, Transaction
from relcore.ids import TransactionId, new_id
from relcore.segments import CustomerView, field, matcher, touchpoints, transactions
from relcore.testing.synthetic import SyntheticShop

EURO = ("DE", "FR", "NL", "ES", "IT", "IE")

RULE = (
    field("stage").isin(["customer", "evangelist"])
    & field("country").isin(EURO)
    & ~field("tags").has_tag("black-friday")
    & (touchpoints(channel="email", direction="inbound").within(days=180).count() >= 1)
    & (transactions(kind="order", currency="EUR").within(days=365).sum() > Decimal(100))
)

BROAD = field("stage").isin(["customer", "churned"])
"""About two thirds of the synthetic shop's customers."""

HAND_WRITTEN = """
SELECT c.id FROM relcore_customers AS c
WHERE c.stage IN ('customer', 'evangelist')
  AND c.country IN ('DE', 'FR', 'NL', 'ES', 'IT', 'IE')
  AND NOT EXISTS (SELECT 1 FROM relcore_customer_tags AS t
                  WHERE t.customer_id = c.id AND t.tag = 'black-friday')
  AND EXISTS (SELECT 1 FROM relcore_touchpoints AS p
              WHERE p.customer_id = c.id AND p.channel = 'email' AND p.direction = 'inbound'
                AND p.occurred_at >= :start_180 AND p.occurred_at <= :as_of)
  AND (SELECT sum(x.amount_minor) FROM relcore_transactions AS x
       WHERE x.customer_id = c.id AND x.kind = 'order' AND x.currency = 'EUR'
         AND x.occurred_at >= :start_365 AND x.occurred_at <= :as_of) > 10000
ORDER BY c.id
"""


def extra_transactions(data: SyntheticShop, share: float) -> Iterator[Transaction]:
    """A shifted copy of every ``1/share``-th transaction, to reach the issue's volume."""
    step = round(1 / share)
    for i, t in enumerate(data.transactions()):
        if i % step == 0 and t.occurred_at - timedelta(days=41) > data.start:
            yield attrs.evolve(
                t, id=TransactionId(new_id()), occurred_at=t.occurred_at - timedelta(days=41),
                external_id=f"{t.external_id}-copy", recorded_at=t.recorded_at - timedelta(days=41),
            )  # fmt: skip


def build(crm: CRM, data: SyntheticShop) -> None:
    seconds = timed(lambda: add_customers(crm, data))
    print(f"added {data.customers:,} customers with contacts in {seconds:.1f} s", flush=True)
    with crm.unit_of_work() as uow:
        seconds = timed(lambda: uow.touchpoints.add_many(data.touchpoints()))
        print(f"ingested {uow.touchpoints.count():,} touchpoints in {seconds:.1f} s", flush=True)
        uow.transactions.add_many(data.transactions())
        uow.transactions.add_many(extra_transactions(data, 0.6))
        print(f"ingested {uow.transactions.count():,} transactions", flush=True)
        uow.commit()


def params(as_of: datetime, style: str) -> dict[str, Any]:
    moments = {
        "as_of": as_of,
        "start_180": as_of - timedelta(days=180),
        "start_365": as_of - timedelta(days=365),
    }
    if style == "sqlite":  # SQLAlchemy's SQLite storage format for naive UTC datetimes
        return {k: v.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") for k, v in moments.items()}
    return {k: v.replace(tzinfo=None) for k, v in moments.items()}


def in_memory(crm: CRM, as_of: datetime) -> list[Any]:
    """Load every customer with their history through the public API, then evaluate."""
    test = matcher(RULE, as_of)
    found = []
    with crm.unit_of_work() as uow:
        page = uow.customers.list(limit=10_000)
        while True:
            for customer in page.items:
                view = CustomerView(
                    customer,
                    uow.touchpoints.for_customer(customer.id, limit=10_000),
                    uow.transactions.for_customer(customer.id, limit=10_000),
                    uow.consents.for_customer(customer.id),
                )
                if test(view):
                    found.append(customer.id)
            if page.next_after is None:
                return found
            page = uow.customers.list(after=page.next_after, limit=10_000)


def compare(crm: CRM, run_baseline: Any, as_of: datetime, repeat: int, label: str) -> float:
    ours = list(crm.segments.members(RULE, as_of))
    theirs = run_baseline()
    assert ours == theirs, (len(ours), len(theirs))
    print(f"{label}: {len(ours):,} members", flush=True)
    baseline = median_latency(run_baseline, repeat)
    pushed = median_latency(lambda: list(crm.segments.members(RULE, as_of)), repeat)
    print(
        f"{label}: median hand-written {baseline * 1e3:.1f} ms, crm.segments.members {pushed * 1e3:.1f} ms",
        flush=True,
    )
    return pushed / baseline


def first_refresh(crm: CRM, as_of: datetime, label: str) -> float:
    """Define the broad segment and time its first refresh (every member enters)."""
    crm.segments.define("broad", BROAD)
    start = time.perf_counter()
    result = crm.segments.refresh("broad", as_of)
    seconds = time.perf_counter() - start
    print(f"{label}: first refresh of a {result.size:,}-member segment in {seconds:.2f} s", flush=True)
    return seconds


def server_refresh(url: str, data: SyntheticShop, as_of: datetime, label: str) -> float:
    """Build the shop on a server database (its relcore tables are replaced) and time the refresh."""
    engine = empty_server(url)
    with CRM.open(engine) as crm:
        build(crm, data)
        seconds = first_refresh(crm, as_of, label)
    engine.dispose()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--postgres", help="also measure on this PostgreSQL URL (its relcore tables are replaced)"
    )
    parser.add_argument("--mysql", help="also time the refresh on this MariaDB/MySQL URL (tables replaced)")
    args = parser.parse_args()
    data = shop(args.customers, 10.0)
    as_of = data.end
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "segments.db"
        with CRM.open(path) as crm:
            build(crm, data)
        raw = sqlite3.connect(path)
        values = params(as_of, "sqlite")

        def sqlite_baseline() -> list[Any]:
            return [UUID(row[0]) for row in raw.execute(HAND_WRITTEN, values)]

        with CRM.open(path) as crm:
            ratio = compare(crm, sqlite_baseline, as_of, args.repeat, "SQLite")
            report("segment members pushed-down/hand-written (SQLite)", ratio, "<= 1.5")
            memory = timed(lambda: in_memory(crm, as_of))
            pushed = median_latency(lambda: list(crm.segments.members(RULE, as_of)), 3)
            print(f"SQLite: loading everything and evaluating in memory {memory:.1f} s", flush=True)
            report(
                "segment members pushed-down/in-memory (SQLite)", pushed / memory, "report; lower is better"
            )
            sqlite_refresh = first_refresh(crm, as_of, "SQLite")
        raw.close()
    if args.mysql:
        seconds = server_refresh(args.mysql, data, as_of, "MariaDB")
        report("segment first refresh MariaDB/SQLite", seconds / sqlite_refresh, "<= 5, and flat in the size")
    if args.postgres:
        engine = empty_server(args.postgres)
        with CRM.open(engine) as crm:
            build(crm, data)
            with engine.begin() as connection:
                connection.execute(sa.text("ANALYZE"))
            statement = sa.text(HAND_WRITTEN)
            pg_values = params(as_of, "postgres")

            def postgres_baseline() -> list[Any]:
                with engine.connect() as connection:
                    return [row[0] for row in connection.execute(statement, pg_values)]

            ratio = compare(crm, postgres_baseline, as_of, args.repeat, "PostgreSQL")
            report("segment members pushed-down/hand-written (PostgreSQL)", ratio, "report")
            seconds = first_refresh(crm, as_of, "PostgreSQL")
            target = "<= 5, and flat in the size"
            report("segment first refresh PostgreSQL/SQLite", seconds / sqlite_refresh, target)
        engine.dispose()


if __name__ == "__main__":
    main()
