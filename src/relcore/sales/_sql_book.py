"""The book of deals in SQL: one ``GROUP BY`` over the deals, or over their history as of a moment.

The database groups the deals by the fields a forecast needs (the month of
the close date, and whether it has passed, computed in SQL) and adds up their
amounts and their weighted amounts: each deal's amount in minor units times
its effective probability in basis points, an exact integer (deal amounts are
capped so that the product fits 64 bits). The effective
probability is computed in SQL from the pipeline's stages, bound as
parameters: 10,000 when won, 0 when lost, else the manual probability, else
the stored win-probability score when the pipeline uses the model and the
deal is in the pipeline and stage it was scored for (a ``LEFT JOIN`` of
``relcore_win_scores``; today's scores as of a past moment too), else the
stage's. PostgreSQL and MariaDB add the products exactly without bound (their
``SUM`` of 64-bit integers is a decimal); SQLite adds 64-bit integers and
refuses (with a [StorageError][relcore.errors.StorageError]) a total past
9.2 x 10^18, about 920 trillion euros of weighted cents.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa

from relcore._kernel.checks import check_datetime
from relcore._kernel.money import CURRENCIES, from_minor_units
from relcore.ids import PipelineId
from relcore.sales.forecasts import BookLine, check_groups
from relcore.sales.pipelines import ForecastCategory, Pipeline, StageOutcome
from relcore.storage.sql.dialects import DialectFamily, dialect_family
from relcore.storage.sql.schema import opportunities, opportunity_changes, win_scores

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlBook"]

_TRACKED = (
    "pipeline_id",
    "stage",
    "outcome",
    "probability_bp",
    "forecast_category",
    "currency",
    "close_date",
)
_CERTAIN = 10_000


def _basis_points(value: Decimal) -> int:
    return int(value.scaleb(4))


class SqlBook:
    """The book of deals of a SQL store, grouped by the database."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def lines(
        self,
        pipelines: Sequence[Pipeline],
        *,
        as_of: datetime | None = None,
        by: Collection[str] = ("stage", "month"),
        today: Mapping[PipelineId, date] | None = None,
    ) -> builtins.list[BookLine]:
        """The deals of the pipelines, grouped (see [SalesBook][relcore.sales.ports.SalesBook])."""
        known = {p.id: p for p in pipelines}
        groups = check_groups(by)
        if not known:
            return []
        family = dialect_family(self._uow.connection)
        source, joined = self._source(as_of, "owner" in groups)
        c = source.c
        chosen = list(known.values())
        automatic = _stage_probability(c, chosen)
        modelled = sorted(p.id for p in chosen if p.win_probability)
        if modelled:
            deal_id = c.id if as_of is None else c.opportunity_id
            scored = sa.and_(
                win_scores.c.opportunity_id == deal_id,
                win_scores.c.pipeline_id == c.pipeline_id,
                win_scores.c.stage == c.stage,
            )
            joined = joined.join(win_scores, scored, isouter=True)
            model = sa.case((c.pipeline_id.in_(modelled), win_scores.c.probability_bp), else_=sa.null())
            automatic = sa.func.coalesce(model, automatic)
        effective = sa.case(
            (c.outcome == StageOutcome.WON.value, sa.literal(_CERTAIN)),
            else_=sa.func.coalesce(c.probability_bp, automatic),
        )
        units: Any = c.amount_minor  # deal amounts are capped: units x basis points fits 64 bits
        # a deal keeps its category; rebuilt from the history, it follows from the stages
        category = c.category if as_of is None else _category(c, chosen)
        keys: list[Any] = [category, c.currency]
        if len(known) > 1:
            keys.append(c.pipeline_id)
        due = {p: d for p, d in (today or {}).items() if p in known}
        if due:
            keys.append(_overdue(c, due, alone=len(known) == 1))
        if "stage" in groups:
            keys.append(c.stage)
        if "month" in groups:
            keys.append(_month(c.close_date, family))
        if "owner" in groups:
            keys.append(opportunities.c.owner)
        [only] = known if len(known) == 1 else [None]
        within = c.pipeline_id == only if only is not None else c.pipeline_id.in_(sorted(known))
        query = (
            sa.select(*keys, sa.func.count(), sa.func.sum(c.amount_minor), sa.func.sum(units * effective))
            .select_from(joined)
            .where(within, c.outcome != StageOutcome.LOST.value)
            .group_by(*keys)
        )
        if as_of is not None:
            query = query.where(c.newest == 1)
        shape = _Shape(only, bool(due), "stage" in groups, "month" in groups, "owner" in groups)
        rows = self._uow.execute(query, what="read the sales book")
        return [shape.line(row) for row in rows]

    def _source(self, as_of: datetime | None, by_owner: bool) -> tuple[Any, Any]:
        """The deals (or their state as of a moment, from the history), and what to select from."""
        if as_of is None:
            return opportunities, opportunities
        moment = check_datetime("as_of", as_of)
        history = opportunity_changes
        newest = sa.func.row_number().over(
            partition_by=history.c.opportunity_id, order_by=(history.c.at.desc(), history.c.id.desc())
        )
        book = (
            sa.select(history.c.opportunity_id, history.c.amount_minor, *(history.c[n] for n in _TRACKED))
            .add_columns(newest.label("newest"))
            .where(history.c.at <= moment)
            .subquery("book")
        )
        if not by_owner:
            return book, book
        return book, book.join(opportunities, opportunities.c.id == book.c.opportunity_id)


def _stage_probability(c: Any, pipelines: list[Pipeline]) -> Any:
    """A stage's default probability in basis points: ``CASE stage WHEN ...``, per pipeline when several."""

    def of(pipeline: Pipeline) -> Any:
        values = {s.key: sa.literal(_basis_points(s.probability)) for s in pipeline.stages}
        return sa.case(values, value=c.stage, else_=sa.literal(0))

    if len(pipelines) == 1:
        return of(pipelines[0])
    return sa.case({p.id: of(p) for p in pipelines}, value=c.pipeline_id, else_=sa.literal(0))


def _overdue(c: Any, today: Mapping[PipelineId, date], *, alone: bool) -> Any:
    """1 for an open deal whose close date is before its pipeline's ``today``, else 0.

    ``alone``: the query reads one pipeline (``today``'s only one).
    """
    if alone:
        [day] = today.values()
        due = c.close_date < sa.literal(day, sa.Date)
    else:
        days = sa.case({p: sa.literal(d, sa.Date) for p, d in today.items()}, value=c.pipeline_id)
        due = c.close_date < days
    return sa.case((sa.and_(c.outcome == StageOutcome.OPEN.value, due), sa.literal(1)), else_=sa.literal(0))


def _month(column: Any, family: DialectFamily) -> Any:
    """The ``YYYY-MM`` text of a date column (``NULL`` for ``NULL``), as each family writes it cheapest."""
    if family is DialectFamily.SQLITE:
        return sa.func.substr(column, 1, 7)  # SQLite keeps dates as YYYY-MM-DD text
    if family is DialectFamily.POSTGRESQL:
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.date_format(column, "%Y-%m")


def _category(c: Any, pipelines: list[Pipeline]) -> Any:
    """The category of a deal state from the history: closed when won, else manual, else its stage's."""

    def of(pipeline: Pipeline) -> Any:
        values = {s.key: sa.literal(s.forecast_category.value) for s in pipeline.stages}
        return sa.case(values, value=c.stage, else_=sa.literal(ForecastCategory.PIPELINE.value))

    staged = (
        of(pipelines[0])
        if len(pipelines) == 1
        else sa.case(
            {p.id: of(p) for p in pipelines},
            value=c.pipeline_id,
            else_=sa.literal(ForecastCategory.PIPELINE.value),
        )
    )
    return sa.case(
        (c.outcome == StageOutcome.WON.value, sa.literal(ForecastCategory.CLOSED.value)),
        else_=sa.func.coalesce(c.forecast_category, staged),
    )


@attrs.frozen
class _Shape:
    """Which columns a row of the book query has, after the category and the currency."""

    pipeline_id: PipelineId | None  # the one pipeline asked about, else a column
    overdue: bool
    stage: bool
    month: bool
    owner: bool

    def line(self, row: Any) -> BookLine:
        values = list(row)
        category, currency = values[0], values[1]
        rest = values[2:]
        pipeline_id = self.pipeline_id if self.pipeline_id is not None else rest.pop(0)
        overdue = bool(rest.pop(0)) if self.overdue else False
        stage = rest.pop(0) if self.stage else None
        month = rest.pop(0) if self.month else None
        owner = rest.pop(0) if self.owner else None
        count, total, weighted = rest
        if currency is None:
            amount = weighted_amount = Decimal(0)
        else:
            amount = from_minor_units(int(total), currency)
            weighted_amount = Decimal(int(weighted)).scaleb(-(CURRENCIES[currency] + 4))
        return BookLine(
            pipeline_id,
            stage,
            ForecastCategory(category),
            currency,
            None if month is None else int(month[:4]),
            None if month is None else int(month[5:7]),
            overdue,
            owner,
            int(count),
            amount,
            weighted_amount,
        )
