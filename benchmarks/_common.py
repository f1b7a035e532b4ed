"""Shared helpers for the benchmarks: data from the synthetic shop, timing, printing."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

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


def empty_server(url: str) -> sa.Engine:
    """An engine on a server database whose relcore tables (and migration record) are dropped."""
    from relcore.storage.sql import metadata
    from relcore.storage.sql.migrate import VERSION_TABLE

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        metadata.drop_all(connection)
        connection.execute(sa.text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
    return engine


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


def peak_child(script: str, size: int) -> int:
    """Run ``script --child size`` in a fresh interpreter; return the peak RSS in KiB it prints last."""
    out = subprocess.run(
        [sys.executable, script, "--child", str(size)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    return int(out.stdout.strip().splitlines()[-1])


def peak_rss_kib() -> int:
    """This process's peak resident size (VmHWM; unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")
