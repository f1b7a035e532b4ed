"""The registry: the one list of relcore's contexts, and everything derived from it.

Each context declares its storage ports, events and value classes in its
``ports`` module ([Context][relcore.registry.Context]); this
tuple lists the contexts, bottom-up. The units of work serve every port
(``uow.<port name>``), the contract suite tests every aggregate, the
serialization tests round-trip every entity, event and value, and the
rollback contracts snapshot every aggregate, all from here: a new context
is one line below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from relcore._kernel.declarations import Aggregate, Context, History, HistoryField, Money, Port
from relcore.activity.ports import CONTEXT as ACTIVITY
from relcore.consent.ports import CONTEXT as CONSENT
from relcore.customers.ports import CONTEXT as CUSTOMERS
from relcore.errors import ConfigurationError
from relcore.feedback.ports import CONTEXT as FEEDBACK
from relcore.feedback.ports import FeedbackWork
from relcore.marketing.ports import CONTEXT as MARKETING
from relcore.marketing.ports import MarketingWork
from relcore.marketing.scoring_ports import ScoringWork
from relcore.partners.ports import CONTEXT as PARTNERS
from relcore.partners.ports import PartnersWork
from relcore.sales.ports import CONTEXT as SALES
from relcore.segments.ports import CONTEXT as SEGMENTS
from relcore.service.ports import CONTEXT as SERVICE
from relcore.service.ports import ServiceWork
from relcore.storage.base import Publisher
from relcore.value.ports import CONTEXT as VALUE

__all__ = [
    "CONTEXTS",
    "PORTS",
    "Store",
    "UnitOfWork",
    "Aggregate",
    "Context",
    "History",
    "HistoryField",
    "Money",
    "Port",
    "aggregates",
    "entity_classes",
    "event_classes",
    "histories",
    "port",
    "ports_of",
]

CONTEXTS: tuple[Context, ...] = (
    CUSTOMERS,
    CONSENT,
    ACTIVITY,
    SEGMENTS,
    VALUE,
    SALES,
    PARTNERS,
    SERVICE,
    FEEDBACK,
    MARKETING,
)
"""relcore's contexts, each over the ones before it."""


def ports_of(contexts: Sequence[Context]) -> dict[str, Port[Any]]:
    """Every storage port of ``contexts`` by name (the unit of work's attribute).

    A store built with more contexts than the registry's (a host's own, or a
    test's) serves their ports too.

    Raises:
        ConfigurationError: Two ports share a name.
    """
    found: dict[str, Port[Any]] = {}
    for context in contexts:
        for declared in context.ports:
            if declared.name in found:
                raise ConfigurationError(f"two storage ports are named {declared.name!r}")
            found[declared.name] = declared
    return found


PORTS: dict[str, Port[Any]] = ports_of(CONTEXTS)
"""Every storage port of the registry's contexts by name."""


class UnitOfWork(PartnersWork, ServiceWork, FeedbackWork, MarketingWork, ScoringWork, Protocol):
    """A unit of work seen with every port of every context, typed.

    This is what [`CRM.unit_of_work`][relcore.crm.CRM.unit_of_work] returns.
    Every port of a context registered later is served too, as
    ``uow.repo(PORT)`` or ``uow.<port name>``.
    """


class Store(Protocol):
    """A storage backend: hands out units of work."""

    def unit_of_work(self, *, publish: Publisher | None = None, read_only: bool = False) -> UnitOfWork:
        """Return a new unit of work; ``publish`` receives its events after commit.

        With ``read_only=True`` the unit of work only reads: a backend may then
        skip taking its write lock (SQLite does), and any write in it raises
        [ConfigurationError][relcore.errors.ConfigurationError].
        """
        ...

    def close(self) -> None:
        """Release what the store created (never what the host passed in)."""
        ...


def port(name: str) -> Port[Any]:
    """Return the port named ``name``.

    Raises:
        KeyError: No context declares it.
    """
    return PORTS[name]


def aggregates() -> tuple[Aggregate[Any], ...]:
    """Every declared aggregate, in context order."""
    return tuple(a for context in CONTEXTS for a in context.aggregates)


def histories() -> tuple[History, ...]:
    """Every history segment rules may summarise, in context order."""
    return tuple(h for context in CONTEXTS for h in context.histories)


def event_classes() -> tuple[type, ...]:
    """Every domain event class, in context order."""
    return tuple(e for context in CONTEXTS for e in context.events)


def entity_classes() -> tuple[type, ...]:
    """Every class relcore exchanges as JSON: the aggregates' entities, the values, the events."""
    found: list[type] = []
    for context in CONTEXTS:
        found += [a.entity for a in context.aggregates] + list(context.values) + list(context.events)
    return tuple(dict.fromkeys(found))
