"""The BG/NBD log-likelihood and its gradient, fast on a million customers.

Fader, Hardie & Lee (2005), eq. 6, for a customer with ``x`` repeat purchases,
the last at ``t_x``, observed to ``T``::

    L = B(a, b + x) / B(a, b) * G(r + x) alpha^r / (G(r) (alpha + T)^(r + x))
      + [x > 0] B(a + 1, b + x - 1) / B(a, b) * G(r + x) alpha^r / (G(r) (alpha + t_x)^(r + x))

In logs, ``log L = c(x) - (r + x) log(alpha + T) + log(1 + exp(delta))`` with
``delta`` the log-ratio of the second term to the first. Every special
function depends on ``x`` only, which takes few distinct values, so those are
evaluated once per distinct ``x``; per customer only logs and exponentials
remain.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln

from relcore.value._arrays import FloatArray, IntArray


class BetaGeoLikelihood:
    """The weighted log-likelihood of fixed data, as a function of ``(r, alpha, a, b)``."""

    def __init__(self, x: FloatArray, t_x: FloatArray, age: FloatArray, w: FloatArray) -> None:
        self.levels, level = np.unique(x, return_inverse=True)
        self.level: IntArray = level.reshape(-1).astype(np.int64)
        self.level_weight = np.bincount(self.level, weights=w, minlength=len(self.levels))
        self.t_x, self.age, self.w = t_x, age, w
        self.wx = w * x
        self.total = float(w.sum())

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Return the log-likelihood and its gradient at ``theta = (r, alpha, a, b)``."""
        r, alpha, a, b = (float(v) for v in theta)
        xs = self.levels
        repeat = xs > 0
        xm1 = np.where(repeat, xs - 1, 0.0)
        log_at, log_atx = np.log(alpha + self.age), np.log(alpha + self.t_x)
        gap = log_at - log_atx  # >= 0: (alpha + T) / (alpha + t_x) in logs

        common = gammaln(r + xs) - gammaln(r) + r * np.log(alpha) - betaln(a, b) + betaln(a, b + xs)
        ratio = np.where(repeat, betaln(a + 1, b + xm1) - betaln(a, b + xs), -np.inf)
        w, wrx = self.w, self.wx + r * self.w  # w * (r + x)
        delta = ratio[self.level] + (r + xs[self.level]) * gap
        ll = (
            float(np.dot(self.level_weight, common))
            - float(np.dot(wrx, log_at))
            + float(np.dot(w, np.logaddexp(0.0, delta)))
        )

        p2 = expit(delta)  # weight of the "dropped out after t_x" term
        wp2 = w * p2
        p2_per_level = np.bincount(self.level, weights=wp2, minlength=len(xs))
        psi_abx = digamma(a + b + xs)
        g_r = (
            float(np.dot(self.level_weight, digamma(r + xs) - digamma(r) + np.log(alpha)))
            - float(np.dot(w, log_at))
            + float(np.dot(wp2, gap))
        )
        g_alpha = self.total * r / alpha - float(
            np.dot(wrx, (1 - p2) / (alpha + self.age) + p2 / (alpha + self.t_x))
        )
        g_a = float(np.dot(self.level_weight, digamma(a + b) - psi_abx)) + float(p2_per_level.sum()) / a
        inverse = np.divide(1.0, b + xm1, out=np.zeros(len(xs)), where=repeat)
        g_b = float(
            np.dot(self.level_weight, digamma(a + b) - digamma(b) + digamma(b + xs) - psi_abx)
        ) - float(np.dot(p2_per_level, inverse))
        return ll, np.array([g_r, g_alpha, g_a, g_b])
