# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Business calendars: when a desk is open, and business-time arithmetic on aware datetimes.

A [BusinessCalendar][relcore.service.calendars.BusinessCalendar] has an IANA
time zone, opening intervals for each day of the week (several a day, so a
lunch break is two intervals; ``24:00`` ends a day; an interval ending before
it starts runs overnight into the next day) and dated exceptions (a closed
day, a partial holiday, a special opening: the exception's intervals replace
the day's). [BusinessCalendar.always][relcore.service.calendars.BusinessCalendar.always]
is open around the clock.

Intervals are local wall-clock times, turned into instants in the calendar's
zone day by day, so 09:00-17:00 is eight hours on the days clocks change too,
and an around-the-clock calendar counts real seconds. A wall time the clocks
skip is read as the instant it would have shown (an hour later, in spring), one
they show twice as its first occurrence; an opening left with no time by a
skipped hour is empty. A calendar with no open time in its week is refused when
built; an exception cannot make one loop forever, because only finitely many
days have exceptions.

The instants are built a week at a time as questions need them and kept with
running totals by week, so ``add`` and ``diff`` over long spans skip whole
weeks, and one call costs a few microseconds.

Example:
    >>> from datetime import datetime, timedelta
    >>> from zoneinfo import ZoneInfo
    >>> paris = ZoneInfo("Europe/Paris")
    >>> desk = BusinessCalendar.weekly("Europe/Paris", {day: "09:00-17:00" for day in WORKDAYS})
    >>> desk.add(datetime(2026, 3, 6, 16, tzinfo=paris), timedelta(hours=4)).astimezone(paris)
    datetime.datetime(2026, 3, 9, 12, 0, tzinfo=zoneinfo.ZoneInfo(key='Europe/Paris'))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from relcore._kernel import checks as check
from relcore.service._holidays import public_holidays
from relcore.service._open_weeks import OpenWeeks

__all__ = ["DAYS", "WORKDAYS", "BusinessCalendar", "Opening"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The days of the week, Monday first, as the calendars name them."""

WORKDAYS = DAYS[:5]
"""Monday to Friday."""

_DAY_MINUTES = 24 * 60
_SPAN = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")
_US = timedelta(microseconds=1)
_ORIGIN = datetime(1, 1, 1, tzinfo=UTC)  # instants are microseconds since then
# datetimes in these zones, within these years, are checked without the general path's care
_PLAIN_ZONES = (ZoneInfo, timezone)
_MIN_YEAR, _MAX_YEAR = check.MIN_YEAR, check.MAX_YEAR


@attrs.frozen(order=True)
class Opening:
    """One opening interval of a day, in local minutes from midnight: ``[start, end)``, ``end`` up to 1440."""

    start: int
    end: int

    @classmethod
    def parse(cls, field: str, text: object) -> list[Opening]:
        """``"09:00-12:30"`` as one opening; ``"22:00-06:00"`` (overnight) as two, today's and tomorrow's.

        Raises:
            ValidationError: Not ``HH:MM-HH:MM`` with times from 00:00 to 24:00, or an empty interval.
        """
        found = _SPAN.fullmatch(check.check_text(field, text, max_len=11))
        if found is None:
            raise check.fail(field, "expected an interval HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if m1 > 59 or m2 > 59 or start > _DAY_MINUTES or end > _DAY_MINUTES or start == _DAY_MINUTES:
            raise check.fail(field, "times run from 00:00 to 24:00")
        if start == end:
            raise check.fail(field, "an interval must not be empty")
        if end > start:
            return [cls(start, end)]
        # overnight: the rest is tomorrow's
        return [cls(start, _DAY_MINUTES), *([cls(0, end)] if end else [])]


def _zone(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    name = check.check_text(field.name, value, max_len=60)
    try:
        ZoneInfo(name)
        known = True
    except (ValueError, ZoneInfoNotFoundError):
        known = False  # raised outside the handler: the zone library's message repeats the value
    if not known:
        raise check.fail(field.name, "not an IANA time zone name such as 'Europe/Paris'")
    return name


def _item(path: str, value: object) -> object:
    return value


def _merged(openings: Iterable[object], field: str) -> tuple[Opening, ...]:
    """Sorted, with touching or overlapping intervals joined."""
    checked: list[Opening] = []
    for opening in openings:
        if isinstance(opening, Mapping):  # as stored: {"start": 540, "end": 720}
            opening = check.guarded(field, lambda o=opening: Opening(**dict(o)))
        if not isinstance(opening, Opening):
            raise check.fail(field, f"expected Opening values, got {check.kind(opening)}")
        checked.append(opening)
    joined: list[Opening] = []
    for opening in sorted(checked):
        if joined and opening.start <= joined[-1].end:
            joined[-1] = Opening(joined[-1].start, max(joined[-1].end, opening.end))
        else:
            joined.append(opening)
    return tuple(joined)


def _week(value: object, field: attrs.Attribute) -> tuple[tuple[Opening, ...], ...]:  # type: ignore[type-arg]
    days = check.check_tuple(lambda path, item: check.check_tuple(_item, path, item), field.name, value)
    if len(days) != 7:
        raise check.fail(field.name, "expected seven days, Monday first")
    return tuple(_merged(day, f"{field.name}[{i}]") for i, day in enumerate(days))


def _iso_date(key: object) -> object:
    """A date key as stored (``"2026-07-14"``) read back as a date; anything else as it is."""
    if isinstance(key, str) and len(key) == 10:
        try:
            return date.fromisoformat(key)
        except ValueError:
            return key
    return key


def _exceptions(value: object, field: attrs.Attribute) -> Mapping[date, tuple[Opening, ...]]:  # type: ignore[type-arg]
    if not isinstance(value, Mapping):
        raise check.fail(field.name, f"expected a mapping of dates to openings, got {check.kind(value)}")
    found: dict[date, tuple[Opening, ...]] = {}
    for key, openings in value.items():
        day = _iso_date(key)
        if isinstance(day, datetime) or not isinstance(day, date):
            raise check.fail(field.name, f"expected dates as keys, got {check.kind(day)}")
        path = f"{field.name}[{day.isoformat()}]"
        found[day] = _merged(check.check_tuple(_item, path, openings), path)
    return MappingProxyType(dict(sorted(found.items())))  # read-only: the cached weeks depend on it


@attrs.frozen(kw_only=True)
class BusinessCalendar:
    """When a desk is open: weekly opening intervals and dated exceptions in one time zone.

    Build one with [weekly][relcore.service.calendars.BusinessCalendar.weekly]
    or [always][relcore.service.calendars.BusinessCalendar.always].

    Attributes:
        timezone: The IANA zone its wall-clock times are in.
        week: For each day, Monday first, its openings (sorted, not overlapping).
        exceptions: Dates whose openings replace their weekday's (none: closed that day).
        around_the_clock: Open at every instant (``week`` and ``exceptions`` are then empty).
    """

    timezone: str = attrs.field(default="UTC", converter=attrs.Converter(_zone, takes_field=True))
    week: tuple[tuple[Opening, ...], ...] = attrs.field(
        default=((),) * 7, converter=attrs.Converter(_week, takes_field=True)
    )
    # equal calendars hash alike without the exceptions (a read-only mapping, compared for equality)
    exceptions: Mapping[date, tuple[Opening, ...]] = attrs.field(
        factory=dict, converter=attrs.Converter(_exceptions, takes_field=True), hash=False
    )
    around_the_clock: bool = attrs.field(default=False, converter=check.boolean)
    # the open time as instants, built a week at a time as questions need it (a cache, not state)
    _open: OpenWeeks = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        if not self.around_the_clock and not any(self.week):
            raise check.fail("week", "a calendar must be open some time in its week")
        if self.around_the_clock and (any(self.week) or self.exceptions):
            raise check.fail("around_the_clock", "an around-the-clock calendar has no openings or exceptions")
        object.__setattr__(self, "_open", OpenWeeks(self.zone, self.week, self.exceptions))

    @classmethod
    def always(cls, timezone: str = "UTC") -> BusinessCalendar:
        """A calendar open at every instant (24x7): business time is real time."""
        return cls(timezone=timezone, around_the_clock=True)

    @classmethod
    def weekly(
        cls,
        timezone: str,
        days: Mapping[str, str | Iterable[str]],
        *,
        exceptions: Mapping[date, str | Iterable[str]] | None = None,
    ) -> BusinessCalendar:
        """A calendar from ``{"mon": ["09:00-12:30", "13:30-17:00"], ...}`` and dated exceptions.

        An interval ending before it starts (``"22:00-06:00"``) runs overnight into
        the next day. An exception's intervals replace its day's; an empty list
        closes it; exceptions do not run overnight.
        """
        if not isinstance(days, Mapping):
            raise check.fail("days", f"expected a mapping of days to intervals, got {check.kind(days)}")
        week: list[list[Opening]] = [[] for _ in DAYS]
        for name, spans in days.items():
            if name not in DAYS:
                raise check.fail("days", f"expected day names among {', '.join(DAYS)}")
            index = DAYS.index(name)
            for opening in _openings(f"days[{name}]", spans):
                # the part of an overnight interval starting at midnight belongs to the next day
                target = (index + 1) % 7 if opening.start == 0 and _overnight(spans, opening) else index
                week[target].append(opening)
        if exceptions is not None and not isinstance(exceptions, Mapping):
            raise check.fail(
                "exceptions", f"expected a mapping of dates to intervals, got {check.kind(exceptions)}"
            )
        closures: dict[date, list[Opening]] = {}
        for day, spans in check.guarded("exceptions", lambda: list((exceptions or {}).items())):
            if isinstance(day, datetime) or not isinstance(day, date):
                raise check.fail("exceptions", f"expected dates as keys, got {check.kind(day)}")
            found = _openings(f"exceptions[{day}]", spans)
            if any(o.start == 0 and _overnight(spans, o) for o in found):
                raise check.fail(f"exceptions[{day}]", "an exception's intervals end by 24:00")
            closures[day] = found
        return cls(timezone=timezone, week=week, exceptions=closures)

    def with_holidays(
        self,
        country: str,
        *,
        subdivision: str | None = None,
        years: int | Iterable[int],
        keep_exceptions: bool = True,
    ) -> BusinessCalendar:
        """This calendar with a country's (or a region's) public holidays closed, in the given years.

        The dates come from the optional [holidays](https://pypi.org/project/holidays/)
        package (relcore's ``holidays`` extra) with its defaults: public
        holidays, observed days included. A date that already has an exception
        keeps it (a partial holiday stays partial) unless ``keep_exceptions`` is false.

        Args:
            country: An ISO 3166-1 code the holidays package knows, such as ``"FR"``.
            subdivision: A region of that country, such as ``"BY"`` (Bavaria) for ``"DE"``.
            years: A year or several, from 1900 to 2200.
            keep_exceptions: Whether the calendar's own exceptions win over the holidays.

        Raises:
            ConfigurationError: The holidays package is not installed.
            ValidationError: An unknown country or subdivision, bad years, or an
                around-the-clock calendar (it has no closed days).
        """
        if self.around_the_clock:
            raise check.fail("around_the_clock", "an around-the-clock calendar has no closed days")
        closed = public_holidays(country, subdivision, years)
        merged: dict[date, tuple[Opening, ...]] = dict.fromkeys(closed, ())
        if keep_exceptions:
            merged.update(self.exceptions)
        else:
            merged = {**self.exceptions, **merged}
        return attrs.evolve(self, exceptions=merged)

    # -- the openings as instants ----------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.timezone)

    def openings_on(self, day: date) -> tuple[Opening, ...]:
        """The openings of a local date: its exception's, else its weekday's."""
        found = self.exceptions.get(day)
        return found if found is not None else self.week[day.weekday()]

    # -- questions ------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether the desk is open at the aware instant ``at``."""
        moment = _micros("at", at)
        return self.around_the_clock or self._open.is_open(moment)

    def next_open(self, at: datetime) -> datetime:
        """``at`` if the desk is open then, else the next instant it opens (in UTC)."""
        moment = _micros("at", at)
        return _instant(moment if self.around_the_clock else self._open.next_open(moment))

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The open intervals within ``[start, end)``, clipped, in order (UTC)."""
        first, last = _micros("start", start), _micros("end", end)
        if last <= first:
            return []
        if self.around_the_clock:
            return [(_instant(first), _instant(last))]
        return [(_instant(a), _instant(b)) for a, b in self._open.intervals(first, last)]

    def diff(self, start: datetime, end: datetime) -> timedelta:
        """The business time from ``start`` to ``end``: open time between them, negative when reversed."""
        first, last = _micros("start", start), _micros("end", end)
        if self.around_the_clock:
            return timedelta(microseconds=last - first)
        if last < first:
            return -timedelta(microseconds=self._open.diff(last, first))
        return timedelta(microseconds=self._open.diff(first, last))

    def add(self, at: datetime, duration: timedelta) -> datetime:
        """The instant ``duration`` of business time after ``at`` (before it, for a negative one).

        From an instant outside the openings the count starts at the next
        opening (the previous closing, going back): 16:00 plus four hours on a
        09:00-17:00 calendar is 12:00 the next working day. The count ends at
        the earliest instant reaching the duration (the latest, going back).
        """
        moment = _micros("at", at)
        if not isinstance(duration, timedelta):
            raise check.fail("duration", f"expected a timedelta, got {check.kind(duration)}")
        span = duration // _US
        if self.around_the_clock or span == 0:
            return _instant(moment + span)
        if span > 0:
            return _instant(self._open.forward(moment, span))
        return _instant(self._open.backward(moment, -span))


def _micros(field: str, value: object) -> int:
    """An aware datetime as microseconds since 0001-01-01 UTC, checked (quickly for the usual zones)."""
    if type(value) is datetime and type(value.tzinfo) in _PLAIN_ZONES and _MIN_YEAR < value.year < _MAX_YEAR:
        return (value - _ORIGIN) // _US
    return (check.check_datetime(field, value) - _ORIGIN) // _US


def _instant(micros: int) -> datetime:
    return _ORIGIN + timedelta(microseconds=micros)


def _openings(field: str, spans: object) -> list[Opening]:
    items = [spans] if isinstance(spans, str) else check.check_tuple(_item, field, spans)
    found: list[Opening] = []
    for position, span in enumerate(items):
        found += Opening.parse(f"{field}[{position}]" if not isinstance(spans, str) else field, span)
    return found


def _overnight(spans: object, opening: Opening) -> bool:
    """Whether ``opening`` (starting at 00:00) is the tomorrow part of an overnight interval of ``spans``."""
    texts = [spans] if isinstance(spans, str) else list(spans)  # type: ignore[call-overload]
    for text in texts:
        parts = Opening.parse("span", text)
        if len(parts) == 2 and parts[1] == opening:
            return True
    return False
