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
from scipy.special import digamma, gammaln

from relcore.errors import ValidationError
from relcore.value._arrays import ArrayLike, FloatArray, collapse, float_array, same_length, weight_array
from relcore.value._optimize import maximize

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
        shape = p * x + q  # of the posterior of the customer's rate; its inverse has a mean only above 1
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = p * (v + x * z) / (shape - 1)
        return np.asarray(np.where(shape > 1, mean, np.inf), dtype=np.float64)


@attrs.frozen
class GammaGamma:
    """The Gamma-Gamma spend model, fitted by maximum likelihood.

    Attributes:
        max_iterations: Iteration limit of the optimizer.
        tolerance: Relative tolerance on the per-customer log-likelihood and its gradient.

    A handful of customers rarely identifies three parameters: on too little
    data the likelihood keeps rising as ``q`` and ``v`` grow together (spend
    that hardly varies between customers), and the fit raises
    [`ConvergenceError`][relcore.value.ConvergenceError] rather than return such a
    boundary.

    Example:
        >>> import numpy as np
        >>> from relcore.value.simulate import simulate_gamma_gamma
        >>> truth = GammaGammaParams(p=6.25, q=3.74, v=15.44)  # FHL (2005), CDNOW
        >>> rng = np.random.default_rng(7)
        >>> x = rng.integers(1, 8, 3000)
        >>> fit = GammaGamma().fit(x, simulate_gamma_gamma(truth, x, rng))
        >>> abs(fit.params.p - truth.p) < 4 * fit.standard_errors.p
        True
    """

    max_iterations: int = 1000
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
            ConvergenceError: If the optimizer finds no maximum.
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
        (x, z), w = collapse((x[repeat], z[repeat]), w[repeat])
        mean = float(np.average(z, weights=w))
        optimum = maximize(
            lambda theta: _log_likelihood(theta, x, z, w),
            (1.0, 2.0, mean),
            names=("p", "q", "v"),
            model="GammaGamma",
            total_weight=float(w.sum()),
            max_iterations=self.max_iterations,
            tolerance=self.tolerance,
        )
        return optimum.to_fit(GammaGammaFit, GammaGammaParams)


def _log_likelihood(
    theta: FloatArray, x: FloatArray, z: FloatArray, w: FloatArray
) -> tuple[float, FloatArray]:
    """Weighted log-likelihood of the mean spends ``z`` and its gradient in (p, q, v)."""
    p, q, v = theta
    px = p * x
    log_vxz = np.log(v + x * z)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(z)
        + px * np.log(x)
        - (px + q) * log_vxz
    )
    psi = digamma(px + q)
    g_p = x * (psi - digamma(px) + np.log(z) + np.log(x) - log_vxz)
    g_q = psi - digamma(q) + np.log(v) - log_vxz
    g_v = q / v - (px + q) / (v + x * z)
    return float(np.dot(w, ll)), np.array([np.dot(w, g) for g in (g_p, g_q, g_v)])
