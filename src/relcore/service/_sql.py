"""The SQL repositories of the service context: the generic ones, and their special queries."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

import sqlalchemy as sa

from relcore._kernel.checks import check_datetime
from relcore.activity.model import Direction
from relcore.ids import CaseId
from relcore.service.clocks import CaseMessage
from relcore.service.marks import SlaMark
from relcore.service.model import Case, CaseChange
from relcore.service.ports import check_cases
from relcore.service.statuses import StatusCategory, check_status_key
from relcore.storage.base import Page
from relcore.storage.rules import check_id, check_ids, check_limit
from relcore.storage.sql.codec import RowCodec
from relcore.storage.sql.generic import SqlRepository
from relcore.storage.sql.schema import case_changes, cases, sla_marks, touchpoints

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlCaseChanges", "SqlCases", "SqlConversations", "SqlSlaMarks"]

_CHUNK = 500  # ids per IN (...) list

# The bulk reads of the SLA sweep rebuild rows relcore wrote without running the constructors again.
_TRUSTED_CASES: RowCodec[Case] = RowCodec(cases, Case, trusted=True)
_TRUSTED_CHANGES: RowCodec[CaseChange] = RowCodec(case_changes, CaseChange, trusted=True)


def _chunks(ids: builtins.list[UUID]) -> Iterator[builtins.list[UUID]]:
    unique = sorted(set(ids))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


class SqlCases(SqlRepository[Case]):
    """Cases in ``relcore_cases``."""

    def children(self, parent_id: CaseId) -> builtins.list[Case]:
        """The cases under ``parent_id``, in id order."""
        wanted = check_id("parent_id", parent_id)
        return self.all(sa.select(cases).where(cases.c.parent_id == wanted).order_by(cases.c.id))

    def running(self, *, after: UUID | None = None, limit: int = 100) -> Page[Case]:
        """One page, in id order, of the cases neither closed nor merged."""
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        query = (
            sa.select(cases)
            .where(cases.c.category != StatusCategory.CLOSED.value, cases.c.merged_into.is_(None))
            .order_by(cases.c.id)
            .limit(size + 1)
        )
        if start is not None:
            query = query.where(cases.c.id > start)
        rows = self._uow.execute(query, what="read cases").mappings()
        found = [_TRUSTED_CASES.entity(row) for row in rows]  # type: ignore[arg-type]
        items = tuple(found[:size])
        return Page(items, items[-1].id if len(found) > size else None)

    def opened(
        self,
        start: datetime | None,
        end: datetime,
        *,
        unsolved_at: datetime | None = None,
        after: UUID | None = None,
        limit: int = 100,
    ) -> Page[Case]:
        """One page, in id order, of the cases created in ``[start, end)``, less those solved by then."""
        low = None if start is None else check_datetime("start", start)
        high = check_datetime("end", end)
        solved_by = None if unsolved_at is None else check_datetime("unsolved_at", unsolved_at)
        first = None if after is None else check_id("after", after)
        size = check_limit(limit)
        query = sa.select(cases).where(cases.c.created_at < high).order_by(cases.c.id).limit(size + 1)
        if low is not None:
            query = query.where(cases.c.created_at >= low)
        if solved_by is not None:
            query = query.where(sa.or_(cases.c.solved_at.is_(None), cases.c.solved_at > solved_by))
        if first is not None:
            query = query.where(cases.c.id > first)
        found = self.all(query)
        items = tuple(found[:size])
        return Page(items, items[-1].id if len(found) > size else None)

    def record_breaches(self, first: Mapping[CaseId, datetime]) -> int:
        """Record each case's first breach where none is recorded yet; versions do not change."""
        self._uow.check_writable()
        rows = [
            {"case": check_id("case_id", case_id), "at": check_datetime("at", at)}
            for case_id, at in sorted(first.items())
        ]
        if not rows:
            return 0
        statement = (
            cases.update()
            .where(cases.c.id == sa.bindparam("case"), cases.c.breached_at.is_(None))
            .values(breached_at=sa.bindparam("at"))
        )
        result = self._uow.execute(statement, rows, what="record case breaches")  # one executemany
        return int(result.rowcount)


class SqlCaseChanges(SqlRepository[CaseChange]):
    """The cases' history in ``relcore_case_changes`` (append-only)."""

    def for_case(self, case_id: CaseId) -> builtins.list[CaseChange]:
        """One case's history, oldest first (by ``at``, then id)."""
        wanted = check_id("case_id", case_id)
        table = case_changes
        return self.all(sa.select(table).where(table.c.case_id == wanted).order_by(table.c.at, table.c.id))

    def for_cases(self, case_ids: Collection[CaseId]) -> dict[CaseId, builtins.list[CaseChange]]:
        """The histories of several cases at once, each oldest first."""
        wanted = check_ids("case_ids", case_ids)
        table = case_changes
        found: dict[CaseId, builtins.list[CaseChange]] = {}
        for chunk in _chunks(wanted):
            query = (
                sa.select(table)
                .where(table.c.case_id.in_(chunk))
                .order_by(table.c.case_id, table.c.at, table.c.id)
            )
            for row in self._uow.execute(query, what="read case_changes").mappings():
                change = _TRUSTED_CHANGES.entity(row)  # type: ignore[arg-type]
                found.setdefault(change.case_id, []).append(change)
        return found

    def uses_status(self, key: str) -> bool:
        """Whether any case is, or ever was, in the status ``key``."""
        wanted = check_status_key("key", key)
        table = case_changes
        # every status a case left was entered by an earlier entry: the entries' statuses are all of them
        found = self._uow.execute(
            sa.select(sa.exists().where(table.c.status == wanted)), what="read case_changes"
        )
        return bool(found.scalar_one())


class SqlSlaMarks(SqlRepository[SlaMark]):
    """The sweep's marks in ``relcore_sla_marks`` (append-only)."""

    def for_cases(self, case_ids: Collection[CaseId]) -> builtins.list[SlaMark]:
        """The marks of several cases, in id order."""
        wanted = check_ids("case_ids", case_ids)
        found: builtins.list[SlaMark] = []
        for chunk in _chunks(wanted):
            found.extend(self.all(sa.select(sla_marks).where(sla_marks.c.case_id.in_(chunk))))
        return sorted(found, key=lambda mark: mark.id)


class SqlConversations:
    """The cases' messages in a SQL store: the touchpoints naming each case and its customer."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def messages(self, cases: Collection[Case]) -> dict[CaseId, builtins.list[CaseMessage]]:
        """Each case's messages by time, the customer's first at one instant."""
        wanted = check_cases(cases)
        owner = {c.id: c.customer_id for c in wanted}
        table = touchpoints
        found: dict[CaseId, builtins.list[CaseMessage]] = {}
        outbound = Direction.OUTBOUND.value
        for chunk in _chunks(builtins.list(owner)):
            query = (
                sa.select(table.c.case_id, table.c.customer_id, table.c.occurred_at, table.c.direction)
                .where(table.c.case_id.in_(chunk))
                .order_by(table.c.case_id, table.c.occurred_at, table.c.direction)
            )
            for case_id, customer_id, at, direction in self._uow.execute(query, what="read case messages"):
                if owner[case_id] == customer_id:
                    found.setdefault(case_id, []).append(CaseMessage(at=at, outbound=direction == outbound))
        return found
