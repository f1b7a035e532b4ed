"""Delivering domain events to subscribers after a commit."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs

from relcore._kernel import checks as check

__all__ = ["DomainEvent", "EventBus", "Handler", "count_field", "version_field"]


class DomainEvent:
    """Base of every domain event: a frozen value describing what happened.

    The unit of work collects events while it runs and hands them to
    subscribers only after its commit succeeded; a rolled-back unit of work
    publishes nothing. Events check their fields when built: a wrong value
    raises [ValidationError][relcore.errors.ValidationError] naming the field.
    Each context defines its events in its ``model`` module.
    """

    __slots__ = ()


def _check_version(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, minimum=1)


def _check_count(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, maximum=2**63 - 1)


version_field = attrs.Converter(_check_version, takes_field=True)
"""Converter of an event's ``version`` field: a positive integer."""

count_field = attrs.Converter(_check_count, takes_field=True)
"""Converter of an event's count field: a non-negative 64-bit integer."""

log = logging.getLogger(__name__)

E = TypeVar("E")
Handler = Callable[[Any], None]
"""A subscriber: called with one event."""


class EventBus:
    """Routes committed domain events to the handlers subscribed to their type.

    Handlers run synchronously, after the commit, in subscription order. A
    handler that raises does not stop the others nor undo the commit: the
    exception is logged (``relcore._kernel.events``, without the event's
    data) and the next handler runs.

    Example:
        >>> from relcore.domain import Customer, CustomerCreated
        >>> seen = []
        >>> bus = EventBus()
        >>> bus.subscribe(CustomerCreated, seen.append)
        >>> event = CustomerCreated(Customer.person("Ada").id)
        >>> bus.publish([event])
        >>> seen == [event]
        True
    """

    def __init__(self) -> None:
        self._handlers: defaultdict[type, list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        """Call ``handler`` with every committed event of ``event_type``.

        Subscribing to ``object`` receives every event.
        """
        if not isinstance(event_type, type):
            raise TypeError(f"event_type must be a class, got {event_type!r}")
        if not callable(handler):
            raise TypeError("handler must be callable")
        self._handlers[event_type].append(handler)

    def unsubscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        """Stop calling ``handler`` for ``event_type``; unknown pairs are ignored."""
        handlers = self._handlers.get(event_type, [])
        if handler in handlers:
            handlers.remove(handler)

    def publish(self, events: Sequence[DomainEvent]) -> None:
        """Hand each event to its subscribers (those of its class and bases)."""
        for event in events:
            for cls in type(event).__mro__:
                for handler in tuple(self._handlers.get(cls, ())):
                    try:
                        handler(event)
                    except Exception:
                        log.exception("event handler %r failed on %s", handler, type(event).__name__)
