"""relcore: an embeddable CRM domain library.

Customers, contacts, consent, interactions and money, with pluggable storage
(in memory, SQLite, PostgreSQL, MariaDB/MySQL). Start with [`CRM`][relcore.crm.CRM].
"""

from relcore.crm import CRM
from relcore.domain import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    Contact,
    ContactPoint,
    Customer,
    Direction,
    Identity,
    LifecycleStage,
    PartyType,
    PostalAddress,
    Purpose,
    RelationshipKind,
    SegmentEntered,
    SegmentLeft,
    Touchpoint,
    TouchpointKind,
    Transaction,
    TransactionKind,
)
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
from relcore.segments.model import Segment, SegmentKind

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
]
