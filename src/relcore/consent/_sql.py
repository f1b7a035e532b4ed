"""The SQL repository of the consent ledger: the generic one, and its two queries."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from relcore._kernel.tokens import check_token
from relcore.consent.model import ConsentRecord, Purpose, may_contact
from relcore.customers.model import Channel
from relcore.ids import CustomerId
from relcore.storage.rules import check_id
from relcore.storage.sql.generic import SqlRepository
from relcore.storage.sql.schema import consents

__all__ = ["SqlConsents"]


class SqlConsents(SqlRepository[ConsentRecord]):
    """The consent ledger in ``relcore_consents`` (append-only)."""

    def for_customer(self, customer_id: CustomerId) -> list[ConsentRecord]:
        """Return the customer's ledger, oldest first (by ``recorded_at``, id)."""
        query = (
            sa.select(consents)
            .where(consents.c.customer_id == check_id("customer_id", customer_id))
            .order_by(consents.c.recorded_at, consents.c.id)
        )
        return self.all(query)

    def may_contact(
        self, customer_id: CustomerId, purpose: Purpose | str, channel: Channel | str, at: datetime
    ) -> bool:
        """Answer [`relcore.domain.may_contact`][] from the stored ledger."""
        wanted = check_token(Purpose, "purpose", purpose)
        check_token(Channel, "channel", channel)
        query = sa.select(consents).where(
            consents.c.customer_id == check_id("customer_id", customer_id), consents.c.purpose == str(wanted)
        )
        return may_contact(self.all(query), wanted, channel, at)
