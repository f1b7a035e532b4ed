"""The SQL repositories of the service context: the generic ones, and their special queries."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterator
from uuid import UUID

import sqlalchemy as sa

from relcore.ids import CaseId
from relcore.service.marks import SlaMark
from relcore.service.model import Case, CaseChange
from relcore.service.statuses import StatusCategory, check_status_key
from relcore.storage.base import Page
from relcore.storage.rules import check_id, check_ids, check_limit
from relcore.storage.sql.generic import SqlRepository
from relcore.storage.sql.schema import case_changes, cases, sla_marks

__all__ = ["SqlCaseChanges", "SqlCases", "SqlSlaMarks"]

_CHUNK = 500  # ids per IN (...) list


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
        found = self.all(query)
        items = tuple(found[:size])
        return Page(items, items[-1].id if len(found) > size else None)


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
            for change in self.all(query):
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
