"""Assembling what a segment rule may look at for one stored customer."""

from __future__ import annotations

from relcore.domain.metrics import CustomerMetrics
from relcore.ids import CustomerId
from relcore.segments import CustomerView
from relcore.storage.memory.tables import Tables

__all__ = ["customer_view"]


def customer_view(tables: Tables, customer_id: CustomerId) -> CustomerView:
    """Return the customer's [`CustomerView`][relcore.segments.CustomerView] from ``tables``."""
    touchpoints = tables.touchpoints
    transactions = tables.transactions
    return CustomerView(
        customer=tables.customers[customer_id],
        touchpoints=[touchpoints.rows[i] for i in touchpoints.by_customer.get(customer_id, ())],
        transactions=[transactions.rows[i] for i in transactions.by_customer.get(customer_id, ())],
        consents=[tables.consents[i] for i in tables.consents_by_customer.get(customer_id, ())],
        metrics=_metrics(tables, customer_id),
    )


def _metrics(tables: Tables, customer_id: CustomerId) -> dict[str, object]:
    rows = tables.value.get("metrics")
    found = rows.get(customer_id) if isinstance(rows, dict) else None
    return found.values() if isinstance(found, CustomerMetrics) else {}
