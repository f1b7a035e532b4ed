# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Service cases, their append-only history, and the service context's events.

A [Case][relcore.service.Case] is one request of one customer: a question,
an incident, a complaint... Every change of its status, priority,
assignment or SLA policy is recorded as a
[CaseChange][relcore.service.CaseChange], never rewritten: the SLA clocks
are computed from that history and from the touchpoints that name the case
(its conversation), so they can be answered as of any moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent, version_field
from relcore._kernel.tokens import token_converter
from relcore.clock import system_clock
from relcore.customers.model import Channel, version_converter
from relcore.ids import CaseChangeId, CaseId, ContactId, CustomerId, OpportunityId, SlaPolicyId, new_id
from relcore.service.statuses import Priority, StatusCategory, check_status_key
from relcore.vocabularies import CaseType

__all__ = [
    "Case",
    "CaseChange",
    "CaseChangeKind",
    "CaseMerged",
    "CaseOpened",
    "CaseReopened",
    "CaseSolved",
    "CaseStatusChanged",
    "CaseUpdated",
    "ordered",
]


def _status(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    return check_status_key(field.name, value)


def _optional_status(value: object, field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
    return None if value is None else check_status_key(field.name, value)


def _tags(value: object, field: attrs.Attribute) -> tuple[str, ...]:  # type: ignore[type-arg]
    return tuple(sorted(check.tags.converter(value, field)))  # type: ignore[attr-defined]


def _reopens(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value)


def _version(value: object, field: attrs.Attribute) -> int | None:  # type: ignore[type-arg]
    return None if value is None else check.positive_int(field.name, value, minimum=1)


_optional_version = attrs.Converter(_version, takes_field=True)
status_field = attrs.Converter(_status, takes_field=True)
optional_status_field = attrs.Converter(_optional_status, takes_field=True)


@attrs.frozen(kw_only=True)
class Case:
    """A service case: one request of one customer, where it stands, and who works on it.

    Open one with ``crm.service.open``; its status, priority, assignment and
    SLA policy then change only through the service operations
    (``set_status``, ``set_priority``, ``assign``, ``reopen``, ``merge``), which
    write its history. Other fields (subject, tags, attributes...) change
    with `attrs.evolve` and ``crm.service.save``.

    Attributes:
        id: Time-ordered UUID.
        customer_id: The customer who asked.
        contact_id: The person who asked, if known.
        subject: A short summary (may hold personal data: never in messages).
        description: The request in full, if given (personal data too).
        channel: Where it came in (e-mail, phone, web, chat... or a declared channel).
        type: What it is about: question, incident, problem, complaint, request, or a declared type.
        priority: Low, normal, high or urgent.
        status: Key of its status (built-in or stored).
        category: Its status's category, kept with it: what the clocks read.
        team: The host's id of the team on it.
        assignee: The host's id of the person on it.
        parent_id: The case it belongs under (a problem's incidents), if any.
        opportunity_id: The deal it is about, if any.
        tags: Free labels, kept sorted.
        attributes: Custom attributes, a JSON object.
        policy_id: The SLA policy its clocks run on, if one applies.
        policy_version: That policy's version, kept while the policy is edited.
        created_at: When the customer asked (the clocks start from the next opening after it).
        first_responded_at: When we first answered on the case, if we did.
        solved_at: When it was last solved; unset while not solved or closed.
        closed_at: When it was closed; unset unless closed.
        reopen_count: How often it was reopened after being solved.
        merged_into: The case it was merged into; its clocks stopped then.
        breached_at: When one of its SLA clocks first breached, as recorded by the SLA sweep;
            a recorded breach stays recorded.
        changed_at: When its last recorded change happened (its history is in this order).
        updated_at: When it was last saved (the store's clock).
        version: Stored version, increased by each save.
    """

    id: CaseId = attrs.field(factory=lambda: CaseId(new_id()), converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    contact_id: ContactId | None = attrs.field(default=None, converter=check.optional_uuid)
    subject: str = attrs.field(converter=check.text(500))
    description: str | None = attrs.field(default=None, converter=check.optional_text(20000))
    channel: Channel | str = attrs.field(converter=token_converter(Channel))
    type: CaseType | str = attrs.field(default=CaseType.QUESTION, converter=token_converter(CaseType))
    priority: Priority = attrs.field(default=Priority.NORMAL, converter=check.enum_converter(Priority))
    status: str = attrs.field(default="new", converter=status_field)
    category: StatusCategory = attrs.field(
        default=StatusCategory.NEW, converter=check.enum_converter(StatusCategory)
    )
    team: str | None = attrs.field(default=None, converter=check.optional_text(100))
    assignee: str | None = attrs.field(default=None, converter=check.optional_text(100))
    parent_id: CaseId | None = attrs.field(default=None, converter=check.optional_uuid)
    opportunity_id: OpportunityId | None = attrs.field(default=None, converter=check.optional_uuid)
    tags: tuple[str, ...] = attrs.field(default=(), converter=attrs.Converter(_tags, takes_field=True))
    attributes: dict[str, Any] = attrs.field(factory=dict, converter=check.json_object)
    policy_id: SlaPolicyId | None = attrs.field(default=None, converter=check.optional_uuid)
    policy_version: int | None = attrs.field(default=None, converter=_optional_version)
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    first_responded_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    solved_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    closed_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    reopen_count: int = attrs.field(default=0, converter=attrs.Converter(_reopens, takes_field=True))
    merged_into: CaseId | None = attrs.field(default=None, converter=check.optional_uuid)
    breached_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    changed_at: datetime = attrs.field(converter=check.aware)
    updated_at: datetime = attrs.field(converter=check.aware)
    version: int = attrs.field(default=1, converter=version_converter)

    @changed_at.default
    def _changed_default(self) -> datetime:
        return self.created_at

    @updated_at.default
    def _updated_default(self) -> datetime:
        return self.created_at

    def __attrs_post_init__(self) -> None:
        if (self.policy_id is None) != (self.policy_version is None):
            raise check.fail("policy_version", "set exactly when policy_id is")
        if self.parent_id is not None and self.parent_id == self.id:
            raise check.fail("parent_id", "a case cannot be its own parent")
        if self.merged_into is not None and self.merged_into == self.id:
            raise check.fail("merged_into", "a case cannot be merged into itself")
        if (self.solved_at is not None) != self.category.is_solved:
            raise check.fail("solved_at", "set exactly when the case is solved or closed")
        if (self.closed_at is not None) != (self.category is StatusCategory.CLOSED):
            raise check.fail("closed_at", "set exactly when the case is closed")
        for name in ("first_responded_at", "solved_at", "closed_at"):
            moment = getattr(self, name)
            if moment is not None and moment < self.created_at:
                raise check.fail(name, "earlier than created_at")
        if self.changed_at < self.created_at:
            raise check.fail("changed_at", "earlier than created_at")

    @property
    def is_open(self) -> bool:
        """Whether the case is neither solved, closed nor merged."""
        return not self.category.is_solved and self.merged_into is None


class CaseChangeKind(StrEnum):
    """Which operation wrote a history entry."""

    OPENED = "opened"
    STATUS = "status"
    PRIORITY = "priority"
    ASSIGNED = "assigned"
    REOPENED = "reopened"
    POLICY = "policy"
    MERGED = "merged"


@attrs.frozen(kw_only=True)
class CaseChange:
    """One entry of a case's history: the tracked fields after a change, and the status before it.

    Entries are written by the service operations in the order of their
    ``at`` (an operation dated before the case's last change is refused) and
    are never changed or deleted. The first entry of a case (``opened``) has
    no previous status.

    Attributes:
        id: Time-ordered UUID.
        case_id: The case.
        customer_id: The case's customer.
        kind: The operation that wrote it.
        at: When the change happened (aware, UTC).
        actor: The host's id of who made it, if known.
        status: The status after the change.
        category: Its category.
        priority: The priority after the change.
        team: The team after the change.
        assignee: The assignee after the change.
        policy_id: The SLA policy after the change.
        policy_version: Its version.
        merged_into: The case it was merged into, for a ``merged`` entry.
        prev_status: The status before (unset for ``opened``).
        prev_category: Its category.
    """

    id: CaseChangeId = attrs.field(factory=lambda: CaseChangeId(new_id()), converter=check.uuid)
    case_id: CaseId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    kind: CaseChangeKind = attrs.field(converter=check.enum_converter(CaseChangeKind))
    at: datetime = attrs.field(converter=check.aware)
    actor: str | None = attrs.field(default=None, converter=check.optional_text(100))
    status: str = attrs.field(converter=status_field)
    category: StatusCategory = attrs.field(converter=check.enum_converter(StatusCategory))
    priority: Priority = attrs.field(converter=check.enum_converter(Priority))
    team: str | None = attrs.field(default=None, converter=check.optional_text(100))
    assignee: str | None = attrs.field(default=None, converter=check.optional_text(100))
    policy_id: SlaPolicyId | None = attrs.field(default=None, converter=check.optional_uuid)
    policy_version: int | None = attrs.field(default=None, converter=_optional_version)
    merged_into: CaseId | None = attrs.field(default=None, converter=check.optional_uuid)
    prev_status: str | None = attrs.field(default=None, converter=optional_status_field)
    prev_category: StatusCategory | None = attrs.field(
        default=None, converter=check.optional_enum_converter(StatusCategory)
    )

    def __attrs_post_init__(self) -> None:
        if (self.policy_id is None) != (self.policy_version is None):
            raise check.fail("policy_version", "set exactly when policy_id is")
        if (self.prev_status is None) != (self.prev_category is None):
            raise check.fail("prev_category", "set exactly when prev_status is")

    @classmethod
    def between(
        cls,
        before: Case | None,
        after: Case,
        kind: CaseChangeKind,
        at: datetime,
        actor: str | None = None,
    ) -> CaseChange:
        """The entry recording the change from ``before`` (``None`` when opened) to ``after``."""
        return cls(
            case_id=after.id,
            customer_id=after.customer_id,
            kind=kind,
            at=at,
            actor=actor,
            status=after.status,
            category=after.category,
            priority=after.priority,
            team=after.team,
            assignee=after.assignee,
            policy_id=after.policy_id,
            policy_version=after.policy_version,
            merged_into=after.merged_into,
            prev_status=None if before is None else before.status,
            prev_category=None if before is None else before.category,
        )


def ordered(changes: Iterable[CaseChange]) -> list[CaseChange]:
    """History entries in their order: by ``at``, then by id (the later written)."""
    return sorted(changes, key=lambda c: (c.at, c.id))


# -- events --------------------------------------------------------------------


@attrs.frozen
class CaseOpened(DomainEvent):
    """A case was opened."""

    case_id: CaseId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    priority: Priority = attrs.field(converter=check.enum_converter(Priority))
    channel: Channel | str = attrs.field(converter=token_converter(Channel))


@attrs.frozen
class CaseStatusChanged(DomainEvent):
    """A case moved from one status to another (reopening and merging have their own events)."""

    case_id: CaseId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    from_status: str = attrs.field(converter=status_field)
    to_status: str = attrs.field(converter=status_field)
    category: StatusCategory = attrs.field(converter=check.enum_converter(StatusCategory))
    version: int = attrs.field(converter=version_field)


@attrs.frozen
class CaseSolved(DomainEvent):
    """A case entered a solved status (after its ``CaseStatusChanged``): time to ask for feedback."""

    case_id: CaseId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    version: int = attrs.field(converter=version_field)


@attrs.frozen
class CaseReopened(DomainEvent):
    """A solved or closed case was opened again."""

    case_id: CaseId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    status: str = attrs.field(converter=status_field)
    version: int = attrs.field(converter=version_field)


@attrs.frozen
class CaseMerged(DomainEvent):
    """A case was merged into another; its clocks stopped."""

    case_id: CaseId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    into: CaseId = attrs.field(converter=check.uuid)
    version: int = attrs.field(converter=version_field)


@attrs.frozen
class CaseUpdated(DomainEvent):
    """A case's priority, assignment, SLA policy or other fields changed."""

    case_id: CaseId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    version: int = attrs.field(converter=version_field)
