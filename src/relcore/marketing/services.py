"""Marketing use cases: campaigns, their status, the suppression list, who was left out; against the ports."""

from __future__ import annotations

import builtins
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from uuid import UUID

import attrs

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_instance
from relcore.errors import ConflictError, NotFoundError
from relcore.ids import CampaignId, CustomerId, SegmentId
from relcore.marketing.audiences import Audience, Candidate, SendCheck
from relcore.marketing.decisions import add_campaign, change_status
from relcore.marketing.members import CampaignMember, Exclusion
from relcore.marketing.model import Campaign, CampaignStatus
from relcore.marketing.ports import MarketingWork
from relcore.marketing.suppressions import Suppression, SuppressionKind, normalise_suppressed
from relcore.marketing.variants import _draw
from relcore.segments import Catalogue, Rule, Segment, SegmentKind
from relcore.segments.services import find_segment
from relcore.storage.base import MAX_PAGE_SIZE

__all__ = [
    "add",
    "build_audience",
    "check_send",
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


_AUDIENCE_CHUNK = 1000  # members stored per add_many chunk while building an audience


def build_audience(
    uow: MarketingWork,
    campaign_id: CampaignId,
    source: Rule | Segment | SegmentId | str,
    as_of: datetime,
    catalogue: Catalogue,
) -> Audience:
    """Consider for a campaign every customer ``source`` holds at ``as_of``; store each, kept or left out.

    ``source`` is a rule, or a segment: a dynamic segment's rule runs at
    ``as_of``, a static or snapshot segment gives its stored members. Kept
    customers are assigned a variant ([assign][relcore.marketing.assign]); those
    assigned the control variant are left out as ``control_group``, the others
    become members in the campaign's default status. Customers the campaign
    already considered keep what they have.

    Raises:
        NotFoundError: No such campaign or segment.
        ValidationError: The campaign is completed or aborted (``campaign_id``).
    """
    campaign = uow.campaigns.get(campaign_id)
    if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.ABORTED):
        raise check.fail("campaign_id", f"the campaign is {campaign.status.value}: its audience is closed")
    chosen: Rule | SegmentId
    if isinstance(source, Segment | UUID | str):
        segment = find_segment(uow, source)
        dynamic = segment.kind is SegmentKind.DYNAMIC and segment.rule is not None
        chosen = segment.rule if dynamic and segment.rule is not None else segment.id
    else:
        chosen = source
    candidates = uow.campaign_audiences.candidates(campaign, chosen, as_of, catalogue=catalogue)
    considered = added = members = 0
    excluded: Counter[Exclusion] = Counter()
    for chunk in _batched(candidates, _AUDIENCE_CHUNK):
        entries = [_consider(campaign, candidate, as_of) for candidate in chunk]
        considered += len(entries)
        new = uow.campaign_members.add_many(entries)
        if new != len(entries):  # some were considered by an earlier build: count only the new ones
            entries = [e for e in entries if uow.campaign_members.find(campaign.id, e.customer_id) == e]
        added += len(entries)
        for entry in entries:
            if entry.excluded is None:
                members += 1
            else:
                excluded[entry.excluded] += 1
    return Audience(
        campaign_id=campaign.id,
        as_of=as_of,
        considered=considered,
        added=added,
        members=members,
        excluded={reason: excluded[reason] for reason in Exclusion if excluded[reason]},
        kept=considered - added,
    )


def _batched(items: Iterable[Candidate], size: int) -> Iterator[builtins.list[Candidate]]:
    chunk: builtins.list[Candidate] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _consider(campaign: Campaign, candidate: Candidate, as_of: datetime) -> CampaignMember:
    """The stored record of one candidate: a member with its variant, the control group, or left out."""
    if candidate.exclusion is not None:
        why, who = candidate.exclusion, candidate.customer_id
        return CampaignMember(campaign_id=campaign.id, customer_id=who, excluded=why, added_at=as_of)
    variant = _draw(campaign.id, candidate.customer_id, campaign.seed, campaign.variants)  # checked
    if variant.control:
        return CampaignMember(
            campaign_id=campaign.id,
            customer_id=candidate.customer_id,
            variant=variant.key,
            excluded=Exclusion.CONTROL_GROUP,
            added_at=as_of,
        )
    return CampaignMember(
        campaign_id=campaign.id,
        customer_id=candidate.customer_id,
        address=candidate.address,
        variant=variant.key,
        status=campaign.default_status.key,
        status_changed_at=as_of,
        added_at=as_of,
    )


def check_send(
    uow: MarketingWork, campaign_id: CampaignId, customer_id: CustomerId, at: datetime
) -> SendCheck:
    """Whether the campaign may message the customer at ``at``; leave out a member who may no longer be.

    Consent for the campaign's purpose on its channel and the suppression list
    are checked again at ``at``. A member who fails either is left out from then
    (``no_consent`` or ``suppressed``), unless it has already responded: then it
    keeps its record and the answer is still no. A customer left out, or a
    member in a terminal status (bounced, unsubscribed), is not sent to.

    The campaign's frequency cap is checked again too, over the marketing
    messages recorded up to ``at`` (other campaigns may have written since the
    audience was built). A member over it is told ``frequency_cap`` but stays
    a member: the cap is about timing, and the same member may be sent to once
    older messages leave the window.

    Raises:
        NotFoundError: No such campaign, or it never considered the customer.
    """
    campaign = uow.campaigns.get(campaign_id)
    member = uow.campaign_members.find(campaign_id, customer_id)
    if member is None:
        raise NotFoundError("campaign member", customer_id)
    if member.excluded is not None:
        return SendCheck(allowed=False, address=None, variant=member.variant, reason=member.excluded.value)
    status = campaign.member_status(str(member.status))
    if status is not None and status.terminal:
        return SendCheck(allowed=False, address=member.address, variant=member.variant, reason=status.key)
    reason: Exclusion | None = None
    if not uow.consents.may_contact(customer_id, campaign.purpose, campaign.channel, at):
        reason = Exclusion.NO_CONSENT
    else:
        addresses = [] if member.address is None else [member.address]
        if uow.suppressions.matches(addresses, [customer_id], at):
            reason = Exclusion.SUPPRESSED
    if reason is None:
        if _over_cap(uow, campaign, customer_id, at):
            why = Exclusion.FREQUENCY_CAP.value
            return SendCheck(allowed=False, address=member.address, variant=member.variant, reason=why)
        return SendCheck(allowed=True, address=member.address, variant=member.variant, reason=None)
    if member.first_responded_at is None:
        uow.campaign_members.save(attrs.evolve(member, excluded=reason))
    return SendCheck(allowed=False, address=member.address, variant=member.variant, reason=reason.value)


def _over_cap(uow: MarketingWork, campaign: Campaign, customer_id: CustomerId, at: datetime) -> bool:
    """Whether the customer's messages on the campaign's channel up to ``at`` reach its frequency cap."""
    cap = campaign.frequency_cap
    if cap is None:
        return False
    # The window (at - window, at] as the timeline's [since, until): timestamps have microseconds.
    tick = timedelta(microseconds=1)
    sent = uow.touchpoints.for_customer(
        customer_id,
        channels=[campaign.channel],
        since=at - cap.window + tick,
        until=at + tick,
        limit=MAX_PAGE_SIZE,
    )
    if len(sent) == MAX_PAGE_SIZE:  # a full page may hide messages: read the whole history instead
        sent = uow.touchpoints.for_owner(customer_id)
    return cap.reached(sent, channel=campaign.channel, at=at)
