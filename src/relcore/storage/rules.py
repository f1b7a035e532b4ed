"""Rules every storage adapter applies the same way.

Argument checks for lookups, listings and timelines, and the timestamp a
``save`` stamps, live here so that the memory and SQL adapters (and
third-party ones) cannot drift apart on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol
from uuid import UUID

from relcore._kernel.checks import check_datetime, check_text, fail
from relcore._kernel.tokens import check_token
from relcore.activity.model import Touchpoint, Transaction
from relcore.clock import Clock
from relcore.customers.contacts import normalize_email, normalize_phone
from relcore.customers.model import Channel
from relcore.storage.base import MAX_PAGE_SIZE

__all__ = [
    "TimeWindow",
    "check_chunk_size",
    "check_id",
    "check_key",
    "check_limit",
    "email_key",
    "event_key",
    "identity_key",
    "phone_key",
    "save_timestamp",
    "segment_name",
]


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


def check_id(field: str, value: object) -> UUID:
    """Return ``value`` if it is a UUID, the type of every entity id.

    Raises:
        ValidationError: Otherwise (naming ``field`` and the type given).
    """
    if not isinstance(value, UUID):
        raise fail(field, f"expected a UUID, got {type(value).__name__}")
    return value


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


def identity_key(namespace: object, value: object) -> tuple[str, str]:
    """Return the checked arguments of a lookup by identity.

    Raises:
        ValidationError: As `check_key`.
    """
    return check_key("namespace", namespace, max_len=64), check_key("value", value, max_len=256)


def event_key(source: object, external_id: object) -> tuple[str, str]:
    """Return the checked arguments of a lookup by idempotency key ``(source, external_id)``.

    Raises:
        ValidationError: As `check_key`.
    """
    return check_key("source", source, max_len=100), check_key("external_id", external_id, max_len=200)


def segment_name(name: object) -> str:
    """Return the checked argument of a lookup of a segment by name.

    Raises:
        ValidationError: As `check_key`.
    """
    return check_key("name", name, max_len=200)


def email_key(email: object) -> str:
    """Return the key e-mail contact points are looked up by: normalized, case-folded.

    Raises:
        ValidationError: If ``email`` is not text or not an e-mail address.
    """
    return normalize_email(check_text("email", email, max_len=320)).casefold()


def phone_key(phone: object, region: object = None) -> str:
    """Return the key phone contact points are looked up by: the number in E.164.

    Raises:
        ValidationError: If ``phone`` is not a valid number, or ``region`` is
            neither ``None`` nor a two-letter code.
    """
    code = None if region is None else check_text("region", region, max_len=2)
    return normalize_phone(check_text("phone", phone, max_len=64), region=code)


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
        self.channels: frozenset[Channel | str] | None = (
            None
            if channels is None
            else frozenset(check_token(Channel, f"channels[{i}]", c) for i, c in enumerate(channels))
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
