"""The pure parts of the service reports: type-7 percentiles and local calendar periods."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relcore.errors import ValidationError
from relcore.service.durations import Durations, percentile
from relcore.service.periods import Period, check_zone, first_day, next_day, periods, starts_at
from relcore.testing.strategies import ZONES

PARIS = ZoneInfo("Europe/Paris")
seconds = st.lists(st.integers(0, 10**7), min_size=2, max_size=40)


@given(seconds)
def test_percentiles_are_those_of_the_inclusive_method(values: list[int]) -> None:
    # statistics.quantiles(method="inclusive") is Hyndman-Fan type 7, as numpy's default
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    found = Durations.of(timedelta(seconds=v) for v in values)
    assert found.n == len(values)
    assert found.median is not None
    assert found.p90 is not None
    assert abs(found.median.total_seconds() - statistics.median(values)) <= 1e-6
    assert abs(found.p90.total_seconds() - deciles[8]) <= 1e-6 * max(1.0, deciles[8])


@given(seconds, st.fractions(0, 1))
def test_a_percentile_lies_between_its_neighbours(values: list[int], share: Fraction) -> None:
    ordered = sorted(timedelta(seconds=v) for v in values)
    found = percentile(ordered, share)
    assert found is not None
    assert ordered[0] <= found <= ordered[-1]
    assert percentile(ordered, Fraction(0)) == ordered[0]
    assert percentile(ordered, Fraction(1)) == ordered[-1]


def test_small_samples_by_hand() -> None:
    assert Durations.of([]) == Durations(0, None, None)
    one = timedelta(minutes=7)
    assert Durations.of([one]) == Durations(1, one, one)
    # 1 s and 2 s: median h = 0.5 -> 1.5 s; p90 h = 0.9 -> 1.9 s
    pair = Durations.of([timedelta(seconds=2), timedelta(seconds=1)])
    assert pair == Durations(2, timedelta(seconds=1.5), timedelta(seconds=1.9))
    # a half microsecond rounds half to even
    assert percentile([timedelta(0), timedelta(microseconds=1)], Fraction(1, 2)) == timedelta(0)
    with pytest.raises(ValidationError):
        Durations.of([timedelta(1), 3])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        percentile([one], Fraction(3, 2))


@given(
    st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(list(Period)),
    st.sampled_from(ZONES),
)
def test_an_instant_lies_in_the_period_of_its_first_day(moment: datetime, period: Period, name: str) -> None:
    zone = ZoneInfo(name)
    day = first_day(moment, period, zone)
    assert starts_at(day, zone) <= moment < starts_at(next_day(day, period), zone)
    assert first_day(starts_at(day, zone), period, zone) == day


def test_periods_follow_local_days_months_and_the_clock_change_in_paris() -> None:
    # 31 March 2026, 23:30 in Paris is 21:30 UTC: still March; 22:30 UTC is April
    assert first_day(datetime(2026, 3, 31, 21, 30, tzinfo=UTC), Period.MONTH, PARIS) == date(2026, 3, 1)
    assert first_day(datetime(2026, 3, 31, 22, 30, tzinfo=UTC), Period.MONTH, PARIS) == date(2026, 4, 1)
    # the day of the change (29 March 2026) is 23 hours long
    change = starts_at(date(2026, 3, 30), PARIS) - starts_at(date(2026, 3, 29), PARIS)
    assert change == timedelta(hours=23)
    assert first_day(datetime(2026, 3, 4, tzinfo=UTC), Period.WEEK, PARIS) == date(2026, 3, 2)  # a Monday
    assert first_day(datetime(2026, 8, 15, tzinfo=UTC), Period.QUARTER, PARIS) == date(2026, 7, 1)
    assert next_day(date(2026, 10, 1), Period.QUARTER) == date(2027, 1, 1)
    assert next_day(date(2026, 12, 1), Period.MONTH) == date(2027, 1, 1)
    span = (datetime(2026, 3, 31, 21, 59, tzinfo=UTC), datetime(2026, 4, 1, 0, tzinfo=UTC))
    assert periods(*span, Period.DAY, PARIS) == [date(2026, 3, 31), date(2026, 4, 1)]
    assert periods(*span, Period.MONTH, UTC) == [date(2026, 3, 1)]  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "../etc/passwd", 3, "x" * 65])
def test_unknown_zones_are_refused(name: object) -> None:
    with pytest.raises(ValidationError) as raised:
        check_zone("timezone", name)
    assert [e.path for e in raised.value.errors] == ["timezone"]
