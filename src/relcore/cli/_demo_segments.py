"""The segments part of ``relcore demo``: a few meaningful rules, their sizes, one explanation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TextIO

from relcore.crm import CRM
from relcore.segments import Rule, field, to_text, touchpoints, transactions

__all__ = ["DEMO_SEGMENTS", "report_segments"]

Table = Callable[..., None]

DEMO_SEGMENTS: Sequence[tuple[str, Rule]] = (
    ("active buyers", transactions(kind="order").within(days=90).count() >= 1),
    (
        "lapsed big spenders (EUR)",
        (transactions(kind="order", currency="EUR").sum() > Decimal(500))
        & transactions(kind="order").last().older_than(days=180),
    ),
    (
        "engaged by e-mail, marketable",
        (touchpoints(channel="email", direction="inbound").within(days=90).count() >= 2)
        & (field("consent.marketing.email") == True),  # noqa: E712 - builds a rule node
    ),
    (
        "organizations with a complaint this year",
        (field("type") == "organization") & (touchpoints(kind="complaint").within(days=365).count() >= 1),
    ),
    (
        "chatting on WhatsApp (a declared channel)",
        touchpoints(channel="whatsapp", direction="inbound").within(days=90).count() >= 1,
    ),
    ("partners that buy (two roles)", field("roles").has_all(["customer", "partner"])),
    (
        "quiet leads",
        (field("stage").isin(["lead", "subscriber"]))
        & (touchpoints(direction="inbound").within(days=180).count() == 0),
    ),
)
"""The segments the demo defines: (name, rule)."""


def report_segments(
    crm: CRM, as_of: datetime, customers: int, out: TextIO, table: Table, *, build: bool
) -> None:
    """Print the demo segments' sizes at ``as_of``, their rules, and why one customer is in one.

    With ``build`` the segments are defined and refreshed (a stored membership
    and ``SegmentEntered`` events); otherwise they are only read.
    """
    if build:
        for name, rule in DEMO_SEGMENTS:
            crm.segments.define(name, rule)
        sizes = {name: crm.segments.refresh(name, as_of).size for name, _ in DEMO_SEGMENTS}
    else:
        sizes = {name: sum(1 for _ in crm.segments.members(rule, as_of)) for name, rule in DEMO_SEGMENTS}
    rows = [(name, size, f"{100 * size / max(customers, 1):.1f} %") for name, size in sizes.items()]
    table(out, f"Segments on {as_of:%Y-%m-%d} (each one query)", ("segment", "members", "share"), rows)
    print("\nTheir rules", file=out)
    for name, rule in DEMO_SEGMENTS:
        print(f"  {name}: {to_text(rule)}", file=out)
    for name, rule in DEMO_SEGMENTS[1:]:
        first = next(iter(crm.segments.members(rule, as_of)), None)
        if first is not None:
            who = crm.customers.get(first)
            print(f"\nWhy is {who.name} in {name!r}? ([x] held, [ ] did not)", file=out)
            for line in crm.segments.explain(rule, who.id, as_of).render().splitlines():
                print("  " + line, file=out)
            return
