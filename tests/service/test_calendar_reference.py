"""The week-skipping arithmetic against a plain day-by-day walk, on random calendars across DST changes.

The reference below is the straightforward reading of a calendar: each local
day's openings turned into instants (a wall time maps to the instant it first
shows), kept sorted and disjoint, walked one by one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from relcore.service import DAYS, BusinessCalendar

PARIS, NEW_YORK = ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York")
DST_DAYS = [date(2026, 3, 8), date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 1), date(2027, 3, 14)]


# -- the reference ------------------------------------------------------------------------------


def day_intervals(calendar: BusinessCalendar, first: date, step: int) -> Iterator[tuple[datetime, datetime]]:
    """Every opening from the local date ``first`` on (``step`` 1) or back (-1), sorted, as UTC instants.

    Each is clipped to its day's midnights and to the end of the day's previous
    opening (a skipped wall-clock hour, or a skipped day, can leave nothing).
    """
    zone = ZoneInfo(calendar.timezone)
    day = first
    while True:
        midnight = datetime.combine(day, time(0))

        def instant(minutes: int, midnight: datetime = midnight) -> datetime:
            return (midnight + timedelta(minutes=minutes)).replace(tzinfo=zone).astimezone(UTC)

        low, high = instant(0), instant(24 * 60)  # a day's openings stay within its midnights
        found: list[tuple[datetime, datetime]] = []
        for opening in calendar.openings_on(day):
            start = max(instant(opening.start), low)
            end = min(instant(opening.end), high)
            if end > start:  # a wall time in a spring-forward gap can leave nothing
                found.append((start, end))
                low = end
        yield from found if step == 1 else reversed(found)
        day += timedelta(days=step)


def local_day(calendar: BusinessCalendar, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(calendar.timezone)).date()


def ref_add(calendar: BusinessCalendar, at: datetime, duration: timedelta) -> datetime:
    moment = at.astimezone(UTC)
    if calendar.around_the_clock or not duration:
        return moment + duration
    left = abs(duration)
    if duration > timedelta(0):
        for start, end in day_intervals(calendar, local_day(calendar, moment) - timedelta(days=1), 1):
            if end > moment:
                begin = max(start, moment)
                if end - begin >= left:
                    return begin + left
                left -= end - begin
    else:
        for start, end in day_intervals(calendar, local_day(calendar, moment) + timedelta(days=1), -1):
            if start < moment:
                finish = min(end, moment)
                if finish - start >= left:
                    return finish - left
                left -= finish - start
    raise AssertionError("unreachable")


def ref_intervals(
    calendar: BusinessCalendar, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    first, last = start.astimezone(UTC), end.astimezone(UTC)
    found = []
    for opened, closed in day_intervals(calendar, local_day(calendar, first) - timedelta(days=1), 1):
        if opened >= last:
            return found
        if closed > first:
            found.append((max(opened, first), min(closed, last)))
    raise AssertionError("unreachable")


def ref_diff(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    start, end = start.astimezone(UTC), end.astimezone(UTC)  # one zone would subtract wall times
    if end < start:
        return -ref_diff(calendar, end, start)
    if calendar.around_the_clock:
        return end - start
    return sum((b - a for a, b in ref_intervals(calendar, start, end)), timedelta(0))


def ref_next_open(calendar: BusinessCalendar, at: datetime) -> datetime:
    moment = at.astimezone(UTC)
    for start, end in day_intervals(calendar, local_day(calendar, moment) - timedelta(days=1), 1):
        if moment < end:
            return max(start, moment)
    raise AssertionError("unreachable")


# -- random calendars -----------------------------------------------------------------------------

# quarter hours, with the DST hours (01:00-03:00) likelier, so openings start and end in gaps and folds
minutes = st.one_of(st.integers(0, 96).map(lambda q: q * 15), st.integers(60, 180))


def text(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


spans = st.tuples(minutes, minutes).filter(lambda se: se[0] != se[1] and se[0] < 1440)
day_spans = st.lists(spans.map(lambda se: text(*se)), max_size=3)
exception_spans = st.lists(
    st.tuples(minutes, minutes).filter(lambda se: se[0] < se[1]).map(lambda se: text(*se)), max_size=2
)
exception_days = st.one_of(
    st.sampled_from(DST_DAYS).flatmap(lambda d: st.integers(-9, 9).map(lambda n: d + timedelta(days=n))),
    st.dates(date(2025, 12, 1), date(2027, 12, 31)),
)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    zone = draw(st.sampled_from(["Europe/Paris", "America/New_York"]))
    days = {day: draw(day_spans) for day in DAYS}
    if not any(days.values()):
        days["mon"] = ["09:00-17:00"]
    exceptions = draw(st.dictionaries(exception_days, exception_spans, max_size=12))
    return BusinessCalendar.weekly(zone, days, exceptions=exceptions)


any_calendar = st.one_of(calendars(), st.just(BusinessCalendar.always("Europe/Paris")))
near_dst = st.tuples(st.sampled_from(DST_DAYS), st.integers(-3 * 24 * 60, 3 * 24 * 60)).map(
    lambda dm: datetime.combine(dm[0], time(0)) + timedelta(minutes=dm[1])
)
wall = st.one_of(near_dst, st.datetimes(datetime(2025, 12, 1), datetime(2027, 12, 31)))
instants = st.builds(
    lambda moment, zone, fold, micro: moment.replace(tzinfo=zone, fold=fold, microsecond=micro),
    wall,
    st.sampled_from([PARIS, NEW_YORK, UTC]),
    st.integers(0, 1),
    st.sampled_from([0, 0, 1, 999_999]),
)
durations = st.one_of(
    st.integers(-300 * 60, 300 * 60).map(lambda m: timedelta(minutes=m)),
    st.integers(-(10**12), 10**12).map(lambda us: timedelta(microseconds=us)),
)


@settings(max_examples=300, deadline=None)
@given(any_calendar, instants, durations)
def test_add_walks_like_the_reference(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    assert calendar.add(start, duration) == ref_add(calendar, start, duration)


@settings(max_examples=300, deadline=None)
@given(any_calendar, instants, instants)
def test_diff_and_open_intervals_like_the_reference(
    calendar: BusinessCalendar, start: datetime, end: datetime
) -> None:
    assert calendar.diff(start, end) == ref_diff(calendar, start, end)
    if not calendar.around_the_clock and start < end:
        assert calendar.open_intervals(start, end) == ref_intervals(calendar, start, end)


@settings(max_examples=300, deadline=None)
@given(calendars(), instants)
def test_is_open_and_next_open_like_the_reference(calendar: BusinessCalendar, at: datetime) -> None:
    following = ref_next_open(calendar, at)
    assert calendar.next_open(at) == following
    assert calendar.is_open(at) == (following == at.astimezone(UTC))


@settings(max_examples=15, deadline=None)
@given(calendars(), instants, st.integers(2, 30))
def test_long_spans_like_the_reference(calendar: BusinessCalendar, start: datetime, years: int) -> None:
    end = start + timedelta(days=365 * years + 17)
    span = ref_diff(calendar, start, end)
    assert calendar.diff(start, end) == span
    assert calendar.diff(end, start) == -span
    assert calendar.add(start, span) == ref_add(calendar, start, span)
    assert calendar.add(end, -span) == ref_add(calendar, end, -span)
