"""The ports of the customers context: its repositories, as protocols.

Semantics shared by every repository are written in [`relcore.storage.base`][].
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol
from uuid import UUID

from relcore._kernel.declarations import Aggregate, Context
from relcore.customers.contacts import Contact, ContactPoint, PostalAddress
from relcore.customers.model import (
    ContactAdded,
    ContactUpdated,
    Customer,
    CustomerCreated,
    CustomerUpdated,
    Identity,
)
from relcore.ids import ContactId, CustomerId
from relcore.storage.base import Page, Work

__all__ = ["ContactRepository", "CustomerRepository", "CustomersWork"]


class CustomerRepository(Protocol):
    """Customers, with their tags and identities."""

    def get(self, customer_id: CustomerId) -> Customer:
        """Return the customer with ``customer_id``."""
        ...

    def add(self, customer: Customer) -> None:
        """Store a new customer; its id and identities must be unused."""
        ...

    def save(self, customer: Customer) -> Customer:
        """Store a changed customer (version-checked); return the stored one."""
        ...

    def find_by_identity(self, namespace: str, value: str) -> Customer | None:
        """Return the customer holding the external identity, if any."""
        ...

    def list(self, *, after: UUID | None = None, limit: int = 100) -> Page[Customer]:
        """Return up to ``limit`` customers with ids greater than ``after``."""
        ...

    def count(self) -> int:
        """Return how many customers are stored."""
        ...

    def ids(self) -> Iterator[CustomerId]:
        """Yield every stored customer's id, in id order; consume it inside the unit of work."""
        ...


class ContactRepository(Protocol):
    """Contacts and their contact points."""

    def get(self, contact_id: ContactId) -> Contact:
        """Return the contact with ``contact_id``."""
        ...

    def add(self, contact: Contact) -> None:
        """Store a new contact; its customer must exist."""
        ...

    def save(self, contact: Contact) -> Contact:
        """Store a changed contact (version-checked); return the stored one."""
        ...

    def for_customer(self, customer_id: CustomerId) -> list[Contact]:
        """Return the customer's contacts in id order."""
        ...

    def find_by_email(self, email: str) -> list[Contact]:
        """Return contacts with this e-mail (normalized, case-insensitive)."""
        ...

    def find_by_phone(self, phone: str, *, region: str | None = None) -> list[Contact]:
        """Return contacts with this phone number (compared in E.164)."""
        ...


class CustomersWork(Work, Protocol):
    """The ports the customer use cases need: a unit of work seen from this context."""

    @property
    def customers(self) -> CustomerRepository:
        """The customer repository."""
        ...

    @property
    def contacts(self) -> ContactRepository:
        """The contact repository."""
        ...


CUSTOMERS = Aggregate(
    "customers",
    CustomerRepository,
    memory="relcore.customers._memory:MemoryCustomerRepository",
    sql="relcore.customers._sql:SqlCustomers",
    entity=Customer,
    owner=None,
    unique=(("identities",),),
    versioned=True,
)
"""Customers, unique by each of their external identities."""

CONTACTS = Aggregate(
    "contacts",
    ContactRepository,
    memory="relcore.customers._memory:MemoryContactRepository",
    sql="relcore.customers._sql:SqlContacts",
    entity=Contact,
    versioned=True,
)
"""The people at a customer, each owned by one customer."""

CONTEXT = Context(
    "customers",
    ports=(CUSTOMERS, CONTACTS),
    events=(CustomerCreated, CustomerUpdated, ContactAdded, ContactUpdated),
    values=(Identity, ContactPoint, PostalAddress),
    contracts=(
        "relcore.customers._testing:CustomerRepositoryContract",
        "relcore.customers._testing_contacts:ContactRepositoryContract",
    ),
    snapshot="relcore.customers._testing:stored_state",
)
"""The customers context, as the registry sees it."""
