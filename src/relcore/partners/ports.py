"""The ports of the partners context: partner profiles and the partners on deals."""

from __future__ import annotations

import builtins
from datetime import date
from typing import Protocol

from relcore._kernel.declarations import Aggregate, Context
from relcore.ids import CustomerId, OpportunityId
from relcore.partners.model import (
    DealRegistered,
    OpportunityPartner,
    PartnerAdded,
    PartnerProfile,
    PrimaryPartnerChanged,
    RegistrationDecided,
)
from relcore.sales.ports import SalesWork
from relcore.storage.base import AggregateRepository

__all__ = [
    "CONTEXT",
    "OPPORTUNITY_PARTNERS",
    "PARTNER_PROFILES",
    "OpportunityPartnerRepository",
    "PartnerProfileRepository",
    "PartnersWork",
]


class PartnerProfileRepository(AggregateRepository[PartnerProfile], Protocol):
    """Partner profiles: the generic operations (``find(customer_id)``, one per customer), and one query.

    ``add`` of a profile for a customer that has one changes nothing and returns ``False``.
    """

    def active_on(self, day: date) -> builtins.list[PartnerProfile]:
        """The profiles active on ``day`` (``active_from`` to ``active_to``, both included), by partner id."""
        ...


class OpportunityPartnerRepository(AggregateRepository[OpportunityPartner], Protocol):
    """The partners on deals: the generic operations (``find(opportunity_id, partner_id)``), three queries."""

    def for_opportunity(self, opportunity_id: OpportunityId) -> builtins.list[OpportunityPartner]:
        """The partners on one deal, by partner id."""
        ...

    def for_partner(self, partner_id: CustomerId) -> builtins.list[OpportunityPartner]:
        """The links of one partner to deals, in id order."""
        ...

    def registrations(self, customer_id: CustomerId) -> builtins.list[OpportunityPartner]:
        """The registrations (links with ``registered_at`` set) of every deal of one customer, in id order."""
        ...


class PartnersWork(SalesWork, Protocol):
    """The ports the partners use cases need."""

    @property
    def partner_profiles(self) -> PartnerProfileRepository:
        """The partner profiles."""
        ...

    @property
    def opportunity_partners(self) -> OpportunityPartnerRepository:
        """The partners on deals."""
        ...


PARTNER_PROFILES = Aggregate(
    "partner_profiles",
    PartnerProfileRepository,
    memory="relcore.partners._memory:MemoryPartnerProfiles",
    sql="relcore.partners._sql:SqlPartnerProfiles",
    entity=PartnerProfile,
    unique=(("customer_id",),),
    versioned=True,
    table="relcore.storage.sql.schema:partner_profiles",
)
"""Partner profiles, owned by their partner (one each), version-checked."""

OPPORTUNITY_PARTNERS = Aggregate(
    "opportunity_partners",
    OpportunityPartnerRepository,
    memory="relcore.partners._memory:MemoryOpportunityPartners",
    sql="relcore.partners._sql:SqlOpportunityPartners",
    entity=OpportunityPartner,
    references=(("opportunity_id", "opportunities"), ("partner_id", "customers")),
    unique=(("opportunity_id", "partner_id"),),
    versioned=True,
    table="relcore.storage.sql.schema:opportunity_partners",
)
"""The partners on deals, owned by the deal's customer, one per deal and partner, version-checked."""

CONTEXT = Context(
    "partners",
    ports=(PARTNER_PROFILES, OPPORTUNITY_PARTNERS),
    events=(PartnerAdded, PrimaryPartnerChanged, DealRegistered, RegistrationDecided),
    contracts=("relcore.partners._testing:PartnersContract",),
    snapshot="relcore.partners._testing:stored_state",
    examples=(("opportunity_partners", "relcore.partners._testing:new_link"),),
)
"""The partners context, as the registry sees it.

Partner profiles are not held to the generic aggregate contract: their
unique key is their owner, so one owner cannot have the several profiles
that contract adds; ``PartnersContract`` checks their generic operations.
"""
