"""The memory repository for segments and their stored memberships."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

import attrs

from relcore._kernel.checks import check_datetime, fail
from relcore.errors import ConflictError, NotFoundError
from relcore.ids import CustomerId, SegmentId
from relcore.segments import Catalogue, Rule, matcher
from relcore.segments.model import Segment
from relcore.segments.ports import MembershipChange
from relcore.storage.memory.session import Session
from relcore.storage.memory.views import customer_view
from relcore.storage.rules import check_id, save_timestamp, segment_name

__all__ = ["MemorySegmentRepository"]


class MemorySegmentRepository:
    """Segments in memory, implementing [`SegmentRepository`][relcore.segments.ports.SegmentRepository].

    Args:
        session: The unit of work's shared state.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, segment_id: SegmentId) -> Segment:
        """Return the segment with ``segment_id``."""
        self._session.check()
        check_id("segment_id", segment_id)
        found = self._session.tables.segments.get(segment_id)
        if found is None:
            raise NotFoundError("segment", segment_id)
        return found

    def find_by_name(self, name: str) -> Segment | None:
        """Return the segment called ``name`` (compared exactly), if any."""
        self._session.check()
        tables = self._session.tables
        found = tables.segment_names.get(segment_name(name))
        return None if found is None else tables.segments[found]

    def add(self, segment: Segment) -> None:
        """Store a new segment; its id and name must be unused."""
        self._session.check_write()
        _check_segment(segment)
        tables, log = self._session.tables, self._session.log
        if segment.id in tables.segments:
            raise ConflictError(f"a segment with id {segment.id} is already stored")
        if segment.name in tables.segment_names:
            raise ConflictError("a segment with this name already exists")
        log.put(tables.segments, segment.id, segment)
        log.put(tables.segment_names, segment.name, segment.id)
        log.put(tables.segment_members, segment.id, {})

    def save(self, segment: Segment) -> Segment:
        """Store a changed segment (version-checked); return the stored one."""
        self._session.check_write()
        _check_segment(segment)
        tables, log = self._session.tables, self._session.log
        stored = self.get(segment.id)
        if segment.version != stored.version:
            raise ConflictError(f"segment {segment.id} is at version {stored.version}, not {segment.version}")
        if segment.name != stored.name:
            if segment.name in tables.segment_names:
                raise ConflictError("a segment with this name already exists")
            log.delete(tables.segment_names, stored.name)
            log.put(tables.segment_names, segment.name, segment.id)
        saved = attrs.evolve(
            segment, version=stored.version + 1, updated_at=save_timestamp(self._session.clock, segment)
        )
        log.put(tables.segments, saved.id, saved)
        return saved

    def delete(self, segment_id: SegmentId) -> None:
        """Remove the segment and its stored membership."""
        self._session.check_write()
        tables, log = self._session.tables, self._session.log
        stored = self.get(segment_id)
        log.delete(tables.segment_names, stored.name)
        log.delete(tables.segment_members, segment_id)
        log.delete(tables.segments, segment_id)

    def list(self) -> builtins.list[Segment]:
        """Return every segment, by name."""
        self._session.check()
        tables = self._session.tables
        return [tables.segments[tables.segment_names[name]] for name in sorted(tables.segment_names)]

    def stored_members(self, segment_id: SegmentId) -> builtins.list[CustomerId]:
        """Return the stored membership, in id order."""
        self.get(segment_id)
        return sorted(self._session.tables.segment_members[segment_id])

    def change_members(
        self,
        segment_id: SegmentId,
        *,
        add: Iterable[CustomerId] = (),
        remove: Iterable[CustomerId] = (),
        at: datetime,
    ) -> None:
        """Add and remove stored members; adding a member or removing a non-member is a no-op."""
        self._session.check_write()
        self.get(segment_id)
        moment = check_datetime("at", at)
        adding, removing = _ids("add", add), _ids("remove", remove)
        tables, log = self._session.tables, self._session.log
        for customer_id in adding:
            self._session.require_customer(customer_id)
        members = tables.segment_members[segment_id]
        changed = dict(members)
        for customer_id in removing:
            changed.pop(customer_id, None)
        for customer_id in adding:
            changed.setdefault(customer_id, moment)
        log.put(tables.segment_members, segment_id, changed)

    def refresh_members(
        self, segment_id: SegmentId, rule: Rule, as_of: datetime, *, catalogue: Catalogue
    ) -> MembershipChange:
        """Store the customers matching ``rule`` at ``as_of``; return who entered and who left."""
        self._session.check_write()
        self.get(segment_id)
        moment = check_datetime("as_of", as_of)
        test = matcher(rule, moment, catalogue=catalogue)
        tables = self._session.tables
        histories = tuple(catalogue.histories.values())
        live = {c for c in tables.customer_ids if test(customer_view(tables, c, histories))}
        stored = tables.segment_members[segment_id]
        entered, left = sorted(live - stored.keys()), sorted(stored.keys() - live)
        changed = {c: at for c, at in stored.items() if c in live}
        changed.update(dict.fromkeys(entered, moment))
        self._session.log.put(tables.segment_members, segment_id, changed)
        return MembershipChange(tuple(entered), tuple(left), len(changed))


def _check_segment(segment: object) -> None:
    if not isinstance(segment, Segment):
        raise fail("segment", f"expected a Segment, got {type(segment).__name__}")


def _ids(field: str, values: object) -> builtins.list[CustomerId]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise fail(field, "expected a collection of customer ids")
    ids = builtins.list(values)
    for i, value in enumerate(ids):
        if not isinstance(value, UUID):
            raise fail(f"{field}[{i}]", f"expected a customer id (UUID), got {type(value).__name__}")
    return ids
