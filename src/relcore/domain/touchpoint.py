"""Touchpoints: every interaction with a customer, on every channel."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import attrs

from relcore._kernel import checks as check
from relcore.clock import system_clock
from relcore.domain.enums import Channel, Direction, TouchpointKind
from relcore.ids import CampaignId, CaseId, ContactId, CustomerId, OpportunityId, TouchpointId, new_id

__all__ = ["Touchpoint"]


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
        channel: Medium (e-mail, phone, web...); strings are accepted.
        direction: Inbound (from the customer) or outbound (from us).
        kind: Message, call, visit, complaint...
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
    channel: Channel = attrs.field(converter=check.enum_converter(Channel))
    direction: Direction = attrs.field(converter=check.enum_converter(Direction))
    kind: TouchpointKind = attrs.field(
        default=TouchpointKind.MESSAGE, converter=check.enum_converter(TouchpointKind)
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
