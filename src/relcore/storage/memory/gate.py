"""The gate of a memory store: one thread at a time, and nested units of work kept apart."""

from __future__ import annotations

import threading

from relcore.errors import ConfigurationError
from relcore.storage.memory.undo import UndoLog

__all__ = ["Gate"]


class Gate:
    """Admits the units of work of one thread at a time to a store.

    A unit of work passes the gate when it enters its ``with`` block and
    leaves when it exits, holding the store's re-entrant lock in between, so
    units of work of other threads wait. The same thread may open a unit of
    work inside another (an event subscriber does, after a commit); because
    changes are undone in place, that is allowed only while the outer one has
    nothing uncommitted, and the outer one may not write until the inner one
    is closed. Otherwise an inner commit could be undone by an outer rollback.
    """

    __slots__ = ("_lock", "_open")

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._open: list[UndoLog] = []

    def enter(self, log: UndoLog) -> None:
        """Wait for the store, then admit the unit of work that keeps ``log``.

        Raises:
            ConfigurationError: If this thread has a unit of work open on the
                store with uncommitted changes.
        """
        self._lock.acquire()
        if self._open and len(self._open[-1]):
            self._lock.release()
            raise ConfigurationError(
                "another unit of work on this store is open in this thread with uncommitted "
                "changes; commit or roll it back first"
            )
        self._open.append(log)

    def leave(self, log: UndoLog) -> None:
        """Let the unit of work that keeps ``log`` out, releasing the store."""
        self._open.remove(log)
        self._lock.release()

    def check_write(self, log: UndoLog) -> None:
        """Refuse a change by a unit of work that has another one open inside it.

        Raises:
            ConfigurationError: If ``log`` is not the innermost open unit of work's.
        """
        if self._open and self._open[-1] is not log:
            raise ConfigurationError(
                "a unit of work opened inside this one is still open; close it before writing"
            )
