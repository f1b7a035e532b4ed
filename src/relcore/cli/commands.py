"""The ``relcore`` command line (also ``python -m relcore``).

``relcore demo`` builds the CRM of a synthetic shop in a SQLite file through
the public [`CRM`][relcore.crm.CRM] facade and prints what is in it: the
quickest way to see relcore work on realistic data. It only ever deletes a
file it made itself: an existing ``--path`` must be a relcore demo database
(a SQLite file in WAL mode whose first synthetic customer carries the demo's
mark), else the demo stops without touching it. With ``--keep`` an existing
demo database is summarized as it is instead of being rebuilt.
``relcore --version`` prints the installed version.

Exit status: 0 on success, 1 when relcore or the file system reports an
error (one line on standard error), 2 for bad arguments, 130 if interrupted.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import TextIO

import attrs

from relcore import CRM
from relcore.activity.model import Touchpoint, Transaction, TransactionKind
from relcore.cli._demo_marketing import build_marketing, report_marketing
from relcore.cli._demo_sales import report_sales
from relcore.cli._demo_segments import report_segments
from relcore.cli._demo_service import build_service, report_service
from relcore.cli._demo_value import report_value
from relcore.cli._progress import Progress
from relcore.consent.model import ConsentRecord, Purpose, may_contact
from relcore.consent.services import record_consent
from relcore.customers.contacts import Contact
from relcore.customers.model import Channel, Customer, Identity
from relcore.customers.services import add_customer
from relcore.errors import RelcoreError
from relcore.ids import CustomerId
from relcore.registry import UnitOfWork
from relcore.testing.synthetic import SyntheticShop
from relcore.testing.synthetic_marketing import CONSENT_SOURCES as CAMPAIGN_SOURCES
from relcore.testing.synthetic_marketing import recorded as campaign_activity
from relcore.vocabularies import Vocabularies

__all__ = ["case_messages", "main", "run_demo"]

DEMO_PATH = "relcore-demo.db"
MARK = "relcore-demo"
"""Identity namespace marking a demo database; the value is ``"<customers>:<seed>"``."""
_REACH = (Channel.EMAIL, Channel.SMS)
CHAT_CHANNEL = "whatsapp"
"""The channel the demo declares: the shop's chat runs on it (a value beyond the built-in ones)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = argparse.ArgumentParser(prog="relcore", description="relcore, an embeddable CRM library.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="build a synthetic shop CRM in SQLite and summarize it",
        description="Build the CRM of a synthetic shop in a SQLite file and print a summary of it.",
    )
    demo.add_argument("--path", type=Path, default=Path(DEMO_PATH), help=f"SQLite file (default {DEMO_PATH})")
    demo.add_argument("--customers", type=_positive, default=5000, help="number of customers (default 5000)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument(
        "--keep", action="store_true", help="summarize an existing demo file instead of rebuilding it"
    )
    demo.add_argument("--no-progress", action="store_true", help="draw no progress on standard error")
    args = parser.parse_args(argv)
    progress = Progress(enabled=False if args.no_progress else None)
    try:
        return run_demo(
            args.path, customers=args.customers, seed=args.seed, keep=args.keep, progress=progress
        )
    except BrokenPipeError:  # the reader went away (``relcore demo | head``): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (RelcoreError, OSError) as error:
        progress.end_line()
        message = " ".join(str(error).split())  # one line, even for multi-field errors
        print(f"relcore: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        progress.end_line()
        print("relcore: interrupted", file=sys.stderr)
        return 130


def _version() -> str:
    """The installed distribution's version (``unknown`` when run from a source tree not installed)."""
    try:
        return importlib.metadata.version("relcore")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run_demo(
    path: Path,
    *,
    customers: int = 5000,
    seed: int = 0,
    keep: bool = False,
    progress: Progress | None = None,
    out: TextIO | None = None,
) -> int:
    """Build the demo CRM at ``path`` (or, with ``keep``, reuse it) and print its summary to ``out``.

    Raises:
        RelcoreError: If ``path`` exists but is not a demo database, or the store fails.
    """
    progress = progress if progress is not None else Progress(enabled=False)
    out = out if out is not None else sys.stdout
    started = time.perf_counter()
    kept = None
    if path.exists() or path.is_symlink():
        kept = _demo_settings(path)
        if kept is None:
            raise RelcoreError(
                f"{path} exists and is not a relcore demo database (of this relcore version); "
                "nothing was changed: choose another --path, or delete the file"
            )
        if not keep:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            kept = None
    size, seed = kept if kept else (customers, seed)
    shop = SyntheticShop(size, seed=seed, chat_channel=CHAT_CHANNEL)
    tally = _Tally(shop)
    with CRM.open(path, vocabularies=shop.vocabularies) as crm:
        if kept:
            tally.replay(progress)
        else:
            _build(crm, shop, tally, progress)
        stored = _check(crm, tally, progress)
        _report(crm, tally, stored, out, build=not kept)
    action = "Kept" if kept else "Built"
    print(f"\n{action} {path} in {time.perf_counter() - started:.1f} s (--customers {shop.customers} "
          f"--seed {shop.seed}); open it with relcore.CRM.open({str(path)!r}).", file=out)  # fmt: skip
    return 0


def _demo_settings(path: Path) -> tuple[int, int] | None:
    """Return ``(customers, seed)`` of the demo database at ``path``, or ``None`` if it is none.

    The header is read first, so that a file which is not a SQLite database in
    WAL mode (as relcore makes them) is never opened, let alone changed.
    """
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError:
        return None
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00") or header[18:20] != b"\x02\x02":
        return None
    try:
        with CRM.open(path, upgrade=False, vocabularies=Vocabularies(channels=[CHAT_CHANNEL])) as crm:
            first = crm.customers.find("shop", "C0000000")
    except RelcoreError:
        return None
    for identity in first.identities if first else ():
        customers, _, seed = identity.value.partition(":")
        if identity.namespace == MARK and customers.isdigit() and seed.lstrip("-").isdigit():
            return int(customers), int(seed)
    return None


@attrs.define
class _Tally:
    """What the demo put in the store, counted while it streamed past."""

    shop: SyntheticShop
    stages: Counter[str] = attrs.Factory(Counter)
    types: Counter[str] = attrs.Factory(Counter)
    contacts: int = 0
    consents: int = 0
    reachable: Counter[Channel] = attrs.Factory(Counter)
    channels: Counter[str] = attrs.Factory(Counter)
    money: dict[str, Counter[str]] = attrs.Factory(dict)
    revenue: dict[str, Decimal] = attrs.Factory(dict)
    busiest: tuple[int, CustomerId | None] = (0, None)

    def customers_with_contacts(self) -> Iterator[tuple[Customer, list[Contact]]]:
        for customer, contacts in self.shop.customers_with_contacts():
            self.stages[str(customer.stage)] += 1
            self.types[customer.type.value] += 1
            self.contacts += len(contacts)
            yield customer, contacts

    def consent_records(self) -> Iterator[ConsentRecord]:
        ledger: list[ConsentRecord] = []
        for record in self.shop.consents():
            if ledger and ledger[0].customer_id != record.customer_id:
                self._reach(ledger)
                ledger = []
            ledger.append(record)
            self.consents += 1
            yield record
        self._reach(ledger)

    def _reach(self, ledger: list[ConsentRecord]) -> None:
        for channel in _REACH:
            if ledger and may_contact(ledger, Purpose.MARKETING, channel, self.shop.end):
                self.reachable[channel] += 1

    def touchpoints(self) -> Iterator[Touchpoint]:
        for touchpoint in self.shop.touchpoints():
            self.channels[str(touchpoint.channel)] += 1
            yield touchpoint

    def transactions(self) -> Iterator[Transaction]:
        current, count = None, 0  # transactions come customer by customer
        for entry in self.shop.transactions():
            self.money.setdefault(entry.currency, Counter())[entry.kind.value] += 1
            current, count = entry.customer_id, count + 1 if entry.customer_id == current else 1
            if count > self.busiest[0]:
                self.busiest = (count, current)
            if entry.kind is TransactionKind.ORDER or entry.kind is TransactionKind.REFUND:
                self.revenue[entry.currency] = self.revenue.get(entry.currency, 0) + entry.signed_amount
            yield entry

    def replay(self, progress: Progress) -> None:
        """Count the streams without storing them (for a kept database)."""
        streams: tuple[tuple[Iterable[object], str, int | None], ...] = (
            (self.customers_with_contacts(), "customers", self.shop.customers),
            (self.consent_records(), "consent", None),
            (self.touchpoints(), "touchpoints", None),
            (self.transactions(), "transactions", None),
        )
        for stream, phase, total in streams:
            for _ in progress.track(stream, f"{phase} (count)", total):
                pass


def _build(crm: CRM, shop: SyntheticShop, tally: _Tally, progress: Progress) -> None:
    mark = Identity(MARK, f"{shop.customers}:{shop.seed}")
    with crm.unit_of_work() as uow:
        for customer, contacts in progress.track(
            tally.customers_with_contacts(), "customers", shop.customers
        ):
            if customer.identities == (Identity("shop", "C0000000"),):
                customer = attrs.evolve(customer, identities=(*customer.identities, mark))
            add_customer(uow, customer, contacts)
        for record in progress.track(tally.consent_records(), "consent"):
            record_consent(uow, record)
        uow.commit()
    crm.activity.import_touchpoints(progress.track(tally.touchpoints(), "touchpoints"))
    crm.activity.import_transactions(progress.track(tally.transactions(), "transactions"))
    build_service(crm, [p.id for p in shop.profiles()], shop.end)
    build_marketing(crm, shop.end)


def case_messages(uow: UnitOfWork) -> int:
    """How many touchpoints are messages of the stored cases."""
    count = 0
    after = None
    while True:
        page = uow.cases.list(after=after, limit=1000)
        count += sum(len(talk) for talk in uow.case_conversations.messages(page.items).values())
        if page.next_after is None:
            return count
        after = page.next_after


def _check(crm: CRM, tally: _Tally, progress: Progress) -> tuple[int, int, int]:
    """Return the stored numbers of customers, touchpoints and transactions, checked against the tally.

    Consent coverage is asked of the store too, customer by customer, and
    must agree with what the tally derived from the ledgers it streamed.
    """
    shop = tally.shop
    with crm.unit_of_work() as uow:
        # the support desk's case messages and the campaign's messages are touchpoints too, and the
        # campaign's orders transactions; the shop's are the others
        campaign_touchpoints, campaign_orders = campaign_activity(uow)
        shop_touchpoints = uow.touchpoints.count() - case_messages(uow) - campaign_touchpoints
        stored = (uow.customers.count(), shop_touchpoints, uow.transactions.count() - campaign_orders)
        reachable: Counter[Channel] = Counter()
        for profile in progress.track(shop.profiles(), "consent check", shop.customers):
            # the shop's ledger: without the withdrawals the campaign recorded (unsubscribes...)
            ledger = [r for r in uow.consents.for_customer(profile.id) if r.source not in CAMPAIGN_SOURCES]
            for channel in _REACH:
                reachable[channel] += may_contact(ledger, Purpose.MARKETING, channel, shop.end)
    transactions = sum(sum(kinds.values()) for kinds in tally.money.values())
    expected = (shop.customers, sum(tally.channels.values()), transactions)
    if stored != expected:
        raise RelcoreError(
            f"the store holds {stored} customers, touchpoints and transactions, not {expected}"
        )
    if reachable != tally.reachable:
        raise RelcoreError(
            f"the store's consent ledgers allow {dict(reachable)}, not {dict(tally.reachable)}"
        )
    return stored


def _table(
    out: TextIO, title: str, header: Sequence[str], rows: Iterable[Sequence[object]], *, numbers_from: int = 1
) -> None:
    """Print a titled table; the columns from ``numbers_from`` on are right-aligned."""
    text = [list(header)] + [
        [f"{c:,}" if isinstance(c, int | Decimal) else str(c) for c in row] for row in rows
    ]
    widths = [max(len(cell) for cell in column) for column in zip(*text, strict=True)]
    print(f"\n{title}", file=out)
    for row in text:
        cells = [
            c.rjust(w) if i >= numbers_from else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  " + "  ".join(cells).rstrip(), file=out)


def _shares(counts: Counter[str]) -> list[tuple[str, int, str]]:
    total = sum(counts.values()) or 1
    return [(name, n, f"{100 * n / total:.1f} %") for name, n in counts.most_common()]


def _report(crm: CRM, tally: _Tally, stored: tuple[int, int, int], out: TextIO, *, build: bool) -> None:
    shop = tally.shop
    customers, touchpoints, transactions = stored
    print(
        f"relcore demo: the CRM of a synthetic shop, {shop.start:%Y-%m-%d} to {shop.end:%Y-%m-%d}", file=out
    )
    _table(out, "Stored", ("what", "count"), [
        ("customers", customers), ("contacts", tally.contacts), ("consent records", tally.consents),
        ("touchpoints", touchpoints), ("transactions", transactions),
    ])  # fmt: skip
    _table(out, "Customers by lifecycle stage", ("stage", "customers", "share"), _shares(tally.stages))
    _table(out, "Customers by type", ("type", "customers", "share"), _shares(tally.types))
    _table(out, "Touchpoints by channel", ("channel", "touchpoints", "share"), _shares(tally.channels))
    _table(out, "Transactions by currency (revenue: orders less refunds)",
           ("currency", "orders", "refunds", "quotes", "revenue"),
           [(code, kinds["order"], kinds["refund"], kinds["quote"], tally.revenue.get(code, Decimal(0)))
            for code, kinds in sorted(tally.money.items())])  # fmt: skip
    reach = [(c.value, tally.reachable[c], f"{100 * tally.reachable[c] / customers:.1f} %") for c in _REACH]
    title = f"Consent coverage: customers who may get marketing on {shop.end:%Y-%m-%d}"
    _table(out, title, ("channel", "customers", "share"), reach)
    count, busiest = tally.busiest
    if busiest is not None:
        _timeline(crm, crm.customers.get(busiest), count, out)
    report_segments(crm, shop.end, customers, out, _table, build=build)
    report_value(crm, shop.end, out, _table, build=build)
    organizations = [p.id for p in shop.profiles() if p.organization]
    report_sales(crm, organizations, shop.end, out, _table, build=build)
    report_service(crm, shop.end, out, _table)
    report_marketing(crm, shop.end, out, _table)


def _timeline(crm: CRM, customer: Customer, transactions: int, out: TextIO) -> None:
    rows = []
    for entry in crm.activity.timeline(customer.id, limit=10):
        when = f"{entry.occurred_at.astimezone(UTC):%Y-%m-%d %H:%M}"
        if isinstance(entry, Transaction):
            channel = "-" if entry.channel is None else str(entry.channel)
            rows.append((when, channel, entry.kind.value, "", f"{entry.amount:,} {entry.currency}"))
        else:
            what = " / ".join(str(x) for x in (entry.subject, entry.outcome) if x)
            rows.append((when, str(entry.channel), str(entry.kind), entry.direction.value, what))
    title = (f"Timeline of {customer.name} ({customer.type.value}, {customer.stage}, "
             f"{transactions} transactions): latest {len(rows)}, UTC")  # fmt: skip
    _table(out, title, ("when", "channel", "kind", "direction", "what"), rows, numbers_from=5)
