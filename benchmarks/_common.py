"""Shared helpers for the benchmarks: data from the synthetic shop, timing, printing."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from relcore import CRM
from relcore.testing.synthetic import SyntheticShop


def shop(customers: int, touchpoints_per_customer: float) -> SyntheticShop:
    """The benchmarks' data: relcore's own synthetic shop, seeded."""
    return SyntheticShop(customers=customers, seed=42, touchpoints_per_customer=touchpoints_per_customer)


def add_customers(crm: CRM, data: SyntheticShop) -> None:
    """Store the shop's customers and contacts in one unit of work, through the bulk path."""
    with crm.unit_of_work() as uow:
        uow.customers.add_many(data.customers_with_contacts())
        uow.commit()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_latency(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def report(name: str, value: float, target: str) -> None:
    print(f"RATIO {name}: {value:.3f}  (target {target})", flush=True)
