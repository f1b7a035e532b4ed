"""The case operations as pure decisions: the case before, the request, the case after.

Each function checks the request against the case and returns a
[Decision][relcore.service.decisions.Decision]: the changed case, the history
entry recording the change, and the events to publish. Nothing is stored
here; the services store the decision, version-checked, in one unit of work.
A request that changes nothing gives a decision without a history entry or
events.

Which SLA policy applies is decided here too, from a ``match`` function the
service passes (the first policy whose condition the changed case meets): a
case keeps the policy *version* it runs on while the same policy keeps
matching, so editing a policy never re-targets running clocks; a change that
makes another policy match (or none) moves the case to that policy's
current version, and the clocks re-target, keeping the time already counted
and paused (they are computed from the whole history).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent
from relcore.ids import CaseId
from relcore.service.model import (
    Case,
    CaseChange,
    CaseChangeKind,
    CaseMerged,
    CaseOpened,
    CaseReopened,
    CaseSolved,
    CaseStatusChanged,
    CaseUpdated,
)
from relcore.service.policies import SlaPolicy
from relcore.service.statuses import CaseStatus, Priority, StatusCategory

__all__ = [
    "Decision",
    "Match",
    "assign",
    "merge",
    "open_case",
    "rematch",
    "respond",
    "set_priority",
    "set_status",
]

Match = Callable[[Case], SlaPolicy | None]
"""The policy that applies to a case as it would be (the first match), or ``None``."""


@attrs.frozen
class Decision:
    """What an operation decided.

    Attributes:
        case: The case after the operation (with the version it had before: the store checks it).
        change: The history entry to append, or ``None`` when nothing tracked changed.
        events: The events to publish after commit.
    """

    case: Case
    change: CaseChange | None
    events: tuple[DomainEvent, ...] = ()


def _when(case: Case, at: datetime) -> datetime:
    moment = check.check_datetime("at", at)
    if moment < case.changed_at:
        raise check.fail("at", "earlier than the case's last recorded change; history runs forward")
    return moment


def _live(case: Case) -> None:
    if case.merged_into is not None:
        raise check.fail("case_id", "the case was merged into another; work on that one")


def _with_policy(case: Case, match: Match) -> Case:
    """``case`` on the policy that matches it: the same version while the same policy matches."""
    policy = match(case)
    if policy is None:
        return attrs.evolve(case, policy_id=None, policy_version=None)
    if policy.id == case.policy_id:
        return case
    return attrs.evolve(case, policy_id=policy.id, policy_version=policy.version)


def _decided(
    before: Case, after: Case, kind: CaseChangeKind, at: datetime, actor: str | None, *events: DomainEvent
) -> Decision:
    after = attrs.evolve(after, changed_at=at)
    change = CaseChange.between(before, after, kind, at, actor)
    updated = CaseUpdated(after.id, after.customer_id, after.version + 1)
    return Decision(after, change, events or (updated,))


def open_case(case: Case, status: CaseStatus, match: Match, *, actor: str | None = None) -> Decision:
    """Open ``case`` in ``status`` (its category is the status's) on the policy that matches it.

    Raises:
        ValidationError: The status is inactive, or solved or closed (``status``); the case says it
            was responded to, solved, closed, reopened or merged already.
    """
    if not status.active:
        raise check.fail("status", "the status is inactive")
    if status.category.is_solved:
        raise check.fail("status", "a case opens unsolved")
    for name in ("first_responded_at", "merged_into", "breached_at"):
        if getattr(case, name) is not None:
            raise check.fail(name, "a new case has none; the service operations set it")
    if case.reopen_count:
        raise check.fail("reopen_count", "a new case was never reopened")
    opened = _with_policy(
        attrs.evolve(case, status=status.key, category=status.category, changed_at=case.created_at), match
    )
    change = CaseChange.between(None, opened, CaseChangeKind.OPENED, opened.created_at, actor)
    return Decision(
        opened, change, (CaseOpened(opened.id, opened.customer_id, opened.priority, opened.channel),)
    )


def set_status(
    case: Case, status: CaseStatus, at: datetime, match: Match, *, actor: str | None = None
) -> Decision:
    """Move ``case`` to ``status``.

    Entering a solved status sets ``solved_at``; entering closed sets ``closed_at``
    (and ``solved_at`` if it was not solved); leaving solved for an unsolved
    status reopens the case (``reopen_count`` + 1). A closed case stays closed.

    Raises:
        ValidationError: The status is inactive (``status``), the case is closed or merged,
            or ``at`` is before the case's last change.
    """
    moment = _when(case, at)
    _live(case)
    if status.key == case.status:
        return Decision(case, None)
    if case.category is StatusCategory.CLOSED:
        raise check.fail("status", "a closed case stays closed; open a new case")
    if not status.active:
        raise check.fail("status", "the status is inactive")
    target = status.category
    changes: dict[str, object] = {"status": status.key, "category": target}
    reopened = case.category.is_solved and not target.is_solved
    if target.is_solved and not case.category.is_solved:
        changes["solved_at"] = moment
    if target is StatusCategory.CLOSED:
        changes["closed_at"] = moment
    if reopened:
        changes.update(solved_at=None, reopen_count=case.reopen_count + 1)
    after = attrs.evolve(case, **changes)
    version = case.version + 1
    events: list[DomainEvent] = []
    if reopened:
        events.append(CaseReopened(case.id, case.customer_id, status.key, version))
        kind = CaseChangeKind.REOPENED
    else:
        events.append(CaseStatusChanged(case.id, case.customer_id, case.status, status.key, target, version))
        kind = CaseChangeKind.STATUS
    if target is StatusCategory.SOLVED and not case.category.is_solved:
        events.append(CaseSolved(case.id, case.customer_id, version))
    return _decided(case, after, kind, moment, actor, *events)


def set_priority(
    case: Case, priority: Priority, at: datetime, match: Match, *, actor: str | None = None
) -> Decision:
    """Give ``case`` another priority; the policy that matches it afterwards applies (the clocks re-target).

    Raises:
        ValidationError: The case is merged, or ``at`` is before its last change.
    """
    moment = _when(case, at)
    _live(case)
    wanted = check.check_enum(Priority, "priority", priority)
    if wanted is case.priority:
        return Decision(case, None)
    after = _with_policy(attrs.evolve(case, priority=wanted), match)
    return _decided(case, after, CaseChangeKind.PRIORITY, moment, actor)


def assign(
    case: Case,
    team: str | None,
    assignee: str | None,
    at: datetime,
    match: Match,
    *,
    actor: str | None = None,
) -> Decision:
    """Give ``case`` to ``team`` and ``assignee`` (``None`` unassigns); then the matching policy applies.

    Raises:
        ValidationError: A bad team or assignee, the case is merged, or ``at`` is before its last change.
    """
    moment = _when(case, at)
    _live(case)
    after = attrs.evolve(case, team=team, assignee=assignee)
    if (after.team, after.assignee) == (case.team, case.assignee):
        return Decision(case, None)
    return _decided(case, _with_policy(after, match), CaseChangeKind.ASSIGNED, moment, actor)


def rematch(case: Case, at: datetime, match: Match, *, actor: str | None = None) -> Decision:
    """Apply the policy that matches ``case`` now (after its type, channel or tags were saved).

    Gives a ``policy`` history entry when the policy changes, else no change.
    """
    moment = _when(case, at)
    after = _with_policy(case, match)
    if (after.policy_id, after.policy_version) == (case.policy_id, case.policy_version):
        return Decision(case, None)
    return _decided(case, after, CaseChangeKind.POLICY, moment, actor)


def merge(case: Case, into: Case, at: datetime, *, actor: str | None = None) -> Decision:
    """Merge ``case`` into ``into``: it is closed as merged, and its clocks stop.

    Raises:
        ValidationError: Merging a case into itself, into a merged or closed case, or across
            customers (``into``); the case is merged already; ``at`` is before its last change.
    """
    moment = _when(case, at)
    _live(case)
    if into.id == case.id:
        raise check.fail("into", "a case cannot be merged into itself")
    if into.customer_id != case.customer_id:
        raise check.fail("into", "cases merge only within one customer")
    if into.merged_into is not None or into.category is StatusCategory.CLOSED:
        raise check.fail("into", "the target case is merged or closed")
    after = attrs.evolve(
        case,
        status=StatusCategory.CLOSED.value,
        category=StatusCategory.CLOSED,
        solved_at=case.solved_at or moment,
        closed_at=moment,
        merged_into=into.id,
    )
    merged = CaseMerged(case.id, case.customer_id, CaseId(into.id), case.version + 1)
    return _decided(case, after, CaseChangeKind.MERGED, moment, actor, merged)


def respond(case: Case, at: datetime) -> Case | None:
    """The case with its first response at ``at``, if ``at`` is its first reply; else ``None``.

    A reply before the case was created is not a response to it.
    """
    moment = check.check_datetime("at", at)
    if moment < case.created_at:
        return None
    if case.first_responded_at is not None and case.first_responded_at <= moment:
        return None
    return attrs.evolve(case, first_responded_at=moment)
