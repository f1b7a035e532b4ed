"""The memory repositories of the service context: the generic ones, and their special queries."""

from __future__ import annotations

import bisect
import builtins
from collections.abc import Collection, Mapping
from datetime import datetime
from uuid import UUID

import attrs

from relcore._kernel.checks import check_datetime
from relcore.activity.model import Direction
from relcore.ids import CaseId
from relcore.service.clocks import CaseMessage
from relcore.service.marks import SlaMark
from relcore.service.model import Case, CaseChange, ordered
from relcore.service.ports import check_cases
from relcore.service.statuses import StatusCategory, check_status_key
from relcore.storage.base import Page
from relcore.storage.memory.generic import MemoryRepository
from relcore.storage.memory.session import Session
from relcore.storage.rules import check_id, check_ids, check_limit

__all__ = ["MemoryCaseChanges", "MemoryCases", "MemoryConversations", "MemorySlaMarks"]


class MemoryCases(MemoryRepository[Case]):
    """Cases in memory; implements [CaseRepository][relcore.service.ports.CaseRepository]."""

    def children(self, parent_id: CaseId) -> builtins.list[Case]:
        """The cases under ``parent_id``, in id order."""
        self._session.check()
        wanted = check_id("parent_id", parent_id)
        return sorted((c for c in self._table().rows.values() if c.parent_id == wanted), key=_id)

    def running(self, *, after: UUID | None = None, limit: int = 100) -> Page[Case]:
        """One page, in id order, of the cases neither closed nor merged."""
        self._session.check()
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        table = self._table()
        index = 0 if start is None else bisect.bisect_right(table.ids, start)
        chosen: builtins.list[Case] = []
        for entity_id in table.ids[index:]:
            case = table.rows[entity_id]
            if case.category is not StatusCategory.CLOSED and case.merged_into is None:
                if len(chosen) == size:
                    return Page(tuple(chosen), chosen[-1].id)
                chosen.append(case)
        return Page(tuple(chosen), None)

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
        self._session.check()
        low = None if start is None else check_datetime("start", start)
        high = check_datetime("end", end)
        solved_by = None if unsolved_at is None else check_datetime("unsolved_at", unsolved_at)
        first = None if after is None else check_id("after", after)
        size = check_limit(limit)
        table = self._table()
        index = 0 if first is None else bisect.bisect_right(table.ids, first)
        chosen: builtins.list[Case] = []
        for entity_id in table.ids[index:]:
            case = table.rows[entity_id]
            if (low is not None and case.created_at < low) or case.created_at >= high:
                continue
            if solved_by is not None and case.solved_at is not None and case.solved_at <= solved_by:
                continue
            if len(chosen) == size:
                return Page(tuple(chosen), chosen[-1].id)
            chosen.append(case)
        return Page(tuple(chosen), None)

    def record_breaches(self, first: Mapping[CaseId, datetime]) -> int:
        """Record each case's first breach where none is recorded yet; versions do not change."""
        self._session.check_write()
        table = self._table()
        changed = 0
        for case_id, at in first.items():
            case = table.rows.get(check_id("case_id", case_id))
            if case is not None and case.breached_at is None:
                moment = check_datetime("at", at)
                self._session.log.put(table.rows, case.id, attrs.evolve(case, breached_at=moment))
                changed += 1
        return changed


class MemoryCaseChanges(MemoryRepository[CaseChange]):
    """The cases' history in memory.

    Implements [CaseChangeRepository][relcore.service.ports.CaseChangeRepository].
    """

    def for_case(self, case_id: CaseId) -> builtins.list[CaseChange]:
        """One case's history, oldest first (by ``at``, then id)."""
        self._session.check()
        wanted = check_id("case_id", case_id)
        return ordered(c for c in self._table().rows.values() if c.case_id == wanted)

    def for_cases(self, case_ids: Collection[CaseId]) -> dict[CaseId, builtins.list[CaseChange]]:
        """The histories of several cases at once, each oldest first."""
        self._session.check()
        wanted = set(check_ids("case_ids", case_ids))
        found: dict[CaseId, builtins.list[CaseChange]] = {}
        for change in ordered(c for c in self._table().rows.values() if c.case_id in wanted):
            found.setdefault(change.case_id, []).append(change)
        return found

    def uses_status(self, key: str) -> bool:
        """Whether any case is, or ever was, in the status ``key``."""
        self._session.check()
        wanted = check_status_key("key", key)
        return any(c.status == wanted for c in self._table().rows.values())


class MemorySlaMarks(MemoryRepository[SlaMark]):
    """The sweep's marks in memory.

    Implements [SlaMarkRepository][relcore.service.ports.SlaMarkRepository].
    """

    def for_cases(self, case_ids: Collection[CaseId]) -> builtins.list[SlaMark]:
        """The marks of several cases, in id order."""
        self._session.check()
        wanted = set(check_ids("case_ids", case_ids))
        return sorted((m for m in self._table().rows.values() if m.case_id in wanted), key=_id)


def _id(entity: Case | SlaMark) -> UUID:
    return entity.id


class MemoryConversations:
    """The cases' messages in a memory store (the reference of the SQL query)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def messages(self, cases: Collection[Case]) -> dict[CaseId, builtins.list[CaseMessage]]:
        """Each case's messages by time, the customer's first at one instant."""
        self._session.check()
        found: dict[CaseId, builtins.list[CaseMessage]] = {}
        uow = self._session.uow
        wanted = check_cases(cases)
        for customer_id in {c.customer_id for c in wanted}:
            mine = {c.id for c in wanted if c.customer_id == customer_id}
            for touchpoint in uow.touchpoints.for_owner(customer_id):
                if touchpoint.case_id in mine:
                    outbound = touchpoint.direction is Direction.OUTBOUND
                    found.setdefault(touchpoint.case_id, []).append(
                        CaseMessage(at=touchpoint.occurred_at, outbound=outbound)
                    )
        return {case_id: sorted(talk, key=_order) for case_id, talk in found.items()}


def _order(message: CaseMessage) -> tuple[datetime, bool]:
    return message.at, message.outbound
