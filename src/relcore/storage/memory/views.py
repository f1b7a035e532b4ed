"""The memory store's source of what a segment rule sees about one customer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from relcore._kernel.declarations import History
from relcore.consent.model import ConsentRecord
from relcore.customers.model import Customer
from relcore.errors import NotFoundError
from relcore.ids import CustomerId
from relcore.segments import CustomerView
from relcore.storage.customer_view import customer_view as assemble
from relcore.storage.memory.tables import Tables
from relcore.value.model import CustomerMetrics

__all__ = ["TablesViews", "customer_view"]


class TablesViews:
    """A [ViewSource][relcore.storage.customer_view.ViewSource] reading the memory tables directly.

    Args:
        tables: The tables as the unit of work sees them.
    """

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def customer(self, customer_id: CustomerId) -> Customer:
        """The stored customer."""
        found = self._tables.customers.get(customer_id)
        if found is None:
            raise NotFoundError("customer", customer_id)
        return found

    def history(self, history: History, customer_id: CustomerId) -> list[Any]:
        """The customer's entries of ``history``, in storage order."""
        return self._tables.owned(history.aggregate.name, customer_id)

    def consents(self, customer_id: CustomerId) -> list[ConsentRecord]:
        """The customer's consent ledger, in storage order."""
        tables = self._tables
        return [tables.consents[i] for i in tables.consents_by_customer.get(customer_id, ())]

    def metrics(self, customer_id: CustomerId) -> CustomerMetrics | None:
        """The customer's stored value metrics, if any."""
        rows = self._tables.value.get("metrics")
        found = rows.get(customer_id) if isinstance(rows, dict) else None
        return found if isinstance(found, CustomerMetrics) else None


def customer_view(tables: Tables, customer_id: CustomerId, histories: Iterable[History]) -> CustomerView:
    """Return the customer's [CustomerView][relcore.segments.CustomerView] from ``tables``.

    It holds the entries of ``histories``.
    """
    return assemble(TablesViews(tables), customer_id, histories)
