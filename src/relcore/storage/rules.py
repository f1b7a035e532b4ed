"""Rules every storage adapter applies the same way.

Argument checks for listings and timelines, and the timestamp a ``save``
stamps, live here so that the memory and SQL adapters (and third-party ones)
cannot drift apart on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from relcore.clock import Clock
from relcore.domain import Channel, Touchpoint, Transaction
from relcore.domain._checks import check_datetime, check_enum, fail
from relcore.storage.ports import MAX_PAGE_SIZE

__all__ = ["TimeWindow", "check_chunk_size", "check_limit", "save_timestamp"]


class _Created(Protocol):
    @property
    def created_at(self) -> datetime: ...


def save_timestamp(clock: Clock, entity: _Created) -> datetime:
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


class TimeWindow:
    """The filter of a timeline query: channels and ``[since, until)``.

    Args:
        channels: Channels to keep (members or their values); ``None`` keeps
            all, an empty collection keeps nothing.
        since: Keep entries at or after this instant.
        until: Keep entries strictly before this instant.

    Raises:
        ValidationError: For an unknown channel or a naive datetime.
    """

    __slots__ = ("channels", "since", "until")

    def __init__(
        self,
        channels: Iterable[Channel | str] | None,
        since: datetime | None,
        until: datetime | None,
    ) -> None:
        if channels is not None and isinstance(channels, str):
            raise fail("channels", "expected a collection of channels, got a single string")
        self.channels: frozenset[Channel] | None = (
            None
            if channels is None
            else frozenset(check_enum(Channel, f"channels[{i}]", c) for i, c in enumerate(channels))
        )
        self.since = None if since is None else check_datetime("since", since)
        self.until = None if until is None else check_datetime("until", until)

    def admits(self, entry: Touchpoint | Transaction) -> bool:
        """Whether ``entry`` passes the channel and time filters."""
        if self.channels is not None and entry.channel not in self.channels:
            return False
        if self.since is not None and entry.occurred_at < self.since:
            return False
        return self.until is None or entry.occurred_at < self.until
