"""The sales part of ``relcore demo``: a year of deals for the shop's organizations, and what they tell.

When building, the shop's organizations get a pipeline and a year of deals
([SyntheticSales][relcore.testing.synthetic_sales.SyntheticSales]), and the
win-probability model is fitted. The report prints the quarter's forecast by
category, the conversion funnel with stage durations, the win rate, the top
lost reasons, the partner-sourced share and one open deal's win probability
explained.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TextIO

from relcore.crm import CRM
from relcore.ids import CustomerId
from relcore.sales import StageOutcome
from relcore.sales.forecasts import Amounts
from relcore.testing.synthetic_sales import SyntheticSales

__all__ = ["report_sales"]

Table = Callable[..., None]


def _money(amounts: Amounts) -> str:
    return f"{amounts.amount:,.0f}" if amounts.count else "-"


def _days(span: timedelta | None) -> str:
    return "-" if span is None else f"{span / timedelta(days=1):.1f}"


def report_sales(
    crm: CRM, organizations: list[CustomerId], as_of: datetime, out: TextIO, table: Table, *, build: bool
) -> None:
    """Build a year of sales up to ``as_of`` (when building) and print what the book tells."""
    start = as_of.replace(year=as_of.year - 1)
    sales = SyntheticSales(start=start, end=as_of)
    if build:
        sales.build(crm, organizations)
        crm.sales.refresh_win_probability(as_of=as_of)
    pipeline = crm.sales.find_pipeline(sales.pipeline().name)
    if pipeline is None:
        return
    forecast = crm.sales.forecast(pipeline.id, period="quarter", as_of=as_of)
    rows = [
        (r.period, r.currency, *(_money(r[c]) for c in ("pipeline", "best_case", "commit", "closed")),
         _money(r.commit_forecast), _money(r.best_case_forecast), _money(r.open_pipeline))
        for r in forecast.rows
        if r.currency is not None
    ][-4:]  # fmt: skip
    table(out, f"Sales forecast by quarter of close date, as of {as_of:%Y-%m-%d} (latest four quarters)",
          ("quarter", "cur", "pipeline", "best case", "commit", "closed", "commit fc", "best case fc",
           "open pipeline"), rows, numbers_from=2)  # fmt: skip
    durations = {d.stage: d for d in crm.sales.stage_durations(pipeline.id, as_of=as_of)}
    funnel = [
        (c.stage, c.reached, c.advanced, _percent(c.rate.decimal(4)),
         _days(durations[c.stage].median), _days(durations[c.stage].p90))
        for c in crm.sales.conversion(pipeline.id, as_of=as_of)
    ]  # fmt: skip
    table(out, "Conversion funnel (reached: got this far or further) and days spent in each stage",
          ("stage", "reached", "advanced", "rate", "median d", "p90 d"), funnel)  # fmt: skip
    rate = crm.sales.win_rate(start, as_of, pipeline_id=pipeline.id)
    print(f"\nWin rate, {start:%Y-%m-%d} to {as_of:%Y-%m-%d}: {_percent(rate.decimal(4))} "
          f"({rate.numerator} won of {rate.denominator} closed)", file=out)  # fmt: skip
    losses = crm.sales.losses(start, as_of, pipeline_id=pipeline.id)
    lost = [
        (str(reason), tally.count, f"{tally.amount(pipeline.currency):,.0f}")
        for reason, tally in losses.items()
    ]
    table(out, "Top lost reasons", ("reason", "deals", f"amount {pipeline.currency}"), lost[:5])
    _partners(crm, start, as_of, out)
    _explained(crm, pipeline.id, out)


def _percent(value: Decimal | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def _partners(crm: CRM, start: datetime, as_of: datetime, out: TextIO) -> None:
    lines = [
        line for line in crm.partners.pipeline(start=start, end=as_of, as_of=as_of) if line.partner_id is None
    ]
    won = {line.attribution.value: line.won_amount for line in lines}
    total = sum(won.values(), Decimal(0))
    if not total:
        return
    sourced = won.get("sourced", Decimal(0))
    print(f"\nPartner-sourced share of the revenue won through partners: {_percent(sourced / total)} "
          f"({sourced:,.0f} of {total:,.0f})", file=out)  # fmt: skip


def _explained(crm: CRM, pipeline_id: object, out: TextIO) -> None:
    page = crm.sales.list(pipeline_id, limit=500)  # type: ignore[arg-type]
    deal = next((d for d in page.items if d.outcome is StageOutcome.OPEN and d.stage == "negotiate"), None)
    if deal is None:
        return
    why = crm.sales.explain_probability(deal.id)
    print(f"\nWin probability of one open deal ({deal.name}, {deal.amount:,.0f} {deal.currency}, "
          f"stage {deal.stage}): {_percent(why.probability)} from the {why.source}", file=out)  # fmt: skip
    if why.score is not None:
        for factor in why.score.factors:
            print(f"  {factor.field} = {factor.value}: lift {factor.lift:.2f}", file=out)
