"""The undo log: changes applied in place, each with the way to take it back.

A memory unit of work changes the store's dictionaries and lists directly and
records, for every elementary change, how to reverse it. Rolling back replays
those reversals newest first, so it costs as much as the work done, never a
copy of the whole store.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Hashable, MutableMapping
from typing import Any, TypeVar

__all__ = ["UndoLog"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_ABSENT: Any = object()


class UndoLog:
    """Applies elementary changes and remembers how to reverse each one.

    Every method both makes its change and records the inverse. `undo`
    reverses all recorded changes, newest first; `forget` keeps them
    (after a commit).
    """

    __slots__ = ("_steps",)

    def __init__(self) -> None:
        self._steps: list[Callable[[], None]] = []

    def __len__(self) -> int:
        return len(self._steps)

    def put(self, mapping: MutableMapping[K, V], key: K, value: V) -> None:
        """Set ``mapping[key] = value``; undoing restores the old value or absence."""
        old = mapping.get(key, _ABSENT)
        mapping[key] = value
        if old is _ABSENT:
            self._steps.append(lambda: _discard(mapping, key))
        else:
            self._steps.append(lambda: mapping.__setitem__(key, old))

    def delete(self, mapping: MutableMapping[K, V], key: K) -> None:
        """Delete ``mapping[key]`` (which must exist); undoing puts it back."""
        old = mapping.pop(key)
        self._steps.append(lambda: mapping.__setitem__(key, old))

    def append(self, items: list[V], value: V) -> None:
        """Append ``value`` to ``items``; undoing pops it again."""
        items.append(value)
        self._steps.append(lambda: _pop(items))

    def insort(self, items: list[Any], value: Any) -> None:
        """Insert ``value`` into the sorted list ``items``; undoing removes it."""
        index = bisect.bisect_left(items, value)
        items.insert(index, value)
        self._steps.append(lambda: items.__delitem__(index))

    def add_to_set(self, members: set[V], value: V) -> None:
        """Add ``value`` to ``members``; undoing discards it if it was new."""
        if value not in members:
            members.add(value)
            self._steps.append(lambda: members.discard(value))

    def discard_from_set(self, members: set[V], value: V) -> None:
        """Discard ``value`` from ``members``; undoing adds it back if it was there."""
        if value in members:
            members.discard(value)
            self._steps.append(lambda: members.add(value))

    def add_to_index(self, index: MutableMapping[K, set[V]], key: K, member: V) -> None:
        """Add ``member`` to the set ``index[key]``, creating the set if needed."""
        members = index.get(key)
        if members is None:
            self.put(index, key, {member})
        else:
            self.add_to_set(members, member)

    def discard_from_index(self, index: MutableMapping[K, set[V]], key: K, member: V) -> None:
        """Discard ``member`` from the set ``index[key]``, dropping the set once empty."""
        members = index.get(key)
        if members is None or member not in members:
            return
        if len(members) == 1:
            self.delete(index, key)
        else:
            self.discard_from_set(members, member)

    def append_to_index(self, index: MutableMapping[K, list[V]], key: K, value: V) -> None:
        """Append ``value`` to the list ``index[key]``, creating the list if needed."""
        values = index.get(key)
        if values is None:
            self.put(index, key, [value])
        else:
            self.append(values, value)

    def undo(self) -> None:
        """Reverse every recorded change, newest first, and forget them."""
        steps, self._steps = self._steps, []
        for step in reversed(steps):
            step()

    def forget(self) -> None:
        """Keep the changes: drop the record of how to reverse them."""
        self._steps = []


def _pop(items: list[Any]) -> None:
    items.pop()


def _discard(mapping: MutableMapping[K, V], key: K) -> None:
    del mapping[key]
