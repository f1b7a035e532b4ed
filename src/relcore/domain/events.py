# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True) (see pyproject.toml).
# mypy: disable-error-code="misc"
"""Domain events: plain values describing what happened.

The unit of work collects them while it runs and hands them to subscribers
only after its commit succeeded; a rolled-back unit of work publishes nothing.
Like the entities, events check their fields when built: a wrong value
raises [relcore.errors.ValidationError][] naming the field.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from relcore._kernel import checks as check
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


def _check_version(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, minimum=1)


def _check_count(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, maximum=2**63 - 1)


_version = attrs.Converter(_check_version, takes_field=True)
_count = attrs.Converter(_check_count, takes_field=True)


@attrs.frozen
class CustomerCreated:
    """A customer was added."""

    customer_id: CustomerId = attrs.field(converter=check.uuid)


@attrs.frozen
class CustomerUpdated:
    """A customer was saved; ``version`` is the new stored version."""

    customer_id: CustomerId = attrs.field(converter=check.uuid)
    version: int = attrs.field(converter=_version)


@attrs.frozen
class ContactAdded:
    """A contact was added to a customer."""

    contact_id: ContactId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)


@attrs.frozen
class ContactUpdated:
    """A contact was saved; ``version`` is the new stored version."""

    contact_id: ContactId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    version: int = attrs.field(converter=_version)


@attrs.frozen
class TouchpointRecorded:
    """A touchpoint was recorded one at a time."""

    touchpoint_id: TouchpointId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    channel: Channel = attrs.field(converter=check.enum_converter(Channel))
    occurred_at: datetime = attrs.field(converter=check.aware)


@attrs.frozen
class TransactionRecorded:
    """A transaction was recorded one at a time."""

    transaction_id: TransactionId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    kind: TransactionKind = attrs.field(converter=check.enum_converter(TransactionKind))


@attrs.frozen
class TouchpointsImported:
    """A bulk ``add_many`` stored ``new`` touchpoints (one event per call)."""

    new: int = attrs.field(converter=_count)


@attrs.frozen
class TransactionsImported:
    """A bulk ``add_many`` stored ``new`` transactions (one event per call)."""

    new: int = attrs.field(converter=_count)


@attrs.frozen
class ConsentChanged:
    """A consent record was appended to a customer's ledger."""

    customer_id: CustomerId = attrs.field(converter=check.uuid)
    purpose: Purpose = attrs.field(converter=check.enum_converter(Purpose))
    channel: Channel | None = attrs.field(converter=check.optional_enum_converter(Channel))
    status: ConsentStatus = attrs.field(converter=check.enum_converter(ConsentStatus))


@attrs.frozen
class SegmentEntered:
    """A customer became a member of a segment (found by a refresh, or added to a list)."""

    segment_id: SegmentId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    as_of: datetime = attrs.field(converter=check.aware)


@attrs.frozen
class SegmentLeft:
    """A customer stopped being a member of a segment."""

    segment_id: SegmentId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    as_of: datetime = attrs.field(converter=check.aware)


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
