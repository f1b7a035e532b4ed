"""The Gamma-Gamma model of the value of a customer's purchases.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "RFM and CLV: using
iso-value curves for customer base analysis." *Journal of Marketing Research*
42(4), 415-430; the likelihood as in Fader & Hardie (2013), "The Gamma-Gamma
model of monetary value". Each purchase of a customer is gamma-distributed
with shape ``p`` and rate ``nu``; ``nu`` is gamma-distributed across customers
with shape ``q`` and rate ``v``. Only customers with repeat purchases
(``frequency > 0``) carry information and enter the fit.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from relcore.errors import ValidationError
from relcore.value.models._arrays import (
    ArrayLike,
    FloatArray,
    collapse,
    float_array,
    same_length,
    weight_array,
)
from relcore.value.models._gamma_gamma_likelihood import GammaGammaLikelihood
from relcore.value.models._optimize import Budget, maximize
from relcore.value.models.errors import ConvergenceError

__all__ = ["GammaGamma", "GammaGammaFit", "GammaGammaParams"]


@attrs.frozen
class GammaGammaParams:
    """Parameters of the Gamma-Gamma model, named as in Fader, Hardie & Lee (2005).

    Attributes:
        p: Shape of the gamma distribution of a single purchase's value.
        q: Shape of the gamma distribution of that distribution's rate across customers.
        v: Rate of the gamma distribution across customers, in money units.
    """

    p: float
    q: float
    v: float


@attrs.frozen
class GammaGammaFit:
    """A fitted (or given) Gamma-Gamma model and its predictions.

    Attributes:
        params: The parameters.
        log_likelihood: Log-likelihood at ``params`` (NaN when not fitted).
        standard_errors: Standard errors from the inverse Hessian (``None`` when not fitted).
        iterations: Optimizer iterations (0 when not fitted).

    Example:
        >>> fit = GammaGammaFit(GammaGammaParams(p=6.25, q=3.74, v=15.44))
        >>> spend = fit.expected_spend([0, 1, 10], [0.0, 20.0, 20.0])
        >>> print(", ".join(f"{x:.2f}" for x in spend))
        35.22, 24.64, 20.64
    """

    params: GammaGammaParams
    log_likelihood: float = math.nan
    standard_errors: GammaGammaParams | None = None
    iterations: int = 0

    def expected_spend(self, frequency: ArrayLike, monetary: ArrayLike) -> FloatArray:
        """Expected value of a customer's future purchase, given their history.

        A weighted mean of the population mean ``p v / (q - 1)`` and the
        customer's own mean ``monetary`` (Fader, Hardie & Lee 2005; Fader & Hardie
        2013); customers without repeat purchases get the population mean.

        Args:
            frequency: Repeat purchases ``x``.
            monetary: Mean value of those purchases (ignored when ``x`` is 0).

        Returns:
            One expected value per customer (infinite when ``q <= 1``).
        """
        x = float_array("frequency", frequency, minimum=0, integer=True)
        z = float_array("monetary", monetary, minimum=0)
        same_length(frequency=x, monetary=z)
        p, q, v = attrs.astuple(self.params)
        denominator = p * x + q - 1  # the posterior mean exists only where this is positive
        with np.errstate(divide="ignore", invalid="ignore"):
            spend = p * (v + x * z) / denominator
        return np.asarray(np.where(denominator > 0, spend, np.inf), dtype=np.float64)


@attrs.frozen
class GammaGamma:
    """The Gamma-Gamma spend model, fitted by maximum likelihood.

    Attributes:
        max_iterations: Iteration limit of the optimizer.
        max_evaluations: Most likelihood evaluations the optimizer may ask for (checking
            the stop and the standard errors take two more, plus two per parameter).
        tolerance: Relative tolerance on the per-customer log-likelihood and its gradient.

    A handful of customers rarely identifies three parameters: on too little
    data the likelihood keeps rising as ``q`` and ``v`` grow together (spend
    that hardly varies between customers), and the fit raises
    [`ConvergenceError`][relcore.value.ConvergenceError] rather than return such a
    boundary.

    Example:
        >>> import numpy as np
        >>> from relcore.value.models.simulate import simulate_gamma_gamma
        >>> truth = GammaGammaParams(p=6.25, q=3.74, v=15.44)  # FHL (2005), CDNOW
        >>> rng = np.random.default_rng(7)
        >>> x = rng.integers(1, 8, 3000)
        >>> fit = GammaGamma().fit(x, simulate_gamma_gamma(truth, x, rng))
        >>> abs(fit.params.p - truth.p) < 4 * fit.standard_errors.p
        True
    """

    max_iterations: int = 1000
    max_evaluations: int = 2000
    tolerance: float = 1e-12

    def fit(
        self, frequency: ArrayLike, monetary: ArrayLike, weights: ArrayLike | None = None
    ) -> GammaGammaFit:
        """Fit the model to the repeat buyers among the given customers.

        Args:
            frequency: Repeat purchases ``x`` of each customer; rows with 0 are skipped.
            monetary: Mean value of those purchases (positive where ``x > 0``).
            weights: Optional count of customers each row stands for.

        Returns:
            The fit, with parameters, log-likelihood and standard errors.

        Raises:
            ValidationError: If an input is invalid; the path names the row.
            ConvergenceError: If the optimizer finds no maximum within the budget, or
                the expected spend at the fitted parameters is not finite.
        """
        x = float_array("frequency", frequency, minimum=0, integer=True)
        z = float_array("monetary", monetary, minimum=0)
        same_length(frequency=x, monetary=z)
        w = weight_array(weights, len(x))
        zero = (x > 0) & (z == 0)
        if zero.any():
            i = int(np.argmax(zero))
            raise ValidationError.single(f"monetary[{i}]", "must be positive when frequency is positive")
        repeat = (x > 0) & (w > 0)
        if not repeat.any():
            raise ValidationError.single("frequency", "no customer has a repeat purchase")
        (x, z), w = collapse((x[repeat], z[repeat]), w[repeat], merge=True)
        mean = float(np.average(z, weights=w))
        optimum = maximize(
            GammaGammaLikelihood(x, z, w),
            (1.0, 2.0, mean),
            names=("p", "q", "v"),
            model="GammaGamma",
            total_weight=float(w.sum()),
            budget=Budget(
                max_iterations=self.max_iterations,
                max_evaluations=self.max_evaluations,
                tolerance=self.tolerance,
            ),
        )
        fit = optimum.to_fit(GammaGammaFit, GammaGammaParams)
        if not np.isfinite(fit.expected_spend(np.r_[0.0, x], np.r_[0.0, z])).all():
            raise ConvergenceError(
                "GammaGamma",
                "the expected spend at the fitted parameters is not finite: with q <= 1 the spend "
                "of a new customer has no mean",
                optimum.iterations,
                optimum.gradient_norm,
                dict(zip(("p", "q", "v"), optimum.values.tolist(), strict=True)),
            )
        return fit
