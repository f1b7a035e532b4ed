"""Scoring one customer in memory, with the reasons.

[`explain_score`][relcore.marketing.explain_score] computes a plan's score for one
[customer view][relcore.segments.CustomerView] at ``as_of`` and keeps every step:
per rule whether it held, how many events it counted, its points before and after decay
and whether its cap bit; per group its sum and whether its limit bit; then the total,
the plan's limit and the labels. [`score`][relcore.marketing.score] keeps the result only.

The boolean rules run through [relcore.segments.explain][]: a rule holds here exactly
when a segment with that rule would hold the customer. A per-event rule's events are
those its [Aggregate][relcore.segments.Aggregate] leaf counts: each event is tested
alone, by the same interpreter, with the leaf ``count >= 1`` over a view holding that
event only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

import attrs

from relcore._kernel import checks as check
from relcore.ids import ScoringPlanId
from relcore.marketing.scoring import ScoreKind, ScoringGroup, ScoringPlan, ScoringRule, threshold_label
from relcore.segments.rules.catalogue import DEFAULT_CATALOGUE, Catalogue
from relcore.segments.rules.evaluation import CustomerView, Explanation, explain, matcher
from relcore.segments.rules.nodes import Aggregate, Measure, Op

__all__ = ["GroupScore", "RuleScore", "Score", "ScoreExplanation", "explain_score", "score"]


@attrs.frozen(kw_only=True)
class RuleScore:
    """What one rule gave.

    Attributes:
        name: The rule's name.
        matched: Whether its condition held (for a per-event rule: its aggregate leaf).
        occurrences: For a per-event rule, how many events it counted (also when the
            leaf did not hold); ``None`` for the others.
        raw_points: Points before decay: ``points`` or ``0``, or ``points * occurrences``
            for a per-event rule that held.
        decayed_points: Points after the group's decay (``raw_points`` without one).
        points: What the rule adds to its group: ``decayed_points`` within the cap.
        cap_hit: Whether the cap cut the points.
        why: The segment explanation of the condition (see
            [Explanation.render][relcore.segments.Explanation.render]).
    """

    name: str
    matched: bool
    occurrences: int | None
    raw_points: int
    decayed_points: float
    points: float
    cap_hit: bool
    why: Explanation


@attrs.frozen(kw_only=True)
class GroupScore:
    """What one group gave.

    Attributes:
        name: The group's name.
        kind: Fit or engagement.
        rules: Its rules' results, in the group's order.
        sum: The sum of its rules' points.
        points: What the group adds to the plan: ``min(sum, limit)``.
        limit_hit: Whether the limit cut the sum.
    """

    name: str
    kind: ScoreKind
    rules: tuple[RuleScore, ...]
    sum: float
    points: float
    limit_hit: bool


@attrs.frozen(kw_only=True)
class Score:
    """A customer's score on a plan at a moment.

    Attributes:
        plan_id: The plan.
        plan_version: The plan's version it was computed with.
        as_of: The moment it holds for.
        total: The plan's score: the groups' points summed, within the plan's limit.
        label: The highest of the plan's thresholds reached, if any.
        fit: The fit groups' points summed (no plan limit), ``None`` without fit groups.
        fit_label: The highest fit threshold reached.
        engagement: The engagement groups' points summed, ``None`` without engagement groups.
        engagement_label: The highest engagement threshold reached.
    """

    plan_id: ScoringPlanId
    plan_version: int
    as_of: datetime
    total: float
    label: str | None
    fit: float | None = None
    fit_label: str | None = None
    engagement: float | None = None
    engagement_label: str | None = None


@attrs.frozen(kw_only=True)
class ScoreExplanation:
    """A score with every step that led to it.

    Attributes:
        score: The result.
        groups: Each group's result, in the plan's order.
        sum: The groups' points summed, before the plan's limit.
        limit_hit: Whether the plan's limit cut the sum.
    """

    score: Score
    groups: tuple[GroupScore, ...]
    sum: float
    limit_hit: bool

    def render(self) -> str:
        """Return the explanation as indented lines, one per group and rule."""
        total = self.score
        lines = [f"total {_num(total.total)}" + (f" ({total.label})" if total.label else "")]
        if self.limit_hit:
            lines[0] += f", limited from {_num(self.sum)}"
        for group in self.groups:
            cut = f", limited from {_num(group.sum)}" if group.limit_hit else ""
            lines.append(f"  {group.kind.value} group {group.name!r}: {_num(group.points)}{cut}")
            for rule in group.rules:
                mark = "[x]" if rule.matched else "[ ]"
                seen = "" if rule.occurrences is None else f" x{rule.occurrences} events"
                decay = f", decayed from {rule.raw_points}" if rule.decayed_points != rule.raw_points else ""
                capped = ", capped" if rule.cap_hit else ""
                lines.append(f"    {mark} {rule.name!r}{seen}: {_num(rule.points)}{decay}{capped}")
        return "\n".join(lines)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def score(
    plan: ScoringPlan, view: CustomerView, as_of: datetime, *, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> Score:
    """Return the score of the customer in ``view`` on ``plan`` at ``as_of``.

    Raises:
        ValidationError: ``plan``, ``view`` or ``catalogue`` is of the wrong type, or ``as_of`` is naive.
        InvalidRuleError: A rule of the plan is not valid on ``catalogue``.
    """
    return explain_score(plan, view, as_of, catalogue=catalogue).score


def explain_score(
    plan: ScoringPlan, view: CustomerView, as_of: datetime, *, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> ScoreExplanation:
    """Return the score of the customer in ``view`` on ``plan`` at ``as_of``, with its reasons.

    Raises:
        ValidationError: ``plan``, ``view`` or ``catalogue`` is of the wrong type, or ``as_of`` is naive.
        InvalidRuleError: A rule of the plan is not valid on ``catalogue``.
    """
    if not isinstance(plan, ScoringPlan):
        raise check.fail("plan", f"expected a ScoringPlan, got {check.kind(plan)}")
    if not isinstance(view, CustomerView):
        raise check.fail("view", f"expected a CustomerView, got {check.kind(view)}")
    if not isinstance(catalogue, Catalogue):
        raise check.fail("catalogue", f"expected a Catalogue, got {check.kind(catalogue)}")
    moment = check.check_datetime("as_of", as_of)
    groups = tuple(_group(group, view, moment, catalogue) for group in plan.groups)
    total = sum(g.points for g in groups)
    limited = total if plan.limit is None else min(total, plan.limit)
    parts: dict[str, Any] = {}
    for kind, thresholds in (
        (ScoreKind.FIT, plan.fit_thresholds),
        (ScoreKind.ENGAGEMENT, plan.engagement_thresholds),
    ):
        if kind in plan.kinds:
            points = float(sum(g.points for g in groups if g.kind is kind))
            parts[kind.value] = points
            parts[f"{kind.value}_label"] = threshold_label(points, thresholds)
    result = Score(
        plan_id=plan.id,
        plan_version=plan.version,
        as_of=moment,
        total=float(limited),
        label=threshold_label(limited, plan.thresholds),
        **parts,
    )
    return ScoreExplanation(score=result, groups=groups, sum=float(total), limit_hit=limited < total)


def _group(group: ScoringGroup, view: CustomerView, as_of: datetime, catalogue: Catalogue) -> GroupScore:
    rules = tuple(_rule(rule, group, view, as_of, catalogue) for rule in group.rules)
    total = float(sum(r.points for r in rules))
    points = total if group.limit is None else min(total, float(group.limit))
    return GroupScore(
        name=group.name, kind=group.kind, rules=rules, sum=total, points=points, limit_hit=points < total
    )


def _rule(
    rule: ScoringRule, group: ScoringGroup, view: CustomerView, as_of: datetime, catalogue: Catalogue
) -> RuleScore:
    condition = rule.rule
    if rule.per_event and isinstance(condition, Aggregate) and group.window_days is not None:
        days = (
            group.window_days
            if condition.within_days is None
            else min(condition.within_days, group.window_days)
        )
        condition = attrs.evolve(condition, within_days=days)
    why = explain(condition, view, as_of, catalogue=catalogue)
    if not rule.per_event or not isinstance(condition, Aggregate):
        points = rule.points if why.held else 0
        return RuleScore(
            name=rule.name,
            matched=why.held,
            occurrences=None,
            raw_points=points,
            decayed_points=float(points),
            points=float(points),
            cap_hit=False,
            why=why,
        )
    times = _event_times(condition, view, as_of, catalogue)
    raw = rule.points * len(times) if why.held else 0
    decayed = float(raw)
    if why.held and group.decay is not None:
        decay = group.decay
        decayed = rule.points * sum(decay.weight((as_of - t).days) for t in times)
    kept = decayed
    if rule.cap is not None:
        kept = max(-float(rule.cap), min(float(rule.cap), decayed))
    return RuleScore(
        name=rule.name,
        matched=why.held,
        occurrences=len(times),
        raw_points=raw,
        decayed_points=decayed,
        points=kept,
        cap_hit=kept != decayed,
        why=why,
    )


def _event_times(
    leaf: Aggregate, view: CustomerView, as_of: datetime, catalogue: Catalogue
) -> list[datetime]:
    """When each event ``leaf`` counts occurred: every entry is tested alone by the segment interpreter."""
    single = Aggregate(leaf.events, leaf.where, leaf.within_days, Measure.COUNT, Op.GE, 1, leaf.full_window)
    test = matcher(single, as_of, catalogue=catalogue)
    history = catalogue.history(leaf.events)
    time = attrgetter(history.time)
    entries: Sequence[Any] = view.history(history.name)
    found: list[datetime] = []
    for entry in entries:
        alone = CustomerView(
            view.customer, consents=view.consents, metrics=view.metrics, histories={history.name: (entry,)}
        )
        if test(alone):
            found.append(time(entry))
    return found
