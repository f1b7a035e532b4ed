"""The recency-frequency-monetary summary of a transaction log.

The definitions are those of the buy-till-you-die models (Fader, Hardie &
Lee 2005, "Counting your customers the easy way", *Marketing Science* 24(2)):
time is cut into periods, all purchases of a customer in one period count as
one, and the first period (the customer's "birth") is not a repeat purchase.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar
from uuid import UUID

import attrs
import numpy as np
import numpy.typing as npt

from relcore.errors import ValidationError
from relcore.value.models._arrays import ArrayLike, FloatArray, IntArray, float_array, same_length

__all__ = ["RFMSummary", "rfm_summary"]

_A = TypeVar("_A", bound=npt.NDArray[Any])
_PERIODS = {"D": timedelta(days=1), "W": timedelta(weeks=1), "h": timedelta(hours=1)}
_MONDAY = 3 * 86400.0  # 1969-12-29 (a Monday) is 3 days before the epoch


@attrs.frozen(eq=False)
class RFMSummary:
    """Per-customer recency, frequency, age and monetary value, as numpy arrays.

    Row ``i`` of every array belongs to ``customer_ids[i]``; customers are
    sorted by id. Times are in periods (see [`rfm_summary`][relcore.value.rfm_summary]).

    Attributes:
        customer_ids: The customers with a purchase up to the observation end.
        frequency: Repeat purchase periods: periods with a purchase, less the first.
        recency: Age at the last repeat purchase (0 when there is none).
        T: Age at the observation end.
        monetary: Mean value per repeat purchase period (0 when there is none).
    """

    customer_ids: npt.NDArray[np.generic]
    frequency: IntArray
    recency: FloatArray
    T: FloatArray
    monetary: FloatArray


def rfm_summary(
    customer_ids: Sequence[object] | npt.NDArray[np.generic],
    dates: Sequence[datetime],
    amounts: ArrayLike,
    *,
    observation_end: datetime,
    period: Literal["D", "W", "h"] | timedelta = "D",
) -> RFMSummary:
    """Summarize transactions into frequency, recency, T and monetary value per customer.

    Periods start at midnight (``"D"``), Monday midnight (``"W"``), the full
    hour (``"h"``) or, for a timedelta, at multiples of it from the epoch, all
    in the UTC offset of ``observation_end``. Transactions after
    ``observation_end`` are ignored.

    Args:
        customer_ids: Customer of each transaction (any sortable ids).
        dates: Time of each transaction, timezone-aware.
        amounts: Value of each transaction (finite numbers).
        observation_end: End of the observation window, timezone-aware.
        period: Length of a period: ``"D"``, ``"W"``, ``"h"`` or a timedelta.

    Returns:
        The summary, one row per customer, times counted in whole periods.

    Raises:
        ValidationError: If lengths differ, a date is naive or not a datetime,
            or an amount is not a finite number; the path names the row
            (``"dates[17]"``).

    Example:
        >>> from datetime import datetime, timezone
        >>> day = lambda d: datetime(2024, 1, d, 12, tzinfo=timezone.utc)
        >>> s = rfm_summary(["a", "a", "a", "b"], [day(1), day(1), day(4), day(2)],
        ...                 [10, 5, 20, 7], observation_end=day(11))
        >>> s.customer_ids.tolist(), s.frequency.tolist(), s.recency.tolist(), s.T.tolist()
        (['a', 'b'], [1, 0], [3.0, 0.0], [10.0, 9.0])
        >>> s.monetary.tolist()
        [20.0, 0.0]
    """
    step = _period_seconds(period)
    end = _check_aware("observation_end", observation_end)
    offset = end.utcoffset()
    shift = (offset.total_seconds() if offset is not None else 0.0) + (_MONDAY if period == "W" else 0.0)
    ids = np.asarray(customer_ids)
    if ids.ndim != 1:
        raise ValidationError.single("customer_ids", "must be one-dimensional")
    value = float_array("amounts", amounts)
    seconds = _timestamps(dates)
    same_length(customer_ids=ids, dates=seconds, amounts=value)

    keep = seconds <= end.timestamp()
    ids, value, seconds = ids[keep], value[keep], seconds[keep]
    periods = np.floor((seconds + shift) / step).astype(np.int64)
    end_period = int(np.floor((end.timestamp() + shift) / step))

    _, first_row, customer = np.unique(_sort_keys(ids), return_index=True, return_inverse=True)
    unique_ids = ids[first_row]
    customer = customer.reshape(-1)
    order = np.lexsort((periods, customer))
    customer, periods, value = customer[order], periods[order], value[order]
    # one row per (customer, period) with the period's total value
    new = np.ones(len(order), dtype=bool)
    new[1:] = (customer[1:] != customer[:-1]) | (periods[1:] != periods[:-1])
    starts = np.flatnonzero(new)
    cell_customer, cell_period = customer[starts], periods[starts]
    cell_value = np.add.reduceat(value, starts) if len(starts) else value[:0]

    n = len(unique_ids)
    first_cell = np.searchsorted(cell_customer, np.arange(n), side="left")
    last_cell = np.searchsorted(cell_customer, np.arange(n), side="right") - 1
    first, last = cell_period[first_cell], cell_period[last_cell]
    frequency = (last_cell - first_cell).astype(np.int64)
    total = np.bincount(cell_customer, weights=cell_value, minlength=n)
    repeat_value = total - cell_value[first_cell]
    monetary = np.divide(repeat_value, frequency, out=np.zeros(n), where=frequency > 0)
    return RFMSummary(
        customer_ids=_frozen(unique_ids),
        frequency=_frozen(frequency),
        recency=_frozen((last - first).astype(np.float64)),
        T=_frozen((end_period - first).astype(np.float64)),
        monetary=_frozen(monetary),
    )


def _sort_keys(ids: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    """Ids as numpy can sort fast: UUIDs become their 16 big-endian bytes (same order)."""
    if ids.dtype == object and len(ids) and all(isinstance(i, UUID) for i in ids):
        return np.array([i.bytes for i in ids], dtype="S16")
    return ids


def _frozen(array: _A) -> _A:
    array.flags.writeable = False
    return array


def _period_seconds(period: object) -> float:
    if isinstance(period, timedelta):
        if period <= timedelta(0):
            raise ValidationError.single("period", f"must be positive, got {period}")
        return period.total_seconds()
    if isinstance(period, str) and period in _PERIODS:
        return _PERIODS[period].total_seconds()
    raise ValidationError.single("period", f"must be 'D', 'W', 'h' or a timedelta, not {period!r}")


def _check_aware(path: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError.single(path, f"must be a datetime, not {type(value).__name__}")
    if value.utcoffset() is None:
        raise ValidationError.single(path, "must be timezone-aware")
    return value


def _timestamps(dates: Sequence[datetime]) -> FloatArray:
    """POSIX seconds of ``dates``; one pass in C, a second only to name a bad row."""
    try:
        return np.fromiter((d.timestamp() if d.tzinfo is not None else _naive() for d in dates), np.float64)
    except (AttributeError, _NaiveDateError, TypeError):
        for i, value in enumerate(dates):
            _check_aware(f"dates[{i}]", value)
        raise ValidationError.single("dates", "must be timezone-aware datetimes") from None


class _NaiveDateError(Exception):
    pass


def _naive() -> float:
    raise _NaiveDateError
