"""Entities and domain events to and from JSON-ready dicts.

One :mod:`cattrs` converter, :data:`converter`, knows every entity of
:mod:`relcore.domain` and every domain event. Dicts it produces hold only JSON
types: ids, datetimes (ISO 8601, UTC) and amounts (exact decimal text) are
strings, enums their values, tags a sorted list.

Reading is strict: unknown keys are refused, and every problem is reported at
once as one :class:`~relcore.errors.ValidationError` whose
:class:`~relcore.errors.FieldError` paths point into the input
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
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, TypeVar
from uuid import UUID

import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ForbiddenExtraKeysError,
    IterableValidationNote,
)

from relcore.domain._checks import check_datetime, check_enum
from relcore.errors import FieldError, ValidationError

__all__ = ["converter", "from_dict", "from_json", "to_dict", "to_json"]

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
"""The converter behind :func:`to_dict` and :func:`from_dict`, for advanced use."""


def _unstructure_datetime(value: datetime) -> str:
    return value.isoformat()


def _structure_datetime(value: object, _: type) -> datetime:
    if isinstance(value, datetime):
        return check_datetime("", value)
    if not isinstance(value, str):
        raise ValidationError.single("", f"expected an ISO 8601 datetime string, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError.single("", f"not an ISO 8601 datetime: {value!r}"[:200]) from None
    return check_datetime("", parsed)


def _structure_uuid(value: object, _: type) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value)) if isinstance(value, str) else UUID(int=-1)
    except ValueError:
        raise ValidationError.single("", f"expected a UUID, got {value!r}"[:200]) from None


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError.single("", f"expected an integer, got {type(value).__name__}")
    return value


def _sequence_hook(sequence_type: Any) -> Callable[[object, Any], Any]:
    """Structure tuples with cattrs' own factory, but refuse text and mappings first."""
    structure = homogenous_tuple_structure_factory(sequence_type, converter)

    def hook(value: object, target: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise ValidationError.single("", f"expected a list, got {type(value).__name__}")
        return structure(value, target)

    return hook


def _structure_text(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise ValidationError.single("", f"expected text, got {type(value).__name__}")
    return value


def _structure_enum(value: object, enum: type[Enum]) -> Enum:
    return check_enum(enum, "", value)


def _origin_is(*origins: type) -> Callable[[Any], bool]:
    return lambda t: getattr(t, "__origin__", t) in origins


def _pass_through(value: object, _: type) -> object:
    # The entity's own converter validates these and names the field.
    return value


converter.register_unstructure_hook(datetime, _unstructure_datetime)
converter.register_structure_hook(datetime, _structure_datetime)
converter.register_unstructure_hook(UUID, str)
converter.register_unstructure_hook(Decimal, str)
# Every relcore enum is a StrEnum: registering StrEnum puts it ahead of str in the MRO.
converter.register_unstructure_hook(StrEnum, lambda member: member.value)
converter.register_unstructure_hook_func(_origin_is(frozenset, set), lambda items: sorted(items))
converter.register_unstructure_hook_func(
    _origin_is(tuple, list), lambda items: [converter.unstructure(i) for i in items]
)
converter.register_structure_hook(UUID, _structure_uuid)
converter.register_structure_hook(int, _structure_int)
for _type in (bool, float):  # no coercion: "false" is not False
    converter.register_structure_hook(_type, _pass_through)
converter.register_structure_hook(str, _structure_text)
converter.register_structure_hook(Decimal, _pass_through)
converter.register_structure_hook(StrEnum, _structure_enum)
converter.register_structure_hook_factory(_origin_is(tuple), lambda t: _sequence_hook(t))
converter.register_structure_hook_func(
    lambda t: getattr(t, "__origin__", None) in (frozenset, dict), _pass_through
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
    """Build a ``cls`` from a dict made by :func:`to_dict` (or by hand).

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
    except BaseValidationError as error:
        raise ValidationError(_field_errors(error, "")) from None


def to_json(entity: object) -> str:
    """Return ``entity`` as a JSON document (see :func:`to_dict`)."""
    return json.dumps(to_dict(entity), ensure_ascii=False, separators=(",", ":"))


def from_json(cls: type[T], text: str | bytes) -> T:
    """Build a ``cls`` from a JSON document (see :func:`from_dict`).

    Raises:
        ValidationError: For malformed JSON, or as :func:`from_dict` does.
    """
    try:
        data = json.loads(text)
    except (ValueError, TypeError) as error:
        raise ValidationError.single("", f"not a JSON document: {error}") from None
    return from_dict(cls, data)


def _join(path: str, step: str | int) -> str:
    if isinstance(step, int):
        return f"{path}[{step}]"
    return f"{path}.{step}" if path else step


def _field_errors(error: BaseException, path: str) -> list[FieldError]:
    """Flatten cattrs' exception groups into field errors with input paths."""
    if isinstance(error, ValidationError):
        return [FieldError(_join(path, e.path) if e.path else path, e.problem) for e in error.errors]
    if isinstance(error, ForbiddenExtraKeysError):
        return [FieldError(_join(path, key), "unknown key") for key in sorted(error.extra_fields)]
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
    return [FieldError(path, str(error) or type(error).__name__)]
