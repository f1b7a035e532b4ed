"""Activity use cases: record and import touchpoints and transactions (idempotent), against the ports."""

from __future__ import annotations

from collections.abc import Iterable

from relcore._kernel.arguments import check_instance
from relcore.activity.model import (
    Touchpoint,
    TouchpointRecorded,
    TouchpointsImported,
    Transaction,
    TransactionRecorded,
    TransactionsImported,
)
from relcore.activity.ports import ActivityWork
from relcore.storage.base import DEFAULT_CHUNK_SIZE

__all__ = ["import_touchpoints", "import_transactions", "record_touchpoint", "record_transaction"]


def record_touchpoint(uow: ActivityWork, touchpoint: Touchpoint) -> bool:
    """Record one touchpoint; ``False`` if its key was already stored."""
    check_instance("touchpoint", touchpoint, Touchpoint)
    new = uow.touchpoints.add(touchpoint)
    if new:
        uow.record(
            TouchpointRecorded(
                touchpoint.id, touchpoint.customer_id, touchpoint.channel, touchpoint.occurred_at
            )
        )
    return new


def import_touchpoints(
    uow: ActivityWork, touchpoints: Iterable[Touchpoint], *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> int:
    """Bulk-ingest touchpoints idempotently; return how many were new."""
    new = uow.touchpoints.add_many(touchpoints, chunk_size=chunk_size)
    if new:
        uow.record(TouchpointsImported(new))
    return new


def record_transaction(uow: ActivityWork, transaction: Transaction) -> bool:
    """Record one transaction; ``False`` if its key was already stored."""
    check_instance("transaction", transaction, Transaction)
    new = uow.transactions.add(transaction)
    if new:
        uow.record(TransactionRecorded(transaction.id, transaction.customer_id, transaction.kind))
    return new


def import_transactions(
    uow: ActivityWork, transactions: Iterable[Transaction], *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> int:
    """Bulk-ingest transactions idempotently; return how many were new."""
    new = uow.transactions.add_many(transactions, chunk_size=chunk_size)
    if new:
        uow.record(TransactionsImported(new))
    return new
