"""The memory adapters of the feedback context: the responses' special queries, and the tallies."""

from __future__ import annotations

import builtins
from collections.abc import Collection
from typing import Any

import attrs

from relcore._kernel.checks import fail
from relcore.errors import NotFoundError
from relcore.feedback.metrics import Group, Tally
from relcore.feedback.model import FeedbackKind, FeedbackResponse
from relcore.feedback.periods import local_day, period_start
from relcore.feedback.ports import CASE_GROUPS, FEEDBACK, TallyQuery, TallyRow
from relcore.ids import CustomerId
from relcore.service.model import Case
from relcore.storage.memory.generic import MemoryRepository
from relcore.storage.memory.session import Session
from relcore.storage.memory.tables import AggregateTable
from relcore.storage.rules import check_id

__all__ = ["MemoryFeedback", "MemoryTallies", "group_of", "newest"]


def newest(response: FeedbackResponse) -> tuple[Any, ...]:
    """The order of a customer's responses: greatest ``(answered_at, id)`` is the newest."""
    return (response.answered_at, response.id)


class MemoryFeedback(MemoryRepository[FeedbackResponse]):
    """Responses in memory.

    Implements [FeedbackRepository][relcore.feedback.ports.FeedbackRepository].
    """

    def for_customer(
        self, customer_id: CustomerId, *, kind: FeedbackKind | None = None
    ) -> builtins.list[FeedbackResponse]:
        """The customer's responses (of one kind), newest first."""
        found = self.for_owner(customer_id)
        if kind is not None:
            found = [r for r in found if r.kind is kind]
        return sorted(found, key=newest, reverse=True)

    def refresh_latest(self, customer_ids: Collection[CustomerId]) -> int:
        """Set ``latest`` on each customer's newest response of each kind, clear it elsewhere."""
        self._session.check_write()
        table = self._table()
        changed = 0
        for customer_id in sorted({check_id("customer_id", c) for c in customer_ids}):
            mine = [table.rows[i] for i in table.by_owner.get(customer_id, ())]
            winners: dict[FeedbackKind, FeedbackResponse] = {}
            for response in mine:
                best = winners.get(response.kind)
                if best is None or newest(response) > newest(best):
                    winners[response.kind] = response
            chosen = {r.id for r in winners.values()}
            for response in mine:
                if response.latest is not (response.id in chosen):
                    self._session.log.put(
                        table.rows, response.id, attrs.evolve(response, latest=response.id in chosen)
                    )
                    changed += 1
        return changed


def group_of(response: FeedbackResponse, query: TallyQuery, case: Case | None = None) -> Group:
    """The group ``query`` puts ``response`` in (``case``: the case it is about, if stored)."""
    values: dict[str, Any] = {}
    for name in query.by:
        if name in CASE_GROUPS:
            values[name] = None if case is None else getattr(case, name)
            continue
        value = getattr(response, name)
        values[name] = str(value) if name == "channel" else value
    if query.period is not None:
        values["period"] = period_start(local_day(response.answered_at, query.zone), query.period)
    return Group(**values)


class MemoryTallies:
    """The counts behind the figures, from the responses in memory.

    Implements [FeedbackTallies][relcore.feedback.ports.FeedbackTallies]:
    the reference the SQL adapter is held to.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def tally(self, query: TallyQuery) -> builtins.list[TallyRow]:
        """The counts of the responses ``query`` admits, per group and scale."""
        self._session.check()
        if not isinstance(query, TallyQuery):
            raise fail("query", "expected a TallyQuery")
        unique = FEEDBACK.unique
        table = self._session.tables.table(FEEDBACK.name, lambda: AggregateTable(unique))
        counts: dict[tuple[Group, int, int], Tally] = {}
        cases = self._session.uow.cases if set(CASE_GROUPS) & set(query.by) else None
        for response in table.rows.values():
            if not query.admits(response):
                continue
            case = None
            if cases is not None and response.case_id is not None:
                case = _case(cases, response.case_id)
            key = (group_of(response, query, case), response.scale_min, response.scale_max)
            score = response.score
            one = Tally(
                1, int(response.positive), int(response.nps_class == "detractor"), score, score * score
            )
            counts[key] = counts.get(key, Tally()) + one
        return [TallyRow(group, low, high, tally) for (group, low, high), tally in counts.items()]


def _case(cases: Any, case_id: Any) -> Case | None:
    try:
        return cases.get(case_id)  # type: ignore[no-any-return]
    except NotFoundError:
        return None
