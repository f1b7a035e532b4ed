"""Handling values from callers without trusting them.

A value given to relcore may be personal data, and it may be a hostile or
broken object whose ``__eq__``, ``__hash__``, ``__repr__`` or ``utcoffset``
raises. These helpers let the checks describe a value without showing it,
copy it into plain builtins, and turn whatever it raises into a
[ValidationError][relcore.errors.ValidationError] naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from relcore.errors import RelcoreError, ValidationError

__all__ = ["exact_str", "fail", "guarded", "key_path", "kind", "shown_name"]

T = TypeVar("T")

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,63}(\.[a-z_][a-z0-9_]{0,63}){0,7}", re.ASCII)


def fail(field: str, problem: str) -> ValidationError:
    """Return the error for ``problem`` with ``field``.

    Messages say what is wrong and what is expected, never the value given:
    it may be personal data, and error messages end up in logs.
    """
    return ValidationError.single(field, problem)


def kind(value: object) -> str:
    """Return the name of ``value``'s type, for messages (never the value itself)."""
    try:
        name = type(value).__name__
    except Exception:  # a metaclass that makes even this raise
        return "object"
    return name if type(name) is str else "object"


def shown_name(value: object) -> str:
    """Quote ``value`` if it is a name, else say that it is not shown.

    A name is lower-case identifiers joined by dots (``"attributes.region"``),
    as field names, JSON keys of relcore's formats and rule operators are;
    anything else (an e-mail address used as a key, say) may be personal data.
    """
    if type(value) is str and _NAME.fullmatch(value):
        return repr(value)
    return "(not shown: not a lower-case name)"


def key_path(path: str, key: str, position: int) -> str:
    """The path of ``key``, the ``position``-th key of the object at ``path``.

    Keys that are lower-case names are shown (``payload.order_id``); others,
    which may be personal data, by position (``payload.<key 2>``).
    """
    step = key if _NAME.fullmatch(key) and "." not in key else f"<key {position}>"
    return f"{path}.{step}" if path else step


def guarded(field: str, action: Callable[[], T], error: Callable[[str, str], ValidationError] = fail) -> T:
    """Return ``action()``, turning anything but a relcore error it raises into a `ValidationError`.

    For the moments a check calls into the value given (its ``__eq__``,
    ``__hash__``, ``utcoffset``, iteration...): a hostile or broken object
    must not make anything but a relcore error escape. The original exception
    is dropped, not even kept as ``__context__``: its text may quote the value.
    """
    raised: str | None = None
    try:
        return action()
    except RelcoreError:
        raise
    except Exception as problem:
        raised = kind(problem)
    raise error(field, f"could not be read: {raised} raised while checking it")  # outside except: no context


def exact_str(value: str) -> str:
    """Return ``value`` as a plain ``str`` (a subclass's own methods are never called again)."""
    return str.__str__(value)
