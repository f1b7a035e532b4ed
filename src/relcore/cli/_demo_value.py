"""The relationship-value part of ``relcore demo``: refresh the metrics, show the best and the slipping."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from relcore.crm import CRM
from relcore.segments import field

__all__ = ["report_value"]

Table = Callable[..., None]


def report_value(crm: CRM, as_of: datetime, out: TextIO, table: Table, *, build: bool) -> None:
    """Refresh value metrics at ``as_of`` (when building) and print top and at-risk customers."""
    if importlib.util.find_spec("scipy") is None or importlib.util.find_spec("numpy") is None:
        print("\nValue metrics: install relcore[analytics] (numpy, scipy) to see them.", file=out)
        return
    if build:
        crm.value.refresh(as_of)
    with crm.unit_of_work() as uow:
        run = uow.metrics.latest_run()
    if run is None or not run.models:
        return
    # money is ranked within one currency: the one most customers are valued in
    currency = max(sorted(run.models), key=lambda code: run.models[code].get("customers", 0))
    top = crm.value.top("historical_value", limit=5, currency=currency)
    rows = [_row(crm, m.customer_id, m) for m in top]
    table(out, f"Top customers by value in {currency} to {as_of:%Y-%m-%d} (orders less refunds)",
          ("customer", "currency", "orders", "value", "P(alive)"), rows, numbers_from=2)  # fmt: skip
    from relcore.value.services import PYRAMID

    tiers = [name for name, _ in PYRAMID]
    counts = [
        (tier, sum(1 for _ in crm.segments.members(field("metrics.tier") == tier, as_of))) for tier in tiers
    ]
    total = sum(n for _, n in counts) or 1
    rows = [(tier, n, f"{100 * n / total:.1f} %") for tier, n in counts]
    title = "Customer pyramid by predicted CLV (top 1 %, next 4 %, next 15 %, rest), per currency"
    table(out, title, ("tier", "customers", "share"), rows)
    slipping = (
        (field("metrics.probability_alive") < 0.3)
        & (field("metrics.orders") >= 3)
        & (field("metrics.currency") == currency)
    )
    at_risk = sorted(
        (
            m
            for m in (crm.value.metrics(cid) for cid in crm.segments.members(slipping, as_of))
            if m is not None
        ),
        key=lambda m: (-(m.historical_value or 0), m.customer_id),
    )[:5]
    rows = [_row(crm, m.customer_id, m) for m in at_risk]
    table(out, f"Most at risk in {currency}: 3+ orders, P(alive) < 0.3, by value",
          ("customer", "currency", "orders", "value", "P(alive)"), rows, numbers_from=2)  # fmt: skip


def _row(crm: CRM, customer_id: object, metrics: object) -> tuple[object, ...]:
    m = metrics
    name = crm.customers.get(customer_id).name  # type: ignore[arg-type]
    value = getattr(m, "historical_value", None)
    alive = getattr(m, "probability_alive", None)
    return (
        name,
        getattr(m, "currency", None) or "-",
        getattr(m, "orders", 0),
        "-" if value is None else f"{value:,.2f}",
        "-" if alive is None else f"{alive:.2f}",
    )
