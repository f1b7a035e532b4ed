"""Values of open vocabularies: a built-in enum member, or a token a host may declare.

Channels, consent purposes, touchpoint kinds, lifecycle stages and
relationship roles each have built-in values (a `StrEnum`) and accept more
values that a host declares when it builds its CRM
([Vocabularies][relcore.vocabularies.Vocabularies]). An entity is built
without a CRM at hand, so its field accepts any well-formed token: a built-in
value becomes its enum member (``==`` and ``is`` comparisons keep working),
any other token stays a plain `str`. Whether a token is declared is checked
where the CRM's declaration is known: by the facade, before the store is
touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TypeVar

import attrs

from relcore._kernel.untrusted import exact_str, fail, guarded, kind

__all__ = [
    "MAX_TOKEN_LENGTH",
    "TOKEN_RULE",
    "check_token",
    "is_token",
    "optional_token_converter",
    "token_converter",
    "token_set_converter",
]

E = TypeVar("E", bound=StrEnum)

MAX_TOKEN_LENGTH = 20
"""Longest declared value: the width of the text columns that store them."""

_TOKEN = re.compile(rf"[a-z][a-z0-9_]{{0,{MAX_TOKEN_LENGTH - 1}}}")

TOKEN_RULE = f"1-{MAX_TOKEN_LENGTH} lower-case ASCII letters, digits and '_', starting with a letter"
"""What a well-formed token is, in words (for error messages and docs)."""


def is_token(text: str) -> bool:
    """Whether ``text`` is a well-formed vocabulary token (as ``TOKEN_RULE`` says)."""
    return _TOKEN.fullmatch(text) is not None


def check_token(enum: type[E], field: str, value: object) -> E | str:
    """Return ``value`` as a member of ``enum``, or as a plain `str` token.

    Raises:
        ValidationError: ``value`` is not text, or not a well-formed token
            (the message does not repeat it).
    """
    if isinstance(value, enum):
        return value
    if not isinstance(value, str):
        raise fail(field, f"expected text naming a {_what(enum)}, got {kind(value)}")
    text = exact_str(value)
    member = next((m for m in enum if m.value == text), None)
    if member is not None:
        return member
    if not is_token(text):
        raise fail(field, f"not a valid {_what(enum)}: {TOKEN_RULE}")
    return text


def _what(enum: type[StrEnum]) -> str:
    """``Channel`` -> ``"channel"``, ``TouchpointKind`` -> ``"touchpoint kind"``."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", enum.__name__).lower()


def token_converter(enum: type[E]) -> attrs.Converter:  # type: ignore[type-arg]
    """An attrs converter accepting members of ``enum``, their values, or other well-formed tokens."""

    def convert(value: object, field: attrs.Attribute) -> E | str:  # type: ignore[type-arg]
        return check_token(enum, field.name, value)

    return attrs.Converter(convert, takes_field=True)


def optional_token_converter(enum: type[E]) -> attrs.Converter:  # type: ignore[type-arg]
    """Like ``token_converter``, letting ``None`` through."""

    def convert(value: object, field: attrs.Attribute) -> E | str | None:  # type: ignore[type-arg]
        return None if value is None else check_token(enum, field.name, value)

    return attrs.Converter(convert, takes_field=True)


def token_set_converter(enum: type[E], *, empty: bool = False) -> attrs.Converter:  # type: ignore[type-arg]
    """An attrs converter turning a collection of tokens into a frozenset (non-empty unless ``empty``)."""

    def convert(value: object, field: attrs.Attribute) -> frozenset[E | str]:  # type: ignore[type-arg]
        name = field.name
        if isinstance(value, str | bytes | bytearray | Mapping) or not isinstance(value, Iterable):
            raise fail(name, f"expected a collection of {_what(enum)} values, got {kind(value)}")
        items: Iterable[object] = value
        checked = guarded(
            name, lambda: frozenset(check_token(enum, f"{name}[{i}]", v) for i, v in enumerate(items))
        )
        if not checked and not empty:
            raise fail(name, f"must hold at least one {_what(enum)}")
        return checked

    return attrs.Converter(convert, takes_field=True)
