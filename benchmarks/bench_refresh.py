"""Value refresh end to end: ``crm.value.refresh`` on a SQLite store, with where the time goes.

The store holds the synthetic shop's 100,000 customers and about 1,000,000
orders from a buy-till-you-die process over two years (log-normal amounts in
the customer's currency). The job is timed as a whole and per
stage through its progress callback (read, fit and score, store). There is no
baseline: the issue asks for seconds and where they go.

Run: ``python benchmarks/bench_refresh.py [--customers 100000]``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from _common import add_customers, shop, timed
from relcore import CRM, Transaction
from relcore.testing.synthetic import SyntheticShop


def orders(data: SyntheticShop) -> Iterator[Transaction]:
    """About ten orders per customer from a buy-till-you-die process (gamma rates, beta dropout)."""
    rng = random.Random(5)
    end = (data.end - data.start).total_seconds() / 86400
    for profile in data.profiles():
        rate = rng.gammavariate(2.0, 0.012)  # orders per day while alive
        dropout = rng.betavariate(1.0, 12.0)  # chance of leaving after each order
        day = rng.random() * end * 0.5
        while day < end:
            when = data.start + timedelta(days=day)
            cents = max(1, int(rng.lognormvariate(3.6, 0.7) * 100))
            amount = Decimal(cents).scaleb(-2)
            yield Transaction(customer_id=profile.id, amount=amount, currency=profile.currency,
                              occurred_at=when, recorded_at=when)  # fmt: skip
            if rng.random() < dropout:
                break
            day += rng.expovariate(rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    data = shop(args.customers, 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "refresh.db"
        with CRM.open(path) as crm:
            print(
                f"added {args.customers:,} customers in {timed(lambda: add_customers(crm, data)):.1f} s",
                flush=True,
            )
            with crm.unit_of_work() as uow:
                seconds = timed(lambda: uow.transactions.add_many(orders(data)))
                print(f"ingested {uow.transactions.count():,} orders in {seconds:.1f} s", flush=True)
                uow.commit()
            marks: dict[str, float] = {}
            start = time.perf_counter()

            def progress(stage: str, done: int, total: int) -> None:
                marks.setdefault(stage, time.perf_counter() - start)

            run = crm.value.refresh(data.end, progress=progress)
            total = time.perf_counter() - start
        fit_start, store_start = marks.get("fit", total), marks.get("store", total)
        print(f"value refresh: {total:.1f} s for {run.customers:,} customers "
              f"(read {fit_start:.1f} s, fit and score {store_start - fit_start:.1f} s, "
              f"store {total - store_start:.1f} s)")  # fmt: skip
        print(f"models: { {k: sorted(v) for k, v in run.models.items()} }")


if __name__ == "__main__":
    main()
