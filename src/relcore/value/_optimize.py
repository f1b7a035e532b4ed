"""Maximum likelihood in log-parameter space, with standard errors from the Hessian."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs
import numpy as np
from scipy.optimize import minimize

from relcore.errors import ValidationError
from relcore.value._arrays import ArrayLike, FloatArray, btyd_arrays, collapse, weight_array
from relcore.value.errors import ConvergenceError

FitT = TypeVar("FitT")

#: (natural parameters) -> (log-likelihood, gradient of the log-likelihood)
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

_BOUND = 30.0  # |log parameter| never beyond this: parameters within e^-30 .. e^30
_STEP = 1e-5  # finite-difference step of the Hessian, in log-parameter space
_GRADIENT_OK = 1e-5  # a stop with a larger per-customer gradient is a failure


@attrs.frozen(eq=False)
class Optimum:
    """Where the likelihood is largest, with standard errors of the parameters."""

    values: FloatArray
    log_likelihood: float
    standard_errors: FloatArray
    iterations: int

    def to_fit(self, fit_type: Callable[..., FitT], params_type: Callable[..., Any]) -> FitT:
        """The model's frozen fit result: parameters and standard errors as ``params_type``."""
        return fit_type(
            params=params_type(*self.values.tolist()),
            log_likelihood=self.log_likelihood,
            standard_errors=params_type(*self.standard_errors.tolist()),
            iterations=self.iterations,
        )


#: (frequency, recency, T, weights), checked and collapsed -> the objective of a purchase model
PurchaseLikelihood = Callable[[FloatArray, FloatArray, FloatArray, FloatArray], Objective]


def maximize_purchases(
    likelihood: PurchaseLikelihood,
    start: Callable[[float], Sequence[float]],
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None,
    *,
    names: Sequence[str],
    model: str,
    max_iterations: int,
    tolerance: float,
) -> Optimum:
    """Fit a purchase model (BG/NBD, MBG/NBD, Pareto/NBD) to per-customer summaries.

    Checks the summaries, merges identical rows into weights, and maximizes
    ``likelihood`` from ``start(mean T)``.
    """
    x, t_x, age = btyd_arrays(frequency, recency, T)
    w = weight_array(weights, len(x))
    if not (w[x > 0] > 0).any():
        raise ValidationError.single("frequency", "no customer has a repeat purchase")
    (x, t_x, age), w = collapse((x, t_x, age), w)
    return maximize(
        likelihood(x, t_x, age, w),
        start(max(float(np.average(age, weights=w)), 1e-6)),
        names=names,
        model=model,
        total_weight=float(w.sum()),
        max_iterations=max_iterations,
        tolerance=tolerance,
    )


def maximize(
    objective: Objective,
    start: Sequence[float],
    *,
    names: Sequence[str],
    model: str,
    total_weight: float,
    max_iterations: int,
    tolerance: float,
) -> Optimum:
    """Maximize ``objective`` over positive parameters with L-BFGS-B on their logarithms.

    The objective is scaled by ``1 / total_weight`` so the tolerances do not
    depend on the number of customers. Standard errors come from the inverse of
    the Hessian in log space (central differences of the analytic gradient),
    carried to the natural parameters by the delta method. A Hessian that is
    not positive definite (a flat or saddle-shaped likelihood) is a failure.
    """

    def scaled(u: FloatArray) -> tuple[float, FloatArray]:
        theta = np.exp(u)
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            ll, grad = objective(theta)
        if not (np.isfinite(ll) and np.isfinite(grad).all()):
            return np.inf, np.zeros_like(u)
        return -ll / total_weight, -grad * theta / total_weight

    u0 = np.log(np.asarray(start, dtype=np.float64))
    result = minimize(
        scaled,
        u0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_BOUND, _BOUND)] * len(u0),
        options={"maxiter": max_iterations, "ftol": tolerance, "gtol": tolerance},
    )
    u = np.asarray(result.x, dtype=np.float64)
    value, gradient = scaled(u)
    gradient_norm = float(np.max(np.abs(gradient))) if np.isfinite(value) else float("inf")
    iterations = int(result.nit)

    def fail(reason: str) -> ConvergenceError:
        last = dict(zip(names, np.exp(u).tolist(), strict=True))
        return ConvergenceError(model, reason, iterations, gradient_norm, last)

    if not np.isfinite(value):
        raise fail("the likelihood is not finite where the optimizer stopped")
    if not result.success and (iterations >= max_iterations or gradient_norm > _GRADIENT_OK):
        raise fail(f"the optimizer stopped: {result.message}")
    if np.any(np.abs(u) >= _BOUND - 1e-6):
        raise fail("a parameter ran to its bound (the data may not identify the model)")
    standard_errors = _standard_errors(scaled, u, total_weight)
    if standard_errors is None:
        raise fail("the Hessian is not positive definite, so the maximum is not well defined")
    return Optimum(
        values=np.exp(u),
        log_likelihood=-value * total_weight,
        standard_errors=standard_errors,
        iterations=iterations,
    )


def _standard_errors(
    scaled: Callable[[FloatArray], tuple[float, FloatArray]], u: FloatArray, total_weight: float
) -> FloatArray | None:
    k = len(u)
    hessian = np.empty((k, k))
    for j in range(k):
        step = np.zeros(k)
        step[j] = _STEP
        hessian[:, j] = (scaled(u + step)[1] - scaled(u - step)[1]) / (2 * _STEP)
    hessian = (hessian + hessian.T) / 2 * total_weight
    try:
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return None
    covariance = np.linalg.inv(hessian)
    return np.asarray(np.exp(u) * np.sqrt(np.diag(covariance)), dtype=np.float64)
