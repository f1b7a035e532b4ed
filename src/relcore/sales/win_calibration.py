"""How well predicted win probabilities match what happened: Brier score and a reliability table.

Give the probabilities predicted for deals that have since closed, with
whether each was won. The Brier score is the mean squared difference between
prediction and outcome (0 is perfect; always predicting 0.5 scores 0.25). The
reliability table cuts [0, 1] into equal bins by predicted probability and
compares, in each, the mean prediction with the share of deals won: a
calibrated model's points lie near the diagonal.

Sums are exact (fractions of the given Decimals), so the result does not
depend on the order of the pairs.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

import attrs

from relcore._kernel.checks import fail, guarded, kind

__all__ = ["Calibration", "CalibrationBin", "calibration"]


@attrs.frozen
class CalibrationBin:
    """The deals whose predicted probability fell in ``[lower, upper)`` (the last bin includes 1).

    Attributes:
        lower: Lower edge of the bin.
        upper: Upper edge of the bin.
        count: Deals in the bin.
        mean_predicted: Their mean predicted probability (``None`` for an empty bin).
        observed: The share of them that were won (``None`` for an empty bin).
    """

    lower: Decimal
    upper: Decimal
    count: int
    mean_predicted: float | None
    observed: float | None


@attrs.frozen
class Calibration:
    """Brier score and reliability table of predictions against outcomes.

    Attributes:
        count: Number of predictions.
        brier: Mean of ``(predicted - won)²`` with won as 1 or 0.
        win_rate: Share of the deals won; a model always predicting it
            would score ``win_rate * (1 - win_rate)``.
        bins: The reliability table, lowest bin first, empty bins included.
    """

    count: int
    brier: float
    win_rate: float
    bins: tuple[CalibrationBin, ...]


def calibration(pairs: Iterable[tuple[Decimal, bool]], bins: int = 10) -> Calibration:
    """Compare predicted probabilities with outcomes.

    Args:
        pairs: ``(predicted probability, won)`` per closed deal; the
            probability a `Decimal` in [0, 1], ``won`` a bool. At least one.
        bins: Number of equal-width bins of the reliability table, 1 to 1000.

    Returns:
        The Brier score and the reliability table.

    Raises:
        ValidationError: On an empty ``pairs``, a probability that is not a
            Decimal in [0, 1] or an outcome that is not a bool (``pairs[i]``),
            or a bad ``bins``.

    Example:
        >>> pairs = [(Decimal("0.8"), True), (Decimal("0.8"), False), (Decimal("0.1"), False)]
        >>> result = calibration(pairs, bins=2)
        >>> result.brier  # ((0.2)² + (0.8)² + (0.1)²) / 3 = 0.69 / 3
        0.23
        >>> for b in result.bins:
        ...     print(b.count, b.mean_predicted, b.observed)
        1 0.1 0.0
        2 0.8 0.5
    """
    if type(bins) is not int or not 1 <= bins <= 1000:
        raise fail("bins", f"expected an int from 1 to 1000, got {kind(bins)}")
    given = pairs
    items = guarded("pairs", lambda: list(given))
    if not items:
        raise fail("pairs", "must hold at least one prediction")
    squares = Fraction(0)
    wins = 0
    counts, sums, won = [0] * bins, [Fraction(0)] * bins, [0] * bins
    for i, item in enumerate(items):
        predicted, outcome = _pair(f"pairs[{i}]", item)
        exact = Fraction(predicted)
        squares += (exact - outcome) ** 2
        wins += outcome
        slot = min(int(exact * bins), bins - 1)
        counts[slot] += 1
        sums[slot] += exact
        won[slot] += outcome
    n = len(items)
    table = tuple(
        CalibrationBin(
            lower=Decimal(k) / bins,
            upper=Decimal(k + 1) / bins,
            count=counts[k],
            mean_predicted=float(sums[k] / counts[k]) if counts[k] else None,
            observed=won[k] / counts[k] if counts[k] else None,
        )
        for k in range(bins)
    )
    return Calibration(count=n, brier=float(squares / n), win_rate=wins / n, bins=table)


def _pair(path: str, item: object) -> tuple[Decimal, bool]:
    if not isinstance(item, tuple) or len(item) != 2:
        raise fail(path, f"expected a (Decimal, bool) pair, got {kind(item)}")
    predicted, outcome = item
    if not isinstance(predicted, Decimal) or not predicted.is_finite() or not 0 <= predicted <= 1:
        raise fail(f"{path}[0]", "expected a Decimal probability in [0, 1]")
    if type(outcome) is not bool:
        raise fail(f"{path}[1]", f"expected a bool, got {kind(outcome)}")
    return predicted, outcome
