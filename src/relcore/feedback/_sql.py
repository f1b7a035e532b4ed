"""The SQL repository of the feedback context: the generic one, and the responses' special queries."""

from __future__ import annotations

import builtins
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from relcore.feedback.model import FeedbackKind, FeedbackResponse
from relcore.ids import CustomerId
from relcore.storage.rules import check_id
from relcore.storage.sql.generic import SqlRepository
from relcore.storage.sql.schema import feedback_responses

__all__ = ["SqlFeedback"]

_IN_LIST = 500
"""Values per ``IN (...)`` list."""


class SqlFeedback(SqlRepository[FeedbackResponse]):
    """Responses in ``relcore_feedback_responses``.

    ``refresh_latest`` reads the candidates (customer, kind, moment and id of
    each response of the customers), picks each customer's newest of each
    kind in Python, and changes only the rows whose flag is wrong: two
    ``UPDATE``s per 500 customers, the same statements on every backend.
    """

    def for_customer(
        self, customer_id: CustomerId, *, kind: FeedbackKind | None = None
    ) -> builtins.list[FeedbackResponse]:
        """The customer's responses (of one kind), newest first."""
        wanted = check_id("customer_id", customer_id)
        table = feedback_responses
        query = sa.select(table).where(table.c.customer_id == wanted)
        if kind is not None:
            query = query.where(table.c.kind == FeedbackKind(kind).value)
        return self.all(query.order_by(table.c.answered_at.desc(), table.c.id.desc()))

    def refresh_latest(self, customer_ids: Collection[CustomerId]) -> int:
        """Set ``latest`` on each customer's newest response of each kind, clear it elsewhere."""
        self._uow.check_writable()
        wanted = sorted({check_id("customer_id", c) for c in customer_ids})
        table = feedback_responses
        changed = 0
        for start in range(0, len(wanted), _IN_LIST):
            part = wanted[start : start + _IN_LIST]
            query = sa.select(
                table.c.customer_id, table.c.kind, table.c.answered_at, table.c.id, table.c.latest
            ).where(table.c.customer_id.in_(part))
            rows = self._uow.execute(query, what="read feedback_responses").all()
            best: dict[tuple[Any, str], tuple[Any, Any]] = {}
            for customer_id, kind, answered_at, response_id, _ in rows:
                key = (customer_id, kind)
                if key not in best or (answered_at, response_id) > best[key]:
                    best[key] = (answered_at, response_id)
            chosen = {response_id for _, response_id in best.values()}
            lose = sorted(r[3] for r in rows if r[4] and r[3] not in chosen)
            win = sorted(r[3] for r in rows if not r[4] and r[3] in chosen)
            for ids, flag in ((lose, False), (win, True)):
                for first in range(0, len(ids), _IN_LIST):
                    update = (
                        table.update()
                        .where(table.c.id.in_(ids[first : first + _IN_LIST]))
                        .values(latest=flag)
                    )
                    self._uow.execute(update, what="mark the latest feedback")
            changed += len(lose) + len(win)
        return changed
