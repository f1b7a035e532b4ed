"""The ports of scoring: stored plans, stored scores, and the queries that compute and calibrate them."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from typing import Protocol
from uuid import UUID

from relcore._kernel import checks as check
from relcore._kernel.declarations import Aggregate, History, HistoryField
from relcore.ids import CustomerId, ScoringPlanId
from relcore.marketing.scoring import ScoringPlan
from relcore.marketing.scoring_store import CustomerScore, Outcome
from relcore.sales.ports import SalesWork
from relcore.segments.rules.catalogue import DEFAULT_CATALOGUE, Catalogue
from relcore.storage.base import AggregateRepository
from relcore.storage.rules import check_id, check_limit

__all__ = [
    "MAX_HORIZON_DAYS",
    "MAX_OFFSET",
    "MAX_PAGE",
    "SCORES",
    "SCORE_HISTORY",
    "SCORING_PLANS",
    "SCORING_PORTS",
    "ComputedScore",
    "ScoreRepository",
    "ScoringPlanRepository",
    "ScoringWork",
    "check_computation",
    "check_outcome",
    "check_page",
    "check_ranking",
    "check_scores",
]

MAX_HORIZON_DAYS = 3660
"""The longest calibration horizon, in days (about ten years)."""
MAX_OFFSET = 10_000_000
"""The largest offset into a plan's ranking."""


MAX_PAGE = 1_000_000
"""The most customers one page of ``scores.compute`` may ask for."""

ComputedScore = tuple[CustomerId, float | None, float | None, float]
"""One customer's computed score before labels: ``(customer_id, fit, engagement, total)``."""


def check_computation(plan: object, as_of: object, catalogue: object) -> tuple[ScoringPlan, datetime]:
    """The arguments of ``scores.compute``, checked: the plan and the instant.

    Raises:
        ValidationError: Naming ``plan``, ``as_of`` or ``catalogue``.
    """
    if not isinstance(plan, ScoringPlan):
        raise check.fail("plan", f"expected a ScoringPlan, got {check.kind(plan)}")
    if not isinstance(catalogue, Catalogue):
        raise check.fail("catalogue", f"expected a Catalogue, got {check.kind(catalogue)}")
    return plan, check.check_datetime("as_of", as_of)


def check_page(after: object, limit: object) -> tuple[CustomerId | None, int | None]:
    """The page arguments of ``scores.compute``, checked.

    Raises:
        ValidationError: Naming ``after`` or ``limit``.
    """
    start = None if after is None else CustomerId(check_id("after", after))
    size = None if limit is None else check.positive_int("limit", limit, minimum=1, maximum=MAX_PAGE)
    return start, size


def check_scores(plan_id: ScoringPlanId, scores: Iterable[object]) -> Iterator[CustomerScore]:
    """Yield ``scores`` if each is a [CustomerScore][relcore.marketing.CustomerScore] of ``plan_id``.

    Raises:
        ValidationError: Naming the offending item (``scores[3]``, ``scores[3].plan_id``).
    """
    for i, item in enumerate(scores):
        if not isinstance(item, CustomerScore):
            raise check.fail(f"scores[{i}]", f"expected a CustomerScore, got {check.kind(item)}")
        if item.plan_id != plan_id:
            raise check.fail(f"scores[{i}].plan_id", "is not the plan being stored")
        yield item


def check_ranking(label: object, offset: object, limit: object) -> tuple[str | None, int, int]:
    """The arguments of ``scores.ranked``, checked: the label, the offset and the page size.

    Raises:
        ValidationError: Naming ``label``, ``offset`` or ``limit``.
    """
    wanted = None if label is None else check.check_text("label", label, max_len=50)
    skip = check.positive_int("offset", offset, minimum=0, maximum=MAX_OFFSET)
    return wanted, skip, check_limit(limit)


def check_outcome(outcome: object, horizon_days: object) -> tuple[Outcome, int]:
    """The arguments of ``scores.outcomes``, checked: the outcome and the horizon.

    Raises:
        ValidationError: Naming ``outcome`` or ``horizon_days``.
    """
    kind = check.check_enum(Outcome, "outcome", outcome)
    return kind, check.positive_int("horizon_days", horizon_days, minimum=1, maximum=MAX_HORIZON_DAYS)


class ScoringPlanRepository(AggregateRepository[ScoringPlan], Protocol):
    """Scoring plans: the generic operations (``find(name)``), version-checked."""


class ScoreRepository(Protocol):
    """Stored scores, one per plan and customer, and the queries that compute them in the store."""

    def compute(
        self,
        plan: ScoringPlan,
        as_of: datetime,
        *,
        catalogue: Catalogue = DEFAULT_CATALOGUE,
        after: CustomerId | None = None,
        limit: int | None = None,
    ) -> Iterator[ComputedScore]:
        """Yield every stored customer's score on ``plan`` at ``as_of``, in customer id order.

        With ``after`` and ``limit``, only the first ``limit`` customers whose
        id comes after ``after`` (one page; pass the last id yielded as the
        next ``after``). Memory runs [score][relcore.marketing.score] on each
        customer's view; SQL computes the scores in the database, in one
        statement.
        """
        ...

    def lock(self, plan: ScoringPlanId | str) -> ScoringPlanId:
        """Lock a plan (by id or name) for a refresh until this unit of work ends; return its id.

        Another unit of work locking the same plan waits for this one to end,
        and then reads what it stored: two refreshes take turns, and each
        crossing of a threshold is seen once. On MariaDB and MySQL (repeatable
        read) lock before reading anything else in the unit of work, since a
        snapshot taken before the wait would not show the other refresh's
        scores. SQLite and the memory store let one writer in at a time anyway.

        Raises:
            NotFoundError: No such plan.
        """
        ...

    def replace(self, plan_id: ScoringPlanId, scores: Iterable[CustomerScore]) -> int:
        """Make ``scores`` (all of ``plan_id``) the plan's only stored scores; return how many."""
        ...

    def store(self, plan_id: ScoringPlanId, scores: Iterable[CustomerScore]) -> int:
        """Store ``scores`` (all of ``plan_id``) in place of those customers' stored ones; return how many.

        The plan's other stored scores are kept.
        """
        ...

    def labels(
        self, plan_id: ScoringPlanId, customer_ids: Collection[CustomerId] | None = None
    ) -> dict[CustomerId, str | None]:
        """The stored label of every customer scored on the plan, or of those of ``customer_ids``."""
        ...

    def find(self, plan_id: ScoringPlanId, customer_id: CustomerId) -> CustomerScore | None:
        """The customer's stored score on the plan, if any."""
        ...

    def for_owner(self, owner_id: UUID) -> builtins.list[CustomerScore]:
        """The customer's stored scores, one per plan, by plan id (what rules see as their history)."""
        ...

    def ranked(
        self, plan_id: ScoringPlanId, *, label: str | None = None, offset: int = 0, limit: int = 10
    ) -> builtins.list[CustomerScore]:
        """Stored scores by total, highest first, ties by customer id; optionally of one label only."""
        ...

    def count(self, plan_id: ScoringPlanId) -> int:
        """How many customers have a stored score on the plan."""
        ...

    def outcomes(
        self, plan_id: ScoringPlanId, outcome: Outcome, horizon_days: int
    ) -> builtins.list[tuple[float, bool]]:
        """Each stored score's total, and whether the customer reached ``outcome`` after its ``as_of``.

        The outcome counts when it happened after the score's ``as_of`` and at most
        ``horizon_days`` days after it.
        """
        ...


class ScoringWork(SalesWork, Protocol):
    """The ports the scoring use cases need: everything rules see, sales, plans and scores."""

    @property
    def scoring_plans(self) -> ScoringPlanRepository:
        """The scoring plans."""
        ...

    @property
    def scores(self) -> ScoreRepository:
        """The stored scores."""
        ...


SCORING_PLANS = Aggregate(
    "scoring_plans",
    ScoringPlanRepository,
    entity=ScoringPlan,
    owner=None,
    unique=(("name",),),
    versioned=True,
    table="relcore.storage.sql.schema:scoring_plans",
)
"""Scoring plans, unique on their name, version-checked."""

SCORES = Aggregate(
    "scores",
    ScoreRepository,
    memory="relcore.marketing._scoring_memory:MemoryScores",
    sql="relcore.marketing._scoring_sql:SqlScores",
    entity=CustomerScore,
    references=(("plan_id", "scoring_plans"),),
    table="relcore.storage.sql.schema:scores",
)
"""Each customer's latest score on each plan."""

SCORE_HISTORY = History(
    "scores",
    SCORES,
    (
        HistoryField("plan_id", "id"),
        HistoryField("plan", "text"),
        HistoryField("plan_version", "number"),
        HistoryField("total", "number"),
        HistoryField("label", "text", nullable=True),
        HistoryField("fit", "number", nullable=True),
        HistoryField("fit_label", "text", nullable=True),
        HistoryField("engagement", "number", nullable=True),
        HistoryField("engagement_label", "text", nullable=True),
    ),
    time="as_of",
)
"""Each customer's stored scores as rules see them, one entry per plan, dated by the score's ``as_of``:
``scores(plan == "Leads", total >= 50).count >= 1`` (or, by id,
``history("scores", field("total") >= 50, plan_id=plan.id).count() >= 1``) holds for a
customer whose stored score on the plan, computed at or before the rule's ``as_of``, is at
least 50. ``plan`` is the plan's name at the refresh that stored the score."""

SCORING_PORTS = (SCORING_PLANS, SCORES)
"""The scoring aggregates, as the marketing context declares them."""
