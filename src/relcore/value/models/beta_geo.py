"""The BG/NBD model of repeat purchasing (beta-geometric / negative binomial).

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers
the easy way: an alternative to the Pareto/NBD model." *Marketing Science*
24(2), 275-284. While alive, a customer buys at a Poisson rate ``lambda``
(gamma-distributed across customers with shape ``r`` and rate ``alpha``);
after each repeat purchase they drop out with probability ``p``
(beta-distributed with parameters ``a`` and ``b``).
"""

from __future__ import annotations

import math

import attrs
import numpy as np
from scipy.special import betainc, betaln, gammaln

from relcore.errors import ValidationError
from relcore.value.models import _beta_geo_predictions as predictions
from relcore.value.models._arrays import ArrayLike, FloatArray, btyd_arrays, float_array
from relcore.value.models._beta_geo_likelihood import BetaGeoLikelihood
from relcore.value.models._optimize import Budget, maximize_purchases

__all__ = ["BetaGeo", "BetaGeoFit", "BetaGeoParams"]

_NAMES = ("r", "alpha", "a", "b")


@attrs.frozen
class BetaGeoParams:
    """Parameters of the BG/NBD model, named as in Fader, Hardie & Lee (2005).

    Attributes:
        r: Shape of the gamma distribution of purchase rates.
        alpha: Rate (inverse scale) of that gamma distribution, in the time unit of the data.
        a: First shape of the beta distribution of dropout probabilities.
        b: Second shape of that beta distribution.
    """

    r: float
    alpha: float
    a: float
    b: float


@attrs.frozen
class BetaGeoFit:
    """A fitted (or given) BG/NBD model and its predictions.

    Build one from known parameters with ``BetaGeoFit(BetaGeoParams(...))``;
    [`BetaGeo.fit`][relcore.value.BetaGeo.fit] also fills in the likelihood and standard errors.

    Attributes:
        params: The parameters.
        log_likelihood: Log-likelihood at ``params`` (NaN when not fitted).
        standard_errors: Standard errors of the parameters, from the inverse
            Hessian at the optimum (``None`` when not fitted).
        iterations: Optimizer iterations (0 when not fitted).

    Example:
        >>> fit = BetaGeoFit(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
        >>> round(float(fit.probability_alive([2], [30.43], [38.86])[0]), 3)
        0.727
        >>> round(float(fit.expected_purchases(39, [2], [30.43], [38.86])[0]), 3)
        1.226
        >>> round(float(fit.expected_purchases_new_customer([39.0])[0]), 3)
        1.197
    """

    params: BetaGeoParams
    log_likelihood: float = math.nan
    standard_errors: BetaGeoParams | None = None
    iterations: int = 0

    def probability_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:
        """Probability that each customer is still alive at age ``T``.

        Fader, Hardie & Lee (2008), "Computing P(alive) using the BG/NBD model".

        Args:
            frequency: Repeat purchases ``x``.
            recency: Age at the last repeat purchase ``t_x``.
            T: Age at the end of observation.

        Returns:
            One probability per customer.
        """
        x, t_x, age = btyd_arrays(frequency, recency, T)
        r, alpha, a, b = attrs.astuple(self.params)
        log_age = np.log(alpha + age)
        return predictions.probability_alive(r, alpha, a, b, x, t_x, log_age, modified=False)

    def expected_purchases(
        self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """Expected purchases in the next ``t`` time units, given each history (FHL 2005).

        Args:
            t: Length of the prediction window, in the time unit of the data.
            frequency: Repeat purchases ``x``.
            recency: Age at the last repeat purchase ``t_x``.
            T: Age at the end of observation.

        Returns:
            One expected count per customer.
        """
        if not (isinstance(t, int | float) and math.isfinite(t) and t >= 0):
            raise ValidationError.single("t", f"must be a finite number >= 0, not {t!r}")
        x, t_x, age = btyd_arrays(frequency, recency, T)
        r, alpha, a, b = attrs.astuple(self.params)
        return predictions.expected_purchases(r, alpha, a, b, t, x, t_x, age, modified=False)

    def expected_purchases_new_customer(self, t: float | ArrayLike) -> FloatArray:
        """Expected repeat purchases of a new customer in ``(0, t]`` (FHL 2005).

        Args:
            t: Length of the window, or several, in the time unit of the data.

        Returns:
            One expected count per window.
        """
        span = float_array("t", [t] if isinstance(t, int | float) else t, minimum=0)
        r, alpha, a, b = attrs.astuple(self.params)
        return predictions.expected_purchases_new_customer(r, alpha, a, b, span, modified=False)

    def probability_of_purchases(self, n: ArrayLike, t: float) -> FloatArray:
        """Probability that a new customer makes exactly ``n`` repeat purchases in ``(0, t]`` (FHL 2005).

        The paper's ``P(X(t) = x)``: alive throughout with ``x`` purchases,
        or dropped out after the ``x``-th; the sum over ``j < x`` is a negative
        binomial tail, a regularized incomplete beta function.

        Args:
            n: Purchase counts (whole numbers >= 0).
            t: Length of the window, in the time unit of the data.

        Returns:
            One probability per count.

        Example:
            >>> fit = BetaGeoFit(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
            >>> round(float(fit.probability_of_purchases(range(200), 39.0).sum()), 6)
            1.0
        """
        if not (isinstance(t, int | float) and math.isfinite(t) and t > 0):
            raise ValidationError.single("t", f"must be a finite number > 0, not {t!r}")
        x = float_array("n", n, minimum=0, integer=True)
        r, alpha, a, b = attrs.astuple(self.params)
        rate = alpha / (alpha + t)
        log_pmf = gammaln(r + x) - gammaln(r) - gammaln(x + 1) + r * np.log(rate) + x * np.log1p(-rate)
        alive = np.exp(betaln(a, b + x) - betaln(a, b) + log_pmf)
        at_least = betainc(np.maximum(x, 1), r, 1 - rate)  # negative binomial P(N >= x)
        gone = np.exp(betaln(a + 1, np.maximum(b + x - 1, 1e-300)) - betaln(a, b)) * at_least
        return np.asarray(alive + np.where(x > 0, gone, 0.0), dtype=np.float64)


@attrs.frozen
class BetaGeo:
    """The BG/NBD model (Fader, Hardie & Lee 2005), fitted by maximum likelihood.

    The log-likelihood (eq. 6 of the paper, in log space) and its analytic
    gradient are evaluated once per distinct ``(frequency, recency, T)`` row,
    weighted by its count; L-BFGS-B works on the logarithms of the parameters.

    Attributes:
        max_iterations: Iteration limit of the optimizer.
        max_evaluations: Most likelihood evaluations the optimizer may ask for (checking
            the stop and the standard errors take two more, plus two per parameter).
        tolerance: Relative tolerance on the per-customer log-likelihood and
            its gradient.

    Example:
        >>> from relcore.value.models.simulate import simulate_beta_geo
        >>> truth = BetaGeoParams(r=0.25, alpha=4.0, a=0.8, b=2.5)
        >>> sim = simulate_beta_geo(truth, np.full(5000, 39.0), np.random.default_rng(0))
        >>> fit = BetaGeo().fit(sim.frequency, sim.recency, sim.T)
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
    ) -> BetaGeoFit:
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
            BetaGeoLikelihood,
            lambda scale: (1.0, scale, 1.0, 1.0),
            frequency,
            recency,
            T,
            weights,
            names=_NAMES,
            model="BetaGeo",
            budget=Budget(
                max_iterations=self.max_iterations,
                max_evaluations=self.max_evaluations,
                tolerance=self.tolerance,
            ),
            fit_type=BetaGeoFit,
            params_type=BetaGeoParams,
        )
