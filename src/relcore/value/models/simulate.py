"""Draw customers from the value models, for tests, docs and benchmarks.

Each function takes known parameters and a seeded `numpy.random.Generator`
and returns what the model says the data would look like, so fitting it
should give the parameters back.
"""

from __future__ import annotations

import attrs
import numpy as np

from relcore.value.models._arrays import ArrayLike, FloatArray, IntArray, float_array
from relcore.value.models.beta_geo import BetaGeoParams
from relcore.value.models.gamma_gamma import GammaGammaParams
from relcore.value.models.modified_beta_geo import ModifiedBetaGeoParams
from relcore.value.models.pareto_nbd import ParetoNBDParams
from relcore.value.models.shifted_beta_geo import ShiftedBetaGeoParams

__all__ = [
    "SimulatedBetaGeo",
    "simulate_beta_geo",
    "simulate_gamma_gamma",
    "simulate_modified_beta_geo",
    "simulate_pareto_nbd",
    "simulate_shifted_beta_geo",
]


@attrs.frozen(eq=False)
class SimulatedBetaGeo:
    """Simulated customers observed up to their age ``T`` and over a holdout after it.

    Every purchase model's simulation (BG/NBD, MBG/NBD, Pareto/NBD) returns one.

    Attributes:
        frequency: Repeat purchases in ``(0, T]``.
        recency: Age at the last of them (0 when there is none).
        T: Age at the end of observation.
        alive: Whether the customer is still alive at ``T``.
        holdout_purchases: Purchases in ``(T, T + holdout]``.
    """

    frequency: IntArray
    recency: FloatArray
    T: FloatArray
    alive: np.ndarray[tuple[int], np.dtype[np.bool_]]
    holdout_purchases: IntArray


def simulate_beta_geo(
    params: BetaGeoParams,
    T: ArrayLike,
    rng: np.random.Generator,
    *,
    holdout: float = 0.0,
) -> SimulatedBetaGeo:
    """Draw one BG/NBD customer per entry of ``T`` (Fader, Hardie & Lee 2005).

    Each customer gets a purchase rate ``lambda ~ Gamma(r, rate=alpha)`` and a
    dropout probability ``p ~ Beta(a, b)``, makes a first purchase at age 0,
    then repeat purchases at rate ``lambda`` and drops out after each repeat
    purchase with probability ``p``. The loop runs over purchase numbers, each
    step vectorized over the customers still buying.

    Args:
        params: The model parameters.
        T: Age of each customer at the end of observation.
        rng: The random generator (seed it for reproducible draws).
        holdout: Length of the window after ``T`` whose purchases are counted.

    Returns:
        The simulated summaries, one row per customer.

    Example:
        >>> sim = simulate_beta_geo(BetaGeoParams(0.25, 4.0, 0.8, 2.5), [39.0] * 5, np.random.default_rng(1))
        >>> sim.frequency.shape, bool((sim.recency <= sim.T).all())
        ((5,), True)
    """
    return _simulate_geometric(params.r, params.alpha, params.a, params.b, T, rng, holdout, at_start=False)


def simulate_modified_beta_geo(
    params: ModifiedBetaGeoParams,
    T: ArrayLike,
    rng: np.random.Generator,
    *,
    holdout: float = 0.0,
) -> SimulatedBetaGeo:
    """Draw one MBG/NBD customer per entry of ``T`` (Batislam, Denizel & Filiztekin 2007).

    As [`simulate_beta_geo`][relcore.value.models.simulate.simulate_beta_geo], except that a customer may
    also drop out right after the first purchase, at age 0.

    Args:
        params: The model parameters.
        T: Age of each customer at the end of observation.
        rng: The random generator (seed it for reproducible draws).
        holdout: Length of the window after ``T`` whose purchases are counted.

    Returns:
        The simulated summaries, one row per customer.

    Example:
        >>> from relcore.value.models.modified_beta_geo import ModifiedBetaGeoParams
        >>> truth = ModifiedBetaGeoParams(0.5, 6.0, 0.9, 1.6)
        >>> sim = simulate_modified_beta_geo(truth, [39.0] * 1000, np.random.default_rng(1))
        >>> bool((~sim.alive & (sim.frequency == 0)).any())
        True
    """
    return _simulate_geometric(params.r, params.alpha, params.a, params.b, T, rng, holdout, at_start=True)


def _simulate_geometric(
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: ArrayLike,
    rng: np.random.Generator,
    holdout: float,
    *,
    at_start: bool,
) -> SimulatedBetaGeo:
    age = float_array("T", T, minimum=0)
    n = len(age)
    rate = rng.gamma(r, 1 / alpha, size=n)
    dropout = rng.beta(a, b, size=n)
    frequency = np.zeros(n, dtype=np.int64)
    recency = np.zeros(n)
    holdout_purchases = np.zeros(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    clock = np.zeros(n)
    if at_start:
        alive = rng.random(n) >= dropout
    buying = np.flatnonzero((rate > 0) & alive)
    while len(buying):
        clock[buying] += rng.exponential(1 / rate[buying])
        buying = buying[clock[buying] <= age[buying] + holdout]
        calibration = clock[buying] <= age[buying]
        in_calibration = buying[calibration]
        frequency[in_calibration] += 1
        recency[in_calibration] = clock[in_calibration]
        holdout_purchases[buying[~calibration]] += 1
        died = rng.random(len(buying)) < dropout[buying]
        alive[in_calibration[died[calibration]]] = False
        buying = buying[~died]
    return SimulatedBetaGeo(
        frequency=frequency, recency=recency, T=age, alive=alive, holdout_purchases=holdout_purchases
    )


def simulate_gamma_gamma(
    params: GammaGammaParams, frequency: ArrayLike, rng: np.random.Generator
) -> FloatArray:
    """Draw the mean purchase value of customers with the given repeat purchases.

    Each customer gets a rate ``nu ~ Gamma(q, rate=v)``; the mean of ``x``
    purchases each ``~ Gamma(p, rate=nu)`` is ``Gamma(p x, rate=x nu)``
    (Fader, Hardie & Lee 2005, JMR 42(4)). Customers with ``x = 0`` get 0.

    Args:
        params: The model parameters.
        frequency: Repeat purchases ``x`` of each customer.
        rng: The random generator.

    Returns:
        The mean value of each customer's repeat purchases.

    Example:
        >>> spend = simulate_gamma_gamma(GammaGammaParams(6.0, 4.0, 15.0), [0, 3], np.random.default_rng(1))
        >>> float(spend[0]), bool(spend[1] > 0)
        (0.0, True)
    """
    x = float_array("frequency", frequency, minimum=0, integer=True)
    nu = rng.gamma(params.q, 1 / params.v, size=len(x))
    shape = np.where(x > 0, params.p * x, 1.0)
    spend = rng.gamma(shape, 1 / (np.maximum(x, 1) * nu))
    return np.asarray(np.where(x > 0, spend, 0.0), dtype=np.float64)


def simulate_pareto_nbd(
    params: ParetoNBDParams,
    T: ArrayLike,
    rng: np.random.Generator,
    *,
    holdout: float = 0.0,
) -> SimulatedBetaGeo:
    """Draw one Pareto/NBD customer per entry of ``T`` (Schmittlein, Morrison & Colombo 1987).

    Each customer gets a purchase rate ``lambda ~ Gamma(r, rate=alpha)``, a
    dropout rate ``mu ~ Gamma(s, rate=beta)`` and an exponential lifetime
    with rate ``mu``. The purchases in a window of length ``L`` while alive
    are Poisson with mean ``lambda L`` and, given their number ``x``, uniform
    in the window, so the last is at ``L U^(1/x)`` with ``U`` uniform: no
    loop over purchases.

    Args:
        params: The model parameters.
        T: Age of each customer at the end of observation.
        rng: The random generator (seed it for reproducible draws).
        holdout: Length of the window after ``T`` whose purchases are counted.

    Returns:
        The simulated summaries, one row per customer.

    Example:
        >>> truth = ParetoNBDParams(0.55, 10.6, 0.6, 11.7)
        >>> sim = simulate_pareto_nbd(truth, [39.0] * 1000, np.random.default_rng(1), holdout=39.0)
        >>> bool((sim.holdout_purchases[~sim.alive] == 0).all())
        True
    """
    age = float_array("T", T, minimum=0)
    n = len(age)
    rate = rng.gamma(params.r, 1 / params.alpha, size=n)
    lifetime = rng.exponential(1.0, size=n) / rng.gamma(params.s, 1 / params.beta, size=n)
    observed = np.minimum(lifetime, age)
    frequency = rng.poisson(rate * observed).astype(np.int64)
    last = observed * rng.random(n) ** (1.0 / np.maximum(frequency, 1))
    recency = np.where(frequency > 0, last, 0.0)
    later = np.clip(np.minimum(lifetime, age + holdout) - age, 0.0, None)
    holdout_purchases = rng.poisson(rate * later).astype(np.int64)
    return SimulatedBetaGeo(
        frequency=frequency, recency=recency, T=age, alive=lifetime > age, holdout_purchases=holdout_purchases
    )


def simulate_shifted_beta_geo(
    params: ShiftedBetaGeoParams, cohort_size: int, periods: int, rng: np.random.Generator
) -> IntArray:
    """Draw one sBG cohort and count its active customers at the start of each period (Fader & Hardie 2007).

    Each customer gets a churn probability ``theta ~ Beta(alpha, beta)`` and
    cancels in period ``t`` with probability ``theta (1 - theta)^(t - 1)``.

    Args:
        params: The model parameters.
        cohort_size: Customers in the cohort at the start.
        periods: Number of periods after the start.
        rng: The random generator.

    Returns:
        ``periods + 1`` counts, the first being ``cohort_size``: the input of
        [`relcore.value.ShiftedBetaGeo.fit`][].

    Example:
        >>> params = ShiftedBetaGeoParams(alpha=0.7, beta=1.2)
        >>> active = simulate_shifted_beta_geo(params, 1000, 7, np.random.default_rng(1))
        >>> print(len(active), active[0], bool((np.diff(active) <= 0).all()))
        8 1000 True
    """
    churn = rng.beta(params.alpha, params.beta, size=int(cohort_size))
    cancelled_in = rng.geometric(churn)
    return np.array([int(np.sum(cancelled_in > t)) for t in range(int(periods) + 1)], dtype=np.int64)
