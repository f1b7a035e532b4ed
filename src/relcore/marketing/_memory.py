"""The memory repositories of the marketing context: the generic ones, and their special queries."""

from __future__ import annotations

import bisect
import builtins
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import datetime
from uuid import UUID

import attrs

from relcore._kernel.checks import check_datetime
from relcore.activity.model import Touchpoint
from relcore.consent.model import may_contact
from relcore.customers.model import ContactPointKind
from relcore.ids import CampaignId, CustomerId, SegmentId
from relcore.marketing.audiences import Candidate, Reachable, Screening, address_kind, screen
from relcore.marketing.members import CampaignMember
from relcore.marketing.model import Campaign
from relcore.marketing.ports import check_excluded, check_matches
from relcore.marketing.suppressions import Suppression, SuppressionKind, address_domain
from relcore.sales.pipelines import check_key
from relcore.segments import DEFAULT_CATALOGUE, Catalogue, Rule
from relcore.storage.base import Page
from relcore.storage.memory.generic import MemoryRepository
from relcore.storage.memory.session import Session
from relcore.storage.rules import check_id, check_ids, check_limit

__all__ = ["MemoryAudiences", "MemoryCampaignMembers", "MemorySuppressions"]


class MemoryCampaignMembers(MemoryRepository[CampaignMember]):
    """The customers campaigns considered, in memory.

    Implements [CampaignMemberRepository][relcore.marketing.ports.CampaignMemberRepository].
    """

    def for_campaign(
        self,
        campaign_id: CampaignId,
        *,
        excluded: bool | None = None,
        after: UUID | None = None,
        limit: int = 100,
    ) -> Page[CampaignMember]:
        """One page, in id order, of what one campaign considered (members, left out, or both)."""
        self._session.check()
        wanted = check_id("campaign_id", campaign_id)
        which = check_excluded(excluded)
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        table = self._table()
        index = 0 if start is None else bisect.bisect_right(table.ids, start)
        chosen: builtins.list[CampaignMember] = []
        for entity_id in table.ids[index:]:
            member = table.rows[entity_id]
            if member.campaign_id != wanted or (which is not None and which == member.is_member):
                continue
            if len(chosen) == size:
                return Page(tuple(chosen), chosen[-1].id)
            chosen.append(member)
        return Page(tuple(chosen), None)

    def of_customers(
        self, campaign_id: CampaignId, customer_ids: Collection[CustomerId]
    ) -> dict[CustomerId, CampaignMember]:
        """What one campaign considered of these customers, by customer."""
        self._session.check()
        wanted = check_id("campaign_id", campaign_id)
        found = {c: self.find(wanted, c) for c in check_ids("customer_ids", customer_ids)}
        return {CustomerId(c): member for c, member in found.items() if member is not None}

    def reassign(
        self, campaign_id: CampaignId, customer_ids: Collection[CustomerId], variant: str, *, status: str
    ) -> int:
        """Give ``variant`` to the members among ``customer_ids`` in ``status`` with another one."""
        self._session.check_write()
        wanted = check_id("campaign_id", campaign_id)
        who = sorted(set(check_ids("customer_ids", customer_ids)))
        new, current = check_key("variant", variant), check_key("status", status)
        changed = 0
        for member in self.of_customers(CampaignId(wanted), [CustomerId(c) for c in who]).values():
            if member.excluded is None and member.status == current and member.variant != new:
                self.save(attrs.evolve(member, variant=new))
                changed += 1
        return changed

    def counts(self, campaign_id: CampaignId) -> dict[str, int]:
        """How many members are in each status, and how many were left out for each reason."""
        self._session.check()
        wanted = check_id("campaign_id", campaign_id)
        found: Counter[str] = Counter()
        for member in self._table().rows.values():
            if member.campaign_id == wanted:
                found[member.excluded.value if member.excluded is not None else str(member.status)] += 1
        return dict(sorted(found.items()))


class MemorySuppressions(MemoryRepository[Suppression]):
    """The suppression list in memory.

    Implements [SuppressionRepository][relcore.marketing.ports.SuppressionRepository].
    """

    def active(self, at: datetime) -> builtins.list[Suppression]:
        """The suppressions live at ``at``, by kind then value."""
        self._session.check()
        moment = check_datetime("at", at)
        live = [s for s in self._table().rows.values() if s.is_live(moment)]
        return sorted(live, key=lambda s: (s.kind.value, s.value))

    def matches(
        self, addresses: Collection[str], customer_ids: Collection[CustomerId], at: datetime
    ) -> set[str | CustomerId]:
        """Which of the addresses and customers a suppression live at ``at`` covers."""
        self._session.check()
        texts, ids, moment = check_matches(addresses, customer_ids, at)
        live: dict[SuppressionKind, set[str]] = {kind: set() for kind in SuppressionKind}
        for suppression in self.active(moment):
            live[suppression.kind].add(suppression.value)
        found: set[str | CustomerId] = set()
        for address in texts:
            folded = address.strip().casefold()
            if (
                folded in live[SuppressionKind.ADDRESS]
                or address_domain(folded) in live[SuppressionKind.DOMAIN]
            ):
                found.add(address)
        found.update(CustomerId(i) for i in ids if str(i) in live[SuppressionKind.CUSTOMER])
        return found


class MemoryAudiences:
    """The audience query in a memory store.

    It gathers the facts about each customer, then applies
    [screen][relcore.marketing.audiences.screen] to them.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def candidates(
        self,
        campaign: Campaign,
        source: Rule | SegmentId,
        as_of: datetime,
        *,
        catalogue: Catalogue = DEFAULT_CATALOGUE,
    ) -> Iterator[Candidate]:
        """Yield every customer ``source`` holds at ``as_of``, in id order, kept or left out."""
        self._session.check()
        moment = check_datetime("as_of", as_of)
        uow = self._session.uow
        if isinstance(source, UUID):
            held: Iterable[CustomerId] = uow.segments.stored_members(SegmentId(source))
        else:
            held = uow.segments.members(source, moment, catalogue=catalogue)
        live: dict[SuppressionKind, set[str]] = {kind: set() for kind in SuppressionKind}
        for suppression in uow.suppressions.active(moment):
            live[suppression.kind].add(suppression.value)
        kind = address_kind(str(campaign.channel))

        def facts(customer_id: CustomerId) -> Screening:
            points = [
                Reachable(
                    contact_id=contact.id,
                    position=position,
                    kind=point.kind,
                    value=point.value,
                    key=point.key,
                    primary=point.primary,
                    verified=point.verified,
                )
                for contact in (uow.contacts.for_customer(customer_id) if kind is not None else ())
                for position, point in enumerate(contact.points)
                if point.kind is kind
            ]
            return Screening(
                customer_id=customer_id,
                consented=may_contact(
                    uow.consents.for_customer(customer_id), campaign.purpose, campaign.channel, moment
                ),
                suppressed=str(customer_id) in live[SuppressionKind.CUSTOMER],
                capped=_capped(campaign, uow.touchpoints.for_owner(customer_id), moment),
                reachable=tuple(p for p in points if not _address_suppressed(p, live)),
                had_points=bool(points),
            )

        yield from screen((facts(c) for c in sorted(held)), needs_address=kind is not None)


def _address_suppressed(point: Reachable, live: Mapping[SuppressionKind, set[str]]) -> bool:
    if point.key in live[SuppressionKind.ADDRESS]:
        return True
    return point.kind is ContactPointKind.EMAIL and address_domain(point.key) in live[SuppressionKind.DOMAIN]


def _capped(campaign: Campaign, sent: Iterable[Touchpoint], as_of: datetime) -> bool:
    cap = campaign.frequency_cap
    return cap is not None and cap.reached(sent, channel=campaign.channel, at=as_of)
