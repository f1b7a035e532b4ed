"""Attribution over stored data: ``crm.campaigns.attribute`` on SQLite, where its time goes, two baselines.

The store holds ``--orders`` orders (default 100,000; the issue's size is
1,000,000) and ten times as many touchpoints (the issue's 10,000,000), 80 % of
them carrying one of 20 campaigns, spread at random over ``--orders / 5``
customers and 90 days; the orders fall in the last 60 days, which is the
period attributed, with a 30-day look-back. Rows are written straight into
relcore's tables with plain ``sqlite3`` (loading is not what is measured).

Measured, on the same file in the same run:

* ``crm.campaigns.attribute(model="last_touch")`` against a **hand-written SQL
  statement that only sums the last-touch revenue** per campaign and currency
  (a correlated ``ORDER BY ... LIMIT 1`` per order on the timeline index):
  both give the same sums, checked. relcore reads every touch of each window
  and keeps exact weights for every campaign in it, so the ratio is the price
  of a general engine over the one model SQL can do alone;
* the same with ``time_decay`` (7-day half-life) and ``position_based``;
* the journeys port alone (the three batched statements and the rows made into
  ``Order`` and ``Touch`` values, no attribution) against **plain sqlite3
  reading the same rows** (the same three statements per batch of customers,
  rows left as tuples);
* where the time goes in one attribution: reading (the port), Python weights
  and money (``attribute``), building the report (``summarise``); then the
  ten functions with the most own time under cProfile.

Run: ``python benchmarks/bench_attribution_store.py [--orders 1000000]``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from _common import peak_rss_kib, report
from relcore import CRM, Customer
from relcore.marketing import AttributionModel
from relcore.marketing.attribution import Credit, attribute
from relcore.marketing.attribution_ports import JourneyQuery
from relcore.marketing.attribution_report import summarise
from relcore.storage.sql.schema import touchpoints, transactions

DAYS = 90
T0 = datetime(2026, 1, 1, tzinfo=UTC)
START, END = T0 + timedelta(days=30), T0 + timedelta(days=DAYS)
LOOKBACK = timedelta(days=30)
HALF_LIFE = timedelta(days=7)
CAMPAIGNS = [UUID(int=(i + 1) << 64) for i in range(20)]
BATCH = 500


def _minutes() -> list[str]:
    """Every minute of the 90 days as relcore's SQLite text (naive UTC with microseconds)."""
    return [
        (T0 + timedelta(minutes=m)).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        for m in range(DAYS * 24 * 60)
    ]


def _insert(table: str, columns: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _spread(rng: random.Random, rows: int, customers: int) -> list[int]:
    """How many of ``rows`` each customer gets, each row to a customer drawn at random."""
    counts = [0] * customers
    for _ in range(rows):
        counts[rng.randrange(customers)] += 1
    return counts


def load(path: Path, customers: list[UUID], orders: int, seed: int = 7) -> int:
    """Write ``orders`` orders and ten times as many touchpoints with sqlite3; return the touchpoints.

    Each row goes to a customer drawn at random; the rows are written by
    customer and time, so the timeline indexes grow at their end (written in
    random order, 10,000,000 touchpoints take an hour and a WAL of gigabytes).
    """
    rng = random.Random(seed)
    minutes = _minutes()
    first_order = 30 * 24 * 60
    hexes = sorted(c.hex for c in customers)
    campaigns = [c.hex for c in CAMPAIGNS]
    recorded = minutes[-1]
    sale_columns = [c.name for c in transactions.columns]
    point_columns = [c.name for c in touchpoints.columns]
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=OFF")  # a scratch file: no rollback journal, no WAL
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-262144")  # 256 MiB

    def sales() -> Iterator[tuple[Any, ...]]:
        n = 0
        for customer, count in zip(hexes, _spread(rng, orders, len(hexes)), strict=True):
            for at in sorted(rng.randrange(first_order, len(minutes)) for _ in range(count)):
                row = {
                    "id": f"{(1 << 120) + n:032x}",
                    "customer_id": customer,
                    "contact_id": None,
                    "kind": "order",
                    "amount_minor": rng.randrange(100, 50_000),
                    "currency": "EUR",
                    "quantity": 1,
                    "channel": None,
                    "occurred_at": minutes[at],
                    "description": None,
                    "payload": "{}",
                    "source": "bench",
                    "external_id": None,
                    "recorded_at": recorded,
                }
                n += 1
                yield tuple(row[c] for c in sale_columns)

    def points() -> Iterator[tuple[Any, ...]]:
        n = 0
        for customer, count in zip(hexes, _spread(rng, 10 * orders, len(hexes)), strict=True):
            for at in sorted(rng.randrange(len(minutes)) for _ in range(count)):
                row = {
                    "id": f"{(2 << 120) + n:032x}",
                    "customer_id": customer,
                    "contact_id": None,
                    "channel": "email",
                    "direction": "outbound",
                    "kind": "message",
                    "occurred_at": minutes[at],
                    "subject": None,
                    "outcome": None,
                    "sentiment": None,
                    "campaign_id": rng.choice(campaigns) if rng.random() < 0.8 else None,
                    "case_id": None,
                    "opportunity_id": None,
                    "payload": "{}",
                    "source": "bench",
                    "external_id": None,
                    "recorded_at": recorded,
                }
                n += 1
                yield tuple(row[c] for c in point_columns)

    connection.executemany(_insert(transactions.name, sale_columns), sales())
    connection.executemany(_insert(touchpoints.name, point_columns), points())
    connection.commit()
    connection.execute("ANALYZE")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.close()
    return 10 * orders


HAND_LAST_TOUCH = """
SELECT campaign_id, currency, sum(amount_minor) FROM (
    SELECT o.currency, o.amount_minor, (
        SELECT t.campaign_id FROM relcore_touchpoints t
        WHERE t.customer_id = o.customer_id AND t.campaign_id IS NOT NULL
          AND t.occurred_at <= o.occurred_at AND t.occurred_at >= datetime(o.occurred_at, '-30 days')
        ORDER BY t.occurred_at DESC, t.campaign_id DESC, t.id DESC LIMIT 1
    ) AS campaign_id
    FROM relcore_transactions o
    WHERE o.kind = 'order' AND o.occurred_at >= ? AND o.occurred_at < ?
) GROUP BY campaign_id, currency
"""

RAW_CUSTOMERS = """
SELECT customer_id FROM relcore_transactions
WHERE kind = 'order' AND occurred_at >= ? AND occurred_at < ? AND customer_id > ?
GROUP BY customer_id ORDER BY customer_id LIMIT ?
"""
RAW_ORDERS = """
SELECT customer_id, occurred_at, amount_minor, currency, id FROM relcore_transactions
WHERE kind = 'order' AND occurred_at >= ? AND occurred_at < ? AND customer_id >= ? AND customer_id <= ?
ORDER BY customer_id, occurred_at, id
"""
RAW_TOUCHES = """
SELECT customer_id, occurred_at, campaign_id FROM relcore_touchpoints
WHERE customer_id IN ({marks}) AND campaign_id IS NOT NULL AND occurred_at < ? AND occurred_at >= ?
ORDER BY customer_id, occurred_at
"""


def _text(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def raw_read(path: Path) -> int:
    """The rows the journeys port reads, read with plain sqlite3 in the same batches; returns how many."""
    connection = sqlite3.connect(path)
    start, end, earliest = _text(START), _text(END), _text(START - LOOKBACK)
    rows, after = 0, ""
    while True:
        batch = [c for (c,) in connection.execute(RAW_CUSTOMERS, (start, end, after, BATCH))]
        if not batch:
            break
        rows += len(connection.execute(RAW_ORDERS, (start, end, batch[0], batch[-1])).fetchall())
        touches = RAW_TOUCHES.format(marks=", ".join("?" * len(batch)))
        rows += len(connection.execute(touches, (*batch, end, earliest)).fetchall())
        if len(batch) < BATCH:
            break
        after = batch[-1]
    connection.close()
    return rows


def hand_last_touch(path: Path) -> dict[UUID | None, Decimal]:
    """Last-touch revenue per campaign by the hand-written statement (EUR only, as generated)."""
    connection = sqlite3.connect(path)
    found = connection.execute(HAND_LAST_TOUCH, (_text(START), _text(END))).fetchall()
    connection.close()
    return {None if c is None else UUID(hex=c): Decimal(units).scaleb(-2) for c, _, units in found}


def split(crm: CRM, model: AttributionModel) -> dict[str, float]:
    """One attribution with each phase timed: reading, attributing, building the report."""
    half = HALF_LIFE if model is AttributionModel.TIME_DECAY else None
    query = JourneyQuery(START, END, LOOKBACK)
    spent = {"read": 0.0, "attribute": 0.0}
    with crm.unit_of_work(read_only=True) as uow:
        campaigns = {c.id: c for c in uow.campaigns.list(limit=100).items}

        def credits() -> Iterator[Credit]:
            stream = iter(uow.campaign_journeys.journeys(query, batch=BATCH))
            while True:
                began = time.perf_counter()
                journey = next(stream, None)
                read = time.perf_counter()
                spent["read"] += read - began
                if journey is None:
                    return
                made = attribute(
                    journey.orders, journey.touches, model=model, lookback=LOOKBACK, half_life=half
                )
                spent["attribute"] += time.perf_counter() - read
                yield from made

        began = time.perf_counter()
        summarise(credits(), campaigns, model=model, start=START, end=END, lookback=LOOKBACK, half_life=half)
        total = time.perf_counter() - began
    return {**spent, "report": total - spent["read"] - spent["attribute"], "total": total}


def read_only(crm: CRM) -> int:
    """Every journey through the port, attributing nothing; returns the rows read."""
    with crm.unit_of_work(read_only=True) as uow:
        return sum(
            len(j.orders) + len(j.touches)
            for j in uow.campaign_journeys.journeys(JourneyQuery(START, END, LOOKBACK), batch=BATCH)
        )


def _timed(fn: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument(
        "--profile", action="store_true", help="print the cProfile top ten of one attribution"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "attribution.db"
        with CRM.open(path) as crm:
            names = [f"Campaign {i}" for i in range(len(CAMPAIGNS))]
            with crm.unit_of_work() as uow:
                from relcore.marketing import Campaign

                for campaign_id, name in zip(CAMPAIGNS, names, strict=True):
                    uow.campaigns.add(
                        Campaign(
                            id=campaign_id, name=name, channel="email", actual_cost="1000.00", currency="EUR"
                        )
                    )
                people = [Customer.organization(f"Org {i}") for i in range(max(1, args.orders // 5))]
                uow.customers.add_many(people)
                uow.commit()
        loading, points = _timed(lambda: load(path, [p.id for p in people], args.orders))
        print(
            f"SQLite: {args.orders} orders, {points} touchpoints, {len(people)} customers"
            f" ({loading:.0f} s to load)"
        )
        with CRM.open(path) as crm:
            hand_time, hand = _timed(lambda: hand_last_touch(path))
            ours_time, ours = _timed(
                lambda: crm.campaigns.attribute(model="last_touch", start=START, end=END, lookback=LOOKBACK)
            )
            mine: dict[UUID | None, Decimal] = {r.campaign_id: r.revenue for r in ours.campaigns if r.revenue}
            if ours.unattributed["EUR"]:
                mine[None] = ours.unattributed["EUR"]
            assert mine == {c: v for c, v in hand.items() if v}, (mine, hand)
            print(f"last_touch: relcore {ours_time:.2f} s, hand-written SQL sum {hand_time:.2f} s")
            report(
                "attribute last_touch / hand-written SQL last-touch sum", ours_time / hand_time, "reported"
            )
            for model in (AttributionModel.TIME_DECAY, AttributionModel.POSITION_BASED):
                half = HALF_LIFE if model is AttributionModel.TIME_DECAY else None
                took, _ = _timed(
                    lambda: crm.campaigns.attribute(
                        model=model,  # noqa: B023 (called at once)
                        start=START,
                        end=END,
                        lookback=LOOKBACK,
                        half_life=half,  # noqa: B023
                    )
                )
                print(f"{model.value}: relcore {took:.2f} s")
                report(
                    f"attribute {model.value} / hand-written SQL last-touch sum", took / hand_time, "reported"
                )
            raw_time, raw_rows = _timed(lambda: raw_read(path))
            port_time, port_rows = _timed(lambda: read_only(crm))
            assert raw_rows == port_rows, (raw_rows, port_rows)
            print(
                f"reading {port_rows} rows: journeys port {port_time:.2f} s, plain sqlite3 {raw_time:.2f} s"
            )
            report(
                "journeys port read / plain sqlite3 read of the same rows", port_time / raw_time, "reported"
            )
            phases = split(crm, AttributionModel.LINEAR)
            print(
                "linear, where the time goes: "
                + ", ".join(
                    f"{k} {v:.2f} s ({v / phases['total']:.0%})" for k, v in phases.items() if k != "total"
                )
            )
            print(f"peak memory of the whole run: {peak_rss_kib() / 1024:.0f} MiB")
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                crm.campaigns.attribute(model="linear", start=START, end=END, lookback=LOOKBACK)
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(10)
                print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:4000])


if __name__ == "__main__":
    main()
