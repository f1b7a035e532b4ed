"""Pareto/NBD and Gamma-Gamma fits against lifetimes, measured for ``bench_value.py``.

4. **Pareto/NBD fit.** Customers drawn by ``simulate_pareto_nbd`` (seeded,
   the CDNOW estimates of Fader, Hardie & Lee 2005: ``r=0.553, alpha=10.58,
   s=0.606, beta=11.67``) with continuous ages ``T ~ Uniform(1, 52)``, so
   merging identical rows cannot help. relcore's ``ParetoNBD().fit`` (which
   also computes standard errors) vs lifetimes 0.11.3
   ``ParetoNBDFitter().fit`` (defaults: Nelder-Mead, ``tol=1e-4``; no
   standard errors). Ratio: lifetimes time / relcore time (target >= 3).
5. **Gamma-Gamma fit.** Repeat buyers with the frequencies of CDNOW-like
   BG/NBD customers and mean spends drawn by ``simulate_gamma_gamma`` with the
   CDNOW estimates ``p=6.25, q=3.74, v=15.44``, rounded to cents as in the
   CDNOW file. relcore's ``GammaGamma().fit`` vs lifetimes
   ``GammaGammaFitter().fit`` (defaults: BFGS with ``tol=1e-7``, an autograd
   Hessian for the standard errors). Ratio: lifetimes time / relcore time
   (target >= 3).

In both, the parameters must agree within 1e-4 relative; the largest
relative difference and the mean log-likelihood at both optima (by lifetimes'
own likelihood) are printed. When lifetimes' stopping rule leaves it farther
away, it is refitted with a much tighter tolerance outside the timing, to
show whether the difference is its stopping rule's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from _common import report, timed
from relcore.value import BetaGeoParams, GammaGamma, GammaGammaParams, ParetoNBD, ParetoNBDParams
from relcore.value.models.simulate import simulate_beta_geo, simulate_gamma_gamma, simulate_pareto_nbd

PARETO = ParetoNBDParams(r=0.553, alpha=10.58, s=0.606, beta=11.67)
SPEND = GammaGammaParams(p=6.25, q=3.74, v=15.44)
PURCHASES = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
PARAMETER_TOLERANCE = 1e-4


def skip(name: str, reason: str) -> None:
    print(f"RATIO {name}: SKIP ({reason})", flush=True)


def max_relative_difference(
    ours: Sequence[float] | np.ndarray, theirs: Sequence[float] | np.ndarray
) -> float:
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300), initial=0.0))


def _show(names: Sequence[str], values: Sequence[float]) -> str:
    return ", ".join(f"{name}={value:.6f}" for name, value in zip(names, values, strict=True))


def _compare(
    label: str,
    names: Sequence[str],
    ours: Sequence[float],
    theirs: Sequence[float],
    mean_log_likelihood: Any,
    refit: Any,
) -> None:
    """Print how far apart the optima are; refit lifetimes tighter when they are too far apart."""
    difference = max_relative_difference(ours, theirs)
    ll_ours, ll_theirs = mean_log_likelihood(ours), mean_log_likelihood(theirs)
    print(
        f"{label} parameters: max relative difference {difference:.2e} (tolerance {PARAMETER_TOLERANCE:g}); "
        f"mean log-likelihood relcore {ll_ours:.12f}, lifetimes {ll_theirs:.12f} "
        f"(relcore - lifetimes: {ll_ours - ll_theirs:.1e})"
    )
    if difference > PARAMETER_TOLERANCE:
        tight = refit()
        print(
            "WARNING: beyond the tolerance; lifetimes refitted with a tight tolerance: "
            f"{_show(names, tight)}, max relative difference {max_relative_difference(ours, tight):.2e}"
        )


# -- 4: Pareto/NBD -------------------------------------------------------------


def bench_pareto(n: int, lifetimes: Any) -> None:
    rng = np.random.default_rng(2007)
    sim = simulate_pareto_nbd(PARETO, rng.uniform(1.0, 52.0, n), rng)
    x, t_x, age = sim.frequency, sim.recency, sim.T
    names = ("r", "alpha", "s", "beta")
    print(f"Pareto/NBD customers: {n:,}")
    fits: list[Any] = []
    relcore_seconds = timed(lambda: fits.append(ParetoNBD().fit(x, t_x, age)))
    ours = list(attrs.astuple(fits[0].params))
    print(f"relcore ParetoNBD().fit: {relcore_seconds:.2f} s, {fits[0].iterations} iterations, ", end="")
    print(_show(names, ours))
    if lifetimes is None:
        skip("Pareto/NBD fit lifetimes/relcore", "lifetimes not importable")
        return
    fitters: list[Any] = []
    lifetimes_seconds = timed(lambda: fitters.append(lifetimes.ParetoNBDFitter().fit(x, t_x, age)))
    theirs = [float(fitters[0].params_[k]) for k in names]
    print(f"lifetimes ParetoNBDFitter().fit: {lifetimes_seconds:.2f} s, {_show(names, theirs)}")

    def mean_log_likelihood(params: Sequence[float]) -> float:
        negative = lifetimes.ParetoNBDFitter._negative_log_likelihood(
            np.asarray(params, dtype=np.float64), x, t_x, age, np.ones(len(x)), 0.0
        )
        return -float(negative) / len(x)

    def refit() -> list[float]:
        tight = lifetimes.ParetoNBDFitter().fit(x, t_x, age, tol=1e-10, maxiter=20_000)
        return [float(tight.params_[k]) for k in names]

    _compare("Pareto/NBD", names, ours, theirs, mean_log_likelihood, refit)
    report("Pareto/NBD fit lifetimes/relcore", lifetimes_seconds / relcore_seconds, ">= 3")


# -- 5: Gamma-Gamma ------------------------------------------------------------


def spenders(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` repeat buyers: CDNOW-like frequencies, Gamma-Gamma mean spends in cents."""
    rng = np.random.default_rng(2013)
    frequency = np.zeros(0)
    while len(frequency) < n:
        sim = simulate_beta_geo(PURCHASES, rng.uniform(1.0, 52.0, 3 * n), rng)
        frequency = np.r_[frequency, sim.frequency[sim.frequency > 0]]
    frequency = frequency[:n]
    spend = np.maximum(np.round(simulate_gamma_gamma(SPEND, frequency, rng), 2), 0.01)
    return frequency, spend


def bench_gamma_gamma(n: int, lifetimes: Any, *, single_thread: bool = False) -> None:
    x, spend = spenders(n)
    names = ("p", "q", "v")
    rows = np.unique(np.column_stack([x, spend]), axis=0).shape[0]
    print(f"Gamma-Gamma repeat buyers: {n:,} ({rows:,} distinct (frequency, monetary) rows)")
    fits: list[Any] = []
    relcore_seconds = timed(lambda: fits.append(GammaGamma().fit(x, spend)))
    ours = list(attrs.astuple(fits[0].params))
    print(f"relcore GammaGamma().fit: {relcore_seconds:.3f} s, {fits[0].iterations} iterations, ", end="")
    print(_show(names, ours))
    if lifetimes is None:
        skip("Gamma-Gamma fit lifetimes/relcore", "lifetimes not importable")
        return
    fitters: list[Any] = []
    lifetimes_seconds = timed(lambda: fitters.append(lifetimes.GammaGammaFitter().fit(x, spend)))
    theirs = [float(fitters[0].params_[k]) for k in names]
    print(f"lifetimes GammaGammaFitter().fit: {lifetimes_seconds:.3f} s, {_show(names, theirs)}")

    def mean_log_likelihood(params: Sequence[float]) -> float:
        negative = lifetimes.GammaGammaFitter._negative_log_likelihood(
            np.log(np.asarray(params, dtype=np.float64)), x, spend, np.ones(len(x)), 0.0
        )
        return -float(negative)

    def refit() -> list[float]:
        tight = lifetimes.GammaGammaFitter().fit(x, spend, tol=1e-12)
        return [float(tight.params_[k]) for k in names]

    _compare("Gamma-Gamma", names, ours, theirs, mean_log_likelihood, refit)
    if single_thread:
        ratio = lifetimes_seconds / relcore_seconds
        print(f"(supplementary) Gamma-Gamma fit lifetimes/relcore with one BLAS thread: {ratio:.3f}")
    else:
        report("Gamma-Gamma fit lifetimes/relcore", lifetimes_seconds / relcore_seconds, ">= 3")
