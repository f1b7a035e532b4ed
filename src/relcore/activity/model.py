# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Activity: touchpoints (every interaction, on every channel), transactions (the money) and their events."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent, count_field
from relcore._kernel.money import check_currency, from_minor_units, to_minor_units
from relcore._kernel.tokens import optional_token_converter, token_converter
from relcore.clock import system_clock
from relcore.customers.model import Channel
from relcore.ids import (
    CampaignId,
    CaseId,
    ContactId,
    CustomerId,
    OpportunityId,
    TouchpointId,
    TransactionId,
    new_id,
)

__all__ = [
    "Direction",
    "TimelineEntry",
    "Touchpoint",
    "TouchpointKind",
    "TouchpointRecorded",
    "TouchpointsImported",
    "Transaction",
    "TransactionKind",
    "TransactionRecorded",
    "TransactionsImported",
]


class Direction(StrEnum):
    """Who started an interaction: the customer (inbound) or we (outbound)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class TouchpointKind(StrEnum):
    """What sort of interaction a touchpoint is.

    The built-in kinds; a CRM accepts more that its host declares
    ([Vocabularies][relcore.vocabularies.Vocabularies]).
    """

    MESSAGE = "message"
    CALL = "call"
    MEETING = "meeting"
    VISIT = "visit"
    WEB_VISIT = "web_visit"
    PAGE_VIEW = "page_view"
    OPEN = "open"
    CLICK = "click"
    COMPLAINT = "complaint"
    REQUEST = "request"
    FEEDBACK = "feedback"
    NOTE = "note"
    OTHER = "other"


class TransactionKind(StrEnum):
    """What a money record is. Only orders count as purchases in value metrics."""

    ORDER = "order"
    REFUND = "refund"
    INVOICE = "invoice"
    QUOTE = "quote"


def _sentiment(value: object, field: attrs.Attribute) -> float | None:  # type: ignore[type-arg]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise check.fail(field.name, f"expected a number in [-1, 1], got {check.kind(value)}")
    try:
        number = float.__float__(value) if isinstance(value, float) else float(int.__index__(value))
    except OverflowError:  # an int beyond the float range
        raise check.fail(field.name, "must lie in [-1, 1]") from None
    if not (math.isfinite(number) and -1.0 <= number <= 1.0):
        raise check.fail(field.name, "must lie in [-1, 1]")
    return number


def _source(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    return check.check_text(field.name, value, max_len=100)


source_converter = attrs.Converter(_source, takes_field=True)


@attrs.frozen(kw_only=True)
class Touchpoint:
    """One interaction with a customer.

    ``(source, external_id)`` is the idempotency key: ingesting a touchpoint
    whose key is already stored changes nothing, so a feed can be re-sent.

    Attributes:
        id: Time-ordered UUID.
        customer_id: The customer concerned.
        contact_id: The contact involved, if known.
        channel: Medium (e-mail, phone, web... or a declared channel); strings are accepted.
        direction: Inbound (from the customer) or outbound (from us).
        kind: Message, call, visit, complaint... or a declared kind.
        occurred_at: When it happened (aware; stored in UTC).
        subject: Short subject line.
        outcome: Free outcome label (``"resolved"``, ``"no_answer"``).
        sentiment: Sentiment score in [-1, 1].
        campaign_id: The campaign it belongs to.
        case_id: The service case it belongs to.
        opportunity_id: The sales opportunity it belongs to.
        payload: Any further data, a JSON object of at most 64 KiB.
        source: The system that reported it (``"zendesk"``, ``"web"``).
        external_id: Its id in that system; ``None`` disables deduplication.
        recorded_at: When relcore was told (aware, UTC).
    """

    id: TouchpointId = attrs.field(factory=lambda: TouchpointId(new_id()), converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    contact_id: ContactId | None = attrs.field(default=None, converter=check.optional_uuid)
    channel: Channel | str = attrs.field(converter=token_converter(Channel))
    direction: Direction = attrs.field(converter=check.enum_converter(Direction))
    kind: TouchpointKind | str = attrs.field(
        default=TouchpointKind.MESSAGE, converter=token_converter(TouchpointKind)
    )
    occurred_at: datetime = attrs.field(converter=check.aware)
    subject: str | None = attrs.field(default=None, converter=check.optional_text(500))
    outcome: str | None = attrs.field(default=None, converter=check.optional_text(100))
    sentiment: float | None = attrs.field(
        default=None, converter=attrs.Converter(_sentiment, takes_field=True)
    )
    campaign_id: CampaignId | None = attrs.field(default=None, converter=check.optional_uuid)
    case_id: CaseId | None = attrs.field(default=None, converter=check.optional_uuid)
    opportunity_id: OpportunityId | None = attrs.field(default=None, converter=check.optional_uuid)
    payload: dict[str, Any] = attrs.field(factory=dict, converter=check.json_object)
    source: str = attrs.field(default="relcore", converter=source_converter)
    external_id: str | None = attrs.field(default=None, converter=check.optional_text(200))
    recorded_at: datetime = attrs.field(factory=system_clock, converter=check.aware)


@attrs.frozen
class TouchpointRecorded(DomainEvent):
    """A touchpoint was recorded one at a time."""

    touchpoint_id: TouchpointId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    channel: Channel | str = attrs.field(converter=token_converter(Channel))
    occurred_at: datetime = attrs.field(converter=check.aware)


@attrs.frozen
class TransactionRecorded(DomainEvent):
    """A transaction was recorded one at a time."""

    transaction_id: TransactionId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    kind: TransactionKind = attrs.field(converter=check.enum_converter(TransactionKind))


@attrs.frozen
class TouchpointsImported(DomainEvent):
    """A bulk ``add_many`` stored ``new`` touchpoints (one event per call)."""

    new: int = attrs.field(converter=count_field)


@attrs.frozen
class TransactionsImported(DomainEvent):
    """A bulk ``add_many`` stored ``new`` transactions (one event per call)."""

    new: int = attrs.field(converter=count_field)


def _amount(value: object, field: attrs.Attribute) -> Decimal:  # type: ignore[type-arg]
    amount = check.decimal_value(field.name, value)
    if amount < 0:
        raise check.fail(field.name, "must not be negative (refunds have kind 'refund')")
    return amount


def _currency(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    return check_currency(field.name, value)


def _quantity(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, minimum=1)


@attrs.frozen(kw_only=True)
class Transaction:
    """A money record: an order, refund, invoice or quote.

    Amounts are never negative; a refund is a refund because of its
    `kind`. The amount is kept exactly to the currency's minor unit
    (``Decimal("10.5")`` in EUR becomes ``Decimal("10.50")``); more decimals
    than the currency has are refused.

    Attributes:
        id: Time-ordered UUID.
        customer_id: The customer concerned.
        kind: Order, refund, invoice or quote.
        amount: The total, a non-negative `Decimal`.
        currency: ISO 4217 code.
        occurred_at: When it happened (aware; stored in UTC).
        quantity: Number of items, at least 1.
        channel: Where it happened (web shop, in person...), if known.
        contact_id: The contact who placed it, if known.
        description: Short description.
        payload: Further data, a JSON object of at most 64 KiB.
        source: The system that reported it.
        external_id: Its id in that system; with ``source``, the idempotency key.
        recorded_at: When relcore was told.
    """

    id: TransactionId = attrs.field(factory=lambda: TransactionId(new_id()), converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    kind: TransactionKind = attrs.field(
        default=TransactionKind.ORDER, converter=check.enum_converter(TransactionKind)
    )
    amount: Decimal = attrs.field(converter=attrs.Converter(_amount, takes_field=True))
    currency: str = attrs.field(converter=attrs.Converter(_currency, takes_field=True))
    occurred_at: datetime = attrs.field(converter=check.aware)
    quantity: int = attrs.field(default=1, converter=attrs.Converter(_quantity, takes_field=True))
    channel: Channel | str | None = attrs.field(default=None, converter=optional_token_converter(Channel))
    contact_id: ContactId | None = attrs.field(default=None, converter=check.optional_uuid)
    description: str | None = attrs.field(default=None, converter=check.optional_text(500))
    payload: dict[str, Any] = attrs.field(factory=dict, converter=check.json_object)
    source: str = attrs.field(default="relcore", converter=source_converter)
    external_id: str | None = attrs.field(default=None, converter=check.optional_text(200))
    recorded_at: datetime = attrs.field(factory=system_clock, converter=check.aware)

    def __attrs_post_init__(self) -> None:
        units = to_minor_units(self.amount, self.currency)
        object.__setattr__(self, "amount", from_minor_units(units, self.currency))

    @property
    def minor_units(self) -> int:
        """The amount as an integer count of the currency's minor units."""
        return to_minor_units(self.amount, self.currency)

    @property
    def signed_amount(self) -> Decimal:
        """The amount with refunds negative, for sums of net value."""
        return -self.amount if self.kind is TransactionKind.REFUND else self.amount


TimelineEntry = Touchpoint | Transaction
"""One entry of a customer timeline."""
