"""Memory repository for the consent ledger."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from relcore.consent.model import ConsentRecord, Purpose, may_contact
from relcore.customers.model import Channel
from relcore.errors import ConflictError
from relcore.ids import CustomerId
from relcore.storage.memory.session import Session
from relcore.storage.rules import check_id

__all__ = ["ConsentTable", "MemoryConsentRepository"]


class ConsentTable:
    """The consent ledger of a memory store.

    Attributes:
        rows: Record by id.
        by_customer: Ids of each customer's records, in the order they were added.
    """

    __slots__ = ("by_customer", "rows")

    def __init__(self) -> None:
        self.rows: dict[UUID, ConsentRecord] = {}
        self.by_customer: dict[CustomerId, list[UUID]] = {}

    def owned(self, owner_id: UUID) -> list[ConsentRecord]:
        """The customer's records, in the order they were added."""
        return [self.rows[i] for i in self.by_customer.get(CustomerId(owner_id), ())]


class MemoryConsentRepository:
    """The consent ledger in memory, implementing `ConsentRepository`.

    Args:
        session: The unit of work's shared state.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def _table(self) -> ConsentTable:
        return self._session.tables.table("consents", ConsentTable)

    def add(self, record: ConsentRecord) -> None:
        """Append a record; its customer must exist and its id be unused."""
        self._session.check_write()
        table, log = self._table(), self._session.log
        if record.id in table.rows:
            raise ConflictError(f"a consent record with id {record.id} is already stored")
        self._session.require_customer(record.customer_id)
        log.put(table.rows, record.id, record)
        log.append_to_index(table.by_customer, record.customer_id, record.id)

    def for_customer(self, customer_id: CustomerId) -> list[ConsentRecord]:
        """Return the customer's ledger, oldest first (by ``recorded_at``, then id)."""
        self._session.check()
        check_id("customer_id", customer_id)
        records = self._table().owned(customer_id)
        records.sort(key=lambda r: (r.recorded_at, r.id))
        return records

    def may_contact(
        self, customer_id: CustomerId, purpose: Purpose | str, channel: Channel | str, at: datetime
    ) -> bool:
        """Answer [`relcore.domain.may_contact`][] from the stored ledger."""
        return may_contact(self.for_customer(customer_id), purpose, channel, at)
