"""Calibration and holdout summaries of a transaction log, for checking a model out of sample.

The split of Fader, Hardie & Lee (2005), "Counting your customers the easy
way", *Marketing Science* 24(2): fit on the RFM summary of the calibration
window, then compare the model's expected purchases over the holdout window
with the purchases each calibration customer actually made in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

import attrs
import numpy as np
import numpy.typing as npt

from relcore.errors import ValidationError
from relcore.value.models._arrays import ArrayLike, FloatArray, IntArray, float_array, same_length
from relcore.value.models.rfm import (
    _MONDAY,
    _check_aware,
    _frozen,
    _period_seconds,
    _sort_keys,
    _timestamps,
    rfm_summary,
)

__all__ = ["CalibrationHoldout", "calibration_and_holdout"]


@attrs.frozen(eq=False)
class CalibrationHoldout:
    """Calibration RFM summary and holdout purchases per customer, as read-only numpy arrays.

    Row ``i`` of every array belongs to ``customer_ids[i]``: the customers
    with a purchase up to the calibration end, sorted by id. Times are in
    periods.

    Attributes:
        customer_ids: The customers.
        frequency: Repeat purchase periods in the calibration window.
        recency: Age at the last of them (0 when there is none).
        T: Age at the calibration end.
        monetary: Mean value per repeat purchase period in the calibration window.
        holdout_frequency: Periods with a purchase in the holdout window.
        holdout_monetary: Mean value per such period (0 when there is none).
        holdout_duration: Length of the holdout window in periods, the same for everyone.
    """

    customer_ids: npt.NDArray[np.generic]
    frequency: IntArray
    recency: FloatArray
    T: FloatArray
    monetary: FloatArray
    holdout_frequency: IntArray
    holdout_monetary: FloatArray
    holdout_duration: float


def calibration_and_holdout(
    customer_ids: Sequence[object] | npt.NDArray[np.generic],
    dates: Sequence[datetime],
    amounts: ArrayLike,
    *,
    calibration_end: datetime,
    observation_end: datetime,
    period: Literal["D", "W", "h"] | timedelta = "D",
) -> CalibrationHoldout:
    """Split transactions at ``calibration_end`` into a calibration summary and holdout counts.

    The calibration part is [`rfm_summary`][relcore.value.rfm_summary] with
    ``observation_end=calibration_end``. The holdout holds the transactions
    after ``calibration_end`` up to ``observation_end`` of the customers
    already known at ``calibration_end`` (customers whose first purchase
    falls in the holdout are left out, as the models predict only known
    customers); all purchases of a customer in one period count as one
    purchase, valued at their sum. Periods are cut in the UTC offset of
    ``calibration_end``; ``holdout_duration`` is the number of period
    boundaries between the two ends.

    Args:
        customer_ids: Customer of each transaction (any sortable ids).
        dates: Time of each transaction, timezone-aware.
        amounts: Value of each transaction (finite numbers).
        calibration_end: End of the calibration window, timezone-aware.
        observation_end: End of the holdout window, timezone-aware, not before ``calibration_end``.
        period: Length of a period: ``"D"``, ``"W"``, ``"h"`` or a timedelta.

    Returns:
        The calibration summary and holdout columns, one row per customer.

    Raises:
        ValidationError: As for [`rfm_summary`][relcore.value.rfm_summary], or if the
            holdout ends before the calibration window.

    Example:
        >>> from datetime import datetime, timezone
        >>> day = lambda d: datetime(2024, 1, d, 12, tzinfo=timezone.utc)
        >>> split = calibration_and_holdout(
        ...     ["a", "a", "b", "a", "a", "c"], [day(1), day(4), day(2), day(12), day(12), day(13)],
        ...     [10, 20, 7, 5, 6, 9], calibration_end=day(10), observation_end=day(20))
        >>> print(*split.customer_ids, "/", *split.frequency, "/", *split.holdout_frequency)
        a b / 1 0 / 1 0
        >>> print(*split.holdout_monetary, split.holdout_duration)
        11.0 0.0 10.0
    """
    calibration = rfm_summary(customer_ids, dates, amounts, observation_end=calibration_end, period=period)
    end = _check_aware("observation_end", observation_end)
    if end < calibration_end:
        raise ValidationError.single("observation_end", "must not be before calibration_end")
    step = _period_seconds(period)
    offset = calibration_end.utcoffset()
    shift = (offset.total_seconds() if offset is not None else 0.0) + (_MONDAY if period == "W" else 0.0)
    ids = np.asarray(customer_ids)
    value = float_array("amounts", amounts)
    seconds = _timestamps(dates)
    same_length(customer_ids=ids, dates=seconds, amounts=value)

    known = _sort_keys(calibration.customer_ids)
    n = len(known)
    later = (seconds > calibration_end.timestamp()) & (seconds <= end.timestamp())
    keys = _sort_keys(ids[later]) if later.any() else ids[:0]
    row = np.searchsorted(known, keys) if n else np.zeros(len(keys), dtype=np.int64)
    found = row < n
    found[found] = known[row[found]] == keys[found]
    row, when, spent = row[found], seconds[later][found], value[later][found]
    periods = np.floor((when + shift) / step).astype(np.int64)
    order = np.lexsort((periods, row))
    row, periods, spent = row[order], periods[order], spent[order]
    new = np.ones(len(row), dtype=bool)
    new[1:] = (row[1:] != row[:-1]) | (periods[1:] != periods[:-1])
    holdout_frequency = np.bincount(row[new], minlength=n).astype(np.int64)
    total = np.bincount(row, weights=spent, minlength=n)
    holdout_monetary = np.divide(total, holdout_frequency, out=np.zeros(n), where=holdout_frequency > 0)
    duration = np.floor((end.timestamp() + shift) / step) - np.floor(
        (calibration_end.timestamp() + shift) / step
    )
    return CalibrationHoldout(
        customer_ids=calibration.customer_ids,
        frequency=calibration.frequency,
        recency=calibration.recency,
        T=calibration.T,
        monetary=calibration.monetary,
        holdout_frequency=_frozen(holdout_frequency),
        holdout_monetary=_frozen(holdout_monetary),
        holdout_duration=float(duration),
    )
