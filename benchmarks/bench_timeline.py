"""Customer timeline: ``crm.timeline(id, limit=50)`` vs a hand-written query.

The store holds 100,000 customers, 1,000,000 touchpoints and 300,000
transactions in a SQLite file. The baseline is one hand-written SQL statement
on a plain ``sqlite3`` connection that returns the same 50 newest rows of both
tables (a ``UNION ALL`` of the two per-customer index scans); relcore's side is
the public facade call, which also opens a unit of work and returns validated
entities. The printed ratio is relcore's median latency over the baseline's
(lower is better; target <= 1.5).

Run: ``python benchmarks/bench_timeline.py [--customers 100000]``.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import START, customers, median_latency, report, timed, touchpoints
from relcore import CRM, Transaction

BASELINE = """
SELECT * FROM (
    SELECT 'touchpoint' AS entry, id, customer_id, occurred_at, channel, direction, kind,
           subject, outcome, sentiment, payload, source, external_id,
           NULL AS amount_minor, NULL AS currency
    FROM relcore_touchpoints WHERE customer_id = :customer
    ORDER BY occurred_at DESC, id DESC LIMIT :limit)
UNION ALL
SELECT * FROM (
    SELECT 'transaction', id, customer_id, occurred_at, channel, NULL, kind,
           description, NULL, NULL, payload, source, external_id, amount_minor, currency
    FROM relcore_transactions WHERE customer_id = :customer
    ORDER BY occurred_at DESC, id DESC LIMIT :limit)
ORDER BY occurred_at DESC, id DESC LIMIT :limit
"""


def transactions(ids: list, n: int, seed: int = 3) -> Iterator[Transaction]:  # type: ignore[type-arg]
    rng = random.Random(seed)
    for i in range(n):
        yield Transaction(
            customer_id=rng.choice(ids),
            amount=Decimal(rng.randrange(100, 50_000)).scaleb(-2),
            currency="EUR",
            occurred_at=START + timedelta(seconds=rng.randrange(2 * 365 * 86400)),
            source="bench",
            external_id=f"tx-{i}",
        )


def build(path: Path, n_customers: int) -> list:  # type: ignore[type-arg]
    people = customers(n_customers)
    ids = [c.id for c in people]
    with CRM.open(path) as crm, crm.unit_of_work() as uow:
        seconds = timed(lambda: [uow.customers.add(c) for c in people])
        print(f"added {n_customers:,} customers in {seconds:.1f} s")
        seconds = timed(lambda: uow.touchpoints.add_many(touchpoints(ids, n_customers * 10)))
        print(f"ingested {n_customers * 10:,} touchpoints in {seconds:.1f} s")
        seconds = timed(lambda: uow.transactions.add_many(transactions(ids, n_customers * 3)))
        print(f"ingested {n_customers * 3:,} transactions in {seconds:.1f} s")
        uow.commit()
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "timeline.db"
        ids = build(path, args.customers)
        sample = random.Random(4).sample(ids, args.samples)
        raw = sqlite3.connect(path)
        hexes = [i.hex for i in sample]
        with CRM.open(path) as crm:
            # Same rows on both sides, checked before timing.
            for customer_id, hex_id in zip(sample[:20], hexes[:20], strict=True):
                ours = [e.id.hex for e in crm.timeline(customer_id, limit=50)]
                theirs = [row[1] for row in raw.execute(BASELINE, {"customer": hex_id, "limit": 50})]
                assert ours == theirs, (ours, theirs)
            cycle = iter(range(10**9))
            baseline = median_latency(
                lambda: raw.execute(BASELINE, {"customer": hexes[next(cycle) % len(hexes)], "limit": 50})
                .fetchall(),
                repeat=args.samples * 3,
            )
            cycle = iter(range(10**9))
            relcore = median_latency(
                lambda: crm.timeline(sample[next(cycle) % len(sample)], limit=50), repeat=args.samples * 3
            )
        raw.close()
    print(f"median latency: hand-written SQL {baseline * 1e6:.0f} us, crm.timeline {relcore * 1e6:.0f} us")
    report("timeline latency relcore/hand-written", relcore / baseline, "<= 1.5")


if __name__ == "__main__":
    main()
