"""Draw customers from the value models, for tests, docs and benchmarks.

Each function takes known parameters and a seeded :class:`numpy.random.Generator`
and returns what the model says the data would look like, so fitting it
should give the parameters back.
"""

from __future__ import annotations

import attrs
import numpy as np

from relcore.value._arrays import ArrayLike, FloatArray, IntArray, float_array
from relcore.value.beta_geo import BetaGeoParams
from relcore.value.gamma_gamma import GammaGammaParams

__all__ = ["SimulatedBetaGeo", "simulate_beta_geo", "simulate_gamma_gamma"]


@attrs.frozen(eq=False)
class SimulatedBetaGeo:
    """BG/NBD customers observed up to their age ``T`` and over a holdout after it.

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
    age = float_array("T", T, minimum=0)
    n = len(age)
    rate = rng.gamma(params.r, 1 / params.alpha, size=n)
    dropout = rng.beta(params.a, params.b, size=n)
    frequency = np.zeros(n, dtype=np.int64)
    recency = np.zeros(n)
    holdout_purchases = np.zeros(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    clock = np.zeros(n)
    buying = np.flatnonzero(rate > 0)
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
