"""Rules every storage adapter applies the same way.

Argument checks for lookups and listings, and the timestamp a ``save``
stamps, live here so that the memory and SQL adapters (and third-party
ones) cannot drift apart on them; the checks of a context's own lookups
(an e-mail key, an idempotency key, a timeline's window) live in its
``ports`` module, for the same reason.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from relcore._kernel.checks import check_text, fail
from relcore._kernel.declarations import Aggregate
from relcore.clock import Clock
from relcore.errors import ConfigurationError
from relcore.storage.base import MAX_PAGE_SIZE

__all__ = [
    "Stamped",
    "check_chunk_size",
    "check_id",
    "check_ids",
    "check_key",
    "check_limit",
    "refuse_if_append_only",
    "save_timestamp",
]


class Stamped(Protocol):
    """An entity a save stamps: anything with a ``created_at``."""

    @property
    def created_at(self) -> datetime:
        """When it was created."""
        ...


def save_timestamp(clock: Clock, entity: Stamped) -> datetime:
    """Return the ``updated_at`` a save stamps: now, but never before ``created_at``."""
    return max(clock(), entity.created_at)


def check_chunk_size(chunk_size: object) -> int:
    """Return ``chunk_size`` if it is a positive int.

    Raises:
        ValidationError: Otherwise.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise fail("chunk_size", "must be a positive integer")
    return chunk_size


def check_limit(limit: object, field: str = "limit") -> int:
    """Return ``limit`` if it is an int in ``1..MAX_PAGE_SIZE``.

    Raises:
        ValidationError: Otherwise.
    """
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise fail(field, f"expected an integer, got {type(limit).__name__}")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise fail(field, f"must lie in 1..{MAX_PAGE_SIZE}")
    return limit


def check_id(field: str, value: object) -> UUID:
    """Return ``value`` if it is a UUID, the type of every entity id.

    Raises:
        ValidationError: Otherwise (naming ``field`` and the type given).
    """
    if not isinstance(value, UUID):
        raise fail(field, f"expected a UUID, got {type(value).__name__}")
    return value


def check_ids(field: str, values: object) -> list[UUID]:
    """Return ``values`` as a list of ids, if it is a collection of UUIDs (not text, not a mapping).

    Raises:
        ValidationError: Otherwise (naming ``field``, or the offending item as ``field[i]``).
    """
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Collection):
        raise fail(field, f"expected a collection of UUIDs, got {type(values).__name__}")
    return [check_id(f"{field}[{i}]", value) for i, value in enumerate(values)]


def check_key(field: str, value: object, *, max_len: int) -> str:
    """Return ``value`` if it can be the text of a key: the argument of a lookup by key.

    Keys (identities, idempotency keys, segment names) compare exactly on
    every backend, so a lookup argument of another type is refused before
    any query rather than coerced by a database (MariaDB compares ``0`` with
    ``'abc'`` as numbers, SQLite ``1001`` with ``'1001'`` as text). Text no
    key can hold (a NUL character, an unpaired surrogate, longer than the
    column) is refused too, the same on every backend.

    Raises:
        ValidationError: Naming ``field``; the message never repeats the value.
    """
    return check_text(field, value, max_len=max_len, empty=True)


def refuse_if_append_only(aggregate: Aggregate[Any]) -> None:
    """Refuse a ``save`` of an append-only aggregate's entity.

    Raises:
        ConfigurationError: The aggregate is append-only.
    """
    if aggregate.append_only:
        raise ConfigurationError(f"{aggregate.name} are append-only: add a new entry instead of saving one")
