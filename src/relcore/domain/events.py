"""Domain events: plain values describing what happened.

The unit of work collects them while it runs and hands them to subscribers
only after its commit succeeded; a rolled-back unit of work publishes nothing.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from relcore.domain.enums import Channel, ConsentStatus, Purpose, TransactionKind
from relcore.ids import ContactId, CustomerId, SegmentId, TouchpointId, TransactionId

__all__ = [
    "ConsentChanged",
    "ContactAdded",
    "ContactUpdated",
    "CustomerCreated",
    "CustomerUpdated",
    "DomainEvent",
    "SegmentEntered",
    "SegmentLeft",
    "TouchpointRecorded",
    "TouchpointsImported",
    "TransactionRecorded",
    "TransactionsImported",
]


@attrs.frozen
class CustomerCreated:
    """A customer was added."""

    customer_id: CustomerId


@attrs.frozen
class CustomerUpdated:
    """A customer was saved; ``version`` is the new stored version."""

    customer_id: CustomerId
    version: int


@attrs.frozen
class ContactAdded:
    """A contact was added to a customer."""

    contact_id: ContactId
    customer_id: CustomerId


@attrs.frozen
class ContactUpdated:
    """A contact was saved; ``version`` is the new stored version."""

    contact_id: ContactId
    customer_id: CustomerId
    version: int


@attrs.frozen
class TouchpointRecorded:
    """A touchpoint was recorded one at a time."""

    touchpoint_id: TouchpointId
    customer_id: CustomerId
    channel: Channel
    occurred_at: datetime


@attrs.frozen
class TransactionRecorded:
    """A transaction was recorded one at a time."""

    transaction_id: TransactionId
    customer_id: CustomerId
    kind: TransactionKind


@attrs.frozen
class TouchpointsImported:
    """A bulk ``add_many`` stored ``new`` touchpoints (one event per call)."""

    new: int


@attrs.frozen
class TransactionsImported:
    """A bulk ``add_many`` stored ``new`` transactions (one event per call)."""

    new: int


@attrs.frozen
class ConsentChanged:
    """A consent record was appended to a customer's ledger."""

    customer_id: CustomerId
    purpose: Purpose
    channel: Channel | None
    status: ConsentStatus


@attrs.frozen
class SegmentEntered:
    """A customer became a member of a segment (found by a refresh, or added to a list)."""

    segment_id: SegmentId
    customer_id: CustomerId
    as_of: datetime


@attrs.frozen
class SegmentLeft:
    """A customer stopped being a member of a segment."""

    segment_id: SegmentId
    customer_id: CustomerId
    as_of: datetime


DomainEvent = (
    CustomerCreated
    | CustomerUpdated
    | ContactAdded
    | ContactUpdated
    | TouchpointRecorded
    | TransactionRecorded
    | TouchpointsImported
    | TransactionsImported
    | ConsentChanged
    | SegmentEntered
    | SegmentLeft
)
"""Union of every domain event type."""
