"""Customers: the people and organisations you do business with, their contacts and identities.

The names of its model, re-exported; its facade namespace is
[`crm.customers`][relcore.customers.api], its ports and use cases are in
``ports`` and ``services``.
"""

from relcore.customers.contacts import (
    Contact,
    ContactPoint,
    PostalAddress,
    normalize_email,
    normalize_phone,
)
from relcore.customers.model import (
    Channel,
    ContactAdded,
    ContactPointKind,
    ContactUpdated,
    Customer,
    CustomerCreated,
    CustomersImported,
    CustomerUpdated,
    Identity,
    LifecycleStage,
    PartyType,
    RelationshipKind,
)

__all__ = [
    "Channel",
    "Contact",
    "ContactAdded",
    "ContactPoint",
    "ContactPointKind",
    "ContactUpdated",
    "Customer",
    "CustomerCreated",
    "CustomerUpdated",
    "CustomersImported",
    "Identity",
    "LifecycleStage",
    "PartyType",
    "PostalAddress",
    "RelationshipKind",
    "normalize_email",
    "normalize_phone",
]
