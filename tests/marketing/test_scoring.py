"""Scoring plans: golden scores computed by hand, explanations that add up, validation, properties."""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relcore.domain import Customer, Touchpoint
from relcore.errors import InvalidRuleError, ValidationError
from relcore.marketing import (
    Decay,
    ScoreKind,
    ScoringGroup,
    ScoringPlan,
    ScoringRule,
    crossed,
    explain_score,
    score,
    threshold_label,
)
from relcore.segments import CustomerView, field, touchpoints

AS_OF = datetime(2024, 3, 30, 12, tzinfo=UTC)


def person(**fields: object) -> Customer:
    fields.setdefault("created_at", AS_OF - timedelta(days=365))
    return Customer.person("Ada", **fields)  # type: ignore[arg-type]


def touch(customer: Customer, age_days: float, kind: str = "open") -> Touchpoint:
    return Touchpoint(
        customer_id=customer.id,
        channel="email",
        direction="inbound",
        kind=kind,
        occurred_at=AS_OF - timedelta(days=age_days),
    )


def view(customer: Customer, ages: list[float], kind: str = "open") -> CustomerView:
    return CustomerView(customer, touchpoints=[touch(customer, age, kind) for age in ages])


def per_open(points: int = 5, cap: int | None = None, name: str = "opens") -> ScoringRule:
    return ScoringRule(name=name, rule=touchpoints(kind="open"), points=points, per_event=True, cap=cap)


def engagement(*rules: ScoringRule, **options: object) -> ScoringPlan:
    group = ScoringGroup(name="engagement", kind="engagement", rules=rules, **options)  # type: ignore[arg-type]
    return ScoringPlan(name="plan", groups=[group])


# Opens aged 0, 10, 40 and 70 days; 5 points each.
AGES = [0, 10, 40, 70]


def test_per_event_without_window_or_decay_counts_every_event() -> None:
    ada = person()
    # 4 opens x 5 = 20
    assert score(engagement(per_open()), view(ada, AGES), AS_OF).total == 20


def test_window_keeps_events_of_the_last_days() -> None:
    ada = person()
    # within 30 days: ages 0 and 10 -> 2 x 5 = 10
    why = explain_score(engagement(per_open(), window_days=30), view(ada, AGES), AS_OF)
    assert why.score.total == 10
    rule = why.groups[0].rules[0]
    assert (rule.matched, rule.occurrences, rule.raw_points, rule.decayed_points) == (True, 2, 10, 10)


def test_decay_weighs_events_by_whole_periods() -> None:
    ada = person()
    # factor 0.5 per 30 days: ages 0, 10 -> 0.5**0 = 1 each; 40 -> 40 // 30 = 1 -> 0.5; 70 -> 2 -> 0.25
    # 5 x (1 + 1 + 0.5 + 0.25) = 13.75
    plan = engagement(per_open(), decay=Decay(factor=0.5, period_days=30))
    why = explain_score(plan, view(ada, AGES), AS_OF)
    rule = why.groups[0].rules[0]
    assert (rule.occurrences, rule.raw_points, rule.decayed_points) == (4, 20, 13.75)
    assert why.score.total == 13.75


def test_decay_halves_at_the_end_of_a_period() -> None:
    ada = person()
    plan = engagement(per_open(points=8), decay=Decay(factor=0.5, period_days=30))
    # 29 days 23 hours is 29 whole days: full weight; 30 days: half
    assert score(plan, view(ada, [29.99]), AS_OF).total == 8
    assert score(plan, view(ada, [30]), AS_OF).total == 4
    assert score(plan, view(ada, [60]), AS_OF).total == 2


def test_events_after_as_of_do_not_count() -> None:
    ada = person()
    assert score(engagement(per_open()), view(ada, [1, -1, -30]), AS_OF).total == 5


def test_rule_cap_group_limit_and_plan_limit() -> None:
    ada = person(stage="customer", country="FR", tags={"vip"})
    fit = ScoringGroup(
        name="fit",
        kind="fit",
        rules=[
            ScoringRule(name="customer", rule=field("stage") == "customer", points=30),
            ScoringRule(name="french", rule=field("country") == "FR", points=20),
            ScoringRule(name="vip", rule=field("tags").has_tag("vip"), points=10),
            ScoringRule(name="german", rule=field("country") == "DE", points=15),
        ],
        limit=50,
    )
    active = ScoringGroup(name="active", kind="engagement", rules=[per_open(cap=15)])
    plan = ScoringPlan(
        name="leads",
        groups=[fit, active],
        limit=55,
        thresholds=[(50, "MQL"), (80, "SQL")],
        fit_thresholds=[(20, "C"), (35, "B"), (50, "A")],
        engagement_thresholds=[(5, "3"), (15, "2"), (25, "1")],
    )
    why = explain_score(plan, view(ada, AGES), AS_OF)
    # fit: 30 + 20 + 10 + 0 = 60, limited to 50
    assert (why.groups[0].sum, why.groups[0].points, why.groups[0].limit_hit) == (60, 50, True)
    # engagement: 4 opens x 5 = 20, capped at 15
    opens = why.groups[1].rules[0]
    assert (opens.raw_points, opens.points, opens.cap_hit) == (20, 15, True)
    # total: 50 + 15 = 65, limited to 55 -> MQL
    assert (why.sum, why.limit_hit) == (65, True)
    result = why.score
    assert (result.total, result.label) == (55, "MQL")
    assert (result.fit, result.fit_label, result.engagement, result.engagement_label) == (50, "A", 15, "2")
    assert result.plan_id == plan.id
    assert result.plan_version == 1
    assert result.as_of == AS_OF
    assert why.render().splitlines()[0] == "total 55 (MQL), limited from 65"


def test_negative_points_and_negative_totals() -> None:
    rival = person(tags={"competitor"})
    fit = ScoringGroup(
        name="fit",
        kind="fit",
        rules=[ScoringRule(name="competitor", rule=field("tags").has_tag("competitor"), points=-40)],
        limit=10,
    )
    result = score(ScoringPlan(name="p", groups=[fit], thresholds=[(0, "cold")]), CustomerView(rival), AS_OF)
    # a negative sum is not raised by the limit, and reaches no threshold
    assert (result.total, result.label, result.fit, result.engagement) == (-40, None, -40, None)


def test_negative_cap_bounds_points_taken() -> None:
    ada = person()
    bounces = ScoringRule(name="bounces", rule=touchpoints(kind="open"), points=-10, per_event=True, cap=25)
    # 4 x -10 = -40, held at -25
    assert score(engagement(bounces), view(ada, AGES), AS_OF).total == -25


def test_per_event_rule_counts_only_while_its_leaf_holds() -> None:
    ada = person()
    gate = touchpoints(kind="open").count() >= 3
    rule = ScoringRule(name="engaged", rule=gate, points=5, per_event=True)
    # two opens: the leaf does not hold -> 0, but the two events are reported
    why = explain_score(engagement(rule), view(ada, [1, 2]), AS_OF).groups[0].rules[0]
    assert (why.matched, why.occurrences, why.points) == (False, 2, 0)
    # three opens: 3 x 5
    assert score(engagement(rule), view(ada, [1, 2, 3]), AS_OF).total == 15
    # a 30-day group window judges the leaf on the events in it: 2 of the 4
    assert score(engagement(rule, window_days=30), view(ada, AGES), AS_OF).total == 0


def test_window_narrows_but_never_widens_the_leaf_window() -> None:
    ada = person()
    recent = ScoringRule(
        name="recent", rule=touchpoints(kind="open").within(days=5).count() >= 1, points=1, per_event=True
    )
    # leaf window 5 days, group window 30: only age 0 counts
    assert score(engagement(recent, window_days=30), view(ada, AGES), AS_OF).total == 1


def test_per_event_rule_tests_the_events_own_fields() -> None:
    ada = person()
    opens = per_open(points=3)
    events = [touch(ada, 1), touch(ada, 2, kind="click"), touch(ada, 3)]
    assert score(engagement(opens), CustomerView(ada, touchpoints=events), AS_OF).total == 6


def test_plain_rules_sum_the_points_of_those_that_hold() -> None:
    # Unomi: a plan's score is the sum of the values of the matching elements
    ada = person(stage="lead", country="FR")
    group = ScoringGroup(
        name="fit",
        kind=ScoreKind.FIT,
        rules=[
            ScoringRule(name="lead", rule=field("stage") == "lead", points=7),
            ScoringRule(name="fr", rule=field("country") == "FR", points=4),
            ScoringRule(name="be", rule=field("country") == "BE", points=100),
            ScoringRule(name="opened", rule=touchpoints(kind="open"), points=2),
        ],
    )
    why = explain_score(ScoringPlan(name="p", groups=[group]), view(ada, [3, 4]), AS_OF)
    assert [r.points for r in why.groups[0].rules] == [7, 4, 0, 2]
    assert why.score.total == 13
    assert why.score.engagement is None
    assert why.groups[0].rules[2].why.observed == "FR"


@pytest.mark.parametrize(
    ("build", "path"),
    [
        (
            lambda: ScoringGroup(
                name="g", kind="fit", rules=[], window_days=7, decay=Decay(factor=0.5, period_days=7)
            ),
            "decay",
        ),
        (lambda: ScoringRule(name="r", rule=field("stage") == "lead", points=1, per_event=True), "rule"),
        (lambda: ScoringRule(name="r", rule=field("stage") == "lead", points=1, cap=3), "cap"),
        (lambda: ScoringRule(name="r", rule="stage == 'lead'", points=1), "rule"),
        (lambda: ScoringRule(name="r", rule=field("stage") == "lead", points=True), "points"),
        (lambda: Decay(factor=1.0, period_days=30), "factor"),
        (lambda: Decay(factor=0, period_days=30), "factor"),
        (lambda: Decay(factor=0.5, period_days=0), "period_days"),
        (lambda: ScoringGroup(name="g", kind="fit", rules=[], limit=0), "limit"),
        (lambda: ScoringGroup(name="g", kind="fitness", rules=[]), "kind"),
        (lambda: ScoringGroup(name="g", kind="fit", rules=[per_open(), per_open()]), "rules[1].name"),
        (lambda: ScoringPlan(name="p", groups=[]), "groups"),
        (
            lambda: ScoringPlan(name="p", groups=[_group()], thresholds=[(50, "a"), (50, "b")]),
            "thresholds[1][0]",
        ),
        (
            lambda: ScoringPlan(name="p", groups=[_group()], thresholds=[(80, "a"), (50, "b")]),
            "thresholds[1][0]",
        ),
        (lambda: ScoringPlan(name="p", groups=[_group()], thresholds=[(50, "a"), (80, "a")]), "thresholds"),
        (lambda: ScoringPlan(name="p", groups=[_group()], thresholds=[(50,)]), "thresholds[0]"),
    ],
)
def test_invalid_plans_name_the_field(build: object, path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build()  # type: ignore[operator]
    assert [e.path for e in caught.value.errors] == [path]


def _group() -> ScoringGroup:
    return ScoringGroup(name="g", kind="engagement", rules=[per_open()])


def test_score_checks_its_arguments() -> None:
    plan = engagement(per_open())
    ada = CustomerView(person())
    with pytest.raises(ValidationError, match="as_of"):
        score(plan, ada, datetime(2024, 3, 30))
    with pytest.raises(ValidationError, match="view"):
        score(plan, person(), AS_OF)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="plan"):
        score(_group(), ada, AS_OF)  # type: ignore[arg-type]
    unknown = ScoringGroup(
        name="g", kind="fit", rules=[ScoringRule(name="r", rule=field("shoe") == "x", points=1)]
    )
    with pytest.raises(InvalidRuleError):
        score(ScoringPlan(name="p", groups=[unknown]), ada, AS_OF)


def test_thresholds() -> None:
    levels = [(50, "MQL"), (80, "SQL")]
    assert [threshold_label(p, levels) for p in (49.9, 50, 79, 80, 1000)] == [
        None,
        "MQL",
        "MQL",
        "SQL",
        "SQL",
    ]
    assert crossed(0, 100, levels) == ["MQL", "SQL"]
    assert crossed(50, 79, levels) == []  # already MQL
    assert crossed(49, 50, levels) == ["MQL"]
    assert crossed(90, 10, levels) == []
    with pytest.raises(ValidationError, match="new_points"):
        crossed(0, float("nan"), levels)


# --- properties ---

ages = st.lists(st.integers(min_value=-5, max_value=400), max_size=12)
policies = st.sampled_from(
    [
        {},
        {"window_days": 30},
        {"window_days": 90},
        {"decay": Decay(factor=0.5, period_days=30)},
        {"decay": Decay(factor=0.75, period_days=7)},
    ]
)


@st.composite
def engagement_plans(draw: st.DrawFn) -> ScoringPlan:
    """Engagement plans with positive points: per-event and plain, gated at ``count >= k``."""
    rules = []
    for i in range(draw(st.integers(1, 4))):
        gate = touchpoints(kind=draw(st.sampled_from(["open", "click"]))).count() >= draw(st.integers(1, 3))
        per_event = draw(st.booleans())
        cap = draw(st.none() | st.integers(1, 40)) if per_event else None
        rules.append(
            ScoringRule(
                name=f"r{i}", rule=gate, points=draw(st.integers(0, 20)), per_event=per_event, cap=cap
            )
        )
    group = ScoringGroup(
        name="g", kind="engagement", rules=rules, limit=draw(st.none() | st.integers(1, 60)), **draw(policies)
    )
    return ScoringPlan(name="p", groups=[group], limit=draw(st.none() | st.integers(1, 80)))


def _events(customer: Customer, opens: list[int], clicks: list[int]) -> list[Touchpoint]:
    return [touch(customer, a) for a in opens] + [touch(customer, a, kind="click") for a in clicks]


@settings(max_examples=60, deadline=None)
@given(
    plan=engagement_plans(),
    opens=ages,
    clicks=ages,
    extra=st.integers(-5, 400),
    kind=st.sampled_from(["open", "click"]),
)
def test_adding_a_matching_event_never_lowers_an_engagement_score(
    plan: ScoringPlan, opens: list[int], clicks: list[int], extra: int, kind: str
) -> None:
    ada = person()
    events = _events(ada, opens, clicks)
    before = score(plan, CustomerView(ada, touchpoints=events), AS_OF).total
    after = score(plan, CustomerView(ada, touchpoints=[*events, touch(ada, extra, kind)]), AS_OF).total
    assert after >= before


@settings(max_examples=60, deadline=None)
@given(plan=engagement_plans(), opens=ages, clicks=ages)
def test_explanations_add_up_to_the_total(plan: ScoringPlan, opens: list[int], clicks: list[int]) -> None:
    ada = person()
    why = explain_score(plan, CustomerView(ada, touchpoints=_events(ada, opens, clicks)), AS_OF)
    for group, spec in zip(why.groups, plan.groups, strict=True):
        assert group.sum == pytest.approx(sum(r.points for r in group.rules))
        assert group.points == (group.sum if spec.limit is None else min(group.sum, spec.limit))
        for rule, rule_spec in zip(group.rules, spec.rules, strict=True):
            if rule_spec.cap is not None:
                assert abs(rule.points) <= rule_spec.cap
            assert rule.points == rule.decayed_points or rule.cap_hit
    assert why.sum == pytest.approx(sum(g.points for g in why.groups))
    assert why.score.total == (why.sum if plan.limit is None else min(why.sum, plan.limit))
    assert why.score.engagement == pytest.approx(why.sum)


thresholds = st.lists(st.integers(-50, 150), min_size=1, max_size=6, unique=True).map(
    lambda points: [(p, f"L{p}") for p in sorted(points)]
)


@given(levels=thresholds, walk=st.lists(st.integers(-60, 160), min_size=1, max_size=20))
def test_each_upward_pass_crosses_a_threshold_once(levels: list[tuple[int, str]], walk: list[int]) -> None:
    reports = [label for old, new in itertools.pairwise(walk) for label in crossed(old, new, levels)]
    for at, label in levels:
        # a pass: the score goes from below the threshold to at or above it
        passes = sum(1 for old, new in itertools.pairwise(walk) if old < at <= new)
        assert reports.count(label) == passes
    # a monotone climb reports each threshold it reaches exactly once
    climb = sorted(walk)
    seen = [label for old, new in itertools.pairwise(climb) for label in crossed(old, new, levels)]
    assert len(seen) == len(set(seen))
    reached = {label for at, label in levels if climb[0] < at <= climb[-1]}
    assert set(seen) == reached


def test_plans_are_values() -> None:
    plan = engagement(per_open())
    assert attrs.evolve(plan, version=2).version == 2
    assert plan.kinds == frozenset({ScoreKind.ENGAGEMENT})
    assert plan.updated_at == plan.created_at


def test_per_event_rules_over_a_registered_history_use_its_time_field() -> None:
    from relcore import registry
    from relcore.domain import FeedbackResponse
    from relcore.segments import DEFAULT_CATALOGUE, history

    catalogue = DEFAULT_CATALOGUE.with_histories(*registry.histories())
    ada = person()

    def answer(score_: int, age: int) -> FeedbackResponse:
        return FeedbackResponse(
            customer_id=ada.id,
            kind="nps",
            score=score_,
            channel="email",
            answered_at=AS_OF - timedelta(days=age),
        )

    answers = [answer(10, 5), answer(9, 100), answer(3, 1)]
    promoter = ScoringRule(
        name="promoter", rule=history("feedback", nps_class="promoter"), points=12, per_event=True
    )
    plan = engagement(promoter, decay=Decay(factor=0.5, period_days=90))
    # promoters answered 5 and 100 days ago: 12 x (1 + 0.5) = 18; the detractor does not count
    why = explain_score(plan, CustomerView(ada, histories={"feedback": answers}), AS_OF, catalogue=catalogue)
    assert (why.groups[0].rules[0].occurrences, why.score.total) == (2, 18)


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.tuples(st.integers(), st.text(max_size=3)),
)


@given(name=junk, points=junk, cap=junk, factor=junk, days=junk, limit=junk, levels=junk)
def test_bad_input_raises_validation_errors_only(
    name: object, points: object, cap: object, factor: object, days: object, limit: object, levels: object
) -> None:
    attempts = [
        lambda: ScoringRule(name=name, rule=touchpoints(), points=points, per_event=True, cap=cap),
        lambda: Decay(factor=factor, period_days=days),
        lambda: ScoringGroup(name="g", kind="fit", rules=[per_open()], limit=limit, window_days=days),
        lambda: ScoringPlan(name="p", groups=[_group()], thresholds=levels),
        lambda: crossed(points, cap, levels),
    ]
    for attempt in attempts:
        with contextlib.suppress(ValidationError):
            attempt()
