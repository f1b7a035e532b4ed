"""Collect the domain events a CRM delivers, in the tests of your application.

[`capture_events`][relcore.testing.events.capture_events] subscribes to
[`CRM.events`][relcore.crm.CRM.events] for the length of a ``with`` block and
hands back what was delivered meanwhile, in delivery order. It needs no test
framework (neither pytest nor hypothesis): use it in pytest, unittest, doctests
or a script alike.

Example:
    >>> import attrs
    >>> from relcore import CRM, Customer
    >>> from relcore.domain import CustomerCreated, CustomerUpdated
    >>> crm = CRM.in_memory()
    >>> with capture_events(crm) as events:
    ...     ada = crm.customers.add(Customer.person("Ada Lovelace"))
    ...     ada = crm.customers.save(attrs.evolve(ada, tags={"vip"}))
    >>> len(events), events[0] == CustomerCreated(ada.id)
    (2, True)
    >>> events.of_type(CustomerUpdated) == (CustomerUpdated(ada.id, 2),)
    True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, overload

from relcore._kernel.checks import fail, kind
from relcore.domain import DomainEvent
from relcore.errors import ConfigurationError

if TYPE_CHECKING:
    from relcore.crm import CRM

__all__ = ["CapturedEvents", "capture_events"]

E = TypeVar("E")
_Subscription = Callable[[type, Callable[[Any], None]], None]
"""The bus's ``subscribe`` or ``unsubscribe``: called with an event class and a handler."""


class CapturedEvents(Sequence[DomainEvent]):
    """The events a [`capture_events`][relcore.testing.events.capture_events] block collected.

    A read-only sequence: ``len(events)``, ``events[0]``, ``events[-2:]``
    (a tuple), iteration and ``in`` work as on a tuple, in the order the
    events were delivered. It fills up while the ``with`` block runs and
    stays as it is once the block has ended.
    """

    __slots__ = ("_events",)

    def __init__(self) -> None:
        self._events: list[DomainEvent] = []

    @overload
    def __getitem__(self, index: int) -> DomainEvent: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[DomainEvent, ...]: ...

    def __getitem__(self, index: int | slice) -> DomainEvent | tuple[DomainEvent, ...]:
        if isinstance(index, slice):
            return tuple(self._events[index])
        return self._events[index]

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[DomainEvent]:
        return iter(tuple(self._events))  # a snapshot: a handler may add events while the caller iterates

    def __repr__(self) -> str:
        return f"CapturedEvents({self._events!r})"

    def of_type(self, event_type: type[E]) -> tuple[E, ...]:
        """Return the collected events that are instances of ``event_type`` (subclasses included), in order.

        Raises:
            ValidationError: ``event_type`` is not a class.
        """
        if not isinstance(event_type, type):
            raise fail("event_type", f"expected an event class, got {kind(event_type)}")
        return tuple(event for event in self._events if isinstance(event, event_type))


def capture_events(crm: CRM, *event_types: type) -> AbstractContextManager[CapturedEvents]:
    """Collect the domain events ``crm`` delivers while the ``with`` block runs.

    Events reach the capture when relcore delivers them to subscribers: after
    a unit of work commits, or, when relcore joined a transaction of your own
    (a connection given to [`CRM.open`][relcore.crm.CRM.open]), after *your*
    commit. So a unit of work rolled back delivers nothing, and events whose
    delivery comes only after the block ended (your commit after it) are not
    collected. On leaving the block the capture unsubscribes, also when the
    block raises; captures may be nested, and each sees every event delivered
    while it is open.

    The arguments are checked when ``capture_events`` is called, before the
    block starts.

    Args:
        crm: The [`CRM`][relcore.crm.CRM] whose [`events`][relcore.crm.CRM.events]
            to listen to.
        *event_types: Collect only events of these classes (subclasses
            included); with none, collect every event.

    Returns:
        A context manager whose ``with`` block yields the events collected
            so far, in delivery order (a
            [`CapturedEvents`][relcore.testing.events.CapturedEvents]).

    Raises:
        ConfigurationError: ``crm`` has no event bus (an ``events``
            attribute with ``subscribe`` and ``unsubscribe``), as a store
            or the class ``CRM`` itself has not.
        ValidationError: An item of ``event_types`` is not a class; the
            path names its position (``event_types[1]``).

    Example:
        >>> from relcore import CRM, Customer
        >>> from relcore.domain import CustomerCreated
        >>> crm = CRM.in_memory()
        >>> with capture_events(crm, CustomerCreated) as created:
        ...     ada = crm.customers.add(Customer.person("Ada Lovelace"))
        ...     answer = crm.consent.record(ada.id, "marketing", "granted", channel="email", source="form")
        >>> list(created) == [CustomerCreated(ada.id)]
        True
        >>> capture_events(crm, "CustomerCreated")
        Traceback (most recent call last):
        ...
        relcore.errors.ValidationError: event_types[0]: expected an event class, got str
    """
    subscribe, unsubscribe = _bus_of(crm)
    return _capture(subscribe, unsubscribe, _check_types(event_types))


@contextmanager
def _capture(
    subscribe: _Subscription, unsubscribe: _Subscription, wanted: tuple[type, ...]
) -> Iterator[CapturedEvents]:
    """Subscribe one collecting handler for the block; unsubscribe it whatever happens."""
    captured = CapturedEvents()
    collected = captured._events
    open_ = True

    def collect(event: Any) -> None:
        if open_ and (not wanted or isinstance(event, wanted)):
            collected.append(event)

    subscribe(object, collect)  # one subscription to every event: each once, in delivery order
    try:
        yield captured
    finally:
        open_ = False  # even if the bus failed to unsubscribe, nothing more is collected
        unsubscribe(object, collect)


def _bus_of(crm: object) -> tuple[_Subscription, _Subscription]:
    """The ``subscribe`` and ``unsubscribe`` methods of ``crm``'s event bus, or a `ConfigurationError`."""
    problem = f"capture_events needs a CRM (with an events bus to subscribe to), not {kind(crm)}"
    methods: tuple[Any, Any] | None
    try:
        bus = crm.events  # type: ignore[attr-defined]
        methods = (bus.subscribe, bus.unsubscribe)
    except Exception:  # no bus, or a hostile object: say so without chaining what it raised
        methods = None
    if methods is None or not all(callable(m) for m in methods):
        raise ConfigurationError(problem)
    return methods


def _check_types(event_types: tuple[object, ...]) -> tuple[type, ...]:
    """``event_types`` if every item is a class, else a `ValidationError` naming the first that is not."""
    for position, event_type in enumerate(event_types):
        if not isinstance(event_type, type):
            raise fail(f"event_types[{position}]", f"expected an event class, got {kind(event_type)}")
    return tuple(t for t in event_types if isinstance(t, type))
