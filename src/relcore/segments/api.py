"""The segments namespace of the facade: ``crm.segments``."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator
from datetime import datetime
from uuid import UUID

from relcore._kernel.arguments import check_id, check_ids, check_limit
from relcore._kernel.checks import check_enum, check_text, fail, kind
from relcore._kernel.namespace import Namespace, UnitOfWorkSource
from relcore.clock import Clock
from relcore.errors import NotFoundError
from relcore.ids import CustomerId, SegmentId
from relcore.segments import services as use_cases
from relcore.segments.model import Segment, SegmentKind
from relcore.segments.ports import SegmentsWork
from relcore.segments.rules.catalogue import Catalogue
from relcore.segments.rules.evaluation import Explanation
from relcore.segments.rules.nodes import Aggregate, And, Condition, Not, Or, Rule
from relcore.segments.rules.validation import validate
from relcore.segments.services import RefreshResult
from relcore.storage.base import Page

__all__ = ["SEGMENT_NAME_LENGTH", "Segments", "check_segment", "check_target"]

SEGMENT_NAME_LENGTH = 200
"""Longest segment name (as [Segment][relcore.segments.Segment] allows)."""

_RULE_TYPES = (And, Or, Not, Condition, Aggregate)


def check_segment(field: str, value: object) -> Segment | SegmentId | str:
    """Return a segment given as a [Segment][relcore.segments.Segment], an id or a name."""
    if isinstance(value, Segment):
        return value
    if isinstance(value, UUID):
        return SegmentId(check_id(field, value))
    if isinstance(value, str):
        return check_text(field, value, max_len=SEGMENT_NAME_LENGTH)
    raise fail(field, f"expected a Segment, a segment id (UUID) or a segment name, got {kind(value)}")


def check_target(field: str, value: object) -> Rule | Segment | SegmentId | str:
    """Return a rule, or a segment given as for [check_segment][relcore.segments.api.check_segment]."""
    if isinstance(value, _RULE_TYPES):
        return value
    if isinstance(value, Segment | UUID | str):
        return check_segment(field, value)
    raise fail(field, f"expected a rule, a Segment, a segment id or a segment name, got {kind(value)}")


class Segments(Namespace[SegmentsWork]):
    """Segments, their members and why: ``crm.segments``.

    A segment is named by its [Segment][relcore.segments.Segment] object, its
    id or its name, wherever one is asked for.

    Args:
        source: Opens the units of work (the facade).
        clock: Source of "now" for ``as_of`` defaults.
        catalogue: The fields rules may use.

    Example:
        >>> from relcore import CRM, Customer
        >>> from relcore.segments import field
        >>> crm = CRM.in_memory()
        >>> ada = crm.customers.add(Customer.person("Ada", country="GB"))
        >>> british = crm.segments.define("british", field("country") == "GB")
        >>> list(crm.segments.members("british")) == [ada.id]
        True
        >>> crm.segments.refresh("british").entered == (ada.id,)
        True
    """

    __slots__ = ("_catalogue",)

    def __init__(self, source: UnitOfWorkSource[SegmentsWork], clock: Clock, catalogue: Catalogue) -> None:
        super().__init__(source, clock)
        self._catalogue = catalogue

    @property
    def catalogue(self) -> Catalogue:
        """The fields segment rules may use in this CRM."""
        return self._catalogue

    def define(
        self,
        name: str,
        rule: Rule | None = None,
        *,
        kind: SegmentKind | str = SegmentKind.DYNAMIC,
        description: str | None = None,
        as_of: datetime | None = None,
    ) -> Segment:
        """Define and store a segment; return it.

        Args:
            name: Unique name.
            rule: The rule (``None`` for a static list).
            kind: ``"dynamic"`` (default), ``"static"`` or ``"snapshot"``.
            description: Free text.
            as_of: For a snapshot, when to freeze it (default: now).

        Raises:
            ValidationError: An argument is of the wrong type or value.
            InvalidRuleError: The rule is not valid on [`catalogue`][relcore.segments.api.Segments.catalogue].
            ConflictError: The name is taken.
        """
        sort = check_enum(SegmentKind, "kind", kind)
        moment = self._as_of(as_of)
        snapshot = sort is SegmentKind.SNAPSHOT
        segment = Segment(
            name=name,
            kind=sort,
            rule=rule,
            description=description,
            frozen_at=moment if snapshot else None,
            created_at=self._clock(),
        )
        return self._write(lambda uow: use_cases.define_segment(uow, segment, self._catalogue))

    def get(self, segment: SegmentId | str) -> Segment:
        """Return the segment with this id or name.

        Raises:
            NotFoundError: There is none.
        """
        wanted = check_segment("segment", segment)
        return self._read(lambda uow: use_cases.find_segment(uow, wanted))

    def find(self, segment: SegmentId | str) -> Segment | None:
        """Return the segment with this id or name, or ``None``."""
        wanted = check_segment("segment", segment)
        try:
            return self._read(lambda uow: use_cases.find_segment(uow, wanted))
        except NotFoundError:
            return None

    def list(self, *, after: UUID | None = None, limit: int = 100) -> Page[Segment]:
        """Return one page of segments in id order; pass ``next_after`` as ``after`` for the next."""
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        stored = sorted(self._read(lambda uow: uow.segments.list()), key=lambda s: s.id)
        rest = [s for s in stored if start is None or s.id > start]
        items = tuple(rest[:size])
        return Page(items, items[-1].id if len(rest) > size else None)

    def delete(self, segment: Segment | SegmentId | str) -> None:
        """Delete a segment and its stored membership (no events).

        Raises:
            NotFoundError: There is none.
        """
        wanted = check_segment("segment", segment)
        self._write(lambda uow: uow.segments.delete(use_cases.find_segment(uow, wanted).id))

    def members(
        self, target: Rule | Segment | SegmentId | str, as_of: datetime | None = None
    ) -> Iterator[CustomerId]:
        """Yield the ids of the members, in id order, streaming from the store.

        ``target`` is a rule, or a segment (object, id or name). A rule or a
        dynamic segment is evaluated at ``as_of`` (default: now) by one query
        on SQL stores; a static or snapshot segment yields its stored members.
        The store is read while you iterate: consume the iterator promptly.
        The arguments, and a rule against [`catalogue`][relcore.segments.api.Segments.catalogue],
        are checked at once, before the first id is asked for.

        Raises:
            ValidationError: An argument is of the wrong type or value.
            InvalidRuleError: The rule is not valid on the catalogue.
        """
        wanted = check_target("target", target)
        if not isinstance(wanted, Segment | UUID | str):
            validate(wanted, self._catalogue)
        moment = self._as_of(as_of)
        return self._stream_members(wanted, moment)

    def _stream_members(
        self, target: Rule | Segment | SegmentId | str, as_of: datetime
    ) -> Iterator[CustomerId]:
        with self._source.unit_of_work(read_only=True) as uow:
            yield from use_cases.segment_members(uow, target, as_of, self._catalogue)

    def explain(
        self, target: Rule | Segment | SegmentId | str, customer_id: CustomerId, as_of: datetime | None = None
    ) -> Explanation:
        """Say why the customer is or is not matched by the rule, leaf by leaf.

        Print [`render`][relcore.segments.Explanation.render] for a readable tree.
        For a snapshot, this explains its rule on today's data (the stored
        membership was decided at ``frozen_at``); a static list has no rule.
        """
        wanted = check_target("target", target)
        who = check_id("customer_id", customer_id)
        moment = self._as_of(as_of)
        return self._read(lambda uow: use_cases.explain_membership(uow, wanted, who, moment, self._catalogue))

    def refresh(self, segment: Segment | SegmentId | str, as_of: datetime | None = None) -> RefreshResult:
        """Recompute a dynamic segment at ``as_of``, store it, and emit enter/leave events.

        Subscribe to [`SegmentEntered`][relcore.domain.SegmentEntered] and
        [`SegmentLeft`][relcore.domain.SegmentLeft] to react; they are delivered
        after the commit.
        """
        wanted = check_segment("segment", segment)
        moment = self._as_of(as_of)
        return self._write(lambda uow: use_cases.refresh_segment(uow, wanted, moment, self._catalogue))

    def refresh_all(self, as_of: datetime | None = None) -> builtins.list[RefreshResult]:
        """Refresh every dynamic segment at the same ``as_of``, each in its own unit of work."""
        moment = self._as_of(as_of)
        dynamic = [s for s in self._read(lambda uow: uow.segments.list()) if s.kind is SegmentKind.DYNAMIC]
        return [self.refresh(s.id, moment) for s in dynamic]

    def add_members(
        self, segment: Segment | SegmentId | str, customer_ids: Iterable[CustomerId]
    ) -> RefreshResult:
        """Add customers to a static segment; emits [`SegmentEntered`][relcore.domain.SegmentEntered]."""
        wanted, ids = check_segment("segment", segment), check_ids("customer_ids", customer_ids)
        return self._write(lambda uow: use_cases.change_list(uow, wanted, add=ids, at=self._clock()))

    def remove_members(
        self, segment: Segment | SegmentId | str, customer_ids: Iterable[CustomerId]
    ) -> RefreshResult:
        """Remove customers from a static segment; emits [`SegmentLeft`][relcore.domain.SegmentLeft]."""
        wanted, ids = check_segment("segment", segment), check_ids("customer_ids", customer_ids)
        return self._write(lambda uow: use_cases.change_list(uow, wanted, remove=ids, at=self._clock()))
