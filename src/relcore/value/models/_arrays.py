"""Checked numpy arrays from plain sequences; every error names the row at fault."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from relcore.errors import ValidationError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ArrayLike = Sequence[float] | npt.NDArray[np.generic]


def float_array(
    name: str,
    values: ArrayLike,
    *,
    minimum: float | None = None,
    positive: bool = False,
    integer: bool = False,
) -> FloatArray:
    """Return ``values`` as a 1-D float array, or raise naming the first bad row."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        for i, value in enumerate(values):
            try:
                float(value)
            except (TypeError, ValueError):
                raise ValidationError.single(f"{name}[{i}]", f"must be a number, not {value!r}") from None
        raise ValidationError.single(name, "must be a sequence of numbers") from None
    if array.ndim != 1:
        raise ValidationError.single(name, f"must be one-dimensional, got shape {array.shape}")
    # each check scans first and builds a mask only to name the row at fault
    if not np.isfinite(np.add.reduce(array)):  # a NaN or an infinity makes the sum one
        _first_bad(name, array, ~np.isfinite(array), "must be a finite number")
    if len(array) == 0:
        return array
    if minimum is not None and array.min() < minimum:
        _first_bad(name, array, array < minimum, f"must be at least {minimum:g}")
    if positive and array.min() <= 0:
        _first_bad(name, array, array <= 0, "must be positive")
    if integer and not np.array_equal(np.floor(array), array):
        _first_bad(name, array, array != np.floor(array), "must be a whole number")
    return array


def _first_bad(name: str, array: FloatArray, bad: npt.NDArray[np.bool_], problem: str) -> None:
    if bad.any():
        i = int(np.argmax(bad))
        raise ValidationError.single(f"{name}[{i}]", f"{problem}, got {array[i]!r}")


def same_length(**arrays: npt.NDArray[Any]) -> int:
    """Return the common length of ``arrays``, or raise naming the first that differs."""
    names = list(arrays)
    n = len(arrays[names[0]])
    for name in names[1:]:
        if len(arrays[name]) != n:
            raise ValidationError.single(name, f"has {len(arrays[name])} rows but {names[0]} has {n}")
    return n


def btyd_arrays(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Check a (frequency, recency, T) summary: whole x >= 0, 0 <= t_x <= T, t_x = 0 when x = 0."""
    x = float_array("frequency", frequency, minimum=0, integer=True)
    t_x = float_array("recency", recency, minimum=0)
    age = float_array("T", T, minimum=0)
    same_length(frequency=x, recency=t_x, T=age)
    _first_bad("recency", t_x, t_x > age, "must not exceed T")
    _first_bad("recency", t_x, (x == 0) & (t_x != 0), "must be 0 when frequency is 0")
    return x, t_x, age


def weight_array(weights: ArrayLike | None, n: int) -> FloatArray:
    """Return checked non-negative weights of length ``n`` (all ones when ``None``)."""
    if weights is None:
        return np.ones(n)
    w = float_array("weights", weights, minimum=0)
    if len(w) != n:
        raise ValidationError.single("weights", f"has {len(w)} rows but the data has {n}")
    if not w.sum() > 0:
        raise ValidationError.single("weights", "must not all be zero")
    return w


def collapse(
    columns: Sequence[FloatArray], weights: FloatArray, *, merge: bool = False
) -> tuple[list[FloatArray], FloatArray]:
    """Merge identical rows of ``columns``, summing their ``weights``; rows come back sorted by the first.

    Only whole-valued data (times counted in periods) has many identical rows;
    for continuous times merging finds almost none and the three-key sort costs
    more than it saves, so such data is only sorted by its first column, unless
    ``merge`` asks for merging anyway (money in cents repeats often enough).
    """
    if len(weights) == 0:
        return [c.copy() for c in columns], weights.copy()
    if not merge and not all(bool(np.all(c == np.floor(c))) for c in columns[1:]):
        order = np.argsort(columns[0], kind="stable")
        kept = weights[order]
        keep = kept > 0
        return [c[order][keep] for c in columns], kept[keep]
    order = np.lexsort(tuple(reversed(columns)))
    sorted_columns = [c[order] for c in columns]
    new_group = np.zeros(len(order), dtype=bool)
    new_group[0] = True
    for c in sorted_columns:
        new_group[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(new_group)
    summed = np.add.reduceat(weights[order], starts)
    keep = summed > 0
    return [c[starts][keep] for c in sorted_columns], summed[keep]
