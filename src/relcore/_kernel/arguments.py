"""Checks for the arguments of the [CRM][relcore.CRM] facade's methods.

Every public method checks its arguments with these helpers before it opens
a unit of work, so a wrong type or value raises the same
[ValidationError][relcore.errors.ValidationError], naming the argument, on
every backend, and nothing of it reaches the database. Each helper returns
the value as a plain builtin (a ``str`` or ``UUID`` subclass is copied), so
a hostile object's ``__eq__``, ``__hash__`` or ``__str__`` is never called
past this point; whatever such an object raises while it is checked becomes
a ``ValidationError`` too. Messages never repeat the value given.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

from relcore._kernel.checks import (
    check_datetime,
    check_uuid,
    fail,
    guarded,
    kind,
    positive_int,
)
from relcore.ids import CustomerId

__all__ = [
    "check_callable",
    "check_flag",
    "check_id",
    "check_ids",
    "check_instance",
    "check_items",
    "check_limit",
    "check_optional_datetime",
    "MAX_PAGE_SIZE",
    "takes",
]

T = TypeVar("T")

MAX_PAGE_SIZE = 10_000
"""Largest ``limit`` a listing or timeline accepts."""


def check_id(field: str, value: object) -> Any:
    """Return ``value`` as a plain UUID (the id types are UUIDs; their text form is refused)."""
    return check_uuid(field, value, text=False)


def check_limit(value: object, field: str = "limit") -> int:
    """Return ``value`` if it is a whole number from 1 to ``MAX_PAGE_SIZE``."""
    return positive_int(field, value, minimum=1, maximum=MAX_PAGE_SIZE)


def check_optional_datetime(field: str, value: object) -> datetime | None:
    """Return ``None``, or ``value`` as an aware UTC datetime."""
    return None if value is None else check_datetime(field, value)


def check_flag(field: str, value: object) -> bool:
    """Return ``value`` if it is ``True`` or ``False``."""
    if not isinstance(value, bool):
        raise fail(field, f"expected true or false, got {kind(value)}")
    return value


def check_callable(field: str, value: object, *, arguments: int, optional: bool = False) -> Any:
    """Return ``value`` if it is a function of ``arguments`` positional arguments (or optional ``None``).

    What the function raises when relcore calls it later is the caller's own
    exception and is not wrapped; a function of the wrong shape is refused here.
    """
    if value is None and optional:
        return value
    if not callable(value):
        raise fail(field, f"expected a function, got {kind(value)}")
    if not takes(value, arguments):
        raise fail(field, f"expected a function of {arguments} positional argument(s)")
    return value


def takes(function: Callable[..., object], arguments: int) -> bool:
    """Whether ``function`` can be called with ``arguments`` positional arguments (``True`` if unknown)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # no signature to read (some builtins)
        return True
    except Exception:  # a hostile object: whatever it does is its caller's
        return True
    try:
        signature.bind(*range(arguments))
    except TypeError:
        return False
    return True


def check_instance(field: str, value: object, cls: type[T]) -> T:
    """Return ``value`` if it is a ``cls``."""
    if not isinstance(value, cls):
        raise fail(field, f"expected a {cls.__name__}, got {kind(value)}")
    return value


def check_items(field: str, value: object, check: Callable[[str, object], T]) -> Iterator[T]:
    """Yield the items of the iterable ``value``, each passed through ``check(path, item)``.

    Lazy, so a stream is never held in memory whole; the type of ``value`` is
    checked at once, and an item is checked before it is yielded.
    """
    if isinstance(value, str | bytes | bytearray | Mapping) or not isinstance(value, Iterable):
        raise fail(field, f"expected a collection, got {kind(value)}")
    iterator = guarded(field, lambda: iter(value))
    return _checked(field, iterator, check)


def _checked(field: str, iterator: Iterator[object], check: Callable[[str, object], T]) -> Iterator[T]:
    end = object()
    index = 0
    while (item := guarded(field, lambda: next(iterator, end))) is not end:
        yield check(f"{field}[{index}]", item)
        index += 1


def check_ids(field: str, value: object) -> list[CustomerId]:
    """Return the customer ids in the collection ``value``."""
    return list(check_items(field, value, check_id))
