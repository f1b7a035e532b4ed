"""Time: aware UTC datetimes only, and a replaceable clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "system_clock", "utc"]

Clock = Callable[[], datetime]
"""A function returning the current time as an aware UTC datetime."""


def system_clock() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def utc(value: datetime) -> datetime:
    """Return ``value`` converted to UTC.

    Raises:
        ValueError: If ``value`` is naive (has no time zone).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: a time zone is required")
    return value.astimezone(UTC)
