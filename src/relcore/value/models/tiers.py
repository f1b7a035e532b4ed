"""Value tiers: deciles, the customer pyramid and the Pareto share of a value such as the CLV.

Ties are handled one way throughout: customers with equal values share the
*worst* position of their group, so the result never depends on the order of
the input and a block of equal values (say many zero CLVs) is never promoted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from relcore.errors import ValidationError
from relcore.value.models._arrays import ArrayLike, FloatArray, IntArray, float_array

__all__ = [
    "DEFAULT_PYRAMID",
    "check_tiers",
    "clv_deciles",
    "customer_pyramid",
    "customers_for_share",
    "pareto_share",
]

#: The classic customer pyramid (Zeithaml, Rust & Lemon 2001, "The customer
#: pyramid", *California Management Review* 43(4)): tier names with the share
#: of customers in each, best first; the last tier takes the rest.
DEFAULT_PYRAMID: tuple[tuple[str, float], ...] = (
    ("top", 0.01),
    ("big", 0.04),
    ("medium", 0.15),
    ("small", 1.0),
)


def _rank_scores(values: FloatArray, bins: int) -> IntArray:
    """Scores ``1..bins`` by ascending rank, ties taking their group's lowest score."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    below = np.searchsorted(np.sort(values), values, side="left")  # customers with a strictly smaller value
    return np.asarray(1 + (below * bins) // n, dtype=np.int64)


def clv_deciles(values: ArrayLike) -> IntArray:
    """Decile of each customer by value: 10 for the top tenth, 1 for the bottom tenth.

    A customer is in decile ``1 + floor(10 k / n)`` where ``k`` customers
    have a strictly smaller value; equal values share the lower decile.

    Args:
        values: One value per customer (a CLV, a historical value, ...).

    Returns:
        One decile, 1 to 10, per customer.

    Example:
        >>> print(*clv_deciles([5.0, 0.0, 0.0, 120.0, 40.0]))
        5 1 1 9 7
    """
    return _rank_scores(float_array("values", values), 10)


def customer_pyramid(
    values: ArrayLike, tiers: Sequence[tuple[str, float]] = DEFAULT_PYRAMID
) -> npt.NDArray[np.str_]:
    """Tier of each customer in a customer pyramid, by descending value.

    With ``tiers = ((name_1, share_1), ...)``, the best ``share_1`` of the
    customers are ``name_1``, the next ``share_2`` are ``name_2``, and so on;
    the last tier takes everyone left. A customer whose value is shared by
    others is placed by the last of the group (the worst position).

    Args:
        values: One value per customer.
        tiers: Tier names and the share of customers in each, best first
            (shares in (0, 1]; the last share is ignored).

    Returns:
        One tier name per customer.

    Example:
        >>> values = [float(v) for v in range(1, 101)]
        >>> tier = customer_pyramid(values)
        >>> print(tier[99], tier[95], tier[80], tier[0])
        top big medium small
    """
    v = float_array("values", values)
    names = check_tiers(tiers)
    n = len(v)
    if n == 0:
        return np.zeros(0, dtype=np.str_)
    below = np.searchsorted(np.sort(v), v, side="left")  # customers with a strictly smaller value
    position = (n - below) / n  # share of customers up to the last of this value's group, best first
    bounds = np.cumsum([float(share) for _, share in tiers[:-1]])
    index = np.searchsorted(bounds + 1e-12, position, side="left")
    return np.asarray(np.array(names)[index], dtype=np.str_)


def check_tiers(tiers: Sequence[tuple[str, float]]) -> list[str]:
    """Check a pyramid's ``(name, share)`` pairs and return the names.

    Raises:
        ValidationError: A malformed pair, a repeated name, or shares before
            the last tier adding up to more than 1; the path names the pair.

    Example:
        >>> print(*check_tiers([("gold", 0.1), ("silver", 0.3), ("bronze", 1.0)]))
        gold silver bronze
    """
    if len(tiers) == 0:
        raise ValidationError.single("tiers", "needs at least one tier")
    names: list[str] = []
    for i, tier in enumerate(tiers):
        if not (isinstance(tier, tuple) and len(tier) == 2 and isinstance(tier[0], str) and tier[0]):
            raise ValidationError.single(f"tiers[{i}]", "must be a (name, share) pair with a non-empty name")
        share = tier[1]
        if i < len(tiers) - 1 and not (isinstance(share, int | float) and 0 < share <= 1):
            raise ValidationError.single(f"tiers[{i}]", "share must be in (0, 1]")
        if tier[0] in names:  # the name is not repeated in the message: it may be anything
            raise ValidationError.single(f"tiers[{i}]", f"repeats the name of tiers[{names.index(tier[0])}]")
        names.append(tier[0])
    if sum(share for _, share in tiers[:-1]) > 1 + 1e-12:
        raise ValidationError.single("tiers", "the shares before the last tier add up to more than 1")
    return names


def pareto_share(values: ArrayLike, top: float = 0.2) -> float:
    """Share of the total value made by the best ``top`` share of customers.

    Read off the Lorenz curve of the values sorted from the largest, linear
    between customers, so ``top`` need not cover a whole number of them.

    Args:
        values: One non-negative value per customer, not all zero.
        top: Share of customers, in [0, 1].

    Returns:
        Their share of the total value, in [0, 1].

    Example:
        >>> values = [50.0, 30.0, 10.0, 5.0, 5.0]
        >>> print(f"{pareto_share(values, 0.2):.2f} {pareto_share(values, 0.4):.2f}")
        0.50 0.80
    """
    v, cumulative = _lorenz(values)
    if not (isinstance(top, int | float) and 0 <= top <= 1):
        raise ValidationError.single("top", f"must be a share in [0, 1], not {top!r}")
    return float(np.interp(top * len(v), np.arange(len(v) + 1), cumulative))


def customers_for_share(values: ArrayLike, share: float = 0.8) -> float:
    """Smallest share of customers, best first, that makes ``share`` of the total value.

    The inverse of [`pareto_share`][relcore.value.pareto_share]: "x % of customers make y % of the
    value" is ``customers_for_share(values, y) == x``.

    Args:
        values: One non-negative value per customer, not all zero.
        share: Share of the total value, in [0, 1].

    Returns:
        The share of customers, in [0, 1].

    Example:
        >>> print(f"{customers_for_share([50.0, 30.0, 10.0, 5.0, 5.0], 0.8):.2f}")
        0.40
    """
    v, cumulative = _lorenz(values)
    if not (isinstance(share, int | float) and 0 <= share <= 1):
        raise ValidationError.single("share", f"must be a share in [0, 1], not {share!r}")
    i = int(np.searchsorted(cumulative, share - 1e-15, side="left"))
    if i == 0:
        return 0.0
    step = cumulative[i] - cumulative[i - 1]
    inside = (share - cumulative[i - 1]) / step if step > 0 else 0.0
    return float((i - 1 + min(max(inside, 0.0), 1.0)) / len(v))


def _lorenz(values: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Values sorted from the largest, and their cumulative share of the total (starting at 0)."""
    v = np.sort(float_array("values", values, minimum=0))[::-1]
    total = float(v.sum())
    if not total > 0:
        raise ValidationError.single("values", "must not be empty or all zero")
    return v, np.concatenate([[0.0], np.cumsum(v) / total])
