"""Partner use cases: profiles, partners on deals, registrations, assignment; against the ports only.

The deal is the consistency boundary of its partners: every operation that
changes which partner is primary, or registers a deal, also saves the deal
(version-checked, which increases its version). Two units of work changing
one deal's partners at once therefore conflict on the deal, on every
backend: one commits, the other raises
[ConflictError][relcore.errors.ConflictError] and stores nothing.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

import attrs

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_instance
from relcore.customers.model import RelationshipKind
from relcore.errors import ConflictError, NotFoundError
from relcore.ids import CustomerId, OpportunityId, PipelineId
from relcore.partners.decisions import check_registration, choose_partner, eligible_partners, with_primary
from relcore.partners.model import (
    DealRegistered,
    OpportunityPartner,
    PartnerAdded,
    PartnerProfile,
    PartnerRole,
    PrimaryPartnerChanged,
    RegistrationDecided,
    RegistrationStatus,
)
from relcore.partners.ports import PartnersWork
from relcore.partners.reports import deal_as_of
from relcore.sales import Opportunity, Pipeline

__all__ = [
    "PARTNER_ROLES",
    "add_partner",
    "add_profile",
    "assign_partner",
    "deals_as_of",
    "decide_registration",
    "save_profile",
    "set_primary",
]

PARTNER_ROLES = frozenset({RelationshipKind.PARTNER, RelationshipKind.RESELLER})
"""The relationship roles that make a customer a partner."""


def add_profile(uow: PartnersWork, profile: PartnerProfile) -> PartnerProfile:
    """Store a new partner profile.

    Raises:
        NotFoundError: The customer does not exist.
        ValidationError: The customer's roles include neither partner nor reseller (``customer_id``).
        ConflictError: The customer has a profile already, or the id is stored.
    """
    check_instance("profile", profile, PartnerProfile)
    partner = uow.customers.get(profile.customer_id)
    if not PARTNER_ROLES & partner.roles:
        raise check.fail("customer_id", "the customer's roles include neither partner nor reseller")
    if not uow.partner_profiles.add(profile):
        raise ConflictError("the customer has a partner profile already")
    return profile


def save_profile(uow: PartnersWork, profile: PartnerProfile) -> PartnerProfile:
    """Store a changed profile (version-checked); return the stored one.

    Raises:
        NotFoundError: It was never added.
        ConflictError: Stale version.
    """
    check_instance("profile", profile, PartnerProfile)
    return uow.partner_profiles.save(profile)


def _deal(uow: PartnersWork, opportunity_id: OpportunityId, version: int | None) -> Opportunity:
    deal = uow.opportunities.get(opportunity_id)
    if version is not None and deal.version != version:
        raise ConflictError(f"opportunity {deal.id} was changed by someone else")
    return deal


def _primary(links: Iterable[OpportunityPartner]) -> CustomerId | None:
    return next((link.partner_id for link in links if link.primary), None)


def _make_primary(
    uow: PartnersWork, deal: Opportunity, links: list[OpportunityPartner], partner_id: CustomerId | None
) -> None:
    """Save the links whose primary flag changes, and the deal (the boundary); record the event."""
    previous = _primary(links)
    for link in with_primary(links, partner_id):
        uow.opportunity_partners.save(link)
    uow.opportunities.save(deal)
    if previous != partner_id:
        uow.record(PrimaryPartnerChanged(deal.id, deal.customer_id, partner_id, previous))


def add_partner(
    uow: PartnersWork,
    opportunity_id: OpportunityId,
    partner_id: CustomerId,
    role: PartnerRole,
    *,
    at: datetime,
    primary: bool = False,
    sourced: bool = False,
    commission_rate: Decimal | None = None,
    registered_at: datetime | None = None,
    window: timedelta,
    version: int | None = None,
) -> OpportunityPartner:
    """Put a partner on a deal; with ``primary`` it replaces the deal's primary partner.

    With ``registered_at`` the link is a deal registration, ``proposed``;
    another partner's registration of any deal of the same customer, still
    proposed or accepted and made less than ``window`` apart, refuses it.

    Raises:
        NotFoundError: The deal or the partner does not exist.
        ValidationError: The partner has no partner profile (``partner_id``), or is the deal's customer.
        ConflictError: The partner is on the deal already, another partner holds a registration
            of the customer's deals in the window, or the deal changed meanwhile.
    """
    deal = _deal(uow, opportunity_id, version)
    uow.customers.get(partner_id)
    if uow.partner_profiles.find(partner_id) is None:
        raise check.fail("partner_id", "the customer has no partner profile")
    link = OpportunityPartner(
        opportunity_id=deal.id,
        customer_id=deal.customer_id,
        partner_id=partner_id,
        role=role,
        sourced=sourced,
        commission_rate=commission_rate,
        registered_at=registered_at,
        status=None if registered_at is None else RegistrationStatus.PROPOSED,
        created_at=at,
    )
    links = uow.opportunity_partners.for_opportunity(deal.id)
    if any(other.partner_id == partner_id for other in links):
        raise ConflictError("the partner is on this deal already")
    check_registration(link, uow.opportunity_partners.registrations(deal.customer_id), window)
    uow.opportunity_partners.add(link)
    uow.record(PartnerAdded(deal.id, deal.customer_id, partner_id, link.role))
    if registered_at is not None:
        uow.record(DealRegistered(deal.id, deal.customer_id, partner_id, registered_at))
    if primary:
        _make_primary(uow, deal, [*links, link], partner_id)
        return uow.opportunity_partners.get(link.id)
    if registered_at is not None:
        uow.opportunities.save(deal)
    return link


def set_primary(
    uow: PartnersWork, opportunity_id: OpportunityId, partner_id: CustomerId | None, version: int | None
) -> builtins.list[OpportunityPartner]:
    """Make ``partner_id`` the deal's primary partner (``None``: none); return the deal's partners.

    Raises:
        NotFoundError: No such deal.
        ValidationError: The partner is not on the deal, or its registration was declined.
        ConflictError: ``version`` is given and the deal's differs, or another writer changed it meanwhile.
    """
    deal = _deal(uow, opportunity_id, version)
    _make_primary(uow, deal, uow.opportunity_partners.for_opportunity(deal.id), partner_id)
    return uow.opportunity_partners.for_opportunity(deal.id)


def decide_registration(
    uow: PartnersWork,
    opportunity_id: OpportunityId,
    partner_id: CustomerId,
    status: RegistrationStatus,
    *,
    at: datetime,
    version: int | None = None,
) -> OpportunityPartner:
    """Accept or decline a partner's registration of a deal; a declined partner stops being primary.

    Raises:
        NotFoundError: No such deal, or the partner is not on it.
        ValidationError: ``status`` is ``proposed``, the link is not a registration, it was decided
            already, or ``at`` is before it was registered.
        ConflictError: ``version`` is given and the deal's differs, or another writer changed it meanwhile.
    """
    if status is RegistrationStatus.PROPOSED:
        raise check.fail("status", "a decision accepts or declines")
    deal = _deal(uow, opportunity_id, version)
    link = uow.opportunity_partners.find(deal.id, partner_id)
    if link is None:
        raise NotFoundError("opportunity_partner", partner_id)
    if link.status is not RegistrationStatus.PROPOSED:
        raise check.fail("status", "only a proposed registration is decided")
    assert link.registered_at is not None
    if at < link.registered_at:
        raise check.fail("at", "earlier than the registration")
    decided = attrs.evolve(
        link, status=status, decided_at=at, primary=link.primary and status is not RegistrationStatus.DECLINED
    )
    saved = uow.opportunity_partners.save(decided)
    uow.opportunities.save(deal)
    uow.record(RegistrationDecided(deal.id, deal.customer_id, partner_id, status))
    if link.primary and not saved.primary:
        uow.record(PrimaryPartnerChanged(deal.id, deal.customer_id, None, partner_id))
    return saved


def assign_partner(
    uow: PartnersWork,
    opportunity_id: OpportunityId,
    *,
    seed: int,
    on: date,
    role: PartnerRole,
    at: datetime,
    window: timedelta,
) -> OpportunityPartner | None:
    """Put a partner chosen at random, weighted, on the deal; ``None`` if no partner is eligible.

    Eligible ([eligible_partners][relcore.partners.decisions.eligible_partners]):
    active on ``on``, weight above zero, the deal's customer's country among
    its territories, and not on the deal already (a declined one included).
    """
    deal = uow.opportunities.get(opportunity_id)
    country = uow.customers.get(deal.customer_id).country
    on_deal = [link.partner_id for link in uow.opportunity_partners.for_opportunity(deal.id)]
    candidates = eligible_partners(uow.partner_profiles.active_on(on), country, on, on_deal)
    chosen = choose_partner(candidates, seed)
    if chosen is None:
        return None
    return add_partner(uow, deal.id, chosen.customer_id, role, at=at, window=window)


def deals_as_of(
    uow: PartnersWork, links: Iterable[OpportunityPartner], as_of: datetime
) -> dict[OpportunityId, tuple[Opportunity, Pipeline]]:
    """The deals of ``links`` as they stood at ``as_of`` (rebuilt from history), with their pipelines."""
    pipelines: dict[PipelineId, Pipeline] = {}
    found: dict[OpportunityId, tuple[Opportunity, Pipeline]] = {}
    for deal_id in sorted({link.opportunity_id for link in links}):
        deal = deal_as_of(
            uow.opportunities.get(deal_id), uow.opportunity_changes.for_opportunity(deal_id), as_of
        )
        if deal is None:
            continue
        if deal.pipeline_id not in pipelines:
            pipelines[deal.pipeline_id] = uow.pipelines.get(deal.pipeline_id)
        found[deal_id] = (deal, pipelines[deal.pipeline_id])
    return found
