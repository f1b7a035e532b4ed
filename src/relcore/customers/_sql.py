"""Repositories over SQLAlchemy Core: customers, contacts and consents."""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
import sqlalchemy as sa

from relcore.customers import _rows as rows
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
from relcore.errors import ConflictError, NotFoundError, TransientStorageError, ValidationError
from relcore.ids import ContactId, CustomerId
from relcore.storage.base import DEFAULT_CHUNK_SIZE, Page
from relcore.storage.rules import check_id, check_limit
from relcore.storage.sql import bulk
from relcore.storage.sql.dialects import DialectFamily, dialect_family
from relcore.storage.sql.schema import (
    contact_points,
    contacts,
    customer_roles,
    customer_tags,
    customers,
    identities,
)

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

_ID_BATCH = 5000

_IN_LIST = 500
"""Values per ``IN (...)`` list when a bulk import looks for stored ids and identities."""

__all__ = ["SqlContacts", "SqlCustomers", "check_id", "require_customer"]


def _check_version(uow: SqlUnitOfWork, table: sa.Table, kind: str, entity_id: UUID, version: int) -> None:
    """Raise unless the entity is stored at ``version`` (``NotFoundError`` / ``ConflictError``)."""
    query = sa.select(table.c.version).where(table.c.id == entity_id)
    stored = uow.execute(query, what=f"read {kind} version").scalar()
    if stored is None:
        raise NotFoundError(kind, entity_id)
    if stored != version:
        raise ConflictError(f"{kind} {entity_id} is at version {stored}, not {version}")


def require_customer(uow: SqlUnitOfWork, customer_id: UUID) -> None:
    """Raise [`NotFoundError`][relcore.errors.NotFoundError] unless the customer exists."""
    query = sa.select(customers.c.id).where(customers.c.id == customer_id)
    if uow.execute(query, what="find customer").first() is None:
        raise NotFoundError("customer", customer_id)


def _rolled_back(savepoint: sa.NestedTransaction) -> bool:
    """Roll back to ``savepoint``; ``False`` if the database dropped it with the whole transaction."""
    try:
        savepoint.rollback()
    except sa.exc.SQLAlchemyError:
        return False
    return True


class SqlCustomers:
    """Customers in ``relcore_customers``, with roles, tags and identities."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def get(self, customer_id: CustomerId) -> Customer:
        """Return the customer with ``customer_id``."""
        found = self._load([check_id("customer_id", customer_id)])
        if not found:
            raise NotFoundError("customer", customer_id)
        return found[0]

    def add(self, customer: Customer) -> None:
        """Store a new customer; its id and identities must be unused."""
        if not isinstance(customer, Customer):
            raise ValidationError.single("customer", f"expected a Customer, got {type(customer).__name__}")
        exists = sa.select(customers.c.id).where(customers.c.id == customer.id)
        if self._uow.execute(exists, what="check customer id").first() is not None:
            raise ConflictError(f"customer {customer.id} already exists")
        self._check_identities(customer)
        self._uow.execute(customers.insert(), [rows.customer_row(customer)], what="add customer")
        self._write_children(customer)

    def save(self, customer: Customer) -> Customer:
        """Store a changed customer (version-checked); return the stored one."""
        if not isinstance(customer, Customer):
            raise ValidationError.single("customer", f"expected a Customer, got {type(customer).__name__}")
        _check_version(self._uow, customers, "customer", customer.id, customer.version)
        self._check_identities(customer)
        saved = attrs.evolve(customer, version=customer.version + 1, updated_at=self._uow.now(customer))
        values = rows.customer_row(saved)
        del values["id"], values["created_at"]
        update = (
            customers.update()
            .where(customers.c.id == customer.id, customers.c.version == customer.version)
            .values(**values)
        )
        if self._uow.execute(update, what="save customer").rowcount != 1:
            raise ConflictError(f"customer {customer.id} was changed since version {customer.version}")
        self._uow.execute(
            customer_tags.delete().where(customer_tags.c.customer_id == customer.id),
            what="save customer tags",
        )
        self._uow.execute(
            customer_roles.delete().where(customer_roles.c.customer_id == customer.id),
            what="save customer roles",
        )
        self._uow.execute(
            identities.delete().where(identities.c.customer_id == customer.id),
            what="save customer identities",
        )
        self._write_children(saved)
        return saved

    def add_many(self, entries: Iterable[CustomerEntry], *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
        """Store a stream of customers with their contacts, idempotently; return how many customers were new.

        See [CustomerRepository.add_many][relcore.customers.ports.CustomerRepository.add_many].
        Per chunk: the stored ids and identities are selected (a few ``IN``
        lists), then each table gets one ``executemany`` of the new rows
        ([`insert_all`][relcore.storage.sql.bulk.insert_all]), identities in
        key order. On PostgreSQL and MySQL / MariaDB a chunk runs in a
        SAVEPOINT: when it collides with an import that another transaction
        committed meanwhile (or deadlocks with one), it is rolled back to the
        savepoint and repeated once, reading the stored identities with a
        shared lock, so those customers are skipped.
        """
        server = dialect_family(self._uow.connection.dialect) is not DialectFamily.SQLITE
        new = 0
        for chunk in entry_chunks("customers", entries, chunk_size):
            new += self._repeating(chunk) if server else self._add_chunk(chunk)
        return new

    def _repeating(self, chunk: builtins.list[tuple[Customer, tuple[Contact, ...]]]) -> int:
        """Add ``chunk`` in a savepoint; on a collision or deadlock, repeat it once, locking reads."""
        uow = self._uow
        for again in (False, True):
            with uow.translating("add customers"):
                savepoint = uow.connection.begin_nested()
            try:
                new = self._add_chunk(chunk, lock=again)
            except (ConflictError, TransientStorageError):
                if again or not _rolled_back(savepoint):
                    raise
                continue
            with uow.translating("add customers"):
                savepoint.commit()
            return new
        raise AssertionError("unreachable")  # pragma: no cover

    def _add_chunk(
        self, chunk: builtins.list[tuple[Customer, tuple[Contact, ...]]], *, lock: bool = False
    ) -> int:
        fresh = new_entries(chunk, *self._stored(chunk, lock=lock))
        if fresh:
            self._insert(fresh)
        return len(fresh)

    def _stored(
        self, chunk: builtins.list[tuple[Customer, tuple[Contact, ...]]], *, lock: bool = False
    ) -> tuple[set[UUID], set[tuple[str, str]]]:
        """The ids and identities of ``chunk`` already stored (read with a shared lock if ``lock``)."""
        ids = [c.id for c, _ in chunk]
        stored_ids: set[UUID] = set()
        for start in range(0, len(ids), _IN_LIST):
            query = sa.select(customers.c.id).where(customers.c.id.in_(ids[start : start + _IN_LIST]))
            if lock:
                query = query.with_for_update(read=True)
            stored_ids.update(r[0] for r in self._uow.execute(query, what="check customer ids"))
        by_namespace: defaultdict[str, builtins.list[str]] = defaultdict(list)
        for customer, _ in chunk:
            for identity in customer.identities:
                by_namespace[identity.namespace].append(identity.value)
        stored_identities: set[tuple[str, str]] = set()
        for namespace, values in by_namespace.items():
            for start in range(0, len(values), _IN_LIST):
                query = sa.select(identities.c.value).where(
                    identities.c.namespace == namespace,
                    identities.c.value.in_(values[start : start + _IN_LIST]),
                )
                if lock:
                    query = query.with_for_update(read=True)
                found = self._uow.execute(query, what="check identities")
                stored_identities.update((namespace, r[0]) for r in found)
        return stored_ids, stored_identities

    def _insert(self, fresh: builtins.list[tuple[Customer, tuple[Contact, ...]]]) -> None:
        """Insert new customers and their contacts: one ``executemany`` per table."""
        uow = self._uow
        people: builtins.list[Contact] = []
        roles: builtins.list[rows.RoleRow] = []
        tags: builtins.list[rows.TagRow] = []
        known: builtins.list[rows.IdentityRow] = []
        points: builtins.list[rows.PointRow] = []
        customer_parts, point_parts = rows.customer_parts, rows.point_parts
        for customer, contacts_of in fresh:
            its_roles, its_tags, its_identities = customer_parts(customer)
            roles += its_roles
            if its_tags:
                tags += its_tags
            if its_identities:
                known += its_identities
            for contact in contacts_of:
                people.append(contact)
                if contact.points:
                    points += point_parts(contact)
        bulk.insert_all(uow, rows.CUSTOMERS, [c for c, _ in fresh], what="add customers")
        bulk.insert_all(uow, rows.ROLES, roles, what="add customer roles")
        bulk.insert_all(uow, rows.TAGS, tags, what="add customer tags")
        known.sort(key=lambda row: (row.namespace, row.value))  # concurrent imports lock keys in one order
        bulk.insert_all(uow, rows.IDENTITIES, known, what="add customer identities")
        bulk.insert_all(uow, rows.CONTACTS, people, what="add contacts")
        bulk.insert_all(uow, rows.POINTS, points, what="add contact points")

    def find_by_identity(self, namespace: str, value: str) -> Customer | None:
        """Return the customer holding the external identity, if any (compared exactly)."""
        namespace, value = identity_key(namespace, value)
        query = sa.select(identities.c.customer_id).where(
            identities.c.namespace == namespace, identities.c.value == value
        )
        row = self._uow.execute(query, what="find customer by identity").first()
        return None if row is None else self.get(row[0])

    def list(self, *, after: UUID | None = None, limit: int = 100) -> Page[Customer]:
        """Return up to ``limit`` customers with ids greater than ``after``."""
        check_limit(limit)
        query = sa.select(customers.c.id).order_by(customers.c.id).limit(limit + 1)
        if after is not None:
            query = query.where(customers.c.id > check_id("after", after))
        ids = [r[0] for r in self._uow.execute(query, what="list customers")]
        more = len(ids) > limit
        items = self._load(ids[:limit])
        return Page(tuple(items), items[-1].id if more else None)

    def count(self) -> int:
        """Return how many customers are stored."""
        query = sa.select(sa.func.count()).select_from(customers)
        return int(self._uow.execute(query, what="count customers").scalar_one())

    def ids(self) -> Iterator[CustomerId]:
        """Yield every customer id in id order, streamed in batches."""
        query = sa.select(customers.c.id).order_by(customers.c.id)
        result = self._uow.execute(query.execution_options(yield_per=_ID_BATCH), what="list customer ids")
        with self._uow.translating("list customer ids"):
            for batch in result.partitions():
                for (customer_id,) in batch:
                    yield CustomerId(customer_id)

    def _check_identities(self, customer: Customer) -> None:
        if not customer.identities:
            return
        pairs = [(i.namespace, i.value) for i in customer.identities]
        query = sa.select(identities.c.customer_id).where(
            sa.tuple_(identities.c.namespace, identities.c.value).in_(pairs),
            identities.c.customer_id != customer.id,
        )
        if self._uow.execute(query, what="check identities").first() is not None:
            raise ConflictError("an identity of this customer belongs to another customer")

    def _write_children(self, customer: Customer) -> None:
        role_rows = [{"customer_id": customer.id, "role": r} for r in sorted(map(str, customer.roles))]
        self._uow.execute(customer_roles.insert(), role_rows, what="add customer roles")
        if customer.tags:
            tag_rows = [{"customer_id": customer.id, "tag": t} for t in sorted(customer.tags)]
            self._uow.execute(customer_tags.insert(), tag_rows, what="add customer tags")
        if customer.identities:
            id_rows = [
                {"namespace": i.namespace, "value": i.value, "customer_id": customer.id}
                for i in customer.identities
            ]
            self._uow.execute(identities.insert(), id_rows, what="add customer identities")

    def _load(self, ids: builtins.list[UUID]) -> builtins.list[Customer]:
        if not ids:
            return []
        tags: defaultdict[UUID, list[str]] = defaultdict(list)
        tag_query = sa.select(customer_tags.c.customer_id, customer_tags.c.tag).where(
            customer_tags.c.customer_id.in_(ids)
        )
        for row in self._uow.execute(tag_query, what="load tags"):
            tags[row[0]].append(row[1])
        roles: defaultdict[UUID, list[str]] = defaultdict(list)
        role_query = sa.select(customer_roles.c.customer_id, customer_roles.c.role).where(
            customer_roles.c.customer_id.in_(ids)
        )
        for row in self._uow.execute(role_query, what="load roles"):
            roles[row[0]].append(row[1])
        known: defaultdict[UUID, list[tuple[str, str]]] = defaultdict(list)
        identity_query = sa.select(
            identities.c.customer_id, identities.c.namespace, identities.c.value
        ).where(identities.c.customer_id.in_(ids))
        for row in self._uow.execute(identity_query, what="load identities"):
            known[row[0]].append((row[1], row[2]))
        query = sa.select(customers).where(customers.c.id.in_(ids)).order_by(customers.c.id)
        return [
            rows.customer_from_row(row, tags[row["id"]], known[row["id"]], roles[row["id"]])
            for row in self._uow.execute(query, what="load customers").mappings()
        ]


class SqlContacts:
    """Contacts in ``relcore_contacts``, with their points."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def get(self, contact_id: ContactId) -> Contact:
        """Return the contact with ``contact_id``."""
        found = self._load(contacts.c.id == check_id("contact_id", contact_id))
        if not found:
            raise NotFoundError("contact", contact_id)
        return found[0]

    def add(self, contact: Contact) -> None:
        """Store a new contact; its customer must exist."""
        if not isinstance(contact, Contact):
            raise ValidationError.single("contact", f"expected a Contact, got {type(contact).__name__}")
        require_customer(self._uow, contact.customer_id)
        exists = sa.select(contacts.c.id).where(contacts.c.id == contact.id)
        if self._uow.execute(exists, what="check contact id").first() is not None:
            raise ConflictError(f"contact {contact.id} already exists")
        self._uow.execute(contacts.insert(), [rows.contact_row(contact)], what="add contact")
        self._write_points(contact)

    def save(self, contact: Contact) -> Contact:
        """Store a changed contact (version-checked); return the stored one."""
        if not isinstance(contact, Contact):
            raise ValidationError.single("contact", f"expected a Contact, got {type(contact).__name__}")
        _check_version(self._uow, contacts, "contact", contact.id, contact.version)
        require_customer(self._uow, contact.customer_id)
        saved = attrs.evolve(contact, version=contact.version + 1, updated_at=self._uow.now(contact))
        values = rows.contact_row(saved)
        del values["id"], values["created_at"]
        update = (
            contacts.update()
            .where(contacts.c.id == contact.id, contacts.c.version == contact.version)
            .values(**values)
        )
        if self._uow.execute(update, what="save contact").rowcount != 1:
            raise ConflictError(f"contact {contact.id} was changed since version {contact.version}")
        self._uow.execute(
            contact_points.delete().where(contact_points.c.contact_id == contact.id),
            what="save contact points",
        )
        self._write_points(saved)
        return saved

    def for_customer(self, customer_id: CustomerId) -> list[Contact]:
        """Return the customer's contacts in id order."""
        return self._load(contacts.c.customer_id == check_id("customer_id", customer_id))

    def find_by_email(self, email: str) -> list[Contact]:
        """Return contacts with this e-mail (normalized, case-insensitive)."""
        return self._find(ContactPointKind.EMAIL, email_key(email))

    def find_by_phone(self, phone: str, *, region: str | None = None) -> list[Contact]:
        """Return contacts with this phone number (compared in E.164)."""
        return self._find(ContactPointKind.PHONE, phone_key(phone, region))

    def _find(self, kind: ContactPointKind, key: str) -> list[Contact]:
        owners = sa.select(contact_points.c.contact_id).where(
            contact_points.c.kind == kind.value, contact_points.c.lookup_key == key
        )
        return self._load(contacts.c.id.in_(owners))

    def _write_points(self, contact: Contact) -> None:
        if contact.points:
            self._uow.execute(contact_points.insert(), rows.point_rows(contact), what="add contact points")

    def _load(self, where: sa.ColumnElement[bool]) -> list[Contact]:
        found = list(
            self._uow.execute(
                sa.select(contacts).where(where).order_by(contacts.c.id), what="load contacts"
            ).mappings()
        )
        if not found:
            return []
        points: defaultdict[UUID, list[Any]] = defaultdict(list)
        query = (
            sa.select(contact_points)
            .where(contact_points.c.contact_id.in_([r["id"] for r in found]))
            .order_by(contact_points.c.contact_id, contact_points.c.position)
        )
        for point in self._uow.execute(query, what="load contact points").mappings():
            points[point["contact_id"]].append(point)
        return [rows.contact_from_row(r, points[r["id"]]) for r in found]
