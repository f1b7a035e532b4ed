"""Field converters and validators shared by the entities.

Each helper raises [`ValidationError`][relcore.errors.ValidationError] naming the field,
so a bad value is reported where it entered, before anything is stored.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

import attrs

from relcore.errors import ValidationError

E = TypeVar("E", bound=Enum)
T = TypeVar("T")

MAX_PAYLOAD_BYTES = 64 * 1024
"""Largest JSON payload or attribute dict, serialized, that an entity accepts."""

MAX_JSON_DEPTH = 31
"""Deepest nesting of objects and arrays in a JSON payload or attribute dict, the outer object
being level 1: the deepest MariaDB's JSON check accepts (it refuses 32), so every backend stores
what validation accepts."""

MIN_YEAR, MAX_YEAR = 1000, 9998
"""Datetimes must fall in these years (in UTC): every backend stores them."""

_TAG = re.compile(r"^[\w][\w .:/+-]{0,63}$", re.UNICODE)


def fail(field: str, problem: str) -> ValidationError:
    """Return the error for ``problem`` with ``field``."""
    return ValidationError.single(field, problem)


def check_enum(enum: type[E], field: str, value: object) -> E:
    """Return ``value`` as a member of ``enum``, accepting the member's value."""
    if isinstance(value, enum):
        return value
    try:
        return enum(value)
    except (ValueError, TypeError):
        allowed = ", ".join(repr(m.value) for m in enum)
        raise fail(field, f"unknown value {value!r}; expected one of {allowed}"[:400]) from None


def enum_converter(enum: type[E]) -> attrs.Converter:  # type: ignore[type-arg]
    """Return an attrs converter accepting members of ``enum`` or their values."""

    def convert(value: object, field: attrs.Attribute) -> E:  # type: ignore[type-arg]
        return check_enum(enum, field.name, value)

    return attrs.Converter(convert, takes_field=True)


def optional_enum_converter(enum: type[E]) -> attrs.Converter:  # type: ignore[type-arg]
    """Like `enum_converter` but letting ``None`` through."""

    def convert(value: object, field: attrs.Attribute) -> E | None:  # type: ignore[type-arg]
        return None if value is None else check_enum(enum, field.name, value)

    return attrs.Converter(convert, takes_field=True)


def check_text(field: str, value: object, *, max_len: int, empty: bool = False) -> str:
    """Return ``value`` if it is storable text of at most ``max_len`` characters."""
    if not isinstance(value, str):
        raise fail(field, f"expected text, got {type(value).__name__}")
    if not empty and not value.strip():
        raise fail(field, "must not be empty")
    if len(value) > max_len:
        raise fail(field, f"longer than {max_len} characters ({len(value)})")
    if "\x00" in value:
        raise fail(field, "contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise fail(field, "contains an unpaired surrogate") from None
    return value


def text(max_len: int, *, empty: bool = False) -> attrs.Converter:  # type: ignore[type-arg]
    """Converter checking required text."""

    def convert(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
        return check_text(field.name, value, max_len=max_len, empty=empty)

    return attrs.Converter(convert, takes_field=True)


def optional_text(max_len: int) -> attrs.Converter:  # type: ignore[type-arg]
    """Converter checking optional text; ``None`` stays ``None``."""

    def convert(value: object, field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
        if value is None:
            return None
        return check_text(field.name, value, max_len=max_len, empty=True)

    return attrs.Converter(convert, takes_field=True)


def check_datetime(field: str, value: object) -> datetime:
    """Return ``value`` as an aware UTC datetime, refusing naive ones."""
    if not isinstance(value, datetime):
        raise fail(field, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise fail(field, "naive datetime; give a time zone (UTC is stored)")
    try:
        converted = value.astimezone(UTC)
    except OverflowError:
        raise fail(field, "out of range once converted to UTC") from None
    if not MIN_YEAR <= converted.year <= MAX_YEAR:
        raise fail(field, f"year out of the storable range {MIN_YEAR}..{MAX_YEAR}")
    return converted


def _aware(value: object, field: attrs.Attribute) -> datetime:  # type: ignore[type-arg]
    return check_datetime(field.name, value)


def _optional_aware(value: object, field: attrs.Attribute) -> datetime | None:  # type: ignore[type-arg]
    return None if value is None else check_datetime(field.name, value)


aware = attrs.Converter(_aware, takes_field=True)
"""Converter for required aware datetimes (stored in UTC)."""

optional_aware = attrs.Converter(_optional_aware, takes_field=True)
"""Converter for optional aware datetimes."""


def _uuid(value: object, field: attrs.Attribute) -> UUID:  # type: ignore[type-arg]
    if isinstance(value, UUID):
        return value
    if isinstance(value, str):
        try:
            return UUID(value)
        except ValueError:
            pass
    raise fail(field.name, f"expected a UUID, got {value!r}"[:200])


def _optional_uuid(value: object, field: attrs.Attribute) -> UUID | None:  # type: ignore[type-arg]
    return None if value is None else _uuid(value, field)


uuid = attrs.Converter(_uuid, takes_field=True)
"""Converter for required ids (UUIDs, or their string form)."""

optional_uuid = attrs.Converter(_optional_uuid, takes_field=True)
"""Converter for optional ids."""


def check_json(field: str, value: object) -> dict[str, Any]:
    """Return a copy of ``value`` if it is a JSON object relcore can store.

    Keys must be text; values JSON scalars (finite numbers), lists or objects;
    objects and arrays nest at most `MAX_JSON_DEPTH` levels deep, the outer
    object included; the serialized form is at most `MAX_PAYLOAD_BYTES` bytes.
    """
    if not isinstance(value, Mapping):
        raise fail(field, f"expected a JSON object (dict), got {type(value).__name__}")
    if not value:
        return {}
    copied = _copy_json(field, value, 0)
    assert isinstance(copied, dict)
    size = len(json.dumps(copied, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise fail(field, f"serializes to {size} bytes; the limit is {MAX_PAYLOAD_BYTES}")
    return copied


def _copy_json(path: str, value: object, depth: int) -> object:
    """Copy ``value``, found inside ``depth`` objects and arrays, checking it is storable JSON."""
    if isinstance(value, Mapping | list | tuple) and depth >= MAX_JSON_DEPTH:
        raise fail(path, f"objects and arrays nested deeper than {MAX_JSON_DEPTH} levels")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise fail(path, "integer outside the 64-bit range")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise fail(path, f"{value} is not a JSON number")
        return value
    if isinstance(value, str):
        return check_text(path, value, max_len=MAX_PAYLOAD_BYTES, empty=True)
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise fail(path, f"object key {key!r} is not text")
            check_text(f"{path}.{key}", key, max_len=256, empty=True)
            out[key] = _copy_json(f"{path}.{key}", item, depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [_copy_json(f"{path}[{i}]", item, depth + 1) for i, item in enumerate(value)]
    raise fail(path, f"{type(value).__name__} is not JSON-serializable")


def _json(value: object, field: attrs.Attribute) -> dict[str, Any]:  # type: ignore[type-arg]
    return check_json(field.name, value)


json_object = attrs.Converter(_json, takes_field=True)
"""Converter copying and checking a JSON object."""


def check_tag(field: str, value: object) -> str:
    """Return ``value`` stripped if it is a valid tag."""
    if not isinstance(value, str):
        raise fail(field, f"expected text, got {type(value).__name__}")
    tag = value.strip()
    if not _TAG.fullmatch(tag):
        raise fail(
            field,
            f"invalid tag {value!r}: 1-64 characters, letters, digits, "
            "and ' .:/+-_' after the first"[:300],
        )
    return tag


def _tags(value: object, field: attrs.Attribute) -> frozenset[str]:  # type: ignore[type-arg]
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise fail(field.name, "expected a collection of tags")
    return frozenset(check_tag(f"{field.name}[{i}]", t) for i, t in enumerate(value))


tags = attrs.Converter(_tags, takes_field=True)
"""Converter turning an iterable of tags into a frozenset."""


def decimal_value(field: str, value: object) -> Decimal:
    """Return ``value`` as a finite `Decimal`."""
    if isinstance(value, bool):
        raise fail(field, "expected a decimal amount, got bool")
    if isinstance(value, float):
        raise fail(field, "floats are inexact; pass a Decimal, int or str")
    try:
        result = value if isinstance(value, Decimal) else Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise fail(field, f"not a decimal amount: {value!r}"[:200]) from None
    if not result.is_finite():
        raise fail(field, "must be a finite amount")
    return result


def _boolean(value: object, field: attrs.Attribute) -> bool:  # type: ignore[type-arg]
    if not isinstance(value, bool):
        raise fail(field.name, f"expected true or false, got {type(value).__name__}")
    return value


boolean = attrs.Converter(_boolean, takes_field=True)
"""Converter accepting only ``True`` and ``False``."""


MAX_INT32 = 2**31 - 1
"""Largest integer column value every backend stores (SQL ``INTEGER``)."""


def positive_int(field: str, value: object, *, minimum: int = 0, maximum: int = MAX_INT32) -> int:
    """Return ``value`` if it is an int from ``minimum`` to ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(field, f"expected an integer, got {type(value).__name__}")
    if value < minimum:
        raise fail(field, f"must be at least {minimum}, got {value}")
    if value > maximum:
        raise fail(field, f"must be at most {maximum}")
    return value


def check_tuple(check: Callable[[str, object], T], field: str, value: object) -> tuple[T, ...]:
    """Return ``value`` as a tuple, each item passed through ``check(path, item)``."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise fail(field, "expected a sequence")
    return tuple(check(f"{field}[{i}]", item) for i, item in enumerate(value))


def tuple_of(check: Callable[[str, object], Any]) -> attrs.Converter:  # type: ignore[type-arg]
    """Converter applying ``check(path, item)`` to each item, giving a tuple."""

    def convert(value: object, field: attrs.Attribute) -> tuple[Any, ...]:  # type: ignore[type-arg]
        return check_tuple(check, field.name, value)

    return attrs.Converter(convert, takes_field=True)
