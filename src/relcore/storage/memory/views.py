"""The memory store's source of what a segment rule sees about one customer."""

from __future__ import annotations

from relcore.activity.model import Touchpoint, Transaction
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

    def touchpoints(self, customer_id: CustomerId) -> list[Touchpoint]:
        """The customer's touchpoints, in storage order."""
        table = self._tables.touchpoints
        return [table.rows[i] for i in table.by_customer.get(customer_id, ())]

    def transactions(self, customer_id: CustomerId) -> list[Transaction]:
        """The customer's transactions, in storage order."""
        table = self._tables.transactions
        return [table.rows[i] for i in table.by_customer.get(customer_id, ())]

    def consents(self, customer_id: CustomerId) -> list[ConsentRecord]:
        """The customer's consent ledger, in storage order."""
        tables = self._tables
        return [tables.consents[i] for i in tables.consents_by_customer.get(customer_id, ())]

    def metrics(self, customer_id: CustomerId) -> CustomerMetrics | None:
        """The customer's stored value metrics, if any."""
        rows = self._tables.value.get("metrics")
        found = rows.get(customer_id) if isinstance(rows, dict) else None
        return found if isinstance(found, CustomerMetrics) else None


def customer_view(tables: Tables, customer_id: CustomerId) -> CustomerView:
    """Return the customer's [CustomerView][relcore.segments.CustomerView] from ``tables``."""
    return assemble(TablesViews(tables), customer_id)
