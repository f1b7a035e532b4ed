"""Public holidays from the optional ``holidays`` package, checked before it is asked."""

from __future__ import annotations

from datetime import date

from relcore._kernel import checks as check
from relcore.errors import ConfigurationError

__all__ = ["MAX_YEARS", "public_holidays"]

MAX_YEARS = 200
"""Most distinct years one call asks holidays for."""

_FIRST_YEAR, _LAST_YEAR = 1900, 2200  # the range the holiday rules are written for


def public_holidays(country: object, subdivision: object, years: object) -> frozenset[date]:
    """The public holidays (observed days included) of a country or one of its subdivisions in ``years``.

    Raises:
        ConfigurationError: The ``holidays`` package is not installed.
        ValidationError: An unknown country or subdivision, or years that are not
            integers from 1900 to 2200.
    """
    code = check.check_text("country", country, max_len=3)
    region = None if subdivision is None else check.check_text("subdivision", subdivision, max_len=60)
    wanted = _years(years)
    try:
        import holidays  # an optional extra, imported when asked for
    except ImportError:
        raise ConfigurationError(
            "public holidays need the holidays package: install relcore with its holidays extra "
            "(relcore[holidays]) or pip install holidays"
        ) from None
    supported = holidays.list_supported_countries()
    if code not in supported:
        raise check.fail("country", "not a country the holidays package knows (ISO 3166-1 code such as 'FR')")
    if region is not None and region not in supported[code]:
        raise check.fail("subdivision", "not a subdivision of that country the holidays package knows")
    found = holidays.country_holidays(code, subdiv=region, years=sorted(wanted))
    return frozenset(day for day in found if day.year in wanted)


def _years(years: object) -> frozenset[int]:
    single = isinstance(years, int)
    items = (years,) if single else check.check_tuple(lambda _, item: item, "years", years)
    if not items:
        raise check.fail("years", "give at least one year")
    found = frozenset(
        check.positive_int(
            "years" if single else f"years[{i}]", year, minimum=_FIRST_YEAR, maximum=_LAST_YEAR
        )
        for i, year in enumerate(items)
    )
    if len(found) > MAX_YEARS:
        raise check.fail("years", f"at most {MAX_YEARS} years at once")
    return found
