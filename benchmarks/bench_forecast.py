"""Forecasts: the pushed-down book vs a hand-written SQL query returning the same numbers.

The store holds one pipeline of ``--deals`` deals (default 1,000,000) with
about ten history entries each (at most ``--changes``, default 15): opened, stage
moves, amount and close-date changes, manual probabilities and categories,
wins and losses, spread over a year. Rows are written straight into relcore's
tables with the driver (loading is not what is measured).

* ``crm.sales.forecast(pipeline, period="month")`` (one ``GROUP BY`` in the
  database, assembled into the forecast in Python) is timed against one
  hand-written statement computing the same per-month, per-currency,
  per-category counts, amounts and weighted amounts in SQL, turned into the
  same exact Decimals (target: at most 1.5 times its time).
* ``crm.sales.weighted(by=["pipeline", "stage", "owner"])`` likewise.
* The forecast as of a past moment (rebuilt from the history) is timed and
  reported as a ratio to the live forecast.

With ``--postgres URL`` the same book is loaded into PostgreSQL (relcore's
tables there are emptied first) and measured against the same hand-written
statements.

Run: ``python benchmarks/bench_forecast.py [--deals 1000000] [--changes 10] [--postgres URL]``.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from _common import median_latency, report
from relcore import CRM, Customer
from relcore.ids import uuid7
from relcore.sales import Pipeline
from relcore.storage.sql.schema import opportunities, opportunity_changes

START = datetime(2025, 6, 1, tzinfo=UTC)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
STAGES = [
    ("qualify", "Qualify", "0.1"),
    ("discover", "Discover", "0.25"),
    ("propose", "Propose", "0.4", "best_case"),
    ("negotiate", "Negotiate", "0.7", "commit"),
]
OPEN = [s[0] for s in STAGES]
CATEGORY = {"qualify": "pipeline", "discover": "pipeline", "propose": "best_case", "negotiate": "commit"}
PROBABILITY = {"qualify": 1000, "discover": 2500, "propose": 4000, "negotiate": 7000}


_PREVIOUS = (
    "pipeline_id",
    "stage",
    "amount_minor",
    "currency",
    "close_date",
    "probability_bp",
    "forecast_category",
)


def _entry(
    deal_id: UUID,
    customer: UUID,
    kind: str,
    at: datetime,
    state: dict[str, Any],
    before: dict[str, Any] | None,
) -> dict[str, Any]:
    """One history row: the state after the change, and the tracked fields before it."""
    previous = {f"prev_{name}": None if before is None else before[name] for name in _PREVIOUS}
    return {
        "id": uuid7(),
        "opportunity_id": deal_id,
        "customer_id": customer,
        "kind": kind,
        "at": at,
        "actor": None,
        **state,
        **previous,
    }


def _change(rng: random.Random, state: dict[str, Any], at: datetime) -> str:
    """Change ``state`` at random as one sales operation would; return the operation's kind."""
    roll = rng.random()
    if roll < 0.38:
        state["stage"] = rng.choice(OPEN)
        return "stage"
    if roll < 0.58:
        state["amount_minor"] = rng.randrange(0, 5_000_000)
        return "amount"
    if roll < 0.80:
        state["close_date"] += timedelta(days=rng.randrange(-10, 40))
        return "close_date"
    if roll < 0.88:
        state["probability_bp"] = rng.randrange(0, 10_001)
        return "probability"
    if roll < 0.93:
        state["forecast_category"] = rng.choice(["best_case", "commit", "omitted"])
        return "forecast_category"
    outcome = "won" if roll < 0.965 else "lost"
    state.update(
        stage=outcome,
        outcome=outcome,
        closed_at=at,
        close_date=at.date(),
        probability_bp=None,
        forecast_category=None,
        lost_reason="price" if outcome == "lost" else None,
    )
    return outcome


def _category(state: dict[str, Any]) -> str:
    """The category a deal counts in: closed when won, omitted when lost, else manual, else its stage's."""
    if state["outcome"] != "open":
        return "closed" if state["outcome"] == "won" else "omitted"
    return str(state["forecast_category"] or CATEGORY[state["stage"]])


def deal_rows(
    pipeline: UUID, customers: list[UUID], deals: int, changes: int, seed: int = 7
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each deal's row and its history rows, as column -> value (Python values)."""
    rng = random.Random(seed)
    for _ in range(deals):
        deal_id, customer = uuid7(), rng.choice(customers)
        created = at = START + timedelta(seconds=rng.randrange(0, 200 * 86400))
        state: dict[str, Any] = {
            "pipeline_id": pipeline,
            "stage": "qualify",
            "outcome": "open",
            "amount_minor": rng.randrange(0, 5_000_000),
            "currency": "EUR" if rng.random() < 0.8 else "USD",
            "close_date": date(2026, 1, 1) + timedelta(days=rng.randrange(0, 365)),
            "probability_bp": None,
            "forecast_category": None,
            "closed_at": None,
            "lost_reason": None,
        }
        history = [_entry(deal_id, customer, "opened", at, state, None)]
        while len(history) < changes and state["outcome"] == "open":
            before = dict(state)
            at += timedelta(seconds=rng.randrange(3600, 20 * 86400))
            history.append(_entry(deal_id, customer, _change(rng, state, at), at, state, before))
        row = {
            "id": deal_id,
            "customer_id": customer,
            "contact_id": None,
            "name": "deal",
            "owner": f"rep-{rng.randrange(50)}",
            "source": None,
            "campaign_id": None,
            "lost_note": None,
            "tags": "[]",
            "attributes": "{}",
            "created_at": created,
            "stage_entered_at": created,
            "changed_at": at,
            "updated_at": at,
            "version": len(history),
            **state,
            "category": _category(state),
        }
        yield row, history


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _insert(table: str, columns: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def load_sqlite(path: Path, pipeline: UUID, customers: list[UUID], deals: int, changes: int) -> int:
    """Write the deals and their history with plain sqlite3; return how many history rows."""
    deal_columns = [c.name for c in opportunities.columns]
    change_columns = [c.name for c in opportunity_changes.columns]
    insert_deal = _insert(opportunities.name, deal_columns)
    insert_change = _insert(opportunity_changes.name, change_columns)
    connection = sqlite3.connect(path)
    count = 0
    batch_deals: list[tuple[Any, ...]] = []
    batch_changes: list[tuple[Any, ...]] = []
    for row, history in deal_rows(pipeline, customers, deals, changes):
        batch_deals.append(tuple(_sqlite_value(row[c]) for c in deal_columns))
        batch_changes.extend(tuple(_sqlite_value(h[c]) for c in change_columns) for h in history)
        if len(batch_deals) >= 20_000:
            connection.executemany(insert_deal, batch_deals)
            connection.executemany(insert_change, batch_changes)
            count += len(batch_changes)
            batch_deals, batch_changes = [], []
    connection.executemany(insert_deal, batch_deals)
    connection.executemany(insert_change, batch_changes)
    count += len(batch_changes)
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()
    return count


HAND_FORECAST = """
SELECT {month} AS period, currency,
       CASE WHEN outcome = 'won' THEN 'closed'
            WHEN forecast_category IS NOT NULL THEN forecast_category
            ELSE CASE stage WHEN 'propose' THEN 'best_case' WHEN 'negotiate' THEN 'commit' ELSE 'pipeline' END
       END AS category,
       count(*), coalesce(sum(amount_minor), 0),
       coalesce(sum(amount_minor * CASE WHEN outcome = 'won' THEN 10000
                                        WHEN probability_bp IS NOT NULL THEN probability_bp
                                        ELSE CASE stage WHEN 'qualify' THEN 1000 WHEN 'discover' THEN 2500
                                                        WHEN 'propose' THEN 4000 ELSE 7000 END END), 0)
FROM relcore_opportunities
WHERE pipeline_id = {param} AND outcome != 'lost'
GROUP BY 1, 2, 3
"""

HAND_WEIGHTED = """
SELECT stage, owner, currency, count(*), coalesce(sum(amount_minor), 0),
       coalesce(sum(amount_minor * coalesce(probability_bp,
           CASE stage WHEN 'qualify' THEN 1000 WHEN 'discover' THEN 2500
                      WHEN 'propose' THEN 4000 ELSE 7000 END)), 0)
FROM relcore_opportunities
WHERE pipeline_id = {param} AND outcome = 'open'
GROUP BY 1, 2, 3
"""


def _exact(rows: list[tuple[Any, ...]], keys: int) -> dict[tuple[Any, ...], tuple[int, Decimal, Decimal]]:
    """The hand-written query's rows as exact Decimals (EUR and USD have two decimals)."""
    return {
        tuple(row[:keys]): (row[keys], Decimal(row[keys + 1]).scaleb(-2), Decimal(row[keys + 2]).scaleb(-6))
        for row in rows
    }


def measure(
    crm: CRM, run: Callable[[str], list[tuple[Any, ...]]], pipeline_id: UUID, label: str, repeat: int
) -> None:
    """Check that relcore and the hand-written queries agree, then time both and print the ratios."""
    forecast = crm.sales.forecast(pipeline_id)
    mine = {
        (row.period, row.currency, category.value): (amounts.count, amounts.amount, amounts.weighted)
        for row in forecast.rows
        for category, amounts in row.categories.items()
    }
    assert mine == _exact(run(HAND_FORECAST), 3), "the forecast and the hand-written query disagree"
    ours = median_latency(lambda: crm.sales.forecast(pipeline_id), repeat)
    theirs = median_latency(lambda: _exact(run(HAND_FORECAST), 3), repeat)
    print(f"{label} forecast: relcore {ours:.3f} s, hand-written {theirs:.3f} s", flush=True)
    report(f"forecast {label} relcore/hand-written", ours / theirs, "<= 1.5")

    by = ["stage", "owner"]
    weighted = {
        (w.stage, w.owner, w.currency): (w.amounts.count, w.amounts.amount, w.amounts.weighted)
        for w in crm.sales.weighted([pipeline_id], by=by)
    }
    assert weighted == _exact(run(HAND_WEIGHTED), 3), (
        "the weighted pipeline and the hand-written query disagree"
    )
    ours_w = median_latency(lambda: crm.sales.weighted([pipeline_id], by=by), repeat)
    theirs_w = median_latency(lambda: _exact(run(HAND_WEIGHTED), 3), repeat)
    report(f"weighted pipeline {label} relcore/hand-written", ours_w / theirs_w, "<= 1.5")

    past = AS_OF - timedelta(days=200)
    as_of = median_latency(lambda: crm.sales.forecast(pipeline_id, as_of=past), max(1, repeat // 2))
    print(f"{label} forecast as of {past:%Y-%m-%d}: {as_of:.2f} s, live {ours:.2f} s", flush=True)
    report(f"forecast as of a past moment / live forecast ({label})", as_of / ours, "reported")


def load_postgres(url: str, pipeline: UUID, customers: list[UUID], deals: int, changes: int) -> int:
    """Write the deals and their history with psycopg's COPY; return how many history rows."""
    import psycopg

    deal_columns = [c.name for c in opportunities.columns]
    change_columns = [c.name for c in opportunity_changes.columns]
    copy_deals = f"COPY {opportunities.name} ({', '.join(deal_columns)}) FROM STDIN"
    copy_changes = f"COPY {opportunity_changes.name} ({', '.join(change_columns)}) FROM STDIN"
    count = 0
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        cursor = connection.cursor()
        batch_deals: list[list[Any]] = []
        batch_changes: list[list[Any]] = []

        def flush() -> None:
            with cursor.copy(copy_deals) as copy:
                for values in batch_deals:
                    copy.write_row(values)
            with cursor.copy(copy_changes) as copy:
                for values in batch_changes:
                    copy.write_row(values)

        for row, history in deal_rows(pipeline, customers, deals, changes):
            batch_deals.append([row[c] for c in deal_columns])
            batch_changes.extend([h[c] for c in change_columns] for h in history)
            if len(batch_deals) >= 50_000:
                flush()
                count += len(batch_changes)
                batch_deals, batch_changes = [], []
        flush()
        count += len(batch_changes)
        connection.commit()
        connection.execute(f"ANALYZE {opportunities.name}")
        connection.execute(f"ANALYZE {opportunity_changes.name}")
    return count


def postgres(url: str, args: argparse.Namespace) -> None:
    """Load the same book into PostgreSQL (replacing relcore's tables there) and measure there."""
    import psycopg

    from relcore.storage.sql.testing import create_test_engine, wipe

    engine = create_test_engine(url)
    with CRM.open(engine) as crm:
        wipe(engine)
        customers = [crm.customers.add(Customer.organization(f"Org {i}")).id for i in range(200)]
        pipeline = crm.sales.add_pipeline(Pipeline.of("Direct", STAGES, currency="EUR"))
    rows = load_postgres(url, pipeline.id, customers, args.deals, args.changes)
    print(f"PostgreSQL: {args.deals} deals, {rows} history rows", flush=True)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as raw:

        def run(query: str) -> list[tuple[Any, ...]]:
            sql = query.format(month="to_char(close_date, 'YYYY-MM')", param="%s")
            return raw.execute(sql, (pipeline.id,)).fetchall()

        with CRM.open(engine, clock=lambda: AS_OF) as crm:
            measure(crm, run, pipeline.id, "PostgreSQL", args.repeat)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--postgres", help="also measure on this PostgreSQL URL (its relcore tables are replaced)"
    )
    parser.add_argument("--no-sqlite", action="store_true", help="measure on PostgreSQL only")
    args = parser.parse_args()
    if not args.no_sqlite:
        sqlite(args)
    if args.postgres:
        postgres(args.postgres, args)


def sqlite(args: argparse.Namespace) -> None:
    """Load the book into a temporary SQLite file and measure there."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "forecast.db"
        with CRM.open(path) as crm:
            customers = [crm.customers.add(Customer.organization(f"Org {i}")).id for i in range(200)]
            pipeline = crm.sales.add_pipeline(Pipeline.of("Direct", STAGES, currency="EUR"))
        rows = load_sqlite(path, pipeline.id, customers, args.deals, args.changes)
        print(f"SQLite: {args.deals} deals, {rows} history rows", flush=True)
        raw = sqlite3.connect(path)

        def run_sqlite(query: str) -> list[tuple[Any, ...]]:
            sql = query.format(month="substr(close_date, 1, 7)", param="?")
            return raw.execute(sql, (pipeline.id.hex,)).fetchall()

        with CRM.open(path, clock=lambda: AS_OF) as crm:
            measure(crm, run_sqlite, pipeline.id, "SQLite", args.repeat)
        raw.close()


if __name__ == "__main__":
    main()
