"""The marketing part of ``relcore demo``: a campaign on a segment, its results, attribution and lead scores.

An e-mail campaign on a demo segment, the active buyers of the euro area
([SyntheticCampaign][relcore.testing.synthetic_marketing.SyntheticCampaign]):
a 45/45 A/B test with a 10 % control group, at most one marketing message a
week, a suppression list. The report prints the audience with every exclusion
by reason, the members refused just before the send, the results by variant
with the winner and its p-value, the uplift over the control group, the
revenue attributed under two models with the return on the campaign's cost,
and the customers a lead-scoring plan ranks highest, one of them explained.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TextIO

from relcore.cli._demo_segments import DEMO_SEGMENTS
from relcore.crm import CRM
from relcore.marketing import Decay, Exclusion, ScoringGroup, ScoringPlan, ScoringRule
from relcore.marketing.results import CampaignResults, VariantResults
from relcore.segments import field, touchpoints, transactions
from relcore.testing._shop_data import COUNTRIES
from relcore.testing.synthetic_marketing import SyntheticCampaign

__all__ = ["SEGMENT", "build_marketing", "report_marketing"]

Table = Callable[..., None]

SEGMENT = "active buyers in the euro area"
"""The demo segment the campaign targets: active buyers who pay in euros (its ROI is in one currency)."""
_EURO = [c.code for c in COUNTRIES if c.currency == "EUR"]
_NAME = "Spring newsletter"
_PLAN = "Leads"


def _plan() -> ScoringPlan:
    """Who the customer is (fit) and what they did lately (engagement, halving every 30 days)."""
    fit = ScoringGroup(name="profile", kind="fit", rules=[
        ScoringRule(name="buying customer", rule=field("stage") == "customer", points=20),
        ScoringRule(name="organization", rule=field("type") == "organization", points=15),
        ScoringRule(name="may get e-mail", rule=field("consent.marketing.email") == True, points=10),  # noqa: E712
    ])  # fmt: skip
    engagement = ScoringGroup(
        name="activity",
        kind="engagement",
        rules=[
            ScoringRule(name="opens", rule=touchpoints(kind="open"), points=4, per_event=True, cap=20),
            ScoringRule(name="clicks", rule=touchpoints(kind="click"), points=8, per_event=True, cap=32),
            ScoringRule(name="orders", rule=transactions(kind="order"), points=10, per_event=True, cap=30),
        ],
        decay=Decay(factor=0.5, period_days=30),
        limit=60,
    )
    return ScoringPlan(name=_PLAN, groups=[fit, engagement], thresholds=[(40, "MQL"), (70, "SQL")])


def _rate(result: VariantResults, metric: str) -> str:
    rate = result.rate(metric)  # type: ignore[arg-type]
    interval = result.interval(metric)  # type: ignore[arg-type]
    if rate.share is None or interval is None:
        return "-"
    return f"{100 * rate.share:.1f} % ({100 * interval[0]:.1f}-{100 * interval[1]:.1f})"


def _money(amount: Decimal | None, currency: str | None) -> str:
    return "-" if amount is None else f"{amount:,.2f} {currency or ''}".rstrip()


def _sent_at(end: datetime) -> datetime:
    return (end - timedelta(days=35)).replace(hour=9, minute=0, second=0, microsecond=0)


def build_marketing(crm: CRM, end: datetime) -> None:
    """Run the campaign five weeks before ``end`` and score every customer at ``end``."""
    active = dict(DEMO_SEGMENTS)["active buyers"]
    crm.segments.define(SEGMENT, active & field("country").isin(_EURO))
    SyntheticCampaign(segment=SEGMENT, sent_at=_sent_at(end), name=_NAME).run(crm)
    crm.scoring.define(_plan())
    crm.scoring.refresh(_PLAN, end)


def report_marketing(crm: CRM, end: datetime, out: TextIO, table: Table) -> None:
    """Print what the campaign did by ``end`` (audience, results, revenue) and the top lead scores."""
    campaign = crm.campaigns.find(_NAME)
    if campaign is None:
        return
    sent_at = _sent_at(end)
    print(f"\nCampaign {campaign.name!r} on the segment {SEGMENT!r}: audience built "
          f"{sent_at - timedelta(days=2):%Y-%m-%d}, sent {sent_at:%Y-%m-%d} (e-mail; variants a and b, "
          f"10 % control group; at most 1 marketing message a week)", file=out)  # fmt: skip
    considered = crm.campaigns.members(campaign.id, excluded=None)
    refused = [m for m in considered if m.excluded is not None and m.updated_at > m.added_at]
    left_out = Counter(
        m.excluded for m in considered if m.excluded is not None and m.updated_at == m.added_at
    )
    members = sum(1 for m in considered if m.excluded is None) + len(refused)
    rows = [("considered", len(considered), ""), ("members", members, "")]
    rows += [(f"left out: {reason.value}", left_out[reason], "") for reason in Exclusion if left_out[reason]]
    rows += [("refused just before the send (consent withdrawn)", len(refused), "")]
    table(out, "Audience, every customer with its reason", ("", "customers", ""), rows)
    results = crm.campaigns.results(campaign.id, as_of=end, metric="click")
    _results(results, out, table)
    _attribution(crm, campaign.id, sent_at, end, out, table)
    _scores(crm, end, out, table)


def _results(results: CampaignResults, out: TextIO, table: Table) -> None:
    groups = [*results.variants, *([results.control] if results.control is not None else [])]
    rows = [
        (
            str(r.variant) + (" (control)" if r.control else ""),
            r.members,
            r.sent,
            _rate(r, "open"),
            _rate(r, "click"),
            _rate(r, "response"),
            _rate(r, "conversion"),
        )
        for r in groups
    ]
    title = f"Results by variant on {results.as_of:%Y-%m-%d} (95 % intervals)"
    table(out, title, ("variant", "members", "sent", "opened", "clicked", "responded", "converted"), rows)
    print(file=out)
    if results.winner is not None and results.test is not None:
        print(f"  winner by click rate: {results.winner} over {results.runner_up}, "
              f"p = {results.test.p_value:.3g}", file=out)  # fmt: skip
    for key, lift in results.uplift.items():
        if lift is not None:
            print(f"  conversion uplift of {key} over the control group: {100 * lift.difference:+.1f} points "
                  f"({100 * lift.low:+.1f} to {100 * lift.high:+.1f})", file=out)  # fmt: skip
    print(f"  cost {_money(results.cost, results.currency)}, per response "
          f"{_money(results.cost_per_response, results.currency)}", file=out)  # fmt: skip


def _attribution(
    crm: CRM, campaign_id: object, start: datetime, end: datetime, out: TextIO, table: Table
) -> None:
    rows = []
    for model, half_life in (("last_touch", None), ("time_decay", timedelta(days=7))):
        report = crm.campaigns.attribute(model=model, start=start, end=end, half_life=half_life)
        revenue = report.revenue_of(campaign_id)  # type: ignore[arg-type]
        back = report.return_of(campaign_id)  # type: ignore[arg-type]
        roi = "-" if back is None or back.roi is None else f"{100 * back.roi:.0f} %"
        rows.append(
            (model, _money(revenue.get("EUR"), "EUR"), roi, _money(report.unattributed.get("EUR"), "EUR"))
        )
    title = "Revenue attributed to the campaign (EUR orders after the send; the shop's newsletters compete)"
    table(out, title, ("model", "attributed", "ROI", "unattributed"), rows)


def _scores(crm: CRM, end: datetime, out: TextIO, table: Table) -> None:
    top = crm.scoring.scores(_PLAN, limit=5)
    rows = [
        (
            crm.customers.get(s.customer_id).name,
            f"{s.total:.1f}",
            s.label or "-",
            f"{s.fit:.0f}",
            f"{s.engagement:.1f}",
        )
        for s in top
    ]
    table(
        out,
        f"Lead scores on {end:%Y-%m-%d}: the top five",
        ("customer", "score", "label", "fit", "engagement"),
        rows,
    )
    if top:
        who = crm.customers.get(top[0].customer_id)
        print(f"\nWhy does {who.name} score {top[0].total:.1f}?", file=out)
        for line in crm.scoring.explain(_PLAN, who.id, end).render().splitlines():
            print("  " + line, file=out)
