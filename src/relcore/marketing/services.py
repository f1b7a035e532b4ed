"""Marketing use cases: campaigns, their status, the suppression list, who was left out; against the ports."""

from __future__ import annotations

import builtins
from datetime import datetime

import attrs

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_instance
from relcore.errors import ConflictError, NotFoundError
from relcore.ids import CampaignId, CustomerId
from relcore.marketing.decisions import add_campaign, change_status
from relcore.marketing.members import CampaignMember, Exclusion
from relcore.marketing.model import Campaign, CampaignStatus
from relcore.marketing.ports import MarketingWork
from relcore.marketing.suppressions import Suppression, SuppressionKind, normalise_suppressed

__all__ = [
    "add",
    "members",
    "save",
    "set_status",
    "suppress",
    "unsuppress",
    "why_excluded",
]


def add(uow: MarketingWork, campaign: Campaign) -> Campaign:
    """Store a new campaign and record its ``CampaignAdded`` event.

    Raises:
        ConflictError: Another campaign has its name, or its id is stored.
        NotFoundError: Its parent campaign is not stored.
    """
    checked, events = add_campaign(campaign)
    if not uow.campaigns.add(checked):
        raise ConflictError("another campaign has this name")
    for event in events:
        uow.record(event)
    return checked


def save(uow: MarketingWork, campaign: Campaign) -> Campaign:
    """Store a changed campaign (version-checked), its status unchanged; return the stored one.

    Raises:
        ValidationError: Its status differs from the stored one (``status``: use ``set_status``).
        NotFoundError: It was never added.
        ConflictError: Stale version, or another campaign has its name.
    """
    check_instance("campaign", campaign, Campaign)
    stored = uow.campaigns.get(campaign.id)
    if campaign.status is not stored.status:
        raise check.fail("status", "changes only through set_status")
    return uow.campaigns.save(campaign)


def set_status(uow: MarketingWork, campaign_id: CampaignId, status: CampaignStatus | str) -> Campaign:
    """Move a campaign to ``status`` (see [CAMPAIGN_MOVES][relcore.marketing.CAMPAIGN_MOVES]).

    Moving to the status it is in changes nothing and records nothing.

    Raises:
        NotFoundError: No such campaign.
        ValidationError: The move is not allowed (``status``).
    """
    stored = uow.campaigns.get(campaign_id)
    changed, events = change_status(stored, status)
    if not events:
        return stored
    saved = uow.campaigns.save(changed)
    for event in events:
        uow.record(event)
    return saved


def suppress(
    uow: MarketingWork,
    kind: SuppressionKind | str,
    value: object,
    reason: str,
    *,
    expires_at: datetime | None,
    at: datetime,
) -> Suppression:
    """Put an address, a domain or a customer on the suppression list from ``at``; return the entry.

    An entry of the same kind and value is replaced: the new reason and
    expiry apply from ``at``.
    """
    chosen = check.check_enum(SuppressionKind, "kind", kind)
    normal = normalise_suppressed(chosen, value)
    stored = uow.suppressions.find(chosen.value, normal)
    if stored is None:
        entry = Suppression(kind=chosen, value=normal, reason=reason, expires_at=expires_at, created_at=at)
        uow.suppressions.add(entry)
        return entry
    entry = attrs.evolve(stored, reason=reason, expires_at=expires_at, created_at=at)
    return uow.suppressions.save(entry)


def unsuppress(uow: MarketingWork, kind: SuppressionKind | str, value: object, *, at: datetime) -> bool:
    """Lift a suppression from ``at`` (it expires then; the entry is kept); ``False`` if none was live."""
    chosen = check.check_enum(SuppressionKind, "kind", kind)
    stored = uow.suppressions.find(chosen.value, normalise_suppressed(chosen, value))
    if stored is None or not stored.is_live(at):
        return False
    uow.suppressions.save(attrs.evolve(stored, expires_at=max(at, stored.created_at)))
    return True


def members(uow: MarketingWork, campaign_id: CampaignId, *, excluded: bool | None) -> list[CampaignMember]:
    """Every member of a campaign (or every customer it left out, or both), in id order.

    Raises:
        NotFoundError: No such campaign.
    """
    uow.campaigns.get(campaign_id)
    found: builtins.list[CampaignMember] = []
    after = None
    while True:
        page = uow.campaign_members.for_campaign(campaign_id, excluded=excluded, after=after, limit=1000)
        found += page.items
        if page.next_after is None:
            return found
        after = page.next_after


def why_excluded(uow: MarketingWork, campaign_id: CampaignId, customer_id: CustomerId) -> Exclusion | None:
    """Why the campaign left the customer out; ``None`` if it is a member.

    Raises:
        NotFoundError: No such campaign, or the campaign never considered the customer.
    """
    uow.campaigns.get(campaign_id)
    found = uow.campaign_members.find(campaign_id, customer_id)
    if found is None:
        raise NotFoundError("campaign member", customer_id)
    return found.excluded
