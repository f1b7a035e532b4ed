"""What a segment rule sees about one customer, assembled in one place.

A rule judges a customer on their fields, their consent ledger, the entries
of every history its catalogue knows (touchpoints, transactions, and those
other contexts register), and their stored value metrics. Every place
that evaluates a rule in Python (the memory segments' ``members``, the
``explain`` use case on any store, the contract suite's expectations)
builds that [CustomerView][relcore.segments.CustomerView] with
[customer_view][relcore.segments._views.customer_view] from a
[ViewSource][relcore.segments._views.ViewSource], so they cannot
disagree on what the customer looks like. A part added to the view is added
to the protocol, and every source then has to provide it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from relcore._kernel.declarations import History
from relcore.consent.model import ConsentRecord
from relcore.customers.model import Customer
from relcore.ids import CustomerId
from relcore.segments.rules.evaluation import CustomerView
from relcore.value.model import CustomerMetrics

if TYPE_CHECKING:
    from relcore.segments.ports import SegmentsWork

__all__ = ["UnitOfWorkViews", "ViewSource", "customer_view"]


class ViewSource(Protocol):
    """Where the parts of a customer's view are read from."""

    def customer(self, customer_id: CustomerId) -> Customer:
        """The customer (raises [relcore.errors.NotFoundError][] if there is none)."""
        ...

    def history(self, history: History, customer_id: CustomerId) -> Sequence[Any]:
        """Every entry of ``history`` the customer owns, in any order."""
        ...

    def consents(self, customer_id: CustomerId) -> Sequence[ConsentRecord]:
        """The customer's consent ledger."""
        ...

    def metrics(self, customer_id: CustomerId) -> CustomerMetrics | None:
        """The customer's stored value metrics, if any."""
        ...


def customer_view(source: ViewSource, customer_id: CustomerId, histories: Iterable[History]) -> CustomerView:
    """Return everything a rule may look at for the customer, read from ``source``.

    ``histories`` are those the rule's catalogue knows
    ([Catalogue.histories][relcore.segments.Catalogue]); the view holds each one's entries.
    """
    customer = source.customer(customer_id)
    stored = source.metrics(customer_id)
    return CustomerView(
        customer,
        consents=source.consents(customer_id),
        metrics={} if stored is None else stored.values(),
        histories={h.name: source.history(h, customer_id) for h in histories},
    )


class UnitOfWorkViews:
    """A [ViewSource][relcore.segments._views.ViewSource] reading through a unit of work's repositories.

    Args:
        uow: An active unit of work, of any store.
    """

    def __init__(self, uow: SegmentsWork) -> None:
        self._uow = uow

    def view(self, customer_id: CustomerId, histories: Iterable[History]) -> CustomerView:
        """Return the customer's view (see [customer_view][relcore.segments._views.customer_view])."""
        return customer_view(self, customer_id, histories)

    def customer(self, customer_id: CustomerId) -> Customer:
        """The stored customer."""
        return self._uow.customers.get(customer_id)

    def history(self, history: History, customer_id: CustomerId) -> list[Any]:
        """Every stored entry of ``history`` the customer owns, through its repository's ``for_owner``."""
        repository: Any = self._uow.repo(history.aggregate)
        return list(repository.for_owner(customer_id))

    def consents(self, customer_id: CustomerId) -> list[ConsentRecord]:
        """The customer's stored consent ledger."""
        return self._uow.consents.for_customer(customer_id)

    def metrics(self, customer_id: CustomerId) -> CustomerMetrics | None:
        """The customer's stored value metrics, if any."""
        return self._uow.metrics.get(customer_id)
