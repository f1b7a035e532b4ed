from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relcore.errors import ValidationError
from relcore.value.models.rfm import rfm_summary

END = datetime(2024, 3, 1, tzinfo=UTC)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2024, 1, 1, hour, tzinfo=UTC) + timedelta(days=day)


def test_standard_definitions() -> None:
    s = rfm_summary(
        [7, 7, 7, 7, 3, 5, 5],
        [at(0), at(0, 18), at(10), at(25), at(3), at(40), at(40, 20)],
        [10.0, 5.0, 30.0, 50.0, 8.0, 1.0, 2.0],
        observation_end=at(59),
    )
    assert s.customer_ids.tolist() == [3, 5, 7]
    assert s.frequency.tolist() == [0, 0, 2]  # same-day purchases are one period
    assert s.recency.tolist() == [0.0, 0.0, 25.0]
    assert s.T.tolist() == [56.0, 19.0, 59.0]
    assert s.monetary.tolist() == [0.0, 0.0, 40.0]  # mean of the repeat periods only
    assert s.frequency.dtype == np.int64


def test_a_period_sums_its_purchases_in_monetary() -> None:
    s = rfm_summary(["a"] * 4, [at(0), at(2), at(2, 15), at(4)], [1, 10, 20, 60], observation_end=at(5))
    assert s.frequency.tolist() == [2]
    assert s.monetary.tolist() == [45.0]  # (10 + 20 + 60) / 2


def test_transactions_after_the_end_are_ignored() -> None:
    s = rfm_summary(["a", "a", "b"], [at(0), at(20), at(21)], [1, 2, 3], observation_end=at(10))
    assert s.customer_ids.tolist() == ["a"]
    assert s.frequency.tolist() == [0]
    assert s.T.tolist() == [10.0]


def test_weeks_and_timedelta_periods() -> None:
    dates = [at(0), at(1), at(8), at(15)]  # 2024-01-01 is a Monday
    weekly = rfm_summary(["a"] * 4, dates, [1, 1, 1, 1], observation_end=at(20), period="W")
    assert (weekly.frequency.tolist(), weekly.recency.tolist(), weekly.T.tolist()) == ([2], [2.0], [2.0])
    hours = rfm_summary(
        ["a"] * 2, [at(0, 1), at(0, 5)], [1, 1], observation_end=at(0, 9), period=timedelta(hours=2)
    )
    assert (hours.frequency.tolist(), hours.recency.tolist(), hours.T.tolist()) == ([1], [2.0], [4.0])


def test_days_start_at_midnight_in_the_offset_of_the_observation_end() -> None:
    dates = [datetime(2024, 1, 1, 23, 30, tzinfo=UTC), datetime(2024, 1, 2, 0, 30, tzinfo=UTC)]
    in_utc = rfm_summary(["a", "a"], dates, [1, 1], observation_end=datetime(2024, 1, 5, tzinfo=UTC))
    berlin = timezone(timedelta(hours=2))
    local = rfm_summary(["a", "a"], dates, [1, 1], observation_end=datetime(2024, 1, 5, tzinfo=berlin))
    assert in_utc.frequency.tolist() == [1]
    assert local.frequency.tolist() == [0]  # both on 2 January at UTC+2


def test_results_are_frozen() -> None:
    s = rfm_summary(["a"], [at(0)], [1], observation_end=at(1))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        s.frequency = s.frequency  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        s.frequency[0] = 3


def test_empty_input() -> None:
    s = rfm_summary([], [], [], observation_end=END)
    assert len(s.customer_ids) == len(s.frequency) == len(s.monetary) == 0


def _reference(
    ids: list[int], days: list[int], amounts: list[float], end: int
) -> dict[int, tuple[int, float, float, float]]:
    """The definitions, one customer at a time, in plain Python."""
    by_customer: dict[int, dict[int, float]] = {}
    for c, d, a in zip(ids, days, amounts, strict=True):
        if d <= end:
            by_customer.setdefault(c, {}).setdefault(d, 0.0)
            by_customer[c][d] += a
    out = {}
    for c, periods in by_customer.items():
        first, last = min(periods), max(periods)
        x = len(periods) - 1
        monetary = (sum(periods.values()) - periods[first]) / x if x else 0.0
        out[c] = (x, float(last - first), float(end - first), monetary)
    return out


def test_agrees_with_a_plain_python_reference() -> None:
    rng = np.random.default_rng(11)
    n = 5000
    ids = rng.integers(0, 400, n).tolist()
    days = rng.integers(0, 120, n).tolist()
    amounts = np.round(rng.gamma(2.0, 20.0, n), 2).tolist()
    dates = [at(d, int(h)) for d, h in zip(days, rng.integers(0, 24, n), strict=True)]
    s = rfm_summary(ids, dates, amounts, observation_end=at(100, 23))
    expected = _reference(ids, days, amounts, 100)
    assert s.customer_ids.tolist() == sorted(expected)
    for i, c in enumerate(s.customer_ids.tolist()):
        x, recency, age, monetary = expected[c]
        assert (s.frequency[i], s.recency[i], s.T[i]) == (x, recency, age)
        assert s.monetary[i] == pytest.approx(monetary, rel=1e-12)


@pytest.mark.parametrize(
    ("dates", "amounts", "path"),
    [
        ([at(0), datetime(2024, 1, 2), at(3)], [1, 2, 3], "dates[1]"),
        ([at(0), at(1), date(2024, 1, 3)], [1, 2, 3], "dates[2]"),
        ([at(0), at(1), at(2)], [1, float("nan"), 3], "amounts[1]"),
        ([at(0), at(1), at(2)], [1, 2, "three"], "amounts[2]"),
        ([at(0), at(1), at(2)], [1, 2], "amounts"),
        ([at(0), at(1)], [1, 2, 3], "dates"),
    ],
)
def test_bad_rows_are_named(dates: list[object], amounts: list[object], path: str) -> None:
    with pytest.raises(ValidationError) as info:
        rfm_summary(["a", "b", "c"], dates, amounts, observation_end=END)  # type: ignore[arg-type]
    assert info.value.paths == (path,)


def test_observation_end_and_period_are_checked() -> None:
    with pytest.raises(ValidationError, match="observation_end: must be timezone-aware"):
        rfm_summary(["a"], [at(0)], [1], observation_end=datetime(2024, 3, 1))
    with pytest.raises(ValidationError, match="period"):
        rfm_summary(["a"], [at(0)], [1], observation_end=END, period="M")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="period: must be positive"):
        rfm_summary(["a"], [at(0)], [1], observation_end=END, period=timedelta(0))


def test_uuid_ids_sort_as_uuids_and_agree_with_text_ids() -> None:
    rng = np.random.default_rng(7)
    pool = [uuid.UUID(int=int(v)) for v in rng.integers(0, 2**62, 50)] + [uuid.UUID(int=2**127 + 5)]
    who = [pool[i] for i in rng.integers(0, len(pool), 400)]
    when = [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=int(d)) for d in rng.integers(0, 200, 400)]
    spent = rng.random(400) * 50
    end = datetime(2024, 9, 1, tzinfo=UTC)
    by_uuid = rfm_summary(who, when, spent, observation_end=end)
    by_hex = rfm_summary([u.hex for u in who], when, spent, observation_end=end)
    assert list(by_uuid.customer_ids) == sorted(set(who))
    assert [u.hex for u in by_uuid.customer_ids] == list(by_hex.customer_ids)
    for name in ("frequency", "recency", "T", "monetary"):
        np.testing.assert_array_equal(getattr(by_uuid, name), getattr(by_hex, name))


_EPOCH = datetime(1970, 1, 1)
_STEPS = {"D": timedelta(days=1), "W": timedelta(weeks=1), "h": timedelta(hours=1)}


def _exact_period(when: datetime, end: datetime, period: str | timedelta) -> int:
    """The period of ``when`` by exact calendar arithmetic, in the UTC offset of ``end``."""
    offset = end.utcoffset()
    assert offset is not None
    local = when.astimezone(UTC).replace(tzinfo=None) + offset
    since = local - _EPOCH + (timedelta(days=3) if period == "W" else timedelta(0))  # weeks from Monday
    return since // (_STEPS[period] if isinstance(period, str) else period)


zones = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))])
periods = st.sampled_from(["D", "W", "h", timedelta(hours=6), timedelta(days=7), timedelta(minutes=90)])


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[int], list[datetime], list[float], datetime, str | timedelta]:
    """Transaction logs whose times cluster on period edges (1 us either side) in several zones."""
    end_zone, period = draw(zones), draw(periods)
    end = datetime(2024, 3, 1, tzinfo=end_zone) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 14)))
    n = draw(st.integers(1, 40))
    ids, dates, amounts = [], [], []
    for _ in range(n):
        edge = datetime(2024, 1, 1, tzinfo=end_zone) + draw(st.integers(0, 70)) * timedelta(hours=6)
        nudge = draw(st.sampled_from([timedelta(0), timedelta(microseconds=1), -timedelta(microseconds=1)]))
        jitter = timedelta(seconds=draw(st.integers(0, 3)) * 1234.5) if draw(st.booleans()) else timedelta(0)
        ids.append(draw(st.integers(0, 6)))
        dates.append((edge + nudge + jitter).astimezone(draw(zones)))
        amounts.append(draw(st.floats(0.01, 1000.0)))
    return ids, dates, amounts, end, period


@settings(max_examples=300, deadline=None)
@given(logs())
def test_periods_match_exact_calendar_arithmetic(log: tuple[Any, ...]) -> None:
    ids, dates, amounts, end, period = log
    s = rfm_summary(ids, dates, amounts, observation_end=end, period=period)
    cells: dict[int, dict[int, float]] = {}
    for who, when, amount in zip(ids, dates, amounts, strict=True):
        if when <= end:
            cell = cells.setdefault(who, {})
            key = _exact_period(when, end, period)
            cell[key] = cell.get(key, 0.0) + amount
    assert s.customer_ids.tolist() == sorted(cells)
    end_period = _exact_period(end, end, period)
    for i, who in enumerate(s.customer_ids.tolist()):
        first, last, x = min(cells[who]), max(cells[who]), len(cells[who]) - 1
        assert (s.frequency[i], s.recency[i], s.T[i]) == (x, last - first, end_period - first)
        monetary = (sum(cells[who].values()) - cells[who][first]) / x if x else 0.0
        assert s.monetary[i] == pytest.approx(monetary, rel=1e-9)
