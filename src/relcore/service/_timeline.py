"""The case's life as segments, and the pieces of them one SLA clock counts (see relcore.service.clocks)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from relcore._kernel import checks as check
from relcore.ids import SlaPolicyId
from relcore.service.calendars import BusinessCalendar
from relcore.service.model import Case, CaseChange, CaseChangeKind
from relcore.service.policies import SlaMetric, SlaPolicy
from relcore.service.statuses import Priority, StatusCategory

ZERO = timedelta(0)
_REAL_TIME = BusinessCalendar.always()


# -- the case's life as segments ---------------------------------------------------------


@attrs.frozen
class Segment:
    start: datetime
    end: datetime
    category: StatusCategory
    priority: Priority
    policy: SlaPolicy | None


@attrs.frozen
class Piece:
    """The part of a segment inside one clock, as that clock counts it."""

    start: datetime
    end: datetime
    calendar: BusinessCalendar  # the calendar counting it: the policy's, or real time
    target: timedelta
    policy: SlaPolicy
    business: bool
    kind: str  # "elapsed", "paused" or "stopped"
    amount: timedelta  # calendar.diff(start, end)


@attrs.frozen
class Timeline:
    segments: tuple[Segment, ...]
    end: datetime  # as_of, or the merge
    merged: bool

    def at(self, moment: datetime) -> Segment:
        """The segment in force at ``moment`` (from the first segment's start to ``end``)."""
        return next(s for s in reversed(self.segments) if s.start <= moment)

    def solved_from(self, moment: datetime) -> datetime | None:
        """The first instant at or after ``moment`` (up to the end) at which the case is solved."""
        if self.at(moment).category.is_solved:
            return moment
        return next((s.start for s in self.segments if s.start > moment and s.category.is_solved), None)

    def solved_since(self) -> datetime | None:
        """The latest entry into a solved category, if the case is solved at the end."""
        since = None
        for segment in self.segments:
            if not segment.category.is_solved:
                since = None
            elif since is None:
                since = segment.start
        return since


def segments_of(
    case: Case, history: list[CaseChange], policy_of: Callable[[SlaPolicyId, int], SlaPolicy], as_of: datetime
) -> Timeline:
    policies: dict[tuple[SlaPolicyId, int], SlaPolicy] = {}

    def policy(policy_id: SlaPolicyId | None, version: int | None) -> SlaPolicy | None:
        if policy_id is None or version is None:
            return None
        key = (policy_id, version)
        if key not in policies:
            found = policy_of(policy_id, version)
            if not isinstance(found, SlaPolicy):
                raise check.fail("policy_of", f"expected it to return an SlaPolicy, got {check.kind(found)}")
            policies[key] = found
        return policies[key]

    entries = [c for c in history if c.at <= as_of]
    merge = next((i for i, c in enumerate(entries) if c.kind is CaseChangeKind.MERGED), None)
    end = as_of if merge is None else entries[merge].at
    states: list[tuple[datetime, StatusCategory, Priority, SlaPolicy | None]] = []
    if not entries:
        initial = policy(case.policy_id, case.policy_version)
        states.append((case.created_at, case.category, case.priority, initial))
    elif entries[0].at > case.created_at:  # before the first entry, the case was as it found it
        first = entries[0]
        before, initial = first.prev_category or first.category, policy(first.policy_id, first.policy_version)
        states.append((case.created_at, before, first.priority, initial))
    for entry in entries[:merge]:
        state = (entry.at, entry.category, entry.priority, policy(entry.policy_id, entry.policy_version))
        if states and states[-1][0] == entry.at:
            states[-1] = state  # one instant, one state: the last entry's
        else:
            states.append(state)
    if not states:  # merged at its opening
        first = entries[0]
        states.append((case.created_at, first.prev_category or first.category, first.priority, None))
    ends = [s[0] for s in states[1:]] + [end]
    segments = tuple(Segment(s[0], e, s[1], s[2], s[3]) for s, e in zip(states, ends, strict=True))
    return Timeline(segments, end, merge is not None)


# -- one clock ----------------------------------------------------------------------------


def pieces_of(timeline: Timeline, metric: SlaMetric, start: datetime, end: datetime) -> list[Piece | None]:
    """The segments within ``[start, end]`` as the clock counts them (``None``: not covered)."""
    last = timeline.at(end)
    found: list[Piece | None] = []
    for segment in timeline.segments:
        a, b = max(segment.start, start), min(segment.end, end)
        if a > b or (a == b and segment is not last):
            continue
        target = None if segment.policy is None else segment.policy.target(metric, segment.priority)
        if segment.policy is None or target is None:
            found.append(None)
            continue
        calendar = segment.policy.calendar if target.business else _REAL_TIME
        if segment.category.is_solved:
            kind = "stopped"
        elif segment.category in segment.policy.pauses_for(metric):
            kind = "paused"
        else:
            kind = "elapsed"
        duration = timedelta(minutes=target.minutes)
        amount = calendar.diff(a, b)
        found.append(Piece(a, b, calendar, duration, segment.policy, target.business, kind, amount))
    return found


def reach(piece: Piece, need: timedelta) -> datetime | None:
    """The instant ``need`` more elapsed time is counted within ``piece``, if it is."""
    if piece.kind != "elapsed" or need > piece.amount:
        return None
    moment = piece.calendar.next_open(piece.start) if need == ZERO else piece.calendar.add(piece.start, need)
    return moment if moment <= piece.end else None


def reached(pieces: list[Piece], amount: timedelta) -> datetime | None:
    """The first instant the clock's elapsed time reached ``amount``, if it did."""
    elapsed = ZERO
    for piece in pieces:
        moment = reach(piece, amount - elapsed)
        if moment is not None:
            return moment
        if piece.kind == "elapsed":
            elapsed += piece.amount
    return None


def share(target: timedelta, share: Decimal) -> timedelta:
    """``share`` of ``target``, to the microsecond below."""
    return timedelta(microseconds=int(Decimal(target // timedelta(microseconds=1)) * share))
