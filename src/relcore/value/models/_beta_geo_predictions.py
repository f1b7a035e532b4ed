"""Predictions shared by the BG/NBD and MBG/NBD models, fast on a million customers.

The two models differ only in whether a customer can drop out right after the
first purchase. With ``c = a + b - 1`` for BG/NBD (Fader, Hardie & Lee 2005)
and ``c = a + b`` for MBG/NBD (Batislam, Denizel & Filiztekin 2007):

* P(alive) ``= 1 / (1 + a / (c - a + x) ((alpha + T) / (alpha + t_x))^(r + x))``,
  and 1 for a BG/NBD customer without repeat purchases (FHL 2008);
* expected purchases in the next ``t``
  ``= (c + x) / (a - 1) [1 - R] P(alive)`` with ``z = t / (alpha + T + t)`` and
  ``R = (1 - z)^(r + x) 2F1(r + x, c + x - a + 1; c + x; z)`` as the papers print it,
  or after Euler's transformation ``R = (1 - z)^(a - 1) 2F1(c - r, a - 1; c + x; z)``,
  whose parameters stay bounded for any ``x``. ``R`` goes through
  `relcore.value.models._level_table.by_level` when there are many customers.

Either form multiplies a power of ``1 - z`` by a hypergeometric value at most
its reciprocal. When the exponent is large (``a`` in the thousands, as when a fit
runs towards dropout probabilities that do not vary between customers, or ``x``
in the thousands), the power underflows to 0, the hypergeometric value overflows,
and the product is NaN. So each point takes the form with the smaller exponent,
and where both exponents are large it sums the printed form's series of positive
terms in logarithms.

Every step works in place on one buffer: on a million customers the
temporaries cost as much as the arithmetic.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, hyp2f1

from relcore.value.models._arrays import FloatArray
from relcore.value.models._level_table import by_level


def probability_alive(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    t_x: FloatArray,
    log_age: FloatArray,
    *,
    modified: bool,
) -> FloatArray:
    """P(alive) given the histories, with ``log_age = log(alpha + T)``."""
    odds = np.add(t_x, alpha)  # the log-odds of alive, built in place
    np.log(odds, out=odds)
    odds -= log_age
    odds *= r + x
    if modified:
        shifted = x + b
    else:
        shifted = np.maximum(x, 1.0)  # x = 0 is fixed below; keep the log defined
        shifted += b - 1
    odds += np.log(shifted, out=shifted)
    odds -= math.log(a)
    alive = expit(odds, out=odds)
    if not modified:
        np.maximum(alive, x == 0, out=alive)
    return np.asarray(alive, dtype=np.float64)


def expected_purchases(
    r: float,
    alpha: float,
    a: float,
    b: float,
    t: float,
    x: FloatArray,
    t_x: FloatArray,
    age: FloatArray,
    *,
    modified: bool,
) -> FloatArray:
    """Expected purchases in the next ``t`` given the histories."""
    c = a + b if modified else a + b - 1
    log_age = np.log(alpha + age)
    u = np.log(alpha + age + t)  # u = -log(1 - z) = log((alpha + T + t) / (alpha + T))
    u -= log_age

    def kept(level: FloatArray, u: FloatArray) -> FloatArray:
        return remaining_share(r, a, c, level, u)

    remaining = by_level(x, u, kept)
    if remaining is None:
        remaining = kept(x, u)
    result = probability_alive(r, alpha, a, b, x, t_x, log_age, modified=modified)
    result *= x + c
    remaining -= 1
    result *= remaining
    result /= 1 - a
    return result


def expected_purchases_new_customer(
    r: float, alpha: float, a: float, b: float, span: FloatArray, *, modified: bool
) -> FloatArray:
    """Expected repeat purchases of a new customer in ``(0, t]`` for each ``t`` in ``span``.

    ``(a + b - 1)/(a - 1)`` for BG/NBD and ``b/(a - 1)`` for MBG/NBD, times
    ``[1 - (1 - z)^(a - 1) 2F1(c - r, a - 1; c; z)]`` with ``z = t / (alpha + t)``.
    """
    c = a + b if modified else a + b - 1
    kept = remaining_share(r, a, c, np.zeros(len(span)), np.log1p(span / alpha))
    scale = b if modified else c
    return np.asarray(scale / (a - 1) * (1 - kept), dtype=np.float64)


_LARGE = 600.0  # exponent * u beyond which a power of 1 - z comes near underflow
_MAX_TERMS = 1_000_000  # the log-space series gives up (NaN) beyond this many terms
_BLOCK = 256


def remaining_share(r: float, a: float, c: float, level: FloatArray, u: FloatArray) -> FloatArray:
    """``R = (1 - z)^(a - 1) 2F1(c - r, a - 1; c + x; z)`` with ``x = level``, ``z = 1 - exp(-u)``.

    The form with the smaller exponent, ``a - 1`` (Euler's) or ``r + x`` (the
    printed one), for each point; both agree to rounding where both are finite.
    """
    level, u = np.broadcast_arrays(np.asarray(level, dtype=np.float64), np.asarray(u, dtype=np.float64))
    z = -np.expm1(-u)
    result = np.empty(level.shape)
    euler = a - 1 <= r + level
    if euler.any():
        ue = u[euler]
        result[euler] = np.exp((1 - a) * ue) * hyp2f1(c - r, a - 1, c + level[euler], z[euler])
    printed = ~euler & ((r + level) * u <= _LARGE)
    if printed.any():
        m, top = r + level[printed], c + level[printed]
        result[printed] = np.exp(-m * u[printed]) * hyp2f1(m, top - a + 1, top, z[printed])
    both = ~euler & ~printed
    if both.any():
        m, top = r + level[both], c + level[both]
        result[both] = np.exp(_log_series(m, top - a + 1, top, z[both]) - m * u[both])
    return result


def _log_series(p: FloatArray, q: FloatArray, c: FloatArray, z: FloatArray) -> FloatArray:
    """``log 2F1(p, q; c; z)`` for ``p, q, c > 0``, ``q < c``, ``0 <= z < 1``: positive terms summed in logs.

    Beyond term ``k`` every ratio of consecutive terms is at most
    ``z (p + k) / (k + 1)``, so once that bound is below 1 the rest is below a
    geometric series; the sum stops when that is below ``1e-17`` of the total.
    """
    total = np.zeros(len(p))  # log of the sum so far: the first term is 1
    last = np.zeros(len(p))  # log of the last term added
    todo = np.flatnonzero(z > 0)
    start = 0
    log_z = np.log(z, out=np.full(len(z), -np.inf), where=z > 0)
    while len(todo) and start < _MAX_TERMS:
        k = np.arange(start, start + _BLOCK, dtype=np.float64)
        pp, qq, cc = p[todo, None], q[todo, None], c[todo, None]
        steps = np.log((pp + k) * (qq + k) / ((cc + k) * (k + 1))) + log_z[todo, None]
        logs = last[todo, None] + np.cumsum(steps, axis=1)
        total[todo] = np.logaddexp(total[todo], np.logaddexp.reduce(logs, axis=1))
        last[todo] = logs[:, -1]
        start += _BLOCK
        bound = z[todo] * (p[todo] + start) / (start + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = last[todo] + np.log(bound) - np.log1p(-bound)
        todo = todo[~((bound < 1) & (tail < total[todo] - 39.2))]  # e^-39.2 < 1e-17
    total[todo] = np.nan
    return total
