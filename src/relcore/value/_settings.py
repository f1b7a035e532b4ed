"""Checks of the value refresh's settings (kept apart from [relcore.value.services][] for length).

Each converter returns a plain builtin and raises
[ValidationError][relcore.errors.ValidationError] naming the setting, without
repeating the value given.
"""

from __future__ import annotations

import math

import attrs

from relcore._kernel.checks import check_text, check_tuple, exact_str, fail, kind, positive_int

__all__ = [
    "DAYS",
    "MAX_DAYS",
    "MAX_HORIZON",
    "MIN_DAYS",
    "NOT_NEGATIVE",
    "one_of",
    "tiers_converter",
    "whole",
]

MAX_DAYS = 36_525.0
"""Longest period or CLV step, in days: a hundred years."""

MIN_DAYS = 1 / 1440
"""Shortest period or CLV step, in days: a minute."""

MAX_HORIZON = 10_000
"""Most CLV steps a refresh adds up."""


def _number(field: str, value: object) -> float:
    """``value`` as a plain finite float (ints too; never bool), or a `ValidationError`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(field, f"expected a number, got {kind(value)}")
    try:
        number = float.__float__(value) if isinstance(value, float) else float(int.__index__(value))
    except OverflowError:
        raise fail(field, "must be a finite number") from None
    if not math.isfinite(number):
        raise fail(field, "must be a finite number")
    return number


def _days(value: object, field: attrs.Attribute) -> float:  # type: ignore[type-arg]
    days = _number(field.name, value)
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise fail(field.name, f"must lie between one minute ({MIN_DAYS:.6f}) and {MAX_DAYS:g} days")
    return days


def _not_negative(value: object, field: attrs.Attribute) -> float:  # type: ignore[type-arg]
    rate = _number(field.name, value)
    if rate < 0:
        raise fail(field.name, "must be a finite number >= 0")
    return rate


DAYS = attrs.Converter(_days, takes_field=True)
"""Converter for a length of time in days, a minute to a hundred years."""

NOT_NEGATIVE = attrs.Converter(_not_negative, takes_field=True)
"""Converter for a finite number, zero or more."""


def whole(maximum: int) -> attrs.Converter:  # type: ignore[type-arg]
    """Converter for a whole number from 1 to ``maximum``."""

    def convert(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
        return positive_int(field.name, value, minimum=1, maximum=maximum)

    return attrs.Converter(convert, takes_field=True)


def one_of(choices: tuple[str, ...]) -> attrs.Converter:  # type: ignore[type-arg]
    """Converter for one of ``choices`` (text)."""

    def convert(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
        if not isinstance(value, str):
            raise fail(field.name, f"must be one of {', '.join(choices)}, got {kind(value)}")
        text = exact_str(value)
        if text not in choices:
            raise fail(field.name, f"must be one of {', '.join(choices)}")
        return text

    return attrs.Converter(convert, takes_field=True)


def _tier(path: str, value: object) -> tuple[str, float]:
    pair = check_tuple(lambda p, v: v, path, value)
    if len(pair) != 2:
        raise fail(path, "must be a (name, share) pair")
    name = check_text(f"{path}[0]", pair[0], max_len=40)
    return name, _number(f"{path}[1]", pair[1])


def tiers_converter(value: object) -> tuple[tuple[str, float], ...]:
    """Return ``value`` as ``(name, share)`` pairs if it is a valid customer pyramid."""
    if not isinstance(value, list | tuple):
        raise fail("tiers", f"must be a sequence of (name, share) pairs, got {kind(value)}")
    tiers = check_tuple(_tier, "tiers", value)
    from relcore.value.models.tiers import (
        check_tiers,  # numpy loads here: settings come just before a refresh
    )

    check_tiers(tiers)
    return tiers
