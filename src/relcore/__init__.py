"""relcore: an embeddable CRM domain library.

Customers, contacts, consent, interactions and money, with pluggable storage
(in memory, SQLite, PostgreSQL, MariaDB/MySQL). Start with :class:`CRM`.
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
    Touchpoint,
    TouchpointKind,
    Transaction,
    TransactionKind,
)
from relcore.errors import (
    ConflictError,
    NotFoundError,
    RelcoreError,
    StorageError,
    ValidationError,
)

__all__ = [
    "CRM",
    "Channel",
    "ConflictError",
    "ConsentRecord",
    "ConsentStatus",
    "Contact",
    "ContactPoint",
    "Customer",
    "Direction",
    "Identity",
    "LifecycleStage",
    "NotFoundError",
    "PartyType",
    "PostalAddress",
    "Purpose",
    "RelationshipKind",
    "RelcoreError",
    "StorageError",
    "Touchpoint",
    "TouchpointKind",
    "Transaction",
    "TransactionKind",
    "ValidationError",
]
