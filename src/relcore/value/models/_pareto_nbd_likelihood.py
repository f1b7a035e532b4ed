"""The Pareto/NBD log-likelihood and its analytic gradient, by quadrature over the time of death.

Schmittlein, Morrison & Colombo (1987); Fader, Hardie & Lee (2005), "A note on
implementing the Pareto/NBD model in MATLAB". A customer with ``x`` repeat
purchases, the last at ``t_x``, observed to ``T``, was either alive at ``T`` or
died at some ``tau`` in ``(t_x, T]``:

    L = G(r + x) alpha^r beta^s / G(r) * [ (alpha + T)^-(r + x) (beta + T)^-s + s I ]

    I = integral over (t_x, T) of (alpha + tau)^-(r + x) (beta + tau)^-(s + 1) dtau

The papers write ``I`` with Gauss hypergeometric functions. Their series need
about ``1 / (1 - z)`` terms for ``z = |alpha - beta| / (max(alpha, beta) + t)``:
millions once a fit drives ``beta`` far above ``alpha`` (dropout rates that
hardly vary between customers), and their derivatives in ``r`` and ``s`` have
no closed form. Here ``I`` is integrated directly, which costs the same for any
parameters and differentiates under the integral sign: the gradient needs the
same integrand times ``log(alpha + tau)``, ``log(beta + tau)``,
``1 / (alpha + tau)`` and ``1 / (beta + tau)``.

The integral runs over ``sigma = log((m + tau) / (m + t_x))`` with ``m = min(alpha,
beta)``: the nearer singularity of the integrand (at ``tau = -m``) moves to
``sigma = -inf`` and the other one to ``Im sigma = pi``, and the log-integrand
``phi(sigma)`` is concave. ``sigma`` is cut into panels at most 2 long over
which ``phi`` changes by at most 12, each integrated by 12-point Gauss-Legendre
(the integrand is analytic in a strip of half-width ``pi`` around each panel,
and 12 points integrate ``e^(-12 u)`` over ``[0, 1]`` to 2e-14); a row's
panels stop at ``T`` or where the integrand has fallen below ``e^-50`` of its
largest value and keeps falling (concavity bounds the rest). Typical rows need
one or two panels, rows of heavy buyers or extreme parameters a dozen; the
tests compare with adaptive quadrature to 1e-10 on the log-likelihood.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, expit, gammaln, roots_legendre

from relcore.value.models._arrays import FloatArray

IntArray = npt.NDArray[np.intp]

_ORDER = 12
_XI, _WEIGHT = roots_legendre(_ORDER)
_NODES = (_XI + 1.0) / 2.0  # on [0, 1]
_WEIGHTS = _WEIGHT / 2.0
_LONGEST = 2.0  # panel length in sigma at most this
_CHANGE = 12.0  # the log-integrand changes by at most this much over a panel
_GROWTH_1, _GROWTH_2 = math.e - 1.0, (math.e**2 - 1.0) / 2.0  # (e^h - 1) / h at h = 1 and h = 2
_NEGLIGIBLE = 50.0  # a row stops where its integrand is e^-50 of its peak and falling
_BLOCK = 4096  # panels evaluated at a time (keeps temporaries in cache)
_MOST_PANELS = 2_000  # per row; reasonable parameters need a few dozen at most


class _Integral:
    """``I`` of every row, in logs, with the means over it that its derivatives need.

    ``log_ratio`` is ``log(I / ((alpha + t_x)^-A (beta + t_x)^-(s + 1)))``, the
    integral relative to its integrand at ``t_x`` (``-inf`` where ``t_x = T``; NaN
    where the parameters are too extreme to integrate); with ``gradient``,
    ``mean_log_a``, ``mean_log_b``, ``mean_rest_a``, ``mean_inv_b`` and
    ``mean_rest_b`` are the means, weighted by the integrand, of
    ``log((alpha + tau) / (alpha + t_x))``, ``log((beta + tau) / (beta + t_x))``,
    ``(T - tau) / (alpha + tau)``, ``1 / (beta + tau)`` and ``(T - tau) / (beta + tau)``
    (the gradient needs ``1 / (alpha + tau) - 1 / (alpha + T)``, which these give
    without cancellation when ``alpha`` or ``beta`` is huge).
    """

    def __init__(
        self,
        r: float,
        alpha: float,
        s: float,
        beta: float,
        x: FloatArray,
        t_x: FloatArray,
        age: FloatArray,
        *,
        gradient: bool,
    ) -> None:
        n = len(x)
        a_power, b_power = r + x, s + 1.0
        m = min(alpha, beta)
        self.ax, self.bx = alpha + t_x, beta + t_x
        base = m + t_x
        with np.errstate(divide="ignore"):
            end = np.log((m + age) / base)
        alpha_is_min = alpha <= beta
        rows, starts, widths, peak, unfinished = _panels(
            a_power, b_power, self.ax, self.bx, base, end, alpha_is_min=alpha_is_min
        )
        sums = np.zeros((6 if gradient else 1, n))
        gap = age - t_x
        for first in range(0, len(rows), _BLOCK):
            block = slice(first, first + _BLOCK)
            _add_panels(
                sums, rows[block], starts[block], widths[block], a_power, b_power, base, self.ax, self.bx,
                gap, peak, alpha_is_min=alpha_is_min,
            )  # fmt: skip
        with np.errstate(divide="ignore"):
            # tau = (m + t_x) e^sigma - m, so dtau = (m + tau) dsigma
            self.log_ratio = np.log(sums[0]) + peak + np.log(base)
        self.log_ratio[unfinished] = np.nan
        if gradient:
            total = np.where(sums[0] > 0, sums[0], 1.0)
            means = sums[1:] / total
            self.mean_log_a, self.mean_log_b, self.mean_rest_a, self.mean_inv_b, self.mean_rest_b = means


def _panels(
    a_power: FloatArray,
    b_power: float,
    ax: FloatArray,
    bx: FloatArray,
    base: FloatArray,
    end: FloatArray,
    *,
    alpha_is_min: bool,
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Panels ``(row, start, width)`` covering each row's integral; each row's peak log-integrand.

    The log-integrand is ``phi = sigma - A log1p(d / (alpha + t_x)) - B log1p(d / (beta + t_x))``
    with ``d = tau - t_x``; its slope is ``1 - A (m + tau)/(alpha + tau) - B (m + tau)/(beta + tau)``.
    The part of the smaller rate parameter is constant, the other grows at most like
    ``e^sigma``, which bounds the change of ``phi`` over the next panel. The last
    array flags rows that would need more than ``_MOST_PANELS`` panels (parameters far out
    of any reasonable range): their integral is reported as NaN.
    """
    n = len(base)
    sigma = np.zeros(n)
    peak = np.zeros(n)
    rows: list[IntArray] = []
    starts: list[FloatArray] = []
    widths: list[FloatArray] = []
    active = np.flatnonzero(end > 0)
    for _ in range(_MOST_PANELS):
        if not len(active):
            break
        a_k, here, scale = a_power[active], sigma[active], base[active]
        near = scale * np.exp(here)  # m + tau
        d = near - scale
        part_a = a_k * near / (ax[active] + d)
        part_b = b_power * near / (bx[active] + d)
        steady, growing = (part_a, part_b) if alpha_is_min else (part_b, part_a)
        # the growing part is at most growing * e^(sigma - here), so over a step h the slope
        # integrates to at most h (1 + steady) + growing (e^h - 1); bound it for h <= 1 and h <= 2
        short = np.minimum(1.0, _CHANGE / (1.0 + steady + _GROWTH_1 * growing))
        long = np.minimum(_LONGEST, _CHANGE / (1.0 + steady + _GROWTH_2 * growing))
        width = np.minimum(np.maximum(short, long), end[active] - here)
        rows.append(active)
        starts.append(here)
        widths.append(width)
        here = here + width
        sigma[active] = here
        d = scale * np.expm1(here)
        near = scale + d
        phi = here - a_k * np.log1p(d / ax[active]) - b_power * np.log1p(d / bx[active])
        slope = 1.0 - a_k * near / (ax[active] + d) - b_power * near / (bx[active] + d)
        peak[active] = np.maximum(peak[active], phi)
        finished = (here >= end[active]) | ((slope < 0) & (phi < peak[active] - _NEGLIGIBLE))
        active = active[~finished]
    unfinished = np.zeros(n, dtype=bool)
    unfinished[active] = True
    if not rows:
        return np.zeros(0, dtype=np.intp), np.zeros(0), np.zeros(0), peak, unfinished
    return np.concatenate(rows), np.concatenate(starts), np.concatenate(widths), peak, unfinished


def _add_panels(
    sums: FloatArray,
    rows: IntArray,
    starts: FloatArray,
    widths: FloatArray,
    a_power: FloatArray,
    b_power: float,
    base: FloatArray,
    ax: FloatArray,
    bx: FloatArray,
    gap: FloatArray,
    peak: FloatArray,
    *,
    alpha_is_min: bool,
) -> None:
    """Add the Gauss-Legendre sums of these panels to their rows' ``sums``."""
    sigma = starts[:, None] + widths[:, None] * _NODES
    d = np.expm1(sigma)
    d *= base[rows, None]
    inv_a = 1.0 / (ax[rows, None] + d)
    inv_b = 1.0 / (bx[rows, None] + d)
    # log((alpha + tau)/(alpha + t_x)) is sigma itself when alpha is the smaller rate parameter
    log_a = sigma if alpha_is_min else np.log1p(d / ax[rows, None])
    log_b = np.log1p(d / bx[rows, None]) if alpha_is_min else sigma
    phi = sigma - a_power[rows, None] * log_a - b_power * log_b - peak[rows, None]
    f = np.exp(phi)
    f *= widths[:, None] * _WEIGHTS
    n = sums.shape[1]
    sums[0] += np.bincount(rows, np.add.reduce(f, axis=1), minlength=n)
    if len(sums) > 1:
        rest = gap[rows, None] - d  # T - tau >= 0
        factors = (log_a, log_b, rest * inv_a, inv_b, rest * inv_b)
        for i, factor in enumerate(factors, start=1):
            sums[i] += np.bincount(rows, np.add.reduce(f * factor, axis=1), minlength=n)


def log_odds_dead(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, t_x: FloatArray, age: FloatArray
) -> FloatArray:
    """Log of P(dead)/P(alive) at ``T``: ``log(s I (alpha + T)^(r + x) (beta + T)^s)``."""
    integral = _Integral(r, alpha, s, beta, x, t_x, age, gradient=False)
    return _log_odds(integral, r, s, x, age - t_x)


def _log_odds(integral: _Integral, r: float, s: float, x: FloatArray, gap: FloatArray) -> FloatArray:
    """The log-odds from the integral, written with no large terms that cancel.

    ``log s + (r + x) log((alpha + T)/(alpha + t_x)) + s log((beta + T)/(beta + t_x))
    - log(beta + t_x) + log_ratio``.
    """
    odds = (r + x) * np.log1p(gap / integral.ax) + s * np.log1p(gap / integral.bx) - np.log(integral.bx)
    odds += integral.log_ratio
    return np.asarray(odds + math.log(s), dtype=np.float64)


class ParetoNBDLikelihood:
    """The weighted log-likelihood of fixed data and its gradient in ``(r, alpha, s, beta)``.

    Rows are sorted by ``x`` so that the special functions of ``r + x`` are
    evaluated once per distinct ``x``; sums avoid BLAS.
    """

    def __init__(self, x: FloatArray, t_x: FloatArray, age: FloatArray, w: FloatArray) -> None:
        self.order: IntArray | None = None
        if len(x) > 1 and bool(np.any(x[1:] < x[:-1])):
            self.order = np.argsort(x, kind="stable")
            x, t_x, age, w = x[self.order], t_x[self.order], age[self.order], w[self.order]
        self.levels, starts, self.counts = np.unique(x, return_index=True, return_counts=True)
        self.x, self.t_x, self.age, self.w = x, t_x, age, w
        self.level_weight = np.add.reduceat(w, starts) if len(w) else np.zeros(0)
        self.gap = age - t_x

    def rows(self, theta: FloatArray) -> FloatArray:
        """The log-likelihood of each row at ``theta``, in the order the rows were given."""
        rows = self._evaluate(theta, gradient=False)[0]
        if self.order is None:
            return rows
        given = np.empty_like(rows)
        given[self.order] = rows
        return given

    def value(self, theta: FloatArray) -> float:
        """The weighted log-likelihood at ``theta``."""
        return float(np.add.reduce(self.w * self._evaluate(theta, gradient=False)[0]))

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Return the weighted log-likelihood and its gradient at ``theta``."""
        rows, gradient = self._evaluate(theta, gradient=True)
        return float(np.add.reduce(self.w * rows)), gradient

    def _evaluate(self, theta: FloatArray, *, gradient: bool) -> tuple[FloatArray, FloatArray]:
        """Rows' log-likelihoods, and (with ``gradient``) the weighted gradient.

        ``log L = log G(r + x) - log G(r) - r log(1 + T/alpha) - x log(alpha + T)
        - s log(1 + T/beta) + log(1 + D)`` with ``D`` the odds of having died, so
        that a huge ``alpha`` or ``beta`` cancels no large terms.
        """
        r, alpha, s, beta = (float(v) for v in theta)
        x, age, w = self.x, self.age, self.w
        integral = _Integral(r, alpha, s, beta, x, self.t_x, age, gradient=gradient)
        log_at = np.log1p(age / alpha)  # log((alpha + T) / alpha)
        log_bt = np.log1p(age / beta)
        head = gammaln(r + self.levels) - gammaln(r)
        odds = _log_odds(integral, r, s, x, self.gap)
        softplus = np.maximum(odds, 0.0) + np.log1p(np.exp(-np.abs(odds)))
        rows = np.repeat(head, self.counts) - r * log_at - x * np.log(alpha + age) - s * log_bt + softplus
        if not gradient:
            return rows, np.zeros(0)
        dead = expit(odds) * w  # P(dead at T), weighted
        inv_at, inv_bt = 1.0 / (alpha + age), 1.0 / (beta + age)
        g_r = (
            float(np.add.reduce(self.level_weight * (digamma(r + self.levels) - digamma(r))))
            - float(np.add.reduce(w * log_at))
            + float(np.add.reduce(dead * (np.log1p(self.gap / integral.ax) - integral.mean_log_a)))
        )
        g_alpha = float(np.add.reduce(w * (r * age / alpha - x) * inv_at)) - float(
            np.add.reduce(dead * (r + x) * integral.mean_rest_a * inv_at)
        )
        g_s = float(
            np.add.reduce(dead * (1.0 / s + np.log1p(self.gap / integral.bx) - integral.mean_log_b))
        ) - float(np.add.reduce(w * log_bt))
        g_beta = float(np.add.reduce(w * (s / beta) * age * inv_bt)) - float(
            np.add.reduce(dead * (s * integral.mean_rest_b * inv_bt + integral.mean_inv_b))
        )
        return rows, np.array([g_r, g_alpha, g_s, g_beta])
