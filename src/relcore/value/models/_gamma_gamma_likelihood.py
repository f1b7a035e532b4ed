"""The Gamma-Gamma log-likelihood and its gradient, with one logarithm per customer.

Fader & Hardie (2013), "The Gamma-Gamma model of monetary value": the mean
``z`` of a customer's ``x`` repeat purchases has the density:

    G(p x + q) / (G(p x) G(q)) v^q z^(p x - 1) x^(p x) / (v + x z)^(p x + q)

The special functions depend on ``x`` only, which takes few distinct values,
so they are evaluated once per distinct ``x``; the terms in ``log z`` and
``log x`` are linear in ``p`` and summed once per fit. Per customer and
evaluation there remain one logarithm ``log(v + x z)``, one reciprocal and
four weighted sums (``numpy.einsum``, not BLAS, whose threads cost more than
they save here).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import digamma, gammaln

from relcore.value.models._arrays import FloatArray


class GammaGammaLikelihood:
    """The weighted log-likelihood of fixed data, as a function of ``(p, q, v)``.

    Args:
        x: Repeat purchases (> 0) of each row, sorted.
        z: Mean value of those purchases (> 0).
        w: Weight of each row.
    """

    def __init__(self, x: FloatArray, z: FloatArray, w: FloatArray) -> None:
        if len(x) > 1 and bool(np.any(x[1:] < x[:-1])):
            order = np.argsort(x, kind="stable")
            x, z, w = x[order], z[order], w[order]
        self.levels, starts = np.unique(x, return_index=True)
        self.level_weight = np.add.reduceat(w, starts)
        self.xz = x * z
        self.w, self.wx = w, w * x
        self.total = float(w.sum())
        log_z = np.log(z)
        # sum of w (p x - 1) log z + w p x log x  =  p * linear - log_z_sum
        self.linear = float(np.einsum("i,i->", self.wx, log_z + np.log(x)))
        self.log_z_sum = float(np.einsum("i,i->", w, log_z))

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Return the log-likelihood and its gradient at ``theta = (p, q, v)``."""
        p, q, v = (float(t) for t in theta)
        px = p * self.levels
        lw = self.level_weight
        spread = v + self.xz
        log_spread = np.log(spread)
        inverse = np.reciprocal(spread, out=spread)
        sum_wx_log, sum_w_log = (
            np.einsum("i,i->", self.wx, log_spread),
            np.einsum("i,i->", self.w, log_spread),
        )
        sum_wx_inv, sum_w_inv = np.einsum("i,i->", self.wx, inverse), np.einsum("i,i->", self.w, inverse)
        total = self.total
        ll = (
            float(np.einsum("i,i->", lw, gammaln(px + q) - gammaln(px)))
            - total * (math.lgamma(q) - q * math.log(v))
            + p * self.linear
            - self.log_z_sum
            - p * sum_wx_log
            - q * sum_w_log
        )
        psi = digamma(px + q)
        g_p = float(np.einsum("i,i->", lw * self.levels, psi - digamma(px))) + self.linear - sum_wx_log
        g_q = float(np.einsum("i,i->", lw, psi)) - total * (float(digamma(q)) - math.log(v)) - sum_w_log
        g_v = total * q / v - p * sum_wx_inv - q * sum_w_inv
        return float(ll), np.array([g_p, g_q, float(g_v)])
