"""The Pareto/NBD log-likelihood in log space, with a hypergeometric series that never fails.

Fader, Hardie & Lee (2005), "A note on implementing the Pareto/NBD model in
MATLAB", write the likelihood of a customer with ``x`` repeat purchases, the
last at ``t_x``, observed to ``T`` as:

    L = G(r + x) alpha^r beta^s / G(r) * [ (alpha + T)^-(r + x) (beta + T)^-s + s / (r + s + x) * A0 ]

    A0 = F(t_x) - F(T),   F(t) = 2F1(r + s + x, s + 1; r + s + x + 1; z_t) / (alpha + t)^(r + s + x)

with ``z_t = (alpha - beta) / (alpha + t)`` when ``alpha >= beta``; otherwise
the roles swap (``2F1(r + s + x, r + x; ...; (beta - alpha) / (beta + t)) /
(beta + t)^(r + s + x)``), so that ``0 <= z_t < 1`` always. Euler's
transformation ``2F1(a, b; a + 1; z) = (1 - z)^(1 - b) 2F1(1, a + 1 - b; a + 1; z)``
then gives ``F(t) = (alpha + t)^-(r + x) (beta + t)^-s Q(t)`` with ``Q(t) =
2F1(1, r + x; r + s + x + 1; z_t)`` (``alpha >= beta``) or ``(1 - z_t) 2F1(1,
s + 1; r + s + x + 1; z_t)`` (``alpha < beta``). The powers are taken in logs;
``Q`` is a series of positive terms, each smaller than ``z^k``, so it is
summed directly: scipy's ``hyp2f1`` returns NaN or wrong values for these
arguments once ``x`` is in the hundreds or ``z`` is near 1.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from relcore.value._arrays import FloatArray

_BLOCK = 256  # at most this many series terms per vectorized step
_ROWS = 16_384  # rows per chunk
_MAX_TERMS = 2_000_000  # beyond this (z within ~1e-5 of 1) the value is reported as NaN
_TOLERANCE = 1e-17


def hyp2f1_one(m: FloatArray, c: FloatArray, z: FloatArray) -> FloatArray:
    """``2F1(1, m; c; z) = sum_k (m)_k / (c)_k z^k`` for ``0 < m < c`` and ``0 <= z < 1``.

    Every term is positive and at most ``z`` times the one before, so the sum
    is accurate to rounding; it stops when the remaining terms, bounded by a
    geometric series, are below ``1e-17`` of the total. Rows go in chunks and
    terms in growing blocks, so memory stays bounded and small ``z`` is cheap.
    """
    m, c, z = np.broadcast_arrays(np.asarray(m, float), np.asarray(c, float), np.asarray(z, float))
    total = np.ones(m.shape)
    for begin in range(0, len(total), _ROWS):
        rows = slice(begin, begin + _ROWS)
        total[rows] = _series(m[rows], c[rows], z[rows])
    return total


def _series(m: FloatArray, c: FloatArray, z: FloatArray) -> FloatArray:
    total = np.ones(m.shape)
    term = np.ones(m.shape)
    todo = np.flatnonzero(z > 0)
    start, block = 0, 16
    while len(todo) and start < _MAX_TERMS:
        k = np.arange(start, start + block, dtype=np.float64)
        mm, cc, zz = m[todo, None], c[todo, None], z[todo, None]
        terms = term[todo, None] * np.cumprod((mm + k) / (cc + k) * zz, axis=1)
        total[todo] += terms.sum(axis=1)
        term[todo] = terms[:, -1]
        start += block
        block = min(2 * block, _BLOCK)
        tail = term[todo] * z[todo] / (1 - z[todo])
        todo = todo[tail > _TOLERANCE * total[todo]]
    total[todo] = np.nan
    return total


def log_odds_dead(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, t_x: FloatArray, age: FloatArray
) -> FloatArray:
    """Log of P(dead)/P(alive) at ``T``: ``log(s / (r + s + x) A0 (alpha + T)^(r + x) (beta + T)^s)``."""
    n = r + s + x
    if alpha >= beta:
        m = r + x
        base = alpha
    else:
        m = np.full(len(x), s + 1.0)
        base = beta
    gap = abs(alpha - beta)
    z1, z2 = gap / (base + t_x), gap / (base + age)
    q1, q2 = hyp2f1_one(m, n + 1, z1), hyp2f1_one(m, n + 1, z2)
    if alpha < beta:
        q1, q2 = q1 * (1 - z1), q2 * (1 - z2)
    g = (r + x) * (np.log(alpha + age) - np.log(alpha + t_x)) + s * (np.log(beta + age) - np.log(beta + t_x))
    # Q(t_x) - exp(-g) Q(T) >= 0; written so that g = 0 (t_x = T) gives exactly 0
    difference = np.maximum((q1 - q2) - np.expm1(-g) * q2, 0.0)
    with np.errstate(divide="ignore"):
        return np.asarray(np.log(s / n) + g + np.log(difference), dtype=np.float64)


def log_likelihood_rows(theta: FloatArray, x: FloatArray, t_x: FloatArray, age: FloatArray) -> FloatArray:
    """Log-likelihood of each row at ``theta = (r, alpha, s, beta)``."""
    r, alpha, s, beta = (float(v) for v in theta)
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    first = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
    odds = log_odds_dead(r, alpha, s, beta, x, t_x, age)
    softplus = np.maximum(odds, 0.0) + np.log1p(np.exp(-np.abs(odds)))
    return np.asarray(head + first + softplus, dtype=np.float64)


# Five-point central differences in log-parameter space: truncation error ~ h^4, rounding ~ eps / h.
_H = 1e-3
_STENCIL = ((-2.0, 1.0 / 12), (-1.0, -8.0 / 12), (1.0, 8.0 / 12), (2.0, -1.0 / 12))


class ParetoNBDLikelihood:
    """The weighted log-likelihood of fixed data as a function of ``(r, alpha, s, beta)``.

    The gradient is numerical (five-point central differences of the exact
    log-likelihood in the logarithms of the parameters, relative error about
    1e-10): the analytic one needs derivatives of the hypergeometric function
    in its parameters, which have no closed form.
    """

    def __init__(self, x: FloatArray, t_x: FloatArray, age: FloatArray, w: FloatArray) -> None:
        self.x, self.t_x, self.age, self.w = x, t_x, age, w

    def value(self, theta: FloatArray) -> float:
        """The weighted log-likelihood at ``theta``."""
        return float(np.dot(self.w, log_likelihood_rows(theta, self.x, self.t_x, self.age)))

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Return the log-likelihood and its (numerical) gradient at ``theta``."""
        theta = np.asarray(theta, dtype=np.float64)
        ll = self.value(theta)
        gradient = np.zeros(len(theta))
        for j in range(len(theta)):
            for step, weight in _STENCIL:
                moved = theta.copy()
                moved[j] = theta[j] * np.exp(step * _H)
                gradient[j] += weight * self.value(moved)
            gradient[j] /= _H * theta[j]  # d/d(log theta) -> d/d theta
        return ll, gradient
