"""Builders, a fixed clock and store helpers shared by the contract suite.

Everything here goes through the public API only (ports, domain, errors), so
the contract holds for any backend.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import pytest

from relcore._kernel.adapters import load
from relcore.domain import ConsentRecord, Contact, ContactPoint, Customer, Touchpoint, Transaction
from relcore.ids import CustomerId
from relcore.registry import CONTEXTS, Store, UnitOfWork

__all__ = [
    "T0",
    "ContractBase",
    "FixedClock",
    "StoreFactory",
    "consent",
    "contact",
    "customer",
    "in_unit",
    "minutes",
    "snapshot",
    "stored",
    "touchpoint",
    "transaction",
]

R = TypeVar("R")

StoreFactory = Callable[..., Store]
"""Makes a fresh, empty store; accepts an optional ``clock=`` keyword."""

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
"""The fixed instant the suite's data is built around (with microseconds)."""


def minutes(n: float) -> datetime:
    """Return the instant ``n`` minutes after `T0`."""
    return T0 + timedelta(minutes=n)


class FixedClock:
    """A clock that returns the time it is set to.

    Args:
        now: The time to return until [`advance`][relcore.testing.contracts.FixedClock.advance] is called.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` and return the new time."""
        self.now += delta
        return self.now


def customer(name: str = "Ada Lovelace", **fields: Any) -> Customer:
    """Return a new person customer created at `T0`."""
    fields.setdefault("created_at", T0)
    return Customer.person(name, **fields)


def contact(customer_id: CustomerId, email: str | None = None, **fields: Any) -> Contact:
    """Return a new contact of ``customer_id``, with an e-mail point if given."""
    points = [ContactPoint.email(email, primary=True)] if email is not None else []
    fields.setdefault("points", points)
    fields.setdefault("created_at", T0)
    return Contact(customer_id=customer_id, name=fields.pop("name", "Grace Hopper"), **fields)


def consent(customer_id: CustomerId, **fields: Any) -> ConsentRecord:
    """Return a marketing e-mail grant recorded at `T0` unless told otherwise."""
    fields.setdefault("purpose", "marketing")
    fields.setdefault("channel", "email")
    fields.setdefault("status", "granted")
    fields.setdefault("recorded_at", T0)
    return ConsentRecord(customer_id=customer_id, **fields)


def touchpoint(customer_id: CustomerId, **fields: Any) -> Touchpoint:
    """Return an inbound e-mail touchpoint at `T0` unless told otherwise."""
    fields.setdefault("channel", "email")
    fields.setdefault("direction", "inbound")
    fields.setdefault("occurred_at", T0)
    fields.setdefault("source", "contract")
    fields.setdefault("recorded_at", T0)
    return Touchpoint(customer_id=customer_id, **fields)


def transaction(customer_id: CustomerId, **fields: Any) -> Transaction:
    """Return a 10.00 EUR web order at `T0` unless told otherwise."""
    fields.setdefault("amount", Decimal("10.00"))
    fields.setdefault("currency", "EUR")
    fields.setdefault("channel", "web")
    fields.setdefault("occurred_at", T0)
    fields.setdefault("source", "contract")
    fields.setdefault("recorded_at", T0)
    return Transaction(customer_id=customer_id, **fields)


def in_unit(store: Store, action: Callable[[UnitOfWork], R], *, commit: bool = True) -> R:
    """Run ``action`` in a new unit of work, committing it unless told not to."""
    with store.unit_of_work() as uow:
        result = action(uow)
        if commit:
            uow.commit()
    return result


def stored(store: Store, *entities: Customer | Contact | ConsentRecord | Touchpoint | Transaction) -> None:
    """Add the entities in one committed unit of work, in the order given."""

    def add(uow: UnitOfWork) -> None:
        for entity in entities:
            if isinstance(entity, Customer):
                uow.customers.add(entity)
            elif isinstance(entity, Contact):
                uow.contacts.add(entity)
            elif isinstance(entity, ConsentRecord):
                uow.consents.add(entity)
            elif isinstance(entity, Touchpoint):
                assert uow.touchpoints.add(entity)
            else:
                assert uow.transactions.add(entity)

    in_unit(store, add)


def snapshot(store: Store) -> dict[str, Any]:
    """Return everything the ports can read from ``store``, for equality checks.

    Each registered context reads what it stores (its ``snapshot`` in the
    registry), so a rollback contract looks at every aggregate there is.
    """

    def read(uow: UnitOfWork) -> dict[str, Any]:
        customers: list[Customer] = []
        after: UUID | None = None
        while True:
            page = uow.customers.list(after=after, limit=7)
            customers.extend(page.items)
            if page.next_after is None:
                break
            after = page.next_after
        seen: dict[str, Any] = {}
        for context in CONTEXTS:
            if context.snapshot is not None:
                seen[context.name] = load(context.snapshot)(uow, customers)
        return seen

    return in_unit(store, read, commit=False)


class ContractBase:
    """Base of every contract class: derives the ``store`` fixture from ``store_factory``.

    The class using a contract provides ``store_factory``: a fixture returning
    a callable that makes a fresh, empty store and accepts ``clock=``.
    """

    @pytest.fixture
    def store(self, store_factory: StoreFactory) -> Store:
        """A fresh, empty store from the backend's ``store_factory``."""
        return store_factory()
