"""Bulk ingest: ``touchpoints.add_many`` vs the driver's own ``executemany``.

SQLite: both write the same touchpoints (from relcore's synthetic shop, 10,000
customers) into the same relcore schema in SQLite files
(WAL, synchronous=NORMAL), in one transaction, 2,000 rows per chunk. The raw
side gets its parameter tuples ready-made and runs a plain INSERT; relcore's
side starts from ``Touchpoint`` objects and does everything ``add_many``
does (type checks, value conversion, customer checks, ``ON CONFLICT``
idempotency). Objects are built before timing on both sides, so the ratio is
the library's own overhead. The printed ratio is relcore's throughput over
raw throughput (higher is better; target >= 0.5). Each side runs
``--repeat`` times (2), alternately, each time into a fresh copy of the store
holding the customers; the best run of each side is kept.

Peak memory is measured first, in child processes that stream touchpoints
from the generator into ``add_many``: the peak resident size (``VmHWM``) for
N/5 and for N rows should be about equal.

With ``--postgres URL`` (its relcore tables are replaced) the same is measured
on PostgreSQL for ``--server-rows`` touchpoints (100,000): relcore's
``add_many`` against psycopg's ``executemany`` of the same ready-made rows
with the same ``ON CONFLICT (source, external_id) DO NOTHING``, on a plain
psycopg connection, 2,000 rows per call, in one transaction (target >= 0.5).
Supplementary: the same rows sent in key order (as relcore sends them, to
lock keys in one order), with ``RETURNING id`` (``returning=True``: the other
way to count new rows), and loaded by ``COPY`` into a temporary table then
``INSERT ... SELECT ... ON CONFLICT DO NOTHING``, per chunk. With ``--mysql
URL`` relcore's ``add_many`` on MariaDB / MySQL is compared with PyMySQL's
``executemany`` of a plain ``INSERT`` of the same rows. On the servers each
way is run ``--repeat`` times in rounds, each run into an emptied table, and
its best run kept.

Run: ``python benchmarks/bench_ingest.py [--rows 1000000] [--postgres URL] [--mysql URL]``.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))

from _common import add_customers, empty_server, peak_child, peak_rss_kib, report, shop, timed
from relcore import CRM, Touchpoint
from relcore.activity._rows import TOUCHPOINTS

SKIP_STORED_KEYS = "ON CONFLICT (source, external_id) DO NOTHING"

CHUNK = 2000


CUSTOMERS = 10_000


def fresh_crm(path: Path, rows: int) -> CRM:
    crm = CRM.open(path)
    add_customers(crm, shop(CUSTOMERS, 1.2 * rows / CUSTOMERS))
    return crm


def stream(rows: int) -> Iterator[Touchpoint]:
    """Exactly ``rows`` touchpoints from the synthetic shop (its rate is an average)."""
    return islice(shop(CUSTOMERS, 1.2 * rows / CUSTOMERS).touchpoints(), rows)


def throughput(rows: int, repeat: int) -> None:
    items = list(stream(rows))
    assert len(items) == rows
    encoder = TOUCHPOINTS.encoder("sqlite")
    raw_rows = [encoder.encode(t) for t in items]
    plain_sql = encoder.insert_sql("?")
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        fresh_crm(template, rows).close()
        target = Path(tmp) / "run.db"

        def fresh_copy() -> None:  # each run writes into a fresh copy of the store holding the customers
            for leftover in (target, target.with_name("run.db-wal"), target.with_name("run.db-shm")):
                leftover.unlink(missing_ok=True)
            shutil.copyfile(template, target)

        def ours(crm: CRM) -> None:
            with crm.unit_of_work() as uow:
                assert uow.touchpoints.add_many(items, chunk_size=CHUNK) == rows
                uow.commit()

        def raw() -> None:
            connection = sqlite3.connect(target, isolation_level=None)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("BEGIN")
            for start in range(0, rows, CHUNK):
                connection.executemany(plain_sql, raw_rows[start : start + CHUNK])
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
        with CRM.open(target) as crm, crm.unit_of_work() as uow:
            resend_seconds = timed(lambda: uow.touchpoints.add_many(items, chunk_size=CHUNK))
    print(f"rows: {rows:,} (best of {repeat} runs each)")
    print(f"raw executemany: {raw_seconds:.2f} s ({rows / raw_seconds:,.0f} rows/s)")
    print(f"relcore add_many: {ours_seconds:.2f} s ({rows / ours_seconds:,.0f} rows/s)")
    print(f"relcore re-send of the same batch (0 new): {resend_seconds:.2f} s")
    report("ingest throughput relcore/raw", raw_seconds / ours_seconds, ">= 0.5")


def fresh_server(url: str, rows: int) -> CRM:
    """A relcore store on a server database whose relcore tables are replaced, with the shop's customers."""
    engine = empty_server(url)
    engine.dispose()
    crm = CRM.open(url)
    add_customers(crm, shop(CUSTOMERS, 1.2 * rows / CUSTOMERS))
    return crm


def best_of(
    repeat: int, empty: Callable[[], None], runs: dict[str, Callable[[], object]]
) -> dict[str, float]:
    """The shortest time of each run in ``repeat`` rounds, each run into an emptied table."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):  # rounds, so that a busy spell of the machine hits every run
        for name, run in runs.items():
            empty()
            times[name].append(timed(run))
    return {name: min(each) for name, each in times.items()}


def postgres_throughput(url: str, rows: int, repeat: int) -> None:
    import psycopg

    items = list(stream(rows))
    encoder = TOUCHPOINTS.encoder("postgresql")
    raw_rows = [encoder.encode(t) for t in items]
    columns = ", ".join(encoder.columns)
    insert = encoder.insert_sql("%s", SKIP_STORED_KEYS)
    source_at, key_at = encoder.index("source"), encoder.index("external_id")
    crm = fresh_server(url, rows)
    raw = psycopg.connect(sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))

    def empty() -> None:
        raw.execute("TRUNCATE relcore_touchpoints")
        raw.commit()

    def executemany() -> None:
        with raw.transaction(), raw.cursor() as cursor:
            for start in range(0, rows, CHUNK):
                cursor.executemany(insert, raw_rows[start : start + CHUNK])

    def executemany_in_key_order() -> None:
        ordered = sorted(raw_rows, key=lambda row: (row[source_at], row[key_at]))
        with raw.transaction(), raw.cursor() as cursor:
            for start in range(0, rows, CHUNK):
                cursor.executemany(insert, ordered[start : start + CHUNK])

    def executemany_returning() -> None:
        with raw.transaction(), raw.cursor() as cursor:
            for start in range(0, rows, CHUNK):
                cursor.executemany(f"{insert} RETURNING id", raw_rows[start : start + CHUNK], returning=True)
                while True:
                    cursor.fetchall()
                    if not cursor.nextset():
                        break

    def copy() -> None:
        with raw.transaction(), raw.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE ingest (LIKE relcore_touchpoints) ON COMMIT DROP")
            for start in range(0, rows, CHUNK):
                with cursor.copy(f"COPY ingest ({columns}) FROM STDIN") as load:
                    for row in raw_rows[start : start + CHUNK]:
                        load.write_row(row)
                cursor.execute(
                    f"INSERT INTO relcore_touchpoints ({columns}) SELECT {columns} FROM ingest "
                    f"ORDER BY source, external_id {SKIP_STORED_KEYS}"
                )
                cursor.execute("TRUNCATE ingest")

    def ours() -> None:
        with crm.unit_of_work() as uow:
            assert uow.touchpoints.add_many(items, chunk_size=CHUNK) == rows
            uow.commit()

    seconds = best_of(
        repeat,
        empty,
        {
            "raw": executemany,
            "sorted": executemany_in_key_order,
            "returning": executemany_returning,
            "copy": copy,
            "ours": ours,
        },
    )
    raw_seconds, sorted_seconds, returning_seconds = seconds["raw"], seconds["sorted"], seconds["returning"]
    copy_seconds, ours_seconds = seconds["copy"], seconds["ours"]
    with crm.unit_of_work() as uow:
        assert uow.touchpoints.count() == rows
        resend_seconds = timed(lambda: uow.touchpoints.add_many(items, chunk_size=CHUNK))
    raw.close()
    crm.close()
    print(f"PostgreSQL rows: {rows:,}")
    print(f"psycopg executemany: {raw_seconds:.2f} s ({rows / raw_seconds:,.0f} rows/s)")
    print(f"psycopg executemany, rows in key order: {sorted_seconds:.2f} s")
    print(f"psycopg executemany ... RETURNING id (returning=True): {returning_seconds:.2f} s")
    print(f"psycopg COPY + INSERT ... SELECT: {copy_seconds:.2f} s ({rows / copy_seconds:,.0f} rows/s)")
    print(f"relcore add_many: {ours_seconds:.2f} s ({rows / ours_seconds:,.0f} rows/s)")
    print(f"relcore re-send of the same batch (0 new): {resend_seconds:.2f} s")
    report("ingest throughput PostgreSQL relcore/psycopg", raw_seconds / ours_seconds, ">= 0.5")
    print(f"(supplementary) relcore / psycopg executemany in key order: {sorted_seconds / ours_seconds:.3f}")
    print(f"(supplementary) relcore / COPY + INSERT ... SELECT: {copy_seconds / ours_seconds:.3f}")


def mysql_throughput(url: str, rows: int, repeat: int) -> None:
    import pymysql

    items = list(stream(rows))
    crm = fresh_server(url, rows)
    with crm.unit_of_work() as uow:  # MariaDB's dialect binds UUIDs natively, MySQL's as hex digits
        encoder = TOUCHPOINTS.encoder(uow.connection.dialect)
    raw_rows = [encoder.encode(t) for t in items]
    insert = encoder.insert_sql("%s")
    parsed = sa.make_url(url)
    raw = pymysql.connect(
        host=parsed.host,
        port=parsed.port or 3306,
        user=parsed.username,
        password=parsed.password or "",
        database=parsed.database,
        charset="utf8mb4",
    )

    def empty() -> None:
        with raw.cursor() as cursor:
            cursor.execute("DELETE FROM relcore_touchpoints")
        raw.commit()

    def executemany() -> None:
        with raw.cursor() as cursor:
            for start in range(0, rows, CHUNK):
                cursor.executemany(insert, raw_rows[start : start + CHUNK])
        raw.commit()

    def ours() -> None:
        with crm.unit_of_work() as uow:
            assert uow.touchpoints.add_many(items, chunk_size=CHUNK) == rows
            uow.commit()

    seconds = best_of(repeat, empty, {"raw": executemany, "ours": ours})
    raw_seconds, ours_seconds = seconds["raw"], seconds["ours"]
    raw.close()
    crm.close()
    print(f"MariaDB/MySQL rows: {rows:,}")
    print(f"PyMySQL executemany: {raw_seconds:.2f} s ({rows / raw_seconds:,.0f} rows/s)")
    print(f"relcore add_many: {ours_seconds:.2f} s ({rows / ours_seconds:,.0f} rows/s)")
    report("ingest throughput MariaDB relcore/PyMySQL", raw_seconds / ours_seconds, "report only")


def child(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        crm = fresh_crm(Path(tmp) / "mem.db", rows)
        with crm.unit_of_work() as uow:  # streamed straight from the generator
            uow.touchpoints.add_many(stream(rows), chunk_size=CHUNK)
            uow.commit()
        crm.close()
    print(peak_rss_kib())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres", help="also measure on this PostgreSQL URL (its relcore tables are replaced)"
    )
    parser.add_argument(
        "--mysql", help="also measure on this MariaDB/MySQL URL (its relcore tables are replaced)"
    )
    parser.add_argument("--server-rows", type=int, default=100_000, help="touchpoints per server measurement")
    parser.add_argument("--repeat", type=int, default=2, help="runs per side (the best is kept)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    small = max(args.rows // 5, 10_000)
    # measured before this process grows
    small_peak, large_peak = peak_child(__file__, small), peak_child(__file__, small * 5)
    throughput(args.rows, args.repeat)
    print(
        f"peak RSS streaming {small:,} rows: {small_peak / 1024:.0f} MiB; {small * 5:,} rows: "
        f"{large_peak / 1024:.0f} MiB"
    )
    report("ingest peak memory 5N/N", large_peak / small_peak, "~1.0 (flat)")
    if args.postgres:
        postgres_throughput(args.postgres, args.server_rows, args.repeat)
    if args.mysql:
        mysql_throughput(args.mysql, args.server_rows, args.repeat)


if __name__ == "__main__":
    main()
