"""Bulk ingest: ``touchpoints.add_many`` vs raw ``sqlite3.executemany``.

Both write the same touchpoints (from relcore's synthetic shop, 10,000
customers) into the same relcore schema in SQLite files
(WAL, synchronous=NORMAL), in one transaction, 2,000 rows per chunk. The raw
side gets its parameter tuples ready-made and runs a plain INSERT; relcore's
side starts from ``Touchpoint`` objects and does everything ``add_many``
does (type checks, value conversion, customer checks, ``ON CONFLICT``
idempotency). Objects are built before timing on both sides, so the ratio is
the library's own overhead. The printed ratio is relcore's throughput over
raw throughput (higher is better; target >= 0.5).

Peak memory is measured first, in child processes that stream touchpoints
from the generator into ``add_many``: the peak resident size (``VmHWM``) for
N/5 and for N rows should be about equal.

Run: ``python benchmarks/bench_ingest.py [--rows 1000000]``.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import add_customers, report, shop, timed
from relcore import CRM, Touchpoint
from relcore.storage.sql.bulk import _SqliteInsert
from relcore.storage.sql.schema import touchpoints as touchpoint_table

CHUNK = 2000


CUSTOMERS = 10_000


def fresh_crm(path: Path, rows: int) -> CRM:
    crm = CRM.open(path)
    add_customers(crm, shop(CUSTOMERS, 1.2 * rows / CUSTOMERS))
    return crm


def stream(rows: int) -> Iterator[Touchpoint]:
    """Exactly ``rows`` touchpoints from the synthetic shop (its rate is an average)."""
    return islice(shop(CUSTOMERS, 1.2 * rows / CUSTOMERS).touchpoints(), rows)


def throughput(rows: int) -> None:
    items = list(stream(rows))
    assert len(items) == rows
    insert = _SqliteInsert(touchpoint_table)
    raw_rows = [insert.params(t) for t in items]
    plain_sql = insert.sql.replace(" ON CONFLICT (source, external_id) DO NOTHING", "")
    with tempfile.TemporaryDirectory() as tmp:
        ours_crm = fresh_crm(Path(tmp) / "ours.db", rows)
        fresh_crm(Path(tmp) / "raw.db", rows).close()

        def ours() -> None:
            with ours_crm.unit_of_work() as uow:
                assert uow.touchpoints.add_many(items, chunk_size=CHUNK) == rows
                uow.commit()

        def raw() -> None:
            connection = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("BEGIN")
            for start in range(0, rows, CHUNK):
                connection.executemany(plain_sql, raw_rows[start : start + CHUNK])
            connection.execute("COMMIT")
            connection.close()

        raw_seconds = timed(raw)
        ours_seconds = timed(ours)
        with ours_crm.unit_of_work() as uow:
            resend_seconds = timed(lambda: uow.touchpoints.add_many(items, chunk_size=CHUNK))
        ours_crm.close()
    print(f"rows: {rows:,}")
    print(f"raw executemany: {raw_seconds:.2f} s ({rows / raw_seconds:,.0f} rows/s)")
    print(f"relcore add_many: {ours_seconds:.2f} s ({rows / ours_seconds:,.0f} rows/s)")
    print(f"relcore re-send of the same batch (0 new): {resend_seconds:.2f} s")
    report("ingest throughput relcore/raw", raw_seconds / ours_seconds, ">= 0.5")


def peak_child(rows: int) -> int:
    """Stream ``rows`` touchpoints through add_many in a child; return its peak RSS in KiB."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(rows)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    return int(out.stdout.strip().splitlines()[-1])


def child(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        crm = fresh_crm(Path(tmp) / "mem.db", rows)
        with crm.unit_of_work() as uow:  # streamed straight from the generator
            uow.touchpoints.add_many(stream(rows), chunk_size=CHUNK)
            uow.commit()
        crm.close()
    print(peak_rss_kib())


def peak_rss_kib() -> int:
    """This process's peak resident size (VmHWM; unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    small = max(args.rows // 5, 10_000)
    small_peak, large_peak = peak_child(small), peak_child(small * 5)  # before this process grows
    throughput(args.rows)
    print(
        f"peak RSS streaming {small:,} rows: {small_peak / 1024:.0f} MiB; {small * 5:,} rows: "
        f"{large_peak / 1024:.0f} MiB"
    )
    report("ingest peak memory 5N/N", large_peak / small_peak, "~1.0 (flat)")


if __name__ == "__main__":
    main()
