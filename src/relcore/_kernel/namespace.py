"""The base of the facade's namespaces (``crm.customers``, ``crm.segments``...).

Each namespace method checks its arguments, then runs one use case in one
unit of work: a write commits before it returns, a read runs in a read-only
unit of work. That open-run-commit block, and the default of ``as_of``, live
here once instead of in every method.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from relcore._kernel.checks import check_datetime
from relcore.clock import Clock

__all__ = ["Namespace", "Transactional", "UnitOfWorkSource"]

T = TypeVar("T")


class Transactional(Protocol):
    """What a namespace needs of a unit of work: a ``with`` block and ``commit``."""

    def commit(self) -> None: ...  # pragma: no cover - protocol


U = TypeVar("U", bound=Transactional)
U_co = TypeVar("U_co", bound=Transactional, covariant=True)


class UnitOfWorkSource(Protocol[U_co]):
    """Opens units of work (the [CRM][relcore.CRM] facade is one)."""

    def unit_of_work(
        self, *, read_only: bool = False
    ) -> AbstractContextManager[U_co]: ...  # pragma: no cover


class Namespace(Generic[U]):
    """One context's part of the facade, bound to a source of units of work and a clock.

    Args:
        source: Opens the units of work (the facade).
        clock: Source of "now" for defaults such as ``as_of``.
    """

    __slots__ = ("_clock", "_source")

    def __init__(self, source: UnitOfWorkSource[U], clock: Clock) -> None:
        self._source = source
        self._clock = clock

    def _write(self, use_case: Callable[[U], T]) -> T:
        """Run ``use_case`` in a new unit of work and commit; return its result."""
        with self._source.unit_of_work() as uow:
            result = use_case(uow)
            uow.commit()
        return result

    def _read(self, query: Callable[[U], T]) -> T:
        """Run ``query`` in a new read-only unit of work; return its result."""
        with self._source.unit_of_work(read_only=True) as uow:
            return query(uow)

    def _as_of(self, as_of: object, field: str = "as_of") -> datetime:
        """``as_of`` checked as an aware datetime, or now when it is ``None``."""
        return self._clock() if as_of is None else check_datetime(field, as_of)
