"""What the win-probability model reads and says: deals, counted cells, scores with their factors.

Both records carry the key of a pipeline stage and the deal's field values,
each field holding a tuple of text values (several for a field such as tags,
an empty tuple for a field left unset). They are checked when built; whether
the stage belongs to the pipeline is checked by the model that reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from types import MappingProxyType

import attrs

from relcore._kernel.checks import check_text, exact_str, fail, guarded, key_path, kind

__all__ = [
    "Cell",
    "ClosedDeal",
    "Factor",
    "OpenDeal",
    "SkipReason",
    "Skipped",
    "WinScore",
]  # re-exported by relcore.sales.win_probability

MAX_KEY = 100
"""Longest stage key or field name, in characters."""

MAX_VALUE = 255
"""Longest field value, in characters."""


def _won(value: object) -> bool:
    if type(value) is not bool:
        raise fail("won", f"expected a bool, got {kind(value)}")
    return value


def _stage(value: object) -> str:
    return check_text("stage", value, max_len=MAX_KEY)


def _values(value: object) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise fail("values", f"expected a mapping of field names to tuples of text, got {kind(value)}")
    given = value
    items = guarded("values", lambda: list(given.items()))
    out: dict[str, tuple[str, ...]] = {}
    for position, (name, held) in enumerate(items):
        if not isinstance(name, str):
            raise fail("values", f"field name {position} is not text but {kind(name)}")
        path = key_path("values", exact_str(name), position)
        name = check_text(path, name, max_len=MAX_KEY)
        if not isinstance(held, tuple | list):
            raise fail(path, f"expected a tuple of text values, got {kind(held)}")
        texts = tuple(check_text(f"{path}[{i}]", item, max_len=MAX_VALUE) for i, item in enumerate(held))
        if len(set(texts)) != len(texts):
            raise fail(path, "holds the same value twice")
        out[name] = texts
    return MappingProxyType(out)


@attrs.frozen
class ClosedDeal:
    """A won or lost deal of one pipeline, as the model learns from it.

    Attributes:
        won: Whether the deal was won (else it was lost).
        stage: Key of the last open stage the deal was in before it closed.
        values: Field name to the deal's values of that field (tags may be
            several; an empty tuple means unset). A read-only copy is kept;
            a value may appear once per field.

    Raises:
        ValidationError: On a non-bool ``won``, a stage key or value that is
            not text, or a repeated value.

    Example:
        >>> deal = ClosedDeal(won=True, stage="proposal", values={"source": ("web",), "tags": ()})
        >>> deal.values["source"]
        ('web',)
    """

    won: bool = attrs.field(converter=_won)
    stage: str = attrs.field(converter=_stage)
    values: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=dict, converter=_values, hash=False, repr=False
    )


@attrs.frozen
class OpenDeal:
    """An open deal to score: the stage it is in and its field values.

    Attributes:
        stage: Key of the open stage the deal is in.
        values: Field name to the deal's values of that field, as in
            [`ClosedDeal`][relcore.sales.win_probability.ClosedDeal].

    Raises:
        ValidationError: On a stage key or value that is not text, or a repeated value.
    """

    stage: str = attrs.field(converter=_stage)
    values: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=dict, converter=_values, hash=False, repr=False
    )


def count_of(field: str, value: object) -> int:
    """``value`` if it is a non-negative int (not a bool), else the error naming ``field``."""
    if type(value) is not int or value < 0:
        raise fail(field, f"expected a non-negative int, got {kind(value)}")
    return value


def _cell_field(value: object) -> str:
    return check_text("field", value, max_len=MAX_KEY)


def _cell_value(value: object) -> str:
    return check_text("value", value, max_len=MAX_VALUE)


def _cell_won(value: object) -> int:
    return count_of("won", value)


def _cell_lost(value: object) -> int:
    return count_of("lost", value)


@attrs.frozen
class Cell:
    """How many closed deals held one value of one field (the stage's cells have field ``"stage"``).

    Attributes:
        field: The field, or ``"stage"``.
        value: The value, or the stage key.
        won: Won deals that held it (without the smoothing).
        lost: Lost deals that held it (without the smoothing).
    """

    field: str = attrs.field(converter=_cell_field)
    value: str = attrs.field(converter=_cell_value)
    won: int = attrs.field(converter=_cell_won)
    lost: int = attrs.field(converter=_cell_lost)


class SkipReason(Enum):
    """Why a value of a deal gave no factor."""

    UNSEEN = "unseen"
    """No closed deal of the pipeline held it."""
    BELOW_TAG_SUPPORT = "below_tag_support"
    """A tag held by fewer closed deals than the model's ``min_tag_support``."""


@attrs.frozen
class Factor:
    """One factor of a score: a value the deal holds and how won and lost deals held it.

    Attributes:
        field: The field (``"stage"`` for the stage factor).
        value: The value (the stage key for the stage factor).
        won_share: ``p(value | won)``, the won ratio ``sw`` was multiplied by.
        lost_share: ``p(value | lost)``, the lost ratio ``sl`` was multiplied by.
        lift: ``won_share / (won_share + lost_share)``: above 0.5 the value
            raises the probability, below it lowers it (the newer Odoo tooltip).
    """

    field: str
    value: str
    won_share: float
    lost_share: float
    lift: float


@attrs.frozen
class Skipped:
    """A value of the deal that gave no factor, and why.

    Attributes:
        field: The field.
        value: The value.
        reason: Why it was left out.
    """

    field: str
    value: str
    reason: SkipReason


@attrs.frozen
class WinScore:
    """A deal's win probability with its explanation.

    Attributes:
        probability: In [0.0001, 0.9999], 4 decimal places.
        prior: The pipeline's smoothed win rate ``W / (W + L)``, before any factor.
        factors: The stage factor, then the fields' factors in the model's order.
        skipped: The deal's values that gave no factor.
    """

    probability: Decimal
    prior: float
    factors: tuple[Factor, ...]
    skipped: tuple[Skipped, ...]

    @property
    def basis_points(self) -> int:
        """The probability in basis points, 1 to 9999."""
        return int(self.probability.scaleb(4))
