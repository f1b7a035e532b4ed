"""The in-memory storage adapter: the reference semantics of the ports.

[`MemoryStore`][relcore.storage.memory.MemoryStore] keeps entities in dictionaries with secondary indexes,
applies each unit of work in place and undoes it from a log on rollback. It
is first-class, not a test fake: it passes the same contract suite
([`relcore.testing.contracts`][]) as the SQL adapter.
"""

from relcore.storage.memory.store import MemoryStore, MemoryUnitOfWork

__all__ = ["MemoryStore", "MemoryUnitOfWork"]
