# Needs lifetimes and pandas, which are NOT relcore dependencies: install them into a separate
# benchmark environment, never into the project's:
#
#   python3 -m venv /work/benchenv && /work/benchenv/bin/pip install -e '/work/main[analytics]' \
#       lifetimes==0.11.3 pandas
#   /work/benchenv/bin/python benchmarks/bench_value.py
#
# Without them (e.g. in the project's .venv) the ratios that need them print as SKIP.
"""Relationship value: BG/NBD, Pareto/NBD and Gamma-Gamma vs lifetimes, ``rfm_summary`` vs pandas.

Five measurements, each against a baseline run in the same process on the
same data (4 and 5 are described in ``_value_fits.py``; they use a tenth of
``--customers``, 100,000 by default):

1. **BG/NBD fit.** 1,000,000 customers drawn by ``simulate_beta_geo`` (seeded,
   CDNOW-like parameters ``r=0.243, alpha=4.414, a=0.793, b=2.426``) with
   continuous ages ``T ~ Uniform(1, 52)``, so almost no two rows are
   identical and collapsing duplicates cannot help. relcore's
   ``BetaGeo().fit`` vs lifetimes 0.11.3 ``BetaGeoFitter().fit`` (defaults:
   ``penalizer_coef=0``, BFGS with ``tol=1e-7``); both return parameters and
   standard errors. Ratio: lifetimes time / relcore time (target >= 5). The
   parameters must agree within 1e-4 relative; the largest relative
   difference and the mean log-likelihood at both optima are printed. The
   comparison is repeated in a child process with ``OPENBLAS_NUM_THREADS=1``
   (a supplementary ratio), as is the Gamma-Gamma one: on a busy machine
   OpenBLAS's threads, which scipy's L-BFGS-B wakes every iteration, slow
   small fits severalfold.
2. **Predictions.** ``probability_alive`` + ``expected_purchases`` (horizon
   26) for the same 1,000,000 customers with the SAME parameters on both
   sides (lifetimes gets them by setting ``params_``). Ratio: lifetimes time
   / relcore time, medians of three (target >= 3). Results are checked equal.
3. **RFM summary.** ``rfm_summary`` on 1,000,000 transactions (200,000
   customers with UUID ids, aware datetimes over two years, some after the
   observation end, amounts as floats; daily periods) vs a plain pandas
   groupby implementation of the same definitions (frequency = repeat
   purchase periods, recency = age at the last purchase, T = age at the
   observation end, monetary = mean value of the repeat purchase periods).
   Both start from the same Python lists. Ratio: relcore time / pandas time
   (target <= 1.5). Results are checked equal; the same ratio with string and
   integer ids is printed as supplementary information.

Environment notes: lifetimes 0.11.3 imports and runs unchanged with numpy
2.4, scipy 1.17, pandas 3.1 and autograd 1.9 on Python 3.11, so no shims are
needed; importing it under pandas 3 emits a ``Pandas4Warning`` (it sets the
removed ``mode.chained_assignment`` option), which is silenced here.
lifetimes also switches off ``FutureWarning`` process-wide when imported.

Run: ``python benchmarks/bench_value.py [--customers 1000000] [--transactions 1000000]``
(``--pareto-customers`` and ``--spend-customers`` override the sizes of 4 and 5).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import statistics
import subprocess
import sys
import uuid
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _common import report, timed
from _value_fits import bench_gamma_gamma, bench_pareto, max_relative_difference, skip
from relcore.value import BetaGeo, BetaGeoFit, BetaGeoParams, RFMSummary, rfm_summary
from relcore.value.models.simulate import SimulatedBetaGeo, simulate_beta_geo

CDNOW = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
HORIZON = 26.0
PARAMETER_TOLERANCE = 1e-4
OBSERVATION_END = datetime(2025, 1, 1, tzinfo=UTC)
DAY = 86400.0


def optional(module: str) -> tuple[Any, str]:
    """Import ``module`` or return the reason it cannot be imported."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module(module), ""
    except Exception as error:  # any failure to import means: skip, with the reason
        return None, f"{type(error).__name__}: {error}"


def median_time(fn: Callable[[], object], repeat: int = 3) -> float:
    return statistics.median(timed(fn) for _ in range(repeat))


# -- 1 and 2: BG/NBD -----------------------------------------------------------


def customers(n: int) -> SimulatedBetaGeo:
    rng = np.random.default_rng(2005)
    return simulate_beta_geo(CDNOW, rng.uniform(1.0, 52.0, n), rng)


def lifetimes_fitter(lifetimes: Any, pd: Any, params: BetaGeoParams | None = None) -> Any:
    fitter = lifetimes.BetaGeoFitter()
    if params is not None:
        fitter.params_ = pd.Series(
            [params.r, params.alpha, params.a, params.b], index=["r", "alpha", "a", "b"]
        )
    return fitter


def lifetimes_mean_log_likelihood(lifetimes: Any, params: Sequence[float], sim: SimulatedBetaGeo) -> float:
    """lifetimes' own per-customer log-likelihood (unscaled time, no penalty) at ``params``."""
    x, t_x, age = sim.frequency, sim.recency, sim.T
    negative = lifetimes.BetaGeoFitter._negative_log_likelihood(
        np.log(np.asarray(params, dtype=np.float64)), x, t_x, age, np.ones(len(x)), 0.0
    )
    return -float(negative)


def bench_fit(sim: SimulatedBetaGeo, lifetimes: Any, pd: Any, *, single_thread: bool = False) -> BetaGeoFit:
    x, t_x, age = sim.frequency, sim.recency, sim.T
    rows = np.unique(np.column_stack([x, t_x, age]), axis=0).shape[0]
    print(f"customers: {len(x):,} ({rows:,} distinct (frequency, recency, T) rows)")
    fits: list[BetaGeoFit] = []
    relcore_seconds = timed(lambda: fits.append(BetaGeo().fit(x, t_x, age)))
    fit = fits[0]
    ours = [fit.params.r, fit.params.alpha, fit.params.a, fit.params.b]
    print(
        f"relcore BetaGeo().fit: {relcore_seconds:.2f} s, {fit.iterations} iterations, params {_show(ours)}"
    )
    if lifetimes is None:
        skip("BG/NBD fit lifetimes/relcore", "lifetimes not importable")
        return fit
    fitters: list[Any] = []
    lifetimes_seconds = timed(lambda: fitters.append(lifetimes_fitter(lifetimes, pd).fit(x, t_x, age)))
    theirs = [float(fitters[0].params_[k]) for k in ("r", "alpha", "a", "b")]
    print(f"lifetimes BetaGeoFitter().fit: {lifetimes_seconds:.2f} s, params {_show(theirs)}")
    difference = max_relative_difference(ours, theirs)
    ll_ours = lifetimes_mean_log_likelihood(lifetimes, ours, sim)
    ll_theirs = lifetimes_mean_log_likelihood(lifetimes, theirs, sim)
    print(
        f"parameters: max relative difference {difference:.2e} (tolerance {PARAMETER_TOLERANCE:g}); "
        f"mean log-likelihood relcore {ll_ours:.12f}, lifetimes {ll_theirs:.12f} "
        f"(relcore - lifetimes: {ll_ours - ll_theirs:.1e})"
    )
    if difference > PARAMETER_TOLERANCE:
        diagnose(lifetimes, pd, sim, ours)
    if single_thread:
        ratio = lifetimes_seconds / relcore_seconds
        print(f"(supplementary) BG/NBD fit lifetimes/relcore with one BLAS thread: {ratio:.3f}")
    else:
        report("BG/NBD fit lifetimes/relcore", lifetimes_seconds / relcore_seconds, ">= 5")
    return fit


def single_thread(flag: str, size: str) -> None:
    """A fit comparison again in a child whose BLAS (OpenBLAS) runs one thread.

    relcore's likelihoods avoid BLAS, but scipy's L-BFGS-B calls LAPACK on its
    small matrices every iteration, and OpenBLAS spreads those over threads: on
    a busy machine the hand-offs cost milliseconds per iteration, much of a
    Gamma-Gamma fit. This shows how much of the fit time that is.
    """
    one = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, __file__, *size.split(), flag],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **one},
    )
    print(
        "\n".join(
            f"  [one BLAS thread] {line}"
            for line in out.stdout.splitlines()
            if "customers:" not in line and "buyers:" not in line
        )
    )


def diagnose(lifetimes: Any, pd: Any, sim: SimulatedBetaGeo, ours: Sequence[float]) -> None:
    """Refit lifetimes with a much tighter tolerance: does the difference come from its stopping rule?"""
    print("WARNING: parameters differ by more than the tolerance; refitting lifetimes with tol=1e-12")
    tight = lifetimes_fitter(lifetimes, pd).fit(sim.frequency, sim.recency, sim.T, tol=1e-12)
    theirs = [float(tight.params_[k]) for k in ("r", "alpha", "a", "b")]
    print(
        f"lifetimes (tol=1e-12, penalizer_coef={tight.penalizer_coef}): params {_show(theirs)}, "
        f"max relative difference {max_relative_difference(ours, theirs):.2e}"
    )


def bench_predictions(sim: SimulatedBetaGeo, lifetimes: Any, pd: Any) -> None:
    x, t_x, age = sim.frequency, sim.recency, sim.T
    fit = BetaGeoFit(CDNOW)

    def ours() -> tuple[np.ndarray, np.ndarray]:
        return fit.probability_alive(x, t_x, age), fit.expected_purchases(HORIZON, x, t_x, age)

    relcore_seconds = median_time(ours)
    print(f"relcore probability_alive + expected_purchases: {relcore_seconds * 1000:.0f} ms")
    if lifetimes is None:
        skip("BG/NBD predictions lifetimes/relcore", "lifetimes not importable")
        return
    fitter = lifetimes_fitter(lifetimes, pd, CDNOW)

    def theirs() -> tuple[np.ndarray, np.ndarray]:
        return (
            fitter.conditional_probability_alive(x, t_x, age),
            fitter.conditional_expected_number_of_purchases_up_to_time(HORIZON, x, t_x, age),
        )

    lifetimes_seconds = median_time(theirs)
    print(
        f"lifetimes conditional_probability_alive + conditional_expected_number_of_purchases_up_to_time: "
        f"{lifetimes_seconds * 1000:.0f} ms"
    )
    (alive, purchases), (their_alive, their_purchases) = ours(), theirs()
    alive_difference = max_relative_difference(alive, their_alive)
    purchases_difference = max_relative_difference(purchases, their_purchases)
    print(
        f"same predictions: max relative difference P(alive) {alive_difference:.1e}, "
        f"expected purchases {purchases_difference:.1e}"
    )
    assert alive_difference < 1e-9, alive_difference
    assert purchases_difference < 1e-9, purchases_difference
    report("BG/NBD predictions lifetimes/relcore", lifetimes_seconds / relcore_seconds, ">= 3")


# -- 3: RFM summary ------------------------------------------------------------


def transaction_log(n: int) -> tuple[list[uuid.UUID], list[datetime], list[float]]:
    """``n`` transactions of ``n / 5`` customers over two years and a week past the observation end."""
    rng = np.random.default_rng(1993)
    pool = [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(max(n // 5, 1))]
    who = rng.integers(0, len(pool), n).tolist()
    start = datetime(2023, 1, 1, tzinfo=UTC).timestamp()
    seconds = start + rng.uniform(0.0, (OBSERVATION_END.timestamp() - start) + 7 * DAY, n)
    dates = [datetime.fromtimestamp(s, UTC) for s in seconds.tolist()]
    amounts = rng.lognormal(3.6, 0.7, n).round(2).tolist()
    return [pool[i] for i in who], dates, amounts


def pandas_rfm(pd: Any, ids: Sequence[object], dates: Sequence[datetime], amounts: Sequence[float]) -> Any:
    """The same summary with a plain pandas groupby: one row per customer, sorted by id."""
    frame = pd.DataFrame({"id": ids, "when": pd.to_datetime(dates, utc=True), "amount": amounts})
    frame = frame[frame["when"] <= OBSERVATION_END]
    frame["period"] = frame["when"].dt.floor("D")
    cells = frame.groupby(["id", "period"], sort=True)["amount"].sum().reset_index()
    by_customer = cells.groupby("id", sort=True)
    first, last = by_customer["period"].min(), by_customer["period"].max()
    frequency = by_customer["period"].size() - 1
    repeat_value = by_customer["amount"].sum() - by_customer["amount"].first()
    day = pd.Timedelta(days=1)
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first) / day,
            "T": (pd.Timestamp(OBSERVATION_END).floor("D") - first) / day,
            "monetary": (repeat_value / frequency).where(frequency > 0, 0.0),
        }
    )


def check_same(ours: RFMSummary, theirs: Any) -> None:
    assert ours.customer_ids.tolist() == theirs.index.tolist()
    assert np.array_equal(ours.frequency, theirs["frequency"].to_numpy())
    assert np.array_equal(ours.recency, theirs["recency"].to_numpy())
    assert np.array_equal(ours.T, theirs["T"].to_numpy())
    assert max_relative_difference(ours.monetary, theirs["monetary"].to_numpy()) < 1e-9


def rfm_ratio(pd: Any, ids: Sequence[object], dates: Sequence[datetime], amounts: Sequence[float]) -> float:
    """relcore time / pandas time on the same lists, best of two each, after checking equal results."""
    ours: list[RFMSummary] = []
    theirs: list[Any] = []
    relcore_seconds = min(
        timed(lambda: ours.append(rfm_summary(ids, dates, amounts, observation_end=OBSERVATION_END)))
        for _ in range(2)
    )
    pandas_seconds = min(timed(lambda: theirs.append(pandas_rfm(pd, ids, dates, amounts))) for _ in range(2))
    check_same(ours[-1], theirs[-1])
    kind = type(ids[0]).__name__
    print(
        f"rfm_summary ({kind} ids, {len(ours[-1].customer_ids):,} customers): "
        f"relcore {relcore_seconds:.2f} s, pandas groupby {pandas_seconds:.2f} s; same results"
    )
    return relcore_seconds / pandas_seconds


def bench_rfm(n: int, pd: Any) -> None:
    ids, dates, amounts = transaction_log(n)
    print(f"transactions: {n:,}")
    if pd is None:
        seconds = timed(lambda: rfm_summary(ids, dates, amounts, observation_end=OBSERVATION_END))
        print(f"relcore rfm_summary: {seconds:.2f} s")
        skip("rfm_summary relcore/pandas", "pandas not importable")
        return
    ratio = rfm_ratio(pd, ids, dates, amounts)
    unique_seconds = timed(lambda: np.unique(np.asarray(ids), return_inverse=True))
    print(f"(of relcore's time, np.unique over the {n:,} UUID ids takes {unique_seconds:.2f} s)")
    report("rfm_summary relcore/pandas", ratio, "<= 1.5")
    for kind, other_ids in (("str", [str(i) for i in ids]), ("int", integer_ids(ids))):
        ratio = rfm_ratio(pd, other_ids, dates, amounts)
        print(f"(supplementary) rfm_summary relcore/pandas with {kind} ids: {ratio:.3f}")


def integer_ids(ids: Sequence[uuid.UUID]) -> list[int]:
    """The same customers numbered 0, 1, ... in order of first appearance."""
    codes = {key: code for code, key in enumerate(dict.fromkeys(ids))}
    return [codes[i] for i in ids]


def _show(values: Sequence[float]) -> str:
    return ", ".join(
        f"{name}={value:.6f}" for name, value in zip(("r", "alpha", "a", "b"), values, strict=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--pareto-customers", type=int, help="default: a tenth of --customers")
    parser.add_argument("--spend-customers", type=int, help="default: a tenth of --customers")
    parser.add_argument("--single-thread-fit", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--single-thread-spend", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    spend_customers = args.spend_customers or args.customers // 10
    if args.single_thread_fit:
        lifetimes, _ = optional("lifetimes")
        bench_fit(customers(args.customers), lifetimes, optional("pandas")[0], single_thread=True)
        return
    if args.single_thread_spend:
        bench_gamma_gamma(spend_customers, optional("lifetimes")[0], single_thread=True)
        return
    pd, pandas_problem = optional("pandas")
    lifetimes, lifetimes_problem = optional("lifetimes")
    versions = {"numpy": np.__version__, "scipy": importlib.import_module("scipy").__version__}
    if pd is not None:
        versions["pandas"] = pd.__version__
    if lifetimes is not None:
        versions["lifetimes"] = lifetimes.__version__
        versions["autograd"] = importlib.metadata.version("autograd")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (other processes skew the times)")
    if lifetimes is None:
        print(f"lifetimes cannot be imported ({lifetimes_problem}); its ratios are skipped")
    if pd is None:
        print(f"pandas cannot be imported ({pandas_problem}); its ratio is skipped")

    sim = customers(args.customers)
    bench_fit(sim, lifetimes, pd)
    if lifetimes is not None:
        single_thread("--single-thread-fit", f"--customers {args.customers}")
    bench_predictions(sim, lifetimes, pd)
    del sim
    bench_pareto(args.pareto_customers or args.customers // 10, lifetimes)
    bench_gamma_gamma(spend_customers, lifetimes)
    if lifetimes is not None:
        single_thread("--single-thread-spend", f"--spend-customers {spend_customers}")
    bench_rfm(args.transactions, pd)


if __name__ == "__main__":
    main()
