"""Calendar periods in a time zone: which day, week, month, quarter or year an instant falls in.

Feedback trends are bucketed by the *local* calendar of an IANA time zone:
an answer at 23:30 UTC on 31 January is a February answer in Paris. The
memory store converts each instant with `zoneinfo`; a SQL store cannot (SQLite
and MariaDB know no IANA zones, or not the same release of them), so it is
given the zone's UTC offsets as piecewise-constant spans
([offset_spans][relcore.feedback.periods.offset_spans]), adds the offset to
each stored UTC instant, and groups by the local day number; the days are
then folded into periods here ([period_start][relcore.feedback.periods.period_start]).
Both give the same days, across month ends and daylight-saving changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from relcore._kernel import checks as check

__all__ = [
    "PERIODS",
    "check_period",
    "check_zone",
    "day_number",
    "from_day_number",
    "local_day",
    "offset_spans",
    "period_start",
]

PERIODS = ("day", "week", "month", "quarter", "year")
"""The periods trends can be grouped by; a week starts on Monday (ISO 8601)."""

_EPOCH = date(1970, 1, 1).toordinal()
_STEP = timedelta(days=1)
"""How far apart a zone's offsets are sampled: transitions undone within a day are missed."""


def check_period(field: str, value: object) -> str:
    """Return ``value`` if it is one of [PERIODS][relcore.feedback.periods.PERIODS]."""
    if not isinstance(value, str) or value not in PERIODS:
        raise check.fail(field, f"expected one of {', '.join(PERIODS)}")
    return value


def check_zone(field: str, value: object) -> tzinfo:
    """Return the zone ``value`` names (an IANA name such as ``"Europe/Paris"``, or a `ZoneInfo`, or UTC)."""
    if value is UTC or isinstance(value, ZoneInfo):
        return value
    name = check.check_text(field, value, max_len=60)
    try:
        zone: tzinfo | None = ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        zone = None  # raised outside the handler: the zone library's message repeats the value
    if zone is None:
        raise check.fail(field, "not an IANA time zone name such as 'Europe/Paris'")
    return zone


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The calendar day of the aware ``moment`` in ``zone``."""
    return moment.astimezone(zone).date()


def day_number(day: date) -> int:
    """Days from 1970-01-01 to ``day``."""
    return day.toordinal() - _EPOCH


def from_day_number(number: int) -> date:
    """The day ``number`` days after 1970-01-01."""
    return date.fromordinal(number + _EPOCH)


def period_start(day: date, period: str) -> date:
    """The first day of the ``period`` holding ``day``.

    That is ``day`` itself, its week's Monday, or the first day of its month, quarter or year.

    Example:
        >>> period_start(date(2026, 5, 17), "quarter"), period_start(date(2026, 5, 17), "week")
        (datetime.date(2026, 4, 1), datetime.date(2026, 5, 11))
    """
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def _offset(zone: tzinfo, moment: datetime) -> int:
    found = moment.astimezone(zone).utcoffset()
    return 0 if found is None else int(found.total_seconds())


def offset_spans(zone: tzinfo, first: datetime, last: datetime) -> list[tuple[datetime | None, int]]:
    """The UTC offsets of ``zone`` (in seconds) from ``first`` to ``last``, as ``(until, offset)`` spans.

    Each span's offset holds for instants before its ``until`` (exclusive,
    UTC) and at or after the previous span's; the last span has ``until``
    ``None`` and holds on to ``last`` and beyond (the first holds before
    ``first`` too). The zone is sampled daily and each change narrowed down
    to the microsecond.
    """
    start, end = first.astimezone(UTC), max(last, first).astimezone(UTC)
    spans: list[tuple[datetime | None, int]] = []
    current = _offset(zone, start)
    at = start
    while at < end:
        following = min(at + _STEP, end)
        offset = _offset(zone, following)
        if offset != current:
            low, high = at, following  # offset(low) == current, offset(high) != current
            while high - low > timedelta(microseconds=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == current:
                    low = middle
                else:
                    high = middle
            spans.append((high, current))
            current = _offset(zone, high)
            following = high
        at = following
    spans.append((None, current))
    return spans
