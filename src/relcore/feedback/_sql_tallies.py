"""The counts behind the feedback figures, grouped by the database in one statement.

``SELECT <groups>, <local day>, count(*), sum(positive), sum(detractor),
sum(score), sum(score * score) ... GROUP BY <groups>, <local day>``: the
database adds up the responses; only one row per group and local day comes
back, and the days are folded into weeks, months, quarters or years here.

The local day of a stored UTC instant is computed with integers, the same
way on every backend: the zone's UTC offset is a ``CASE`` over the offset
spans of the zone between the first and the last answer counted
([offset_spans][relcore.feedback.periods.offset_spans], from Python's
`zoneinfo`, so the database needs no time-zone tables), added to the instant,
and the result's date is turned into a day number:

* SQLite: the day's text ``substr(t, 1, 10)`` in UTC, else
  ``(strftime('%s', <t to the second>) + offset + 86400·K) / 86400 - K`` (integer
  division, shifted by ``K`` days so that instants before 1970 floor too);
* PostgreSQL: ``CAST(t + offset · INTERVAL '1 second' AS DATE) - DATE '1970-01-01'``;
* MySQL / MariaDB: ``TO_DAYS(TIMESTAMPADD(SECOND, offset, t)) - TO_DAYS('1970-01-01')``.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from relcore._kernel.checks import fail
from relcore.feedback.metrics import Group, Tally
from relcore.feedback.model import FeedbackKind
from relcore.feedback.periods import from_day_number, offset_spans, period_start
from relcore.feedback.ports import CASE_GROUPS, TallyQuery, TallyRow
from relcore.storage.sql.dialects import DialectFamily, dialect_family
from relcore.storage.sql.schema import cases, feedback_responses

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlTallies", "local_day_number"]

_IN_LIST = 500
_SHIFT_DAYS = 1_000_000
"""Days added before an integer division on SQLite, so that it floors for instants before 1970."""
_MYSQL_EPOCH_DAYS = 719_528
"""``TO_DAYS('1970-01-01')``."""


def _number(value: int) -> Any:
    """An integer written into the SQL text: the same expression in ``SELECT`` and ``GROUP BY`` then."""
    return sa.literal_column(str(int(value)), sa.BigInteger)


def _offset(moment: Any, spans: list[tuple[datetime | None, int]]) -> Any:
    """The zone's offset in seconds at the stored instant ``moment``: a constant or a ``CASE``."""
    if len(spans) == 1:
        return _number(spans[0][1])
    whens = [(moment < until, _number(offset)) for until, offset in spans[:-1]]
    return sa.case(*whens, else_=_number(spans[-1][1]))


def local_day_number(family: DialectFamily, moment: Any, spans: list[tuple[datetime | None, int]]) -> Any:
    """The SQL of the local day of the stored UTC instant ``moment``: its number (days since 1970-01-01).

    On SQLite, in UTC, the day's ``YYYY-MM-DD`` text instead (see `day_of`).
    """
    offset = _offset(moment, spans)
    constant = len(spans) == 1 and spans[0][1] == 0
    if family is DialectFamily.SQLITE and constant:
        return sa.func.substr(moment, _number(1), _number(10))  # the UTC day's text, cheaper than arithmetic
    if family is DialectFamily.SQLITE:
        # the whole seconds of the stored text: strftime would round its microseconds to milliseconds
        text = sa.func.substr(moment, _number(1), _number(19))
        seconds = sa.cast(sa.func.strftime(sa.literal_column("'%s'"), text), sa.BigInteger)
        shifted = seconds + _number(_SHIFT_DAYS * 86_400)
        if not constant:
            shifted = shifted + offset
        return sa.cast(shifted / _number(86_400), sa.BigInteger) - _number(_SHIFT_DAYS)
    if family is DialectFamily.POSTGRESQL:
        second = sa.literal_column("INTERVAL '1 second'", sa.Interval)
        local = moment if constant else moment + offset * second
        return sa.cast(local, sa.Date) - sa.literal_column("DATE '1970-01-01'", sa.Date)
    local = moment if constant else sa.func.timestampadd(sa.text("SECOND"), offset, moment)
    return sa.func.to_days(local) - _number(_MYSQL_EPOCH_DAYS)


def day_of(value: object) -> date:
    """The local day a row of `local_day_number` holds (a day number, or on SQLite in UTC the day's text)."""
    if isinstance(value, str):
        return date.fromisoformat(value)
    return from_day_number(int(value))  # type: ignore[call-overload]


def _one_of(column: Any, values: Iterable[Any]) -> Any:
    ordered = sorted(values, key=str)
    if not ordered:
        return sa.false()
    parts = [column.in_(ordered[i : i + _IN_LIST]) for i in range(0, len(ordered), _IN_LIST)]
    return sa.or_(*parts)


class SqlTallies:
    """The counts behind the figures, grouped by a SQL database.

    Implements [FeedbackTallies][relcore.feedback.ports.FeedbackTallies].
    """

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def _filters(self, query: TallyQuery) -> list[Any]:
        table = feedback_responses
        found = [table.c.kind == FeedbackKind(query.kind).value]
        if query.start is not None:
            found.append(table.c.answered_at >= query.start)
        if query.end is not None:
            found.append(table.c.answered_at < query.end)
        if query.channels is not None:
            found.append(_one_of(table.c.channel, query.channels))
        if query.surveys is not None:
            found.append(_one_of(table.c.survey, query.surveys))
        if query.customer_ids is not None:
            found.append(_one_of(table.c.customer_id, query.customer_ids))
        return found

    def tally(self, query: TallyQuery) -> builtins.list[TallyRow]:
        """The counts of the responses ``query`` admits, per group and scale."""
        if not isinstance(query, TallyQuery):
            raise fail("query", "expected a TallyQuery")
        table = feedback_responses
        where = self._filters(query)
        source: Any = table
        if set(CASE_GROUPS) & set(query.by):  # the case's team or assignee, as they are now
            source = table.outerjoin(cases, cases.c.id == table.c.case_id)
        keys: list[Any] = [cases.c[name] if name in CASE_GROUPS else table.c[name] for name in query.by]
        if query.period is not None:
            # two ordered scalar subqueries: each reads one end of the (kind, answered_at) index
            moment = table.c.answered_at
            earliest = sa.select(moment).where(*where).order_by(moment).limit(1)
            latest = sa.select(moment).where(*where).order_by(moment.desc()).limit(1)
            bounds = sa.select(earliest.scalar_subquery(), latest.scalar_subquery())
            first, last = self._uow.execute(bounds, what="read feedback").one()
            if first is None:
                return []
            family = dialect_family(self._uow.connection.dialect)
            keys.append(local_day_number(family, table.c.answered_at, offset_spans(query.zone, first, last)))
        nps = query.kind is FeedbackKind.NPS
        scales = [] if nps else [table.c.scale_min, table.c.scale_max]
        score = table.c.score
        one, zero = _number(1), _number(0)
        detractors = sa.func.sum(sa.case((score <= _number(6), one), else_=zero)) if nps else zero
        counts = [
            sa.func.count(),
            sa.func.sum(sa.case((table.c.positive, one), else_=zero)),
            detractors,
            sa.func.sum(score),
            sa.func.sum(score * score),
        ]
        # grouped by the labels of the selected keys: each key is computed once per row
        grouped = [key.label(f"k{i}") for i, key in enumerate([*keys, *scales])]
        statement = sa.select(*grouped, *counts).select_from(source).where(*where)
        if grouped:
            statement = statement.group_by(*(key.name for key in grouped))
        rows = self._uow.execute(statement, what="count feedback").all()
        found: list[TallyRow] = []
        for row in rows:
            values = dict(zip(query.by, row, strict=False))
            at = len(query.by)
            if query.period is not None:
                values["period"] = period_start(day_of(row[at]), query.period)
                at += 1
            low, high = (0, 10) if nps else (int(row[at]), int(row[at + 1]))
            n, positive, detractor, total, squares = row[len(row) - 5 :]
            if not n:
                continue
            tally = Tally(int(n), int(positive), int(detractor), int(total), int(squares))
            found.append(TallyRow(Group(**values), low, high, tally))
        return found
