"""The memory repository for segments and their stored memberships."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator
from datetime import datetime
from uuid import UUID

import attrs

from relcore._kernel.checks import check_datetime, fail
from relcore.errors import ConflictError, NotFoundError
from relcore.ids import CustomerId, SegmentId
from relcore.segments import DEFAULT_CATALOGUE, Catalogue, Rule, matcher
from relcore.segments._views import UnitOfWorkViews
from relcore.segments.model import Segment
from relcore.segments.ports import MembershipChange, segment_name
from relcore.storage.memory.session import Session
from relcore.storage.rules import check_id, save_timestamp

__all__ = ["MemorySegmentRepository", "SegmentTable"]


class SegmentTable:
    """The segments of a memory store and their stored members.

    Attributes:
        rows: Segment by id.
        names: Segment id by name.
        members: Each segment's stored members, with when they entered.
    """

    __slots__ = ("members", "names", "rows")

    def __init__(self) -> None:
        self.rows: dict[SegmentId, Segment] = {}
        self.names: dict[str, SegmentId] = {}
        self.members: dict[SegmentId, dict[CustomerId, datetime]] = {}

    def owned(self, owner_id: UUID) -> builtins.list[Segment]:
        """Nothing: segments belong to no customer."""
        return []


class MemorySegmentRepository:
    """Segments in memory, implementing [`SegmentRepository`][relcore.segments.ports.SegmentRepository].

    Args:
        session: The unit of work's shared state.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def _table(self) -> SegmentTable:
        return self._session.tables.table("segments", SegmentTable)

    def get(self, segment_id: SegmentId) -> Segment:
        """Return the segment with ``segment_id``."""
        self._session.check()
        check_id("segment_id", segment_id)
        found = self._table().rows.get(segment_id)
        if found is None:
            raise NotFoundError("segment", segment_id)
        return found

    def find_by_name(self, name: str) -> Segment | None:
        """Return the segment called ``name`` (compared exactly), if any."""
        self._session.check()
        table = self._table()
        found = table.names.get(segment_name(name))
        return None if found is None else table.rows[found]

    def add(self, segment: Segment) -> None:
        """Store a new segment; its id and name must be unused."""
        self._session.check_write()
        _check_segment(segment)
        table, log = self._table(), self._session.log
        if segment.id in table.rows:
            raise ConflictError(f"a segment with id {segment.id} is already stored")
        if segment.name in table.names:
            raise ConflictError("a segment with this name already exists")
        log.put(table.rows, segment.id, segment)
        log.put(table.names, segment.name, segment.id)
        log.put(table.members, segment.id, {})

    def save(self, segment: Segment) -> Segment:
        """Store a changed segment (version-checked); return the stored one."""
        self._session.check_write()
        _check_segment(segment)
        table, log = self._table(), self._session.log
        stored = self.get(segment.id)
        if segment.version != stored.version:
            raise ConflictError(f"segment {segment.id} is at version {stored.version}, not {segment.version}")
        if segment.name != stored.name:
            if segment.name in table.names:
                raise ConflictError("a segment with this name already exists")
            log.delete(table.names, stored.name)
            log.put(table.names, segment.name, segment.id)
        saved = attrs.evolve(
            segment, version=stored.version + 1, updated_at=save_timestamp(self._session.clock, segment)
        )
        log.put(table.rows, saved.id, saved)
        return saved

    def delete(self, segment_id: SegmentId) -> None:
        """Remove the segment and its stored membership."""
        self._session.check_write()
        table, log = self._table(), self._session.log
        stored = self.get(segment_id)
        log.delete(table.names, stored.name)
        log.delete(table.members, segment_id)
        log.delete(table.rows, segment_id)

    def list(self) -> builtins.list[Segment]:
        """Return every segment, by name."""
        self._session.check()
        table = self._table()
        return [table.rows[table.names[name]] for name in sorted(table.names)]

    def members(
        self, rule: Rule, as_of: datetime, *, catalogue: Catalogue = DEFAULT_CATALOGUE
    ) -> Iterator[CustomerId]:
        """Yield, in id order, the ids of the customers matching ``rule`` at ``as_of``."""
        self._session.check()
        test = matcher(rule, as_of, catalogue=catalogue)
        histories = tuple(catalogue.histories.values())
        uow = self._session.uow
        views = UnitOfWorkViews(uow)
        for customer_id in uow.customers.ids():
            if test(views.view(customer_id, histories)):
                yield customer_id

    def stored_members(self, segment_id: SegmentId) -> builtins.list[CustomerId]:
        """Return the stored membership, in id order."""
        self.get(segment_id)
        return sorted(self._table().members[segment_id])

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
        table, log = self._table(), self._session.log
        for customer_id in adding:
            self._session.require_customer(customer_id)
        members = table.members[segment_id]
        changed = dict(members)
        for customer_id in removing:
            changed.pop(customer_id, None)
        for customer_id in adding:
            changed.setdefault(customer_id, moment)
        log.put(table.members, segment_id, changed)

    def refresh_members(
        self, segment_id: SegmentId, rule: Rule, as_of: datetime, *, catalogue: Catalogue
    ) -> MembershipChange:
        """Store the customers matching ``rule`` at ``as_of``; return who entered and who left."""
        self._session.check_write()
        self.get(segment_id)
        moment = check_datetime("as_of", as_of)
        live = set(self.members(rule, moment, catalogue=catalogue))
        table = self._table()
        stored = table.members[segment_id]
        entered, left = sorted(live - stored.keys()), sorted(stored.keys() - live)
        changed = {c: at for c, at in stored.items() if c in live}
        changed.update(dict.fromkeys(entered, moment))
        self._session.log.put(table.members, segment_id, changed)
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
