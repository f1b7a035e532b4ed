"""Fixtures of the segment tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from relcore.registry import Store
from relcore.storage.memory import MemoryStore


@pytest.fixture
def fresh(store_factory: Callable[..., Store], backend: str) -> Callable[[], Store]:
    """A function emptying the backend's store (or making a new memory one) for each example."""
    if backend == "memory":
        return MemoryStore
    store = store_factory()
    from relcore.storage.sql.testing import wipe

    def empty() -> Store:
        wipe(store.bind)  # type: ignore[attr-defined]
        return store

    return empty
