"""Transactions: orders, refunds, invoices and quotes, in exact money."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from relcore._kernel import checks as check
from relcore._kernel.money import check_currency, from_minor_units, to_minor_units
from relcore.clock import system_clock
from relcore.domain.enums import Channel, TransactionKind
from relcore.domain.touchpoint import source_converter
from relcore.ids import ContactId, CustomerId, TransactionId, new_id

__all__ = ["Transaction"]


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
    channel: Channel | None = attrs.field(default=None, converter=check.optional_enum_converter(Channel))
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
