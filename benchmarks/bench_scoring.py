"""Scoring-plan refresh: scores computed in the database vs a hand-written statement computing the same.

The store holds relcore's synthetic shop (default 20,000 customers with five
touchpoints each; ``--customers 1000000`` or ``RELCORE_BENCH_SCORING_CUSTOMERS``
for the issue's size). The plan has a fit group of three rules (stage, country,
a disqualifying tag), an engagement group counting e-mail opens and clicks in a
90-day window with caps, and an engagement group of web visits whose points
halve every 30 days, with a group limit and a plan limit.

* The scores as the store computes them (``uow.scores.compute``: one statement
  compiled from the plan, rows read back and summed into fit, engagement and
  total) are timed against a hand-written SQL statement computing the same
  group points, run on the raw driver (``sqlite3``; ``psycopg`` through
  SQLAlchemy's text for PostgreSQL). Target: at most 1.5 times its time.
  Both give the same numbers (checked).
* A whole ``crm.scoring.refresh`` (compute, compare labels with the stored
  scores, store every row) is reported.

Run: ``python benchmarks/bench_scoring.py [--customers 20000] [--postgres URL] [--skip-sqlite]``.
"""

from __future__ import annotations

import argparse
import math
import os
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from _common import add_customers, empty_server, median_latency, report, shop, timed
from relcore import CRM
from relcore.marketing import Decay, ScoringGroup, ScoringPlan, ScoringRule
from relcore.segments import field, touchpoints
from relcore.testing.synthetic import SyntheticShop

EURO = ("DE", "FR", "NL", "ES", "IT", "IE")

PLAN = ScoringPlan(
    name="Leads",
    groups=[
        ScoringGroup(
            name="profile",
            kind="fit",
            rules=[
                ScoringRule(name="customer", rule=field("stage").isin(["customer", "evangelist"]), points=30),
                ScoringRule(name="europe", rule=field("country").isin(EURO), points=10),
                ScoringRule(name="bargain hunter", rule=field("tags").has_tag("black-friday"), points=-20),
            ],
        ),
        ScoringGroup(
            name="recent",
            kind="engagement",
            window_days=90,
            rules=[
                ScoringRule(
                    name="opens",
                    rule=touchpoints(channel="email", kind="open"),
                    points=5,
                    per_event=True,
                    cap=30,
                ),
                ScoringRule(
                    name="clicks",
                    rule=touchpoints(channel="email", kind="click"),
                    points=10,
                    per_event=True,
                    cap=40,
                ),
            ],
        ),
        ScoringGroup(
            name="visits",
            kind="engagement",
            decay=Decay(factor=0.5, period_days=30),
            limit=40,
            rules=[
                ScoringRule(
                    name="web visits",
                    rule=touchpoints(channel="web", kind="web_visit"),
                    points=4,
                    per_event=True,
                )
            ],
        ),
    ],
    limit=100,
    thresholds=[(40, "MQL"), (70, "SQL")],
)

_EVENTS = """(SELECT {measure} FROM relcore_touchpoints AS p
      WHERE p.customer_id = c.id AND p.channel = '{channel}' AND p.kind = '{kind}'
        AND p.occurred_at <= :as_of{window})"""

HAND_WRITTEN = """
SELECT c.id,
  CASE WHEN c.stage IN ('customer', 'evangelist') THEN 30 ELSE 0 END
  + CASE WHEN c.country IN ('DE', 'FR', 'NL', 'ES', 'IT', 'IE') THEN 10 ELSE 0 END
  + CASE WHEN EXISTS (SELECT 1 FROM relcore_customer_tags AS t
                      WHERE t.customer_id = c.id AND t.tag = 'black-friday') THEN -20 ELSE 0 END,
  {least}(30, 5 * {opens}) + {least}(40, 10 * {clicks}),
  {least}(40, 4 * coalesce({visits}, 0))
FROM relcore_customers AS c
ORDER BY c.id
"""

_PERIOD_US = 30 * 86_400_000_000
_AGE = {
    "sqlite": (
        ":as_of_us - (CAST(strftime('%s', p.occurred_at) AS INTEGER) * 1000000"
        " + CAST(substr(p.occurred_at, 21, 6) AS INTEGER))"
    ),
    "postgresql": "CAST(round(extract(epoch FROM (:as_of - p.occurred_at)) * 1000000) AS BIGINT)",
}


def hand_written(dialect: str) -> str:
    """The hand-written statement for ``"sqlite"`` or ``"postgresql"``."""
    window = " AND p.occurred_at >= :start_90"
    weight = f"power(0.5, ({_AGE[dialect]}) / {_PERIOD_US})"
    if dialect == "postgresql":
        periods = f"CAST(({_AGE[dialect]}) / {_PERIOD_US} AS DOUBLE PRECISION)"
        weight = f"power(CAST(0.5 AS DOUBLE PRECISION), {periods})"
    return HAND_WRITTEN.format(
        least="min" if dialect == "sqlite" else "least",
        opens=_EVENTS.format(measure="count(*)", channel="email", kind="open", window=window),
        clicks=_EVENTS.format(measure="count(*)", channel="email", kind="click", window=window),
        visits=_EVENTS.format(measure=f"sum({weight})", channel="web", kind="web_visit", window=""),
    )


def params(as_of: datetime, dialect: str) -> dict[str, Any]:
    moments = {"as_of": as_of, "start_90": as_of - timedelta(days=90)}
    if dialect == "sqlite":  # SQLAlchemy's SQLite storage format for naive UTC datetimes
        found: dict[str, Any] = {
            k: v.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") for k, v in moments.items()
        }
        found["as_of_us"] = (as_of - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        return found
    return {k: v.replace(tzinfo=None) for k, v in moments.items()}


def build(crm: CRM, data: SyntheticShop) -> None:
    seconds = timed(lambda: add_customers(crm, data))
    print(f"added {data.customers:,} customers with contacts in {seconds:.1f} s", flush=True)
    with crm.unit_of_work() as uow:
        seconds = timed(lambda: uow.touchpoints.add_many(data.touchpoints()))
        print(f"ingested {uow.touchpoints.count():,} touchpoints in {seconds:.1f} s", flush=True)
        uow.commit()
    crm.scoring.define(PLAN)


def pushed(crm: CRM, as_of: datetime) -> list[tuple[Any, ...]]:
    with crm.unit_of_work(read_only=True) as uow:
        return list(uow.scores.compute(PLAN, as_of))


def same(ours: list[tuple[Any, ...]], theirs: list[tuple[Any, ...]]) -> None:
    """Our (id, fit, engagement, total) rows against the hand-written (id, g0, g1, g2) rows."""
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    for (cid, fit, engagement, total), (hid, g0, g1, g2) in zip(ours, theirs, strict=True):
        assert cid == hid
        assert fit == float(g0)
        assert math.isclose(engagement, float(g1) + float(g2), rel_tol=1e-12)
        assert math.isclose(total, min(float(g0) + float(g1) + float(g2), 100.0), rel_tol=1e-12)


def compare(crm: CRM, baseline: Any, as_of: datetime, repeat: int, label: str) -> float:
    same(pushed(crm, as_of), baseline())
    hand = median_latency(baseline, repeat)
    ours = median_latency(lambda: pushed(crm, as_of), repeat)
    print(f"{label}: median hand-written {hand * 1e3:.1f} ms, scores.compute {ours * 1e3:.1f} ms", flush=True)
    refresh = timed(lambda: crm.scoring.refresh("Leads", as_of=as_of))
    print(f"{label}: crm.scoring.refresh (compute, compare, store) {refresh:.2f} s", flush=True)
    return ours / hand


def on_sqlite(data: SyntheticShop, as_of: datetime, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scoring.db"
        with CRM.open(path) as crm:
            build(crm, data)
        raw = sqlite3.connect(path)
        statement, values = hand_written("sqlite"), params(as_of, "sqlite")

        def sqlite_baseline() -> list[tuple[Any, ...]]:
            return [(UUID(row[0]), *row[1:]) for row in raw.execute(statement, values)]

        with CRM.open(path) as crm:
            ratio = compare(crm, sqlite_baseline, as_of, repeat, "SQLite")
            report("scoring compute pushed-down/hand-written (SQLite)", ratio, "<= 1.5")
        raw.close()


def on_postgres(url: str, data: SyntheticShop, as_of: datetime, repeat: int) -> None:
    engine = empty_server(url)
    with CRM.open(engine) as crm:
        build(crm, data)
        with engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
        text, pg_values = sa.text(hand_written("postgresql")), params(as_of, "postgresql")

        def postgres_baseline() -> list[tuple[Any, ...]]:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(text, pg_values)]

        ratio = compare(crm, postgres_baseline, as_of, repeat, "PostgreSQL")
        report("scoring compute pushed-down/hand-written (PostgreSQL)", ratio, "<= 1.5")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = int(os.environ.get("RELCORE_BENCH_SCORING_CUSTOMERS", "20000"))
    parser.add_argument("--customers", type=int, default=default)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--postgres", help="also measure on this PostgreSQL URL (its relcore tables are replaced)"
    )
    parser.add_argument("--skip-sqlite", action="store_true", help="measure on PostgreSQL only")
    args = parser.parse_args()
    data = shop(args.customers, 5.0)
    if not args.skip_sqlite:
        on_sqlite(data, data.end, args.repeat)
    if args.postgres:
        on_postgres(args.postgres, data, data.end, args.repeat)


if __name__ == "__main__":
    main()
