"""The SQL repository for segments and their stored memberships.

A refresh compares the live membership (the rule compiled to SQL) with the
stored one inside the database: one statement finds who entered and who
left (two anti-joins; on PostgreSQL two ``EXCEPT``s, whose plan does not
depend on the members table's statistics), so its cost grows linearly with
the data on every backend. On PostgreSQL the same statement also applies
the change (a DELETE and an INSERT in data-modifying CTEs, which see one
snapshot); elsewhere the change is applied by id, in chunks, in the same
transaction.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.base import PGDialect

from relcore._kernel.checks import check_datetime, fail
from relcore.errors import ConflictError, NotFoundError
from relcore.ids import CustomerId, SegmentId
from relcore.segments import DEFAULT_CATALOGUE, Catalogue, Rule, from_json, to_json
from relcore.segments._sql_rules import compile_rule, members_query
from relcore.segments.model import Segment
from relcore.segments.ports import MembershipChange, segment_name
from relcore.storage.rules import check_id
from relcore.storage.sql.schema import customers, segment_members, segments

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlSegments"]

_CHUNK = 500
_BATCH = 5000


class SqlSegments:
    """Segments in ``relcore_segments``, members in ``relcore_segment_members``."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def get(self, segment_id: SegmentId) -> Segment:
        """Return the segment with ``segment_id``."""
        query = sa.select(segments).where(segments.c.id == check_id("segment_id", segment_id))
        row = self._uow.execute(query, what="read segment").mappings().first()
        if row is None:
            raise NotFoundError("segment", segment_id)
        return _segment(row)

    def find_by_name(self, name: str) -> Segment | None:
        """Return the segment called ``name`` (compared exactly), if any."""
        query = sa.select(segments).where(segments.c.name == segment_name(name))
        row = self._uow.execute(query, what="find segment").mappings().first()
        return None if row is None else _segment(row)

    def add(self, segment: Segment) -> None:
        """Store a new segment; its id and name must be unused."""
        _check_segment(segment)
        if self.find_by_name(segment.name) is not None:
            raise ConflictError("a segment with this name already exists")
        self._uow.execute(segments.insert().values(_row(segment)), what="add segment")

    def save(self, segment: Segment) -> Segment:
        """Store a changed segment (version-checked); return the stored one."""
        _check_segment(segment)
        stored = self.get(segment.id)
        if segment.version != stored.version:
            raise ConflictError(f"segment {segment.id} is at version {stored.version}, not {segment.version}")
        other = self.find_by_name(segment.name)
        if other is not None and other.id != segment.id:
            raise ConflictError("a segment with this name already exists")
        saved = attrs.evolve(segment, version=stored.version + 1, updated_at=self._uow.now(segment))
        update = (
            segments.update()
            .where(segments.c.id == segment.id, segments.c.version == segment.version)
            .values(_row(saved))
        )
        if self._uow.execute(update, what="save segment").rowcount != 1:
            raise ConflictError(f"segment {segment.id} was changed concurrently")
        return saved

    def delete(self, segment_id: SegmentId) -> None:
        """Remove the segment and its stored membership."""
        self.get(segment_id)
        self._uow.execute(
            segment_members.delete().where(segment_members.c.segment_id == segment_id), what="delete members"
        )
        self._uow.execute(segments.delete().where(segments.c.id == segment_id), what="delete segment")

    def list(self) -> builtins.list[Segment]:
        """Return every segment, by name."""
        rows = self._uow.execute(sa.select(segments), what="list segments").mappings().all()
        return sorted((_segment(row) for row in rows), key=lambda s: s.name)

    def members(
        self, rule: Rule, as_of: datetime, *, catalogue: Catalogue = DEFAULT_CATALOGUE
    ) -> Iterator[CustomerId]:
        """Yield, in id order, the ids of the customers matching ``rule`` at ``as_of``.

        One statement compiled from the rule ([`relcore.segments._sql_rules`][]),
        streamed in batches.
        """
        moment = check_datetime("as_of", as_of)
        query = members_query(rule, moment, dialect=self._uow.connection.dialect, catalogue=catalogue)
        result = self._uow.execute(query.execution_options(yield_per=_BATCH), what="select segment members")
        with self._uow.translating("select segment members"):
            for batch in result.partitions():
                for (customer_id,) in batch:
                    yield CustomerId(customer_id)

    def stored_members(self, segment_id: SegmentId) -> builtins.list[CustomerId]:
        """Return the stored membership, in id order."""
        self.get(segment_id)
        query = sa.select(segment_members.c.customer_id).where(segment_members.c.segment_id == segment_id)
        ids = self._uow.execute(query, what="read members").scalars().all()
        return sorted(CustomerId(i) for i in ids)

    def change_members(
        self,
        segment_id: SegmentId,
        *,
        add: Iterable[CustomerId] = (),
        remove: Iterable[CustomerId] = (),
        at: datetime,
    ) -> None:
        """Add and remove stored members; adding a member or removing a non-member is a no-op."""
        self.get(segment_id)
        moment = check_datetime("at", at)
        adding, removing = _ids("add", add), _ids("remove", remove)
        members = segment_members.c
        for chunk in _chunks(sorted(set(removing) - set(adding))):
            self._uow.execute(
                segment_members.delete().where(
                    members.segment_id == segment_id, members.customer_id.in_(chunk)
                ),
                what="remove members",
            )
        for chunk in _chunks(sorted(set(adding))):
            known = self._uow.execute(
                sa.select(customers.c.id).where(customers.c.id.in_(chunk)), what="find customers"
            ).scalars()
            missing = set(chunk) - set(known)
            if missing:
                raise NotFoundError("customer", min(missing))
            present = self._uow.execute(
                sa.select(members.customer_id).where(
                    members.segment_id == segment_id, members.customer_id.in_(chunk)
                ),
                what="read members",
            ).scalars()
            new = sorted(set(chunk) - set(present))
            if new:
                rows = [{"segment_id": segment_id, "customer_id": c, "entered_at": moment} for c in new]
                self._uow.execute(segment_members.insert(), rows, what="add members")
                self._uow.grew(segment_members, len(rows))

    def refresh_members(
        self, segment_id: SegmentId, rule: Rule, as_of: datetime, *, catalogue: Catalogue
    ) -> MembershipChange:
        """Store the customers matching ``rule`` at ``as_of``; return who entered and who left."""
        self.get(segment_id)
        self._uow.check_writable()
        moment = check_datetime("as_of", as_of)
        dialect = self._uow.connection.dialect
        matching = compile_rule(rule, moment, dialect=dialect.name, catalogue=catalogue)
        m = segment_members.c
        if isinstance(dialect, PGDialect):
            diff = _apply_in_one_statement(segment_id, moment, matching)
        else:
            stored = sa.exists().where(m.segment_id == segment_id, m.customer_id == customers.c.id)
            live = sa.exists().where(customers.c.id == m.customer_id, matching)
            entering = sa.select(customers.c.id).where(matching, ~stored)
            leaving = sa.select(m.customer_id).where(m.segment_id == segment_id, ~live)
            diff = sa.union_all(
                entering.add_columns(sa.literal(True)), leaving.add_columns(sa.literal(False))
            )
        entered: builtins.list[CustomerId] = []
        left: builtins.list[CustomerId] = []
        for customer_id, came in self._uow.execute(diff, what="compare segment members"):
            (entered if came else left).append(CustomerId(customer_id))
        entered.sort()
        left.sort()
        if not isinstance(dialect, PGDialect):
            self._apply(segment_id, entered, left, moment)
        count = sa.select(sa.func.count()).where(m.segment_id == segment_id)
        size = int(self._uow.execute(count, what="count members").scalar_one())
        return MembershipChange(tuple(entered), tuple(left), size)

    def _apply(
        self,
        segment_id: SegmentId,
        entered: builtins.list[CustomerId],
        left: builtins.list[CustomerId],
        moment: datetime,
    ) -> None:
        members = segment_members.c
        for chunk in _chunks(left):
            self._uow.execute(
                segment_members.delete().where(
                    members.segment_id == segment_id, members.customer_id.in_(chunk)
                ),
                what="remove members",
            )
        if entered:
            rows = [{"segment_id": segment_id, "customer_id": c, "entered_at": moment} for c in entered]
            self._uow.execute(segment_members.insert(), rows, what="add members")


def _apply_in_one_statement(
    segment_id: SegmentId, moment: datetime, matching: sa.ColumnElement[bool]
) -> sa.CompoundSelect[tuple[Any, bool]]:
    """PostgreSQL: find and apply the differences in one statement, returning who came and who went.

    The differences are two ``EXCEPT``s over the live ids (one CTE, computed
    once) and the stored ones: set operations hash or sort each side once,
    whatever the members table's statistics say (the anti-joins the other
    dialects use let the planner pick a nested loop when the table looked
    empty at its last ``ANALYZE``, which grows with the square of the size).
    The DELETE and the INSERT are data-modifying CTEs: they see the same
    snapshot, taken before either.
    """
    m = segment_members.c
    live = sa.select(customers.c.id.label("customer_id")).where(matching).cte("live")
    stored = sa.select(m.customer_id).where(m.segment_id == segment_id)
    came_ids = sa.except_(sa.select(live.c.customer_id), stored).subquery("came_ids")
    gone_ids = sa.except_(stored, sa.select(live.c.customer_id))
    gone = (
        segment_members.delete()
        .where(m.segment_id == segment_id, m.customer_id.in_(gone_ids))
        .returning(m.customer_id)
        .cte("gone")
    )
    newcomers = sa.select(
        sa.literal(segment_id, sa.Uuid).label("segment_id"),
        came_ids.c.customer_id,
        sa.literal(moment, m.entered_at.type).label("entered_at"),
    )
    came = (
        segment_members.insert()
        .from_select(["segment_id", "customer_id", "entered_at"], newcomers)
        .returning(m.customer_id)
        .cte("came")
    )
    return sa.union_all(
        sa.select(came.c.customer_id, sa.literal(True)), sa.select(gone.c.customer_id, sa.literal(False))
    )


def _chunks(ids: builtins.list[CustomerId]) -> Iterable[builtins.list[CustomerId]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _row(segment: Segment) -> dict[str, Any]:
    return {
        "id": segment.id,
        "name": segment.name,
        "kind": segment.kind.value,
        "rule": None if segment.rule is None else to_json(segment.rule),
        "description": segment.description,
        "frozen_at": segment.frozen_at,
        "refreshed_at": segment.refreshed_at,
        "created_at": segment.created_at,
        "updated_at": segment.updated_at,
        "version": segment.version,
    }


def _segment(row: Mapping[Any, Any]) -> Segment:
    values = dict(row)
    if values["rule"] is not None:
        values["rule"] = from_json(values["rule"], catalogue=None)
    return Segment(**values)


def _check_segment(segment: object) -> None:
    if not isinstance(segment, Segment):
        raise fail("segment", f"expected a Segment, got {type(segment).__name__}")


def _ids(field: str, values: object) -> builtins.list[CustomerId]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise fail(field, "expected a collection of customer ids")
    ids = builtins.list(values)
    return [CustomerId(check_id(f"{field}[{i}]", value)) for i, value in enumerate(ids)]
