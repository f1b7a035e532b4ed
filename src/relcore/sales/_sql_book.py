"""The book of deals in SQL: one ``GROUP BY`` over the deals, or over their history as of a moment.

Either joins the stored win-probability scores (``relcore_win_scores``).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from relcore._kernel.checks import check_datetime
from relcore._kernel.money import from_minor_units
from relcore.ids import PipelineId
from relcore.sales.forecasts import BookLine, merged
from relcore.sales.pipelines import ForecastCategory, StageOutcome
from relcore.storage.rules import check_id
from relcore.storage.sql.schema import opportunities, opportunity_changes, win_scores

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlBook"]

_GROUPED = (
    "pipeline_id",
    "stage",
    "outcome",
    "probability_bp",
    "forecast_category",
    "currency",
    "close_date",
)


class SqlBook:
    """The book of deals of a SQL store, grouped by the database."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def lines(
        self, pipeline_ids: Sequence[PipelineId], *, as_of: datetime | None = None, by_owner: bool = False
    ) -> builtins.list[BookLine]:
        """The deals of the pipelines, grouped (see [SalesBook][relcore.sales.ports.SalesBook]).

        Each deal's stored win-probability score comes from a ``LEFT JOIN``
        on ``relcore_win_scores``, matched on the deal's pipeline and stage
        (as of ``as_of``, those it was in then) while it is open.
        """
        wanted = sorted({check_id(f"pipeline_ids[{i}]", p) for i, p in enumerate(pipeline_ids)})
        if not wanted:
            return []
        if as_of is None:
            source: Any = opportunities
            deal_id = source.c.id
            owner = source.c.owner
            joined: Any = source
        else:
            moment = check_datetime("as_of", as_of)
            history = opportunity_changes
            latest = sa.func.row_number().over(
                partition_by=history.c.opportunity_id, order_by=(history.c.at.desc(), history.c.id.desc())
            )
            source = (
                sa.select(history.c.opportunity_id, history.c.amount_minor, *(history.c[n] for n in _GROUPED))
                .add_columns(latest.label("newest"))
                .where(history.c.at <= moment)
                .subquery("book")
            )
            deal_id = source.c.opportunity_id
            owner = opportunities.c.owner
            joined = source
            if by_owner:
                joined = joined.join(opportunities, opportunities.c.id == deal_id, isouter=True)
        scored = sa.and_(
            win_scores.c.opportunity_id == deal_id,
            win_scores.c.pipeline_id == source.c.pipeline_id,
            win_scores.c.stage == source.c.stage,
            source.c.outcome == StageOutcome.OPEN.value,
        )
        joined = joined.join(win_scores, scored, isouter=True)
        query = sa.select().select_from(joined).where(source.c.pipeline_id.in_(wanted))
        if as_of is not None:
            query = query.where(source.c.newest == 1)
        columns = [source.c[name] for name in _GROUPED]
        grouped = [*columns, win_scores.c.probability_bp, *([owner] if by_owner else [])]
        query = query.add_columns(*grouped, sa.func.count(), sa.func.sum(source.c.amount_minor)).group_by(
            *grouped
        )
        rows = self._uow.execute(query, what="read the sales book")
        return merged(_line(row, by_owner) for row in rows)


def _line(row: Any, by_owner: bool) -> BookLine:
    pipeline_id, stage, outcome, probability, category, currency, close_date, model, *rest = row
    owner = rest[0] if by_owner else None
    count, total = rest[-2], rest[-1]
    amount = Decimal(0) if currency is None or total is None else from_minor_units(int(total), currency)
    return BookLine(
        pipeline_id,
        stage,
        StageOutcome(outcome),
        None if probability is None else Decimal(probability).scaleb(-4),
        None if category is None else ForecastCategory(category),
        currency,
        close_date,
        owner,
        int(count),
        amount,
        None if model is None else Decimal(model).scaleb(-4),
    )
