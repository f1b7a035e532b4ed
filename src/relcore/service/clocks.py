# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""SLA clocks, computed from a case's history and conversation as of an instant.

[clocks][relcore.service.clocks.clocks] reads nothing but what it is given: the
case, its history entries, its messages (our replies and the customer's) and a
resolver of the policy versions the history names. The answer is the clocks as
they stood at ``as_of``: entries and messages after it are ignored, as are
messages before the case's ``created_at``.

**Segments.** The entries cut the case's life into segments
``[at_i, at_{i+1})``, the last ending at ``as_of`` or at the first ``merged``
entry, whichever comes first (entries at one instant: the last one, in the
history's order, holds). Each segment has a status category ``c``, a priority
``p`` and a policy ``P`` (one version) or none. Before the first entry the case
is as that entry found it (its previous category, its priority and policy).

**Counting.** A segment *covers* a metric ``m`` when it has a policy with a target
``P.target(m, p)``; uncovered time counts for nothing. Covered time is measured
with ``d(a, b) = P.calendar.diff(a, b)`` for a business target, ``b - a`` otherwise,
and is

- *stopped* (counted nowhere) while ``c`` is solved or closed;
- *paused* while ``c`` is in ``P.pauses_for(m)``;
- *elapsed* otherwise.

For a clock starting at ``S`` and ending at ``E`` (its fulfilment, the merge, or
``as_of``): ``elapsed = Σ d(a, b)`` over its elapsed pieces of ``[S, E]``,
``paused = Σ d(a, b)`` over its paused ones, ``remaining = target - elapsed``,
where ``target`` is the target of the last covering segment (with its policy id
and version). ``started_at = P.calendar.next_open(S)`` for a business target of
the first covering segment, ``S`` otherwise: a case opened Friday 18:00 on a
Monday-Friday 09:00-17:00 calendar starts counting Monday 09:00.

**Re-targeting.** A priority or policy change changes the target in force from
that segment on; elapsed and paused time are sums over the whole history, so
they are kept. If ``elapsed > target`` at a change (or ``elapsed = target > 0``),
the clock breaches at the change.

**Breach.** ``breached_at`` is the first instant elapsed time reaches the target
in force while the clock is unfulfilled: in an elapsed piece ``[a, b)`` with
``need = target - elapsed(a) ≥ 0`` it is ``add(a, need)`` (``next_open(a)`` when
``need`` is 0) if that is at most ``b``. Reaching it exactly at the fulfilment or
the merge is in time; reaching it at ``as_of`` is a breach. A recorded breach
stays, even if a later change lengthens the target.

**Due and at risk.** ``due_at`` is the instant elapsed time reached the target
(when ``elapsed ≥ target``), else ``add(E, remaining)`` on the calendar of the
segment at the end, and ``None`` while the clock is paused. ``at_risk_at`` is the
same with ``target * P.at_risk`` in place of ``target``.

**Metrics.**

- ``first_response`` (instance 0): ``S = created_at``; fulfilled by our first
  outbound message at or after ``S``, or at the first instant the case is solved,
  whichever comes first.
- ``resolution`` (instance 0): ``S = created_at``; fulfilled at the latest entry
  into a solved category when the case is solved at its end. A reopen un-fulfils
  it; it resumes with the elapsed time it had (and a breach before the solve).
- ``next_response`` (instances 1, 2, ...): each inbound message that follows an
  outbound one starts an instance, unless one is already waiting; our next
  outbound message, or the case being solved, fulfils it. Messages at one
  instant: inbound first.

A ``merged`` entry stops every clock at the merge. A clock's state is, first
match: ``fulfilled`` or ``fulfilled_late`` (after a breach); ``stopped`` (merged);
``breached``; ``paused`` (its current segment pauses or does not cover it);
``running``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

import attrs

from relcore._kernel import checks as check
from relcore.ids import CaseId, CustomerId, SlaPolicyId
from relcore.service._timeline import ZERO, Timeline, pieces_of, reach, reached, segments_of, share
from relcore.service.model import Case, CaseChange, ordered
from relcore.service.policies import SlaMetric, SlaPolicy

_T = TypeVar("_T")

__all__ = ["CaseMessage", "ClockState", "PolicyResolver", "SlaClock", "clocks"]

PolicyResolver = Callable[[SlaPolicyId, int], SlaPolicy]
"""``policy_of(policy_id, version)``: a policy version named in a history (raises ``NotFoundError``)."""


@attrs.frozen(kw_only=True)
class CaseMessage:
    """A touchpoint of a case's conversation, as the clocks see it.

    Attributes:
        at: When it was sent (aware).
        outbound: Ours (a reply) rather than the customer's.
    """

    at: datetime = attrs.field(converter=check.aware)
    outbound: bool = attrs.field(converter=check.boolean)


class ClockState(StrEnum):
    """Where an SLA clock stands."""

    RUNNING = "running"
    """Counting, not yet due."""
    PAUSED = "paused"
    """Not counting: the case is in a category that pauses the metric (or its policy has no target now)."""
    BREACHED = "breached"
    """Unfulfilled, and its elapsed time reached the target."""
    FULFILLED = "fulfilled"
    """Fulfilled in time."""
    FULFILLED_LATE = "fulfilled_late"
    """Fulfilled after a breach."""
    STOPPED = "stopped"
    """Stopped unfulfilled: the case was merged into another."""


def _delta(value: object, field: attrs.Attribute) -> timedelta:  # type: ignore[type-arg]
    if not isinstance(value, timedelta):
        raise check.fail(field.name, f"expected a timedelta, got {check.kind(value)}")
    return value


def _instance(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value)


def _version(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, minimum=1)


_timedelta = attrs.Converter(_delta, takes_field=True)


@attrs.frozen(kw_only=True)
class SlaClock:
    """One SLA clock of a case as of an instant (see the module's formulas).

    Attributes:
        case_id: The case.
        customer_id: Its customer.
        metric: What the clock measures.
        instance: 0 for first response and resolution; 1, 2, ... for next-response instances.
        policy_id: The policy in force at the clock's end.
        policy_version: Its version.
        business: Whether the target counts business time on the policy's calendar.
        target: The target in force at the end.
        state: Where the clock stands.
        started_at: When it started counting (the next opening after its start, for business time).
        due_at: When it was, is or would be due running on without pause; ``None`` while paused.
        fulfilled_at: When it was fulfilled, if it was.
        breached_at: When its elapsed time reached the target in force while unfulfilled, if it did.
        at_risk_at: As ``due_at``, for the policy's at-risk share of the target.
        elapsed: Time counted (pauses excluded), in the target's units.
        paused: Time spent paused, in the same units.
        remaining: ``target - elapsed``; negative once overdue.
        as_of: The instant the clock was computed for.
    """

    case_id: CaseId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    metric: SlaMetric = attrs.field(converter=check.enum_converter(SlaMetric))
    instance: int = attrs.field(converter=attrs.Converter(_instance, takes_field=True))
    policy_id: SlaPolicyId = attrs.field(converter=check.uuid)
    policy_version: int = attrs.field(converter=attrs.Converter(_version, takes_field=True))
    business: bool = attrs.field(converter=check.boolean)
    target: timedelta = attrs.field(converter=_timedelta)
    state: ClockState = attrs.field(converter=check.enum_converter(ClockState))
    started_at: datetime = attrs.field(converter=check.aware)
    due_at: datetime | None = attrs.field(converter=check.optional_aware)
    fulfilled_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    breached_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    at_risk_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    elapsed: timedelta = attrs.field(converter=_timedelta)
    paused: timedelta = attrs.field(converter=_timedelta)
    remaining: timedelta = attrs.field(converter=_timedelta)
    as_of: datetime = attrs.field(converter=check.aware)

    @property
    def at_risk(self) -> bool:
        """Neither fulfilled, stopped nor breached, and past its at-risk instant at ``as_of``."""
        return (
            self.state in (ClockState.RUNNING, ClockState.PAUSED)
            and self.at_risk_at is not None
            and self.at_risk_at <= self.as_of
        )


@attrs.frozen
class _Run:
    case: Case
    timeline: Timeline
    as_of: datetime

    def clock(
        self, metric: SlaMetric, instance: int, start: datetime, fulfilled: datetime | None
    ) -> SlaClock | None:
        """The clock of ``metric`` started at ``start`` and fulfilled at ``fulfilled``, if it has a target."""
        if fulfilled is not None and fulfilled <= self.timeline.end:
            end = fulfilled
        else:
            end, fulfilled = self.timeline.end, None
        closing = fulfilled is not None or self.timeline.merged  # reaching the target at the end is in time
        found = pieces_of(self.timeline, metric, start, end)
        pieces = [p for p in found if p is not None]
        if not pieces:
            return None
        started_at = pieces[0].calendar.next_open(pieces[0].start)
        if started_at <= pieces[0].end:
            pieces[0] = attrs.evolve(pieces[0], start=started_at)
        elapsed = paused = ZERO
        breached_at = None
        for piece in pieces:
            need = piece.target - elapsed
            # a change to a target the elapsed time already reaches breaches at the change
            reached_already = need < ZERO or (need == ZERO and elapsed > ZERO)
            moment = piece.start if reached_already else reach(piece, need)
            if breached_at is None and moment is not None and (moment < end or not closing):
                breached_at = moment
            if piece.kind == "elapsed":
                elapsed += piece.amount
            elif piece.kind == "paused":
                paused += piece.amount
        last = pieces[-1]
        if fulfilled is not None:
            state = ClockState.FULFILLED_LATE if breached_at is not None else ClockState.FULFILLED
        elif self.timeline.merged:
            state = ClockState.STOPPED
        elif breached_at is not None:
            state = ClockState.BREACHED
        elif found[-1] is None or found[-1].kind != "elapsed":
            state = ClockState.PAUSED
        else:
            state = ClockState.RUNNING

        def instant(amount: timedelta) -> datetime | None:
            moment = reached(pieces, amount)
            if moment is not None or state is ClockState.PAUSED:
                return moment
            rest = amount - elapsed
            return last.calendar.next_open(end) if rest <= ZERO else last.calendar.add(end, rest)

        return SlaClock(
            case_id=self.case.id,
            customer_id=self.case.customer_id,
            metric=metric,
            instance=instance,
            policy_id=last.policy.id,
            policy_version=last.policy.version,
            business=last.business,
            target=last.target,
            state=state,
            started_at=started_at,
            due_at=instant(last.target),
            fulfilled_at=fulfilled,
            breached_at=breached_at,
            at_risk_at=instant(share(last.target, last.policy.at_risk)),
            elapsed=elapsed,
            paused=paused,
            remaining=last.target - elapsed,
            as_of=self.as_of,
        )


# -- every clock of a case -----------------------------------------------------------------


def _earliest(*moments: datetime | None) -> datetime | None:
    return min((m for m in moments if m is not None), default=None)


def _instances(messages: list[CaseMessage]) -> list[tuple[datetime, datetime | None]]:
    """Next-response instances: (start, our reply) for each inbound message that follows a reply."""
    found: list[tuple[datetime, datetime | None]] = []
    waiting: datetime | None = None
    replied = False
    for message in messages:
        if message.outbound:
            if waiting is not None:
                found.append((waiting, message.at))
                waiting = None
            replied = True
        elif replied and waiting is None:
            waiting = message.at
    if waiting is not None:
        found.append((waiting, None))
    return found


def _item(kind: type[_T], name: str) -> Callable[[str, object], _T]:
    def checked(path: str, item: object) -> _T:
        if not isinstance(item, kind):
            raise check.fail(path, f"expected a {name}, got {check.kind(item)}")
        return item

    return checked


def _checked(
    case: object, changes: object, messages: object, policy_of: object, as_of: object
) -> tuple[Case, list[CaseChange], tuple[CaseMessage, ...], datetime]:
    if not isinstance(case, Case):
        raise check.fail("case", f"expected a Case, got {check.kind(case)}")
    history = check.check_tuple(_item(CaseChange, "CaseChange"), "changes", changes)
    for i, change in enumerate(history):
        if change.case_id != case.id:
            raise check.fail(f"changes[{i}].case_id", "an entry of another case")
        if change.at < case.created_at:
            raise check.fail(f"changes[{i}].at", "earlier than the case's created_at")
    conversation = check.check_tuple(_item(CaseMessage, "CaseMessage"), "messages", messages)
    if not callable(policy_of):
        raise check.fail("policy_of", f"expected a callable, got {check.kind(policy_of)}")
    return case, ordered(history), conversation, check.check_datetime("as_of", as_of)


def clocks(
    case: Case,
    changes: Iterable[CaseChange],
    messages: Iterable[CaseMessage],
    policy_of: PolicyResolver,
    as_of: datetime,
) -> tuple[SlaClock, ...]:
    """The SLA clocks of ``case`` as they stood at ``as_of``, computed from its history and messages.

    Args:
        case: The case.
        changes: Its history entries (any order; those after ``as_of`` are ignored).
        messages: Its conversation (those before its ``created_at`` or after ``as_of`` are ignored).
        policy_of: Resolves a policy id and version named in the history.
        as_of: The instant to answer for (aware).

    Returns:
        First response, next-response instances, then resolution: each metric
        that has a target in some segment of its clock. Nothing before the case was created.

    Raises:
        ValidationError: A bad argument, or a history entry of another case or before its creation.
        NotFoundError: From ``policy_of``, for a policy version it does not know.
    """
    case, history, conversation, moment = _checked(case, changes, messages, policy_of, as_of)
    if moment < case.created_at:
        return ()
    timeline = segments_of(case, history, policy_of, moment)
    start = case.created_at
    talk = sorted((m for m in conversation if start <= m.at <= moment), key=lambda m: (m.at, m.outbound))
    run = _Run(case, timeline, moment)
    reply = next((m.at for m in talk if m.outbound), None)
    found = [run.clock(SlaMetric.FIRST_RESPONSE, 0, start, _earliest(reply, timeline.solved_from(start)))]
    for number, (began, answered) in enumerate(_instances(talk), start=1):
        if timeline.merged and began >= timeline.end:
            break
        fulfilled = _earliest(answered, timeline.solved_from(min(began, timeline.end)))
        found.append(run.clock(SlaMetric.NEXT_RESPONSE, number, began, fulfilled))
    found.append(run.clock(SlaMetric.RESOLUTION, 0, start, timeline.solved_since()))
    return tuple(c for c in found if c is not None)
