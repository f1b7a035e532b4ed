"""Scoring use cases: define plans, refresh and explain scores, rank and calibrate them; against the ports."""

from __future__ import annotations

import bisect
import builtins
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import attrs

from relcore._kernel import checks as check
from relcore.errors import ConflictError, NotFoundError
from relcore.ids import CustomerId, ScoringPlanId
from relcore.marketing.scoring import MAX_POINTS, MAX_THRESHOLDS, ScoringPlan, _label
from relcore.marketing.scoring_explain import ScoreExplanation, explain_score
from relcore.marketing.scoring_ports import ScoringWork
from relcore.marketing.scoring_store import (
    CalibrationBand,
    Crossing,
    CustomerScore,
    Outcome,
    RefreshResult,
    ScoreThresholdCrossed,
    threshold_move,
)
from relcore.marketing.statistics import Rate
from relcore.segments._views import UnitOfWorkViews
from relcore.segments.rules.catalogue import Catalogue
from relcore.segments.rules.validation import validate

__all__ = [
    "calibration",
    "check_bands",
    "define",
    "explain",
    "plan",
    "refresh",
    "scores",
]

_PAGE = 100_000
"""Customers per page of a refresh: computed, compared and stored a page at a time."""


def plan(uow: ScoringWork, reference: ScoringPlanId | str) -> ScoringPlan:
    """The stored plan with this id, or of this name.

    Raises:
        NotFoundError: There is none.
    """
    if isinstance(reference, str):
        found = uow.scoring_plans.find(reference)
        if found is None:
            raise NotFoundError("scoring plan", reference)
        return found
    return uow.scoring_plans.get(reference)


def define(uow: ScoringWork, new: ScoringPlan, catalogue: Catalogue) -> ScoringPlan:
    """Store ``new``, or a new version of the stored plan of its id or name; return what is stored.

    A plan of ``new``'s id, or else of its name, is replaced when ``new.version``
    is its version (the new one is stored as the next version, keeping the stored
    id and creation time); otherwise ``new`` is added as version 1.

    Raises:
        InvalidRuleError: A rule is not valid on ``catalogue``.
        ConflictError: The stored plan has another version, or ``new`` renames its
            plan to the name of another stored plan.
    """
    for group in new.groups:
        for rule in group.rules:
            validate(rule.rule, catalogue)
    try:
        stored: ScoringPlan | None = uow.scoring_plans.get(new.id)
    except NotFoundError:
        stored = uow.scoring_plans.find(new.name)
    if stored is None:
        if not uow.scoring_plans.add(new):
            raise ConflictError("another scoring plan has this name")
        return new
    if new.version != stored.version:
        raise ConflictError("the scoring plan was changed since this version was read")
    return uow.scoring_plans.save(attrs.evolve(new, id=stored.id, created_at=stored.created_at))


def refresh(
    uow: ScoringWork, reference: ScoringPlanId | str, as_of: datetime, catalogue: Catalogue
) -> RefreshResult:
    """Compute every customer's score on the plan at ``as_of`` and store them with the plan's version.

    The customers are taken a page at a time (computed, compared with their
    stored labels, stored), so memory stays flat whatever their number. A
    customer whose label differs from the stored one gets a
    [ScoreThresholdCrossed][relcore.marketing.ScoreThresholdCrossed], recorded
    for after the commit; the same data refreshed again records none. The
    plan is locked first ([lock][relcore.marketing.scoring_ports.ScoreRepository.lock]):
    two refreshes of one plan at once take turns, and the second one compares
    with what the first stored.
    """
    chosen = plan(uow, uow.scores.lock(reference))  # the lock first: see ScoreRepository.lock
    labels: Counter[str] = Counter()
    moves: Counter[Crossing] = Counter()
    stored = 0
    after: CustomerId | None = None
    while page := builtins.list(
        uow.scores.compute(chosen, as_of, catalogue=catalogue, after=after, limit=_PAGE)
    ):
        after = page[-1][0]
        before = uow.scores.labels(chosen.id, [customer_id for customer_id, *_ in page])
        rows: builtins.list[CustomerScore] = []
        for customer_id, fit, engagement, total in page:
            row = _stored_score(chosen, customer_id, as_of, fit, engagement, total)
            rows.append(row)
            labels[row.label or ""] += 1
            old = before.get(customer_id)
            move = threshold_move(old, row.label, chosen.thresholds)
            if move is not None:
                moves[move] += 1
                uow.record(
                    ScoreThresholdCrossed(
                        plan_id=chosen.id,
                        plan_version=chosen.version,
                        customer_id=customer_id,
                        from_label=old,
                        to_label=row.label,
                        total=total,
                        direction=move,
                    )
                )
        stored += uow.scores.store(chosen.id, rows)
    return RefreshResult(
        plan_id=chosen.id,
        plan_version=chosen.version,
        as_of=as_of,
        customers=stored,
        labels=dict(sorted(labels.items())),
        crossed_up=moves[Crossing.UP],
        crossed_down=moves[Crossing.DOWN],
    )


def _stored_score(
    chosen: ScoringPlan,
    customer_id: CustomerId,
    as_of: datetime,
    fit: float | None,
    engagement: float | None,
    total: float,
) -> CustomerScore:
    """The row a refresh stores for one customer: the score with its labels and the plan's version."""
    return CustomerScore(
        plan_id=chosen.id,
        plan=chosen.name,
        customer_id=customer_id,
        plan_version=chosen.version,
        as_of=as_of,
        total=total,
        label=_label(total, chosen.thresholds),  # the plan's thresholds are checked
        fit=fit,
        fit_label=None if fit is None else _label(fit, chosen.fit_thresholds),
        engagement=engagement,
        engagement_label=None if engagement is None else _label(engagement, chosen.engagement_thresholds),
    )


def explain(
    uow: ScoringWork,
    reference: ScoringPlanId | str,
    customer_id: CustomerId,
    as_of: datetime,
    catalogue: Catalogue,
) -> ScoreExplanation:
    """The customer's score on the plan at ``as_of``, rule by rule (computed now, not read back)."""
    chosen = plan(uow, reference)
    view = UnitOfWorkViews(uow).view(customer_id, tuple(catalogue.histories.values()))
    return explain_score(chosen, view, as_of, catalogue=catalogue)


def scores(
    uow: ScoringWork, reference: ScoringPlanId | str, *, label: str | None, offset: int, limit: int
) -> builtins.list[CustomerScore]:
    """The plan's stored scores, highest total first (ties by customer id)."""
    chosen = plan(uow, reference)
    return uow.scores.ranked(chosen.id, label=label, offset=offset, limit=limit)


def check_bands(value: object, field: str = "bands") -> tuple[float, ...]:
    """Return band edges: 1 to 20 finite numbers in strictly ascending order.

    Raises:
        ValidationError: Naming ``bands`` (or ``bands[2]``).
    """

    def edge(path: str, item: object) -> float:
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise check.fail(path, f"expected a number, got {check.kind(item)}")
        number = float(item)
        if not -MAX_POINTS <= number <= MAX_POINTS:
            raise check.fail(path, f"must lie between {-MAX_POINTS} and {MAX_POINTS}")
        return number

    edges = check.check_tuple(edge, field, value)
    if not 1 <= len(edges) <= MAX_THRESHOLDS:
        raise check.fail(field, f"expected 1 to {MAX_THRESHOLDS} band edges")
    for i in range(1, len(edges)):
        if edges[i] <= edges[i - 1]:
            raise check.fail(f"{field}[{i}]", "band edges must be strictly ascending")
    return edges


def calibration(
    uow: ScoringWork,
    reference: ScoringPlanId | str,
    *,
    outcome: Outcome,
    horizon_days: int,
    bands: Sequence[float] | None,
) -> builtins.list[CalibrationBand]:
    """The outcome rate of the plan's stored scores, band by band.

    ``bands`` are ascending edges ``e0 < e1 < ...``: the bands are below ``e0``,
    ``[e0, e1)``, ... and from the last edge up; by default the plan's threshold points.

    Raises:
        ValidationError: No ``bands`` and the plan has no thresholds.
    """
    chosen = plan(uow, reference)
    if bands is None:
        if not chosen.thresholds:
            raise check.fail("bands", "the plan has no thresholds; give the band edges")
        bands = [float(points) for points, _ in chosen.thresholds]
    edges = builtins.list(bands)
    trials = [0] * (len(edges) + 1)
    successes = [0] * (len(edges) + 1)
    for total, reached in uow.scores.outcomes(chosen.id, outcome, horizon_days):
        band = bisect.bisect_right(edges, total)
        trials[band] += 1
        successes[band] += int(reached)
    lows: builtins.list[float | None] = [None, *edges]
    highs: builtins.list[float | None] = [*edges, None]
    return [
        CalibrationBand(low=low, high=high, rate=Rate(won, tried))
        for low, high, won, tried in zip(lows, highs, successes, trials, strict=True)
    ]
