"""A calendar's open time as integer instants, built a week at a time and cached, with running totals.

Instants are microseconds since 0001-01-01 00:00 UTC (a Monday). Week ``k``
holds the openings of the local dates with ordinals ``7k + 1`` to ``7k + 7``,
turned into instants the way a person reads a wall clock: each local time maps
to the instant it first shows (``fold=0``; a time in a spring-forward gap maps
past the gap). After the mapping an opening is clipped to its day's midnights
and to the end of the day's previous opening, so the intervals stay sorted and
disjoint: an opening that starts in a gap and ends just after it may come out
empty, as do the openings of a day a zone skipped entirely; empty ones are
dropped.

Weeks are grouped in blocks of ``BLOCK`` weeks whose running totals let
``OpenWeeks`` measure and walk long spans in a few steps. A plain week (no dated exception,
the same UTC offset at each of its midnights) counts the open time of the
weekly pattern, known in advance, so totals are built without building the
plain weeks' intervals.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["BLOCK", "DAY", "MINUTE", "WEEK", "OpenWeeks", "Week"]

MINUTE = 60_000_000
"""A minute in microseconds."""
DAY = 24 * 60 * MINUTE
"""A day in microseconds."""
WEEK = 7 * DAY
"""A week in microseconds."""
BLOCK = 64
"""Weeks per block of running totals."""

_ORIGIN = datetime(1, 1, 1)
_US = timedelta(microseconds=1)
_CACHED_WEEKS = 4096  # past this many the week cache starts again (the blocks stay: small)


class _Span(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


class Week:
    """One week's open intervals as instants, with the open time before and up to the end of each."""

    __slots__ = ("after", "before", "begin", "end", "ends", "starts", "total")

    def __init__(self, begin: int, end: int, starts: list[int], ends: list[int]) -> None:
        self.begin, self.end, self.starts, self.ends = begin, end, starts, ends
        self.before: list[int] = []
        self.after: list[int] = []
        running = 0
        for opened, closed in zip(starts, ends, strict=True):
            self.before.append(running)
            running += closed - opened
            self.after.append(running)
        self.total = running

    def open_until(self, at: int) -> int:
        """The open time from the week's start to ``at`` (an instant inside the week)."""
        i = bisect_right(self.starts, at)
        if i == 0:
            return 0
        i -= 1
        return self.before[i] + min(self.ends[i], at) - self.starts[i]


class OpenWeeks:
    """The open intervals of weekly openings with dated exceptions in a zone, week by week."""

    def __init__(
        self,
        zone: ZoneInfo,
        week: Sequence[Sequence[_Span]],
        exceptions: Mapping[date, Sequence[_Span]],
    ) -> None:
        self._zone = zone
        self._pattern = tuple(tuple((o.start, o.end) for o in day) for day in week)
        self._exceptions = {
            day.toordinal(): tuple((o.start, o.end) for o in spans) for day, spans in exceptions.items()
        }
        self._excepted = sorted(self._exceptions)
        self._plain = sum(end - start for day in self._pattern for start, end in day) * MINUTE
        self._weeks: dict[int, Week] = {}
        self._blocks: dict[int, list[int]] = {}

    # -- building --------------------------------------------------------------------------

    def _instant(self, ordinal: int, minutes: int) -> int:
        """The instant a local wall-clock time first shows (``fold=0``)."""
        local = _ORIGIN + timedelta(days=ordinal - 1, minutes=minutes)
        offset = local.replace(tzinfo=self._zone).utcoffset()
        assert offset is not None  # a ZoneInfo always has one
        return (local - _ORIGIN - offset) // _US

    def week(self, k: int) -> Week:
        """Week ``k``, built on first use."""
        found = self._weeks.get(k)
        if found is not None:
            return found
        first = 7 * k + 1
        begin, end = self._instant(first, 0), self._instant(first + 7, 0)
        starts: list[int] = []
        ends: list[int] = []
        low = begin
        for ordinal in range(first, first + 7):
            high = end if ordinal == first + 6 else self._instant(ordinal + 1, 0)
            last = low  # a day's openings stay within its own midnights: a skipped day has none
            spans = self._exceptions.get(ordinal)
            for start, stop in spans if spans is not None else self._pattern[(ordinal - 1) % 7]:
                opened = max(self._instant(ordinal, start), last)
                closed = min(self._instant(ordinal, stop), high)
                if closed > opened:
                    starts.append(opened)
                    ends.append(closed)
                    last = closed
            low = high
        if len(self._weeks) >= _CACHED_WEEKS:
            self._weeks.clear()
        built = self._weeks[k] = Week(begin, end, starts, ends)
        return built

    def _is_plain(self, k: int) -> bool:
        """No exception in week ``k`` and one UTC offset at all its midnights: the pattern's open time."""
        first = 7 * k + 1
        i = bisect_left(self._excepted, first)
        if i < len(self._excepted) and self._excepted[i] < first + 7:
            return False
        zone = self._zone
        offsets = {
            (_ORIGIN + timedelta(days=ordinal - 1)).replace(tzinfo=zone).utcoffset()
            for ordinal in range(first, first + 8)
        }
        return len(offsets) == 1

    def block(self, j: int) -> list[int]:
        """Block ``j``'s running totals: the open time from its first week's start to each week's end."""
        found = self._blocks.get(j)
        if found is not None:
            return found
        running = 0
        totals: list[int] = []
        for k in range(j * BLOCK, (j + 1) * BLOCK):
            built = self._weeks.get(k)
            if built is not None:
                running += built.total
            elif self._is_plain(k):
                running += self._plain
            else:
                running += self.week(k).total
            totals.append(running)
        self._blocks[j] = totals
        return totals

    # -- locating ------------------------------------------------------------------------------

    def locate(self, at: int) -> tuple[int, Week]:
        """The week holding the instant ``at``: its number and the week."""
        k = at // WEEK  # the UTC week; the local one is at most one away
        found = self.week(k)
        while at < found.begin:
            k -= 1
            found = self.week(k)
        while at >= found.end:
            k += 1
            found = self.week(k)
        return k, found

    def _before(self, k: int) -> int:
        """The open time from block start to week ``k``'s start."""
        i = k % BLOCK
        return self.block(k // BLOCK)[i - 1] if i else 0

    def _span(self, first: int, last: int) -> int:
        """The open time from week ``first``'s start to week ``last``'s start (``first <= last``)."""
        j, jlast = first // BLOCK, last // BLOCK
        if j == jlast:
            return self._before(last) - self._before(first)
        total = self.block(j)[-1] - self._before(first)
        for between in range(j + 1, jlast):
            total += self.block(between)[-1]
        return total + self._before(last)

    # -- questions ---------------------------------------------------------------------------

    def is_open(self, at: int) -> bool:
        """Whether ``at`` is inside an opening."""
        found = self.locate(at)[1]
        i = bisect_right(found.starts, at)
        return i > 0 and at < found.ends[i - 1]

    def next_open(self, at: int) -> int:
        """``at`` if open, else the next opening's start."""
        k, found = self.locate(at)
        i = bisect_right(found.starts, at)
        if i > 0 and at < found.ends[i - 1]:
            return at
        while i == len(found.starts):
            k, i = k + 1, 0
            found = self.week(k)
        return found.starts[i]

    def diff(self, first: int, last: int) -> int:
        """The open time in ``[first, last)`` (``first <= last``)."""
        ka, wa = self.locate(first)
        kb, wb = self.locate(last)
        return self._span(ka, kb) + wb.open_until(last) - wa.open_until(first)

    def forward(self, at: int, duration: int) -> int:
        """The earliest instant with ``duration`` (> 0) of open time since ``at``."""
        k, found = self.locate(at)
        j = k // BLOCK
        target = self._before(k) + found.open_until(at) + duration  # from block ``j``'s start
        lo = k % BLOCK
        totals = self.block(j)
        while target > totals[-1]:
            target -= totals[-1]
            j, lo = j + 1, 0
            totals = self.block(j)
        i = bisect_left(totals, target, lo)
        target -= totals[i - 1] if i else 0
        found = self.week(j * BLOCK + i)
        n = bisect_left(found.after, target)
        return found.ends[n] - (found.after[n] - target)

    def backward(self, at: int, duration: int) -> int:
        """The latest instant with ``duration`` (> 0) of open time until ``at``."""
        k, found = self.locate(at)
        j = k // BLOCK
        target = self._before(k) + found.open_until(at) - duration  # from block ``j``'s start
        while target < 0:
            j -= 1
            target += self.block(j)[-1]
        totals = self.block(j)
        i = bisect_right(totals, target)
        target -= totals[i - 1] if i else 0
        found = self.week(j * BLOCK + i)
        n = bisect_right(found.after, target)
        return found.starts[n] + (target - found.before[n])

    def intervals(self, first: int, last: int) -> list[tuple[int, int]]:
        """The open intervals within ``[first, last)``, clipped, in order."""
        k, found = self.locate(first)
        kb = self.locate(last)[0]
        clipped: list[tuple[int, int]] = []
        while True:
            i = max(bisect_right(found.starts, first) - 1, 0)
            for opened, closed in zip(found.starts[i:], found.ends[i:], strict=True):
                if opened >= last:
                    break
                if closed > first:
                    clipped.append((max(opened, first), min(closed, last)))
            if k == kb:
                return clipped
            k += 1
            found = self.week(k)
