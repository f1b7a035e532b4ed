"""How touchpoints and transactions are stored: their row codecs (``relcore.storage.sql.codec``).

Touchpoints and transactions, read in bulk on timelines and value jobs, are
rebuilt from their typed columns without running the converters again
(they ran when the row was written): they are ``trusted``. The same codecs
give bulk ingest its driver parameters and the timeline its row readers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from relcore.activity.model import Touchpoint, Transaction
from relcore.storage.sql.codec import MinorUnits, RowCodec
from relcore.storage.sql.schema import touchpoints, transactions

__all__ = [
    "CODECS",
    "TOUCHPOINTS",
    "TRANSACTIONS",
    "touchpoint_from_row",
    "touchpoint_row",
    "transaction_from_row",
    "transaction_row",
]

Row = Mapping[Any, Any]

TOUCHPOINTS: RowCodec[Touchpoint] = RowCodec(touchpoints, Touchpoint, trusted=True)
"""``relcore_touchpoints``: every column holds the field of its name."""

TRANSACTIONS: RowCodec[Transaction] = RowCodec(
    transactions,
    Transaction,
    declared={"amount_minor": MinorUnits(amount="amount", currency="currency")},
    trusted=True,
)
"""``relcore_transactions``: ``amount_minor`` holds the amount in the currency's minor units."""

CODECS: Mapping[sa.Table, RowCodec[Any]] = {c.table: c for c in (TOUCHPOINTS, TRANSACTIONS)}
"""The codec of each activity table."""

touchpoint_row: Callable[[Touchpoint], dict[str, Any]] = TOUCHPOINTS.row
"""Return the ``relcore_touchpoints`` row of a touchpoint."""
touchpoint_from_row: Callable[[Row], Touchpoint] = TOUCHPOINTS.entity
"""Rebuild a touchpoint from its row (trusted: written by relcore)."""
transaction_row: Callable[[Transaction], dict[str, Any]] = TRANSACTIONS.row
"""Return the ``relcore_transactions`` row of a transaction."""
transaction_from_row: Callable[[Row], Transaction] = TRANSACTIONS.entity
"""Rebuild a transaction from its row (trusted: written by relcore)."""
