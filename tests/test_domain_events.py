"""Every domain event checks its fields when built, like the entities do.

The event classes come from the registry (each context declares its own), so
an event added later is held to the same checks without editing this file.
"""

from __future__ import annotations

import types
import typing
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import attrs
import pytest

from relcore import domain, registry
from relcore._kernel.events import DomainEvent
from relcore.errors import ValidationError
from relcore.ids import uuid7
from relcore.serialization import from_dict, to_dict

EVENT_CLASSES = sorted(registry.event_classes(), key=lambda c: c.__name__)
WHEN = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)


def _base(annotation: Any) -> tuple[type, bool]:
    """The field's value type (a NewType's base type) and whether ``None`` is allowed."""
    optional = False
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) == 2 and str in args:  # an open vocabulary, ``Channel | str``: its enum's values
            args = [a for a in args if a is not str]
        (annotation,) = args
    return getattr(annotation, "__supertype__", annotation), optional


def _fields(cls: type) -> list[tuple[str, type, bool]]:
    hints = typing.get_type_hints(cls)
    return [(f.name, *_base(hints[f.name])) for f in attrs.fields(cls)]


def _good(kind: type) -> object:
    if kind is UUID:
        return str(uuid7())  # the text form is accepted, as by the entities
    if kind is int:
        return 1
    if kind is datetime:
        return WHEN
    if issubclass(kind, StrEnum):
        return next(iter(kind)).value
    if kind is str:  # a stage or reason key
        return "negotiation"
    if kind is float:  # a score
        return 12.5
    raise AssertionError(f"no sample value for {kind}: extend this test")


def _bad(kind: type, name: str = "") -> list[object]:
    if name.endswith("label"):  # a threshold's label: any short text
        return ["", "x" * 51, 3, None]
    if kind is float:
        return ["1.5", True, float("nan"), None]
    if kind is UUID:
        return ["not-a-uuid", 42, None, b"\x00" * 16]
    if kind is int:
        return ["1", 1.0, True, -1, None]
    if kind is datetime:
        return [WHEN.replace(tzinfo=None), "2025-03-01T12:30:00+00:00", None]
    if kind is str:
        return ["Not A Key!", "", 3, None]
    return ["no-such-value", 3, None]


def _valid(cls: type) -> dict[str, object]:
    return {name: _good(kind) for name, kind, _ in _fields(cls)}


def test_every_event_class_is_registered_and_exported() -> None:
    assert len(EVENT_CLASSES) >= 11
    assert all(attrs.has(c) for c in EVENT_CLASSES)
    assert set(EVENT_CLASSES) == set(DomainEvent.__subclasses__())
    assert {c.__name__ for c in EVENT_CLASSES} <= set(domain.__all__)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_a_valid_event_converts_its_fields_and_round_trips(cls: type) -> None:
    event = cls(**_valid(cls))
    for name, kind, _ in _fields(cls):
        assert isinstance(getattr(event, name), kind), name
    assert from_dict(cls, to_dict(event)) == event


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_a_wrong_field_is_a_validation_error_naming_it(cls: type) -> None:
    for name, kind, optional in _fields(cls):
        for value in _bad(kind, name):
            if value is None and optional:
                assert getattr(cls(**{**_valid(cls), name: None}), name) is None
                continue
            with pytest.raises(ValidationError) as caught:
                cls(**{**_valid(cls), name: value})
            assert caught.value.paths == (name,), (cls.__name__, name, value)


def test_counts_and_versions_have_their_own_bounds() -> None:
    assert domain.TouchpointsImported(0).new == 0
    with pytest.raises(ValidationError, match="version"):
        domain.CustomerUpdated(uuid7(), 0)
    with pytest.raises(ValidationError, match="new"):
        domain.TransactionsImported(-1)
