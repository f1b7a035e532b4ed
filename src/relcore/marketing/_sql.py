"""The SQL repositories of the marketing context: the generic ones, and their special queries."""

from __future__ import annotations

import builtins
from collections.abc import Collection
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from relcore._kernel.checks import check_datetime
from relcore.ids import CampaignId, CustomerId
from relcore.marketing.members import CampaignMember
from relcore.marketing.ports import check_excluded, check_matches
from relcore.marketing.suppressions import Suppression, SuppressionKind, address_domain
from relcore.storage.base import Page
from relcore.storage.rules import check_id, check_limit
from relcore.storage.sql.generic import SqlRepository
from relcore.storage.sql.schema import campaign_members, suppressions

__all__ = ["SqlCampaignMembers", "SqlSuppressions"]

_CHUNK = 500  # values per IN (...) list


def _chunks(values: builtins.list[str]) -> builtins.list[builtins.list[str]]:
    unique = sorted(set(values))
    return [unique[start : start + _CHUNK] for start in range(0, len(unique), _CHUNK)]


class SqlCampaignMembers(SqlRepository[CampaignMember]):
    """The customers campaigns considered, in ``relcore_campaign_members``."""

    def for_campaign(
        self,
        campaign_id: CampaignId,
        *,
        excluded: bool | None = None,
        after: UUID | None = None,
        limit: int = 100,
    ) -> Page[CampaignMember]:
        """One page, in id order, of what one campaign considered (members, left out, or both)."""
        wanted = check_id("campaign_id", campaign_id)
        which = check_excluded(excluded)
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        table = campaign_members
        query = sa.select(table).where(table.c.campaign_id == wanted).order_by(table.c.id).limit(size + 1)
        if which is True:
            query = query.where(table.c.excluded.is_not(None))
        elif which is False:
            query = query.where(table.c.excluded.is_(None))
        if start is not None:
            query = query.where(table.c.id > start)
        found = self.all(query)
        items = tuple(found[:size])
        return Page(items, items[-1].id if len(found) > size else None)

    def counts(self, campaign_id: CampaignId) -> dict[str, int]:
        """How many members are in each status, and how many were left out for each reason."""
        wanted = check_id("campaign_id", campaign_id)
        table = campaign_members
        key = sa.func.coalesce(table.c.excluded, table.c.status)
        query = sa.select(key, sa.func.count()).where(table.c.campaign_id == wanted).group_by(key)
        rows = self._uow.execute(query, what="count campaign members").all()
        return dict(sorted((str(name), int(n)) for name, n in rows))


class SqlSuppressions(SqlRepository[Suppression]):
    """The suppression list in ``relcore_suppressions``."""

    def _live(self, moment: datetime) -> sa.ColumnElement[bool]:
        table = suppressions
        return sa.and_(
            table.c.created_at <= moment,
            sa.or_(table.c.expires_at.is_(None), table.c.expires_at > moment),
        )

    def active(self, at: datetime) -> builtins.list[Suppression]:
        """The suppressions live at ``at``, by kind then value."""
        moment = check_datetime("at", at)
        table = suppressions
        return self.all(sa.select(table).where(self._live(moment)).order_by(table.c.kind, table.c.value))

    def matches(
        self, addresses: Collection[str], customer_ids: Collection[CustomerId], at: datetime
    ) -> set[str | CustomerId]:
        """Which of the addresses and customers a suppression live at ``at`` covers."""
        texts, ids, moment = check_matches(addresses, customer_ids, at)
        folded = {address: address.strip().lower() for address in texts}
        domains = {address: address_domain(value) for address, value in folded.items()}
        wanted = {
            SuppressionKind.ADDRESS: list(folded.values()),
            SuppressionKind.DOMAIN: [d for d in domains.values() if d is not None],
            SuppressionKind.CUSTOMER: [str(i) for i in ids],
        }
        table = suppressions
        live: dict[SuppressionKind, set[str]] = {kind: set() for kind in SuppressionKind}
        for kind, values in wanted.items():
            for chunk in _chunks(values):
                query = sa.select(table.c.value).where(
                    table.c.kind == kind.value, table.c.value.in_(chunk), self._live(moment)
                )
                rows = self._uow.execute(query, what="match suppressions").scalars()
                live[kind].update(str(value) for value in rows)
        found: set[str | CustomerId] = {
            address
            for address, value in folded.items()
            if value in live[SuppressionKind.ADDRESS] or domains[address] in live[SuppressionKind.DOMAIN]
        }
        found.update(CustomerId(i) for i in ids if str(i) in live[SuppressionKind.CUSTOMER])
        return found
