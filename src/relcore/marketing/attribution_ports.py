# mypy's attrs plugin cannot follow the field-aware attrs.Converter converters that make a
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""The journeys port of the marketing context: each customer's orders and campaign touches, streamed.

Attribution over stored data reads, for every customer who placed an order in
a period, those orders and the campaign touches that may precede them; the
pure [attribute][relcore.marketing.attribution.attribute] then shares each
order among them. The port streams the customers one by one, so no store
loads every order or touch at once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import UTC, datetime, timedelta
from typing import Protocol
from uuid import UUID

import attrs

from relcore._kernel import checks as check
from relcore._kernel.declarations import Port
from relcore.marketing._weights import check_span
from relcore.marketing.attribution import Order, Touch
from relcore.storage.rules import check_ids

__all__ = ["JOURNEYS", "Journey", "JourneyQuery", "JourneySource"]

_STORABLE = datetime(1000, 1, 1, tzinfo=UTC)


def _ids(value: object) -> frozenset[UUID] | None:
    return None if value is None else frozenset(check_ids("campaign_ids", value))


def _kinds(value: object) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, Collection):
        raise check.fail("kinds", f"expected a collection of touchpoint kinds, got {check.kind(value)}")
    return frozenset(check.check_text(f"kinds[{i}]", v, max_len=20) for i, v in enumerate(value))


def _span(value: object) -> timedelta:
    return check_span("lookback", value)


@attrs.frozen
class JourneyQuery:
    """Which orders and touches a journey holds.

    Attributes:
        start: Orders placed at or after it count (aware).
        end: Orders placed before it count (aware, after ``start``).
        lookback: How far before an order a touch still counts (positive).
        campaign_ids: Only touches of these campaigns; ``None`` for every campaign.
        kinds: Only touches of these touchpoint kinds; ``None`` for every kind.
    """

    start: datetime = attrs.field(converter=check.aware)
    end: datetime = attrs.field(converter=check.aware)
    lookback: timedelta = attrs.field(converter=_span)
    campaign_ids: frozenset[UUID] | None = attrs.field(default=None, converter=_ids)
    kinds: frozenset[str] | None = attrs.field(default=None, converter=_kinds)

    @property
    def earliest_touch(self) -> datetime | None:
        """The earliest instant a touch can count at, ``start - lookback``.

        ``None`` when that is before year 1000: nothing stored is that old
        (stored instants lie in years 1000 to 9998), so every touch is late enough.
        """
        try:
            earliest = self.start - self.lookback
        except OverflowError:  # before year 1
            return None
        return None if earliest < _STORABLE else earliest


@attrs.frozen
class Journey:
    """One customer's orders in the period and the campaign touches that may precede them.

    Attributes:
        customer_id: The customer.
        orders: Its transactions of kind ``order`` placed in ``[start, end)``, by time then id.
        touches: Its touchpoints with a campaign (of the chosen campaigns and
            kinds) in ``[start - lookback, end)``, by time (those of one
            instant in any order), without their touchpoint ids (which never
            change a credit).
    """

    customer_id: UUID
    orders: tuple[Order, ...]
    touches: tuple[Touch, ...]


class JourneySource(Protocol):
    """Each customer's orders and campaign touches, a customer at a time (a query port: it stores nothing)."""

    def journeys(self, query: JourneyQuery, *, batch: int = 500) -> Iterator[Journey]:
        """The journey of every customer with an order in ``[query.start, query.end)``.

        Customers come in the store's id order (MariaDB's native ``UUID``
        type orders ids otherwise than Python does), each once.

        Customers without such an order are left out; a customer's touches
        may include some in no order's window (the pure
        [attribute][relcore.marketing.attribution.attribute] leaves them out).
        At most ``batch`` customers are read from storage at a time.
        """
        ...


JOURNEYS = Port(
    "campaign_journeys",
    JourneySource,
    memory="relcore.marketing._memory_attribution:MemoryJourneys",
    sql="relcore.marketing._sql_attribution:SqlJourneys",
)
"""Each customer's orders and campaign touches, streamed for attribution (a query port: it stores nothing)."""
