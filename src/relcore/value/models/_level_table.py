"""Fast evaluation of a smooth function of (whole level, continuous position) at many points.

The BG/NBD and MBG/NBD conditional expectations need a Gauss hypergeometric
function per customer whose parameters depend on the customer's whole
frequency ``x`` and whose argument depends on a continuous age. scipy's
``hyp2f1`` sums a series for each of a million customers; but ``x`` takes few
distinct values and, as a function of the position ``u = -log(1 - z)``, the
term is analytic around the real axis (its only singularities lie on
``Im u = ±pi``). So it is tabulated instead: for each distinct level, the
``u`` axis is cut into intervals of width ``1/8`` around the nodes ``j/8``;
on each interval that holds a point the exact function is evaluated at 8
Chebyshev points and replaced by its interpolating polynomial of degree 7.
The Chebyshev coefficients of an analytic function fall geometrically, and the
last one bounds the interpolation error within a small factor (Trefethen,
*Approximation Theory and Approximation Practice*, ch. 8 and 18): unless it is
below ``1e-14`` of the values in every interval, the intervals are halved
and the table rebuilt (for the BG/NBD term with ``a < 2`` and CDNOW-like
data, width ``1/8`` already suffices). The tests compare with the exact
function to 1e-12 relative over wide parameter ranges. Each point then costs
a table lookup and a short Horner evaluation instead of a series.

Tabulating pays only when there are many more points than table entries;
otherwise `by_level` returns ``None`` and the caller evaluates the exact
function directly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from numpy.polynomial import chebyshev

from relcore.value.models._arrays import FloatArray

__all__ = ["by_level"]

_POINTS = 8  # Chebyshev points per interval: degree-7 polynomials
_FIRST_PER_UNIT = 8  # intervals per unit of u at first: nodes j/8, half-width 1/16
_FINEST_PER_UNIT = 256  # halving stops here
_TAIL = 1e-14  # the last Chebyshev coefficient, relative to the cell's values, must be below this
_MAX_LEVEL = 100_000  # whole levels beyond this are not tabulated
_SAVING = 4  # tabulate only when there are 4 points or more per exact evaluation


def _matrices() -> tuple[FloatArray, FloatArray]:
    """Values at the Chebyshev points -> Chebyshev coefficients -> monomial coefficients on [-1, 1]."""
    points = np.cos(np.pi * (np.arange(_POINTS) + 0.5) / _POINTS)
    # a_n = (2/N) sum_i f(t_i) T_n(t_i), with a_0 halved
    values_to_chebyshev = (2.0 / _POINTS) * chebyshev.chebvander(points, _POINTS - 1).T
    values_to_chebyshev[0] /= 2
    chebyshev_to_monomial = np.zeros((_POINTS, _POINTS))
    for n in range(_POINTS):
        unit = np.zeros(n + 1)
        unit[n] = 1.0
        chebyshev_to_monomial[: n + 1, n] = chebyshev.cheb2poly(unit)
    return np.asarray(values_to_chebyshev, dtype=np.float64), chebyshev_to_monomial


_CHEBYSHEV_POINTS = np.cos(np.pi * (np.arange(_POINTS) + 0.5) / _POINTS)
_TO_CHEBYSHEV, _TO_MONOMIAL = _matrices()


def by_level(
    level: FloatArray,
    u: FloatArray,
    exact: Callable[[FloatArray, FloatArray], FloatArray],
) -> FloatArray | None:
    """Evaluate ``exact(level, u)`` at every point through per-level interpolation tables.

    Args:
        level: Whole numbers >= 0 (already checked), one per point.
        u: Finite positions, one per point.
        exact: The vectorized function, analytic in ``u`` around the real axis.

    Returns:
        The values, or ``None`` when a table would not save work (few points,
        many levels, a long ``u`` range, a function that needs very short
        intervals); then call ``exact`` directly.
    """
    n = len(u)
    if n == 0:
        return None
    top = int(level.max())
    if top > _MAX_LEVEL or top + 1 > n // _SAVING:
        return None
    whole = level.astype(np.int64)
    present = np.flatnonzero(np.bincount(whole, minlength=top + 1))
    low, high = float(u.min()), float(u.max())
    per_unit = _FIRST_PER_UNIT
    while per_unit <= _FINEST_PER_UNIT:
        first, last = round(low * per_unit), round(high * per_unit)
        width = last - first + 1
        cells = len(present) * width
        if cells * _POINTS * _SAVING > n:
            return None
        centres = np.arange(first, last + 1, dtype=np.float64)
        positions = (centres[:, None] + 0.5 * _CHEBYSHEV_POINTS[None, :]) / per_unit  # (width, points)
        levels = np.repeat(present.astype(np.float64), width * _POINTS)
        values = exact(levels, np.tile(positions.ravel(), len(present))).reshape(cells, _POINTS)
        coefficients = _TO_CHEBYSHEV @ values.T  # (points, cells)
        size = np.max(np.abs(values), axis=1)
        if np.all(np.abs(coefficients[-1]) <= _TAIL * size):
            break
        per_unit *= 2
    else:
        return None
    monomial = np.ascontiguousarray(_TO_MONOMIAL @ coefficients)
    return _evaluate(monomial, present, top, width, first, whole, u * per_unit)


def _evaluate(
    monomial: FloatArray,
    present: npt.NDArray[np.int64],
    top: int,
    width: int,
    first: int,
    whole: npt.NDArray[np.int64],
    scaled: FloatArray,
) -> FloatArray:
    """Horner's rule on each point's cell polynomial, in place."""
    node = np.rint(scaled)
    row = np.zeros(top + 1, dtype=np.int64)
    row[present] = np.arange(len(present)) * width - first
    cell = row[whole]
    cell += node.astype(np.int64)
    node -= scaled
    node *= -2.0  # now the position within the cell, in [-1, 1]
    t = node
    # mode="clip" gathers straight into ``out`` (every cell is valid); "raise" would buffer
    result = monomial[_POINTS - 1].take(cell)
    term = np.empty_like(result)
    for k in range(_POINTS - 2, -1, -1):
        result *= t
        result += monomial[k].take(cell, out=term, mode="clip")
    return np.asarray(result, dtype=np.float64)
