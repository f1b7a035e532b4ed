"""Entities and domain events to and from JSON-ready dicts.

One `cattrs` converter, [`converter`][relcore.serialization.converter], knows every entity of
[`relcore.domain`][] and every domain event. Dicts it produces hold only JSON
types: ids, datetimes (ISO 8601, UTC), dates (ISO 8601, ``YYYY-MM-DD``) and
amounts (exact decimal text) are strings, enums their values (and values of an
open vocabulary, declared or built-in, their text), tags and a customer's
roles a sorted list.

Reading is strict: unknown keys are refused, and every problem is reported at
once as one [`ValidationError`][relcore.errors.ValidationError] whose
[`FieldError`][relcore.errors.FieldError] paths point into the input
(``points[0].value``). The entities' own validation runs as usual, so a dict
can never build an entity that the constructor would refuse.

Example:
    >>> from relcore.domain import Customer
    >>> ada = Customer.person("Ada Lovelace", tags=["vip"])
    >>> data = to_dict(ada)
    >>> data["type"], data["tags"]
    ('person', ['vip'])
    >>> from_dict(Customer, data) == ada
    True
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, TypeVar
from uuid import UUID

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ForbiddenExtraKeysError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn

from relcore._kernel.checks import check_datetime, check_enum, check_json, decimal_value, key_path, parse_uuid
from relcore._kernel.tokens import check_token
from relcore.errors import FieldError, RelcoreError, ValidationError

__all__ = ["converter", "from_dict", "from_json", "to_dict", "to_json"]

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
"""The converter behind `to_dict` and `from_dict`, for advanced use."""


def _unstructure_datetime(value: datetime) -> str:
    return value.isoformat()


def _structure_datetime(value: object, _: type) -> datetime:
    if isinstance(value, datetime):
        return check_datetime("", value)
    if not isinstance(value, str):
        raise ValidationError.single("", f"expected an ISO 8601 datetime string, got {type(value).__name__}")
    try:
        parsed: datetime | None = datetime.fromisoformat(value)
    except ValueError:  # its text quotes the value: raise outside this block, unchained
        parsed = None
    if parsed is None:
        raise ValidationError.single("", "not an ISO 8601 datetime")
    return check_datetime("", parsed)


_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
"""``YYYY-MM-DD`` in ASCII digits: the one date form read (``fromisoformat`` also takes others)."""


def _unstructure_date(value: date) -> str:
    return date.isoformat(value)


def _structure_date(value: object, _: type) -> date:
    """A calendar date, from ``YYYY-MM-DD`` text only (or a date that is not a datetime)."""
    if isinstance(value, datetime):
        raise ValidationError.single("", "expected a date, got a datetime")
    if isinstance(value, date):
        return date.fromordinal(date.toordinal(value))  # a plain date, whatever a subclass overrides
    if not isinstance(value, str):
        raise ValidationError.single(
            "", f"expected an ISO 8601 date string (YYYY-MM-DD), got {type(value).__name__}"
        )
    text = str.__str__(value)
    match = _DATE.fullmatch(text)
    if match is None:
        with_time = _DATE.match(text) is not None and text[10:11] in ("T", "t", " ")
        problem = "expected a date without a time" if with_time else "not an ISO 8601 date (YYYY-MM-DD)"
        raise ValidationError.single("", problem)
    year, month, day = (int(part) for part in match.groups())
    try:
        parsed: date | None = date(year, month, day)
    except ValueError:  # its text may quote the value: raise outside this block, unchained
        parsed = None
    if parsed is None:
        raise ValidationError.single("", "not a calendar date (YYYY-MM-DD)")
    return parsed


def _structure_uuid(value: object, _: type) -> UUID:
    if isinstance(value, UUID):
        return value
    parsed = parse_uuid(str.__str__(value)) if isinstance(value, str) else None
    if parsed is None:
        raise ValidationError.single("", "expected a UUID")
    return parsed


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError.single("", f"expected an integer, got {type(value).__name__}")
    return value


def _sequence_hook(sequence_type: Any) -> Callable[[object, Any], Any]:
    """Structure tuples with cattrs' own factory, but refuse text and mappings first.

    A fixed-length tuple (``tuple[int, str]``, a scoring threshold) is structured item by item.
    """
    items = typing.get_args(sequence_type)
    if items and items[-1] is not Ellipsis:
        return _fixed_tuple_hook(items)
    structure = homogenous_tuple_structure_factory(sequence_type, converter)

    def hook(value: object, target: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise ValidationError.single("", f"expected a list, got {type(value).__name__}")
        return structure(value, target)

    return hook


def _fixed_tuple_hook(items: tuple[Any, ...]) -> Callable[[object, Any], Any]:
    def hook(value: object, _: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise ValidationError.single("", f"expected a list, got {type(value).__name__}")
        if len(value) != len(items):
            raise ValidationError.single("", f"expected {len(items)} items, got {len(value)}")
        found = []
        for i, (item, kind) in enumerate(zip(value, items, strict=True)):
            try:
                found.append(converter.structure(item, kind))
            except ValidationError as error:
                raise error.prefixed(f"[{i}]") from None
        return tuple(found)

    return hook


def _class_hook(cls: type) -> Callable[[object, Any], Any]:
    """Structure attrs classes with cattrs' generated function, but refuse non-objects first."""
    structure: Callable[[Mapping[str, Any], Any], Any] = make_dict_structure_fn(cls, converter)

    def hook(value: object, target: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValidationError.single("", f"expected an object (dict), got {type(value).__name__}")
        return structure(value, target)

    return hook


def _structure_set(value: object, target: Any) -> object:
    if not isinstance(value, list | tuple | set | frozenset):
        raise ValidationError.single("", f"expected a list, got {type(value).__name__}")
    # The entity's own converter checks the items and names them.
    return value


def _structure_text(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise ValidationError.single("", f"expected text, got {type(value).__name__}")
    return value


def _structure_enum(value: object, enum: type[Enum]) -> Enum:
    return check_enum(enum, "", value)


def _open_vocabulary(t: Any) -> type[StrEnum] | None:
    """The enum of an open-vocabulary type (``Channel | str``, ``Channel | str | None``), else ``None``."""
    args = getattr(t, "__args__", ()) if isinstance(t, types.UnionType) else ()
    enums = [a for a in args if isinstance(a, type) and issubclass(a, StrEnum)]
    if len(enums) != 1 or str not in args or not set(args) <= {enums[0], str, type(None)}:
        return None
    return enums[0]


def _structure_open(value: object, t: Any) -> object:
    if value is None and type(None) in t.__args__:
        return None
    enum = _open_vocabulary(t)
    assert enum is not None
    return check_token(enum, "", value)


def _unstructure_open(value: object) -> object:
    return None if value is None else str(value)  # a member's str() is its value


def _origin_is(*origins: type) -> Callable[[Any], bool]:
    return lambda t: getattr(t, "__origin__", t) in origins


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):  # no coercion: "false" is not False
        raise ValidationError.single("", f"expected true or false, got {type(value).__name__}")
    return value


def _structure_number(value: object, _: type) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError.single("", f"expected a number, got {type(value).__name__}")
    return value  # the entity checks the range (and that an int fits a float)


def _structure_decimal(value: object, _: type) -> Decimal:
    return decimal_value("", value)


def _structure_json_object(value: object, _: type) -> dict[str, Any]:
    try:
        return check_json("$", value)
    except ValidationError as error:
        relative = [FieldError(e.path.removeprefix("$").removeprefix("."), e.problem) for e in error.errors]
        raise ValidationError(relative) from None


converter.register_unstructure_hook(datetime, _unstructure_datetime)
converter.register_structure_hook(datetime, _structure_datetime)
# cattrs dispatches on the most specific class: a datetime (a date subclass) keeps the hooks above.
converter.register_unstructure_hook(date, _unstructure_date)
converter.register_structure_hook(date, _structure_date)
converter.register_unstructure_hook(UUID, str)
converter.register_unstructure_hook(Decimal, str)
# Every relcore enum is a StrEnum: registering StrEnum puts it ahead of str in the MRO.
converter.register_unstructure_hook(StrEnum, lambda member: member.value)
converter.register_unstructure_hook_func(
    _origin_is(frozenset, set), lambda items: sorted(converter.unstructure(i) for i in items)
)
converter.register_unstructure_hook_func(lambda t: _open_vocabulary(t) is not None, _unstructure_open)
converter.register_unstructure_hook_func(
    _origin_is(tuple, list), lambda items: [converter.unstructure(i) for i in items]
)
converter.register_structure_hook(UUID, _structure_uuid)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(bool, _structure_bool)
converter.register_structure_hook(float, _structure_number)
converter.register_structure_hook(str, _structure_text)
converter.register_structure_hook(Decimal, _structure_decimal)
converter.register_structure_hook(StrEnum, _structure_enum)
converter.register_structure_hook_func(lambda t: _open_vocabulary(t) is not None, _structure_open)
converter.register_structure_hook_factory(_origin_is(tuple), lambda t: _sequence_hook(t))
converter.register_structure_hook_func(_origin_is(frozenset), _structure_set)


def _members(target: Any) -> tuple[Any, ...]:
    """The classes a type names: a union's members, or the type itself."""
    if isinstance(target, types.UnionType) or getattr(target, "__origin__", None) is typing.Union:
        return typing.get_args(target)
    return (target,)


def _json_native(target: Any) -> bool:
    """Whether values of ``target`` read and write their own JSON (``__json__``, ``__from_json__``)."""
    members = [m for m in _members(target) if m is not type(None)]
    return bool(members) and all(
        isinstance(m, type) and callable(getattr(m, "__from_json__", None)) for m in members
    )


def _structure_json_native(value: object, target: Any) -> object:
    """Build a value that reads its own JSON form (segment rules do), reporting problems as field errors."""
    members = _members(target)
    if value is None and type(None) in members:
        return None
    try:
        return next(m for m in members if m is not type(None)).__from_json__(value)
    except ValidationError:
        raise
    except RelcoreError as error:  # e.g. InvalidRuleError: its message names where, never the value
        raise ValidationError.single("", str(error)) from None


converter.register_structure_hook_func(_origin_is(dict), _structure_json_object)
converter.register_structure_hook_factory(attrs.has, _class_hook)
# Classes that write and read their own JSON form, such as the nodes of segment rules (a union of them
# is read by the first member's __from_json__, which all of them share). Registered last: it comes first.
converter.register_structure_hook_func(_json_native, _structure_json_native)
converter.register_unstructure_hook_func(
    lambda t: isinstance(t, type) and hasattr(t, "__json__"), lambda v: v.__json__()
)


def to_dict(entity: object) -> dict[str, Any]:
    """Return ``entity`` (an entity, value object or domain event) as a JSON-ready dict.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore.domain import Touchpoint
        >>> from relcore.ids import CustomerId, uuid7
        >>> visit = Touchpoint(customer_id=CustomerId(uuid7()), channel="web", direction="inbound",
        ...                    occurred_at=datetime(2025, 3, 1, 9, 30, tzinfo=UTC))
        >>> to_dict(visit)["occurred_at"]
        '2025-03-01T09:30:00+00:00'
    """
    data = converter.unstructure(entity)
    if not isinstance(data, dict):
        raise TypeError(f"{type(entity).__name__} is not an entity relcore can serialize")
    return data


def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
    """Build a ``cls`` from a dict made by [`to_dict`][relcore.serialization.to_dict] (or by hand).

    Raises:
        ValidationError: Naming every offending field: missing or unknown
            keys, wrong types, values the entity refuses.

    Example:
        >>> from relcore.domain import Identity
        >>> from_dict(Identity, {"namespace": "shop", "value": "42"})
        Identity(namespace='shop', value='42')
        >>> from_dict(Identity, {"namespace": "shop", "value": 42, "extra": 1})
        Traceback (most recent call last):
        ...
        relcore.errors.ValidationError: value: expected text, got int; extra: unknown key
    """
    if not isinstance(data, Mapping):
        raise ValidationError.single("", f"expected an object (dict), got {type(data).__name__}")
    try:
        return converter.structure(dict(data), cls)
    except ValidationError:
        raise
    except BaseValidationError as error:  # its text lists unknown keys: raise outside, unchained
        problems = _field_errors(error, "")
    raise ValidationError(problems)


def to_json(entity: object) -> str:
    """Return ``entity`` as a compact JSON document (see [`to_dict`][relcore.serialization.to_dict]).

    Non-ASCII text is written as is (UTF-8), not as escapes.

    Example:
        >>> from relcore.domain import Identity
        >>> to_json(Identity("shop", "Zoë-42"))
        '{"namespace":"shop","value":"Zoë-42"}'
    """
    return json.dumps(to_dict(entity), ensure_ascii=False, separators=(",", ":"))


def from_json(cls: type[T], text: str | bytes) -> T:
    """Build a ``cls`` from a JSON document (see [`from_dict`][relcore.serialization.from_dict]).

    Raises:
        ValidationError: For malformed JSON, or as [`from_dict`][relcore.serialization.from_dict] does.

    Example:
        >>> from relcore.domain import CustomerCreated
        >>> from_json(CustomerCreated, '{"customer_id": "0192f6a8-3e1c-7c4e-9b7a-2f1d3c4b5a69"}')
        CustomerCreated(customer_id=UUID('0192f6a8-3e1c-7c4e-9b7a-2f1d3c4b5a69'))
        >>> from_json(CustomerCreated, '{"customer_id": ')
        Traceback (most recent call last):
        ...
        relcore.errors.ValidationError: not a JSON document: Expecting value: line 1 column 17 (char 16)
    """
    problem = None
    try:
        data = json.loads(text)
    except (ValueError, TypeError) as error:
        problem = f"not a JSON document: {error}"
    except RecursionError:
        problem = "not a JSON document relcore reads: nested too deeply"
    if problem is not None:  # raised outside the except block: the parser's error is not chained
        raise ValidationError.single("", problem)
    return from_dict(cls, data)


def _join(path: str, step: str | int) -> str:
    if isinstance(step, int):
        return f"{path}[{step}]"
    if step.startswith("["):  # an index a hook named (a fixed-length tuple's item)
        return f"{path}{step}"
    return f"{path}.{step}" if path else step


def _key_path(path: str, key: str, position: int) -> str:
    """Name an unknown key: dotted if it is a lower-case name, else by position (it may be personal data)."""
    return key_path(path, key, position)


def _field_errors(error: BaseException, path: str) -> list[FieldError]:
    """Flatten cattrs' exception groups into field errors with input paths."""
    if isinstance(error, ValidationError):
        return [FieldError(_join(path, e.path) if e.path else path, e.problem) for e in error.errors]
    if isinstance(error, ForbiddenExtraKeysError):
        keys = sorted(error.extra_fields)
        return [FieldError(_key_path(path, key, i), "unknown key") for i, key in enumerate(keys)]
    if isinstance(error, BaseValidationError):
        found: list[FieldError] = []
        for inner in error.exceptions:
            step: str | int | None = None
            for note in getattr(inner, "__notes__", ()):
                if isinstance(note, AttributeValidationNote):
                    step = note.name
                elif isinstance(note, IterableValidationNote):
                    step = note.index
            found += _field_errors(inner, path if step is None else _join(path, step))
        return found
    if isinstance(error, KeyError):
        return [FieldError(path, "required key is missing")]
    return [FieldError(path, f"could not be read ({type(error).__name__})")]  # its text may quote the value
