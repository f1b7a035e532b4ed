"""Service analytics: response and resolution times, SLA attainment, backlog and complaint rates.

Every report reads the cases a page at a time with their histories (and, for
the metrics, their messages) in bulk. The database selects the cases by
when they were opened ([CaseRepository.opened][relcore.service.ports.CaseRepository.opened]);
the durations, percentiles and business time are computed here in Python,
because business time needs each case's calendar. Memory and SQL stores give
the same answers.

**Metrics** ([metrics][relcore.service.analytics.metrics]) cover the cases
opened in ``[start, end)`` and at or before ``as_of``, grouped by the keys
asked for. Channel and type are the case's; priority and team are those its
history shows at ``as_of``. For each case:

- *first response* is our first outbound message at or after its opening and
  at or before ``as_of`` (a case answered later counts as unanswered); its time
  is measured from the opening;
- *resolution* is the last entry into a solved category, when the case is
  solved or closed at ``as_of`` (a merged case is not resolved);
- calendar time is the real time between the two instants; business time is
  ``calendar.diff`` on the report's calendar or, without one, on the calendar
  of the case's policy at the version in force at ``as_of`` (24x7 without a policy);
- *SLA attainment* counts the case's first-response and resolution clocks
  (see [relcore.service.clocks][]) that ended at ``as_of``: fulfilled in time
  (met), fulfilled late or breached;
- it is *solved* when its history entered a solved category other than by a
  merge by ``as_of``, *reopened* when it was reopened by then, a *complaint*
  when its type is ``complaint``.

**Backlog** ([backlog][relcore.service.analytics.backlog]) counts, at the end
of each period, the cases created at or before that instant and neither
solved, closed nor merged then, as their histories show: solving a case later
does not change past points.

A case stored without any history (written straight to the store, as an
import does) is read from its own fields: open until its ``solved_at``, solved
(or closed, or merged) from then on, reopened if its ``reopen_count`` says so.
"""

from __future__ import annotations

import bisect
import builtins
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs

from relcore._kernel import checks as check
from relcore.ids import SlaPolicyId
from relcore.service._standing import Standing, standing, standings
from relcore.service.calendars import BusinessCalendar
from relcore.service.clocks import ClockState, clocks
from relcore.service.durations import Durations
from relcore.service.model import Case
from relcore.service.periods import Period, check_zone, first_day, next_day, periods, starts_at
from relcore.service.policies import SlaMetric, SlaPolicy
from relcore.service.ports import ServiceWork
from relcore.service.reports import Attainment, BacklogPoint, ComplaintRate, ServiceMetrics
from relcore.service.services import policy_resolver
from relcore.vocabularies import CaseType

__all__ = ["GROUP_KEYS", "Report", "backlog", "complaints_per_thousand", "metrics", "report"]

GROUP_KEYS = ("channel", "priority", "team", "type")
"""The keys, besides ``period``, that reports group cases by."""

_PAGE = 500
_TICK = timedelta(microseconds=1)
_ENDED = {ClockState.FULFILLED, ClockState.FULFILLED_LATE, ClockState.BREACHED}
_ALWAYS = BusinessCalendar.always()


@attrs.frozen
class Report:
    """A report's checked arguments (see [report][relcore.service.analytics.report])."""

    start: datetime
    end: datetime
    by: tuple[str, ...]
    period: Period | None
    zone: ZoneInfo
    calendar: BusinessCalendar | None


def report(
    start: object,
    end: object,
    *,
    by: object = (),
    period: object = None,
    timezone: object = "UTC",
    calendar: object = None,
    keys: Sequence[str] = (*GROUP_KEYS, "period"),
    needs_period: bool = False,
) -> Report:
    """Check a report's arguments.

    ``by`` is a sequence of distinct keys among ``keys``; ``"period"`` in it
    needs ``period``, and a ``period`` given without it groups by period too
    (when ``"period"`` is among ``keys``). ``needs_period`` refuses ``period=None``.

    Raises:
        ValidationError: Naming the bad argument: ``start`` or ``end`` not aware, ``end`` not
            after ``start``, an unknown or repeated key in ``by``, an unknown ``period`` or
            ``timezone``, a ``calendar`` that is not a
            [BusinessCalendar][relcore.service.calendars.BusinessCalendar].
    """
    low = check.check_datetime("start", start)
    high = check.check_datetime("end", end)
    if high <= low:
        raise check.fail("end", "expected an instant after start")
    if isinstance(by, str | bytes) or not isinstance(by, Sequence):
        raise check.fail("by", f"expected a sequence of group keys, got {check.kind(by)}")
    groups: list[str] = []
    for i, key in enumerate(by):
        if not isinstance(key, str) or key not in keys:
            raise check.fail(f"by[{i}]", f"expected one of {', '.join(keys)}")
        if key in groups:
            raise check.fail(f"by[{i}]", "a key repeated")
        groups.append(key)
    if period is None and needs_period:
        raise check.fail("period", "expected day, week, month or quarter")
    every = None if period is None else check.check_enum(Period, "period", period)
    if every is None and "period" in groups:
        raise check.fail("period", "grouping by period needs a period")
    if every is not None and "period" not in groups and "period" in keys:
        groups.insert(0, "period")
    zone = check_zone("timezone", timezone)
    if calendar is not None and not isinstance(calendar, BusinessCalendar):
        raise check.fail("calendar", f"expected a BusinessCalendar, got {check.kind(calendar)}")
    return Report(low, high, tuple(groups), every, zone, calendar)


# -- reading cases in pages --------------------------------------------------------------


def _pages(
    uow: ServiceWork, start: datetime | None, end: datetime, unsolved_at: datetime | None = None
) -> Iterator[builtins.list[Case]]:
    after = None
    while True:
        page = uow.cases.opened(start, end, unsolved_at=unsolved_at, after=after, limit=_PAGE)
        if page.items:
            yield builtins.list(page.items)
        if page.next_after is None:
            return
        after = page.next_after


def _key(asked: Report, case: Case, at: Standing, day: date | None) -> tuple[object, ...]:
    values = {
        "channel": str(case.channel),
        "type": str(case.type),
        "priority": at.priority.value,
        "team": at.team,
        "period": day,
    }
    return tuple(values[k] for k in asked.by)


def _order(key: tuple[object, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple((v is not None, "" if v is None else str(v)) for v in key)


# -- metrics -----------------------------------------------------------------------------


@attrs.define
class _Tally:
    cases: int = 0
    first: builtins.list[timedelta] = attrs.Factory(list)
    first_business: builtins.list[timedelta] = attrs.Factory(list)
    resolved: builtins.list[timedelta] = attrs.Factory(list)
    resolved_business: builtins.list[timedelta] = attrs.Factory(list)
    sla: dict[SlaMetric, builtins.list[int]] = attrs.Factory(
        lambda: {SlaMetric.FIRST_RESPONSE: [0, 0], SlaMetric.RESOLUTION: [0, 0]}
    )
    solved: int = 0
    reopened: int = 0
    complaints: int = 0

    def line(self, asked: Report, key: tuple[object, ...]) -> ServiceMetrics:
        named = dict(zip(asked.by, key, strict=True))
        first, resolution = self.sla[SlaMetric.FIRST_RESPONSE], self.sla[SlaMetric.RESOLUTION]
        return ServiceMetrics(
            **named,  # type: ignore[arg-type]
            cases=self.cases,
            first_response=Durations.of(self.first),
            first_response_business=Durations.of(self.first_business),
            resolution=Durations.of(self.resolved),
            resolution_business=Durations.of(self.resolved_business),
            first_response_sla=Attainment(first[0], first[1]),
            resolution_sla=Attainment(resolution[0], resolution[1]),
            solved=self.solved,
            reopened=self.reopened,
            complaints=self.complaints,
        )


def _calendar(
    asked: Report, at: Standing, policy_of: Callable[[SlaPolicyId, int], SlaPolicy]
) -> BusinessCalendar:
    if asked.calendar is not None:
        return asked.calendar
    if at.policy_id is None or at.policy_version is None:
        return _ALWAYS
    return policy_of(at.policy_id, at.policy_version).calendar


def metrics(uow: ServiceWork, asked: Report, as_of: datetime) -> builtins.list[ServiceMetrics]:
    """The [ServiceMetrics][relcore.service.reports.ServiceMetrics] of each group of cases, as of ``as_of``.

    The cases are those opened in ``[asked.start, asked.end)`` and at or
    before ``as_of``; the lines come in the order of their keys (``None``
    first), one per group that has cases. See the module for the measures.
    """
    moment = check.check_datetime("as_of", as_of)
    policy_of = policy_resolver(uow)
    tallies: dict[tuple[object, ...], _Tally] = {}
    until = min(asked.end, moment + _TICK)
    for batch in _pages(uow, asked.start, until):
        histories = uow.case_changes.for_cases([c.id for c in batch])
        talks = uow.case_conversations.messages(batch)
        for case in batch:
            history = histories.get(case.id, [])
            talk = talks.get(case.id, [])
            at = standing(case, history, moment)
            day = None if asked.period is None else first_day(case.created_at, asked.period, asked.zone)
            tally = tallies.setdefault(_key(asked, case, at, day), _Tally())
            tally.cases += 1
            calendar = _calendar(asked, at, policy_of)
            opened = case.created_at
            reply = next((m.at for m in talk if m.outbound and opened <= m.at <= moment), None)
            if reply is not None:
                tally.first.append(reply - opened)
                tally.first_business.append(calendar.diff(opened, reply))
            if at.solved_since is not None:
                tally.resolved.append(at.solved_since - opened)
                tally.resolved_business.append(calendar.diff(opened, at.solved_since))
            for clock in clocks(case, history, talk, policy_of, moment):
                if clock.metric in tally.sla and clock.state in _ENDED:
                    counts = tally.sla[clock.metric]
                    counts[0] += clock.state is ClockState.FULFILLED
                    counts[1] += 1
            tally.solved += at.ever_solved
            tally.reopened += at.reopened
            tally.complaints += case.type == CaseType.COMPLAINT
    return [tallies[key].line(asked, key) for key in sorted(tallies, key=_order)]


# -- backlog and complaints ---------------------------------------------------------------


def _ends(asked: Report, every: Period) -> tuple[builtins.list[date], builtins.list[datetime]]:
    days = periods(asked.start, asked.end, every, asked.zone)
    return days, [starts_at(next_day(day, every), asked.zone) for day in days]


def backlog(uow: ServiceWork, asked: Report) -> builtins.list[BacklogPoint]:
    """The [BacklogPoint][relcore.service.reports.BacklogPoint]s of each period meeting the report's range.

    Without group keys there is one point per period (zero included); with
    them, one per period and group that was open at the end of any period.
    """
    every = asked.period or Period.DAY
    days, ends = _ends(asked, every)
    counts: dict[tuple[object, ...], builtins.list[int]] = {}
    if not asked.by:
        counts[()] = [0] * len(days)
    for batch in _pages(uow, None, ends[-1] + _TICK, unsolved_at=ends[0]):
        histories = uow.case_changes.for_cases([c.id for c in batch])
        for case in batch:
            seen = standings(case, histories.get(case.id, []), ends)
            for i, (end, at) in enumerate(zip(ends, seen, strict=True)):
                if case.created_at <= end and at.is_open:
                    counts.setdefault(_key(asked, case, at, None), [0] * len(days))[i] += 1
    return [
        BacklogPoint(period=day, open=counts[key][i], **dict(zip(asked.by, key, strict=True)))  # type: ignore[arg-type]
        for i, day in enumerate(days)
        for key in sorted(counts, key=_order)
    ]


def complaints_per_thousand(uow: ServiceWork, asked: Report) -> builtins.list[ComplaintRate]:
    """The [ComplaintRate][relcore.service.reports.ComplaintRate] of each period meeting the report's range.

    Complaints are the cases of type complaint opened in ``[start, end)``, by
    the period of their opening; customers are counted at each period's end
    (created at or before it), reading every customer's creation time.
    """
    every = asked.period or Period.MONTH
    days, ends = _ends(asked, every)
    complaints = dict.fromkeys(days, 0)
    for batch in _pages(uow, asked.start, asked.end):
        for case in batch:
            if case.type == CaseType.COMPLAINT:
                complaints[first_day(case.created_at, every, asked.zone)] += 1
    created = sorted(_customer_times(uow))
    found: builtins.list[ComplaintRate] = []
    for day, end in zip(days, ends, strict=True):
        customers = bisect.bisect_right(created, end)
        rate = None if customers == 0 else complaints[day] * 1000 / customers
        found.append(ComplaintRate(period=day, complaints=complaints[day], customers=customers, rate=rate))
    return found


def _customer_times(uow: ServiceWork) -> Iterator[datetime]:
    after = None
    while True:
        page = uow.customers.list(after=after, limit=1000)
        yield from (c.created_at for c in page.items)
        if page.next_after is None:
            return
        after = page.next_after
