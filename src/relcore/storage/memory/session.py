"""What the repositories of one memory unit of work share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from relcore.clock import Clock
from relcore.errors import ConfigurationError, NotFoundError
from relcore.ids import CustomerId
from relcore.storage.memory.gate import Gate
from relcore.storage.memory.tables import Tables
from relcore.storage.memory.undo import UndoLog

if TYPE_CHECKING:
    from relcore.registry import UnitOfWork

__all__ = ["Session"]


class Session:
    """The store's tables, the unit of work's undo log, its clock and its guard.

    Every repository method starts with `check` (reads) or
    `check_write` (changes), which refuse work outside the unit of
    work's ``with`` block.

    Attributes:
        tables: The store's data, changed in place.
        log: Records how to undo each change of this unit of work.
        clock: Source of ``updated_at`` for saves.
        uow: The unit of work itself, through which an adapter reaches another
            port (never another port's tables).
    """

    __slots__ = ("_gate", "_guard", "_read_only", "clock", "log", "tables", "uow")

    def __init__(
        self,
        tables: Tables,
        log: UndoLog,
        clock: Clock,
        guard: Callable[[], None],
        gate: Gate,
        *,
        read_only: bool = False,
    ) -> None:
        self.tables = tables
        self.log = log
        self.clock = clock
        self._guard = guard
        self._gate = gate
        self._read_only = read_only
        self.uow: UnitOfWork = None  # type: ignore[assignment]  # set by the unit of work that made it

    def check(self) -> None:
        """Raise [`ConfigurationError`][relcore.errors.ConfigurationError] outside the ``with`` block."""
        self._guard()

    def check_write(self) -> None:
        """Like `check`, and refuse writes while an inner unit of work is open.

        A read-only unit of work refuses every write.
        """
        self._guard()
        if self._read_only:
            raise ConfigurationError("this unit of work is read-only; open one with read_only=False to write")
        self._gate.check_write(self.log)

    def require_customer(self, customer_id: CustomerId) -> None:
        """Raise [`NotFoundError`][relcore.errors.NotFoundError] unless the customer is stored."""
        if not self.tables.holds("customers", customer_id):
            raise NotFoundError("customer", customer_id)
