"""Delivering domain events to subscribers after a commit."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from relcore.domain import DomainEvent

__all__ = ["EventBus", "Handler"]

log = logging.getLogger(__name__)

E = TypeVar("E")
Handler = Callable[[Any], None]
"""A subscriber: called with one event."""


class EventBus:
    """Routes committed domain events to the handlers subscribed to their type.

    Handlers run synchronously, after the commit, in subscription order. A
    handler that raises does not stop the others nor undo the commit: the
    exception is logged (``relcore.services.events``, without the event's
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
