"""The memory repository of stored scores: the reference semantics of computing and ranking them."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import Any
from uuid import UUID

from relcore.activity.model import TransactionKind
from relcore.errors import NotFoundError
from relcore.ids import CustomerId, ScoringPlanId
from relcore.marketing.scoring import ScoringPlan
from relcore.marketing.scoring_explain import score
from relcore.marketing.scoring_ports import (
    ComputedScore,
    check_computation,
    check_outcome,
    check_page,
    check_ranking,
    check_scores,
)
from relcore.marketing.scoring_store import CustomerScore, Outcome
from relcore.sales.pipelines import StageOutcome
from relcore.segments._views import UnitOfWorkViews
from relcore.segments.rules.catalogue import DEFAULT_CATALOGUE, Catalogue
from relcore.storage.memory.session import Session
from relcore.storage.rules import check_id, check_ids

__all__ = ["MemoryScores", "ScoreTable"]


class ScoreTable:
    """The stored scores of a memory store.

    Attributes:
        rows: Each plan's scores by customer id.
    """

    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows: dict[ScoringPlanId, dict[CustomerId, CustomerScore]] = {}

    def owned(self, owner_id: UUID) -> builtins.list[CustomerScore]:
        """The customer's stored scores, by plan id."""
        return [rows[owner_id] for _, rows in sorted(self.rows.items()) if owner_id in rows]  # type: ignore[index]


class MemoryScores:
    """Stored scores in memory.

    Implements [ScoreRepository][relcore.marketing.scoring_ports.ScoreRepository].

    Args:
        session: The unit of work's shared state.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def _table(self) -> ScoreTable:
        return self._session.tables.table("scores", ScoreTable)

    def _plan(self, plan_id: ScoringPlanId) -> dict[CustomerId, CustomerScore]:
        wanted = ScoringPlanId(check_id("plan_id", plan_id))
        return self._table().rows.get(wanted, {})

    def compute(
        self,
        plan: ScoringPlan,
        as_of: datetime,
        *,
        catalogue: Catalogue = DEFAULT_CATALOGUE,
        after: CustomerId | None = None,
        limit: int | None = None,
    ) -> Iterator[ComputedScore]:
        """Yield every customer's score (or a page's), in id order, from [score][relcore.marketing.score]."""
        self._session.check()
        checked, moment = check_computation(plan, as_of, catalogue)
        start, size = check_page(after, limit)
        uow = self._session.uow
        views = UnitOfWorkViews(uow)
        histories = tuple(catalogue.histories.values())
        chosen = (c for c in uow.customers.ids() if start is None or c > start)
        for customer_id in chosen if size is None else islice(chosen, size):
            found = score(checked, views.view(customer_id, histories), moment, catalogue=catalogue)
            yield customer_id, found.fit, found.engagement, found.total

    def lock(self, plan: ScoringPlanId | str) -> ScoringPlanId:
        """The plan's id: the memory store lets one writing unit of work in at a time."""
        self._session.check_write()
        plans = self._session.uow.scoring_plans
        found = plans.find(plan) if isinstance(plan, str) else plans.get(check_id("plan", plan))
        if found is None:
            raise NotFoundError("scoring plan", plan)
        return found.id

    def replace(self, plan_id: ScoringPlanId, scores: Iterable[CustomerScore]) -> int:
        """Make ``scores`` the plan's only stored scores."""
        return self._write(plan_id, scores, keep=False)

    def store(self, plan_id: ScoringPlanId, scores: Iterable[CustomerScore]) -> int:
        """Store ``scores`` in place of those customers' stored ones; keep the plan's others."""
        return self._write(plan_id, scores, keep=True)

    def _write(self, plan_id: ScoringPlanId, scores: Iterable[CustomerScore], *, keep: bool) -> int:
        self._session.check_write()
        wanted = ScoringPlanId(check_id("plan_id", plan_id))
        if not self._session.tables.holds("scoring_plans", wanted):
            raise NotFoundError("scoring plan", wanted)
        rows: dict[CustomerId, CustomerScore] = {}
        for item in check_scores(wanted, scores):
            self._session.require_customer(item.customer_id)
            rows[item.customer_id] = item
        kept = self._table().rows.get(wanted, {}) if keep else {}
        self._session.log.put(self._table().rows, wanted, {**kept, **rows})
        return len(rows)

    def labels(
        self, plan_id: ScoringPlanId, customer_ids: Collection[CustomerId] | None = None
    ) -> dict[CustomerId, str | None]:
        """The stored label of every customer scored on the plan, or of those of ``customer_ids``."""
        self._session.check()
        rows = self._plan(plan_id)
        if customer_ids is None:
            return {customer_id: row.label for customer_id, row in rows.items()}
        wanted = check_ids("customer_ids", customer_ids)
        return {CustomerId(c): rows[CustomerId(c)].label for c in wanted if c in rows}

    def find(self, plan_id: ScoringPlanId, customer_id: CustomerId) -> CustomerScore | None:
        """The customer's stored score on the plan, if any."""
        self._session.check()
        return self._plan(plan_id).get(CustomerId(check_id("customer_id", customer_id)))

    def for_owner(self, owner_id: UUID) -> builtins.list[CustomerScore]:
        """The customer's stored scores, one per plan, by plan id."""
        self._session.check()
        return self._table().owned(check_id("owner_id", owner_id))

    def ranked(
        self, plan_id: ScoringPlanId, *, label: str | None = None, offset: int = 0, limit: int = 10
    ) -> builtins.list[CustomerScore]:
        """Stored scores by total, highest first, ties by customer id."""
        self._session.check()
        wanted, skip, size = check_ranking(label, offset, limit)
        rows = [r for r in self._plan(plan_id).values() if wanted is None or r.label == wanted]
        rows.sort(key=lambda r: (-r.total, r.customer_id))
        return rows[skip : skip + size]

    def count(self, plan_id: ScoringPlanId) -> int:
        """How many customers have a stored score on the plan."""
        self._session.check()
        return len(self._plan(plan_id))

    def outcomes(
        self, plan_id: ScoringPlanId, outcome: Outcome, horizon_days: int
    ) -> builtins.list[tuple[float, bool]]:
        """Each stored total, and whether the customer reached ``outcome`` in the horizon after ``as_of``."""
        self._session.check()
        kind, days = check_outcome(outcome, horizon_days)
        uow: Any = self._session.uow
        found: builtins.list[tuple[float, bool]] = []
        for customer_id, row in sorted(self._plan(plan_id).items()):
            start, end = row.as_of, row.as_of + timedelta(days=days)
            if kind is Outcome.WON_OPPORTUNITY:
                reached = any(
                    o.outcome is StageOutcome.WON and o.closed_at is not None and start < o.closed_at <= end
                    for o in uow.opportunities.for_owner(customer_id)
                )
            else:
                reached = any(
                    t.kind is TransactionKind.ORDER and start < t.occurred_at <= end
                    for t in uow.transactions.for_owner(customer_id)
                )
            found.append((row.total, reached))
        return found
