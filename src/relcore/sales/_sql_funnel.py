"""The funnel query port in SQL: conversion reaches and closed deals grouped by the database.

Two questions add up many history entries, and each is one statement:

- ``reaches``: a ``CASE`` over the pipeline's stage keys (bound parameters)
  gives each entry its open stage's index, or the number of open stages for a
  won stage (lost stages give ``NULL``); ``MAX`` per deal is its reach, and the
  deals are counted per reach.
- ``closed``: each deal's newest entry as of the window's end (``row_number``
  over its history, newest first) is its state; its closing entry's moment is
  the latest ``won`` or ``lost`` entry's; the deals whose state is closed and
  whose closing moment is in the window are counted and summed (minor units)
  per outcome, lost reason and currency.

``history`` reads the entries the other analytics walk in Python.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from relcore._kernel.checks import check_datetime
from relcore._kernel.money import from_minor_units
from relcore.ids import PipelineId
from relcore.sales._history import ClosedGroup, check_pipeline, check_window
from relcore.sales.model import ChangeKind, OpportunityChange
from relcore.sales.pipelines import Pipeline, StageOutcome
from relcore.sales.ports import CHANGES
from relcore.storage.rules import check_id
from relcore.storage.sql.generic import codec_of
from relcore.storage.sql.schema import opportunity_changes

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlFunnel"]

_CLOSING = (ChangeKind.WON.value, ChangeKind.LOST.value)
_CLOSED = (StageOutcome.WON.value, StageOutcome.LOST.value)


class SqlFunnel:
    """The deals' history of a SQL store, grouped by the database.

    Implements [SalesFunnel][relcore.sales.ports.SalesFunnel].
    """

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def reaches(self, pipeline: Pipeline, as_of: datetime) -> dict[int, int]:
        """Deals per reach in the pipeline (see [SalesFunnel][relcore.sales.ports.SalesFunnel])."""
        flow = check_pipeline(pipeline)
        moment = check_datetime("as_of", as_of)
        history = opportunity_changes
        opens = flow.open_stages
        index = {stage.key: i for i, stage in enumerate(opens)}
        index |= {s.key: len(opens) for s in flow.stages if s.outcome is StageOutcome.WON}
        reach = sa.case(
            {key: sa.literal(position, sa.Integer) for key, position in index.items()},
            value=history.c.stage,
            else_=sa.null(),
        )
        per_deal = (
            sa.select(sa.func.max(reach).label("reach"))
            .where(history.c.pipeline_id == flow.id, history.c.at <= moment)
            .group_by(history.c.opportunity_id)
            .subquery("per_deal")
        )
        query = (
            sa.select(per_deal.c.reach, sa.func.count())
            .where(per_deal.c.reach.is_not(None))
            .group_by(per_deal.c.reach)
        )
        rows = self._uow.execute(query, what="read the sales funnel")
        return dict(sorted((int(found), int(count)) for found, count in rows))

    def closed(
        self, start: datetime, end: datetime, pipeline: Pipeline | None = None
    ) -> builtins.list[ClosedGroup]:
        """The deals closed in the window, grouped (see [SalesFunnel][relcore.sales.ports.SalesFunnel])."""
        first, last = check_window(start, end)
        flow = None if pipeline is None else check_pipeline(pipeline)
        history = opportunity_changes
        newest = sa.func.row_number().over(
            partition_by=history.c.opportunity_id, order_by=(history.c.at.desc(), history.c.id.desc())
        )
        state = (
            sa.select(
                history.c.opportunity_id,
                history.c.pipeline_id,
                history.c.outcome,
                history.c.lost_reason,
                history.c.currency,
                history.c.amount_minor,
                newest.label("newest"),
            )
            .where(history.c.at <= last)
            .subquery("state")
        )
        closing = (
            sa.select(history.c.opportunity_id, sa.func.max(history.c.at).label("closed_at"))
            .where(history.c.at <= last, history.c.kind.in_(_CLOSING))
            .group_by(history.c.opportunity_id)
            .subquery("closing")
        )
        grouped = (state.c.outcome, state.c.lost_reason, state.c.currency)
        query = (
            sa.select(*grouped, sa.func.count(), sa.func.sum(state.c.amount_minor))
            .select_from(state.join(closing, closing.c.opportunity_id == state.c.opportunity_id))
            .where(
                state.c.newest == 1,
                state.c.outcome.in_(_CLOSED),
                closing.c.closed_at >= first,
                closing.c.closed_at < last,
            )
            .group_by(*grouped)
        )
        if flow is not None:
            query = query.where(state.c.pipeline_id == flow.id)
        rows = self._uow.execute(query, what="read the sales funnel")
        return sorted((_group(row) for row in rows), key=ClosedGroup.key)

    def history(self, pipeline_id: PipelineId | None, until: datetime) -> builtins.list[OpportunityChange]:
        """The deals' history up to ``until`` (see [SalesFunnel][relcore.sales.ports.SalesFunnel])."""
        wanted = None if pipeline_id is None else check_id("pipeline_id", pipeline_id)
        moment = check_datetime("until", until)
        history = opportunity_changes
        query = (
            sa.select(history)
            .where(history.c.at <= moment)
            .order_by(history.c.opportunity_id, history.c.at, history.c.id)
        )
        if wanted is not None:
            deals = sa.select(history.c.opportunity_id).where(
                history.c.pipeline_id == wanted, history.c.at <= moment
            )
            query = query.where(history.c.opportunity_id.in_(deals))
        codec = codec_of(CHANGES)
        rows = self._uow.execute(query, what="read opportunity_changes").mappings()
        return [codec.entity(row) for row in rows]  # type: ignore[arg-type]


def _group(row: Any) -> ClosedGroup:
    outcome, reason, currency, count, total = row
    amount = Decimal(0) if currency is None or total is None else from_minor_units(int(total), currency)
    return ClosedGroup(StageOutcome(outcome), reason, currency, int(count), amount)
