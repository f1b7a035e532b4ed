"""The SQL repositories of the partners context: the generic ones, and their special queries."""

from __future__ import annotations

import builtins
from datetime import date

import sqlalchemy as sa

from relcore.ids import CustomerId, OpportunityId
from relcore.partners.model import OpportunityPartner, PartnerProfile
from relcore.sales.model import check_date
from relcore.storage.rules import check_id
from relcore.storage.sql.generic import SqlRepository
from relcore.storage.sql.schema import opportunity_partners, partner_profiles

__all__ = ["SqlOpportunityPartners", "SqlPartnerProfiles"]


class SqlPartnerProfiles(SqlRepository[PartnerProfile]):
    """Partner profiles in ``relcore_partner_profiles``."""

    def active_on(self, day: date) -> builtins.list[PartnerProfile]:
        """The profiles active on ``day``, by partner id."""
        wanted = check_date("day", day)
        if wanted is None:
            return []
        table = partner_profiles
        query = (
            sa.select(table)
            .where(
                table.c.active_from <= wanted,
                sa.or_(table.c.active_to.is_(None), table.c.active_to >= wanted),
            )
            .order_by(table.c.customer_id)
        )
        return self.all(query)


class SqlOpportunityPartners(SqlRepository[OpportunityPartner]):
    """The partners on deals in ``relcore_opportunity_partners``."""

    def for_opportunity(self, opportunity_id: OpportunityId) -> builtins.list[OpportunityPartner]:
        """The partners on one deal, by partner id."""
        wanted = check_id("opportunity_id", opportunity_id)
        table = opportunity_partners
        return self.all(sa.select(table).where(table.c.opportunity_id == wanted).order_by(table.c.partner_id))

    def for_partner(self, partner_id: CustomerId) -> builtins.list[OpportunityPartner]:
        """The links of one partner to deals, in id order."""
        wanted = check_id("partner_id", partner_id)
        table = opportunity_partners
        return self.all(sa.select(table).where(table.c.partner_id == wanted).order_by(table.c.id))

    def registrations(self, customer_id: CustomerId) -> builtins.list[OpportunityPartner]:
        """The registrations of every deal of one customer, in id order."""
        wanted = check_id("customer_id", customer_id)
        table = opportunity_partners
        query = (
            sa.select(table)
            .where(table.c.customer_id == wanted, table.c.registered_at.is_not(None))
            .order_by(table.c.id)
        )
        return self.all(query)
