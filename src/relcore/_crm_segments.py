"""The segment methods of the [`CRM`][relcore.crm.CRM] facade (kept apart for length)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from uuid import UUID

from relcore._arguments import check_id, check_ids, check_segment, check_target
from relcore.clock import Clock
from relcore.domain._checks import check_datetime, check_enum
from relcore.ids import CustomerId, SegmentId
from relcore.segments import Catalogue, Explanation, Rule, validate
from relcore.segments.segment import Segment, SegmentKind
from relcore.services import segments as use_cases
from relcore.services.segments import RefreshResult
from relcore.storage.ports import UnitOfWork

__all__ = ["SegmentMethods"]


class SegmentMethods:
    """Defining segments, listing and explaining members, refreshing."""

    _clock: Clock
    _catalogue: Catalogue

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:  # pragma: no cover - provided by CRM
        raise NotImplementedError

    @property
    def catalogue(self) -> Catalogue:
        """The fields segment rules may use in this CRM."""
        return self._catalogue

    def _as_of(self, as_of: datetime | None) -> datetime:
        return self._clock() if as_of is None else check_datetime("as_of", as_of)

    def define_segment(
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
            InvalidRuleError: The rule is not valid on [`catalogue`][relcore.crm.CRM.catalogue].
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
        with self.unit_of_work() as uow:
            stored = use_cases.define_segment(uow, segment, self._catalogue)
            uow.commit()
        return stored

    def segment(self, segment: SegmentId | str) -> Segment:
        """Return the segment with this id or name (``NotFoundError`` if none)."""
        wanted = check_segment("segment", segment)
        with self.unit_of_work(read_only=True) as uow:
            return use_cases.find_segment(uow, wanted)

    def list_segments(self) -> list[Segment]:
        """Return every segment, by name."""
        with self.unit_of_work(read_only=True) as uow:
            return uow.segments.list()

    def delete_segment(self, segment: Segment | SegmentId | str) -> None:
        """Delete a segment and its stored membership (no events; ``NotFoundError`` if none)."""
        wanted = check_segment("segment", segment)
        with self.unit_of_work() as uow:
            uow.segments.delete(use_cases.find_segment(uow, wanted).id)
            uow.commit()

    def members(
        self, target: Rule | Segment | SegmentId | str, as_of: datetime | None = None
    ) -> Iterator[CustomerId]:
        """Yield the ids of the members, in id order, streaming from the store.

        ``target`` is a rule, or a segment (object, id or name). A rule or a
        dynamic segment is evaluated at ``as_of`` (default: now) by one query
        on SQL stores; a static or snapshot segment yields its stored members.
        The store is read while you iterate: consume the iterator promptly.
        The arguments, and a rule against `catalogue`, are checked at
        once, before the first id is asked for.

        Raises:
            ValidationError: An argument is of the wrong type or value.
            InvalidRuleError: The rule is not valid on `catalogue`.
        """
        wanted = check_target("target", target)
        if not isinstance(wanted, Segment | UUID | str):
            validate(wanted, self._catalogue)
        moment = self._as_of(as_of)
        return self._stream_members(wanted, moment)

    def _stream_members(
        self, target: Rule | Segment | SegmentId | str, as_of: datetime
    ) -> Iterator[CustomerId]:
        with self.unit_of_work(read_only=True) as uow:
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
        with self.unit_of_work(read_only=True) as uow:
            return use_cases.explain_membership(uow, wanted, who, moment, self._catalogue)

    def refresh_segment(
        self, segment: Segment | SegmentId | str, as_of: datetime | None = None
    ) -> RefreshResult:
        """Recompute a dynamic segment at ``as_of``, store it, and emit enter/leave events.

        Subscribe to [`SegmentEntered`][relcore.domain.SegmentEntered] and
        [`SegmentLeft`][relcore.domain.SegmentLeft] to react; they are delivered
        after the commit.
        """
        wanted = check_segment("segment", segment)
        moment = self._as_of(as_of)
        with self.unit_of_work() as uow:
            result = use_cases.refresh_segment(uow, wanted, moment, self._catalogue)
            uow.commit()
        return result

    def refresh_segments(self, as_of: datetime | None = None) -> list[RefreshResult]:
        """Refresh every dynamic segment at the same ``as_of``, each in its own unit of work."""
        moment = self._as_of(as_of)
        return [
            self.refresh_segment(s.id, moment) for s in self.list_segments() if s.kind is SegmentKind.DYNAMIC
        ]

    def add_to_segment(
        self, segment: Segment | SegmentId | str, customer_ids: Iterable[CustomerId]
    ) -> RefreshResult:
        """Add customers to a static segment; emits [`SegmentEntered`][relcore.domain.SegmentEntered]."""
        wanted, ids = check_segment("segment", segment), check_ids("customer_ids", customer_ids)
        with self.unit_of_work() as uow:
            result = use_cases.change_list(uow, wanted, add=ids, at=self._clock())
            uow.commit()
        return result

    def remove_from_segment(
        self, segment: Segment | SegmentId | str, customer_ids: Iterable[CustomerId]
    ) -> RefreshResult:
        """Remove customers from a static segment; emits [`SegmentLeft`][relcore.domain.SegmentLeft]."""
        wanted, ids = check_segment("segment", segment), check_ids("customer_ids", customer_ids)
        with self.unit_of_work() as uow:
            result = use_cases.change_list(uow, wanted, remove=ids, at=self._clock())
            uow.commit()
        return result
