"""Every fit ends after a bounded number of likelihood evaluations, with a fit or a reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from relcore.value import (
    BetaGeo,
    BetaGeoFit,
    GammaGamma,
    ModifiedBetaGeo,
    ModifiedBetaGeoFit,
    ParetoNBD,
    ParetoNBDFit,
    ShiftedBetaGeo,
)
from relcore.value.models import _optimize
from relcore.value.models._optimize import Budget, maximize
from relcore.value.models.errors import ConvergenceError
from tests.value.conftest import Cdnow

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie (2007), Table 1


def _fits(cdnow: Cdnow) -> dict[str, Callable[[int], object]]:
    """Each model, fitted to its usual data with a given evaluation budget."""
    history = (cdnow.frequency, cdnow.recency, cdnow.T)
    return {
        "BetaGeo": lambda most: BetaGeo(max_evaluations=most).fit(*history),
        "ModifiedBetaGeo": lambda most: ModifiedBetaGeo(max_evaluations=most).fit(*history),
        "ParetoNBD": lambda most: ParetoNBD(max_evaluations=most).fit(*history),
        "GammaGamma": lambda most: GammaGamma(max_evaluations=most).fit(cdnow.frequency, cdnow.monetary),
        "ShiftedBetaGeo": lambda most: ShiftedBetaGeo(max_evaluations=most).fit(REGULAR),
    }


def _count_evaluations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the likelihood evaluations the optimizer gets back."""
    done = [0]
    real = _optimize.minimize

    def counting(fun: Callable[[Any], Any], x0: Any, **options: Any) -> Any:
        def counted(u: Any) -> Any:
            result = fun(u)
            done[0] += 1
            return result

        return real(counted, x0, **options)

    monkeypatch.setattr(_optimize, "minimize", counting)
    return done


@pytest.mark.parametrize("model", ["BetaGeo", "ModifiedBetaGeo", "ParetoNBD", "GammaGamma", "ShiftedBetaGeo"])
def test_a_fit_stops_when_its_evaluation_budget_runs_out(
    cdnow: Cdnow, model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = _count_evaluations(monkeypatch)
    with pytest.raises(ConvergenceError, match="the budget of 5 likelihood evaluations ran out") as info:
        _fits(cdnow)[model](5)
    assert done[0] == 5
    assert info.value.model == model
    assert np.isfinite(list(info.value.last_params.values())).all()


@pytest.mark.parametrize("model", ["BetaGeo", "ModifiedBetaGeo", "ParetoNBD", "GammaGamma", "ShiftedBetaGeo"])
def test_a_fit_within_its_budget_is_unaffected(
    cdnow: Cdnow, model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = _count_evaluations(monkeypatch)
    _fits(cdnow)[model](2000)
    assert 0 < done[0] <= 2000


@pytest.mark.parametrize(
    ("model", "fit_type"),
    [(BetaGeo, BetaGeoFit), (ModifiedBetaGeo, ModifiedBetaGeoFit), (ParetoNBD, ParetoNBDFit)],
)
def test_a_fit_whose_predictions_are_not_finite_fails(
    cdnow: Cdnow, model: Any, fit_type: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever makes a prediction NaN at the optimum, the fit raises instead of returning it."""
    real = fit_type.expected_purchases

    def broken(self: Any, t: float, *history: Any) -> np.ndarray:
        values = np.array(real(self, t, *history))
        values[-1] = np.nan
        return values

    monkeypatch.setattr(fit_type, "expected_purchases", broken)
    with pytest.raises(ConvergenceError, match="predictions at the fitted parameters are not finite"):
        model().fit(cdnow.frequency, cdnow.recency, cdnow.T)


def _ridge(theta: np.ndarray) -> tuple[float, np.ndarray]:
    """Rises towards 0 as ``a`` and ``b`` grow with ``a / (a + b) = 0.3``: no maximum."""
    a, b = theta
    n = a + b
    value = -((a / n - 0.3) ** 2) - 1.0 / n
    d_share = -2 * (a / n - 0.3)
    grad_a = d_share * b / n**2 + 1.0 / n**2
    grad_b = -d_share * a / n**2 + 1.0 / n**2
    return value, np.array([grad_a, grad_b])


def _bowl(theta: np.ndarray) -> tuple[float, np.ndarray]:
    """A maximum at ``a = 1``, ``b = e``."""
    a, b = theta
    value = -(np.log(a) ** 2) - (np.log(b) - 1) ** 2
    return value, np.array([-2 * np.log(a) / a, -2 * (np.log(b) - 1) / b])


BUDGET = Budget(max_iterations=1000, max_evaluations=2000, tolerance=1e-12)


def test_a_likelihood_rising_towards_a_boundary_is_a_failure_that_names_the_parameters() -> None:
    with pytest.raises(ConvergenceError, match="a and b grow"):
        maximize(_ridge, (1.0, 1.0), names=("a", "b"), model="Ridge", total_weight=1.0, budget=BUDGET)


def test_a_maximum_far_from_the_start_is_found() -> None:
    optimum = maximize(_bowl, (1e-4, 1e5), names=("a", "b"), model="Bowl", total_weight=1.0, budget=BUDGET)
    np.testing.assert_allclose(optimum.values, [1.0, np.e], rtol=1e-6)
