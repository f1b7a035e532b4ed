"""Campaign results: ``crm.campaigns.results`` vs a hand-written SQL query counting the same funnel.

The store holds one campaign with ``--members`` members (default 100,000) in
two variants and a 10 % control group, about four campaign touchpoints per
member that was sent something (send, delivery or bounce, opens, clicks,
replies, a few unsubscribes) and an order for one customer in ten, loaded
through relcore's bulk paths; loading is not what is measured.

* ``crm.campaigns.results(campaign_id, as_of=...)`` (one statement: the
  touchpoints coded by the response mapping, grouped per customer, joined to
  the members and grouped by variant, the orders checked by ``EXISTS``; then
  the rates, the winner and the uplift in Python) is timed against one
  hand-written statement on plain ``sqlite3`` (or psycopg) computing, per
  variant, the members, the same funnel counts (sent, delivered, opened,
  clicked, responded) from the highest status each member reached, and the
  conversions (target: at most 1.5 times its time). Both must give the same
  counts.
* The same ``results`` call is then timed again after dropping the index on
  the touchpoints' ``campaign_id`` (reported: with the index / without it).
  The table also holds ``--other`` touchpoints per customer that name no
  campaign (default 10: web visits and messages), as a real one does.

Run: ``python benchmarks/bench_campaign_results.py [--members 100000] [--other 10] [--postgres URL]
[--no-sqlite]``.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import median_latency, report
from relcore import CRM, Customer, Touchpoint, Transaction
from relcore.marketing import Campaign, CampaignMember, CampaignResults, Variant

T0 = datetime(2026, 4, 1, 9, tzinfo=UTC)
AS_OF = T0 + timedelta(days=14)
VARIANTS = [
    Variant(key="a", share="0.45"),
    Variant(key="b", share="0.45"),
    Variant(key="hold", share="0.1", control=True),
]

HAND = """
WITH coded AS (
  SELECT customer_id,
         CASE WHEN outcome = 'unsubscribed' THEN 8 WHEN outcome = 'bounced' THEN 7
              WHEN outcome = 'delivered' THEN 2 WHEN kind = 'click' THEN 4 WHEN kind = 'open' THEN 3
              WHEN kind = 'message' AND direction = 'inbound' THEN 5
              WHEN kind = 'message' AND direction = 'outbound' THEN 1 END AS code
  FROM relcore_touchpoints WHERE campaign_id = {c} AND occurred_at <= {t}
), top AS (
  SELECT customer_id, MAX(CASE WHEN code <= 6 THEN code END) AS top FROM coded GROUP BY customer_id
)
SELECT m.variant, m.excluded IS NOT NULL, COUNT(*),
       SUM(CASE WHEN t.top >= 1 THEN 1 ELSE 0 END), SUM(CASE WHEN t.top >= 2 THEN 1 ELSE 0 END),
       SUM(CASE WHEN t.top >= 3 THEN 1 ELSE 0 END), SUM(CASE WHEN t.top >= 4 THEN 1 ELSE 0 END),
       SUM(CASE WHEN t.top >= 5 THEN 1 ELSE 0 END),
       SUM(CASE WHEN EXISTS (SELECT 1 FROM relcore_transactions o WHERE o.customer_id = m.customer_id
                             AND o.kind = 'order' AND o.occurred_at > m.added_at AND o.occurred_at <= {t})
                THEN 1 ELSE 0 END)
FROM relcore_campaign_members m LEFT JOIN top t ON t.customer_id = m.customer_id
WHERE m.campaign_id = {c} AND m.added_at <= {t} AND (m.excluded IS NULL OR m.excluded = 'control_group')
GROUP BY m.variant, m.excluded IS NOT NULL
"""


def load(crm: CRM, members: int, other: int, seed: int = 7) -> Campaign:
    """One campaign, its members, their touchpoints, other traffic and some orders, through the bulk paths."""
    rng = random.Random(seed)
    campaign = crm.campaigns.add(Campaign(name="Bench", channel="email", created_at=T0, variants=VARIANTS))
    people = [Customer.person(f"P{i}", created_at=T0) for i in range(members)]
    groups = rng.choices(["a", "b", "hold"], [45, 45, 10], k=members)
    with crm.unit_of_work() as uow:
        uow.customers.add_many(people)
        uow.campaign_members.add_many(
            CampaignMember(
                campaign_id=campaign.id,
                customer_id=p.id,
                variant=g,
                status=None if g == "hold" else "targeted",
                excluded="control_group" if g == "hold" else None,
                added_at=T0,
            )
            for p, g in zip(people, groups, strict=True)
        )
        uow.commit()

    def touches() -> Any:
        for p, g in zip(people, groups, strict=True):
            if g == "hold":
                continue
            at = T0 + timedelta(minutes=rng.randrange(60 * 24 * 20))

            def tp(
                kind: str,
                direction: str,
                minutes: int,
                outcome: str | None = None,
                who: Any = p,
                at: Any = at,
            ) -> Touchpoint:
                return Touchpoint(
                    customer_id=who.id,
                    campaign_id=campaign.id,
                    channel="email",
                    kind=kind,
                    direction=direction,
                    outcome=outcome,
                    occurred_at=at + timedelta(minutes=minutes),
                )

            yield tp("message", "outbound", 0)
            if rng.random() < 0.03:
                yield tp("message", "outbound", 1, "bounced")
                continue
            yield tp("message", "outbound", 1, "delivered")
            if rng.random() < (0.35 if g == "a" else 0.3):
                yield tp("open", "inbound", 30)
                if rng.random() < 0.3:
                    yield tp("click", "inbound", 31)
                    if rng.random() < 0.2:
                        yield tp("message", "inbound", 90)
                if rng.random() < 0.02:
                    yield tp("click", "inbound", 95, "unsubscribed")

    def orders() -> Any:
        for p in people:
            if rng.random() < 0.1:
                yield Transaction(
                    customer_id=p.id,
                    amount="25.00",
                    currency="EUR",
                    occurred_at=T0 + timedelta(minutes=rng.randrange(-60 * 24 * 5, 60 * 24 * 20)),
                )

    def traffic() -> Any:
        for p in people:
            for _ in range(other):
                yield Touchpoint(
                    customer_id=p.id,
                    channel=rng.choice(["web", "email"]),
                    kind="web_visit" if rng.random() < 0.7 else "message",
                    direction="inbound",
                    occurred_at=T0 + timedelta(minutes=rng.randrange(-60 * 24 * 60, 60 * 24 * 20)),
                )

    crm.activity.import_touchpoints(touches())
    crm.activity.import_touchpoints(traffic())
    crm.activity.import_transactions(orders())
    return campaign


def _ours(results: CampaignResults) -> dict[tuple[str | None, bool], tuple[int, ...]]:
    found = {}
    for v in (*results.variants, *([results.control] if results.control else [])):
        found[(v.variant, v.control)] = (
            v.members,
            v.sent,
            v.delivered,
            v.opened,
            v.clicked,
            v.responded,
            v.converted,
        )
    return found


def _theirs(rows: list[tuple[Any, ...]]) -> dict[tuple[str | None, bool], tuple[int, ...]]:
    return {(r[0], bool(r[1])): tuple(int(n) for n in r[2:]) for r in rows}


def measure(
    crm: CRM,
    campaign: Campaign,
    run: Callable[[], list[tuple[Any, ...]]],
    drop_index: Callable[[], object],
    label: str,
    repeat: int,
) -> None:
    """Check that relcore and the hand-written query agree, time both, print the ratios."""

    def ours() -> CampaignResults:
        return crm.campaigns.results(campaign.id, as_of=AS_OF)

    assert _ours(ours()) == _theirs(run()), "the counts disagree"
    mine = median_latency(ours, repeat)
    theirs = median_latency(lambda: _theirs(run()), repeat)
    print(f"{label} campaign results: relcore {mine:.3f} s, hand-written {theirs:.3f} s", flush=True)
    report(f"campaign results {label} relcore/hand-written", mine / theirs, "<= 1.5")
    drop_index()
    unindexed = median_latency(ours, repeat)
    print(f"{label} campaign results without the campaign index: {unindexed:.3f} s", flush=True)
    report(f"campaign results {label} with/without the campaign index", mine / unindexed, "report")


def drop(raw: Any) -> Callable[[], object]:
    """Drop the index on the touchpoints' campaign id, on a connection that commits at once."""
    return lambda: raw.execute("DROP INDEX ix_relcore_touchpoints_campaign")


def sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "campaign.db"
        with CRM.open(path) as crm:
            campaign = load(crm, args.members, args.other)
        raw = sqlite3.connect(path, isolation_level=None)
        raw.execute("ANALYZE")
        moment = AS_OF.strftime("'%Y-%m-%d %H:%M:%S.%f'")
        sql = HAND.format(c=f"'{campaign.id.hex}'", t=moment)
        print(f"SQLite: {args.members} members", flush=True)
        with CRM.open(path) as crm:
            measure(crm, campaign, lambda: raw.execute(sql).fetchall(), drop(raw), "SQLite", args.repeat)
        raw.close()


def postgres(url: str, args: argparse.Namespace) -> None:
    import psycopg

    from relcore.storage.sql.testing import create_test_engine, wipe

    engine = create_test_engine(url)
    with CRM.open(engine) as crm:
        wipe(engine)
        campaign = load(crm, args.members, args.other)
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    sql = HAND.format(c=f"'{campaign.id}'", t=f"'{AS_OF.replace(tzinfo=None).isoformat(sep=' ')}'")
    print(f"PostgreSQL: {args.members} members", flush=True)
    with psycopg.connect(plain, autocommit=True) as raw, CRM.open(engine) as crm:
        raw.execute("ANALYZE")  # committed: relcore's connections plan with the same statistics
        run = lambda: raw.execute(sql).fetchall()  # noqa: E731
        measure(crm, campaign, run, drop(raw), "PostgreSQL", args.repeat)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--other", type=int, default=10, help="touchpoints without a campaign per customer")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.no_sqlite:
        sqlite(args)
    if args.postgres:
        postgres(args.postgres, args)


if __name__ == "__main__":
    main()
