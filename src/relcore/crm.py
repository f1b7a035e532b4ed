"""The facade for applications embedding relcore: [`CRM`][relcore.crm.CRM]."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar
from uuid import UUID

from relcore import services
from relcore._arguments import (
    check_callable,
    check_id,
    check_instance,
    check_items,
    check_limit,
    takes,
)
from relcore._crm_activity import ActivityMethods
from relcore._crm_segments import SegmentMethods
from relcore._crm_value import ValueMethods
from relcore.clock import Clock, system_clock
from relcore.domain import (
    Contact,
    Customer,
    Identity,
    normalize_email,
    normalize_phone,
)
from relcore.domain._checks import check_region, exact_str, fail, kind
from relcore.errors import ConfigurationError, FieldError, ValidationError
from relcore.ids import CustomerId
from relcore.segments import DEFAULT_CATALOGUE, Catalogue
from relcore.services import EventBus
from relcore.storage.ports import Page, Store, UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

__all__ = ["CRM"]

_IMPORT_ATTEMPTS = 3
"""How many times an import of a list or tuple is tried when it loses a race with another writer."""

E = TypeVar("E")


class CRM(ActivityMethods, SegmentMethods, ValueMethods):
    """A CRM over one store: the entry point for host applications.

    Open one with [`open`][relcore.crm.CRM.open] (a SQL database: a SQLite file by default, or
    your own SQLAlchemy engine) or [`in_memory`][relcore.crm.CRM.in_memory]. Each method below is one
    unit of work, committed before it returns; use [`unit_of_work`][relcore.crm.CRM.unit_of_work] to
    group several operations atomically.

    Every method checks its arguments before it touches the store: a wrong
    type or value raises [ValidationError][relcore.errors.ValidationError]
    naming the argument, the same on every backend, and leaves the store
    unchanged. Messages never repeat the value given (it may be personal data).

    Args:
        store: The storage backend.
        clock: Source of "now" for defaults such as ``may_contact``'s time.
        catalogue: The fields segment rules may use (custom attributes are
            declared here); the default knows the customer's own fields and
            consent.

    Raises:
        ConfigurationError: ``store``, ``clock`` or ``catalogue`` is not what
            the CRM needs.
    """

    def __init__(
        self, store: Store, *, clock: Clock = system_clock, catalogue: Catalogue = DEFAULT_CATALOGUE
    ) -> None:
        _check_setup(clock=clock, catalogue=catalogue)
        try:
            usable = callable(getattr(store, "unit_of_work", None))
        except Exception:  # a hostile store object
            usable = False
        if not usable:
            raise ConfigurationError(f"store must be a relcore Store, not {kind(store)}")
        self._store = store
        self._clock = clock
        self._catalogue = catalogue
        self.events = EventBus()
        """Subscribe here to domain events, delivered after each commit."""

    @classmethod
    def open(
        cls,
        target: str | os.PathLike[str] | Engine | Connection = "relcore.db",
        *,
        upgrade: bool = True,
        clock: Clock = system_clock,
        catalogue: Catalogue = DEFAULT_CATALOGUE,
    ) -> CRM:
        """Open a CRM on a SQL database, creating or upgrading its schema.

        Args:
            target: A SQLAlchemy URL (``"postgresql+psycopg://..."``), a path
                to a SQLite file, or an engine or connection of the host
                application (relcore then never disposes or closes it).
            upgrade: Run relcore's migrations up to the current revision
                first. With ``False`` the schema must already be current.
            clock: Source of "now".
            catalogue: The fields segment rules may use.

        Raises:
            ConfigurationError: If an argument is not of the kind described
                above, or the URL is malformed.
            SchemaVersionError: If ``upgrade`` is false and the schema is not current.
            StorageError: If the database cannot be reached.
        """
        from sqlalchemy.engine import Connection, Engine

        from relcore.storage.sql import SqlStore

        where = target if isinstance(target, Engine | Connection) else _location(target)
        _check_setup(clock=clock, catalogue=catalogue, upgrade=upgrade)
        return cls(SqlStore.open(where, upgrade=upgrade, clock=clock), clock=clock, catalogue=catalogue)

    @classmethod
    def in_memory(cls, *, clock: Clock = system_clock, catalogue: Catalogue = DEFAULT_CATALOGUE) -> CRM:
        """Return a CRM kept in process memory (the reference backend)."""
        from relcore.storage.memory import MemoryStore

        _check_setup(clock=clock, catalogue=catalogue)
        return cls(MemoryStore(clock=clock), clock=clock, catalogue=catalogue)

    @property
    def store(self) -> Store:
        """The storage backend."""
        return self._store

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """Return a unit of work whose events reach [`events`][relcore.crm.CRM.events] after commit.

        Pass ``read_only=True`` for a unit of work that only reads: on SQLite it
        then does not queue behind writers for the write lock.

        Example:
            >>> crm = CRM.in_memory()
            >>> with crm.unit_of_work() as uow:
            ...     uow.customers.add(Customer.person("Ada"))
            ...     uow.commit()
        """
        if not isinstance(read_only, bool):
            raise fail("read_only", f"expected true or false, got {kind(read_only)}")
        return self._store.unit_of_work(publish=self.events.publish, read_only=read_only)

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        """Call ``handler`` with every committed event of ``event_type``."""
        if not isinstance(event_type, type):
            raise fail("event_type", f"expected an event class, got {kind(event_type)}")
        self.events.subscribe(event_type, check_callable("handler", handler, arguments=1))

    def close(self) -> None:
        """Release what relcore created for this CRM (never the host's engine)."""
        self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- customers and contacts -------------------------------------------

    def add_customer(self, customer: Customer, contacts: Iterable[Contact] = ()) -> Customer:
        """Add a customer together with its contacts, atomically; return it."""
        check_instance("customer", customer, Customer)
        people = list(check_items("contacts", contacts, lambda path, c: check_instance(path, c, Contact)))
        with self.unit_of_work() as uow:
            services.add_customer(uow, customer, people)
            uow.commit()
        return customer

    def get_customer(self, customer_id: CustomerId) -> Customer:
        """Return the customer with ``customer_id`` (``NotFoundError`` if none)."""
        wanted = check_id("customer_id", customer_id)
        with self.unit_of_work(read_only=True) as uow:
            return uow.customers.get(wanted)

    def find_customer(self, namespace: str, value: str) -> Customer | None:
        """Return the customer holding the external identity, if any.

        Raises:
            ValidationError: ``namespace`` or ``value`` could not be part of an
                [Identity][relcore.domain.Identity] (wrong type, empty, too
                long, a namespace not in lower case...).
        """
        identity = Identity(namespace, value)  # error paths "namespace", "value": the arguments
        with self.unit_of_work(read_only=True) as uow:
            return uow.customers.find_by_identity(identity.namespace, identity.value)

    def list_customers(self, *, after: UUID | None = None, limit: int = 100) -> Page[Customer]:
        """Return one page of customers in id order (creation order, roughly).

        Pass the page's ``next_after`` as ``after`` to get the next page.

        Example:
            >>> crm = CRM.in_memory()
            >>> for name in ("Ada", "Grace", "Alan"):
            ...     _ = crm.add_customer(Customer.person(name))
            >>> first = crm.list_customers(limit=2)
            >>> rest = crm.list_customers(after=first.next_after)
            >>> print(", ".join(c.name for c in first.items + rest.items))
            Ada, Grace, Alan
            >>> rest.next_after is None
            True
        """
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        with self.unit_of_work(read_only=True) as uow:
            return uow.customers.list(after=start, limit=size)

    def save_customer(self, customer: Customer) -> Customer:
        """Save a changed customer (version-checked); return the stored one."""
        check_instance("customer", customer, Customer)
        with self.unit_of_work() as uow:
            saved = services.save_customer(uow, customer)
            uow.commit()
        return saved

    def add_contact(self, contact: Contact) -> Contact:
        """Add a contact to an existing customer; return it."""
        check_instance("contact", contact, Contact)
        with self.unit_of_work() as uow:
            services.add_contact(uow, contact)
            uow.commit()
        return contact

    def save_contact(self, contact: Contact) -> Contact:
        """Save a changed contact (version-checked); return the stored one."""
        check_instance("contact", contact, Contact)
        with self.unit_of_work() as uow:
            saved = services.save_contact(uow, contact)
            uow.commit()
        return saved

    def contacts_of(self, customer_id: CustomerId) -> list[Contact]:
        """Return the customer's contacts (none for an unknown customer)."""
        wanted = check_id("customer_id", customer_id)
        with self.unit_of_work(read_only=True) as uow:
            return uow.contacts.for_customer(wanted)

    def find_contacts(
        self, *, email: str | None = None, phone: str | None = None, region: str | None = None
    ) -> list[Contact]:
        """Return contacts by e-mail or phone (exactly one of the two).

        Raises:
            ValidationError: If neither or both of ``email`` and ``phone`` are
                given, or the address, number or region is malformed.
        """
        address = None if email is None else normalize_email(email)
        code = check_region(region)  # checked with an e-mail too, where it has no bearing
        number = None if phone is None else normalize_phone(phone, region=code)
        if (address is None) == (number is None):
            problem = "give exactly one of email= and phone="
            raise ValidationError([FieldError("email", problem), FieldError("phone", problem)])
        with self.unit_of_work(read_only=True) as uow:
            if address is not None:
                return uow.contacts.find_by_email(address)
            return uow.contacts.find_by_phone(number)  # type: ignore[arg-type]


def _location(target: object) -> str:
    """``target`` as a plain string: a URL, or a path (given as text or as a path object)."""
    if isinstance(target, os.PathLike):
        path: object = _fspath(target)
        if path is None:  # raised outside the except block: the object's own error is not chained
            raise ConfigurationError("target is a path object that failed to give its path")
        target = path
    if not isinstance(target, str):
        raise ConfigurationError(
            f"target must be a database URL, a path, an engine or a connection, not {kind(target)}"
        )
    location = exact_str(target)
    if not location.strip() or any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in location):
        raise ConfigurationError(
            "target must be a non-empty URL or path of encodable characters, without NUL"
        )
    return location


def _fspath(target: os.PathLike[str]) -> object:
    try:
        return os.fspath(target)
    except Exception:  # a hostile path object
        return None


def _check_setup(*, clock: object, catalogue: object, upgrade: object = True) -> None:
    """Refuse a clock, catalogue or ``upgrade`` flag a CRM cannot work with."""
    if not callable(clock) or not takes(clock, 0):
        raise ConfigurationError(
            f"clock must be a function of no arguments returning the time, not {kind(clock)}"
        )
    if not isinstance(catalogue, Catalogue):
        raise ConfigurationError(f"catalogue must be a Catalogue, not {kind(catalogue)}")
    if not isinstance(upgrade, bool):
        raise ConfigurationError(f"upgrade must be true or false, not {kind(upgrade)}")
