# mypy's attrs plugin cannot follow the field-aware attrs.Converter converters that make a
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Multi-touch attribution: which campaigns earned an order's revenue, and how much of it.

A pure function of one customer's journey: the campaign touches it had
([Touch][relcore.marketing.attribution.Touch]) and the orders it placed
([Order][relcore.marketing.attribution.Order]). For each order, the touches
that count are those in its look-back window,
``order.at - lookback <= touch.at <= order.at``: both ends are included, so a
touch at the very instant of the order counts, and so does one exactly
``lookback`` before it. Touches are put in time order; touches at the same
instant are ordered by campaign id, then touchpoint id, so the answer does not
depend on the order the touches are given in.

The models ([AttributionModel][relcore.marketing.attribution.AttributionModel])
are the five of Salesforce's Marketing Cloud multi-touch attribution (first
touch, last touch, linear, time decay, U-shape 40/20/40):

* ``first_touch`` / ``last_touch``: the whole order to the earliest / latest
  touch in the window.
* ``linear``: an equal share to every touch in the window.
* ``time_decay``: touch ``i`` weighs ``2^(-Δtᵢ/h)``, with ``Δtᵢ = order.at -
  touch.at`` and ``h`` the ``half_life`` (Google Ads uses one week); the
  weights are then normalised to sum to 1. A touch one half-life older than
  another weighs exactly half as much.
* ``position_based``: the "U-shaped" model of Google Analytics and HubSpot,
  40 % to the first touch, 40 % to the last and the remaining 20 % shared
  equally by the touches between them; a single touch takes 100 % and two
  touches take 50 % each.

Weights are exact `fractions.Fraction`s and sum to exactly 1 per
order. Time decay is irrational in general: each relative weight
``2^(-(Δtᵢ - Δt_min)/h)`` is exactly ``2^-k`` when the difference is a whole
number ``k`` of half-lives, and otherwise the exact rational value of the
nearest float; the weights are then normalised in rational arithmetic, so
they still sum to exactly 1 (a touch 1,075 or more half-lives older than the
latest weighs 0, as in floats).

Several touches of the same campaign on one order add up into one
[Credit][relcore.marketing.attribution.Credit]. The order's amount is split in
whole minor units of its currency (cents, yen) by the largest-remainder
method: every campaign first gets the whole minor units of its exact share,
and the units left over go one each to the largest fractional parts (ties to
the campaign touched first), so the credits of an order add up to its amount
exactly. An order with no touch in its window is reported as one credit with
``campaign_id=None`` (unattributed) carrying the whole amount, so the credits
always add up to the revenue.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from uuid import UUID

import attrs

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_instance, check_items
from relcore._kernel.money import check_currency, from_minor_units, to_minor_units
from relcore.marketing._weights import check_span, touch_weights

__all__ = [
    "AttributionModel",
    "Credit",
    "Order",
    "Touch",
    "attribute",
    "attribute_checked",
    "check_settings",
    "stored_order",
    "stored_touch",
    "totals",
]


class AttributionModel(StrEnum):
    """How an order's revenue is shared among the touches in its window."""

    FIRST_TOUCH = "first_touch"
    LAST_TOUCH = "last_touch"
    LINEAR = "linear"
    TIME_DECAY = "time_decay"
    POSITION_BASED = "position_based"


def _amount(value: object, field: attrs.Attribute) -> Decimal:  # type: ignore[type-arg]
    amount = check.decimal_value(field.name, value)
    if amount < 0:
        raise check.fail(field.name, "must not be negative")
    return amount


def _currency(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    return check_currency(field.name, value)


@attrs.frozen
class Touch:
    """One campaign touch of the customer: a touchpoint that carries a campaign.

    Attributes:
        at: When it happened (aware; kept in UTC).
        campaign_id: The campaign it belongs to.
        touchpoint_id: The touchpoint it comes from, if known.
    """

    at: datetime = attrs.field(converter=check.aware)
    campaign_id: UUID = attrs.field(converter=check.uuid)
    touchpoint_id: UUID | None = attrs.field(default=None, converter=check.optional_uuid)


@attrs.frozen
class Order:
    """One order (transaction) of the customer, whose revenue is attributed.

    Attributes:
        at: When it was placed (aware; kept in UTC).
        amount: Its revenue, not negative, with no more decimals than the
            currency's minor unit.
        currency: Its ISO 4217 currency code (upper-cased).
        transaction_id: The transaction's id, unique among the orders attributed together.
    """

    at: datetime = attrs.field(converter=check.aware)
    amount: Decimal = attrs.field(converter=attrs.Converter(_amount, takes_field=True))
    currency: str = attrs.field(converter=attrs.Converter(_currency, takes_field=True))
    transaction_id: UUID = attrs.field(converter=check.uuid)

    def __attrs_post_init__(self) -> None:
        to_minor_units(self.amount, self.currency)  # refuses sub-minor-unit amounts


@attrs.frozen
class Credit:
    """The share of one order credited to one campaign.

    Attributes:
        transaction_id: The order's transaction id.
        campaign_id: The campaign credited, or ``None`` for an order with no
            touch in its window (unattributed: weight 1, the whole amount).
        weight: The campaign's exact share of the order, in [0, 1]; the
            weights of an order sum to 1. Every campaign touched in the window
            has a credit, so first and last touch give the others 0, and time
            decay gives 0 to a touch more than 1,074 half-lives older than the latest.
        amount: The revenue credited, in whole minor units of the currency;
            the amounts of an order add up to its amount.
        currency: The order's currency.
        touches: How many of the campaign's touches fell in the window.
    """

    transaction_id: UUID
    campaign_id: UUID | None
    weight: Fraction
    amount: Decimal
    currency: str
    touches: int


def attribute(
    orders: Iterable[Order],
    touches: Iterable[Touch],
    *,
    model: AttributionModel | str,
    lookback: timedelta,
    half_life: timedelta | None = None,
) -> list[Credit]:
    """Share the revenue of one customer's orders among the campaigns that touched it.

    Args:
        orders: The customer's orders; their transaction ids must differ.
        touches: The customer's campaign touches, in any order.
        model: The attribution model (a member or its value, such as ``"linear"``).
        lookback: How far before an order a touch still counts (positive).
        half_life: For ``time_decay`` only, and required there: the age at
            which a touch weighs half as much (positive).

    Returns:
        The credits, order by order in the order given; within an order, one
        per campaign, in the order of each campaign's first touch in the window.

    Raises:
        ValidationError: If an argument is of the wrong type or value, naming it.
    """
    chosen, window, given_half = check_settings(model, lookback, half_life)
    half = timedelta(0) if given_half is None else given_half
    given_orders = list(check_items("orders", orders, lambda f, v: check_instance(f, v, Order)))
    journey = sorted(
        check_items("touches", touches, lambda f, v: check_instance(f, v, Touch)), key=_touch_order
    )
    seen: dict[UUID, int] = {}
    for index, order in enumerate(given_orders):
        first = seen.setdefault(order.transaction_id, index)
        if first != index:
            raise check.fail(f"orders[{index}].transaction_id", f"repeats that of orders[{first}]")
    return _credit_journey(given_orders, journey, chosen, window, half)


def attribute_checked(
    orders: Sequence[Order],
    touches: Sequence[Touch],
    *,
    model: AttributionModel,
    lookback: timedelta,
    half_life: timedelta | None = None,
) -> list[Credit]:
    """[attribute][relcore.marketing.attribution.attribute] for arguments already checked.

    For a caller that checked the settings with
    [check_settings][relcore.marketing.attribution.check_settings] once and
    attributes many journeys whose orders and touches come checked (read back
    from storage): nothing is checked again, so the orders must have distinct
    transaction ids and ``half_life`` must be given exactly for ``time_decay``.

    Example:
        >>> from datetime import UTC, datetime, timedelta
        >>> from uuid import UUID
        >>> at = datetime(2026, 3, 31, tzinfo=UTC)
        >>> order = Order(at=at, amount="10.00", currency="EUR", transaction_id=UUID(int=9))
        >>> touch = Touch(at=at - timedelta(days=1), campaign_id=UUID(int=1))
        >>> (credit,) = attribute_checked(
        ...     [order], [touch], model=AttributionModel.LINEAR, lookback=timedelta(days=30)
        ... )
        >>> credit.campaign_id.int, credit.amount
        (1, Decimal('10.00'))
    """
    journey = sorted(touches, key=_touch_order)
    half = timedelta(0) if half_life is None else half_life
    return _credit_journey(orders, journey, model, lookback, half)


def stored_touch(at: datetime, campaign_id: UUID) -> Touch:
    """A [Touch][relcore.marketing.attribution.Touch] made unchecked, from values read back from storage.

    ``at`` must be aware and in UTC and ``campaign_id`` a `UUID`, as stored
    values are; a storage adapter reading millions of touches saves the
    checks they passed when they were stored. The touchpoint id is left out:
    it never changes a credit (touches at one instant are ordered by campaign
    first, and one campaign's touches add up).
    """
    touch = object.__new__(Touch)
    object.__setattr__(touch, "at", at)
    object.__setattr__(touch, "campaign_id", campaign_id)
    object.__setattr__(touch, "touchpoint_id", None)
    return touch


def stored_order(at: datetime, amount: Decimal, currency: str, transaction_id: UUID) -> Order:
    """An [Order][relcore.marketing.attribution.Order] made unchecked, from values read back from storage.

    Like [stored_touch][relcore.marketing.attribution.stored_touch]: ``at``
    aware in UTC, ``amount`` a non-negative `Decimal` in whole minor units of
    the ISO 4217 ``currency``.
    """
    order = object.__new__(Order)
    object.__setattr__(order, "at", at)
    object.__setattr__(order, "amount", amount)
    object.__setattr__(order, "currency", currency)
    object.__setattr__(order, "transaction_id", transaction_id)
    return order


def _touch_order(t: Touch) -> tuple[datetime, int, int]:
    return t.at, t.campaign_id.int, -1 if t.touchpoint_id is None else t.touchpoint_id.int


def _credit_journey(
    orders: Sequence[Order],
    journey: Sequence[Touch],
    model: AttributionModel,
    window: timedelta,
    half: timedelta,
) -> list[Credit]:
    instants = [t.at for t in journey]
    credits: list[Credit] = []
    for order in orders:
        start = _window_start(order.at, window)
        low = 0 if start is None else bisect_left(instants, start)
        in_window = journey[low : bisect_right(instants, order.at)]
        credits.extend(_credit_order(order, in_window, model, half))
    return credits


def check_settings(
    model: object, lookback: object, half_life: object
) -> tuple[AttributionModel, timedelta, timedelta | None]:
    """Check the settings of [attribute][relcore.marketing.attribution.attribute] and return them.

    Returns:
        The model as a member, the look-back window and the half-life
        (``None`` unless the model is ``time_decay``).

    Raises:
        ValidationError: Naming ``model``, ``lookback`` or ``half_life``: an unknown
            model, a window that is not a positive `timedelta`, or a half-life
            missing for ``time_decay`` or given to another model.

    Example:
        >>> from datetime import timedelta
        >>> check_settings("linear", timedelta(days=30), None)
        (<AttributionModel.LINEAR: 'linear'>, datetime.timedelta(days=30), None)
    """
    chosen = check.check_enum(AttributionModel, "model", model)
    window = check_span("lookback", lookback)
    if chosen is AttributionModel.TIME_DECAY:
        if half_life is None:
            raise check.fail("half_life", "required by the time_decay model")
        return chosen, window, check_span("half_life", half_life)
    if half_life is not None:
        raise check.fail("half_life", "only the time_decay model takes a half-life")
    return chosen, window, None


def totals(credits: Iterable[Credit]) -> dict[UUID | None, dict[str, Decimal]]:
    """Add up credited revenue per campaign and currency.

    Args:
        credits: Credits from [attribute][relcore.marketing.attribution.attribute].

    Returns:
        ``{campaign_id: {currency: amount}}``; the key ``None`` holds the
        unattributed revenue. Currencies are never added together.

    Raises:
        ValidationError: If an item is not a [Credit][relcore.marketing.attribution.Credit].
    """
    summed: dict[UUID | None, dict[str, Decimal]] = {}
    for credit in check_items("credits", credits, lambda f, v: check_instance(f, v, Credit)):
        per_currency = summed.setdefault(credit.campaign_id, {})
        per_currency[credit.currency] = per_currency.get(credit.currency, Decimal(0)) + credit.amount
    return summed


def _window_start(at: datetime, lookback: timedelta) -> datetime | None:
    try:
        return at - lookback
    except OverflowError:  # before year 1: every touch is late enough
        return None


def _credit_order(
    order: Order, in_window: Sequence[Touch], model: AttributionModel, half_life: timedelta
) -> list[Credit]:
    if not in_window:
        whole = from_minor_units(to_minor_units(order.amount, order.currency), order.currency)
        return [Credit(order.transaction_id, None, Fraction(1), whole, order.currency, 0)]
    weights, total = touch_weights(model.value, [order.at - t.at for t in in_window], half_life)
    # keyed by the id's integer: hashing an int is native, hashing a UUID runs Python code
    campaigns: dict[int, UUID] = {}
    shares: dict[int, int] = {}
    counts: dict[int, int] = {}
    for touch, weight in zip(in_window, weights, strict=True):
        key = touch.campaign_id.int
        if key not in campaigns:
            campaigns[key], shares[key], counts[key] = touch.campaign_id, 0, 0
        shares[key] += weight
        counts[key] += 1
    units = _split(to_minor_units(order.amount, order.currency), list(shares.values()), total)
    return [
        Credit(
            order.transaction_id,
            campaigns[key],
            Fraction(weight, total),
            from_minor_units(part, order.currency),
            order.currency,
            counts[key],
        )
        for (key, weight), part in zip(shares.items(), units, strict=True)
    ]


def _split(units: int, weights: Sequence[int], total: int) -> list[int]:
    """``units`` shared in proportion to ``weights`` (summing to ``total``): largest remainders first."""
    quotas = [divmod(units * w, total) for w in weights]
    parts = [whole for whole, _ in quotas]
    left = units - sum(parts)
    # largest remainder first (all over the same ``total``); ties to the earlier campaign (sorted is stable)
    order = sorted(range(len(quotas)), key=lambda i: quotas[i][1], reverse=True)
    for i in order[:left]:
        parts[i] += 1
    return parts
