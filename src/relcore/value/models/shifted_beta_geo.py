"""The shifted-beta-geometric (sBG) model of contractual retention.

Fader, P. S. & Hardie, B. G. S. (2007). "How to project customer retention."
*Journal of Interactive Marketing* 21(1), 76-90. Each customer of a cohort
renews at the end of every period with their own probability ``1 - theta``
until they cancel; ``theta`` is beta-distributed across customers with
parameters ``alpha`` and ``beta``. Then, with ``B`` the beta function,

* ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)``: cancelling in period ``t``;
* ``S(t) = B(alpha, beta + t) / B(alpha, beta)``: still a customer after ``t`` periods;
* ``r(t) = (beta + t - 1) / (alpha + beta + t - 1)``: the retention rate from ``t - 1`` to ``t``,
  rising with ``t`` as the cohort keeps its more loyal members.

The discounted expected residual lifetime follows Fader & Hardie (2010),
"Customer-base valuation in a contractual setting: the perils of ignoring
heterogeneity", *Marketing Science* 29(1), 85-93.
"""

from __future__ import annotations

import math

import attrs
import numpy as np
from scipy.special import betaln, digamma, hyp2f1

from relcore.errors import ValidationError
from relcore.value.models._arrays import ArrayLike, FloatArray, float_array
from relcore.value.models._optimize import Budget, maximize

__all__ = ["ShiftedBetaGeo", "ShiftedBetaGeoFit", "ShiftedBetaGeoParams"]


@attrs.frozen
class ShiftedBetaGeoParams:
    """Parameters of the sBG model, named as in Fader & Hardie (2007).

    Attributes:
        alpha: First shape of the beta distribution of the churn probability.
        beta: Second shape of that distribution.
    """

    alpha: float
    beta: float


@attrs.frozen
class ShiftedBetaGeoFit:
    """A fitted (or given) sBG model and its predictions.

    Attributes:
        params: The parameters.
        log_likelihood: Log-likelihood at ``params`` (NaN when not fitted).
        standard_errors: Standard errors from the inverse Hessian (``None`` when not fitted).
        iterations: Optimizer iterations (0 when not fitted).

    Example:
        >>> fit = ShiftedBetaGeoFit(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
        >>> print(", ".join(f"{s:.3f}" for s in fit.survival([1, 2, 3])))
        0.627, 0.474, 0.388
    """

    params: ShiftedBetaGeoParams
    log_likelihood: float = math.nan
    standard_errors: ShiftedBetaGeoParams | None = None
    iterations: int = 0

    def survival(self, periods: ArrayLike) -> FloatArray:
        """Share of the cohort still customers after each number of periods, ``S(t)``."""
        t = float_array("periods", periods, minimum=0, integer=True)
        a, b = self.params.alpha, self.params.beta
        return np.asarray(np.exp(betaln(a, b + t) - betaln(a, b)), dtype=np.float64)

    def retention(self, periods: ArrayLike) -> FloatArray:
        """Retention rate from period ``t - 1`` to ``t``, for each ``t >= 1``."""
        t = float_array("periods", periods, minimum=1, integer=True)
        a, b = self.params.alpha, self.params.beta
        return np.asarray((b + t - 1) / (a + b + t - 1), dtype=np.float64)

    def churn(self, periods: ArrayLike) -> FloatArray:
        """Share of the cohort cancelling in each period ``t >= 1``, ``P(T = t)``."""
        t = float_array("periods", periods, minimum=1, integer=True)
        a, b = self.params.alpha, self.params.beta
        return np.asarray(np.exp(betaln(a + 1, b + t - 1) - betaln(a, b)), dtype=np.float64)

    def discounted_residual_lifetime(self, renewals: ArrayLike, discount_rate: float) -> FloatArray:
        """Discounted expected number of renewals still to come for a customer who has renewed ``n`` times.

        ``sum over k >= 0 of S(n + 1 + k) / S(n) / (1 + discount_rate)^k``, in
        closed form (Fader & Hardie 2010, the DERL): the next renewal counts
        in full, each later one is discounted by one more period. Multiply by
        the value of a renewal to value the customer's remaining contract.

        Args:
            renewals: Renewals ``n`` made so far (0 for a new customer).
            discount_rate: Discount rate per period, > 0.
        """
        rate = discount_rate
        if not (isinstance(rate, int | float) and math.isfinite(rate) and rate > 0):
            raise ValidationError.single("discount_rate", f"must be a finite number > 0, not {rate!r}")
        n = float_array("renewals", renewals, minimum=0, integer=True)
        a, b = self.params.alpha, self.params.beta
        z = 1.0 / (1.0 + discount_rate)
        first = (b + n) / (a + b + n)
        return np.asarray(first * hyp2f1(1.0, b + n + 1, a + b + n + 1, z), dtype=np.float64)


@attrs.frozen
class ShiftedBetaGeo:
    """The sBG model, fitted by maximum likelihood to one cohort's survivor counts.

    Attributes:
        max_iterations: Iteration limit of the optimizer.
        max_evaluations: Most likelihood evaluations the optimizer may ask for (checking
            the stop and the standard errors take two more, plus two per parameter).
        tolerance: Relative tolerance on the per-customer log-likelihood and its gradient.

    Example:
        >>> regular = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie (2007), Table 1
        >>> fit = ShiftedBetaGeo().fit(regular)
        >>> print(f"{fit.params.alpha:.3f} {fit.params.beta:.3f}")
        0.704 1.182
    """

    max_iterations: int = 1000
    max_evaluations: int = 2000
    tolerance: float = 1e-12

    def fit(self, active: ArrayLike) -> ShiftedBetaGeoFit:
        """Fit to ``active[i]``, the customers of a cohort still active at the start of period ``i``.

        ``active[0]`` is the cohort's size; the counts must not grow.

        Raises:
            ValidationError: Fewer than two counts, counts that grow, or a cohort of 0.
            ConvergenceError: If the optimizer finds no maximum.
        """
        counts = float_array("active", active, minimum=0, integer=True)
        if len(counts) < 2:
            raise ValidationError.single("active", "needs the cohort size and at least one later count")
        if counts[0] <= 0:
            raise ValidationError.single("active[0]", "the cohort must not be empty")
        grew = np.flatnonzero(np.diff(counts) > 0)
        if len(grew):
            i = int(grew[0]) + 1
            raise ValidationError.single(f"active[{i}]", "survivor counts must not grow")
        lost = -np.diff(counts)  # cancelled in periods 1..n
        periods = np.arange(1, len(counts), dtype=np.float64)
        still = float(counts[-1])
        optimum = maximize(
            lambda theta: _log_likelihood(theta, lost, periods, still),
            (1.0, 1.0),
            names=("alpha", "beta"),
            model="ShiftedBetaGeo",
            total_weight=float(counts[0]),
            budget=Budget(
                max_iterations=self.max_iterations,
                max_evaluations=self.max_evaluations,
                tolerance=self.tolerance,
            ),
        )
        return optimum.to_fit(ShiftedBetaGeoFit, ShiftedBetaGeoParams)


def _log_likelihood(
    theta: FloatArray, lost: FloatArray, periods: FloatArray, still: float
) -> tuple[float, FloatArray]:
    """Log-likelihood of the cancellations per period and the survivors, and its gradient."""
    a, b = float(theta[0]), float(theta[1])
    t_last = float(periods[-1])
    base = betaln(a, b)
    log_churn = betaln(a + 1, b + periods - 1) - base
    log_survive = betaln(a, b + t_last) - base
    ll = float(np.sum(lost * log_churn)) + still * float(log_survive)
    psi_ab = digamma(a + b)
    # d/da betaln(x, y) = psi(x) - psi(x + y); d/db = psi(y) - psi(x + y)
    d_base_a, d_base_b = digamma(a) - psi_ab, digamma(b) - psi_ab
    d_churn_a = digamma(a + 1) - digamma(a + b + periods) - d_base_a
    d_churn_b = digamma(b + periods - 1) - digamma(a + b + periods) - d_base_b
    d_survive_a = digamma(a) - digamma(a + b + t_last) - d_base_a
    d_survive_b = digamma(b + t_last) - digamma(a + b + t_last) - d_base_b
    g_a = float(np.sum(lost * d_churn_a)) + still * float(d_survive_a)
    g_b = float(np.sum(lost * d_churn_b)) + still * float(d_survive_b)
    return ll, np.array([g_a, g_b])
