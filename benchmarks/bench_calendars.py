"""Business-time arithmetic: ``BusinessCalendar.diff`` and ``add`` against businesstimedelta.

The calendar: Monday to Friday 09:00-12:00 and 13:00-17:00 in Europe/Paris,
closed on France's public holidays of 2026 and 2027 (from the holidays
package). businesstimedelta 1.0.1, the closest peer, is configured with the
same calendar: a ``WorkDayRule`` 09:00-17:00, a ``LunchTimeRule`` 12:00-13:00
and a ``HolidayRule`` on the same dates, all in the pytz zone Europe/Paris (its
rules turn each instant into that zone's wall time and each wall time back
with ``localize``, as relcore does with zoneinfo).

* ``--pairs`` (start, end) pairs (default 1,000,000): starts spread over 2026,
  ends up to ``--span-days`` (default 5) later, whole seconds (businesstimedelta
  drops microseconds from a difference), in UTC. Every pair's business time is
  compared; mismatches are counted and the first ones printed.
* As many (start, duration) pairs for ``add``: durations from one second to 16
  hours (businesstimedelta's ``dt + BusinessTimeDelta``; a zero duration moves
  it to the next opening, so none is drawn).

Without the peer or the holidays extra it says what to install and prints
its ratios as ``SKIP``.

Target: identical results and relcore at least 10 times faster. The peer is a
benchmark-only install (``pip install businesstimedelta``), never a relcore
dependency.

Run: ``python benchmarks/bench_calendars.py [--pairs 1000000] [--span-days 5]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from _common import report
from relcore import ConfigurationError
from relcore.service import WORKDAYS, BusinessCalendar

ZONE = "Europe/Paris"
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
SHOWN = 10  # mismatches printed
WEEKDAYS = [0, 1, 2, 3, 4]  # businesstimedelta's Monday to Friday
RATIOS = (
    "calendars diff, businesstimedelta time / relcore time",
    "calendars add, businesstimedelta time / relcore time",
    "calendars mismatches",
)


def peer() -> Any:
    try:
        import businesstimedelta  # the peer, installed for the benchmark only
        import pytz  # noqa: F401 - businesstimedelta's zones
    except ImportError:
        skip("bench_calendars needs the peer: pip install businesstimedelta (benchmark only)")
    return businesstimedelta


def skip(reason: str) -> NoReturn:
    """Say why nothing was measured, and stop (with success: run.py goes on with the others)."""
    print(reason, file=sys.stderr)
    for name in RATIOS:
        print(f"RATIO {name}: SKIP ({reason.split(':')[0]})", flush=True)
    sys.exit(0)


def calendars() -> tuple[BusinessCalendar, Any]:
    import datetime as dt

    import pytz

    btd = peer()
    try:
        ours = BusinessCalendar.weekly(ZONE, {day: ["09:00-12:00", "13:00-17:00"] for day in WORKDAYS})
        ours = ours.with_holidays("FR", years=[2026, 2027])
    except ConfigurationError:
        skip("bench_calendars needs the holidays extra: pip install -e '.[holidays]' in a clone")
    closed = {day for day, openings in ours.exceptions.items() if not openings}
    tz = pytz.timezone(ZONE)
    theirs = btd.Rules(
        [
            btd.WorkDayRule(start_time=dt.time(9), end_time=dt.time(17), working_days=WEEKDAYS, tz=tz),
            btd.LunchTimeRule(start_time=dt.time(12), end_time=dt.time(13), working_days=WEEKDAYS, tz=tz),
            btd.HolidayRule(closed, tz=tz),
        ]
    )
    return ours, theirs


def timed(fn: Callable[[], list[Any]]) -> tuple[float, list[Any]]:
    start = time.perf_counter()
    found = fn()
    return time.perf_counter() - start, found


def compare(what: str, inputs: list[tuple[datetime, Any]], ours: list[Any], theirs: list[Any]) -> int:
    wrong = [(i, o, t) for i, (o, t) in enumerate(zip(ours, theirs, strict=True)) if o != t]
    print(f"{what}: {len(inputs) - len(wrong):,} identical, {len(wrong):,} mismatches")
    for i, o, t in wrong[:SHOWN]:
        print(f"  {inputs[i][0].isoformat()} {inputs[i][1]}: relcore {o}, businesstimedelta {t}")
    return len(wrong)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--span-days", type=int, default=5)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    btd = peer()
    ours, theirs = calendars()
    rng = random.Random(args.seed)
    year = 365 * 86_400
    starts = [YEAR_START + timedelta(seconds=rng.randrange(year)) for _ in range(args.pairs)]
    pairs = [(a, a + timedelta(seconds=rng.randrange(args.span_days * 86_400 + 1))) for a in starts]
    adds = [(a, timedelta(seconds=rng.randrange(1, 16 * 3600 + 1))) for a in starts]
    print(f"{args.pairs:,} pairs, ends up to {args.span_days} days after their starts;", end=" ")
    print(f"{len(ours.exceptions)} holidays closed (2026 and 2027)")

    diff, difference = ours.diff, theirs.difference
    ours_diff_s, ours_diffs = timed(lambda: [diff(a, b) for a, b in pairs])
    theirs_diff_s, theirs_diffs = timed(lambda: [difference(a, b).timedelta for a, b in pairs])
    add = ours.add
    ours_add_s, ours_adds = timed(lambda: [add(a, d) for a, d in adds])
    delta = btd.BusinessTimeDelta
    theirs_add_s, theirs_adds = timed(lambda: [a + delta(theirs, timedelta=d) for a, d in adds])

    print(
        f"diff: relcore {ours_diff_s:.2f} s ({ours_diff_s / args.pairs * 1e6:.2f} us a pair), "
        f"businesstimedelta {theirs_diff_s:.2f} s ({theirs_diff_s / args.pairs * 1e6:.1f} us a pair)"
    )
    print(
        f"add:  relcore {ours_add_s:.2f} s ({ours_add_s / args.pairs * 1e6:.2f} us a pair), "
        f"businesstimedelta {theirs_add_s:.2f} s ({theirs_add_s / args.pairs * 1e6:.1f} us a pair)"
    )
    wrong = compare("diff", pairs, ours_diffs, theirs_diffs) + compare("add", adds, ours_adds, theirs_adds)
    report(RATIOS[0], theirs_diff_s / ours_diff_s, ">= 10")
    report(RATIOS[1], theirs_add_s / ours_add_s, ">= 10")
    report(RATIOS[2], float(wrong), "0")


if __name__ == "__main__":
    main()
