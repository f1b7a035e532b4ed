"""The everyday CRM use cases, written against the ports only.

Each function takes an open unit of work, does its work through the
repositories, records the domain events, and leaves committing to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from relcore.domain import (
    Channel,
    ConsentChanged,
    ConsentRecord,
    Contact,
    ContactAdded,
    ContactUpdated,
    Customer,
    CustomerCreated,
    CustomerUpdated,
    Purpose,
    Touchpoint,
    TouchpointRecorded,
    TouchpointsImported,
    Transaction,
    TransactionRecorded,
    TransactionsImported,
)
from relcore.errors import ValidationError
from relcore.storage.ports import DEFAULT_CHUNK_SIZE, UnitOfWork

__all__ = [
    "add_contact",
    "add_customer",
    "import_touchpoints",
    "import_transactions",
    "may_contact",
    "record_consent",
    "record_touchpoint",
    "record_transaction",
    "save_contact",
    "save_customer",
]


def _require(value: object, cls: type, name: str) -> None:
    if not isinstance(value, cls):
        raise ValidationError.single(name, f"expected a {cls.__name__}, got {type(value).__name__}")


def add_customer(uow: UnitOfWork, customer: Customer, contacts: Iterable[Contact] = ()) -> None:
    """Add a customer and its contacts.

    Raises:
        ValidationError: If a contact belongs to another customer.
        ConflictError: If the id or an identity is already stored.
    """
    _require(customer, Customer, "customer")
    people = list(contacts)
    for i, contact in enumerate(people):
        _require(contact, Contact, f"contacts[{i}]")
        if contact.customer_id != customer.id:
            raise ValidationError.single(f"contacts[{i}].customer_id", "does not match the customer's id")
    uow.customers.add(customer)
    uow.record(CustomerCreated(customer.id))
    for contact in people:
        uow.contacts.add(contact)
        uow.record(ContactAdded(contact.id, contact.customer_id))


def save_customer(uow: UnitOfWork, customer: Customer) -> Customer:
    """Save a changed customer; return it with its new version."""
    _require(customer, Customer, "customer")
    saved = uow.customers.save(customer)
    uow.record(CustomerUpdated(saved.id, saved.version))
    return saved


def add_contact(uow: UnitOfWork, contact: Contact) -> None:
    """Add a contact to an existing customer."""
    _require(contact, Contact, "contact")
    uow.contacts.add(contact)
    uow.record(ContactAdded(contact.id, contact.customer_id))


def save_contact(uow: UnitOfWork, contact: Contact) -> Contact:
    """Save a changed contact; return it with its new version."""
    _require(contact, Contact, "contact")
    saved = uow.contacts.save(contact)
    uow.record(ContactUpdated(saved.id, saved.customer_id, saved.version))
    return saved


def record_touchpoint(uow: UnitOfWork, touchpoint: Touchpoint) -> bool:
    """Record one touchpoint; ``False`` if its key was already stored."""
    _require(touchpoint, Touchpoint, "touchpoint")
    new = uow.touchpoints.add(touchpoint)
    if new:
        uow.record(
            TouchpointRecorded(
                touchpoint.id, touchpoint.customer_id, touchpoint.channel, touchpoint.occurred_at
            )
        )
    return new


def import_touchpoints(
    uow: UnitOfWork, touchpoints: Iterable[Touchpoint], *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> int:
    """Bulk-ingest touchpoints idempotently; return how many were new."""
    new = uow.touchpoints.add_many(touchpoints, chunk_size=chunk_size)
    if new:
        uow.record(TouchpointsImported(new))
    return new


def record_transaction(uow: UnitOfWork, transaction: Transaction) -> bool:
    """Record one transaction; ``False`` if its key was already stored."""
    _require(transaction, Transaction, "transaction")
    new = uow.transactions.add(transaction)
    if new:
        uow.record(TransactionRecorded(transaction.id, transaction.customer_id, transaction.kind))
    return new


def import_transactions(
    uow: UnitOfWork, transactions: Iterable[Transaction], *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> int:
    """Bulk-ingest transactions idempotently; return how many were new."""
    new = uow.transactions.add_many(transactions, chunk_size=chunk_size)
    if new:
        uow.record(TransactionsImported(new))
    return new


def record_consent(uow: UnitOfWork, record: ConsentRecord) -> None:
    """Append a consent record to the customer's ledger."""
    _require(record, ConsentRecord, "record")
    uow.consents.add(record)
    uow.record(ConsentChanged(record.customer_id, record.purpose, record.channel, record.status))


def may_contact(
    uow: UnitOfWork, customer_id: object, purpose: Purpose | str, channel: Channel | str, at: datetime
) -> bool:
    """Answer whether the ledger allows contact for ``purpose`` on ``channel`` at ``at``."""
    return uow.consents.may_contact(customer_id, purpose, channel, at)  # type: ignore[arg-type]
