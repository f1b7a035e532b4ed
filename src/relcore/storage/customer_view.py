"""What a segment rule sees about one customer, assembled in one place.

A rule judges a customer on their fields, their consent ledger, their
touchpoints and transactions, and their stored value metrics. Every place
that evaluates a rule in Python (the memory store's ``members``, the
``explain`` use case on any store, the contract suite's expectations)
builds that [CustomerView][relcore.segments.CustomerView] with
[customer_view][relcore.storage.customer_view.customer_view] from a
[ViewSource][relcore.storage.customer_view.ViewSource], so they cannot
disagree on what the customer looks like. A part added to the view is added
to the protocol, and every source then has to provide it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from relcore.activity.model import Touchpoint, Transaction
from relcore.consent.model import ConsentRecord
from relcore.customers.model import Customer
from relcore.ids import CustomerId
from relcore.registry import UnitOfWork
from relcore.segments import CustomerView
from relcore.storage.base import MAX_PAGE_SIZE
from relcore.value.model import CustomerMetrics

__all__ = ["UnitOfWorkViews", "ViewSource", "customer_view"]

E = TypeVar("E", Touchpoint, Transaction)


class ViewSource(Protocol):
    """Where the parts of a customer's view are read from."""

    def customer(self, customer_id: CustomerId) -> Customer:
        """The customer (raises [relcore.errors.NotFoundError][] if there is none)."""
        ...

    def touchpoints(self, customer_id: CustomerId) -> Sequence[Touchpoint]:
        """Every touchpoint of the customer, in any order."""
        ...

    def transactions(self, customer_id: CustomerId) -> Sequence[Transaction]:
        """Every transaction of the customer, in any order."""
        ...

    def consents(self, customer_id: CustomerId) -> Sequence[ConsentRecord]:
        """The customer's consent ledger."""
        ...

    def metrics(self, customer_id: CustomerId) -> CustomerMetrics | None:
        """The customer's stored value metrics, if any."""
        ...


def customer_view(source: ViewSource, customer_id: CustomerId) -> CustomerView:
    """Return everything a rule may look at for the customer, read from ``source``."""
    customer = source.customer(customer_id)
    stored = source.metrics(customer_id)
    return CustomerView(
        customer=customer,
        touchpoints=source.touchpoints(customer_id),
        transactions=source.transactions(customer_id),
        consents=source.consents(customer_id),
        metrics={} if stored is None else stored.values(),
    )


class UnitOfWorkViews:
    """A [ViewSource][relcore.storage.customer_view.ViewSource] reading through a unit of work's repositories.

    Args:
        uow: An active unit of work, of any store.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def view(self, customer_id: CustomerId) -> CustomerView:
        """Return the customer's view (see [customer_view][relcore.storage.customer_view.customer_view])."""
        return customer_view(self, customer_id)

    def customer(self, customer_id: CustomerId) -> Customer:
        """The stored customer."""
        return self._uow.customers.get(customer_id)

    def touchpoints(self, customer_id: CustomerId) -> list[Touchpoint]:
        """Every stored touchpoint of the customer, newest first."""
        return _every(self._uow.touchpoints, customer_id)

    def transactions(self, customer_id: CustomerId) -> list[Transaction]:
        """Every stored transaction of the customer, newest first."""
        return _every(self._uow.transactions, customer_id)

    def consents(self, customer_id: CustomerId) -> list[ConsentRecord]:
        """The customer's stored consent ledger."""
        return self._uow.consents.for_customer(customer_id)

    def metrics(self, customer_id: CustomerId) -> CustomerMetrics | None:
        """The customer's stored value metrics, if any."""
        return self._uow.metrics.get(customer_id)


class _History(Protocol[E]):
    def for_customer(
        self, customer_id: CustomerId, *, until: datetime | None = None, limit: int = 50
    ) -> list[E]: ...


def _every(repository: _History[E], customer_id: CustomerId) -> list[E]:
    """Every entry of the customer, paging newest first through ``for_customer``."""
    entries: list[E] = []
    until: datetime | None = None
    while True:
        page = repository.for_customer(customer_id, until=until, limit=MAX_PAGE_SIZE)
        if len(page) < MAX_PAGE_SIZE:
            return entries + page
        oldest = page[-1].occurred_at
        newer = [e for e in page if e.occurred_at != oldest]
        if not newer:  # a whole page in one microsecond: nothing finer to page by
            return entries + page
        entries += newer  # the oldest instant may continue on the next page: read it again
        until = oldest + timedelta(microseconds=1)
