"""Forecasts and the weighted pipeline, from the book of deals grouped into lines.

A store answers one question about many deals: how many there are, their
total amount and their weighted amount (each deal's amount times its
effective probability, exactly), for each combination of pipeline, forecast
category, currency and whether they are overdue (and stage, month of close
date and owner, when asked): a [BookLine][relcore.sales.forecasts.BookLine]
per combination. A SQL store computes them with one ``GROUP BY``, the
weighted sums in integer minor units times basis points; the memory store
adds up deal by deal, and is the reference. Everything here is assembled from
those few lines.

The forecast buckets follow Salesforce's collaborative forecasts
(``ForecastingItemCategory``): the categories alone, and the cumulative
buckets ``commit_forecast`` = commit + closed, ``best_case_forecast`` = best
case + commit + closed, and ``open_pipeline`` = pipeline + best case +
commit. Won deals count as ``closed`` in the period of the date they closed
on; lost deals are not forecast; deals without a close date fall in the
``unscheduled`` period; open deals whose close date has passed are also
counted as overdue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

import attrs

from relcore._kernel import checks as check
from relcore._kernel.money import check_currency
from relcore.ids import PipelineId
from relcore.sales.pipelines import ForecastCategory, Pipeline

__all__ = [
    "GROUPS",
    "UNSCHEDULED",
    "Amounts",
    "BookLine",
    "ExchangeRates",
    "Forecast",
    "ForecastRow",
    "Period",
    "WeightedLine",
    "check_groups",
    "forecast",
    "merged",
    "period_of",
    "weighted_pipeline",
]

UNSCHEDULED = "unscheduled"
"""The period of deals without a close date."""

_ZERO = Decimal(0)


class Period(StrEnum):
    """How a forecast groups close dates."""

    MONTH = "month"
    QUARTER = "quarter"


def period_of(day: date | None, period: Period) -> tuple[str, date | None, date | None]:
    """The label, first day and last day of the period holding ``day`` (``2026-03``, ``2026-Q1``).

    ``None`` is the ``unscheduled`` period, without days.
    """
    if day is None:
        return UNSCHEDULED, None, None
    if period is Period.MONTH:
        first, months = date(day.year, day.month, 1), 1
        label = f"{day.year:04d}-{day.month:02d}"
    else:
        quarter = (day.month - 1) // 3
        first, months = date(day.year, 3 * quarter + 1, 1), 3
        label = f"{day.year:04d}-Q{quarter + 1}"
    month = first.month + months
    after = date(first.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    return label, first, date.fromordinal(after.toordinal() - 1)


@attrs.frozen
class BookLine:
    """Deals sharing every field that matters to a forecast, with their count and totals.

    Lost deals are never in the book (nothing here counts them).

    Attributes:
        pipeline_id: Their pipeline.
        stage: Their stage's key, when the lines were asked by stage; else ``None``.
        category: The forecast category they count in: ``closed`` for won deals, else their
            manual category, else their stage's.
        currency: Their amount's currency; ``None`` for deals without an amount.
        year: The year of their close date (the date they closed on, once won), when the lines
            were asked by month; ``None`` without one.
        month: The month (1 to 12) of their close date.
        overdue: Whether they are open and their close date has passed (as the store was asked).
        owner: Their owner, when the lines were asked by owner; else ``None``.
        count: How many deals.
        amount: Their total amount (0 for deals without one).
        weighted: The sum of each deal's amount times its effective probability, exact.
    """

    pipeline_id: PipelineId
    stage: str | None
    category: ForecastCategory
    currency: str | None
    year: int | None
    month: int | None
    overdue: bool
    owner: str | None
    count: int
    amount: Decimal
    weighted: Decimal

    def key(self) -> tuple[object, ...]:
        """Everything but the count and totals: lines with equal keys add up."""
        return (
            self.pipeline_id,
            self.stage,
            self.category,
            self.currency,
            self.year,
            self.month,
            self.overdue,
            self.owner,
        )

    @property
    def close_month(self) -> date | None:
        """The first day of the month of their close date, if they have one."""
        return None if self.year is None or self.month is None else date(self.year, self.month, 1)

    @property
    def won(self) -> bool:
        """Whether the line's deals are won (the ``closed`` category)."""
        return self.category is ForecastCategory.CLOSED


GROUPS = frozenset({"stage", "month", "owner"})
"""What book lines may be grouped by, besides pipeline, category, currency and overdue."""


def check_groups(by: object) -> frozenset[str]:
    """``by`` as a set of [GROUPS][relcore.sales.forecasts.GROUPS].

    Raises:
        ValidationError: It holds something else.
    """
    if isinstance(by, str) or not isinstance(by, Iterable):
        raise check.fail("by", "expected a collection of: month, owner, stage")
    chosen = frozenset(by)
    if not chosen <= GROUPS:
        raise check.fail("by", "expected some of: month, owner, stage")
    return chosen


def merged(lines: Iterable[BookLine]) -> list[BookLine]:
    """The lines with equal keys added up, in a stable order (for comparing two stores' answers)."""
    totals: dict[tuple[object, ...], BookLine] = {}
    for line in lines:
        seen = totals.get(line.key())
        totals[line.key()] = (
            line
            if seen is None
            else attrs.evolve(
                seen,
                count=seen.count + line.count,
                amount=seen.amount + line.amount,
                weighted=seen.weighted + line.weighted,
            )
        )
    return [totals[k] for k in sorted(totals, key=repr)]


class ExchangeRates(Protocol):
    """Dated exchange rates the caller supplies, to report amounts of several currencies in one."""

    def rate(self, source: str, target: str, on: date) -> Decimal:
        """How many units of ``target`` one unit of ``source`` was worth on ``on``.

        Raises:
            LookupError: No rate is known for that pair and date.
        """
        ...


@attrs.frozen
class Amounts:
    """A number of deals, their total amount and their weighted amount (amount times probability), exact."""

    count: int = 0
    amount: Decimal = _ZERO
    weighted: Decimal = _ZERO

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.count + other.count, self.amount + other.amount, self.weighted + other.weighted)


_EMPTY = Amounts()


@attrs.frozen
class ForecastRow:
    """One period of a forecast in one currency (``None``: the deals without an amount).

    Attributes:
        period: ``2026-03``, ``2026-Q1`` or ``unscheduled``.
        start: The period's first day (``None`` when unscheduled).
        end: The period's last day.
        currency: The currency of the amounts.
        categories: Amounts per forecast category (``closed``: the deals won in the period).
        overdue: The open deals of the period whose close date has passed.
    """

    period: str
    start: date | None
    end: date | None
    currency: str | None
    categories: Mapping[ForecastCategory, Amounts]
    overdue: Amounts

    def __getitem__(self, category: ForecastCategory | str) -> Amounts:
        return self.categories.get(ForecastCategory(category), _EMPTY)

    @property
    def commit_forecast(self) -> Amounts:
        """Commit + closed."""
        return self["commit"] + self["closed"]

    @property
    def best_case_forecast(self) -> Amounts:
        """Best case + commit + closed."""
        return self["best_case"] + self.commit_forecast

    @property
    def open_pipeline(self) -> Amounts:
        """Pipeline + best case + commit: every open deal not omitted."""
        return self["pipeline"] + self["best_case"] + self["commit"]


@attrs.frozen
class Forecast:
    """A forecast: rows per period and currency, scheduled periods in order, ``unscheduled`` last."""

    period: Period
    rows: tuple[ForecastRow, ...]

    def row(self, period: str, currency: str | None) -> ForecastRow | None:
        """The row of ``period`` in ``currency``, if any deal is in it."""
        return next((r for r in self.rows if r.period == period and r.currency == currency), None)


def _pipelines(pipelines: Iterable[Pipeline]) -> dict[PipelineId, Pipeline]:
    return {p.id: p for p in pipelines}


def forecast(
    lines: Iterable[BookLine],
    pipelines: Iterable[Pipeline],
    period: Period | str = Period.MONTH,
    *,
    rates: ExchangeRates | None = None,
    currency: str | None = None,
    on: date | None = None,
) -> Forecast:
    """Assemble a forecast from book lines (see the module).

    Args:
        lines: The book, grouped (lost deals are left out).
        pipelines: The pipelines of the lines.
        period: Month or quarter.
        rates: Exchange rates, to report every amount in ``currency`` at the rates of ``on``.
        currency: The reporting currency when ``rates`` is given.
        on: The day whose rates convert the amounts.
    """
    grouping = check.check_enum(Period, "period", period)
    conversion = _Conversion.of(rates, currency, on)
    known = _pipelines(pipelines)
    cells: dict[tuple[str, str | None], dict[ForecastCategory, Amounts]] = {}
    late: dict[tuple[str, str | None], Amounts] = {}
    bounds: dict[str, tuple[date | None, date | None]] = {}
    for line in lines:
        pipeline = known.get(line.pipeline_id)
        if pipeline is None:
            continue
        label, start, end = period_of(line.close_month, grouping)
        bounds[label] = (start, end)
        amounts = conversion.amounts(line)
        where = (label, conversion.currency_of(line))
        row = cells.setdefault(where, {})
        row[line.category] = row.get(line.category, _EMPTY) + amounts
        if line.overdue:
            late[where] = late.get(where, _EMPTY) + amounts
    order = sorted(cells, key=lambda k: (k[0] == UNSCHEDULED, k[0], k[1] is None, k[1] or ""))
    rows = tuple(
        ForecastRow(
            label, *bounds[label], money, dict(cells[(label, money)]), late.get((label, money), _EMPTY)
        )
        for label, money in order
    )
    return Forecast(grouping, rows)


@attrs.frozen
class _Conversion:
    """Converts amounts into one reporting currency at the rates of one day (or leaves them as they are)."""

    rates: ExchangeRates | None
    currency: str | None
    on: date | None

    @classmethod
    def of(cls, rates: ExchangeRates | None, currency: str | None, on: date | None) -> _Conversion:
        if rates is None:
            if currency is not None:
                raise check.fail("currency", "a reporting currency needs exchange rates")
            return cls(None, None, None)
        if currency is None or on is None:
            raise check.fail("currency", "exchange rates need a reporting currency and a date")
        return cls(rates, check_currency("currency", currency), on)

    def currency_of(self, line: BookLine) -> str | None:
        return line.currency if self.rates is None or line.currency is None else self.currency

    def amounts(self, line: BookLine) -> Amounts:
        """The line's count, amount and weighted amount, in the reporting currency if there is one."""
        if self.rates is None or line.currency is None or line.currency == self.currency:
            return Amounts(line.count, line.amount, line.weighted)
        assert self.currency is not None
        assert self.on is not None
        try:
            rate = self.rates.rate(line.currency, self.currency, self.on)
        except LookupError:
            raise check.fail("rates", f"no {line.currency} to {self.currency} rate on {self.on}") from None
        exact = check.decimal_value("rates", rate)
        return Amounts(line.count, line.amount * exact, line.weighted * exact)


@attrs.frozen
class WeightedLine:
    """The open deals of one group and their weighted amount in one currency."""

    pipeline_id: PipelineId | None
    stage: str | None
    owner: str | None
    currency: str | None
    amounts: Amounts


def weighted_pipeline(
    lines: Iterable[BookLine],
    pipelines: Iterable[Pipeline],
    *,
    by: Iterable[str] = ("pipeline", "stage"),
    rates: ExchangeRates | None = None,
    currency: str | None = None,
    on: date | None = None,
) -> list[WeightedLine]:
    """The sum of amount times effective probability over the open deals, per currency and per group.

    Args:
        lines: The book, grouped.
        pipelines: The pipelines of the lines.
        by: Any of ``pipeline``, ``stage`` (which implies ``pipeline``) and ``owner`` (the lines
            must then have been asked by owner).
        rates: Exchange rates, to report every amount in ``currency`` at the rates of ``on``.
        currency: The reporting currency when ``rates`` is given.
        on: The day whose rates convert the amounts.
    """
    conversion = _Conversion.of(rates, currency, on)
    groups = set(by)
    unknown = groups - {"pipeline", "stage", "owner"}
    if unknown:
        raise check.fail("by", "expected some of pipeline, stage and owner")
    known = _pipelines(pipelines)
    totals: dict[tuple[PipelineId | None, str | None, str | None, str | None], Amounts] = {}
    for line in lines:
        pipeline = known.get(line.pipeline_id)
        if pipeline is None or line.won:
            continue
        key = (
            line.pipeline_id if groups & {"pipeline", "stage"} else None,
            line.stage if "stage" in groups else None,
            line.owner if "owner" in groups else None,
            conversion.currency_of(line),
        )
        amounts = conversion.amounts(line)
        totals[key] = totals.get(key, _EMPTY) + amounts
    return [
        WeightedLine(pipeline_id, stage, owner, money, amounts)
        for (pipeline_id, stage, owner, money), amounts in sorted(
            totals.items(), key=lambda item: repr(item[0])
        )
    ]
