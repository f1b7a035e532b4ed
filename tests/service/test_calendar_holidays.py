"""Public holidays from the holidays extra; checks of the country, subdivision and years; a missing extra."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from relcore import ConfigurationError, ValidationError
from relcore.service import WORKDAYS, BusinessCalendar

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)
DESK = BusinessCalendar.weekly(
    "Europe/Paris",
    {d: ["09:00-12:00", "13:00-17:00"] for d in WORKDAYS},
    exceptions={date(2026, 12, 24): ["09:00-12:00"], date(2026, 7, 14): ["10:00-12:00"]},
)

needs_holidays = pytest.mark.skipif(
    importlib.util.find_spec("holidays") is None, reason="the holidays extra is not installed"
)


@needs_holidays
def test_french_holidays_close_their_days() -> None:
    french = DESK.with_holidays("FR", years=2026, keep_exceptions=False)
    assert french.openings_on(date(2026, 7, 14)) == ()  # Bastille Day, a Tuesday
    assert french.openings_on(date(2026, 5, 1)) == ()  # Labour Day, a Friday
    assert french.openings_on(date(2026, 12, 24)) == DESK.openings_on(date(2026, 12, 24))  # not a holiday
    # Thursday 30 April 16:00 + 2 h: one hour on Thursday, Friday 1 May closed, then Monday 10:00
    start = datetime(2026, 4, 30, 16, tzinfo=PARIS)
    assert french.add(start, 2 * H) == datetime(2026, 5, 4, 10, tzinfo=PARIS)
    assert DESK.add(start, 2 * H) == datetime(2026, 5, 1, 10, tzinfo=PARIS)


@needs_holidays
def test_own_exceptions_win_unless_told() -> None:
    kept = DESK.with_holidays("FR", years=[2026, 2027])
    assert kept.openings_on(date(2026, 7, 14)) == DESK.openings_on(date(2026, 7, 14))  # a partial opening
    assert kept.openings_on(date(2027, 7, 14)) == ()
    assert kept.openings_on(date(2026, 12, 24)) == DESK.openings_on(date(2026, 12, 24))


@needs_holidays
def test_bavaria_has_epiphany_and_a_weekend_holiday_changes_nothing() -> None:
    bavaria = BusinessCalendar.weekly("Europe/Berlin", dict.fromkeys(WORKDAYS, "08:00-16:00"))
    bavarian = bavaria.with_holidays("DE", subdivision="BY", years=2026)
    assert bavarian.openings_on(date(2026, 1, 6)) == ()  # Epiphany, a Tuesday, in Bavaria only
    assert bavaria.with_holidays("DE", years=2026).openings_on(date(2026, 1, 6)) != ()
    berlin = ZoneInfo("Europe/Berlin")
    # 26 December 2026 is a Saturday: already closed, so the week's business time is unchanged
    start, end = datetime(2026, 12, 21, tzinfo=berlin), datetime(2026, 12, 28, tzinfo=berlin)
    assert bavarian.diff(start, end) == bavaria.diff(start, end) - 8 * H  # only Friday 25 December counts
    assert date(2026, 12, 26) in bavarian.exceptions
    saturday = datetime(2026, 12, 26, 10, tzinfo=berlin)
    assert bavarian.next_open(saturday) == bavaria.next_open(saturday)


@needs_holidays
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"country": "XX", "years": 2026}, "country"),
        ({"country": 33, "years": 2026}, "country"),
        ({"country": "DE", "subdivision": "ZZ", "years": 2026}, "subdivision"),
        ({"country": "FR", "years": 1200}, "years"),
        ({"country": "FR", "years": True}, "years"),
        ({"country": "FR", "years": []}, "years"),
        ({"country": "FR", "years": [2026, "2027"]}, "years[1]"),
        ({"country": "FR", "years": "2026"}, "years"),
        ({"country": "FR", "years": range(1900, 2101)}, "years"),
    ],
)
def test_bad_holiday_requests_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        DESK.with_holidays(**kwargs)  # type: ignore[arg-type]
    assert caught.value.errors[0].path == field


def test_around_the_clock_has_no_closed_days() -> None:
    with pytest.raises(ValidationError) as caught:
        BusinessCalendar.always().with_holidays("FR", years=2026)
    assert caught.value.errors[0].path == "around_the_clock"


def test_a_missing_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "holidays", None)  # import holidays now raises ImportError
    with pytest.raises(ConfigurationError, match=r"relcore\[holidays\]"):
        DESK.with_holidays("FR", years=2026)


def test_calendars_hash_and_compare_by_value() -> None:
    same = BusinessCalendar.weekly(
        "Europe/Paris",
        {d: ["09:00-12:00", "13:00-17:00"] for d in WORKDAYS},
        exceptions={date(2026, 7, 14): ["10:00-12:00"], date(2026, 12, 24): ["09:00-12:00"]},
    )
    assert same == DESK
    assert hash(same) == hash(DESK)
    assert {DESK: 1}[same] == 1
    plain = BusinessCalendar.weekly("Europe/Paris", {d: ["09:00-12:00", "13:00-17:00"] for d in WORKDAYS})
    assert same != plain
    with pytest.raises(TypeError):
        DESK.exceptions[date(2026, 1, 2)] = ()  # type: ignore[index]


def test_an_evolved_calendar_answers_for_its_own_zone() -> None:
    new_york = attrs.evolve(DESK, timezone="America/New_York")
    monday = datetime(2026, 3, 2, 14, tzinfo=ZoneInfo("America/New_York"))  # 20:00 in Paris
    assert new_york.next_open(monday) == monday
    assert DESK.next_open(monday) == datetime(2026, 3, 3, 9, tzinfo=PARIS)
    assert new_york != DESK
