# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Stored scores: one row per plan and customer, the refresh's report, its events and calibration.

A refresh ([crm.scoring.refresh][relcore.marketing.scoring_api.Scoring.refresh]) computes
every customer's [Score][relcore.marketing.Score] on a plan at ``as_of`` and keeps it as a
[CustomerScore][relcore.marketing.CustomerScore] with the plan's version. When a customer's
label differs from the one stored before, the refresh records a
[ScoreThresholdCrossed][relcore.marketing.ScoreThresholdCrossed]: compared with the stored
row, so refreshing again on the same data records nothing.
[threshold_move][relcore.marketing.threshold_move] is that decision, a pure function.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent, version_field
from relcore.ids import CustomerId, ScoringPlanId
from relcore.marketing.statistics import Rate

__all__ = [
    "CalibrationBand",
    "Crossing",
    "CustomerScore",
    "Outcome",
    "RefreshResult",
    "ScoreThresholdCrossed",
    "threshold_move",
]


def _finite(value: object, field: attrs.Attribute) -> float:  # type: ignore[type-arg]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise check.fail(field.name, f"expected a number, got {check.kind(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise check.fail(field.name, "must be finite")
    return number


def _optional_finite(value: object, field: attrs.Attribute) -> float | None:  # type: ignore[type-arg]
    return None if value is None else _finite(value, field)


def _optional_label(value: object, field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
    return None if value is None else check.check_text(field.name, value, max_len=50)


@attrs.frozen(kw_only=True)
class CustomerScore:
    """A customer's stored score on a plan: the latest refresh's.

    Attributes:
        plan_id: The plan.
        plan: The plan's name when the score was computed (rules name plans by it).
        customer_id: The customer.
        plan_version: The plan's version the score was computed with.
        as_of: The moment the score holds for.
        total: The plan's score (see [Score][relcore.marketing.Score]).
        label: The highest of the plan's thresholds reached, if any.
        fit: The fit groups' points, ``None`` for a plan without fit groups.
        fit_label: The highest fit threshold reached.
        engagement: The engagement groups' points, ``None`` without engagement groups.
        engagement_label: The highest engagement threshold reached.
    """

    plan_id: ScoringPlanId = attrs.field(converter=check.uuid)
    plan: str = attrs.field(converter=check.text(100))
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    plan_version: int = attrs.field(converter=version_field)
    as_of: datetime = attrs.field(converter=check.aware)
    total: float = attrs.field(converter=attrs.Converter(_finite, takes_field=True))
    label: str | None = attrs.field(
        default=None, converter=attrs.Converter(_optional_label, takes_field=True)
    )
    fit: float | None = attrs.field(
        default=None, converter=attrs.Converter(_optional_finite, takes_field=True)
    )
    fit_label: str | None = attrs.field(
        default=None, converter=attrs.Converter(_optional_label, takes_field=True)
    )
    engagement: float | None = attrs.field(
        default=None, converter=attrs.Converter(_optional_finite, takes_field=True)
    )
    engagement_label: str | None = attrs.field(
        default=None, converter=attrs.Converter(_optional_label, takes_field=True)
    )


class Outcome(StrEnum):
    """What calibration counts as a conversion after a score's ``as_of``."""

    WON_OPPORTUNITY = "won_opportunity"
    """The customer has an opportunity won (``outcome == "won"``) with ``closed_at`` in the horizon."""
    ORDER = "order"
    """The customer has a transaction of kind ``order`` that occurred in the horizon."""


class Crossing(StrEnum):
    """Which way a score went past a threshold."""

    UP = "up"
    """To a higher threshold's label (or to a label from none)."""
    DOWN = "down"
    """To a lower threshold's label (or below every threshold)."""


@attrs.frozen
class ScoreThresholdCrossed(DomainEvent):
    """A refresh moved a customer's score to another threshold's label.

    Attributes:
        plan_id: The plan.
        plan_version: The plan's version of the refresh.
        customer_id: The customer.
        from_label: The stored label before (``None``: below every threshold, or never scored).
        to_label: The label now (``None``: below every threshold).
        total: The new total.
        direction: Up or down.
    """

    plan_id: ScoringPlanId = attrs.field(converter=check.uuid)
    plan_version: int = attrs.field(converter=version_field)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    from_label: str | None = attrs.field(converter=attrs.Converter(_optional_label, takes_field=True))
    to_label: str | None = attrs.field(converter=attrs.Converter(_optional_label, takes_field=True))
    total: float = attrs.field(converter=attrs.Converter(_finite, takes_field=True))
    direction: Crossing = attrs.field(converter=check.enum_converter(Crossing))


def threshold_move(
    before: str | None, after: str | None, thresholds: Sequence[tuple[int, str]]
) -> Crossing | None:
    """Which way a customer's label moved, or ``None`` if it did not.

    Labels are ranked by their threshold in ``thresholds``; no label ranks below
    them all. A label the thresholds no longer hold (the plan changed) ranks
    below them all too, so a move from it is up.

    Example:
        >>> from relcore.marketing import threshold_move
        >>> plan = [(50, "MQL"), (80, "SQL")]
        >>> threshold_move(None, "MQL", plan), threshold_move("SQL", "MQL", plan)
        (<Crossing.UP: 'up'>, <Crossing.DOWN: 'down'>)
        >>> threshold_move("MQL", "MQL", plan) is None
        True
    """
    if before == after:
        return None
    rank = {label: i for i, (_, label) in enumerate(thresholds)}
    return Crossing.UP if rank.get(after or "", -1) > rank.get(before or "", -1) else Crossing.DOWN


@attrs.frozen(kw_only=True)
class RefreshResult:
    """What a refresh stored.

    Attributes:
        plan_id: The plan.
        plan_version: Its version the scores were computed with.
        as_of: The moment the scores hold for.
        customers: How many customers were scored (every stored customer).
        labels: How many customers carry each label now (``""`` for none), by label.
        crossed_up: How many customers moved up to another label.
        crossed_down: How many moved down.
    """

    plan_id: ScoringPlanId
    plan_version: int
    as_of: datetime
    customers: int
    labels: dict[str, int]
    crossed_up: int
    crossed_down: int


@attrs.frozen(kw_only=True)
class CalibrationBand:
    """The outcome rate of the customers whose stored total lies in one band.

    Attributes:
        low: The band's lowest total (included), ``None`` for the first band (no bound below).
        high: The band's highest total (excluded), ``None`` for the last band.
        rate: How many of the band's customers reached the outcome, out of how many
            were scored in it, with its Wilson interval
            ([Rate.wilson][relcore.marketing.statistics.Rate.wilson]).
    """

    low: float | None
    high: float | None
    rate: Rate
