"""Activity: interactions (touchpoints), purchases (transactions) and the timeline merging them.

The names of its model, re-exported; its facade namespace is
[`crm.activity`][relcore.activity.api], its ports and use cases are in
``ports`` and ``services``.
"""

from relcore.activity.model import (
    Direction,
    TimelineEntry,
    Touchpoint,
    TouchpointKind,
    TouchpointRecorded,
    TouchpointsImported,
    Transaction,
    TransactionKind,
    TransactionRecorded,
    TransactionsImported,
)

__all__ = [
    "Direction",
    "TimelineEntry",
    "Touchpoint",
    "TouchpointKind",
    "TouchpointRecorded",
    "TouchpointsImported",
    "Transaction",
    "TransactionKind",
    "TransactionRecorded",
    "TransactionsImported",
]
