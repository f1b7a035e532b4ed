"""The port for stored segments and their memberships.

Kept beside [`relcore.storage.base`][], which re-exports it, so that module
stays readable.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol

import attrs

from relcore._kernel.declarations import Aggregate, Context
from relcore.consent.ports import ConsentWork
from relcore.ids import CustomerId, SegmentId
from relcore.segments import DEFAULT_CATALOGUE, Catalogue, Rule
from relcore.segments.model import Segment, SegmentEntered, SegmentLeft
from relcore.storage.rules import check_key
from relcore.value.ports import ValueWork

__all__ = ["MembershipChange", "SegmentRepository", "SegmentsWork", "segment_name"]


@attrs.frozen
class MembershipChange:
    """What storing a segment's new membership changed.

    Attributes:
        entered: Customers who became members, in id order.
        left: Customers who stopped being members, in id order.
        size: Members after the change.
    """

    entered: tuple[CustomerId, ...]
    left: tuple[CustomerId, ...]
    size: int


class SegmentRepository(Protocol):
    """Segment definitions, and the membership last stored for each.

    The stored membership is what a static list holds, what a snapshot froze,
    and, for a dynamic segment, what its last refresh found; the live
    membership of a dynamic segment is ``segments.members(segment.rule, ...)``.
    """

    def members(
        self, rule: Rule, as_of: datetime, *, catalogue: Catalogue = DEFAULT_CATALOGUE
    ) -> Iterator[CustomerId]:
        """Yield, in id order, the ids of the customers matching ``rule`` at ``as_of``.

        The answer must equal [`relcore.segments.evaluate`][] on every
        customer. The rule is validated against ``catalogue`` first
        ([`InvalidRuleError`][relcore.errors.InvalidRuleError]). Consume the iterator
        inside the unit of work.
        """
        ...

    def get(self, segment_id: SegmentId) -> Segment:
        """Return the segment with ``segment_id`` ([`NotFoundError`][relcore.errors.NotFoundError])."""
        ...

    def find_by_name(self, name: str) -> Segment | None:
        """Return the segment called ``name``, if any."""
        ...

    def add(self, segment: Segment) -> None:
        """Store a new segment; its id and name must be unused (`ConflictError`)."""
        ...

    def save(self, segment: Segment) -> Segment:
        """Store a changed segment (version-checked); return the stored one."""
        ...

    def delete(self, segment_id: SegmentId) -> None:
        """Remove the segment and its stored membership."""
        ...

    def list(self) -> builtins.list[Segment]:
        """Return every segment, by name."""
        ...

    def stored_members(self, segment_id: SegmentId) -> builtins.list[CustomerId]:
        """Return the stored membership, in id order."""
        ...

    def change_members(
        self,
        segment_id: SegmentId,
        *,
        add: Iterable[CustomerId] = (),
        remove: Iterable[CustomerId] = (),
        at: datetime,
    ) -> None:
        """Add and remove stored members; adding a member or removing a non-member is a no-op.

        Every added id must be a stored customer ([`NotFoundError`][relcore.errors.NotFoundError]).
        """
        ...

    def refresh_members(
        self, segment_id: SegmentId, rule: Rule, as_of: datetime, *, catalogue: Catalogue
    ) -> MembershipChange:
        """Store the customers matching ``rule`` at ``as_of`` as the segment's membership.

        Members who stay keep their entry time; new ones enter at ``as_of``.
        SQL stores compute the difference in the database, with set
        operations, so the cost grows linearly with the number of customers.
        """
        ...


class SegmentsWork(ValueWork, ConsentWork, Protocol):
    """The ports the segment use cases need: everything a rule can see, and the stored segments."""

    @property
    def segments(self) -> SegmentRepository:
        """The stored segments and their memberships."""
        ...


SEGMENTS = Aggregate(
    "segments",
    SegmentRepository,
    memory="relcore.segments._memory:MemorySegmentRepository",
    sql="relcore.segments._sql:SqlSegments",
    entity=Segment,
    owner=None,
    unique=(("name",),),
    versioned=True,
    table="relcore.storage.sql.schema:segments",
)
"""Stored segments (unique by name) and their memberships."""

CONTEXT = Context(
    "segments",
    ports=(SEGMENTS,),
    events=(SegmentEntered, SegmentLeft),
    contracts=("relcore.segments._testing:SegmentContract",),
    snapshot="relcore.segments._testing:stored_state",
)
"""The segments context, as the registry sees it."""


def segment_name(name: object) -> str:
    """Return the checked argument of a lookup of a segment by name.

    Raises:
        ValidationError: As `check_key`.
    """
    return check_key("name", name, max_len=200)
