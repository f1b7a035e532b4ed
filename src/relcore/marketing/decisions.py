"""The campaign operations as pure decisions: the campaign before, the request, the campaign after.

Each function checks the request against the campaign and returns the
changed campaign with the events to publish; nothing is stored here. The
changed campaign keeps the version it had before (the store checks it and
increases it); the events carry the version it will have once saved.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent
from relcore.marketing.model import Campaign, CampaignAdded, CampaignStatus, CampaignStatusChanged

__all__ = ["CAMPAIGN_MOVES", "add_campaign", "change_status"]

_S = CampaignStatus

CAMPAIGN_MOVES: Mapping[CampaignStatus, frozenset[CampaignStatus]] = {
    _S.PLANNED: frozenset({_S.ACTIVE, _S.ABORTED}),
    _S.ACTIVE: frozenset({_S.PAUSED, _S.COMPLETED, _S.ABORTED}),
    _S.PAUSED: frozenset({_S.ACTIVE, _S.COMPLETED, _S.ABORTED}),
    _S.COMPLETED: frozenset(),
    _S.ABORTED: frozenset(),
}
"""The statuses a campaign may move to from each status: planned campaigns start or are
aborted, running ones pause, complete or abort, paused ones resume, complete or abort;
completed and aborted campaigns stay so."""


def add_campaign(campaign: Campaign) -> tuple[Campaign, list[DomainEvent]]:
    """The decision to add ``campaign``: the campaign as given, and its ``CampaignAdded`` event.

    Raises:
        ValidationError: Naming ``campaign`` if it is not a [Campaign][relcore.marketing.Campaign].
    """
    if not isinstance(campaign, Campaign):
        raise check.fail("campaign", f"expected a Campaign, got {check.kind(campaign)}")
    return campaign, [CampaignAdded(campaign.id, campaign.channel, campaign.purpose, campaign.status)]


def change_status(campaign: Campaign, status: CampaignStatus | str) -> tuple[Campaign, list[DomainEvent]]:
    """The decision to move ``campaign`` to ``status``.

    The move must be one of [CAMPAIGN_MOVES][relcore.marketing.decisions.CAMPAIGN_MOVES];
    moving to the status it is in changes nothing and announces nothing.

    Returns:
        The campaign in its new status, and its ``CampaignStatusChanged`` event.

    Raises:
        ValidationError: Naming ``status`` if it is unknown or the move is not allowed,
            ``campaign`` if it is not a [Campaign][relcore.marketing.Campaign].

    Example:
        >>> from relcore.marketing import Campaign, change_status
        >>> spring = Campaign(name="Spring sale", channel="email")
        >>> running, events = change_status(spring, "active")
        >>> running.status.value, type(events[0]).__name__, events[0].version
        ('active', 'CampaignStatusChanged', 2)
    """
    if not isinstance(campaign, Campaign):
        raise check.fail("campaign", f"expected a Campaign, got {check.kind(campaign)}")
    target = check.check_enum(CampaignStatus, "status", status)
    if target is campaign.status:
        return campaign, []
    if target not in CAMPAIGN_MOVES[campaign.status]:
        raise check.fail("status", f"a {campaign.status.value} campaign cannot become {target.value}")
    after = attrs.evolve(campaign, status=target)
    return after, [CampaignStatusChanged(campaign.id, campaign.status, target, campaign.version + 1)]
