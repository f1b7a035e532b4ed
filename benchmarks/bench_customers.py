"""Bulk import of customers: ``crm.customers.import_customers`` vs the driver's own ``executemany``.

Both sides write the same customers (from relcore's synthetic shop, each with
its first contact: one contact per customer) into the same relcore schema in
SQLite files (WAL, synchronous=NORMAL), in one transaction, 2,000 customers
per chunk. Every row relcore writes is written by the raw side too: the
customer, its roles, its tags, its identity, its contact and the contact's
points. The raw side gets its parameter tuples ready-made (from the same row
codecs) and runs plain INSERTs; relcore's side starts from ``Customer`` and
``Contact`` objects and does everything ``import_customers`` does (argument
and vocabulary checks, the lookup of stored ids and identities, value
conversion, one ``executemany`` per table and chunk). Objects are built
before timing on both sides, so the ratio is the library's own overhead. The
printed ratio is relcore's throughput over raw throughput (higher is better;
target >= 0.3). Each side runs ``--repeat`` times (2), alternately, each time
into a fresh empty store; the best run of each side is kept.

Supplementary: the re-send of the same feed (nothing new), and the old way,
one ``add`` of a customer and one of its contact per customer in one unit of
work, on a tenth of the customers (it is slow), as a ratio to the same raw
throughput.

Peak memory is measured first, in child processes that stream customers from
the generator into ``import_customers``: the peak resident size (``VmHWM``)
for N/5 and for N customers should be about equal.

Run: ``python benchmarks/bench_customers.py [--customers 50000] [--profile]``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _common import peak_child, peak_rss_kib, report, shop, timed
from relcore import CRM, Contact, Customer
from relcore.customers import _rows as codecs

CHUNK = 2000

Entry = tuple[Customer, list[Contact]]


def stream(customers: int) -> Iterator[Entry]:
    """The shop's customers, each with its first contact."""
    for customer, contacts in shop(customers, 0).customers_with_contacts():
        yield customer, contacts[:1]


def raw_tables(entries: list[Entry]) -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    """Every row relcore writes for ``entries``, as SQLite parameters, with each table's plain INSERT."""
    parts: dict[str, list[Any]] = {"customers": [], "roles": [], "tags": [], "identities": [], "contacts": []}
    parts["points"] = []
    for customer, contacts in entries:
        roles, tags, identities = codecs.customer_parts(customer)
        parts["customers"].append(customer)
        parts["roles"] += roles
        parts["tags"] += tags
        parts["identities"] += identities
        for contact in contacts:
            parts["contacts"].append(contact)
            parts["points"] += codecs.point_parts(contact)
    codec_of = {
        "customers": codecs.CUSTOMERS,
        "roles": codecs.ROLES,
        "tags": codecs.TAGS,
        "identities": codecs.IDENTITIES,
        "contacts": codecs.CONTACTS,
        "points": codecs.POINTS,
    }
    tables = {}
    for name, codec in codec_of.items():
        encoder = codec.encoder("sqlite")
        tables[name] = (encoder.insert_sql("?"), [encoder.encode(item) for item in parts[name]])
    return tables


def count_rows(tables: dict[str, tuple[str, list[tuple[Any, ...]]]]) -> str:
    return ", ".join(f"{name} {len(params):,}" for name, (_, params) in tables.items())


def throughput(customers: int, repeat: int, profile: bool) -> None:
    entries = list(stream(customers))
    assert len(entries) == customers
    tables = raw_tables(entries)
    per_customer = [(sql, params, len(params) / customers) for sql, params in tables.values()]
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        CRM.open(template).close()  # an empty, migrated store
        target = Path(tmp) / "run.db"

        def fresh_copy() -> None:
            for leftover in (target, target.with_name("run.db-wal"), target.with_name("run.db-shm")):
                leftover.unlink(missing_ok=True)
            shutil.copyfile(template, target)

        def ours(crm: CRM) -> None:
            assert crm.customers.import_customers(entries, chunk_size=CHUNK) == customers

        def raw() -> None:
            connection = sqlite3.connect(target, isolation_level=None)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("BEGIN")
            for start in range(0, customers, CHUNK):  # chunk by chunk, as relcore does
                for sql, params, rate in per_customer:
                    low, high = round(start * rate), round(min(start + CHUNK, customers) * rate)
                    connection.executemany(sql, params[low:high])
            connection.execute("COMMIT")
            connection.close()

        raw_times, ours_times = [], []
        for _ in range(repeat):  # alternately, so that a busy spell of the machine hits both sides
            fresh_copy()
            raw_times.append(timed(raw))
            fresh_copy()
            with CRM.open(target) as crm:
                ours_times.append(timed(lambda: ours(crm)))
        raw_seconds, ours_seconds = min(raw_times), min(ours_times)
        with CRM.open(target) as crm:
            resend_seconds = timed(lambda: crm.customers.import_customers(entries, chunk_size=CHUNK))
        if profile:
            fresh_copy()
            with CRM.open(target) as crm:
                profiler = cProfile.Profile()
                profiler.runcall(ours, crm)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)

        few = entries[: max(customers // 10, 1)]
        fresh_copy()
        with CRM.open(target) as crm:

            def one_by_one() -> None:
                with crm.unit_of_work() as uow:
                    for customer, contacts in few:
                        uow.customers.add(customer)
                        for contact in contacts:
                            uow.contacts.add(contact)
                    uow.commit()

            old_seconds = timed(one_by_one)
    raw_rate, ours_rate, old_rate = customers / raw_seconds, customers / ours_seconds, len(few) / old_seconds
    print(f"customers: {customers:,}, one contact each (best of {repeat} runs each)")
    print(f"rows written per run: {count_rows(tables)}")
    print(f"raw executemany: {raw_seconds:.2f} s ({raw_rate:,.0f} customers/s)")
    print(f"relcore import_customers: {ours_seconds:.2f} s ({ours_rate:,.0f} customers/s)")
    print(f"relcore re-send of the same feed (0 new): {resend_seconds:.2f} s")
    print(f"old path, one add per customer, {len(few):,} customers: {old_seconds:.2f} s ({old_rate:,.0f}/s)")
    report("customers import relcore/raw", ours_rate / raw_rate, ">= 0.3")
    report("customers old path (add per customer) relcore/raw", old_rate / raw_rate, "report only")



def child(customers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, CRM.open(Path(tmp) / "mem.db") as crm:
        assert crm.customers.import_customers(stream(customers), chunk_size=CHUNK) == customers
    print(peak_rss_kib())



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs per side (the best is kept)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one relcore run")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    small = max(args.customers // 5, 2_000)
    # measured before this process grows
    small_peak, large_peak = peak_child(__file__, small), peak_child(__file__, small * 5)
    throughput(args.customers, args.repeat, args.profile)
    print(
        f"peak RSS streaming {small:,} customers: {small_peak / 1024:.0f} MiB; {small * 5:,} customers: "
        f"{large_peak / 1024:.0f} MiB"
    )
    report("customers import peak memory 5N/N", large_peak / small_peak, "~1.0 (flat)")


if __name__ == "__main__":
    main()
