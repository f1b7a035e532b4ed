"""A campaign's touchpoints and the counts behind its results, from the memory store: the reference.

The SQL adapter ([relcore.marketing._sql_tallies][]) is held to these answers
by the differential tests.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from relcore._kernel.checks import check_datetime, fail
from relcore.activity._memory import ActivityTable
from relcore.activity.model import Touchpoint, TransactionKind
from relcore.ids import CampaignId, CustomerId
from relcore.marketing.members import Exclusion
from relcore.marketing.responses import TallyQuery, TallyRow
from relcore.storage.memory.session import Session
from relcore.storage.rules import check_id, check_limit

__all__ = ["MemoryCampaignTallies"]


class MemoryCampaignTallies:
    """A campaign's touchpoints and result counts in memory.

    Implements [CampaignTallies][relcore.marketing.ports.CampaignTallies].
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def touchpoints(
        self, campaign_id: CampaignId, *, until: datetime | None = None
    ) -> builtins.list[Touchpoint]:
        """The touchpoints carrying the campaign's id (at or before ``until``), by ``occurred_at`` then id."""
        self._session.check()
        wanted = check_id("campaign_id", campaign_id)
        end = None if until is None else check_datetime("until", until)
        table = self._session.tables.table("touchpoints", ActivityTable[Touchpoint])
        found = [
            t
            for t in table.rows.values()
            if t.campaign_id == wanted and (end is None or t.occurred_at <= end)
        ]
        return sorted(found, key=lambda t: (t.occurred_at, t.id))

    def touchpoints_by_customer(
        self, campaign_id: CampaignId, *, after: CustomerId | None = None, limit: int = 1000
    ) -> builtins.list[tuple[CustomerId, builtins.list[Touchpoint]]]:
        """One page of the campaign's touchpoints, customer by customer (see the port)."""
        self._session.check()
        wanted = check_id("campaign_id", campaign_id)
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        table = self._session.tables.table("touchpoints", ActivityTable[Touchpoint])
        grouped: dict[CustomerId, builtins.list[Touchpoint]] = {}
        for t in table.rows.values():
            if t.campaign_id == wanted and (start is None or t.customer_id > start):
                grouped.setdefault(t.customer_id, []).append(t)
        chosen = sorted(grouped)[:size]
        return [(c, sorted(grouped[c], key=lambda t: (t.occurred_at, t.id))) for c in chosen]

    def tally(self, query: TallyQuery) -> builtins.list[TallyRow]:
        """The counts of the campaign's members as of ``query.as_of`` (see the port)."""
        self._session.check()
        if not isinstance(query, TallyQuery):
            raise fail("query", f"expected a TallyQuery, got {type(query).__name__}")
        uow = self._session.uow
        codes: dict[object, set[int]] = {}
        for touchpoint in self.touchpoints(query.campaign_id, until=query.as_of):
            code = query.code_of(touchpoint)
            if code is not None:
                codes.setdefault(touchpoint.customer_id, set()).add(code)
        groups: dict[tuple[str | None, bool], list[int]] = {}
        width = len(query.flags)
        after = None
        while True:
            page = uow.campaign_members.for_campaign(query.campaign_id, after=after, limit=1000)
            for member in page.items:
                control = member.excluded is Exclusion.CONTROL_GROUP
                if (member.excluded is not None and not control) or member.added_at > query.as_of:
                    continue
                counts = groups.setdefault((member.variant, control), [0] * (width + 2))
                mine = codes.get(member.customer_id, set())
                counts[0] += 1
                for i, flag in enumerate(query.flags):
                    counts[1 + i] += bool(mine & flag)
                counts[-1] += any(
                    t.kind is TransactionKind.ORDER and member.added_at < t.occurred_at <= query.as_of
                    for t in uow.transactions.for_owner(member.customer_id)
                )
            if page.next_after is None:
                break
            after = page.next_after
        return [
            TallyRow(
                variant=variant,
                control=control,
                members=counts[0],
                flagged=tuple(counts[1:-1]),
                converted=counts[-1],
            )
            for (variant, control), counts in groups.items()
        ]
