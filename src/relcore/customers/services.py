"""Customer use cases: add and save customers and contacts, against the ports only.

Each function takes an open unit of work, does its work through the
repositories, records the domain events, and leaves committing to the caller.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

from relcore._kernel.arguments import check_instance
from relcore._kernel.checks import fail, kind
from relcore.customers.contacts import Contact
from relcore.customers.model import (
    ContactAdded,
    ContactUpdated,
    Customer,
    CustomerCreated,
    CustomersImported,
    CustomerUpdated,
)
from relcore.customers.ports import CustomerEntry, CustomersWork
from relcore.errors import ValidationError
from relcore.storage.base import DEFAULT_CHUNK_SIZE

__all__ = ["add_contact", "add_customer", "import_customers", "save_contact", "save_customer"]


def add_customer(uow: CustomersWork, customer: Customer, contacts: Iterable[Contact] = ()) -> None:
    """Add a customer and its contacts.

    Raises:
        ValidationError: If a contact belongs to another customer.
        ConflictError: If the id or an identity is already stored.
    """
    check_instance("customer", customer, Customer)
    people = list(contacts)
    for i, contact in enumerate(people):
        check_instance(f"contacts[{i}]", contact, Contact)
        if contact.customer_id != customer.id:
            raise ValidationError.single(f"contacts[{i}].customer_id", "does not match the customer's id")
    uow.customers.add(customer)
    uow.record(CustomerCreated(customer.id))
    for contact in people:
        uow.contacts.add(contact)
        uow.record(ContactAdded(contact.id, contact.customer_id))


def import_customers(
    uow: CustomersWork, entries: Iterable[CustomerEntry], *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> int:
    """Bulk-add customers with their contacts, idempotently; return how many customers were new.

    Records one [CustomersImported][relcore.domain.CustomersImported] when any
    customer was new. See
    [CustomerRepository.add_many][relcore.customers.ports.CustomerRepository.add_many].
    """
    stream: object = entries
    if isinstance(stream, str | bytes | Mapping) or not isinstance(stream, Iterable):
        raise fail("customers", f"expected a collection, got {kind(stream)}")
    received = itertools.count()
    # zip draws from the entries first: once they run out, the counter has counted them
    counted = (entry for entry, _ in zip(stream, received, strict=False))
    new = uow.customers.add_many(counted, chunk_size=chunk_size)
    if new:
        uow.record(CustomersImported(new, next(received) - new))
    return new


def save_customer(uow: CustomersWork, customer: Customer) -> Customer:
    """Save a changed customer; return it with its new version."""
    check_instance("customer", customer, Customer)
    saved = uow.customers.save(customer)
    uow.record(CustomerUpdated(saved.id, saved.version))
    return saved


def add_contact(uow: CustomersWork, contact: Contact) -> None:
    """Add a contact to an existing customer."""
    check_instance("contact", contact, Contact)
    uow.contacts.add(contact)
    uow.record(ContactAdded(contact.id, contact.customer_id))


def save_contact(uow: CustomersWork, contact: Contact) -> Contact:
    """Save a changed contact; return it with its new version."""
    check_instance("contact", contact, Contact)
    saved = uow.contacts.save(contact)
    uow.record(ContactUpdated(saved.id, saved.customer_id, saved.version))
    return saved
