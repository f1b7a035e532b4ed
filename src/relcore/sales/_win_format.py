"""Checking a win-probability model: its settings, the consistency of its counts, its JSON form.

The JSON form is one object with the keys, in this order, ``model``
(``"win_probability"``), ``format`` (1), ``stages``, ``fields``,
``tag_fields``, ``smoothing``, ``min_tag_support``, ``won``, ``lost`` and
``cells`` (a list of ``[field, value, won, lost]``). Counts are integers, so
a model read back is equal to the one written and writes the same text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from relcore._kernel.checks import check_text, fail, guarded, kind
from relcore.errors import ValidationError
from relcore.sales._win_records import MAX_KEY, Cell, count_of
from relcore.sales._win_table import STAGE

if TYPE_CHECKING:
    from relcore.sales.win_probability import WinProbabilityModel

M = TypeVar("M", bound="WinProbabilityModel")

KEYS: tuple[str, ...] = ("model", "format", "stages", "fields", "tag_fields")
KEYS += ("smoothing", "min_tag_support", "won", "lost", "cells")


def read_model(cls: type[M], text: object) -> M:
    """The model ``text`` holds; errors are named under ``json``."""
    if not isinstance(text, str):
        raise fail("json", f"expected text, got {kind(text)}")
    try:
        data = json.loads(text)
    except ValueError:  # the decoder's message quotes the text: not passed on
        data = None
    if not isinstance(data, dict):
        raise fail("json", "not a JSON object")
    if tuple(data) != KEYS:
        raise fail("json", f"expected the keys {', '.join(KEYS)}, in this order")
    if data["model"] != "win_probability" or data["format"] != 1 or type(data["format"]) is not int:
        raise fail("json.format", "not a win_probability model of format 1")
    cells = data["cells"]
    if not isinstance(cells, list):
        raise fail("json.cells", f"expected a list, got {kind(cells)}")
    for i, cell in enumerate(cells):
        if not isinstance(cell, list) or len(cell) != 4:
            raise fail(f"json.cells[{i}]", "expected [field, value, won, lost]")
    try:
        built = [Cell(*cell) for cell in cells]
    except ValidationError as error:
        position = next(i for i, cell in enumerate(cells) if not _builds(cell))
        raise error.prefixed(f"json.cells[{position}]") from None
    settings = {key: data[key] for key in KEYS[2:-1]}
    try:
        return cls(**settings, cells=built)
    except ValidationError as error:
        raise error.prefixed("json") from None


def _builds(cell: list[Any]) -> bool:
    try:
        Cell(*cell)
    except ValidationError:
        return False
    return True


def check_cells(
    cells: tuple[Cell, ...], stages: Sequence[str], fields: Sequence[str], won: int, lost: int
) -> tuple[list[int], dict[str, list[tuple[str, int, int]]]]:
    """Check ``cells`` are what a fit of ``won`` and ``lost`` deals gives; split them by field.

    Returns:
        The lost count of every stage (0 where the stage has no cell) and
        each field's ``(value, won, lost)`` rows, in order.
    """
    stage_index = {stage: position for position, stage in enumerate(stages)}
    field_index = {field: position for position, field in enumerate(fields, start=1)}
    stage_lost = [0] * len(stages)
    present = [False] * len(stages)
    by_field: dict[str, list[tuple[str, int, int]]] = {field: [] for field in fields}
    last: tuple[int, int, str] | None = None
    for i, cell in enumerate(cells):
        path = f"cells[{i}]"
        if not isinstance(cell, Cell):
            raise fail(path, f"expected a Cell, got {kind(cell)}")
        if cell.field == STAGE:
            if cell.value not in stage_index:
                raise fail(f"{path}.value", "not one of the model's stages")
            key = (0, stage_index[cell.value], "")
        elif cell.field in field_index:
            key = (field_index[cell.field], 0, cell.value)
        else:
            raise fail(f"{path}.field", "not one of the model's fields")
        if last is not None and key <= last:
            raise fail(path, "out of order: stages in pipeline order, then fields in order, values sorted")
        last = key
        if cell.won > won or cell.lost > lost or cell.won + cell.lost == 0:
            raise fail(path, "counts more deals than the model learned from, or none")
        if cell.field == STAGE:
            if cell.won != won:
                raise fail(f"{path}.won", "a won deal counts at every stage: must equal the model's won")
            stage_lost[key[1]], present[key[1]] = cell.lost, True
        else:
            by_field[cell.field].append((cell.value, cell.won, cell.lost))
    for position in range(len(stages)):
        if present[position] != (won > 0 or stage_lost[position] > 0):
            raise fail("cells", "a stage's cell is missing although closed deals counted there")
        if position and stage_lost[position] > stage_lost[position - 1]:
            raise fail(
                "cells",
                "lost counts must not rise along the stages (a lost deal counts at every earlier one)",
            )
    if stages and lost and stage_lost[0] != lost:
        raise fail("cells", "every lost deal counts at the first stage: its lost count must equal lost")
    return stage_lost, by_field


def names_setting(field: str, value: object, *, empty: bool = True) -> tuple[str, ...]:
    """``value`` as a tuple of distinct keys (a plain string is refused: it would be read by letter)."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise fail(field, f"expected a sequence of text, got {kind(value)}")
    given = value
    items = guarded(field, lambda: list(given))
    names = tuple(check_text(f"{field}[{i}]", v, max_len=MAX_KEY) for i, v in enumerate(items))
    if not names and not empty:
        raise fail(field, "must not be empty")
    if len(set(names)) != len(names):
        raise fail(field, "names the same key twice")
    return names


def stages_setting(value: object) -> tuple[str, ...]:
    return names_setting("stages", value, empty=False)


def tag_fields_setting(value: object) -> tuple[str, ...]:
    return names_setting("tag_fields", value)


def support_setting(value: object) -> int:
    return count_of("min_tag_support", value)


def won_setting(value: object) -> int:
    return count_of("won", value)


def lost_setting(value: object) -> int:
    return count_of("lost", value)


def cells_setting(value: object) -> tuple[Cell, ...]:
    if not isinstance(value, Iterable):
        raise fail("cells", f"expected a sequence of Cell, got {kind(value)}")
    given = value
    return tuple(guarded("cells", lambda: list(given)))


def fields_setting(value: object) -> tuple[str, ...]:
    names = names_setting("fields", value)
    if STAGE in names:
        raise fail("fields", "must not name 'stage': the stage is always learned")
    return names


def smoothing_setting(value: object) -> float:
    if type(value) not in (int, float) or not 0 < value < math.inf:  # type: ignore[operator]
        raise fail("smoothing", f"expected a finite number > 0, got {kind(value)}")
    return float(value)  # type: ignore[arg-type]
