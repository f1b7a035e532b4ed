"""relcore: an embeddable CRM domain library.

Customers, contacts, consent, interactions and money, with pluggable storage
(in memory, SQLite, PostgreSQL, MariaDB/MySQL). Start with [`CRM`][relcore.crm.CRM].
"""

from relcore.activity.model import Direction, Touchpoint, TouchpointKind, Transaction, TransactionKind
from relcore.consent.model import ConsentRecord, ConsentStatus, Purpose
from relcore.crm import CRM
from relcore.customers.contacts import Contact, ContactPoint, PostalAddress
from relcore.customers.model import Channel, Customer, Identity, LifecycleStage, PartyType, RelationshipKind
from relcore.errors import (
    ConfigurationError,
    ConflictError,
    FieldError,
    InvalidRuleError,
    NotFoundError,
    RelcoreError,
    SchemaVersionError,
    StorageError,
    ValidationError,
)
from relcore.segments.model import Segment, SegmentEntered, SegmentKind, SegmentLeft
from relcore.vocabularies import Vocabularies

__all__ = [
    "CRM",
    "Channel",
    "ConfigurationError",
    "ConflictError",
    "ConsentRecord",
    "ConsentStatus",
    "Contact",
    "ContactPoint",
    "Customer",
    "Direction",
    "FieldError",
    "Identity",
    "InvalidRuleError",
    "LifecycleStage",
    "NotFoundError",
    "PartyType",
    "PostalAddress",
    "Purpose",
    "RelationshipKind",
    "RelcoreError",
    "SchemaVersionError",
    "Segment",
    "SegmentEntered",
    "SegmentKind",
    "SegmentLeft",
    "StorageError",
    "Touchpoint",
    "TouchpointKind",
    "Transaction",
    "TransactionKind",
    "ValidationError",
    "Vocabularies",
]
