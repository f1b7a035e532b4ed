"""The CRM domain: frozen entities, value objects and domain events.

Pure: this package imports attrs, email-validator, phonenumbers and the
standard library only, never a storage adapter.
"""

from relcore._kernel.money import CURRENCIES
from relcore.domain.consent import ConsentRecord, current_consent, may_contact
from relcore.domain.contact import (
    Contact,
    ContactPoint,
    PostalAddress,
    normalize_email,
    normalize_phone,
)
from relcore.domain.customer import Customer, Identity
from relcore.domain.enums import (
    Channel,
    ConsentStatus,
    ContactPointKind,
    Direction,
    LifecycleStage,
    PartyType,
    Purpose,
    RelationshipKind,
    TouchpointKind,
    TransactionKind,
)
from relcore.domain.events import (
    ConsentChanged,
    ContactAdded,
    ContactUpdated,
    CustomerCreated,
    CustomerUpdated,
    DomainEvent,
    SegmentEntered,
    SegmentLeft,
    TouchpointRecorded,
    TouchpointsImported,
    TransactionRecorded,
    TransactionsImported,
)
from relcore.domain.touchpoint import Touchpoint
from relcore.domain.transaction import Transaction
from relcore.value.model import METRIC_TYPES, CustomerMetrics, ValueRun

TimelineEntry = Touchpoint | Transaction
"""One entry of a customer timeline."""

__all__ = [
    "CURRENCIES",
    "METRIC_TYPES",
    "Channel",
    "ConsentChanged",
    "ConsentRecord",
    "ConsentStatus",
    "Contact",
    "ContactAdded",
    "ContactPoint",
    "ContactPointKind",
    "ContactUpdated",
    "Customer",
    "CustomerMetrics",
    "CustomerCreated",
    "CustomerUpdated",
    "Direction",
    "DomainEvent",
    "Identity",
    "LifecycleStage",
    "PartyType",
    "PostalAddress",
    "Purpose",
    "RelationshipKind",
    "SegmentEntered",
    "SegmentLeft",
    "TimelineEntry",
    "Touchpoint",
    "TouchpointKind",
    "TouchpointRecorded",
    "TouchpointsImported",
    "Transaction",
    "TransactionKind",
    "TransactionRecorded",
    "TransactionsImported",
    "ValueRun",
    "current_consent",
    "may_contact",
    "normalize_email",
    "normalize_phone",
]
