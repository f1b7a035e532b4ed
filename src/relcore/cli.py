"""The ``relcore`` command line.

``relcore demo`` builds a synthetic shop CRM in a SQLite file and prints what
is in it: the quickest way to see relcore work on realistic data.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from relcore import CRM, Customer
from relcore._progress import Progress
from relcore.domain import Channel, Touchpoint, Transaction, TransactionKind
from relcore.errors import RelcoreError
from relcore.testing.synthetic import SyntheticShop

__all__ = ["main", "run_demo"]

DEMO_PATH = "relcore-demo.db"
DEMO_MARKER = ("relcore-demo", "shop")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="relcore", description="relcore, an embeddable CRM library.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="build a synthetic shop CRM in SQLite and summarize it")
    demo.add_argument("--path", default=DEMO_PATH, help=f"SQLite file to build (default: {DEMO_PATH})")
    demo.add_argument("--customers", type=_positive, default=5000, help="number of customers (default 5000)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--no-progress", action="store_true", help="do not draw progress on stderr")
    args = parser.parse_args(argv)
    try:
        return run_demo(
            Path(args.path),
            customers=args.customers,
            seed=args.seed,
            progress=Progress(enabled=False) if args.no_progress else Progress(),
        )
    except RelcoreError as error:
        print(f"relcore: {error}", file=sys.stderr)
        return 1


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run_demo(path: Path, *, customers: int, seed: int, progress: Progress, out: TextIO | None = None) -> int:
    """Build the demo store at ``path`` and print its summary to ``out``."""
    out = out if out is not None else sys.stdout
    if path.exists() and not _is_demo(path):
        print(f"relcore: {path} exists and is not a relcore demo; choose another --path", file=sys.stderr)
        return 1
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shop = SyntheticShop(customers=customers, seed=seed)
    with CRM.open(path) as crm:
        tallies = _build(crm, shop, progress)
        _summarize(crm, shop, tallies, out)
    print(f"\nThe demo CRM is in {path}; open it with relcore.CRM.open({str(path)!r}).", file=out)
    return 0


def _is_demo(path: Path) -> bool:
    try:
        with CRM.open(path, upgrade=False) as crm:
            return crm.find_customer(*DEMO_MARKER) is not None
    except RelcoreError:
        return False


class _Tallies:
    def __init__(self) -> None:
        self.stages: Counter[str] = Counter()
        self.types: Counter[str] = Counter()
        self.channels: Counter[str] = Counter()
        self.revenue: Counter[str] = Counter()
        self.contacts = 0
        self.consents = 0
        self.richest: tuple[int, Customer | None] = (0, None)


def _build(crm: CRM, shop: SyntheticShop, progress: Progress) -> _Tallies:
    tallies = _Tallies()
    marker = Customer.organization(
        "relcore demo marker", relationship="other", identities=[DEMO_MARKER], created_at=shop.start
    )
    crm.add_customer(marker)
    with crm.unit_of_work() as uow:
        for customer, contacts in progress.track(shop.customers_with_contacts(), "customers", shop.customers):
            uow.customers.add(customer)
            for contact in contacts:
                uow.contacts.add(contact)
            tallies.stages[customer.stage.value] += 1
            tallies.types[customer.type.value] += 1
            tallies.contacts += len(contacts)
        for record in progress.track(shop.consents(), "consents"):
            uow.consents.add(record)
            tallies.consents += 1
        uow.commit()

    per_customer: Counter[object] = Counter()

    def counted(items: object) -> object:
        for item in items:  # type: ignore[attr-defined]
            if isinstance(item, Touchpoint):
                tallies.channels[item.channel.value] += 1
            elif isinstance(item, Transaction):
                sign = -1 if item.kind is TransactionKind.REFUND else 1
                tallies.revenue[item.currency] += sign * item.minor_units
            per_customer[item.customer_id] += 1
            yield item

    crm.import_touchpoints(counted(progress.track(shop.touchpoints(), "touchpoints")))  # type: ignore[arg-type]
    crm.import_transactions(counted(progress.track(shop.transactions(), "transactions")))  # type: ignore[arg-type]
    if per_customer:
        busiest, count = per_customer.most_common(1)[0]
        tallies.richest = (count, crm.get_customer(busiest))  # type: ignore[arg-type]
    return tallies


def _table(out: TextIO, title: str, counts: Counter[str]) -> None:
    total = sum(counts.values()) or 1
    print(f"\n{title}", file=out)
    for name, count in counts.most_common():
        print(f"  {name:<14} {count:>9,}  {100 * count / total:5.1f} %", file=out)


def _summarize(crm: CRM, shop: SyntheticShop, tallies: _Tallies, out: TextIO) -> None:
    with crm.unit_of_work() as uow:
        stored = (uow.customers.count() - 1, uow.touchpoints.count(), uow.transactions.count())
    print("relcore demo: a synthetic shop", file=out)
    print(
        f"  customers {stored[0]:,} (with {tallies.contacts:,} contacts), touchpoints {stored[1]:,}, "
        f"transactions {stored[2]:,}, consent records {tallies.consents:,}",
        file=out,
    )
    if stored[:2] != (shop.customers, sum(tallies.channels.values())):
        raise RelcoreError(f"the store holds {stored}, not what the demo ingested")
    _table(out, "Customers by stage", tallies.stages)
    _table(out, "Customers by type", tallies.types)
    _table(out, "Touchpoints by channel", tallies.channels)
    print("\nRevenue (orders less refunds)", file=out)
    for currency, units in sorted(tallies.revenue.items()):
        amount = Decimal(units).scaleb(-({"JPY": 0}.get(currency, 2)))
        print(f"  {currency}  {amount:>16,}", file=out)
    _consent_coverage(crm, shop, out)
    _sample_timeline(tallies, crm, out)


def _consent_coverage(crm: CRM, shop: SyntheticShop, out: TextIO) -> None:
    reachable: Counter[str] = Counter()
    with crm.unit_of_work() as uow:
        for profile in shop.profiles():
            for channel in (Channel.EMAIL, Channel.SMS):
                if uow.consents.may_contact(profile.id, "marketing", channel, shop.end):
                    reachable[channel.value] += 1
    print(f"\nConsent coverage for marketing at {shop.end:%Y-%m-%d}", file=out)
    for name in ("email", "sms"):
        share = 100 * reachable[name] / max(shop.customers, 1)
        print(f"  may contact by {name:<6} {reachable[name]:>7,} customers  {share:5.1f} %", file=out)


def _sample_timeline(tallies: _Tallies, crm: CRM, out: TextIO) -> None:
    count, customer = tallies.richest
    if customer is None:
        return
    print(
        f"\nTimeline of {customer.name} ({customer.type.value}, {customer.stage.value}), "
        f"latest 10 of {count}",
        file=out,
    )
    for entry in crm.timeline(customer.id, limit=10):
        when = entry.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        if isinstance(entry, Transaction):
            what = f"{entry.kind.value:<9} {entry.amount:>10} {entry.currency}"
            where = entry.channel.value if entry.channel else "-"
        else:
            what = f"{entry.kind.value:<9} {entry.direction.value:<8} {entry.subject or ''}"
            where = entry.channel.value
        print(f"  {when}  {where:<11} {what}", file=out)
