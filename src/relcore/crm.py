"""The facade for applications embedding relcore: [`CRM`][relcore.crm.CRM]."""

from __future__ import annotations

import os
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar

from relcore import registry
from relcore._kernel.arguments import (
    check_callable,
    takes,
)
from relcore._kernel.checks import exact_str, fail, kind
from relcore._kernel.events import EventBus
from relcore.activity.api import Activity
from relcore.clock import Clock, system_clock
from relcore.consent.api import Consents
from relcore.customers.api import Customers
from relcore.errors import ConfigurationError
from relcore.feedback.api import Feedback
from relcore.marketing.api import Campaigns
from relcore.marketing.scoring_api import Scoring
from relcore.partners.api import Partners
from relcore.registry import Store, UnitOfWork
from relcore.sales.api import Sales
from relcore.segments import DEFAULT_CATALOGUE, Catalogue
from relcore.segments.api import Segments
from relcore.service.api import Service
from relcore.value.api import Value
from relcore.vocabularies import DEFAULT_VOCABULARIES, Vocabularies

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

__all__ = ["CRM", "EventBus"]

E = TypeVar("E")


class CRM:
    """A CRM over one store: the entry point for host applications.

    Open one with [`open`][relcore.crm.CRM.open] (a SQL database: a SQLite file by default, or
    your own SQLAlchemy engine) or [`in_memory`][relcore.crm.CRM.in_memory].
    The operations live in one namespace per part of the CRM, each a
    typed attribute: [`customers`][relcore.crm.CRM.customers],
    [`consent`][relcore.crm.CRM.consent], [`activity`][relcore.crm.CRM.activity],
    [`segments`][relcore.crm.CRM.segments] and [`value`][relcore.crm.CRM.value].
    Each of their methods is one unit of work, committed before it returns;
    use [`unit_of_work`][relcore.crm.CRM.unit_of_work] to group several
    operations atomically.

    Every method checks its arguments before it touches the store: a wrong
    type or value raises [ValidationError][relcore.errors.ValidationError]
    naming the argument, the same on every backend, and leaves the store
    unchanged. Messages never repeat the value given (it may be personal data).

    Args:
        store: The storage backend.
        clock: Source of "now" for defaults such as ``may_contact``'s time.
        catalogue: The fields segment rules may use (custom attributes are
            declared here); the default knows the customer's own fields and
            consent. The CRM uses it with its ``vocabularies``
            ([Catalogue.with_vocabularies][relcore.segments.Catalogue.with_vocabularies]).
        vocabularies: The channels, consent purposes, touchpoint kinds,
            lifecycle stages and relationship roles the host declares beyond
            the built-in ones. Every method refuses a value they do not
            declare with a [ValidationError][relcore.errors.ValidationError]
            naming the field, before it touches the store.

    Raises:
        ConfigurationError: ``store``, ``clock``, ``catalogue`` or
            ``vocabularies`` is not what the CRM needs, or ``catalogue`` was
            built with other vocabularies.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore import CRM, Customer, Touchpoint, ValidationError, Vocabularies
        >>> crm = CRM.in_memory(vocabularies=Vocabularies(channels=["whatsapp"]))
        >>> ada = crm.customers.add(Customer.person("Ada"))
        >>> when = datetime(2026, 5, 4, tzinfo=UTC)
        >>> crm.activity.record_touchpoint(Touchpoint(
        ...     customer_id=ada.id, channel="whatsapp", direction="inbound", occurred_at=when))
        True
        >>> try:
        ...     crm.activity.record_touchpoint(Touchpoint(
        ...         customer_id=ada.id, channel="telegram", direction="inbound", occurred_at=when))
        ... except ValidationError as error:
        ...     print(error)
        touchpoint.channel: channel not declared: use a built-in one or declare it in Vocabularies
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = system_clock,
        catalogue: Catalogue = DEFAULT_CATALOGUE,
        vocabularies: Vocabularies = DEFAULT_VOCABULARIES,
    ) -> None:
        _check_setup(clock=clock, catalogue=catalogue, vocabularies=vocabularies)
        try:
            usable = callable(getattr(store, "unit_of_work", None))
        except Exception:  # a hostile store object
            usable = False
        if not usable:
            raise ConfigurationError(f"store must be a relcore Store, not {kind(store)}")
        self._store = store
        self._clock = clock
        self._vocabularies = vocabularies
        # the registry's histories, and the host's own (which win on a shared name)
        histories = (*registry.histories(), *catalogue.histories.values())
        self._catalogue = catalogue.with_vocabularies(vocabularies).with_histories(*histories)
        self.events = EventBus()
        """Subscribe here to domain events, delivered after each commit."""
        self.customers = Customers(self, clock, vocabularies)
        """Customers and their contacts."""
        self.consent = Consents(self, clock, vocabularies)
        """The consent ledger: record answers, ask whether a contact is allowed."""
        self.activity = Activity(self, clock, vocabularies)
        """Touchpoints, transactions and timelines."""
        self.segments = Segments(self, clock, self._catalogue)
        """Segments: define them, list and explain their members, refresh them."""
        self.value = Value(self, clock)
        """Relationship value: refresh the metrics, read them, rank customers."""
        self.sales = Sales(self, clock)
        """Sales: pipelines, deals, their history and forecasts."""
        self.partners = Partners(self, clock)
        """Partners on deals: profiles, deal registration, commissions, assignment."""
        self.service = Service(self, clock, self._catalogue, vocabularies)
        """Service: cases, their statuses and history, SLA policies and clocks."""
        self.feedback = Feedback(self, clock, vocabularies)
        """Survey answers (NPS, CSAT, CES) and the satisfaction figures."""
        self.campaigns = Campaigns(self, clock, vocabularies, self._catalogue)
        """Campaigns, the suppression list, and who each campaign left out and why."""
        self.scoring = Scoring(self, clock, self._catalogue)
        """Scoring plans: define them, refresh and explain scores, rank and calibrate them."""

    @classmethod
    def open(
        cls,
        target: str | os.PathLike[str] | Engine | Connection = "relcore.db",
        *,
        upgrade: bool = True,
        clock: Clock = system_clock,
        catalogue: Catalogue = DEFAULT_CATALOGUE,
        vocabularies: Vocabularies = DEFAULT_VOCABULARIES,
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
            vocabularies: The values the host declares beyond the built-in ones.

        Raises:
            ConfigurationError: If an argument is not of the kind described
                above, or the URL is malformed.
            SchemaVersionError: If ``upgrade`` is false and the schema is not current.
            StorageError: If the database cannot be reached.
        """
        from relcore.storage.sql import SqlStore
        from relcore.storage.sql.engines import is_bind

        where = target if is_bind(target) else _location(target)
        _check_setup(clock=clock, catalogue=catalogue, vocabularies=vocabularies, upgrade=upgrade)
        store = SqlStore.open(where, upgrade=upgrade, clock=clock)
        return cls(store, clock=clock, catalogue=catalogue, vocabularies=vocabularies)

    @classmethod
    def in_memory(
        cls,
        *,
        clock: Clock = system_clock,
        catalogue: Catalogue = DEFAULT_CATALOGUE,
        vocabularies: Vocabularies = DEFAULT_VOCABULARIES,
    ) -> CRM:
        """Return a CRM kept in process memory (the reference backend)."""
        from relcore.storage.memory import MemoryStore

        _check_setup(clock=clock, catalogue=catalogue, vocabularies=vocabularies)
        return cls(MemoryStore(clock=clock), clock=clock, catalogue=catalogue, vocabularies=vocabularies)

    @property
    def catalogue(self) -> Catalogue:
        """The fields segment rules may use in this CRM (knowing its vocabularies)."""
        return self._catalogue

    @property
    def vocabularies(self) -> Vocabularies:
        """The values this CRM accepts for channels, purposes, touchpoint kinds, stages and roles."""
        return self._vocabularies

    @property
    def store(self) -> Store:
        """The storage backend."""
        return self._store

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """Return a unit of work whose events reach [`events`][relcore.crm.CRM.events] after commit.

        Pass ``read_only=True`` for a unit of work that only reads: on SQLite it
        then does not queue behind writers for the write lock.

        Example:
            >>> from relcore import CRM, Customer
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


def _check_setup(*, clock: object, catalogue: object, vocabularies: object, upgrade: object = True) -> None:
    """Refuse a clock, catalogue, vocabularies or ``upgrade`` flag a CRM cannot work with."""
    if not callable(clock) or not takes(clock, 0):
        raise ConfigurationError(
            f"clock must be a function of no arguments returning the time, not {kind(clock)}"
        )
    if not isinstance(catalogue, Catalogue):
        raise ConfigurationError(f"catalogue must be a Catalogue, not {kind(catalogue)}")
    if not isinstance(vocabularies, Vocabularies):
        raise ConfigurationError(f"vocabularies must be Vocabularies, not {kind(vocabularies)}")
    if catalogue.vocabularies not in (DEFAULT_VOCABULARIES, vocabularies):
        raise ConfigurationError(
            "catalogue was built with other vocabularies than the CRM's: pass the same Vocabularies to both, "
            "or only to the CRM"
        )
    if not isinstance(upgrade, bool):
        raise ConfigurationError(f"upgrade must be true or false, not {kind(upgrade)}")
