"""Service use cases: statuses, SLA policies and the operations on cases, against the ports only.

Every operation on a case reads it, asks the pure decision
([relcore.service.decisions][]), then stores the changed case
(version-checked) and appends its history entry in the same unit of work,
and records the events for after the commit. A failed check leaves the
store unchanged.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_instance
from relcore.activity.model import Direction, Touchpoint
from relcore.errors import ConflictError, NotFoundError
from relcore.ids import CaseId, CustomerId, SegmentId, SlaPolicyId
from relcore.segments import Catalogue
from relcore.segments.model import Segment
from relcore.segments.services import explain_membership
from relcore.service.decisions import Decision, Match, open_case, respond
from relcore.service.model import Case
from relcore.service.policies import SlaPolicy, SlaPolicyRevision, first_match
from relcore.service.ports import ServiceWork
from relcore.service.statuses import BUILTIN_STATUSES, CaseStatus, check_status_key
from relcore.storage.base import AggregateRepository

__all__ = [
    "TRACKED",
    "add_policy",
    "add_status",
    "every",
    "matcher",
    "open",
    "operate",
    "policy_resolver",
    "record_message",
    "reopen_status",
    "save_case",
    "save_policy",
    "save_status",
    "status",
    "statuses",
    "store",
    "with_breach",
]

TRACKED = (
    "customer_id",
    "status",
    "category",
    "priority",
    "team",
    "assignee",
    "policy_id",
    "policy_version",
    "created_at",
    "first_responded_at",
    "solved_at",
    "closed_at",
    "reopen_count",
    "merged_into",
    "breached_at",
    "changed_at",
)
"""Case fields only the service operations change (``save`` refuses to)."""

_BUILTIN = {s.key: s for s in BUILTIN_STATUSES}


def every(repository: AggregateRepository[Any]) -> Iterator[Any]:
    """Every entity of ``repository``, page by page in id order."""
    after: UUID | None = None
    while True:
        page = repository.list(after=after, limit=1000)
        yield from page.items
        if page.next_after is None:
            return
        after = page.next_after


# -- statuses ---------------------------------------------------------------------------------


def statuses(uow: ServiceWork) -> builtins.list[CaseStatus]:
    """The built-in statuses, then the stored ones by key."""
    return [*BUILTIN_STATUSES, *sorted(every(uow.case_statuses), key=lambda s: s.key)]


def status(uow: ServiceWork, key: str, *, field: str = "status") -> CaseStatus:
    """The status ``key``, built-in or stored.

    Raises:
        ValidationError: No such status (naming ``field``).
    """
    wanted = check_status_key(field, key)
    found = _BUILTIN.get(wanted) or uow.case_statuses.find(wanted)
    if found is None:
        raise check.fail(field, "no such case status")
    return found


def add_status(uow: ServiceWork, added: CaseStatus) -> CaseStatus:
    """Store a new status.

    Raises:
        ConflictError: Its key is a built-in status's or a stored one's, or its id is stored.
    """
    check_instance("status", added, CaseStatus)
    if added.key in _BUILTIN or not uow.case_statuses.add(added):
        raise ConflictError("a case status has this key already")
    return added


def save_status(uow: ServiceWork, changed: CaseStatus) -> CaseStatus:
    """Store a changed status (version-checked): its label or whether it is active.

    Raises:
        ValidationError: Its key changed, or its category changed while cases use it.
        NotFoundError: It was never added.
        ConflictError: Stale version.
    """
    check_instance("status", changed, CaseStatus)
    stored = uow.case_statuses.get(changed.id)
    if changed.key != stored.key:
        raise check.fail("key", "a status keeps its key (cases store it)")
    if changed.category is not stored.category and uow.case_changes.uses_status(stored.key):
        raise check.fail("category", "cases use the status; add another status instead")
    return uow.case_statuses.save(changed)


# -- policies ---------------------------------------------------------------------------------


def add_policy(uow: ServiceWork, policy: SlaPolicy) -> SlaPolicy:
    """Store a new policy and its first revision.

    Raises:
        ConflictError: Another policy has its name, or its id is stored.
    """
    check_instance("policy", policy, SlaPolicy)
    if not uow.sla_policies.add(policy):
        raise ConflictError("another SLA policy has this name")
    uow.sla_revisions.add(SlaPolicyRevision.of(policy, policy.updated_at))
    return policy


def save_policy(uow: ServiceWork, policy: SlaPolicy) -> SlaPolicy:
    """Store a changed policy as a new version, keeping the old versions for the clocks that run on them.

    Raises:
        NotFoundError: It was never added.
        ConflictError: Stale version, or another policy has its name.
    """
    check_instance("policy", policy, SlaPolicy)
    saved = uow.sla_policies.save(policy)
    uow.sla_revisions.add(SlaPolicyRevision.of(saved, saved.updated_at))
    return saved


def policy_resolver(uow: ServiceWork) -> Callable[[SlaPolicyId, int], SlaPolicy]:
    """A function giving a policy at a version, each read once.

    Raises (when called):
        NotFoundError: No such revision.
    """
    known: dict[tuple[UUID, int], SlaPolicy] = {}

    def policy_of(policy_id: SlaPolicyId, version: int) -> SlaPolicy:
        key = (policy_id, version)
        if key not in known:
            revision = uow.sla_revisions.find(policy_id, version)
            if revision is None:
                raise NotFoundError("SLA policy revision", policy_id)
            known[key] = revision.policy
        return known[key]

    return policy_of


def matcher(uow: ServiceWork, catalogue: Catalogue, at: datetime) -> Match:
    """The function finding the policy that applies to a case: the first active one it meets.

    A condition naming segments asks whether the case's customer is in one of them at
    ``at``: a stored member of a list segment, a customer meeting a rule segment's rule.
    """
    policies = list(every(uow.sla_policies))
    named = {s for p in policies if p.active for s in p.condition.segments}
    segments: dict[SegmentId, Segment] = {}
    for segment_id in named:
        try:
            segments[segment_id] = uow.segments.get(segment_id)
        except NotFoundError:
            continue  # a policy naming a deleted segment matches nobody through it

    def member_of(customer_id: CustomerId) -> set[SegmentId]:
        found: set[SegmentId] = set()
        for segment_id, segment in segments.items():
            if segment.rule is None:
                held = customer_id in set(uow.segments.stored_members(segment_id))
            else:
                held = explain_membership(uow, segment, customer_id, at, catalogue).held
            if held:
                found.add(segment_id)
        return found

    def match(case: Case) -> SlaPolicy | None:
        in_segments = member_of(case.customer_id) if segments else set()
        return first_match(policies, case, in_segments)

    return match


# -- cases ------------------------------------------------------------------------------------


def _check_links(uow: ServiceWork, case: Case) -> None:
    uow.customers.get(case.customer_id)
    if case.contact_id is not None and uow.contacts.get(case.contact_id).customer_id != case.customer_id:
        raise check.fail("contact_id", "the contact is not the case's customer's")
    if case.parent_id is not None and uow.cases.get(case.parent_id).customer_id != case.customer_id:
        raise check.fail("parent_id", "the parent case is another customer's")
    if case.opportunity_id is not None and uow.opportunities.get(case.opportunity_id).customer_id != (
        case.customer_id
    ):
        raise check.fail("opportunity_id", "the deal is another customer's")


def store(uow: ServiceWork, decision: Decision) -> Case:
    """Store a decision about a stored case: the case (version-checked), its history entry, its events."""
    if decision.change is None:
        return decision.case
    saved = uow.cases.save(decision.case)
    uow.case_changes.add(decision.change)
    for event in decision.events:
        uow.record(event)
    return saved


def open(uow: ServiceWork, case: Case, match: Match, *, actor: str | None = None) -> Case:
    """Store a new case in its status, on the policy that matches it, with the first entry of its history.

    Raises:
        NotFoundError: Its customer, contact, parent case or deal does not exist.
        ValidationError: Its status is unknown, inactive or solved; its contact, parent or deal
            is another customer's.
        ConflictError: Its id is stored.
    """
    check_instance("case", case, Case)
    decision = open_case(case, status(uow, case.status), match, actor=actor)
    _check_links(uow, case)
    opened = decision.case
    if not uow.cases.add(opened):
        raise ConflictError("the case is stored already")
    assert decision.change is not None
    uow.case_changes.add(decision.change)
    for event in decision.events:
        uow.record(event)
    return opened


def operate(
    uow: ServiceWork, case_id: CaseId, version: int | None, decide: Callable[[Case], Decision]
) -> Case:
    """Run one operation on a stored case: ``decide(case)``, then store what it decided.

    Raises:
        NotFoundError: No such case.
        ConflictError: ``version`` is given and the case's differs, or another writer changed it meanwhile.
    """
    case = uow.cases.get(case_id)
    if version is not None and case.version != version:
        raise ConflictError(f"case {case.id} was changed by someone else")
    return store(uow, decide(case))


def save_case(uow: ServiceWork, case: Case) -> Case:
    """Store a case's untracked fields (subject, description, channel, type, contact, tags, attributes...).

    Raises:
        ValidationError: A tracked field (status, priority, team...) differs from the stored case's;
            the service operations change those.
        ConflictError: Stale version.
        NotFoundError: The case was never opened.
    """
    check_instance("case", case, Case)
    stored = uow.cases.get(case.id)
    for name in TRACKED:
        if getattr(case, name) != getattr(stored, name):
            raise check.fail(name, "changes only through the service operations (set_status, assign...)")
    _check_links(uow, case)
    return uow.cases.save(case)


def record_message(uow: ServiceWork, touchpoint: Touchpoint) -> tuple[bool, Case]:
    """Record a message of a case's conversation: a touchpoint naming the case and its customer.

    An outbound message is a reply: the first one after the case was created
    sets its ``first_responded_at``. Idempotent like every touchpoint: a
    message whose ``(source, external_id)`` is stored changes nothing.
    Returns whether the message was new, and the case.

    Raises:
        ValidationError: The touchpoint names no case (``case_id``), or a case of another customer.
        NotFoundError: No such case.
    """
    check_instance("touchpoint", touchpoint, Touchpoint)
    if touchpoint.case_id is None:
        raise check.fail("case_id", "a case message names its case")
    case = uow.cases.get(touchpoint.case_id)
    if case.customer_id != touchpoint.customer_id:
        raise check.fail("customer_id", "the case is another customer's")
    if not uow.touchpoints.add(touchpoint):
        return False, case
    if touchpoint.direction is Direction.OUTBOUND:
        responded = respond(case, touchpoint.occurred_at)
        if responded is not None:
            case = uow.cases.save(responded)
    return True, case


def reopen_status(uow: ServiceWork, key: str) -> CaseStatus:
    """The status a case reopens into: ``key``, which must be unsolved.

    Raises:
        ValidationError: Unknown or solved status (``status``).
    """
    found = status(uow, key)
    if found.category.is_solved:
        raise check.fail("status", "a case reopens into an unsolved status")
    return found


def with_breach(case: Case, at: datetime) -> Case | None:
    """The case recording its first breach at ``at``, if it had none recorded (else ``None``)."""
    if case.breached_at is not None:
        return None
    return attrs.evolve(case, breached_at=at)
