"""Counting and scoring large batches of deals with numpy (the ``analytics`` extra).

Imported only by the bulk functions of
[`relcore.sales.win_probability`][relcore.sales.win_probability], and only
when numpy is installed. Counting gives the same integers as the pure path
(codes per value, one ``bincount``). Scoring multiplies the same ratios of the
model's table in the same order as ``_win_table.probability`` -- prior,
stage, then each field's values in the deal's order -- so the floats are
identical: a deal without a value at some position is multiplied by 1.0,
which IEEE arithmetic leaves exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from itertools import chain, repeat

import numpy as np
import numpy.typing as npt

from relcore.sales._win_records import ClosedDeal, OpenDeal
from relcore.sales._win_table import HIGH, LOW, TINY, Table, probability, to_decimal

FloatArray = npt.NDArray[np.float64]


def count(deals: Sequence[ClosedDeal], fields: Sequence[str]) -> dict[str, dict[str, tuple[int, int]]]:
    """Won and lost deals per value of each field (values in the order first met)."""
    n = len(deals)
    lost = np.fromiter((not deal.won for deal in deals), dtype=np.intp, count=n)
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for field in fields:
        held = [deal.values.get(field, ()) for deal in deals]
        lengths = np.fromiter(map(len, held), dtype=np.intp, count=n)
        flat = list(chain.from_iterable(held))
        uniques = list(dict.fromkeys(flat))
        index = {value: code for code, value in enumerate(uniques)}
        codes = np.fromiter(map(index.__getitem__, flat), dtype=np.intp, count=len(flat))
        tally = np.bincount(codes * 2 + np.repeat(lost, lengths), minlength=2 * len(uniques))
        pairs = tally.reshape(-1, 2).tolist()
        out[field] = {value: (won, lost) for value, (won, lost) in zip(uniques, pairs, strict=True)}
    return out


def probabilities(table: Table, deals: Sequence[OpenDeal], positions: Sequence[int]) -> FloatArray:
    """The clamped probability of each deal, equal to ``_win_table.probability`` deal by deal."""
    n = len(deals)
    at = np.asarray(positions, dtype=np.intp)
    won = np.full(n, table.prior_won)
    lost = np.full(n, table.prior_lost)
    won *= np.asarray(table.stage_won)[at]
    lost *= np.asarray(table.stage_lost)[at]
    for field in table.fields:
        held = [deal.values.get(field.name, ()) for deal in deals]
        lengths = np.fromiter(map(len, held), dtype=np.intp, count=n)
        total = int(lengths.sum())
        if total == 0:
            continue
        unseen = len(field.state) - 1
        flat = chain.from_iterable(held)
        codes = np.fromiter(map(field.index.get, flat, repeat(unseen)), dtype=np.intp, count=total)
        won_ratio, lost_ratio = np.asarray(field.won_ratio), np.asarray(field.lost_ratio)
        if total == n and int(lengths.max()) == 1:  # one value per deal: one column
            won *= won_ratio[codes]
            lost *= lost_ratio[codes]
            continue
        widest = int(lengths.max())
        grid = np.full((n, widest), unseen, dtype=np.intp)  # unseen rows multiply by 1.0
        starts = np.cumsum(lengths) - lengths
        grid[np.repeat(np.arange(n), lengths), np.arange(total) - np.repeat(starts, lengths)] = codes
        for column in range(widest):
            won *= won_ratio[grid[:, column]]
            lost *= lost_ratio[grid[:, column]]
    sums = won + lost
    with np.errstate(divide="ignore", invalid="ignore"):
        p = won / sums
    for i in np.flatnonzero(sums < TINY).tolist():  # underflow: the pure path's log-space answer
        p[i] = probability(table, positions[i], deals[i].values, None)
    clamped: FloatArray = np.clip(p, LOW, HIGH)
    return clamped


def score(table: Table, deals: Sequence[OpenDeal], positions: Sequence[int]) -> list[Decimal]:
    """The probabilities as Decimals with 4 places."""
    return decimals(probabilities(table, deals, positions))


def decimals(p: FloatArray) -> list[Decimal]:
    """``to_decimal`` of each of ``p`` (in [0, 1]), without converting each float.

    ``rint(p * 10000)`` is the basis point ``to_decimal`` gives unless the
    exact ``p * 10000`` is within the float product's error (1e-12) of a
    half: those few are converted by ``to_decimal`` itself.
    """
    scaled = p * 10_000.0
    points = np.rint(scaled).astype(np.intp)
    result: list[Decimal] = _basis_points()[points].tolist()
    for i in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6).tolist():
        result[i] = to_decimal(float(p[i]))
    return result


@cache
def _basis_points() -> npt.NDArray[np.object_]:
    """``Decimal("0.0000")`` to ``Decimal("1.0000")`` by basis point, as ``to_decimal`` writes them."""
    return np.array([to_decimal(k / 10_000) for k in range(10_001)], dtype=object)
