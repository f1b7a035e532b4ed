"""The ports of the customers context: its repositories, as protocols.

Semantics shared by every repository are written in [`relcore.storage.base`][].
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Protocol
from uuid import UUID

from relcore._kernel.checks import check_text, fail, kind, positive_int
from relcore._kernel.declarations import Aggregate, Context
from relcore.customers.contacts import Contact, ContactPoint, PostalAddress, normalize_email, normalize_phone
from relcore.customers.model import (
    ContactAdded,
    ContactUpdated,
    Customer,
    CustomerCreated,
    CustomersImported,
    CustomerUpdated,
    Identity,
)
from relcore.ids import ContactId, CustomerId
from relcore.storage.base import DEFAULT_CHUNK_SIZE, Page, Work
from relcore.storage.rules import check_key

__all__ = [
    "email_key",
    "identity_key",
    "phone_key",
    "ContactRepository",
    "CustomerEntry",
    "CustomerRepository",
    "CustomersWork",
    "check_entry",
    "checked_entries",
    "entry_chunks",
    "new_entries",
]

CustomerEntry = Customer | tuple[Customer, Iterable[Contact]]
"""One customer of a bulk import: a [Customer][relcore.domain.Customer] alone, or a
``(customer, contacts)`` pair whose contacts all belong to it."""

Checked = tuple[Customer, tuple[Contact, ...]]


def entry_chunks(field: str, entries: object, chunk_size: int) -> Iterator[list[Checked]]:
    """Yield the stream ``entries`` of a bulk import in checked chunks of ``chunk_size`` entries.

    Raises:
        ValidationError: ``chunk_size`` is not a positive integer, ``entries``
            is no collection, or an entry is malformed
            ([checked_entries][relcore.customers.ports.checked_entries]).
    """
    size = positive_int("chunk_size", chunk_size, minimum=1)
    if isinstance(entries, str | bytes | Mapping) or not isinstance(entries, Iterable):
        raise fail(field, f"expected a collection, got {kind(entries)}")
    return _chunks(field, iter(entries), size)


def _chunks(field: str, stream: Iterator[object], size: int) -> Iterator[list[Checked]]:
    offset = 0
    while chunk := list(itertools.islice(stream, size)):
        yield checked_entries(field, chunk, offset)
        offset += len(chunk)


def checked_entries(field: str, entries: Sequence[object], offset: int) -> list[Checked]:
    """Return the chunk ``entries`` of a bulk import as ``(customer, contacts)`` pairs, checked.

    ``offset`` is the position of the chunk's first entry in the whole
    stream, so a [ValidationError][relcore.errors.ValidationError] names it as
    ``<field>[<position>]`` (``customers[7].contacts[0].customer_id``).
    """
    return [check_entry(f"{field}[{i}]", entry) for i, entry in enumerate(entries, offset)]


def check_entry(path: str, entry: object) -> Checked:
    """Return one entry of a bulk import as a ``(customer, contacts)`` pair, checked.

    Raises:
        ValidationError: ``entry`` is neither a [Customer][relcore.domain.Customer]
            nor a pair of a customer and a collection of its contacts
            (``path``, ``path[0]``, ``path.contacts[i]``), or a contact belongs to
            another customer (``path.contacts[i].customer_id``).
    """
    if isinstance(entry, Customer):
        return (entry, ())
    if not isinstance(entry, tuple) or tuple.__len__(entry) != 2:
        raise fail(path, f"expected a Customer or a (customer, contacts) pair, got {kind(entry)}")
    customer, people = entry
    if not isinstance(customer, Customer):
        raise fail(f"{path}[0]", f"expected a Customer, got {kind(customer)}")
    if isinstance(people, str | bytes | Mapping) or not isinstance(people, Iterable):
        raise fail(f"{path}.contacts", f"expected a collection of contacts, got {kind(people)}")
    contacts = tuple(people)
    for i, contact in enumerate(contacts):
        if not isinstance(contact, Contact):
            raise fail(f"{path}.contacts[{i}]", f"expected a Contact, got {kind(contact)}")
        if contact.customer_id != customer.id:
            raise fail(f"{path}.contacts[{i}].customer_id", "does not match the customer's id")
    return (customer, contacts)


def new_entries(
    entries: Iterable[Checked], stored_ids: Collection[UUID], stored_identities: Collection[tuple[str, str]]
) -> list[Checked]:
    """Return the entries a bulk import stores: neither their id nor an identity is stored or taken.

    Taken means held by an earlier entry of ``entries`` that is kept: inside
    one chunk the first customer holding an identity (or an id) wins.
    """
    kept: list[Checked] = []
    ids: set[UUID] = set()
    pairs: set[tuple[str, str]] = set()
    for entry in entries:
        customer = entry[0]
        if customer.id in ids or customer.id in stored_ids:
            continue
        held = [(i.namespace, i.value) for i in customer.identities]
        if any(p in pairs or p in stored_identities for p in held):
            continue
        ids.add(customer.id)
        pairs.update(held)
        kept.append(entry)
    return kept


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

    def add_many(self, entries: Iterable[CustomerEntry], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
        """Store a stream of customers with their contacts, idempotently; return how many customers were new.

        The stream is consumed ``chunk_size`` entries at a time, so memory
        stays flat whatever its length. A customer whose id is already stored,
        or who holds an external identity already stored, is skipped with its
        contacts, so sending a feed again stores nothing; inside the stream
        the first customer holding an id or identity wins. Each chunk is
        checked whole ([checked_entries][relcore.customers.ports.checked_entries])
        before any of it is written. A contact of a new customer whose id is
        already stored raises [ConflictError][relcore.errors.ConflictError].
        """
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
    table="relcore.storage.sql.schema:customers",
)
"""Customers, unique by each of their external identities."""

CONTACTS = Aggregate(
    "contacts",
    ContactRepository,
    memory="relcore.customers._memory:MemoryContactRepository",
    sql="relcore.customers._sql:SqlContacts",
    entity=Contact,
    versioned=True,
    table="relcore.storage.sql.schema:contacts",
)
"""The people at a customer, each owned by one customer."""

CONTEXT = Context(
    "customers",
    ports=(CUSTOMERS, CONTACTS),
    events=(CustomerCreated, CustomerUpdated, ContactAdded, ContactUpdated, CustomersImported),
    values=(Identity, ContactPoint, PostalAddress),
    contracts=(
        "relcore.customers._testing:CustomerRepositoryContract",
        "relcore.customers._testing:CustomerImportContract",
        "relcore.customers._testing_contacts:ContactRepositoryContract",
    ),
    snapshot="relcore.customers._testing:stored_state",
)
"""The customers context, as the registry sees it."""


def identity_key(namespace: object, value: object) -> tuple[str, str]:
    """Return the checked arguments of a lookup by identity.

    Raises:
        ValidationError: As `check_key`.
    """
    return check_key("namespace", namespace, max_len=64), check_key("value", value, max_len=256)


def email_key(email: object) -> str:
    """Return the key e-mail contact points are looked up by: normalized, case-folded.

    Raises:
        ValidationError: If ``email`` is not text or not an e-mail address.
    """
    return normalize_email(check_text("email", email, max_len=320)).casefold()


def phone_key(phone: object, region: object = None) -> str:
    """Return the key phone contact points are looked up by: the number in E.164.

    Raises:
        ValidationError: If ``phone`` is not a valid number, or ``region`` is
            neither ``None`` nor a two-letter code.
    """
    code = None if region is None else check_text("region", region, max_len=2)
    return normalize_phone(check_text("phone", phone, max_len=64), region=code)
