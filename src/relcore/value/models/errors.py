"""Errors of the value models.

``ConvergenceError`` extends the error tree of [`relcore.errors`][]:

    RelcoreError
    └── ConvergenceError      the optimizer found no maximum of the likelihood
"""

from __future__ import annotations

from collections.abc import Mapping

from relcore.errors import RelcoreError

__all__ = ["ConvergenceError"]


class ConvergenceError(RelcoreError):
    """The optimizer could not find the maximum-likelihood estimate.

    Args:
        model: Name of the model being fitted (``"BetaGeo"``).
        reason: What went wrong, in the optimizer's or relcore's words.
        iterations: Iterations the optimizer ran.
        gradient_norm: Largest absolute gradient component (per customer, in
            log-parameter space) where the optimizer stopped.
        last_params: The parameter values where the optimizer stopped.

    Example:
        >>> error = ConvergenceError("BetaGeo", "too many iterations", 5, 0.3, {"r": 0.2})
        >>> str(error)
        "BetaGeo did not converge: too many iterations (5 iterations, gradient 0.3, at {'r': 0.2})"
    """

    def __init__(
        self,
        model: str,
        reason: str,
        iterations: int,
        gradient_norm: float,
        last_params: Mapping[str, float],
    ) -> None:
        self.model = model
        self.reason = reason
        self.iterations = iterations
        self.gradient_norm = gradient_norm
        self.last_params = dict(last_params)
        super().__init__(
            f"{model} did not converge: {reason} ({iterations} iterations, "
            f"gradient {gradient_norm:.3g}, at {self.last_params})"
        )
