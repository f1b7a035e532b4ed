"""A campaign's touchpoints and the counts behind its results, counted by the database in one statement.

The statement, for a [TallyQuery][relcore.marketing.TallyQuery]::

    coded   = SELECT customer_id, CASE WHEN <rule 1> THEN 2^c1 WHEN <rule 2> THEN 2^c2 ... END AS bit
              FROM touchpoints WHERE campaign_id = :c AND occurred_at <= :as_of
    reached = SELECT customer_id, CAST(SUM(DISTINCT bit) AS BIGINT) AS mask FROM coded GROUP BY customer_id
    SELECT m.variant, m.excluded IS NOT NULL, COUNT(*),
           SUM(CASE WHEN COALESCE(r.mask, 0) & <bits of flag i> <> 0 THEN 1 ELSE 0 END) ...,
           SUM(CASE WHEN EXISTS (an order of m's customer in (m.added_at, :as_of]) THEN 1 ELSE 0 END)
    FROM campaign_members m LEFT JOIN reached r ON r.customer_id = m.customer_id
    WHERE m.campaign_id = :c AND m.added_at <= :as_of AND (m.excluded IS NULL OR m.excluded = 'control_group')
    GROUP BY m.variant, m.excluded IS NOT NULL

Each customer's codes are one bit mask (the sum of distinct powers of two
is their bitwise OR; a campaign has at most 50 statuses, so it fits 64 bits),
so the touchpoints are grouped once whatever the number of flags. The
``CASE`` tries the mapping's rules in order, as the memory adapter does;
outcomes compare byte for byte (with the exact collation on MySQL/MariaDB).
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from relcore._kernel.checks import check_datetime, fail
from relcore.activity._rows import touchpoint_from_row
from relcore.activity.model import Touchpoint, TransactionKind
from relcore.ids import CampaignId, CustomerId
from relcore.marketing.members import Exclusion
from relcore.marketing.responses import ResponseRule, TallyQuery, TallyRow
from relcore.storage.rules import check_id, check_limit
from relcore.storage.sql.schema import campaign_members, touchpoints, transactions
from relcore.storage.sql.types import exact_collation

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlCampaignTallies"]


def _number(value: int) -> Any:
    """An integer written into the SQL text, so the same expression reads the same everywhere."""
    return sa.literal_column(str(int(value)), sa.Integer)


class SqlCampaignTallies:
    """A campaign's touchpoints and result counts from a SQL database.

    Implements [CampaignTallies][relcore.marketing.ports.CampaignTallies].
    """

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def touchpoints(
        self, campaign_id: CampaignId, *, until: datetime | None = None
    ) -> builtins.list[Touchpoint]:
        """The touchpoints carrying the campaign's id (at or before ``until``), by ``occurred_at`` then id."""
        wanted = check_id("campaign_id", campaign_id)
        end = None if until is None else check_datetime("until", until)
        table = touchpoints
        query = sa.select(table).where(table.c.campaign_id == wanted)
        if end is not None:
            query = query.where(table.c.occurred_at <= end)
        query = query.order_by(table.c.occurred_at, table.c.id)
        found = self._uow.execute(query, what="list campaign touchpoints").mappings()
        return [touchpoint_from_row(row) for row in found]

    def touchpoints_by_customer(
        self, campaign_id: CampaignId, *, after: CustomerId | None = None, limit: int = 1000
    ) -> builtins.list[tuple[CustomerId, builtins.list[Touchpoint]]]:
        """One page of the campaign's touchpoints, customer by customer (see the port).

        Two reads on the index ``(campaign_id, customer_id, occurred_at)``: the
        page's customers, then their touchpoints.
        """
        wanted = check_id("campaign_id", campaign_id)
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        table = touchpoints
        ours = table.c.campaign_id == wanted
        who = sa.select(table.c.customer_id).where(ours).distinct().order_by(table.c.customer_id).limit(size)
        if start is not None:
            who = who.where(table.c.customer_id > start)
        chosen = list(self._uow.execute(who, what="list campaign customers").scalars())
        if not chosen:
            return []
        query = (
            sa.select(table)
            .where(ours, table.c.customer_id.in_(chosen))
            .order_by(table.c.customer_id, table.c.occurred_at, table.c.id)
        )
        grouped: dict[CustomerId, builtins.list[Touchpoint]] = {c: [] for c in chosen}
        for row in self._uow.execute(query, what="list campaign touchpoints").mappings():
            touchpoint = touchpoint_from_row(row)
            grouped[touchpoint.customer_id].append(touchpoint)
        return list(grouped.items())

    def _matches(self, rule: ResponseRule) -> sa.ColumnElement[bool]:
        table = touchpoints
        parts: list[sa.ColumnElement[bool]] = []
        if rule.kind is not None:
            parts.append(table.c.kind == str(rule.kind))
        if rule.direction is not None:
            parts.append(table.c.direction == rule.direction.value)
        if rule.outcome is not None:
            collation = exact_collation(self._uow.connection.dialect)
            outcome = table.c.outcome if collation is None else table.c.outcome.collate(collation)
            parts.append(outcome == rule.outcome)
        return sa.and_(*parts)

    def tally(self, query: TallyQuery) -> builtins.list[TallyRow]:
        """The counts of the campaign's members as of ``query.as_of`` (see the port)."""
        if not isinstance(query, TallyQuery):
            raise fail("query", f"expected a TallyQuery, got {type(query).__name__}")
        if not query.rules:
            bit: Any = sa.null()
        else:
            bit = sa.case(
                *((self._matches(rule), _number(1 << c)) for rule, c in query.rules), else_=sa.null()
            )
        tp = touchpoints
        coded = (
            sa.select(tp.c.customer_id, bit.label("bit"))
            .where(tp.c.campaign_id == query.campaign_id, tp.c.occurred_at <= query.as_of)
            .subquery("coded")
        )
        # each customer's codes as one bit mask: the sum of the distinct powers of two is their OR
        mask = sa.cast(sa.func.sum(sa.distinct(coded.c.bit)), sa.BigInteger).label("mask")
        reached = sa.select(coded.c.customer_id, mask).group_by(coded.c.customer_id).subquery("reached")
        held = sa.func.coalesce(reached.c.mask, _number(0))
        flags = []
        for flag in query.flags:
            bits = sum(1 << c for c in flag)
            hit = sa.case((held.op("&")(_number(bits)) != _number(0), _number(1)), else_=_number(0))
            flags.append(sa.func.sum(hit) if bits else _number(0))
        m, t = campaign_members, transactions
        ordered = sa.exists().where(
            t.c.customer_id == m.c.customer_id,
            t.c.kind == TransactionKind.ORDER.value,
            t.c.occurred_at > m.c.added_at,
            t.c.occurred_at <= query.as_of,
        )
        control = sa.case((m.c.excluded.is_(None), _number(0)), else_=_number(1))
        statement = (
            sa.select(
                m.c.variant,
                control,
                sa.func.count(),
                *flags,
                sa.func.sum(sa.case((ordered, _number(1)), else_=_number(0))),
            )
            .select_from(m.outerjoin(reached, reached.c.customer_id == m.c.customer_id))
            .where(
                m.c.campaign_id == query.campaign_id,
                m.c.added_at <= query.as_of,
                sa.or_(m.c.excluded.is_(None), m.c.excluded == Exclusion.CONTROL_GROUP.value),
            )
            .group_by(m.c.variant, control)
        )
        rows = self._uow.execute(statement, what="count campaign results").all()
        return [
            TallyRow(
                variant=row[0],
                control=bool(row[1]),
                members=int(row[2]),
                flagged=tuple(int(n) for n in row[3:-1]),
                converted=int(row[-1]),
            )
            for row in rows
        ]
