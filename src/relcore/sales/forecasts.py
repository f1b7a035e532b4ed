"""Forecasts and the weighted pipeline, from the book of deals grouped into lines.

A store answers one question about many deals: how many there are, and
their total amount, for each combination of pipeline, stage, outcome,
manual probability and category, stored model score, currency, close date
(and owner, when asked) — a [BookLine][relcore.sales.forecasts.BookLine] per combination
(SQL stores with one ``GROUP BY``). Everything here is computed from those
lines, exactly: each line's deals share one effective probability and one
forecast category, so the weighted amount of a line is its total amount
times that probability, with no rounding.

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
from relcore.sales.pipelines import ForecastCategory, Pipeline, StageOutcome

__all__ = [
    "UNSCHEDULED",
    "Amounts",
    "BookLine",
    "ExchangeRates",
    "Forecast",
    "ForecastRow",
    "Period",
    "WeightedLine",
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
    """Deals sharing every field that matters to a forecast, and their count and total.

    Attributes:
        pipeline_id: Their pipeline.
        stage: Their stage's key.
        outcome: Open, won or lost.
        probability: Their manual probability (``None``: automatic).
        forecast_category: Their manual forecast category (``None``: the stage's).
        currency: Their amount's currency; ``None`` for deals without an amount.
        close_date: Their close date (the date they closed on, once closed), if any.
        owner: Their owner, when the lines were asked by owner; else ``None``.
        count: How many deals.
        amount: Their total amount (0 for deals without one).
        model: Their win-probability score, stored by the latest refresh of their pipeline for
            the stage they are in (``None``: not scored). Lines rebuilt as of a past moment
            carry today's scores, matched by the pipeline and stage the deals were in then.
    """

    pipeline_id: PipelineId
    stage: str
    outcome: StageOutcome
    probability: Decimal | None
    forecast_category: ForecastCategory | None
    currency: str | None
    close_date: date | None
    owner: str | None
    count: int
    amount: Decimal
    model: Decimal | None = None

    def key(self) -> tuple[object, ...]:
        """Everything but the count and amount: lines with equal keys add up."""
        return (
            self.pipeline_id,
            self.stage,
            self.outcome,
            self.probability,
            self.forecast_category,
            self.currency,
            self.close_date,
            self.owner,
            self.model,
        )

    def probability_in(self, pipeline: Pipeline) -> Decimal:
        """The effective probability of the line's deals.

        1 won, 0 lost, else the manual probability, else the model's score when the
        pipeline uses the model and the deals are scored, else the stage's.
        """
        if self.outcome is StageOutcome.WON:
            return Decimal(1)
        if self.outcome is StageOutcome.LOST:
            return _ZERO
        if self.probability is not None:
            return self.probability
        if pipeline.win_probability and self.model is not None:
            return self.model
        stage = pipeline.find_stage(self.stage)
        return _ZERO if stage is None else stage.probability

    def category_in(self, pipeline: Pipeline) -> ForecastCategory:
        """The forecast category of the line's deals."""
        if self.outcome is StageOutcome.WON:
            return ForecastCategory.CLOSED
        if self.outcome is StageOutcome.LOST:
            return ForecastCategory.OMITTED
        if self.forecast_category is not None:
            return self.forecast_category
        stage = pipeline.find_stage(self.stage)
        return ForecastCategory.PIPELINE if stage is None else stage.forecast_category


def merged(lines: Iterable[BookLine]) -> list[BookLine]:
    """The lines with equal keys added up, in a stable order (for comparing two stores' answers)."""
    totals: dict[tuple[object, ...], BookLine] = {}
    for line in lines:
        seen = totals.get(line.key())
        totals[line.key()] = (
            line
            if seen is None
            else attrs.evolve(seen, count=seen.count + line.count, amount=seen.amount + line.amount)
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
    today: date | None
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
    today: Mapping[PipelineId, date] | None = None,
    rates: ExchangeRates | None = None,
    currency: str | None = None,
    on: date | None = None,
) -> Forecast:
    """Assemble a forecast from book lines (see the module).

    Args:
        lines: The book, grouped (lost deals are left out).
        pipelines: The pipelines of the lines.
        period: Month or quarter.
        today: Each pipeline's current date in its time zone; open deals closing before it are
            overdue. ``None``: nothing is overdue.
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
        if pipeline is None or line.outcome is StageOutcome.LOST:
            continue
        label, start, end = period_of(line.close_date, grouping)
        bounds[label] = (start, end)
        money = conversion.amount(line)
        amounts = Amounts(line.count, money, money * line.probability_in(pipeline))
        where = (label, conversion.currency_of(line))
        row = cells.setdefault(where, {})
        category = line.category_in(pipeline)
        row[category] = row.get(category, _EMPTY) + amounts
        due = None if today is None else today.get(line.pipeline_id)
        closing = line.close_date
        if line.outcome is StageOutcome.OPEN and due is not None and closing is not None and closing < due:
            late[where] = late.get(where, _EMPTY) + amounts
    order = sorted(cells, key=lambda k: (k[0] == UNSCHEDULED, k[0], k[1] is None, k[1] or ""))
    rows = tuple(
        ForecastRow(
            label, *bounds[label], money, dict(cells[(label, money)]), late.get((label, money), _EMPTY)
        )
        for label, money in order
    )
    dates = None if today is None else min(today.values(), default=None)
    return Forecast(grouping, dates, rows)


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

    def amount(self, line: BookLine) -> Decimal:
        if self.rates is None or line.currency is None or line.currency == self.currency:
            return line.amount
        assert self.currency is not None
        assert self.on is not None
        try:
            rate = self.rates.rate(line.currency, self.currency, self.on)
        except LookupError:
            raise check.fail("rates", f"no {line.currency} to {self.currency} rate on {self.on}") from None
        return line.amount * check.decimal_value("rates", rate)


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
        if pipeline is None or line.outcome is not StageOutcome.OPEN:
            continue
        key = (
            line.pipeline_id if groups & {"pipeline", "stage"} else None,
            line.stage if "stage" in groups else None,
            line.owner if "owner" in groups else None,
            conversion.currency_of(line),
        )
        money = conversion.amount(line)
        amounts = Amounts(line.count, money, money * line.probability_in(pipeline))
        totals[key] = totals.get(key, _EMPTY) + amounts
    return [
        WeightedLine(pipeline_id, stage, owner, money, amounts)
        for (pipeline_id, stage, owner, money), amounts in sorted(
            totals.items(), key=lambda item: repr(item[0])
        )
    ]
