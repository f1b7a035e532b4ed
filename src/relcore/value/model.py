# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Relationship-value metrics of one customer, as a value refresh stores them."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from uuid import UUID

import attrs

from relcore._kernel import checks as check
from relcore._kernel.money import check_currency, from_minor_units, to_minor_units
from relcore.clock import system_clock
from relcore.ids import CustomerId, new_id

__all__ = ["METRIC_TYPES", "MONEY_METRICS", "CustomerMetrics", "ValueRun"]


def _count(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, minimum=0, maximum=2**31 - 1)


def _number(value: object, field: attrs.Attribute) -> float | None:  # type: ignore[type-arg]
    if value is None and field.default is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise check.fail(field.name, f"expected a number, got {check.kind(value)}")
    try:
        number = float.__float__(value) if isinstance(value, float) else float(int.__index__(value))
    except OverflowError:  # an int beyond the float range
        raise check.fail(field.name, "must be finite") from None
    if not math.isfinite(number):
        raise check.fail(field.name, "must be finite")
    low, high = field.metadata.get("range", (-math.inf, math.inf))
    if not low <= number <= high:
        raise check.fail(field.name, f"must lie in [{low}, {high}]")
    return number


def _money(value: object, field: attrs.Attribute) -> Decimal | None:  # type: ignore[type-arg]
    return None if value is None else check.decimal_value(field.name, value)


def _score(value: object, field: attrs.Attribute) -> int | None:  # type: ignore[type-arg]
    return None if value is None else check.positive_int(field.name, value, minimum=1, maximum=5)


def _currency(value: object, field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
    return None if value is None else check_currency(field.name, value)


def _number_field(*, optional: bool = True, low: float = -math.inf, high: float = math.inf) -> Any:
    return attrs.field(
        default=None if optional else attrs.NOTHING,
        converter=attrs.Converter(_number, takes_field=True),
        metadata={"range": (low, high)},
    )


@attrs.frozen(kw_only=True)
class CustomerMetrics:
    """What a value refresh computed for one customer at ``as_of``.

    Durations are in the refresh's period (days unless it said otherwise);
    money is in ``currency``, the currency of the customer's orders. Amounts
    are exact: ``historical_value`` is a sum of recorded money and
    ``monetary`` a mean rounded half-even to the currency's minor unit, both
    `Decimal`s with no more decimals than the currency has.
    Predictions (``expected_purchases``, ``probability_alive``, ``clv``) are
    estimates and stay floats.

    Segment rules see every metric as a number (``metrics.historical_value``
    compares as a float, like every other number field).

    Attributes:
        customer_id: The customer.
        as_of: The date the metrics describe.
        run_id: The refresh run that computed them.
        currency: The currency of their orders; ``None`` if they have none.
        orders: Orders placed up to ``as_of``.
        frequency: Repeat purchase periods (buy-till-you-die frequency).
        recency: Age at the last purchase, in periods.
        age: Periods from the first purchase to ``as_of`` (the models' ``T``).
        monetary: Mean value of the repeat purchases, rounded to the minor
            unit; ``None`` without any.
        historical_value: Orders less refunds, up to ``as_of`` (exact).
        r_score: Recency quintile score, 1 (worst) to 5 (best).
        f_score: Frequency quintile score.
        m_score: Monetary quintile score.
        rfm_segment: The named RFM segment (``"champions"``, ``"at risk"``...).
        expected_purchases: Purchases expected over the refresh's horizon.
        probability_alive: Probability the customer is still active.
        clv: Discounted value expected over the horizon.
        tier: Tier of the customer pyramid cut on the CLV (by default ``"top"``,
            ``"big"``, ``"medium"`` or ``"small"``).
    """

    customer_id: CustomerId = attrs.field(converter=check.uuid)
    as_of: datetime = attrs.field(converter=check.aware)
    run_id: UUID = attrs.field(converter=check.uuid)
    currency: str | None = attrs.field(default=None, converter=attrs.Converter(_currency, takes_field=True))
    orders: int = attrs.field(default=0, converter=attrs.Converter(_count, takes_field=True))
    frequency: int = attrs.field(default=0, converter=attrs.Converter(_count, takes_field=True))
    recency: float | None = _number_field(low=0)
    age: float | None = _number_field(low=0)
    monetary: Decimal | None = attrs.field(default=None, converter=attrs.Converter(_money, takes_field=True))
    historical_value: Decimal | None = attrs.field(
        default=None, converter=attrs.Converter(_money, takes_field=True)
    )
    r_score: int | None = attrs.field(default=None, converter=attrs.Converter(_score, takes_field=True))
    f_score: int | None = attrs.field(default=None, converter=attrs.Converter(_score, takes_field=True))
    m_score: int | None = attrs.field(default=None, converter=attrs.Converter(_score, takes_field=True))
    rfm_segment: str | None = attrs.field(default=None, converter=check.optional_text(40))
    expected_purchases: float | None = _number_field(low=0)
    probability_alive: float | None = _number_field(low=0, high=1)
    clv: float | None = _number_field()
    tier: str | None = attrs.field(default=None, converter=check.optional_text(40))

    def __attrs_post_init__(self) -> None:
        for name in MONEY_METRICS:
            amount = getattr(self, name)
            if amount is None:
                continue
            if self.currency is None:
                raise check.fail(name, "an amount needs a currency: set currency too")
            # exact to the minor unit, normalized (Decimal("7.5") and Decimal("7.50") are one amount)
            units = to_minor_units(amount, self.currency, field=name)
            object.__setattr__(self, name, from_minor_units(units, self.currency))

    def values(self) -> dict[str, object]:
        """The metrics by name, as segment rules see them (``metrics.<name>``; amounts as floats)."""
        return {
            name: float(value) if isinstance(value, Decimal) else value
            for name in METRIC_TYPES
            for value in (getattr(self, name),)
        }


MONEY_METRICS = ("historical_value", "monetary")
"""The metrics that are exact amounts of money in the customer's ``currency``."""


METRIC_TYPES: MappingProxyType[str, str] = MappingProxyType(
    {
        "as_of": "datetime",
        "currency": "text",
        "orders": "number",
        "frequency": "number",
        "recency": "number",
        "age": "number",
        "monetary": "number",
        "historical_value": "number",
        "r_score": "number",
        "f_score": "number",
        "m_score": "number",
        "rfm_segment": "text",
        "expected_purchases": "number",
        "probability_alive": "number",
        "clv": "number",
        "tier": "text",
    }
)
"""Every stored metric a segment rule can use as ``metrics.<name>``, with its type."""


@attrs.frozen(kw_only=True)
class ValueRun:
    """One value refresh: when it ran, what it assumed, and the models it fitted.

    Attributes:
        id: Time-ordered UUID; metrics name it as their ``run_id``.
        as_of: The date the metrics describe.
        created_at: When the refresh ran.
        customers: Customers it computed metrics for.
        settings: Its settings (period, horizon, discount rate...), a JSON object.
        models: The fitted models' parameters by currency, a JSON object.
    """

    id: UUID = attrs.field(factory=new_id, converter=check.uuid)
    as_of: datetime = attrs.field(converter=check.aware)
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    customers: int = attrs.field(default=0, converter=attrs.Converter(_count, takes_field=True))
    settings: dict[str, Any] = attrs.field(factory=dict, converter=check.json_object)
    models: dict[str, Any] = attrs.field(factory=dict, converter=check.json_object)
