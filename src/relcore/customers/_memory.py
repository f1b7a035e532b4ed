"""Memory repositories for customers and contacts."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from uuid import UUID

import attrs

from relcore.customers.contacts import Contact
from relcore.customers.model import ContactPointKind, Customer
from relcore.customers.ports import (
    CustomerEntry,
    email_key,
    entry_chunks,
    identity_key,
    new_entries,
    phone_key,
)
from relcore.errors import ConflictError, NotFoundError
from relcore.ids import ContactId, CustomerId
from relcore.storage.base import DEFAULT_CHUNK_SIZE, Page
from relcore.storage.memory.session import Session
from relcore.storage.rules import check_id, check_limit, save_timestamp

__all__ = ["ContactTable", "CustomerTable", "MemoryContactRepository", "MemoryCustomerRepository"]

PointKey = tuple[ContactPointKind, str]
"""A contact point's lookup key: its kind and [`key`][relcore.domain.ContactPoint.key]."""


class CustomerTable:
    """The customers of a memory store.

    Attributes:
        rows: Customer by id.
        ids: Every customer id, sorted (for keyset pages).
        identities: Customer id by ``(namespace, value)`` identity.
    """

    __slots__ = ("identities", "ids", "rows")

    def __init__(self) -> None:
        self.rows: dict[CustomerId, Customer] = {}
        self.ids: list[CustomerId] = []
        self.identities: dict[tuple[str, str], CustomerId] = {}

    def owned(self, owner_id: UUID) -> list[Customer]:
        """Nothing: customers belong to no one."""
        return []


class ContactTable:
    """The contacts of a memory store.

    Attributes:
        rows: Contact by id.
        by_customer: Ids of each customer's contacts.
        by_point: Ids of the contacts holding each contact point key.
    """

    __slots__ = ("by_customer", "by_point", "rows")

    def __init__(self) -> None:
        self.rows: dict[ContactId, Contact] = {}
        self.by_customer: dict[CustomerId, set[ContactId]] = {}
        self.by_point: dict[PointKey, set[ContactId]] = {}

    def owned(self, owner_id: UUID) -> list[Contact]:
        """The customer's contacts, in id order."""
        return [self.rows[i] for i in sorted(self.by_customer.get(CustomerId(owner_id), ()))]


class MemoryCustomerRepository:
    """Customers in memory, implementing [`CustomerRepository`][relcore.customers.ports.CustomerRepository].

    Args:
        session: The unit of work's shared state.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def _table(self) -> CustomerTable:
        return self._session.tables.table("customers", CustomerTable)

    def get(self, customer_id: CustomerId) -> Customer:
        """Return the customer with ``customer_id``."""
        self._session.check()
        check_id("customer_id", customer_id)
        found = self._table().rows.get(customer_id)
        if found is None:
            raise NotFoundError("customer", customer_id)
        return found

    def add(self, customer: Customer) -> None:
        """Store a new customer; its id and identities must be unused."""
        self._session.check_write()
        table, log = self._table(), self._session.log
        if customer.id in table.rows:
            raise ConflictError(f"a customer with id {customer.id} is already stored")
        self._check_identities(customer)
        log.put(table.rows, customer.id, customer)
        log.insort(table.ids, customer.id)
        for identity in customer.identities:
            log.put(table.identities, (identity.namespace, identity.value), customer.id)

    def add_many(self, entries: Iterable[CustomerEntry], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
        """Store a stream of customers with their contacts, idempotently; return how many customers were new.

        See [CustomerRepository.add_many][relcore.customers.ports.CustomerRepository.add_many].
        """
        self._session.check_write()
        return sum(self._add_chunk(chunk) for chunk in entry_chunks("customers", entries, chunk_size))

    def _add_chunk(self, chunk: list[tuple[Customer, tuple[Contact, ...]]]) -> int:
        table, log = self._table(), self._session.log
        contacts = self._session.tables.table("contacts", ContactTable)
        fresh = new_entries(chunk, table.rows, table.identities)
        contact_ids: set[ContactId] = set()
        for _, people in fresh:
            for contact in people:
                if contact.id in contacts.rows or contact.id in contact_ids:
                    raise ConflictError(f"a contact with id {contact.id} is already stored")
                contact_ids.add(contact.id)
        for customer, people in fresh:
            log.put(table.rows, customer.id, customer)
            log.insort(table.ids, customer.id)
            for identity in customer.identities:
                log.put(table.identities, (identity.namespace, identity.value), customer.id)
            for contact in people:
                log.put(contacts.rows, contact.id, contact)
                log.add_to_index(contacts.by_customer, contact.customer_id, contact.id)
                for key in _point_keys(contact):
                    log.add_to_index(contacts.by_point, key, contact.id)
        return len(fresh)

    def save(self, customer: Customer) -> Customer:
        """Store a changed customer (version-checked); return the stored one."""
        self._session.check_write()
        table, log = self._table(), self._session.log
        stored = self.get(customer.id)
        if customer.version != stored.version:
            raise ConflictError(
                f"customer {customer.id} is at version {stored.version}, not {customer.version}"
            )
        self._check_identities(customer)
        saved = attrs.evolve(
            customer, version=stored.version + 1, updated_at=save_timestamp(self._session.clock, customer)
        )
        log.put(table.rows, saved.id, saved)
        kept = {(i.namespace, i.value) for i in saved.identities}
        for identity in stored.identities:
            if (identity.namespace, identity.value) not in kept:
                log.delete(table.identities, (identity.namespace, identity.value))
        for namespace, value in kept:
            if (namespace, value) not in table.identities:
                log.put(table.identities, (namespace, value), saved.id)
        return saved

    def _check_identities(self, customer: Customer) -> None:
        for identity in customer.identities:
            owner = self._table().identities.get((identity.namespace, identity.value))
            if owner is not None and owner != customer.id:
                # the same words as the SQL stores; the identity itself may be personal data
                raise ConflictError("an identity of this customer belongs to another customer")

    def find_by_identity(self, namespace: str, value: str) -> Customer | None:
        """Return the customer holding the external identity, if any (compared exactly)."""
        self._session.check()
        table = self._table()
        owner = table.identities.get(identity_key(namespace, value))
        return None if owner is None else table.rows[owner]

    def list(self, *, after: UUID | None = None, limit: int = 100) -> Page[Customer]:
        """Return up to ``limit`` customers with ids greater than ``after``, in id order."""
        self._session.check()
        check_limit(limit)
        if after is not None:
            check_id("after", after)
        table = self._table()
        ids = table.ids
        start = 0 if after is None else bisect.bisect_right(ids, after)
        page = ids[start : start + limit]
        more = start + limit < len(ids)
        return Page(tuple(table.rows[i] for i in page), page[-1] if more else None)

    def count(self) -> int:
        """Return how many customers are stored."""
        self._session.check()
        return len(self._table().rows)

    def ids(self) -> Iterator[CustomerId]:
        """Yield every customer id in id order (those stored when it was called)."""
        self._session.check()
        return iter(list(self._table().ids))


def _point_keys(contact: Contact) -> set[PointKey]:
    return {(p.kind, p.key) for p in contact.points}


class MemoryContactRepository:
    """Contacts in memory, implementing [`ContactRepository`][relcore.customers.ports.ContactRepository].

    Args:
        session: The unit of work's shared state.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def _table(self) -> ContactTable:
        return self._session.tables.table("contacts", ContactTable)

    def get(self, contact_id: ContactId) -> Contact:
        """Return the contact with ``contact_id``."""
        self._session.check()
        check_id("contact_id", contact_id)
        found = self._table().rows.get(contact_id)
        if found is None:
            raise NotFoundError("contact", contact_id)
        return found

    def add(self, contact: Contact) -> None:
        """Store a new contact; its customer must exist."""
        self._session.check_write()
        table, log = self._table(), self._session.log
        if contact.id in table.rows:
            raise ConflictError(f"a contact with id {contact.id} is already stored")
        self._session.require_customer(contact.customer_id)
        log.put(table.rows, contact.id, contact)
        log.add_to_index(table.by_customer, contact.customer_id, contact.id)
        for key in _point_keys(contact):
            log.add_to_index(table.by_point, key, contact.id)

    def save(self, contact: Contact) -> Contact:
        """Store a changed contact (version-checked); return the stored one."""
        self._session.check_write()
        table, log = self._table(), self._session.log
        stored = self.get(contact.id)
        if contact.version != stored.version:
            raise ConflictError(f"contact {contact.id} is at version {stored.version}, not {contact.version}")
        self._session.require_customer(contact.customer_id)
        saved = attrs.evolve(
            contact, version=stored.version + 1, updated_at=save_timestamp(self._session.clock, contact)
        )
        log.put(table.rows, saved.id, saved)
        if saved.customer_id != stored.customer_id:
            log.discard_from_index(table.by_customer, stored.customer_id, saved.id)
            log.add_to_index(table.by_customer, saved.customer_id, saved.id)
        old_keys, new_keys = _point_keys(stored), _point_keys(saved)
        for key in old_keys - new_keys:
            log.discard_from_index(table.by_point, key, saved.id)
        for key in new_keys - old_keys:
            log.add_to_index(table.by_point, key, saved.id)
        return saved

    def for_customer(self, customer_id: CustomerId) -> list[Contact]:
        """Return the customer's contacts in id order."""
        self._session.check()
        table = self._table()
        check_id("customer_id", customer_id)
        return self._by_ids(table.by_customer.get(customer_id, ()))

    def find_by_email(self, email: str) -> list[Contact]:
        """Return contacts with this e-mail (normalized, case-insensitive), in id order."""
        self._session.check()
        key = email_key(email)
        return self._by_ids(self._table().by_point.get((ContactPointKind.EMAIL, key), ()))

    def find_by_phone(self, phone: str, *, region: str | None = None) -> list[Contact]:
        """Return contacts with this phone number (compared in E.164), in id order."""
        self._session.check()
        key = phone_key(phone, region)
        return self._by_ids(self._table().by_point.get((ContactPointKind.PHONE, key), ()))

    def _by_ids(self, ids: Iterable[ContactId]) -> list[Contact]:
        contacts = self._table().rows
        return [contacts[i] for i in sorted(ids)]
