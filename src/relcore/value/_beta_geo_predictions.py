"""Predictions shared by the BG/NBD and MBG/NBD models, fast on a million customers.

The two models differ only in whether a customer can drop out right after the
first purchase. With ``c = a + b - 1`` for BG/NBD (Fader, Hardie & Lee 2005)
and ``c = a + b`` for MBG/NBD (Batislam, Denizel & Filiztekin 2007):

* P(alive) ``= 1 / (1 + a / (c - a + x) ((alpha + T) / (alpha + t_x))^(r + x))``,
  and 1 for a BG/NBD customer without repeat purchases (FHL 2008);
* expected purchases in the next ``t``
  ``= (c + x) / (a - 1) [1 - (1 - z)^(a - 1) 2F1(c - r, a - 1; c + x; z)] P(alive)``
  with ``z = t / (alpha + T + t)``: the papers' ``((alpha + T) / (alpha + T + t))^(r + x)
  2F1(r + x, ...; c + x; z)`` after Euler's transformation, whose parameters stay
  bounded for any ``x``. The hypergeometric term goes through
  `relcore.value._level_table.by_level` when there are many customers.

Every step works in place on one buffer: on a million customers the
temporaries cost as much as the arithmetic.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, hyp2f1

from relcore.value._arrays import FloatArray
from relcore.value._level_table import by_level


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
        return np.asarray(np.exp((1 - a) * u) * hyp2f1(c - r, a - 1, c + level, -np.expm1(-u)))

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
    z = span / (alpha + span)
    kept = (1 - z) ** (a - 1) * hyp2f1(c - r, a - 1, c, z)
    scale = b if modified else c
    return np.asarray(scale / (a - 1) * (1 - kept), dtype=np.float64)
