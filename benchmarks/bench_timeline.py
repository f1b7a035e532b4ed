"""Customer timeline: ``crm.timeline(id, limit=50)`` vs a hand-written query.

The store holds relcore's synthetic shop: 100,000 customers (with their
contacts), about 1,000,000 touchpoints and the purchases of a
buy-till-you-die process (about 250,000 transactions), in a SQLite file.
The baseline is one hand-written SQL statement on a plain ``sqlite3``
connection returning the same 50 newest rows of both tables (a ``UNION ALL``
of the two per-customer index scans) as raw tuples. relcore's side is the
public facade call, which also opens a unit of work and returns typed
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
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).parent))

from _common import add_customers, median_latency, report, shop, timed
from relcore import CRM

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


def build(path: Path, n_customers: int) -> list[UUID]:
    data = shop(n_customers, 18.0)  # about 10 touchpoints per customer: 1M for 100k
    with CRM.open(path) as crm:
        seconds = timed(lambda: add_customers(crm, data))
        print(f"added {n_customers:,} customers with contacts in {seconds:.1f} s")
        with crm.unit_of_work() as uow:
            seconds = timed(lambda: uow.touchpoints.add_many(data.touchpoints()))
            print(f"ingested {uow.touchpoints.count():,} touchpoints in {seconds:.1f} s")
            seconds = timed(lambda: uow.transactions.add_many(data.transactions()))
            print(f"ingested {uow.transactions.count():,} transactions in {seconds:.1f} s")
            uow.commit()
    return [p.id for p in data.profiles()]


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
                lambda: raw.execute(
                    BASELINE, {"customer": hexes[next(cycle) % len(hexes)], "limit": 50}
                ).fetchall(),
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
