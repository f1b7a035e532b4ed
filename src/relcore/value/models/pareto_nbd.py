"""The Pareto/NBD model of repeat purchasing.

Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). "Counting your
customers: who are they and what will they do next?" *Management Science*
33(1), 1-24; computed as in Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005),
"A note on implementing the Pareto/NBD model in MATLAB". While alive, a
customer buys at a Poisson rate ``lambda`` (gamma-distributed across customers
with shape ``r`` and rate ``alpha``); their lifetime is exponential with rate
``mu`` (gamma-distributed with shape ``s`` and rate ``beta``), independent of
``lambda``.
"""

from __future__ import annotations

import math

import attrs
import numpy as np
from scipy.integrate import quad_vec
from scipy.special import expit, gammaln

from relcore.errors import ValidationError
from relcore.value.models._arrays import ArrayLike, FloatArray, btyd_arrays, float_array
from relcore.value.models._optimize import Budget, maximize_purchases
from relcore.value.models._pareto_nbd_likelihood import ParetoNBDLikelihood, log_odds_dead

__all__ = ["ParetoNBD", "ParetoNBDFit", "ParetoNBDParams"]

_NAMES = ("r", "alpha", "s", "beta")


@attrs.frozen
class ParetoNBDParams:
    """Parameters of the Pareto/NBD model, named as in Schmittlein, Morrison & Colombo (1987).

    Attributes:
        r: Shape of the gamma distribution of purchase rates.
        alpha: Rate of that distribution, in the time unit of the data.
        s: Shape of the gamma distribution of dropout rates.
        beta: Rate of that distribution, in the time unit of the data.
    """

    r: float
    alpha: float
    s: float
    beta: float


@attrs.frozen
class ParetoNBDFit:
    """A fitted (or given) Pareto/NBD model and its predictions.

    Attributes:
        params: The parameters.
        log_likelihood: Log-likelihood at ``params`` (NaN when not fitted).
        standard_errors: Standard errors from the inverse Hessian (``None`` when not fitted).
        iterations: Optimizer iterations (0 when not fitted).

    Example:
        >>> fit = ParetoNBDFit(ParetoNBDParams(r=0.553, alpha=10.58, s=0.606, beta=11.67))
        >>> for p in fit.probability_alive([0, 2], [0.0, 30.43], [38.86, 38.86]):
        ...     print(f"{p:.3f}")
        0.295
        0.869
        >>> print(f"{fit.expected_purchases_new_customer(39.0)[0]:.3f}")
        1.213
    """

    params: ParetoNBDParams
    log_likelihood: float = math.nan
    standard_errors: ParetoNBDParams | None = None
    iterations: int = 0

    def probability_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:
        """Probability that each customer is still alive at age ``T`` (SMC 1987, eq. 11).

        Args:
            frequency: Repeat purchases ``x``.
            recency: Age at the last repeat purchase ``t_x``.
            T: Age at the end of observation.

        Returns:
            One probability per customer.
        """
        x, t_x, age = btyd_arrays(frequency, recency, T)
        r, alpha, s, beta = attrs.astuple(self.params)
        return np.asarray(expit(-log_odds_dead(r, alpha, s, beta, x, t_x, age)), dtype=np.float64)

    def expected_purchases(
        self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """Expected purchases in the next ``t`` time units, given each history (SMC 1987, eq. 22).

        ``(r + x)(beta + T) / ((alpha + T)(s - 1)) [1 - ((beta + T)/(beta + T + t))^(s - 1)]``
        times P(alive), with its limit ``log((beta + T + t)/(beta + T))`` for
        the bracket over ``s - 1`` when ``s = 1``.

        Args:
            t: Length of the prediction window, in the time unit of the data.
            frequency: Repeat purchases ``x``.
            recency: Age at the last repeat purchase ``t_x``.
            T: Age at the end of observation.

        Returns:
            One expected count per customer.
        """
        _check_window(t, allow_zero=True)
        x, t_x, age = btyd_arrays(frequency, recency, T)
        r, alpha, s, beta = attrs.astuple(self.params)
        alive = expit(-log_odds_dead(r, alpha, s, beta, x, t_x, age))
        span = np.log1p(t / (beta + age))
        result = (r + x) * (beta + age) / (alpha + age) * _power_ratio(s - 1, span) * alive
        return np.asarray(result, dtype=np.float64)

    def expected_purchases_new_customer(self, t: float | ArrayLike) -> FloatArray:
        """Expected repeat purchases of a new customer in ``(0, t]`` (SMC 1987, eq. 17).

        Args:
            t: Length of the window, or several, in the time unit of the data.

        Returns:
            One expected count per window.
        """
        span = float_array("t", [t] if isinstance(t, int | float) else t, minimum=0)
        r, alpha, s, beta = attrs.astuple(self.params)
        result = r * beta / alpha * _power_ratio(s - 1, np.log1p(span / beta))
        return np.asarray(result, dtype=np.float64)

    def probability_of_purchases(self, n: ArrayLike, t: float) -> FloatArray:
        """Probability that a new customer makes exactly ``n`` repeat purchases in ``(0, t]``.

        A customer alive throughout buys a negative binomial number
        ``NB(n; r, alpha / (alpha + t))``; one who dies at ``tau < t`` buys
        ``NB(n; r, alpha / (alpha + tau))``. The death time has density
        ``s beta^s / (beta + tau)^(s + 1)`` (Fader, Hardie & Lee 2005, "A note
        on deriving the Pareto/NBD model and related expressions"), so the
        probability is one closed-form term plus an integral over ``tau``,
        computed by adaptive quadrature.

        Args:
            n: Purchase counts (whole numbers >= 0).
            t: Length of the window, in the time unit of the data.

        Returns:
            One probability per count.

        Example:
            >>> fit = ParetoNBDFit(ParetoNBDParams(r=0.553, alpha=10.58, s=0.606, beta=11.67))
            >>> print(f"{fit.probability_of_purchases(range(400), 39.0).sum():.6f}")
            1.000000
        """
        _check_window(t, allow_zero=False)
        x = float_array("n", n, minimum=0, integer=True)
        r, alpha, s, beta = attrs.astuple(self.params)
        log_coefficient = gammaln(r + x) - gammaln(r) - gammaln(x + 1)

        def counts(tau: float) -> FloatArray:
            if tau <= 0:
                return np.asarray(x == 0, dtype=np.float64)
            log_pmf = log_coefficient + r * np.log(alpha / (alpha + tau)) + x * np.log(tau / (alpha + tau))
            return np.asarray(np.exp(log_pmf), dtype=np.float64)

        def dying(tau: float) -> FloatArray:
            return np.asarray(s / beta * (beta / (beta + tau)) ** (s + 1) * counts(tau), dtype=np.float64)

        integral, _ = quad_vec(dying, 0.0, float(t), epsabs=1e-14, epsrel=1e-12)
        survived = (beta / (beta + t)) ** s * counts(float(t))
        return np.asarray(survived + integral, dtype=np.float64)


def _check_window(t: object, *, allow_zero: bool) -> None:
    ok = isinstance(t, int | float) and math.isfinite(t) and (t >= 0 if allow_zero else t > 0)
    if not ok:
        raise ValidationError.single(
            "t", f"must be a finite number {'>=' if allow_zero else '>'} 0, not {t!r}"
        )


def _power_ratio(k: float, span: FloatArray) -> FloatArray:
    """``(1 - exp(-k span)) / k``, with its limit ``span`` at ``k = 0``."""
    if abs(k) < 1e-12:
        return np.asarray(span, dtype=np.float64)
    return np.asarray(-np.expm1(-k * span) / k, dtype=np.float64)


@attrs.frozen
class ParetoNBD:
    """The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), fitted by maximum likelihood.

    The log-likelihood is "alive at ``T``" plus "died after the last purchase",
    the second an integral over the time of death computed by Gauss-Legendre
    quadrature to double precision at a cost that does not depend on the
    parameters; its gradient is analytic (differentiated under the integral).
    Both are evaluated once per distinct ``(frequency, recency, T)`` row
    weighted by its count, and L-BFGS-B works on the logarithms of the
    parameters. Where the likelihood keeps rising towards a boundary (``s`` and
    ``beta`` growing together when dropout rates do not vary between
    customers), the fit raises
    [ConvergenceError][relcore.value.models.errors.ConvergenceError] and says so.

    Attributes:
        max_iterations: Iteration limit of the optimizer.
        max_evaluations: Most likelihood evaluations the optimizer may ask for (checking
            the stop and the standard errors take two more, plus two per parameter).
        tolerance: Relative tolerance on the per-customer log-likelihood and its gradient.

    Example:
        >>> from relcore.value.models.simulate import simulate_pareto_nbd
        >>> truth = ParetoNBDParams(r=0.5, alpha=10.0, s=0.6, beta=12.0)
        >>> sim = simulate_pareto_nbd(truth, np.full(4000, 39.0), np.random.default_rng(0))
        >>> fit = ParetoNBD().fit(sim.frequency, sim.recency, sim.T)
        >>> abs(fit.params.r - truth.r) < 4 * fit.standard_errors.r
        True
    """

    max_iterations: int = 1000
    max_evaluations: int = 2000
    tolerance: float = 1e-12

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> ParetoNBDFit:
        """Fit the model to per-customer summaries.

        Args:
            frequency: Repeat purchases ``x`` of each customer (whole numbers).
            recency: Age at the last repeat purchase ``t_x`` (0 when ``x`` is 0).
            T: Age at the end of observation.
            weights: Optional count of customers each row stands for.

        Returns:
            The fit, with parameters, log-likelihood and standard errors.

        Raises:
            ValidationError: If an input is invalid; the path names the row.
            ConvergenceError: If the optimizer finds no maximum within the budget,
                or the predictions at the fitted parameters are not finite.
        """
        return maximize_purchases(
            ParetoNBDLikelihood,
            lambda scale: (1.0, scale, 1.0, scale),
            frequency,
            recency,
            T,
            weights,
            names=_NAMES,
            model="ParetoNBD",
            budget=Budget(
                max_iterations=self.max_iterations,
                max_evaluations=self.max_evaluations,
                tolerance=self.tolerance,
            ),
            fit_type=ParetoNBDFit,
            params_type=ParetoNBDParams,
        )
