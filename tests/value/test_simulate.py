from __future__ import annotations

import subprocess
import sys

import numpy as np

from relcore.value.models.beta_geo import BetaGeoParams
from relcore.value.models.gamma_gamma import GammaGammaParams
from relcore.value.models.simulate import simulate_beta_geo, simulate_gamma_gamma

PARAMS = BetaGeoParams(r=0.25, alpha=4.0, a=0.8, b=2.5)


def test_same_seed_same_customers() -> None:
    first = simulate_beta_geo(PARAMS, np.full(500, 30.0), np.random.default_rng(3), holdout=10)
    second = simulate_beta_geo(PARAMS, np.full(500, 30.0), np.random.default_rng(3), holdout=10)
    assert np.array_equal(first.frequency, second.frequency)
    assert np.array_equal(first.recency, second.recency)
    assert np.array_equal(first.holdout_purchases, second.holdout_purchases)


def test_simulated_summaries_are_consistent() -> None:
    rng = np.random.default_rng(4)
    sim = simulate_beta_geo(PARAMS, rng.uniform(0, 40, 5000), rng, holdout=20)
    assert ((sim.recency >= 0) & (sim.recency <= sim.T)).all()
    assert (sim.recency[sim.frequency == 0] == 0).all()
    assert (sim.recency[sim.frequency > 0] > 0).all()
    assert sim.alive[sim.frequency == 0].all()  # dropout only follows a repeat purchase
    assert (sim.holdout_purchases[~sim.alive] == 0).all()
    assert sim.frequency.sum() > 0
    assert sim.holdout_purchases.sum() > 0


def test_gamma_gamma_means_are_positive_for_repeat_buyers() -> None:
    spend = simulate_gamma_gamma(GammaGammaParams(6.0, 4.0, 15.0), [0, 1, 5, 0, 2], np.random.default_rng(8))
    assert spend.tolist()[0] == 0.0
    assert spend.tolist()[3] == 0.0
    assert (spend[[1, 2, 4]] > 0).all()


def test_import_relcore_does_not_import_numpy_or_scipy() -> None:
    code = "import relcore, sys; print(sorted(m for m in ('numpy', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_new_model_simulations_are_reproducible_and_consistent() -> None:
    from relcore.value.models.modified_beta_geo import ModifiedBetaGeoParams
    from relcore.value.models.pareto_nbd import ParetoNBDParams
    from relcore.value.models.simulate import simulate_modified_beta_geo, simulate_pareto_nbd

    for simulate, params in (
        (simulate_pareto_nbd, ParetoNBDParams(0.55, 10.6, 0.6, 11.7)),
        (simulate_modified_beta_geo, ModifiedBetaGeoParams(0.5, 6.0, 0.9, 1.6)),
    ):
        rng = np.random.default_rng(9)
        ages = rng.uniform(0, 40, 3000)
        first = simulate(params, ages, np.random.default_rng(3), holdout=20)  # type: ignore[operator]
        second = simulate(params, ages, np.random.default_rng(3), holdout=20)  # type: ignore[operator]
        assert np.array_equal(first.frequency, second.frequency)
        assert np.array_equal(first.holdout_purchases, second.holdout_purchases)
        assert ((first.recency >= 0) & (first.recency <= first.T)).all()
        assert (first.recency[first.frequency == 0] == 0).all()
        assert (first.holdout_purchases[~first.alive] == 0).all()
        assert first.frequency.sum() > 0
