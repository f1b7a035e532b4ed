"""Storage: the generic machinery every context's repositories build on.

[`relcore.storage.base`][] holds the generic ports (pages, chunk sizes, the
unit of work and the store); the repositories of each context are declared in
its ``ports`` module and implemented by its ``_memory`` and ``_sql``
adapters, on the machinery of [`relcore.storage.memory`][] and
[`relcore.storage.sql`][]. Importing this package loads no database driver.
"""

from relcore.storage.base import (
    DEFAULT_CHUNK_SIZE,
    MAX_PAGE_SIZE,
    SCAN_CHUNK_SIZE,
    AggregateRepository,
    Page,
    Publisher,
    UnitOfWorkBase,
    Work,
)

__all__ = [
    "AggregateRepository",
    "DEFAULT_CHUNK_SIZE",
    "MAX_PAGE_SIZE",
    "SCAN_CHUNK_SIZE",
    "Page",
    "Publisher",
    "UnitOfWorkBase",
    "Work",
]
