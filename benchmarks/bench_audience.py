"""Benchmark: a campaign's consent-safe audience, pushed down, against hand-written SQL and the public API.

A rule (``tags has tag "news"``, about half the customers) over N customers,
each with a contact and e-mail points, a consent ledger, some recent marketing
sends, and a suppression list of addresses, domains and customers. Three ways
to find whom the campaign may reach at ``as_of``:

* pushed down: the audience query ``build_audience`` runs (every customer the
  rule holds, kept or left out with its reason), streamed;
* hand-written: one SQL statement (CTEs and window functions) giving the kept
  customers and their addresses only — the baseline of the ratio;
* the public API: the rule's members, then per customer the consent ledger,
  contacts and touchpoints read through ``crm.*`` and judged in Python; timed
  on a sample of customers and scaled up.

Both SQL answers are checked equal before anything is timed. Then the full
``build_audience`` (storing every considered customer) is timed once.

Usage: ``python benchmarks/bench_audience.py [--customers 1000000] [--postgres URL]``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from _common import empty_server, median_latency, report
from relcore import CRM
from relcore.activity.model import Direction, Touchpoint
from relcore.consent.model import may_contact
from relcore.ids import CampaignId
from relcore.marketing import Campaign, FrequencyCap, Variant
from relcore.segments import parse
from relcore.storage.sql import configure_sqlite
from relcore.storage.sql.schema import (
    consents,
    contact_points,
    contacts,
    customer_tags,
    customers,
    suppressions,
    touchpoints,
)
from relcore.storage.sql.types import UTCDateTime

AS_OF = datetime(2026, 6, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
RULE = parse('tags has tag "news"')
CAP = FrequencyCap(count=2, window=7 * DAY)
CAMPAIGN_ID = CampaignId(UUID("0192f6a8-3e1c-7c4e-9b7a-2f1d3c4b5a69"))
OTHER_CAMPAIGN = UUID("0192f6a8-3e1c-7c4e-9b7a-2f1d3c4b5a70")
SUPPRESSED_DOMAINS = ("blocked.example", "spamtrap.example")
CHUNK = 50_000


def campaign() -> Campaign:
    return Campaign(
        id=CAMPAIGN_ID,
        name="Benchmark",
        channel="email",
        variants=(
            Variant(key="a", share=Decimal("0.45")),
            Variant(key="b", share=Decimal("0.45")),
            Variant(key="holdout", share=Decimal("0.1"), control=True),
        ),
        frequency_cap=CAP,
        created_at=AS_OF - 30 * DAY,
    )


def rows(n: int) -> dict[str, Iterator[dict[str, Any]]]:
    """The data set's rows per table, generated from one seeded random stream per table."""
    born = AS_OF - 400 * DAY
    draw = random.Random(7)
    ids = sorted(UUID(int=draw.getrandbits(128)) for _ in range(n))
    contact_ids = [UUID(int=draw.getrandbits(128)) for _ in range(n)]

    def address(i: int, rng: random.Random) -> str:
        if rng.random() < 0.02:  # shared with a neighbour: one of the two is a duplicate
            i = i - i % 2
        domain = SUPPRESSED_DOMAINS[i % 2] if rng.random() < 0.01 else f"mail{i % 50}.example"
        return f"user{i}@{domain}"

    def people() -> Iterator[dict[str, Any]]:
        for customer_id in ids:
            yield {
                "id": customer_id,
                "type": "person",
                "name": "Someone",
                "stage": "customer",
                "attributes": {},
                "country": None,
                "created_at": born,
                "updated_at": born,
                "version": 1,
            }

    def tags() -> Iterator[dict[str, Any]]:
        rng = random.Random(1)
        for customer_id in ids:
            if rng.random() < 0.5:
                yield {"customer_id": customer_id, "tag": "news"}

    def people_contacts() -> Iterator[dict[str, Any]]:
        for contact_id, customer_id in zip(contact_ids, ids, strict=True):
            yield {
                "id": contact_id,
                "customer_id": customer_id,
                "name": "Someone",
                "role": "self",
                "preferred_channel": None,
                "language": None,
                "time_zone": None,
                "created_at": born,
                "updated_at": born,
                "version": 1,
            }

    def points() -> Iterator[dict[str, Any]]:
        rng = random.Random(2)
        for i in range(len(ids)):
            if rng.random() < 0.05:
                continue  # no e-mail at all
            count = 2 if rng.random() < 0.1 else 1
            for position in range(count):
                value = address(i, rng) if position == 0 else f"other{i}@mail{i % 50}.example"
                yield {
                    "contact_id": contact_ids[i],
                    "position": position,
                    "kind": "email",
                    "value": value,
                    "lookup_key": value.casefold(),
                    "is_primary": position == 0,
                    "is_verified": rng.random() < 0.7,
                    "label": None,
                    "address": None,
                }

    def ledger() -> Iterator[dict[str, Any]]:
        rng = random.Random(3)
        for customer_id in ids:
            if rng.random() < 0.05:
                continue
            granted = AS_OF - rng.randrange(1, 300) * DAY
            yield _consent(customer_id, "granted", granted, rng)
            if rng.random() < 0.1:
                yield _consent(customer_id, "withdrawn", granted + DAY, rng)

    def sends() -> Iterator[dict[str, Any]]:
        rng = random.Random(4)
        for customer_id in ids:
            if rng.random() < 0.3:
                for _ in range(rng.randrange(1, 4)):
                    yield _send(customer_id, AS_OF - timedelta(hours=rng.randrange(1, 240)), rng)

    def suppressed() -> Iterator[dict[str, Any]]:
        rng = random.Random(5)
        made = AS_OF - 10 * DAY
        for domain in SUPPRESSED_DOMAINS:
            yield _suppression("domain", domain, made, rng)
        for i, customer_id in enumerate(ids):
            draw = rng.random()
            if draw < 0.005:
                yield _suppression("customer", str(customer_id), made, rng)
            elif draw < 0.015:
                yield _suppression("address", f"user{i}@mail{i % 50}.example", made, rng)

    return {
        "customers": people(),
        "customer_tags": tags(),
        "contacts": people_contacts(),
        "contact_points": points(),
        "consents": ledger(),
        "touchpoints": sends(),
        "suppressions": suppressed(),
    }


def _consent(customer_id: UUID, status: str, at: datetime, rng: random.Random) -> dict[str, Any]:
    return {
        "id": UUID(int=rng.getrandbits(128)),
        "customer_id": customer_id,
        "purpose": "marketing",
        "channel": "email" if rng.random() < 0.7 else None,
        "status": status,
        "recorded_at": at,
        "expires_at": None,
        "source": "signup-form",
        "notice_version": None,
    }


def _send(customer_id: UUID, at: datetime, rng: random.Random) -> dict[str, Any]:
    return {
        "id": UUID(int=rng.getrandbits(128)),
        "customer_id": customer_id,
        "contact_id": None,
        "channel": "email",
        "direction": "outbound",
        "kind": "message",
        "occurred_at": at,
        "subject": None,
        "outcome": None,
        "sentiment": None,
        "campaign_id": OTHER_CAMPAIGN if rng.random() < 0.8 else None,  # some are transactional
        "case_id": None,
        "opportunity_id": None,
        "payload": {},
        "source": "bench",
        "external_id": None,
        "recorded_at": at,
    }


def _suppression(kind: str, value: str, at: datetime, rng: random.Random) -> dict[str, Any]:
    return {
        "id": UUID(int=rng.getrandbits(128)),
        "kind": kind,
        "value": value,
        "reason": "benchmark",
        "expires_at": None,
        "created_at": at,
    }


TABLES = {
    "customers": customers,
    "customer_tags": customer_tags,
    "contacts": contacts,
    "contact_points": contact_points,
    "consents": consents,
    "touchpoints": touchpoints,
    "suppressions": suppressions,
}


def fill(engine: sa.Engine, n: int) -> None:
    """Store the data set, table by table, in chunks of raw inserts."""
    start = time.perf_counter()
    for name, produced in rows(n).items():
        table = TABLES[name]
        chunk: list[dict[str, Any]] = []
        with engine.begin() as connection:
            for row in produced:
                chunk.append(row)
                if len(chunk) == CHUNK:
                    connection.execute(table.insert(), chunk)
                    chunk = []
            if chunk:
                connection.execute(table.insert(), chunk)
    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))
    print(f"stored {n:,} customers and their data in {time.perf_counter() - start:.0f} s", flush=True)


def hand_written(family: str) -> sa.TextualSelect:
    """The kept customers and their addresses, by a hand-written statement."""
    if family == "postgresql":
        id_text = "CAST(c.id AS TEXT)"
        domain = "substr(p.lookup_key, strpos(p.lookup_key, '@') + 1)"
    else:
        hex_id = "lower(replace(CAST(c.id AS TEXT), '-', ''))"
        id_text = (
            f"substr({hex_id}, 1, 8) || '-' || substr({hex_id}, 9, 4) || '-' || substr({hex_id}, 13, 4)"
            f" || '-' || substr({hex_id}, 17, 4) || '-' || substr({hex_id}, 21, 12)"
        )
        domain = "substr(p.lookup_key, instr(p.lookup_key, '@') + 1)"
    sql = f"""
    WITH deciding AS (
        SELECT customer_id, status, expires_at,
               ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY recorded_at DESC, id DESC) AS rn
        FROM relcore_consents
        WHERE purpose = 'marketing' AND (channel = 'email' OR channel IS NULL) AND recorded_at <= :as_of
    ),
    live AS (
        SELECT kind, value FROM relcore_suppressions
        WHERE created_at <= :as_of AND (expires_at IS NULL OR expires_at > :as_of)
    ),
    capped AS (
        SELECT customer_id FROM relcore_touchpoints
        WHERE direction = 'outbound' AND campaign_id IS NOT NULL AND channel = 'email'
          AND occurred_at > :window_start AND occurred_at <= :as_of
        GROUP BY customer_id HAVING COUNT(*) >= :cap
    ),
    points AS (
        SELECT k.customer_id, p.value, p.lookup_key,
               ROW_NUMBER() OVER (PARTITION BY k.customer_id
                   ORDER BY p.is_primary DESC, p.is_verified DESC, p.contact_id, p.position) AS rn
        FROM relcore_contact_points p JOIN relcore_contacts k ON k.id = p.contact_id
        WHERE p.kind = 'email'
          AND p.lookup_key NOT IN (SELECT value FROM live WHERE kind = 'address')
          AND {domain} NOT IN (SELECT value FROM live WHERE kind = 'domain')
    ),
    eligible AS (
        SELECT c.id, pt.value, pt.lookup_key
        FROM relcore_customers c
        JOIN relcore_customer_tags t ON t.customer_id = c.id AND t.tag = 'news'
        JOIN deciding d ON d.customer_id = c.id AND d.rn = 1 AND d.status = 'granted'
                        AND (d.expires_at IS NULL OR d.expires_at > :as_of)
        JOIN points pt ON pt.customer_id = c.id AND pt.rn = 1
        WHERE c.id NOT IN (SELECT customer_id FROM capped)
          AND {id_text} NOT IN (SELECT value FROM live WHERE kind = 'customer')
    )
    SELECT id, value FROM (
        SELECT id, value, ROW_NUMBER() OVER (PARTITION BY lookup_key ORDER BY id) AS rn FROM eligible
    ) ranked WHERE rn = 1 ORDER BY id
    """
    return (
        sa.text(sql)
        .bindparams(
            sa.bindparam("as_of", AS_OF, type_=UTCDateTime),
            sa.bindparam("window_start", AS_OF - CAP.window, type_=UTCDateTime),
            sa.bindparam("cap", CAP.count),
        )
        .columns(sa.column("id", sa.Uuid), sa.column("value", sa.String))
    )


def pushed_down(crm: CRM) -> list[tuple[UUID, str | None]]:
    with crm.unit_of_work(read_only=True) as uow:
        return [
            (c.customer_id, c.address)
            for c in uow.campaign_audiences.candidates(campaign(), RULE, AS_OF)
            if c.exclusion is None
        ]


def through_the_api(crm: CRM, sample: int) -> tuple[int, float]:
    """Judge the first ``sample`` members of the rule through the public API; return (judged, seconds)."""
    start = time.perf_counter()
    live = crm.campaigns.suppressions(at=AS_OF)
    blocked = {(s.kind.value, s.value) for s in live}
    judged = 0
    for customer_id in crm.segments.members(RULE, AS_OF):
        if judged == sample:
            break
        judged += 1
        if not may_contact(crm.consent.history(customer_id), "marketing", "email", AS_OF):
            continue
        if ("customer", str(customer_id)) in blocked:
            continue
        window = crm.activity.timeline(
            customer_id, channels=["email"], since=AS_OF - CAP.window, until=AS_OF + timedelta(microseconds=1)
        )
        recent = [
            t
            for t in window
            if isinstance(t, Touchpoint) and t.direction is Direction.OUTBOUND and t.campaign_id is not None
        ]
        if len(recent) >= CAP.count:
            continue
        _ = [p for c in crm.customers.contacts(customer_id) for p in c.points if p.kind.value == "email"]
    return judged, time.perf_counter() - start


def measure(crm: CRM, engine: sa.Engine, label: str, repeat: int, api_sample: int) -> None:
    statement = hand_written(engine.dialect.name)

    def baseline() -> list[tuple[UUID, str | None]]:
        with engine.connect() as connection:
            return [(row[0], row[1]) for row in connection.execute(statement)]

    ours, theirs = pushed_down(crm), baseline()
    if ours != theirs:
        raise SystemExit(f"{label}: the pushed-down audience differs from the hand-written one")
    print(f"{label}: {len(ours):,} customers kept", flush=True)
    hand = median_latency(baseline, repeat)
    pushed = median_latency(lambda: pushed_down(crm), repeat)
    print(f"{label}: pushed down {pushed:.2f} s, hand-written {hand:.2f} s", flush=True)
    report(f"audience pushed-down/hand-written ({label})", pushed / hand, "<= 1.5")
    if api_sample:
        judged, seconds = through_the_api(crm, api_sample)
        members = sum(1 for _ in crm.segments.members(RULE, AS_OF))
        scaled = seconds / judged * members
        print(
            f"{label}: public API {seconds:.1f} s for {judged:,} customers, ~{scaled:.0f} s for all",
            flush=True,
        )
        report(f"audience pushed-down/public API, scaled from a sample ({label})", pushed / scaled, "report")
    crm.campaigns.add(campaign())
    start = time.perf_counter()
    built = crm.campaigns.build_audience(CAMPAIGN_ID, RULE, as_of=AS_OF)
    seconds = time.perf_counter() - start
    reasons = ", ".join(f"{k.value} {v:,}" for k, v in built.excluded.items())
    print(
        f"{label}: build_audience stored {built.added:,} ({built.members:,} members; {reasons})", flush=True
    )
    report(f"audience build_audience/query ({label})", seconds / pushed, "report: storing every customer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--api-sample", type=int, default=2_000)
    parser.add_argument(
        "--postgres", help="also measure on this PostgreSQL URL (its relcore tables are replaced)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(f"sqlite:///{Path(tmp) / 'audience.db'}")
        configure_sqlite(engine)
        with CRM.open(engine) as crm:
            fill(engine, args.customers)
            measure(crm, engine, "SQLite", args.repeat, args.api_sample)
        engine.dispose()
    if args.postgres:
        engine = empty_server(args.postgres)
        with CRM.open(engine) as crm:
            fill(engine, args.customers)
            measure(crm, engine, "PostgreSQL", args.repeat, 0)
        engine.dispose()


if __name__ == "__main__":
    main()
