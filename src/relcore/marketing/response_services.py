"""Campaign response use cases: record a response, apply imported ones, compute results; against the ports."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_instance
from relcore.activity import services as activity
from relcore.activity.model import Touchpoint
from relcore.consent import services as consent
from relcore.consent.model import ConsentRecord, ConsentStatus, current_consent
from relcore.ids import CampaignId, CustomerId
from relcore.marketing.members import CampaignMember
from relcore.marketing.model import Campaign
from relcore.marketing.ports import MarketingWork
from relcore.marketing.responses import (
    AppliedResponses,
    CampaignMemberUnsubscribed,
    RecordedResponse,
    ResponseMapping,
    TallyQuery,
    respond,
)
from relcore.marketing.results import CampaignResults, Metric, WinnerSent, rest_winner, summarise
from relcore.marketing.variants import split_test

__all__ = ["UNSUBSCRIBE_SOURCE", "apply_responses", "record_response", "results", "send_winner"]

_PAGE = 1000
"""Customers per page when applying a campaign's touchpoints."""

log = logging.getLogger(__name__)

UNSUBSCRIBE_SOURCE = "campaign_unsubscribe"
"""The ``source`` of the consent withdrawals a campaign unsubscribe appends."""


def _campaign(uow: MarketingWork, campaign_id: CampaignId, mapping: ResponseMapping) -> Campaign:
    check_instance("mapping", mapping, ResponseMapping)
    campaign = uow.campaigns.get(campaign_id)
    mapping.check_for(campaign)
    return campaign


def _move(
    uow: MarketingWork, campaign: Campaign, member: CampaignMember, steps: Iterable[tuple[str, datetime]]
) -> tuple[CampaignMember, bool, bool]:
    """The member after the steps (stored if it changed), whether it moved, whether it first responded."""
    after, responded = member, False
    for status, at in steps:
        after, events = respond(campaign, after, status, at)
        for event in events:
            uow.record(event)
            responded = True
    if after is member:
        return member, False, False
    return uow.campaign_members.save(after), True, responded


def _withdraw(uow: MarketingWork, campaign: Campaign, customer_id: CustomerId, at: datetime) -> bool:
    """Withdraw consent to the campaign's purpose on its channel at ``at``, unless the ledger already says no.

    Skipped when the record deciding consent at ``at`` is a withdrawal or a
    denial, so an unsubscribe is appended once however often it is reported.
    """
    records = uow.consents.for_customer(customer_id)
    deciding = current_consent(records, campaign.purpose, campaign.channel, at)
    if deciding is not None and deciding.status in (ConsentStatus.WITHDRAWN, ConsentStatus.DENIED):
        return False
    record = ConsentRecord(
        customer_id=customer_id,
        purpose=campaign.purpose,
        channel=campaign.channel,
        status=ConsentStatus.WITHDRAWN,
        recorded_at=at,
        source=UNSUBSCRIBE_SOURCE,
    )
    consent.record_consent(uow, record)
    uow.record(CampaignMemberUnsubscribed(campaign.id, customer_id, campaign.purpose, campaign.channel))
    log.info("campaign %s: an unsubscribe withdrew a customer's consent", campaign.id)
    return True


def record_response(uow: MarketingWork, touchpoint: Touchpoint, mapping: ResponseMapping) -> RecordedResponse:
    """Record a campaign touchpoint and move its customer's member, in the caller's unit of work.

    The touchpoint is recorded as ``crm.activity.record_touchpoint`` does;
    if its ``(source, external_id)`` was already stored nothing else happens.
    Otherwise the member status it stands for (``mapping``) moves the
    customer's member ([respond][relcore.marketing.respond]), and a touchpoint
    of ``mapping.withdraws`` appends a consent withdrawal (see the namespace).

    Raises:
        ValidationError: ``touchpoint.campaign_id`` is missing, or ``mapping`` names a
            status the campaign does not list (``mapping.rules[2].status``).
        NotFoundError: The campaign or the touchpoint's customer is not stored.
    """
    check_instance("touchpoint", touchpoint, Touchpoint)
    if touchpoint.campaign_id is None:
        raise check.fail("touchpoint.campaign_id", "a campaign response names its campaign")
    campaign = _campaign(uow, touchpoint.campaign_id, mapping)
    member = uow.campaign_members.find(campaign.id, touchpoint.customer_id)
    if not activity.record_touchpoint(uow, touchpoint):
        return RecordedResponse(new=False, status=None, member=member, moved=False, withdrawn=False)
    status = mapping.status_of(touchpoint)
    moved = False
    if member is not None and status is not None:
        member, moved, _ = _move(uow, campaign, member, [(status, touchpoint.occurred_at)])
    withdrawn = (
        status is not None
        and status == mapping.withdraws
        and _withdraw(uow, campaign, touchpoint.customer_id, touchpoint.occurred_at)
    )
    return RecordedResponse(new=True, status=status, member=member, moved=moved, withdrawn=withdrawn)


def apply_responses(
    uow: MarketingWork, campaign_id: CampaignId, mapping: ResponseMapping
) -> AppliedResponses:
    """Move every member of a campaign by the campaign's stored touchpoints, oldest first.

    For touchpoints that arrived in bulk (``crm.activity.import_touchpoints``).
    The touchpoints are read a page of customers at a time, so memory stays
    flat whatever the campaign's size. Each member's touchpoints are applied
    in ``(occurred_at, id)`` order from its stored status, as
    [respond][relcore.marketing.respond] decides, and a customer with a
    touchpoint of ``mapping.withdraws`` gets its consent withdrawn at the
    first such touchpoint's time. Running it again changes nothing: the
    statuses only move forward and a withdrawal is appended once.

    Raises:
        NotFoundError: No such campaign.
        ValidationError: ``mapping`` names a status the campaign does not list.
    """
    campaign = _campaign(uow, campaign_id, mapping)
    matched = moved = responded = withdrawn = 0
    after: CustomerId | None = None
    while page := uow.campaign_tallies.touchpoints_by_customer(campaign.id, after=after, limit=_PAGE):
        after = page[-1][0]
        steps: dict[CustomerId, list[tuple[str, datetime]]] = {}
        for customer_id, touches in page:
            mine = [(status, t.occurred_at) for t in touches if (status := mapping.status_of(t)) is not None]
            if mine:
                matched += len(mine)
                steps[customer_id] = mine
        considered = uow.campaign_members.of_customers(campaign.id, list(steps))
        for customer_id, mine in steps.items():
            member = considered.get(customer_id)
            if member is not None:
                _, changed, first = _move(uow, campaign, member, mine)
                moved += changed
                responded += first
            unsubscribed = next((at for status, at in mine if status == mapping.withdraws), None)
            if unsubscribed is not None:
                withdrawn += _withdraw(uow, campaign, customer_id, unsubscribed)
    return AppliedResponses(touchpoints=matched, moved=moved, responded=responded, withdrawn=withdrawn)


def results(
    uow: MarketingWork,
    campaign_id: CampaignId,
    mapping: ResponseMapping,
    *,
    as_of: datetime,
    metric: Metric,
    confidence: float,
) -> CampaignResults:
    """A campaign's results as of ``as_of``, counted by the store ([summarise][relcore.marketing.summarise]).

    Raises:
        NotFoundError: No such campaign.
        ValidationError: ``mapping`` names a status the campaign does not list.
    """
    campaign = _campaign(uow, campaign_id, mapping)
    query = TallyQuery.of(campaign, mapping, as_of)
    rows = uow.campaign_tallies.tally(query)
    return summarise(campaign, query, rows, metric=metric, confidence=confidence)


def send_winner(
    uow: MarketingWork,
    campaign_id: CampaignId,
    mapping: ResponseMapping,
    *,
    test_share: Decimal,
    as_of: datetime,
    metric: Metric,
    max_p_value: float | None,
) -> WinnerSent:
    """Give the winner of an A/B test to the members of the rest group who were sent nothing yet.

    The test group is [split_test][relcore.marketing.split_test] of the
    campaign's members (not the control group) with ``test_share`` and the
    campaign's seed; the winner comes from the results as of ``as_of``
    ([rest_winner][relcore.marketing.results.rest_winner]). Members of the
    rest still in the campaign's default status get the winner as their
    variant; the host then sends it to them. Without a winner nothing changes.

    Raises:
        NotFoundError: No such campaign.
        ValidationError: ``mapping`` names a status the campaign does not list.
    """
    found = results(uow, campaign_id, mapping, as_of=as_of, metric=metric, confidence=0.95)
    campaign = uow.campaigns.get(campaign_id)
    winner = rest_winner(found, max_p_value)
    p_value = None if found.test is None else found.test.p_value
    members = [m.customer_id for m in _members(uow, campaign.id)]  # the ids only, read a page at a time
    split = split_test(campaign.id, members, test_share, campaign.seed)
    if winner is None:
        return WinnerSent(winner=None, p_value=p_value, test=len(split.test), reassigned=0)
    waiting = campaign.default_status.key
    changed = uow.campaign_members.reassign(campaign.id, split.rest, winner, status=waiting)
    return WinnerSent(winner=winner, p_value=p_value, test=len(split.test), reassigned=changed)


def _members(uow: MarketingWork, campaign_id: CampaignId) -> Iterator[CampaignMember]:
    """The campaign's members (not the customers it left out), read a page at a time."""
    after = None
    while True:
        page = uow.campaign_members.for_campaign(campaign_id, excluded=False, after=after, limit=_PAGE)
        yield from page.items
        if page.next_after is None:
            return
        after = page.next_after
