"""Calendar periods of service reports: days, ISO weeks, months and quarters in a time zone.

A period is named by its first day, a local date in the report's time zone;
it starts at that day's local midnight and ends at the next period's start
(half-open). The instants are found through the zone, so a period across a
daylight-saving change is 23 or 25 hours long per day it holds, and a month
ends where the local month ends, not where the UTC month does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from relcore._kernel import checks as check

__all__ = ["Period", "check_zone", "first_day", "next_day", "periods", "starts_at"]


class Period(StrEnum):
    """How a report groups instants: by local day, ISO week (from Monday), month or quarter."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


def check_zone(field: str, timezone: object) -> ZoneInfo:
    """The IANA zone named ``timezone``.

    Raises:
        ValidationError: Not a known IANA zone name (naming ``field``).
    """
    if not isinstance(timezone, str) or not timezone or len(timezone) > 64:
        raise check.fail(field, f"expected an IANA time zone name, got {check.kind(timezone)}")
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise check.fail(field, "not a known IANA time zone") from error


def first_day(moment: datetime, period: Period, zone: ZoneInfo) -> date:
    """The first local day of the period holding the aware instant ``moment``."""
    day = moment.astimezone(zone).date()
    if period is Period.DAY:
        return day
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_day(day: date, period: Period) -> date:
    """The first day of the period after the one starting on ``day``."""
    if period is Period.DAY:
        return day + timedelta(days=1)
    if period is Period.WEEK:
        return day + timedelta(days=7)
    months = 1 if period is Period.MONTH else 3
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def starts_at(day: date, zone: ZoneInfo) -> datetime:
    """The instant (UTC) of local midnight starting ``day`` in ``zone``.

    Where midnight does not exist (a daylight-saving gap at midnight), the
    zone's reading of the wall time is used, as `zoneinfo` does.
    """
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def periods(start: datetime, end: datetime, period: Period, zone: ZoneInfo) -> list[date]:
    """The first days of the periods meeting the half-open range ``[start, end)``, in order."""
    found: list[date] = []
    day = first_day(start, period, zone)
    while starts_at(day, zone) < end:
        found.append(day)
        day = next_day(day, period)
    return found
