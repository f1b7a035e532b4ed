"""Memory repository for the consent ledger."""

from __future__ import annotations

from datetime import datetime

from relcore.consent.model import ConsentRecord, Purpose, may_contact
from relcore.customers.model import Channel
from relcore.errors import ConflictError
from relcore.ids import CustomerId
from relcore.storage.memory.session import Session
from relcore.storage.rules import check_id

__all__ = ["MemoryConsentRepository"]


class MemoryConsentRepository:
    """The consent ledger in memory, implementing `ConsentRepository`.

    Args:
        session: The unit of work's shared state.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, record: ConsentRecord) -> None:
        """Append a record; its customer must exist and its id be unused."""
        self._session.check_write()
        tables, log = self._session.tables, self._session.log
        if record.id in tables.consents:
            raise ConflictError(f"a consent record with id {record.id} is already stored")
        self._session.require_customer(record.customer_id)
        log.put(tables.consents, record.id, record)
        log.append_to_index(tables.consents_by_customer, record.customer_id, record.id)

    def for_customer(self, customer_id: CustomerId) -> list[ConsentRecord]:
        """Return the customer's ledger, oldest first (by ``recorded_at``, then id)."""
        self._session.check()
        tables = self._session.tables
        check_id("customer_id", customer_id)
        records = [tables.consents[i] for i in tables.consents_by_customer.get(customer_id, ())]
        records.sort(key=lambda r: (r.recorded_at, r.id))
        return records

    def may_contact(
        self, customer_id: CustomerId, purpose: Purpose | str, channel: Channel | str, at: datetime
    ) -> bool:
        """Answer [`relcore.domain.may_contact`][] from the stored ledger."""
        return may_contact(self.for_customer(customer_id), purpose, channel, at)
