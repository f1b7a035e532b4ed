"""The service part of ``relcore demo``: a year of support cases and surveys, and what they tell.

The shop's customers get a support desk with two SLA policies and a year of
cases, conversations and survey answers
([SyntheticDesk][relcore.testing.synthetic_service.SyntheticDesk]), built
with the shop (case messages are touchpoints, which segments count). The
report sweeps the clocks, then prints SLA attainment by priority, the clocks
breached or at risk now, response and resolution times by channel, NPS by
quarter with its interval, and CSAT by channel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TextIO

from relcore.crm import CRM
from relcore.ids import CustomerId
from relcore.service.clocks import ClockState
from relcore.service.durations import Durations
from relcore.service.reports import Attainment
from relcore.testing.synthetic_service import SyntheticDesk

__all__ = ["build_service", "report_service"]

Table = Callable[..., None]
_ZONE = "Europe/Paris"


def _hours(durations: Durations, *, p90: bool = False) -> str:
    value = durations.p90 if p90 else durations.median
    return "-" if value is None else f"{value / timedelta(hours=1):.1f}"


def _met(attainment: Attainment) -> str:
    return "-" if not attainment.ended else f"{100 * attainment.met / attainment.ended:.1f} %"


def build_service(crm: CRM, customers: list[CustomerId], as_of: datetime) -> None:
    """Store a year of support cases, their conversations and surveys, up to ``as_of``."""
    SyntheticDesk(start=as_of.replace(year=as_of.year - 1), end=as_of).build(crm, customers)


def report_service(crm: CRM, as_of: datetime, out: TextIO, table: Table) -> None:
    """Sweep the SLA clocks at ``as_of`` and print what the desk tells of the year before."""
    start = as_of.replace(year=as_of.year - 1)
    swept = crm.service.sweep(as_of=as_of)
    print(f"\nSupport desk, {start:%Y-%m-%d} to {as_of:%Y-%m-%d}: the SLA sweep looked at {swept.cases} "
          f"unclosed cases and announced {swept.breached} breaches and {swept.at_risk} at-risk clocks",
          file=out)  # fmt: skip
    by_priority = crm.service.metrics(start, as_of, by=("priority",), as_of=as_of)
    rows: list[tuple[object, ...]] = [
        (m.priority, m.cases, _met(m.first_response_sla), _met(m.resolution_sla),
         f"{100 * m.reopened / m.solved:.1f} %" if m.solved else "-")
        for m in by_priority
    ]  # fmt: skip
    table(out, "SLA attainment by priority (clocks that ended)",
          ("priority", "cases", "first response", "resolution", "reopened"), rows)  # fmt: skip
    _now(crm, as_of, out, table)
    by_channel = crm.service.metrics(start, as_of, by=("channel",), as_of=as_of)
    rows = [
        (m.channel, m.cases, _hours(m.first_response_business), _hours(m.first_response_business, p90=True),
         _hours(m.first_response), _hours(m.resolution_business), _hours(m.resolution_business, p90=True),
         _hours(m.resolution))
        for m in by_channel
    ]  # fmt: skip
    table(out, "Response and resolution times by channel, in hours (business: on the desk's calendar)",
          ("channel", "cases", "1st resp med", "p90", "calendar med", "resolution med", "p90",
           "calendar med"), rows)  # fmt: skip
    nps = crm.feedback.nps(start=start, end=as_of, period="quarter", zone=_ZONE)
    rows = [
        (str(r.group.period), r.n, f"{r.nps:.1f}", f"{r.ci_low:.1f} to {r.ci_high:.1f}",
         "" if r.reliable else "few answers")
        for r in nps if r.nps is not None and r.ci_low is not None and r.ci_high is not None
    ]  # fmt: skip
    table(out, "NPS by quarter (95 % interval)", ("quarter", "answers", "NPS", "interval", ""), rows)
    csat = crm.feedback.csat(start=start, end=as_of, by=["channel"])
    rows = [
        (str(r.group.channel), r.n, f"{100 * r.share:.1f} %",
         f"{100 * r.ci_low:.1f} to {100 * r.ci_high:.1f} %")
        for r in csat if r.share is not None and r.ci_low is not None and r.ci_high is not None
    ]  # fmt: skip
    table(out, "CSAT after solved cases by channel (share of 4 and 5 out of 5)",
          ("channel", "answers", "CSAT", "interval"), rows)  # fmt: skip


def _now(crm: CRM, as_of: datetime, out: TextIO, table: Table) -> None:
    """The clocks breached or at risk at ``as_of`` among the open cases, the most overdue first."""
    found = []
    after = None
    while True:
        page = crm.service.list(after=after, limit=500)
        for case in page.items:
            if not case.is_open:
                continue
            for clock in crm.service.sla(case.id, as_of=as_of):
                if clock.state is ClockState.BREACHED or clock.at_risk:
                    found.append((case, clock))
        if page.next_after is None:
            break
        after = page.next_after
    found.sort(key=lambda pair: pair[1].remaining)
    rows = [
        (case.priority.value, str(case.channel), clock.metric.value,
         "breached" if clock.state is ClockState.BREACHED else "at risk",
         f"{-clock.remaining / timedelta(hours=1):.1f} h late" if clock.remaining < timedelta(0)
         else f"{clock.remaining / timedelta(hours=1):.1f} h left")
        for case, clock in found[:8]
    ]  # fmt: skip
    breached = sum(c.state is ClockState.BREACHED for _, c in found)
    title = f"Open cases now: {breached} clocks breached, {len(found) - breached} at risk (the worst eight)"
    table(out, title,
          ("priority", "channel", "clock", "state", "time"), rows)  # fmt: skip
