"""The BG/NBD log-likelihood and its gradient, fast on a million customers.

Fader, Hardie & Lee (2005), eq. 6, for a customer with ``x`` repeat purchases,
the last at ``t_x``, observed to ``T``:

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
from scipy.special import betaln, digamma, gammaln

from relcore.value.models._arrays import FloatArray


class BetaGeoLikelihood:
    """The weighted log-likelihood of fixed data, as a function of ``(r, alpha, a, b)``.

    Rows are kept sorted by ``x`` so that per-level values spread to rows by
    ``np.repeat`` and gather back by ``np.add.reduceat`` (no fancy indexing),
    sums avoid BLAS (whose threads cost more than they save here), and unit
    weights are not multiplied at all.
    """

    def __init__(self, x: FloatArray, t_x: FloatArray, age: FloatArray, w: FloatArray) -> None:
        if len(x) > 1 and bool(np.any(x[1:] < x[:-1])):
            order = np.argsort(x, kind="stable")
            x, t_x, age, w = x[order], t_x[order], age[order], w[order]
        self.levels, self.starts, self.counts = np.unique(x, return_index=True, return_counts=True)
        self.x = x
        self.t_x, self.age, self.w = t_x, age, w
        self.unit = bool(np.all(w == 1.0))
        self.level_weight = self.counts.astype(np.float64) if self.unit else np.add.reduceat(w, self.starts)
        self.total = float(w.sum())

    def _sum(self, values: FloatArray) -> float:
        """The weighted sum over rows."""
        return float(np.add.reduce(values if self.unit else self.w * values))

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Return the log-likelihood and its gradient at ``theta = (r, alpha, a, b)``."""
        r, alpha, a, b = (float(v) for v in theta)
        xs = self.levels
        repeat = xs > 0
        xm1 = np.where(repeat, xs - 1, 0.0)
        at, atx = alpha + self.age, alpha + self.t_x
        log_at = np.log(at)
        gap = log_at - np.log(atx)  # >= 0: (alpha + T) / (alpha + t_x) in logs
        r_x = r + self.x

        common = gammaln(r + xs) - gammaln(r) + r * np.log(alpha) - betaln(a, b) + betaln(a, b + xs)
        ratio = np.where(repeat, betaln(a + 1, b + xm1) - betaln(a, b + xs), -np.inf)
        delta = np.repeat(ratio, self.counts) + r_x * gap
        # softplus(delta) and expit(delta) from one exponential, stable for any sign
        e = np.exp(-np.abs(delta))
        softplus = np.maximum(delta, 0.0) + np.log1p(e)
        inverse_1pe = 1.0 / (1.0 + e)
        p2 = np.where(delta >= 0, inverse_1pe, e * inverse_1pe)  # weight of "dropped out after t_x"
        lw = self.level_weight
        ll = float(np.add.reduce(lw * common)) - self._sum(r_x * log_at) + self._sum(softplus)

        wp2 = p2 if self.unit else self.w * p2
        p2_per_level = np.add.reduceat(wp2, self.starts)
        psi_abx = digamma(a + b + xs)
        g_r = (
            float(np.add.reduce(lw * (digamma(r + xs) - digamma(r) + np.log(alpha))))
            - self._sum(log_at)
            + float(np.add.reduce(wp2 * gap))
        )
        g_alpha = self.total * r / alpha - self._sum(r_x * ((1 - p2) / at + p2 / atx))
        g_a = float(np.add.reduce(lw * (digamma(a + b) - psi_abx))) + float(p2_per_level.sum()) / a
        inverse = np.divide(1.0, b + xm1, out=np.zeros(len(xs)), where=repeat)
        g_b = float(np.add.reduce(lw * (digamma(a + b) - digamma(b) + digamma(b + xs) - psi_abx))) - float(
            np.add.reduce(p2_per_level * inverse)
        )
        return ll, np.array([g_r, g_alpha, g_a, g_b])
