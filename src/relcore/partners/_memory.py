"""The memory repositories of the partners context: the generic ones, and their special queries."""

from __future__ import annotations

import builtins
from datetime import date
from uuid import UUID

from relcore.ids import CustomerId, OpportunityId
from relcore.partners.model import OpportunityPartner, PartnerProfile
from relcore.sales.model import check_date
from relcore.storage.memory.generic import MemoryRepository
from relcore.storage.rules import check_id

__all__ = ["MemoryOpportunityPartners", "MemoryPartnerProfiles"]


class MemoryPartnerProfiles(MemoryRepository[PartnerProfile]):
    """Partner profiles in memory.

    Implements [PartnerProfileRepository][relcore.partners.ports.PartnerProfileRepository].
    """

    def active_on(self, day: date) -> builtins.list[PartnerProfile]:
        """The profiles active on ``day``, by partner id."""
        self._session.check()
        wanted = check_date("day", day)
        if wanted is None:
            return []
        found = [p for p in self._table().rows.values() if p.active_on(wanted)]
        return sorted(found, key=lambda p: p.customer_id)


class MemoryOpportunityPartners(MemoryRepository[OpportunityPartner]):
    """The partners on deals in memory.

    Implements [OpportunityPartnerRepository][relcore.partners.ports.OpportunityPartnerRepository].
    """

    def for_opportunity(self, opportunity_id: OpportunityId) -> builtins.list[OpportunityPartner]:
        """The partners on one deal, by partner id."""
        self._session.check()
        wanted = check_id("opportunity_id", opportunity_id)
        found = [link for link in self._table().rows.values() if link.opportunity_id == wanted]
        return sorted(found, key=lambda link: link.partner_id)

    def for_partner(self, partner_id: CustomerId) -> builtins.list[OpportunityPartner]:
        """The links of one partner to deals, in id order."""
        self._session.check()
        wanted = check_id("partner_id", partner_id)
        return sorted((link for link in self._table().rows.values() if link.partner_id == wanted), key=_id)

    def registrations(self, customer_id: CustomerId) -> builtins.list[OpportunityPartner]:
        """The registrations of every deal of one customer, in id order."""
        return [link for link in self.for_owner(customer_id) if link.registered_at is not None]


def _id(link: OpportunityPartner) -> UUID:
    return link.id
