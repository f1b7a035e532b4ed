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

# re-exported: the entities and checks elsewhere use them from here
from relcore._kernel.untrusted import exact_str as exact_str
from relcore._kernel.untrusted import fail as fail
from relcore._kernel.untrusted import guarded as guarded
from relcore._kernel.untrusted import key_path as key_path
from relcore._kernel.untrusted import kind as kind
from relcore._kernel.untrusted import shown_name as shown_name
from relcore.errors import ValidationError

E = TypeVar("E", bound=Enum)
T = TypeVar("T")


def stored(path: str, build: Callable[[], T]) -> T:
    """``build()`` for a value read back from its stored JSON form, every error named under ``path``."""
    try:
        return guarded(path, build)
    except ValidationError as error:
        raise error.prefixed(path) from None


MAX_PAYLOAD_BYTES = 64 * 1024
"""Largest JSON payload or attribute dict, serialized, that an entity accepts."""

MAX_JSON_DEPTH = 31
"""Deepest nesting of objects and arrays in a JSON payload or attribute dict, the outer object
being level 1: the deepest MariaDB's JSON check accepts (it refuses 32), so every backend stores
what validation accepts."""

MIN_YEAR, MAX_YEAR = 1000, 9998
"""Datetimes must fall in these years (in UTC): every backend stores them."""

_TAG = re.compile(r"^[\w][\w .:/+-]{0,63}$", re.UNICODE)


def check_enum(enum: type[E], field: str, value: object) -> E:
    """Return ``value`` as a member of ``enum``, accepting the member's value (text)."""
    if isinstance(value, enum):
        return value  # members are final: an enum with members cannot be subclassed
    allowed = ", ".join(repr(m.value) for m in enum)
    if not isinstance(value, str):
        raise fail(field, f"expected one of {allowed}, got {kind(value)}"[:400])
    member = member_of(enum, exact_str(value))
    if member is None:
        raise fail(field, f"unknown value; expected one of {allowed}"[:400])
    return member


def member_of(enum: type[E], text: str) -> E | None:
    """The member of ``enum`` whose value is ``text``, if any (no exception whose text quotes it)."""
    return next((m for m in enum if m.value == text), None)


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
        raise fail(field, f"expected text, got {kind(value)}")
    value = exact_str(value)
    if not empty and not value.strip():
        raise fail(field, "must not be empty")
    if len(value) > max_len:
        raise fail(field, f"longer than {max_len} characters ({len(value)})")
    if "\x00" in value:
        raise fail(field, "contains a NUL character")
    if not _encodable(value):
        raise fail(field, "contains an unpaired surrogate")
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
        raise fail(field, f"expected a datetime, got {kind(value)}")
    moment = value
    naive = guarded(field, lambda: moment.tzinfo is None or moment.utcoffset() is None)
    if naive:
        raise fail(field, "naive datetime; give a time zone (UTC is stored)")
    converted = guarded(field, lambda: _to_utc(moment))
    if converted is None:
        raise fail(field, "out of range once converted to UTC")
    if not MIN_YEAR <= converted.year <= MAX_YEAR:
        raise fail(field, f"year out of the storable range {MIN_YEAR}..{MAX_YEAR}")
    return converted


def _to_utc(value: datetime) -> datetime | None:
    """``value`` as a plain datetime in UTC (a subclass's methods are never called again), if in range."""
    try:
        converted = value.astimezone(UTC)
    except OverflowError:
        return None
    if not isinstance(converted, datetime) or converted.tzinfo is not UTC:
        raise TypeError("astimezone did not give a datetime in UTC")
    parts = (converted.year, converted.month, converted.day, converted.hour, converted.minute)
    return datetime(*parts, converted.second, converted.microsecond, tzinfo=UTC)


def _aware(value: object, field: attrs.Attribute) -> datetime:  # type: ignore[type-arg]
    return check_datetime(field.name, value)


def _optional_aware(value: object, field: attrs.Attribute) -> datetime | None:  # type: ignore[type-arg]
    return None if value is None else check_datetime(field.name, value)


aware = attrs.Converter(_aware, takes_field=True)
"""Converter for required aware datetimes (stored in UTC)."""

optional_aware = attrs.Converter(_optional_aware, takes_field=True)
"""Converter for optional aware datetimes."""


def check_uuid(field: str, value: object, *, text: bool = True) -> UUID:
    """Return ``value`` as a plain `uuid.UUID`; with ``text``, its string form too."""
    if isinstance(value, UUID):
        if type(value) is UUID:
            return value
        given = value
        return guarded(field, lambda: UUID(int=int.__index__(given.int)))
    if text and isinstance(value, str):
        parsed = parse_uuid(exact_str(value))
        if parsed is None:
            raise fail(field, "expected a UUID, got text that is not one")
        return parsed
    raise fail(field, f"expected a UUID, got {kind(value)}")


def parse_uuid(text: str) -> UUID | None:
    """``text`` as a UUID, or ``None`` (no exception whose text quotes it)."""
    try:
        return UUID(text)
    except ValueError:
        return None


def _uuid(value: object, field: attrs.Attribute) -> UUID:  # type: ignore[type-arg]
    return check_uuid(field.name, value)


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
        raise fail(field, f"expected a JSON object (dict), got {kind(value)}")
    copied = guarded(field, lambda: _copy_json(field, value, 0))
    assert isinstance(copied, dict)
    if not copied:
        return {}
    size = len(json.dumps(copied, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise fail(field, f"serializes to {size} bytes; the limit is {MAX_PAYLOAD_BYTES}")
    return copied


def _copy_json(path: str, value: object, depth: int) -> object:
    """A copy made of plain builtins only (subclasses' methods are never called again)."""
    if isinstance(value, Mapping | list | tuple) and depth >= MAX_JSON_DEPTH:
        raise fail(path, f"objects and arrays nested deeper than {MAX_JSON_DEPTH} levels")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        number = int.__index__(value)
        if not -(2**63) <= number < 2**63:
            raise fail(path, "integer outside the 64-bit range")
        return number
    if isinstance(value, float):
        real = float.__float__(value)
        if not math.isfinite(real):
            raise fail(path, "not a JSON number (NaN or infinite)")
        return real
    if isinstance(value, str):
        return check_text(path, value, max_len=MAX_PAYLOAD_BYTES, empty=True)
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for position, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise fail(path, f"object key {position} is not text but {kind(key)}")
            key = exact_str(key)
            at = key_path(path, key, position)
            check_text(at, key, max_len=256, empty=True)
            out[key] = _copy_json(at, item, depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [_copy_json(f"{path}[{i}]", item, depth + 1) for i, item in enumerate(value)]
    raise fail(path, f"{kind(value)} is not JSON-serializable")


def _json(value: object, field: attrs.Attribute) -> dict[str, Any]:  # type: ignore[type-arg]
    return check_json(field.name, value)


json_object = attrs.Converter(_json, takes_field=True)
"""Converter copying and checking a JSON object."""


def check_tag(field: str, value: object) -> str:
    """Return ``value`` stripped if it is a valid tag."""
    if not isinstance(value, str):
        raise fail(field, f"expected text, got {kind(value)}")
    tag = exact_str(value).strip()
    if not _TAG.fullmatch(tag):
        raise fail(field, "invalid tag: 1-64 characters, letters, digits, and ' .:/+-_' after the first")
    return tag


def _tags(value: object, field: attrs.Attribute) -> frozenset[str]:  # type: ignore[type-arg]
    if isinstance(value, str | bytes | bytearray | Mapping) or not isinstance(value, Iterable):
        raise fail(field.name, "expected a collection of tags")
    items: Iterable[object] = value
    return guarded(
        field.name, lambda: frozenset(check_tag(f"{field.name}[{i}]", t) for i, t in enumerate(items))
    )


tags = attrs.Converter(_tags, takes_field=True)
"""Converter turning an iterable of tags into a frozenset."""


def decimal_value(field: str, value: object) -> Decimal:
    """Return ``value`` as a finite `Decimal`."""
    if isinstance(value, bool):
        raise fail(field, "expected a decimal amount, got bool")
    if isinstance(value, float):
        raise fail(field, "floats are inexact; pass a Decimal, int or str")
    if not isinstance(value, Decimal | int | str):
        raise fail(field, f"expected a decimal amount (Decimal, int or str), got {kind(value)}")
    plain: Decimal | int | str = exact_str(value) if isinstance(value, str) else value
    if isinstance(plain, str) and len(plain) > 100:
        raise fail(field, "not a decimal amount: longer than 100 characters")
    try:
        result: Decimal | None = Decimal(plain)
    except (InvalidOperation, TypeError, ValueError):
        result = None
    if result is None:
        raise fail(field, "not a decimal amount")
    if not result.is_finite():
        raise fail(field, "must be a finite amount")
    return result


def _boolean(value: object, field: attrs.Attribute) -> bool:  # type: ignore[type-arg]
    if not isinstance(value, bool):
        raise fail(field.name, f"expected true or false, got {kind(value)}")
    return value


boolean = attrs.Converter(_boolean, takes_field=True)
"""Converter accepting only ``True`` and ``False``."""


MAX_INT32 = 2**31 - 1
"""Largest integer column value every backend stores (SQL ``INTEGER``)."""


def positive_int(field: str, value: object, *, minimum: int = 0, maximum: int = MAX_INT32) -> int:
    """Return ``value`` if it is an int from ``minimum`` to ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(field, f"expected an integer, got {kind(value)}")
    number = int.__index__(value)
    if number < minimum:
        raise fail(field, f"must be at least {minimum}")
    if number > maximum:
        raise fail(field, f"must be at most {maximum}")
    return number


def check_tuple(check: Callable[[str, object], T], field: str, value: object) -> tuple[T, ...]:
    """Return ``value`` as a tuple, each item passed through ``check(path, item)``."""
    if isinstance(value, str | bytes | bytearray | Mapping) or not isinstance(value, Iterable):
        raise fail(field, "expected a sequence")
    return guarded(field, lambda: tuple(check(f"{field}[{i}]", item) for i, item in enumerate(value)))


def tuple_of(check: Callable[[str, object], Any]) -> attrs.Converter:  # type: ignore[type-arg]
    """Converter applying ``check(path, item)`` to each item, giving a tuple."""

    def convert(value: object, field: attrs.Attribute) -> tuple[Any, ...]:  # type: ignore[type-arg]
        return check_tuple(check, field.name, value)

    return attrs.Converter(convert, takes_field=True)


def check_region(region: object, field: str = "region") -> str | None:
    """Return ``region`` upper-cased if it is ``None`` or a two-letter region code."""
    if region is None:
        return None
    code = check_text(field, region, max_len=2)
    if not (len(code) == 2 and code.isascii() and code.isalpha()):
        raise fail(field, "expected an ISO 3166-1 alpha-2 region code (two letters)")
    return code.upper()
