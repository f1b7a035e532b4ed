"""Customer timeline: ``crm.activity.timeline(id, limit=50)`` vs hand-written SQL doing the same work.

The store holds relcore's synthetic shop: 100,000 customers (with their
contacts), about 1,000,000 touchpoints and the purchases of a
buy-till-you-die process (about 250,000 transactions), in a SQLite file.

The baseline does the same work by hand: one hand-written SQL statement on a
plain ``sqlite3`` connection returning the 50 newest rows of both tables (a
``UNION ALL`` of the two per-customer index scans), made into the same
`Touchpoint` and `Transaction` entities (the `TimelineEntry` union) through
their public constructors. relcore's side is the public facade call, which
also opens a read-only unit of work. The printed ratio is relcore's median
latency over the baseline's (lower is better; target <= 1.5). A
supplementary line compares with the statement alone returning raw tuples
(no entities), the floor of any typed API.

Run: ``python benchmarks/bench_timeline.py [--customers 100000]``.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).parent))

from _common import add_customers, median_latency, report, shop, timed
from relcore import CRM, Touchpoint, Transaction
from relcore.activity import TimelineEntry
from relcore.domain import CURRENCIES

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
    data = shop(n_customers, 10.0)  # 1M touchpoints for 100k customers
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


FULL = """
SELECT * FROM (
    SELECT 'touchpoint' AS entry, id, customer_id, occurred_at, channel, direction, kind, subject, outcome,
           sentiment, payload, source, external_id, recorded_at, NULL AS amount_minor, NULL AS currency,
           contact_id, campaign_id, case_id, opportunity_id, NULL AS quantity
    FROM relcore_touchpoints WHERE customer_id = :customer ORDER BY occurred_at DESC, id DESC LIMIT 50)
UNION ALL
SELECT * FROM (
    SELECT 'transaction', id, customer_id, occurred_at, channel, NULL, kind, description, NULL, NULL,
           payload, source, external_id, recorded_at, amount_minor, currency,
           contact_id, NULL, NULL, NULL, quantity
    FROM relcore_transactions WHERE customer_id = :customer ORDER BY occurred_at DESC, id DESC LIMIT 50)
ORDER BY occurred_at DESC, id DESC LIMIT 50
"""


def _uuid(text: str | None) -> UUID | None:
    return None if text is None else UUID(text)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def hand_built(raw: sqlite3.Connection, customer: str) -> list[TimelineEntry]:
    """The same rows by hand-written SQL, made into entities through their public constructors."""
    built: list[TimelineEntry] = []
    for row in raw.execute(FULL, {"customer": customer}):
        common = {
            "id": UUID(row[1]),
            "customer_id": UUID(row[2]),
            "occurred_at": _when(row[3]),
            "payload": json.loads(row[10]),
            "source": row[11],
            "external_id": row[12],
            "recorded_at": _when(row[13]),
            "contact_id": _uuid(row[16]),
        }
        if row[0] == "touchpoint":
            built.append(
                Touchpoint(
                    channel=row[4],
                    direction=row[5],
                    kind=row[6],
                    subject=row[7],
                    outcome=row[8],
                    sentiment=row[9],
                    campaign_id=_uuid(row[17]),
                    case_id=_uuid(row[18]),
                    opportunity_id=_uuid(row[19]),
                    **common,
                )
            )
        else:
            built.append(
                Transaction(
                    kind=row[6],
                    description=row[7],
                    channel=row[4],
                    currency=row[15],
                    amount=Decimal(row[14]).scaleb(-CURRENCIES[row[15]]),
                    quantity=row[20],
                    **common,
                )
            )
    return built


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
                ours = [e.id.hex for e in crm.activity.timeline(customer_id, limit=50)]
                theirs = [row[1] for row in raw.execute(BASELINE, {"customer": hex_id, "limit": 50})]
                assert ours == theirs, (ours, theirs)
                assert hand_built(raw, hex_id) == crm.activity.timeline(customer_id, limit=50)
            cycle = iter(range(10**9))
            baseline = median_latency(
                lambda: raw.execute(
                    BASELINE, {"customer": hexes[next(cycle) % len(hexes)], "limit": 50}
                ).fetchall(),
                repeat=args.samples * 3,
            )
            cycle = iter(range(10**9))
            relcore = median_latency(
                lambda: crm.activity.timeline(sample[next(cycle) % len(sample)], limit=50),
                repeat=args.samples * 3,
            )
            cycle = iter(range(10**9))
            entities = median_latency(
                lambda: hand_built(raw, hexes[next(cycle) % len(hexes)]), repeat=args.samples * 3
            )
        raw.close()
    print(
        f"median latency: hand-written SQL + entities built by hand {entities * 1e6:.0f} us, "
        f"crm.activity.timeline {relcore * 1e6:.0f} us, "
        f"hand-written SQL alone (raw tuples) {baseline * 1e6:.0f} us"
    )
    report("timeline latency relcore/(hand-written SQL + entities)", relcore / entities, "<= 1.5")
    print(
        "(supplementary) crm.activity.timeline / hand-written SQL returning raw tuples: "
        f"{relcore / baseline:.3f}"
    )


if __name__ == "__main__":
    main()
