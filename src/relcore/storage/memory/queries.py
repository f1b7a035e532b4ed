"""The newest-first selection shared by the memory timelines."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import TypeVar

from relcore.activity.model import Touchpoint, Transaction
from relcore.storage.rules import TimeWindow

__all__ = ["newest_first"]

E = TypeVar("E", bound=Touchpoint | Transaction)


def newest_first(entries: Iterable[E], window: TimeWindow, limit: int) -> list[E]:
    """Return up to ``limit`` entries admitted by ``window``, newest first.

    Newest means greatest ``(occurred_at, id)``, so equal times are ordered
    by id, descending.
    """
    admitted = (e for e in entries if window.admits(e))
    return heapq.nlargest(limit, admitted, key=lambda e: (e.occurred_at, e.id))
