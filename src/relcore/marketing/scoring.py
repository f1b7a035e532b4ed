# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Scoring plans: points for what a customer is (fit) and what they do (engagement).

A [`ScoringPlan`][relcore.marketing.ScoringPlan] holds
[groups][relcore.marketing.ScoringGroup] of [rules][relcore.marketing.ScoringRule]. A rule
gives its points when its segment [rule][relcore.segments.Rule] holds at ``as_of``, as an
element of an Apache Unomi scoring plan does (a profile's score is the sum of the values of
the elements whose condition it matches). A per-event rule gives its points for every event
its history condition counts, up to a cap. The layers follow HubSpot's lead scoring: rules
add up to a group score under the group's limit, groups add up to the plan's score under the
plan's limit; a group counts events in a time window **or** lets their points decay, never
both. Thresholds name the score reached ("MQL", "SQL"); [`crossed`][relcore.marketing.crossed]
tells which a change of score went past.

This module is the plan's model; [`score`][relcore.marketing.score] and
[`explain_score`][relcore.marketing.explain_score] compute with it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import attrs

from relcore._kernel import checks as check
from relcore.clock import system_clock
from relcore.customers.model import version_converter
from relcore.ids import ScoringPlanId, new_id
from relcore.segments.rules.builder import EventQuery
from relcore.segments.rules.nodes import Aggregate, And, Condition, Not, Or, Rule
from relcore.segments.rules.rule_json import from_json
from relcore.segments.rules.validation import MAX_WINDOW_DAYS

__all__ = [
    "MAX_GROUPS",
    "MAX_POINTS",
    "MAX_RULES",
    "MAX_THRESHOLDS",
    "Decay",
    "ScoreKind",
    "ScoringGroup",
    "ScoringPlan",
    "ScoringRule",
    "crossed",
    "threshold_label",
]

MAX_POINTS = 1_000_000
"""The largest number of points a rule gives or takes, and the largest cap, limit or threshold."""
MAX_RULES = 100
"""The most rules one group holds."""
MAX_GROUPS = 50
"""The most groups one plan holds."""
MAX_THRESHOLDS = 20
"""The most thresholds one list holds."""

_RULE_NODES = (And, Or, Not, Condition, Aggregate)


class ScoreKind(StrEnum):
    """What a group scores (HubSpot's two score types; a plan with both is "combined")."""

    FIT = "fit"
    """Who the customer is: their fields, tags, consent, metrics."""
    ENGAGEMENT = "engagement"
    """What they did: touchpoints, transactions, other histories."""


def _points(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, minimum=-MAX_POINTS, maximum=MAX_POINTS)


def _optional_limit(value: object, field: attrs.Attribute) -> int | None:  # type: ignore[type-arg]
    return None if value is None else check.positive_int(field.name, value, minimum=1, maximum=MAX_POINTS)


def _optional_days(value: object, field: attrs.Attribute) -> int | None:  # type: ignore[type-arg]
    return (
        None if value is None else check.positive_int(field.name, value, minimum=1, maximum=MAX_WINDOW_DAYS)
    )


def _days(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, minimum=1, maximum=MAX_WINDOW_DAYS)


def _factor(value: object, field: attrs.Attribute) -> float:  # type: ignore[type-arg]
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise check.fail(field.name, f"expected a number, got {check.kind(value)}")
    number = check.guarded(field.name, lambda: float(value))
    if not math.isfinite(number) or not 0.0 < number < 1.0:
        raise check.fail(field.name, "must lie strictly between 0 and 1")
    return number


def _rule(value: object, field: attrs.Attribute) -> Rule:  # type: ignore[type-arg]
    if isinstance(value, Mapping):  # as stored: the rule's JSON form, validated when it was defined
        return from_json(value, catalogue=None)
    if isinstance(value, EventQuery):
        leaf: Aggregate = value.count() >= 1
        return leaf
    if not isinstance(value, _RULE_NODES):
        raise check.fail(field.name, f"expected a segment rule or an event query, got {check.kind(value)}")
    return value


@attrs.frozen(kw_only=True)
class Decay:
    """Points of older events count for less, step by step.

    An event ``age`` whole days old (``(as_of - occurred).days``) weighs
    ``factor ** (age // period_days)``: fully during the first period,
    ``factor`` during the second, and so on. ``factor`` is the share kept per
    period: ``0.5`` halves the points every period (HubSpot's "-50% per
    month" is ``Decay(factor=0.5, period_days=30)``).

    Attributes:
        factor: The share of the points kept per period, strictly between 0 and 1.
        period_days: The length of a period in days (1 to
            [MAX_WINDOW_DAYS][relcore.segments.MAX_WINDOW_DAYS]).
    """

    factor: float = attrs.field(converter=attrs.Converter(_factor, takes_field=True))
    period_days: int = attrs.field(converter=attrs.Converter(_days, takes_field=True))

    def weight(self, age_days: int) -> float:
        """The weight of an event ``age_days`` whole days old (``age_days >= 0``)."""
        return self.factor ** (max(age_days, 0) // self.period_days)


@attrs.frozen(kw_only=True)
class ScoringRule:
    """Points for one condition.

    Attributes:
        name: Its name, unique in its group.
        rule: A segment [rule][relcore.segments.Rule]; an
            [EventQuery][relcore.segments.EventQuery] (``touchpoints(kind="email_open")``)
            stands for "at least one such event" (``.count() >= 1``).
        points: What it gives (negative: what it takes) when it holds.
        per_event: Give ``points`` for every event the rule counts instead of once. The
            rule must then be an event condition, an [Aggregate][relcore.segments.Aggregate]
            leaf: while the leaf holds, every event of its history that passes its ``where``
            conditions and its window counts once.
        cap: For a per-event rule, the most points it gives (or, with negative points,
            takes): the rule's points lie between ``-cap`` and ``cap``.
    """

    name: str = attrs.field(converter=check.text(100))
    rule: Rule = attrs.field(converter=attrs.Converter(_rule, takes_field=True))
    points: int = attrs.field(converter=attrs.Converter(_points, takes_field=True))
    per_event: bool = attrs.field(default=False, converter=check.boolean)
    cap: int | None = attrs.field(default=None, converter=attrs.Converter(_optional_limit, takes_field=True))

    def __attrs_post_init__(self) -> None:
        if self.per_event and not isinstance(self.rule, Aggregate):
            raise check.fail("rule", "a per-event rule must be an event condition (an aggregate leaf)")
        if self.cap is not None and not self.per_event:
            raise check.fail(
                "cap", "only a per-event rule has a cap; a rule that holds gives its points once"
            )


def _named(kind: type, value: object, field: str, most: int) -> tuple[object, ...]:
    def item(path: str, entry: object) -> object:
        if isinstance(entry, Mapping):  # as stored: a JSON object
            return check.stored(path, lambda: kind(**dict(entry)))
        if not isinstance(entry, kind):
            raise check.fail(path, f"expected a {kind.__name__}, got {check.kind(entry)}")
        return entry

    items = check.check_tuple(item, field, value)
    if len(items) > most:
        raise check.fail(field, f"more than {most} entries")
    seen: set[str] = set()
    for i, entry in enumerate(items):
        name: str = entry.name  # type: ignore[attr-defined]
        if name in seen:
            raise check.fail(f"{field}[{i}].name", "a second entry of the same name")
        seen.add(name)
    return items


def _decay(value: object, field: attrs.Attribute) -> Decay | None:  # type: ignore[type-arg]
    if isinstance(value, Mapping):  # as stored: a JSON object
        return check.stored(field.name, lambda: Decay(**dict(value)))
    if value is not None and not isinstance(value, Decay):
        raise check.fail(field.name, f"expected a Decay, got {check.kind(value)}")
    return value


def _rules(value: object, field: attrs.Attribute) -> tuple[ScoringRule, ...]:  # type: ignore[type-arg]
    return _named(ScoringRule, value, field.name, MAX_RULES)  # type: ignore[return-value]


@attrs.frozen(kw_only=True)
class ScoringGroup:
    """Rules whose points add up to one part of a plan's score.

    Attributes:
        name: Its name, unique in its plan.
        kind: Whether it scores fit or engagement.
        rules: Its rules (names unique).
        limit: The most points the group gives; its score is
            ``min(sum of its rules, limit)`` (a negative sum is not raised).
        window_days: Per-event rules count only events of the last ``window_days``
            days before ``as_of``: the window narrows each per-event rule's own
            window, and the rule holds or not on the events in it.
        decay: Per-event rules weigh each event by its age (see [Decay][relcore.marketing.Decay]).

    A group has a window or a decay, never both (as in HubSpot). Neither changes
    rules that are not per-event: they hold or not as written.
    """

    name: str = attrs.field(converter=check.text(100))
    kind: ScoreKind = attrs.field(converter=check.enum_converter(ScoreKind))
    rules: tuple[ScoringRule, ...] = attrs.field(converter=attrs.Converter(_rules, takes_field=True))
    limit: int | None = attrs.field(
        default=None, converter=attrs.Converter(_optional_limit, takes_field=True)
    )
    window_days: int | None = attrs.field(
        default=None, converter=attrs.Converter(_optional_days, takes_field=True)
    )
    decay: Decay | None = attrs.field(default=None, converter=attrs.Converter(_decay, takes_field=True))

    def __attrs_post_init__(self) -> None:
        if self.window_days is not None and self.decay is not None:
            raise check.fail("decay", "a group has a window or a decay, never both")


def _check_thresholds(field: str, value: object) -> tuple[tuple[int, str], ...]:
    """Return ``value`` as thresholds: ``(points, label)`` pairs, points strictly ascending, labels unique."""

    def pair(path: str, entry: object) -> tuple[int, str]:
        if isinstance(entry, str | bytes) or not isinstance(entry, Sequence) or len(entry) != 2:
            raise check.fail(path, "expected a (points, label) pair")
        points = check.positive_int(f"{path}[0]", entry[0], minimum=-MAX_POINTS, maximum=MAX_POINTS)
        return points, check.check_text(f"{path}[1]", entry[1], max_len=50)

    pairs = check.check_tuple(pair, field, value)
    if len(pairs) > MAX_THRESHOLDS:
        raise check.fail(field, f"more than {MAX_THRESHOLDS} thresholds")
    for i in range(1, len(pairs)):
        if pairs[i][0] <= pairs[i - 1][0]:
            raise check.fail(f"{field}[{i}][0]", "thresholds must be in strictly ascending order of points")
    if len({label for _, label in pairs}) != len(pairs):
        raise check.fail(field, "labels must be unique")
    return pairs


def _thresholds(value: object, field: attrs.Attribute) -> tuple[tuple[int, str], ...]:  # type: ignore[type-arg]
    return _check_thresholds(field.name, value)


def _groups(value: object, field: attrs.Attribute) -> tuple[ScoringGroup, ...]:  # type: ignore[type-arg]
    return _named(ScoringGroup, value, field.name, MAX_GROUPS)  # type: ignore[return-value]


@attrs.frozen(kw_only=True)
class ScoringPlan:
    """A scoring plan: groups of rules, a total limit and the thresholds that name a score.

    Attributes:
        id: Time-ordered UUID.
        name: Its name.
        groups: Its groups (names unique); at least one.
        limit: The most points the plan gives: its score is ``min(sum of its groups, limit)``.
        thresholds: ``(points, label)`` pairs in strictly ascending order of points with
            unique labels: a score reaching ``points`` earns ``label`` (the highest reached wins).
        fit_thresholds: Labels of the fit groups' total (grades such as A, B, C).
        engagement_thresholds: Labels of the engagement groups' total (grades such as 1, 2, 3).
        created_at: When it was first stored.
        updated_at: When it was last saved.
        version: Stored version; a score names the version it was computed with.
    """

    id: ScoringPlanId = attrs.field(factory=lambda: ScoringPlanId(new_id()), converter=check.uuid)
    name: str = attrs.field(converter=check.text(100))
    groups: tuple[ScoringGroup, ...] = attrs.field(converter=attrs.Converter(_groups, takes_field=True))
    limit: int | None = attrs.field(
        default=None, converter=attrs.Converter(_optional_limit, takes_field=True)
    )
    thresholds: tuple[tuple[int, str], ...] = attrs.field(
        default=(), converter=attrs.Converter(_thresholds, takes_field=True)
    )
    fit_thresholds: tuple[tuple[int, str], ...] = attrs.field(
        default=(), converter=attrs.Converter(_thresholds, takes_field=True)
    )
    engagement_thresholds: tuple[tuple[int, str], ...] = attrs.field(
        default=(), converter=attrs.Converter(_thresholds, takes_field=True)
    )
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    updated_at: datetime = attrs.field(converter=check.aware)
    version: int = attrs.field(default=1, converter=version_converter)

    @updated_at.default
    def _updated_default(self) -> datetime:
        return self.created_at

    def __attrs_post_init__(self) -> None:
        if not self.groups:
            raise check.fail("groups", "a plan needs at least one group")

    @property
    def kinds(self) -> frozenset[ScoreKind]:
        """The kinds of its groups: both for a combined plan."""
        return frozenset(group.kind for group in self.groups)


def _number(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise check.fail(field, f"expected a number, got {check.kind(value)}")
    number = check.guarded(field, lambda: float(value))
    if not math.isfinite(number):
        raise check.fail(field, "must be finite")
    return number


def threshold_label(points: float, thresholds: Iterable[tuple[int, str]]) -> str | None:
    """The label of the highest threshold ``points`` reaches, or ``None`` below them all.

    Example:
        >>> from relcore.marketing import threshold_label
        >>> threshold_label(64, [(50, "MQL"), (80, "SQL")])
        'MQL'
    """
    return _label(_number("points", points), _check_thresholds("thresholds", thresholds))


def _label(points: float, thresholds: tuple[tuple[int, str], ...]) -> str | None:
    """[threshold_label][relcore.marketing.threshold_label] on arguments already checked (a plan's)."""
    return next((label for at, label in reversed(thresholds) if points >= at), None)


def crossed(old_points: float, new_points: float, thresholds: Iterable[tuple[int, str]]) -> list[str]:
    """The labels whose threshold a score went up past, lowest first.

    A threshold at ``p`` is crossed when ``old_points < p <= new_points``; a score
    that falls is crossing nothing, and crosses again when it comes back up.

    Raises:
        ValidationError: A score is not a finite number, or the thresholds are not
            ascending ``(points, label)`` pairs with unique labels.

    Example:
        >>> from relcore.marketing import crossed
        >>> crossed(40, 85, [(50, "MQL"), (80, "SQL")])
        ['MQL', 'SQL']
        >>> crossed(85, 60, [(50, "MQL"), (80, "SQL")])
        []
    """
    old = _number("old_points", old_points)
    new = _number("new_points", new_points)
    checked = _check_thresholds("thresholds", thresholds)
    return [label for at, label in checked if old < at <= new]
