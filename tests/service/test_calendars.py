"""Business calendars: table-driven cases worked by hand, and the arithmetic's properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relcore import ValidationError
from relcore.service import DAYS, WORKDAYS, BusinessCalendar

PARIS, NEW_YORK = ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York")
H = timedelta(hours=1)

NINE_TO_FIVE = BusinessCalendar.weekly("Europe/Paris", dict.fromkeys(WORKDAYS, "09:00-17:00"))
LUNCH = BusinessCalendar.weekly(
    "Europe/Paris",
    {d: ["09:00-12:30", "13:30-17:00"] for d in WORKDAYS},
    exceptions={
        date(2026, 5, 1): [],  # Labour Day, a Friday: closed
        date(2026, 5, 8): [],  # a Friday too
        date(2026, 12, 24): ["09:00-12:00"],  # a partial holiday
        date(2026, 3, 7): ["10:00-14:00"],  # a special Saturday opening
    },
)
NIGHTS = BusinessCalendar.weekly("Europe/Paris", dict.fromkeys(WORKDAYS, "22:00-06:00"))
NY = BusinessCalendar.weekly("America/New_York", dict.fromkeys(WORKDAYS, "09:00-17:00"))


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "due"),
    [
        # 16:00 + 4 h on 09:00-17:00: one hour on Friday, three on Monday
        (NINE_TO_FIVE, paris(2026, 3, 6, 16), 4 * H, paris(2026, 3, 9, 12)),
        # opened Friday 18:00: the count starts Monday 09:00
        (NINE_TO_FIVE, paris(2026, 3, 6, 18), 4 * H, paris(2026, 3, 9, 13)),
        # a lunch break: 11:00 + 2 h = 11:00-12:30, then 13:30-14:00
        (LUNCH, paris(2026, 3, 4, 11), 2 * H, paris(2026, 3, 4, 14)),
        # Labour Day (Friday) is closed: Thursday 16:00 + 2 h = 17:00 Thursday then Monday 10:00
        (LUNCH, paris(2026, 4, 30, 16), 2 * H, paris(2026, 5, 4, 10)),
        # a holiday on a weekend changes nothing; the special Saturday opening counts
        (LUNCH, paris(2026, 3, 6, 16), 2 * H, paris(2026, 3, 7, 11)),
        # the partial holiday on 24 December closes at noon
        (LUNCH, paris(2026, 12, 24, 11), 2 * H, paris(2026, 12, 25, 10)),
        # DST in Paris (29 March 2026): 09:00-17:00 on the Monday after is still 8 hours
        (NINE_TO_FIVE, paris(2026, 3, 27, 17), 8 * H, paris(2026, 3, 30, 17)),
        # an overnight shift: Monday 23:00 + 3 h = Tuesday 02:00
        (NIGHTS, paris(2026, 3, 9, 23), 3 * H, paris(2026, 3, 10, 2)),
        # Friday 05:00 is Thursday's night: one hour to 06:00, then Friday 22:00-23:00
        (NIGHTS, paris(2026, 3, 13, 5), 2 * H, paris(2026, 3, 13, 23)),
        # Saturday 05:00 is Friday's night: one hour, then nothing until Monday 22:00
        (NIGHTS, paris(2026, 3, 14, 5), 2 * H, paris(2026, 3, 16, 23)),
        # going back: Monday 10:00 - 2 h = Friday 16:00
        (NINE_TO_FIVE, paris(2026, 3, 9, 10), -2 * H, paris(2026, 3, 6, 16)),
    ],
)
def test_business_time_added_by_hand(
    calendar: BusinessCalendar, start: datetime, duration: timedelta, due: datetime
) -> None:
    assert calendar.add(start, duration) == due
    assert calendar.diff(start, due) == duration


def test_dst_in_new_york_and_around_the_clock() -> None:
    # 8 March 2026, clocks go forward in New York: Friday 16:00 + 2 h = Monday 10:00 local
    start = datetime(2026, 3, 6, 16, tzinfo=NEW_YORK)
    assert NY.add(start, 2 * H) == datetime(2026, 3, 9, 10, tzinfo=NEW_YORK)
    always = BusinessCalendar.always("Europe/Paris")
    night = paris(2026, 3, 29, 0)  # 23 real hours that local day
    assert always.diff(night, paris(2026, 3, 30, 0)) == 23 * H
    assert always.add(night, 2 * H) == night.astimezone(UTC) + 2 * H  # real seconds, not wall-clock


def test_is_open_next_open_and_the_open_intervals() -> None:
    assert LUNCH.is_open(paris(2026, 3, 4, 9))
    assert not LUNCH.is_open(paris(2026, 3, 4, 12, 30))  # lunch
    assert not LUNCH.is_open(paris(2026, 5, 1, 10))  # holiday
    assert LUNCH.next_open(paris(2026, 3, 4, 12, 45)) == paris(2026, 3, 4, 13, 30)
    assert LUNCH.next_open(paris(2026, 4, 30, 18)) == paris(2026, 5, 4, 9)
    assert LUNCH.open_intervals(paris(2026, 3, 4, 12), paris(2026, 3, 4, 14)) == [
        (paris(2026, 3, 4, 12).astimezone(UTC), paris(2026, 3, 4, 12, 30).astimezone(UTC)),
        (paris(2026, 3, 4, 13, 30).astimezone(UTC), paris(2026, 3, 4, 14).astimezone(UTC)),
    ]
    assert NIGHTS.is_open(paris(2026, 3, 10, 5))  # Tuesday early: Monday's night
    assert not NIGHTS.is_open(paris(2026, 3, 9, 5))  # Monday early: Sunday had no night


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: BusinessCalendar.weekly("Europe/Paris", {}), "week"),
        (lambda: BusinessCalendar.weekly("Mars/Olympus", {"mon": "09:00-17:00"}), "timezone"),
        (lambda: BusinessCalendar.weekly("UTC", {"monday": "09:00-17:00"}), "days"),
        (lambda: BusinessCalendar.weekly("UTC", {"mon": "9-5"}), "days[mon]"),
        (lambda: BusinessCalendar.weekly("UTC", {"mon": "09:00-25:00"}), "days[mon]"),
        (lambda: BusinessCalendar.weekly("UTC", {"mon": "09:00-09:00"}), "days[mon]"),
    ],
)
def test_bad_calendars_are_refused_naming_the_field(build: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.errors[0].path == field


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValidationError):
        NINE_TO_FIVE.add(datetime(2026, 3, 6, 16), H)


instants = st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(PARIS))
durations = st.integers(0, 400 * 60).map(lambda m: timedelta(minutes=m))
calendars = st.sampled_from([NINE_TO_FIVE, LUNCH, NIGHTS, NY, BusinessCalendar.always("Europe/Paris")])


@settings(max_examples=200, deadline=None)
@given(calendars, instants, durations, durations)
def test_the_arithmetic_holds_together(
    calendar: BusinessCalendar, start: datetime, first: timedelta, second: timedelta
) -> None:
    later = calendar.add(start, first)
    assert calendar.diff(start, later) == first  # diff(a, add(a, d)) == d
    assert calendar.add(start, first + second) >= later  # add is monotone
    last = calendar.add(start, first + second)
    assert calendar.diff(start, later) + calendar.diff(later, last) == calendar.diff(start, last)
    assert calendar.diff(last, start) == -calendar.diff(start, last)
    assert calendar.is_open(calendar.next_open(start))


def test_openings_in_dst_gaps_and_folds() -> None:
    gaps = BusinessCalendar.weekly(
        "Europe/Paris",
        dict.fromkeys(WORKDAYS, "09:00-17:00"),
        exceptions={date(2026, 3, 29): ["02:00-04:00"], date(2026, 3, 28): ["02:30-03:00"]},
    )
    # 29 March: 02:00 does not exist, the wall clock shows 03:00-04:00: one real hour
    assert gaps.diff(paris(2026, 3, 29), paris(2026, 3, 30)) == H
    assert gaps.next_open(paris(2026, 3, 29, 1)) == paris(2026, 3, 29, 3)
    # a gap-free day: 02:30-03:00 is half an hour
    assert gaps.diff(paris(2026, 3, 28), paris(2026, 3, 29)) == H / 2
    spring = BusinessCalendar.weekly(
        "Europe/Paris",
        dict.fromkeys(WORKDAYS, "09:00-17:00"),
        exceptions={date(2026, 3, 29): ["02:30-03:00"]},
    )
    # on the day clocks skip 02:00-03:00, 02:30-03:00 never shows on a wall clock: nothing open
    assert spring.diff(paris(2026, 3, 29), paris(2026, 3, 30)) == timedelta(0)
    assert spring.next_open(paris(2026, 3, 29)) == paris(2026, 3, 30, 9)
    # New York falls back on 1 November: 01:30 (daylight time) to 02:30 (standard time) is two hours
    fold = BusinessCalendar.weekly(
        "America/New_York",
        dict.fromkeys(WORKDAYS, "09:00-17:00"),
        exceptions={date(2026, 11, 1): ["01:30-02:30"]},
    )
    sunday = datetime(2026, 11, 1, tzinfo=NEW_YORK)
    assert fold.diff(sunday, sunday + 24 * H) == 2 * H
    # one hour in: 01:30 for the second time, standard time (a fold=1 time never equals across zones)
    assert fold.add(sunday, H) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    # around the clock by the week: the autumn Sunday in Paris has 25 real hours
    full = BusinessCalendar.weekly("Europe/Paris", dict.fromkeys(DAYS, "00:00-24:00"))
    assert full.diff(paris(2026, 10, 25), paris(2026, 10, 26)) == 25 * H
    assert full.diff(paris(2026, 3, 29), paris(2026, 3, 30)) == 23 * H


def test_long_spans_count_whole_weeks() -> None:
    start = paris(2026, 1, 5, 9)  # a Monday
    end = start + timedelta(weeks=2087)  # Monday 4 January 2066, 09:00 local
    # 35 hours a week; in 2026 two Fridays closed, 24 December 3 hours instead of 7, a Saturday of 4
    expected = 2087 * 35 * H - 2 * 7 * H - 4 * H + 4 * H
    assert LUNCH.diff(start, end) == expected
    assert LUNCH.diff(end, start) == -expected
    assert LUNCH.add(start, expected) == paris(2066, 1, 1, 17)  # the earliest instant: Friday's close
    assert LUNCH.add(end, -expected) == start
