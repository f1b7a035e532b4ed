"""Maximum likelihood in log-parameter space, with standard errors from the Hessian.

Every fit ends after a bounded number of likelihood evaluations (at most
``max_evaluations`` by the optimizer, then two to check where it stopped and
``2k`` for the Hessian of ``k`` parameters) with either a result or a
[ConvergenceError][relcore.value.models.errors.ConvergenceError] that says why: the
likelihood is not finite, the evaluation or iteration budget ran out, the line
search made no progress, a parameter ran to its bound, the likelihood keeps
rising beyond the stop (a ridge towards a boundary: the data do not identify
the model), the Hessian is not positive definite, or the fitted model's
predictions are not finite. Parameters that moved by a factor of more than a
million from where the search started are named in the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import attrs
import numpy as np
from scipy.optimize import minimize

from relcore.errors import ValidationError
from relcore.value.models._arrays import ArrayLike, FloatArray, btyd_arrays, collapse, weight_array
from relcore.value.models.errors import ConvergenceError

FitT = TypeVar("FitT")

#: (natural parameters) -> (log-likelihood, gradient of the log-likelihood)
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

_BOUND = 30.0  # |log parameter| never beyond this: parameters within e^-30 .. e^30
_STEP = 1e-5  # finite-difference step of the Hessian, in log-parameter space
_GRADIENT_OK = 1e-5  # a stop with a larger per-customer gradient is a failure
_RUNAWAY = math.log(1e6)  # a parameter this far (in log) from its start is named in a failure
_FLAT = 1e-10  # ten times further along, a per-customer log-likelihood this close is no lower


@attrs.frozen(eq=False)
class Optimum:
    """Where the likelihood is largest, with standard errors of the parameters."""

    values: FloatArray
    log_likelihood: float
    standard_errors: FloatArray
    iterations: int
    gradient_norm: float

    def to_fit(self, fit_type: Callable[..., FitT], params_type: Callable[..., Any]) -> FitT:
        """The model's frozen fit result: parameters and standard errors as ``params_type``."""
        return fit_type(
            params=params_type(*self.values.tolist()),
            log_likelihood=self.log_likelihood,
            standard_errors=params_type(*self.standard_errors.tolist()),
            iterations=self.iterations,
        )


class PurchaseFit(Protocol):
    """The predictions of a fitted purchase model that a fit checks before returning it."""

    def expected_purchases(
        self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """Expected purchases in the next ``t`` of each history."""

    def expected_purchases_new_customer(self, t: float | ArrayLike) -> FloatArray:
        """Expected purchases of a new customer in ``(0, t]``."""


PurchaseFitT = TypeVar("PurchaseFitT", bound=PurchaseFit)

#: (frequency, recency, T, weights), checked and collapsed -> the objective of a purchase model
PurchaseLikelihood = Callable[[FloatArray, FloatArray, FloatArray, FloatArray], Objective]


@attrs.frozen(kw_only=True)
class Budget:
    """How long a fit may search: iterations, likelihood evaluations, and the tolerance of a stop."""

    max_iterations: int
    max_evaluations: int
    tolerance: float


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
    budget: Budget,
    fit_type: Callable[..., PurchaseFitT],
    params_type: Callable[..., Any],
) -> PurchaseFitT:
    """Fit a purchase model (BG/NBD, MBG/NBD, Pareto/NBD) to per-customer summaries.

    Checks the summaries, merges identical rows into weights, maximizes
    ``likelihood`` from ``start(mean T)``, and checks that the fitted model's
    predictions are finite: the expected purchases (P(alive) times the
    purchases of the living) of every fitted customer and of a new customer
    over ten times the longest age.
    """
    x, t_x, age = btyd_arrays(frequency, recency, T)
    w = weight_array(weights, len(x))
    if not (w[x > 0] > 0).any():
        raise ValidationError.single("frequency", "no customer has a repeat purchase")
    (x, t_x, age), w = collapse((x, t_x, age), w)
    optimum = maximize(
        likelihood(x, t_x, age, w),
        start(max(float(np.average(age, weights=w)), 1e-6)),
        names=names,
        model=model,
        total_weight=float(w.sum()),
        budget=budget,
    )
    fit = optimum.to_fit(fit_type, params_type)
    span = 10 * max(float(age.max()), 1e-6)  # the hypergeometric terms are hardest far ahead
    predictions = [fit.expected_purchases(span, x, t_x, age), fit.expected_purchases_new_customer([span])]
    if not all(bool(np.isfinite(p).all()) for p in predictions):
        raise ConvergenceError(
            model,
            "the predictions at the fitted parameters are not finite for every fitted customer",
            optimum.iterations,
            optimum.gradient_norm,
            dict(zip(names, optimum.values.tolist(), strict=True)),
        )
    return fit


class _OutOfEvaluations(Exception):
    """The optimizer asked for more likelihood evaluations than the budget allows."""


class _Search:
    """The scaled objective as the optimizer sees it: counted, with the best point kept."""

    def __init__(self, scaled: Callable[[FloatArray], tuple[float, FloatArray]], most: int, u0: FloatArray):
        self.scaled, self.most = scaled, most
        self.evaluations = 0
        self.iterations = 0
        self.best, self.best_value = u0, np.inf

    def step(self, _: Any) -> None:
        """Called by the optimizer after each iteration."""
        self.iterations += 1

    def __call__(self, u: FloatArray) -> tuple[float, FloatArray]:
        if self.evaluations >= self.most:
            raise _OutOfEvaluations
        self.evaluations += 1
        value, gradient = self.scaled(u)
        if value < self.best_value:
            self.best, self.best_value = np.array(u, dtype=np.float64), value
        return value, gradient


def maximize(
    objective: Objective,
    start: Sequence[float],
    *,
    names: Sequence[str],
    model: str,
    total_weight: float,
    budget: Budget,
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
    search = _Search(scaled, budget.max_evaluations, u0)
    try:
        result = minimize(
            search,
            u0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-_BOUND, _BOUND)] * len(u0),
            callback=search.step,
            options={"maxiter": budget.max_iterations, "ftol": budget.tolerance, "gtol": budget.tolerance},
        )
    except _OutOfEvaluations:
        result = None
    u = search.best if result is None else np.asarray(result.x, dtype=np.float64)
    value, gradient = scaled(u)
    gradient_norm = float(np.max(np.abs(gradient))) if np.isfinite(value) else float("inf")
    iterations = search.iterations if result is None else int(result.nit)

    def fail(reason: str) -> ConvergenceError:
        parameters = dict(zip(names, np.exp(u).tolist(), strict=True))
        return ConvergenceError(model, reason + _runaway(names, u, u0), iterations, gradient_norm, parameters)

    if result is None:
        raise fail(f"the budget of {budget.max_evaluations} likelihood evaluations ran out")
    if not np.isfinite(value):
        raise fail("the likelihood is not finite where the optimizer stopped")
    if not result.success and (iterations >= budget.max_iterations or gradient_norm > _GRADIENT_OK):
        if iterations >= budget.max_iterations:
            raise fail(f"the limit of {budget.max_iterations} iterations ran out")
        raise fail(f"no progress: the optimizer stopped ({result.message}) with the gradient not yet 0")
    if np.any(np.abs(u) >= _BOUND - 1e-6):
        raise fail("a parameter ran to its bound (e^-30 or e^30)")
    rising = _still_rising(scaled, names, u, u0, value)
    if rising:
        raise ConvergenceError(
            model,
            f"the likelihood keeps rising as {rising}: its supremum lies at a boundary of the "
            "parameters, not at a maximum (the data may not identify the model)",
            iterations,
            gradient_norm,
            dict(zip(names, np.exp(u).tolist(), strict=True)),
        )
    standard_errors = _standard_errors(scaled, u, total_weight)
    if standard_errors is None:
        raise fail("the Hessian is not positive definite, so the maximum is not well defined")
    return Optimum(
        values=np.exp(u),
        log_likelihood=-value * total_weight,
        standard_errors=standard_errors,
        iterations=iterations,
        gradient_norm=gradient_norm,
    )


def _still_rising(
    scaled: Callable[[FloatArray], tuple[float, FloatArray]],
    names: Sequence[str],
    u: FloatArray,
    u0: FloatArray,
    value: float,
) -> str:
    """How the parameters move, if the likelihood is no lower when they move ten times further.

    The optimizer stops where the likelihood stops rising noticeably; on a
    ridge that rises towards a boundary (say ``s`` and ``beta`` growing
    together when dropout rates do not vary between customers, or ``p``
    growing as ``v`` shrinks) that happens anywhere far out. The parameters
    that moved most from the start (by at least half the largest move) are
    moved on by another factor of ten each, the way they went; the others stay.
    Along such a ridge the likelihood is then at least as high, while from a
    maximum it is clearly lower. Returns ``""`` at a maximum, else the moves
    for the message.
    """
    travel = u - u0
    far = float(np.max(np.abs(travel)))
    if far < 1e-3:
        return ""
    moving = np.abs(travel) >= far / 2
    further, _ = scaled(np.clip(u + np.where(moving, np.sign(travel), 0.0) * math.log(10.0), -_BOUND, _BOUND))
    if further > value + _FLAT * max(1.0, abs(value)):
        return ""
    return _moves(names, travel, far / 2)


def _runaway(names: Sequence[str], u: FloatArray, u0: FloatArray) -> str:
    """``"; s and beta grew by a factor of more than a million ..."``, or ``""``."""
    moves = _moves(names, u - u0, _RUNAWAY)
    if not moves:
        return ""
    return (
        f"; {moves} by a factor of more than a million from the start (the data may not identify the model)"
    )


def _moves(names: Sequence[str], travel: FloatArray, least: float) -> str:
    """``"s and beta grow"`` or ``"p grows and v shrinks"``: the parameters that moved more than ``least``."""
    grew = [name for name, moved in zip(names, travel, strict=True) if moved >= least]
    shrank = [name for name, moved in zip(names, travel, strict=True) if moved <= -least]
    parts = [f"{' and '.join(grew)} {'grows' if len(grew) == 1 else 'grow'}"] if grew else []
    parts += [f"{' and '.join(shrank)} {'shrinks' if len(shrank) == 1 else 'shrink'}"] if shrank else []
    return " and ".join(parts)


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
