"""Storage: the ports (repository protocols and unit of work) and adapters.

The adapters live in [`relcore.storage.memory`][] and
[`relcore.storage.sql`][]; this package only re-exports the ports, so
importing it loads no database driver.
"""

from relcore.storage.ports import (
    ConsentRepository,
    ContactRepository,
    CustomerRepository,
    MetricsRepository,
    MoneyColumns,
    Page,
    Publisher,
    SegmentRepository,
    Store,
    TouchpointRepository,
    TransactionRepository,
    UnitOfWork,
    UnitOfWorkBase,
)

__all__ = [
    "ConsentRepository",
    "ContactRepository",
    "CustomerRepository",
    "MetricsRepository",
    "MoneyColumns",
    "Page",
    "Publisher",
    "SegmentRepository",
    "Store",
    "TouchpointRepository",
    "TransactionRepository",
    "UnitOfWork",
    "UnitOfWorkBase",
]
