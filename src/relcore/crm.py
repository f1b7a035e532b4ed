"""The facade for applications embedding relcore: :class:`CRM`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar
from uuid import UUID

from relcore import services
from relcore._crm_segments import SegmentMethods
from relcore._crm_value import ValueMethods
from relcore.clock import Clock, system_clock
from relcore.domain import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    Contact,
    Customer,
    Purpose,
    TimelineEntry,
    Touchpoint,
    Transaction,
)
from relcore.domain._checks import check_datetime
from relcore.errors import ConfigurationError, TransientStorageError
from relcore.ids import CustomerId
from relcore.segments import DEFAULT_CATALOGUE, Catalogue
from relcore.services import EventBus
from relcore.storage.ports import DEFAULT_CHUNK_SIZE, Page, Store, UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

__all__ = ["CRM"]

_IMPORT_ATTEMPTS = 3
"""How many times an import of a list or tuple is tried when it loses a race with another writer."""

E = TypeVar("E")


class CRM(SegmentMethods, ValueMethods):
    """A CRM over one store: the entry point for host applications.

    Open one with :meth:`open` (a SQL database: a SQLite file by default, or
    your own SQLAlchemy engine) or :meth:`in_memory`. Each method below is one
    unit of work, committed before it returns; use :meth:`unit_of_work` to
    group several operations atomically.

    Args:
        store: The storage backend.
        clock: Source of "now" for defaults such as ``may_contact``'s time.
        catalogue: The fields segment rules may use (custom attributes are
            declared here); the default knows the customer's own fields and
            consent.
    """

    def __init__(
        self, store: Store, *, clock: Clock = system_clock, catalogue: Catalogue = DEFAULT_CATALOGUE
    ) -> None:
        self._store = store
        self._clock = clock
        if not isinstance(catalogue, Catalogue):
            raise ConfigurationError(f"catalogue must be a Catalogue, not {type(catalogue).__name__}")
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
            SchemaVersionError: If ``upgrade`` is false and the schema is not current.
            StorageError: If the database cannot be reached.
        """
        from relcore.storage.sql import SqlStore

        return cls(SqlStore.open(target, upgrade=upgrade, clock=clock), clock=clock, catalogue=catalogue)

    @classmethod
    def in_memory(cls, *, clock: Clock = system_clock, catalogue: Catalogue = DEFAULT_CATALOGUE) -> CRM:
        """Return a CRM kept in process memory (the reference backend)."""
        from relcore.storage.memory import MemoryStore

        return cls(MemoryStore(clock=clock), clock=clock, catalogue=catalogue)

    @property
    def store(self) -> Store:
        """The storage backend."""
        return self._store

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """Return a unit of work whose events reach :attr:`events` after commit.

        Pass ``read_only=True`` for a unit of work that only reads: on SQLite it
        then does not queue behind writers for the write lock.

        Example:
            >>> crm = CRM.in_memory()
            >>> with crm.unit_of_work() as uow:
            ...     uow.customers.add(Customer.person("Ada"))
            ...     uow.commit()
        """
        return self._store.unit_of_work(publish=self.events.publish, read_only=read_only)

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        """Call ``handler`` with every committed event of ``event_type``."""
        self.events.subscribe(event_type, handler)

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
        with self.unit_of_work() as uow:
            services.add_customer(uow, customer, contacts)
            uow.commit()
        return customer

    def get_customer(self, customer_id: CustomerId) -> Customer:
        """Return the customer with ``customer_id`` (``NotFoundError`` if none)."""
        with self.unit_of_work(read_only=True) as uow:
            return uow.customers.get(customer_id)

    def find_customer(self, namespace: str, value: str) -> Customer | None:
        """Return the customer holding the external identity, if any."""
        with self.unit_of_work(read_only=True) as uow:
            return uow.customers.find_by_identity(namespace, value)

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
        with self.unit_of_work(read_only=True) as uow:
            return uow.customers.list(after=after, limit=limit)

    def save_customer(self, customer: Customer) -> Customer:
        """Save a changed customer (version-checked); return the stored one."""
        with self.unit_of_work() as uow:
            saved = services.save_customer(uow, customer)
            uow.commit()
        return saved

    def add_contact(self, contact: Contact) -> Contact:
        """Add a contact to an existing customer; return it."""
        with self.unit_of_work() as uow:
            services.add_contact(uow, contact)
            uow.commit()
        return contact

    def save_contact(self, contact: Contact) -> Contact:
        """Save a changed contact (version-checked); return the stored one."""
        with self.unit_of_work() as uow:
            saved = services.save_contact(uow, contact)
            uow.commit()
        return saved

    def contacts_of(self, customer_id: CustomerId) -> list[Contact]:
        """Return the customer's contacts."""
        with self.unit_of_work(read_only=True) as uow:
            return uow.contacts.for_customer(customer_id)

    def find_contacts(
        self, *, email: str | None = None, phone: str | None = None, region: str | None = None
    ) -> list[Contact]:
        """Return contacts by e-mail or phone (exactly one of the two).

        Raises:
            TypeError: If neither or both of ``email`` and ``phone`` are given.
            ValidationError: If the address or number is malformed.
        """
        if (email is None) == (phone is None):
            raise TypeError("find_contacts() takes exactly one of email= or phone=")
        with self.unit_of_work(read_only=True) as uow:
            if email is not None:
                return uow.contacts.find_by_email(email)
            assert phone is not None
            return uow.contacts.find_by_phone(phone, region=region)

    # -- interactions and money -------------------------------------------

    def record_touchpoint(self, touchpoint: Touchpoint) -> bool:
        """Record one touchpoint; ``False`` if its ``(source, external_id)`` was seen."""
        with self.unit_of_work() as uow:
            new = services.record_touchpoint(uow, touchpoint)
            uow.commit()
        return new

    def import_touchpoints(
        self, touchpoints: Iterable[Touchpoint], *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> int:
        """Bulk-ingest a stream of touchpoints in one transaction; return how many were new.

        Concurrent imports of overlapping keys may lose a race for a lock:
        relcore repeats the chunk, and a list or tuple of touchpoints the
        whole import, a few times before raising
        [TransientStorageError][relcore.errors.TransientStorageError].
        """
        return self._import(services.import_touchpoints, touchpoints, chunk_size)

    def record_transaction(self, transaction: Transaction) -> bool:
        """Record one transaction; ``False`` if its ``(source, external_id)`` was seen."""
        with self.unit_of_work() as uow:
            new = services.record_transaction(uow, transaction)
            uow.commit()
        return new

    def import_transactions(
        self, transactions: Iterable[Transaction], *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> int:
        """Bulk-ingest a stream of transactions in one transaction; return how many were new.

        Lost races with concurrent imports are repeated as by
        [import_touchpoints][relcore.crm.CRM.import_touchpoints].
        """
        return self._import(services.import_transactions, transactions, chunk_size)

    def _import(self, use_case: Callable[..., int], items: Iterable[Any], chunk_size: int) -> int:
        """Run an idempotent import; repeat it whole after a lost race when ``items`` can be read again."""
        attempts = _IMPORT_ATTEMPTS if isinstance(items, Sequence) else 1  # an iterator is spent
        for attempt in range(1, attempts + 1):
            with self.unit_of_work() as uow:
                try:
                    new = use_case(uow, items, chunk_size=chunk_size)
                    uow.commit()
                except TransientStorageError:
                    # safe to repeat (stored keys are skipped), but not inside a host's transaction,
                    # which the database may have rolled back as a whole
                    if attempt == attempts or getattr(uow, "joined", False):
                        raise
                else:
                    return new
        raise AssertionError("unreachable")  # pragma: no cover

    def timeline(
        self,
        customer_id: CustomerId,
        *,
        limit: int = 50,
        channels: Iterable[Channel | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[TimelineEntry]:
        """Return the customer's touchpoints and transactions, newest first."""
        with self.unit_of_work(read_only=True) as uow:
            return uow.timeline(customer_id, limit=limit, channels=channels, since=since, until=until)

    # -- consent ------------------------------------------------------------

    def record_consent(
        self,
        customer_id: CustomerId,
        purpose: Purpose | str,
        status: ConsentStatus | str,
        *,
        channel: Channel | str | None = None,
        source: str = "unknown",
        notice_version: str | None = None,
        recorded_at: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> ConsentRecord:
        """Append a consent answer to the customer's ledger; return the record."""
        record = ConsentRecord(
            customer_id=customer_id,
            purpose=purpose,
            status=status,
            channel=channel,
            source=source,
            notice_version=notice_version,
            recorded_at=recorded_at if recorded_at is not None else self._clock(),
            expires_at=expires_at,
        )
        with self.unit_of_work() as uow:
            services.record_consent(uow, record)
            uow.commit()
        return record

    def consents_of(self, customer_id: CustomerId) -> list[ConsentRecord]:
        """Return the customer's consent ledger, oldest first."""
        with self.unit_of_work(read_only=True) as uow:
            return uow.consents.for_customer(customer_id)

    def may_contact(
        self,
        customer_id: CustomerId,
        purpose: Purpose | str,
        channel: Channel | str,
        at: datetime | None = None,
    ) -> bool:
        """May we contact the customer for ``purpose`` on ``channel`` (now, or at ``at``)?"""
        moment = self._clock() if at is None else check_datetime("at", at)
        with self.unit_of_work(read_only=True) as uow:
            return services.may_contact(uow, customer_id, purpose, channel, moment)
