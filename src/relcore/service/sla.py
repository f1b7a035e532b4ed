"""SLA use cases: a case's clocks as of an instant, and the sweep that announces at-risk and breached clocks.

The clocks are computed from each case's history and conversation by
[clocks][relcore.service.clocks.clocks]; nothing about them is stored but
what the sweep announced ([SlaMark][relcore.service.marks.SlaMark]) and each case's
first recorded breach (``breached_at``, which rules can test). The sweep reads
the cases whose clocks may still run (neither closed nor merged) a page at a
time, with their histories, messages and marks in bulk, so its cost grows
with the number of those cases, not with the number of times it runs.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent
from relcore.ids import CaseId, SlaPolicyId
from relcore.service.clocks import SlaClock, clocks
from relcore.service.marks import MarkKind, SlaAtRisk, SlaBreached, SlaMark
from relcore.service.model import Case
from relcore.service.policies import SlaPolicy
from relcore.service.ports import ServiceWork
from relcore.service.services import policy_resolver

__all__ = ["SweepReport", "case_clocks", "sweep"]

SWEEP_PAGE = 500
"""How many cases the sweep reads at a time."""


@attrs.frozen
class SweepReport:
    """What one sweep did.

    Attributes:
        as_of: The instant it swept for.
        cases: How many cases it looked at (neither closed nor merged).
        at_risk: How many clocks it announced at risk now.
        breached: How many clocks it announced breached now.
    """

    as_of: datetime
    cases: int
    at_risk: int
    breached: int


def case_clocks(uow: ServiceWork, case_id: CaseId, as_of: datetime) -> tuple[SlaClock, ...]:
    """The SLA clocks of one case as they stood at ``as_of``.

    Raises:
        NotFoundError: No such case.
    """
    case = uow.cases.get(case_id)
    talk = uow.case_conversations.messages([case]).get(case.id, [])
    return clocks(case, uow.case_changes.for_case(case.id), talk, policy_resolver(uow), as_of)


def _announce(clock: SlaClock, known: set[tuple[CaseId, str, int, str]], as_of: datetime) -> list[SlaMark]:
    """The marks ``clock`` calls for at ``as_of`` that are not ``known`` yet."""
    found: list[SlaMark] = []
    wanted: list[tuple[MarkKind, datetime | None]] = []
    if clock.breached_at is not None and clock.breached_at <= as_of:
        wanted.append((MarkKind.BREACHED, clock.breached_at))
    elif clock.at_risk:
        wanted.append((MarkKind.AT_RISK, clock.at_risk_at))
    for kind, at in wanted:
        key = (clock.case_id, clock.metric.value, clock.instance, kind.value)
        if at is not None and key not in known:
            mark = SlaMark(
                case_id=clock.case_id,
                customer_id=clock.customer_id,
                metric=clock.metric,
                instance=clock.instance,
                kind=kind,
                at=at,
                marked_at=as_of,
            )
            found.append(mark)
    return found


def _event(mark: SlaMark, clock: SlaClock) -> DomainEvent:
    policy: SlaPolicyId = clock.policy_id
    if mark.kind is MarkKind.BREACHED:
        return SlaBreached(mark.case_id, mark.customer_id, mark.metric, mark.instance, mark.at, policy)
    due = clock.due_at or mark.at
    return SlaAtRisk(mark.case_id, mark.customer_id, mark.metric, mark.instance, mark.at, due, policy)


def sweep(
    uow: ServiceWork,
    as_of: datetime,
    *,
    progress: Callable[[int], None] | None = None,
) -> SweepReport:
    """Announce, once each, the clocks that are at risk or breached at ``as_of``.

    Every case neither closed nor merged is looked at. A clock breached at
    ``as_of`` that has no breach mark gets one and raises
    [SlaBreached][relcore.service.marks.SlaBreached]; a clock at risk (past its
    policy's at-risk share, unfulfilled, not breached) that has no at-risk
    mark gets one and raises [SlaAtRisk][relcore.service.marks.SlaAtRisk]. A case's
    first breach is recorded on it (``breached_at``). Marks are never
    removed, so running the sweep again, for the same or a later instant,
    announces nothing twice. ``progress`` receives the number of cases looked
    at after each page.
    """
    moment = check.check_datetime("as_of", as_of)
    policy_of: Callable[[SlaPolicyId, int], SlaPolicy] = policy_resolver(uow)
    seen = at_risk = breached = 0
    after = None
    while True:
        page = uow.cases.running(after=after, limit=SWEEP_PAGE)
        batch: builtins.list[Case] = builtins.list(page.items)
        if batch:
            ids = [c.id for c in batch]
            histories = uow.case_changes.for_cases(ids)
            talks = uow.case_conversations.messages(batch)
            known = {
                (m.case_id, m.metric.value, m.instance, m.kind.value) for m in uow.sla_marks.for_cases(ids)
            }
            announced: list[tuple[SlaMark, SlaClock]] = []
            for case in batch:
                for clock in clocks(
                    case, histories.get(case.id, []), talks.get(case.id, []), policy_of, moment
                ):
                    announced += [(mark, clock) for mark in _announce(clock, known, moment)]
            marks = [mark for mark, _ in announced]
            if uow.sla_marks.add_many(marks) < len(marks):
                # another sweep stored some of them meanwhile: announce only the marks stored as ours
                ours = {m.id for m in uow.sla_marks.for_cases(ids)}
                announced = [(mark, clock) for mark, clock in announced if mark.id in ours]
            unbreached = {case.id for case in batch if case.breached_at is None}
            first: dict[CaseId, datetime] = {}
            for mark, clock in announced:
                uow.record(_event(mark, clock))
                if mark.kind is MarkKind.BREACHED:
                    breached += 1
                    if mark.case_id in unbreached:
                        first[mark.case_id] = min(mark.at, first.get(mark.case_id, mark.at))
                else:
                    at_risk += 1
            uow.cases.record_breaches(first)
            seen += len(batch)
            if progress is not None:
                progress(seen)
        if page.next_after is None:
            return SweepReport(moment, seen, at_risk, breached)
        after = page.next_after
