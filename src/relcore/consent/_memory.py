"""The memory repository of the consent ledger: the generic one, and its two queries."""

from __future__ import annotations

from datetime import datetime

from relcore.consent.model import ConsentRecord, Purpose, may_contact
from relcore.customers.model import Channel
from relcore.ids import CustomerId
from relcore.storage.memory.generic import MemoryRepository
from relcore.storage.rules import check_id

__all__ = ["MemoryConsents"]


class MemoryConsents(MemoryRepository[ConsentRecord]):
    """The consent ledger in memory.

    Implements [`ConsentRepository`][relcore.consent.ports.ConsentRepository].
    """

    def for_customer(self, customer_id: CustomerId) -> list[ConsentRecord]:
        """Return the customer's ledger, oldest first (by ``recorded_at``, then id)."""
        records = self.for_owner(check_id("customer_id", customer_id))
        records.sort(key=lambda r: (r.recorded_at, r.id))
        return records

    def may_contact(
        self, customer_id: CustomerId, purpose: Purpose | str, channel: Channel | str, at: datetime
    ) -> bool:
        """Answer [`relcore.domain.may_contact`][] from the stored ledger."""
        return may_contact(self.for_customer(customer_id), purpose, channel, at)
