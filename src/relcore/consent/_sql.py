"""The SQL repository of the consent ledger."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from relcore._kernel.tokens import check_token
from relcore.consent import _rows as rows
from relcore.consent.model import ConsentRecord, Purpose, may_contact
from relcore.customers._sql import require_customer
from relcore.customers.model import Channel
from relcore.errors import ConflictError, ValidationError
from relcore.ids import CustomerId
from relcore.storage.rules import check_id
from relcore.storage.sql.schema import consents

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlConsents"]


class SqlConsents:
    """The consent ledger in ``relcore_consents`` (append-only)."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def add(self, record: ConsentRecord) -> None:
        """Append a record; its customer must exist."""
        if not isinstance(record, ConsentRecord):
            raise ValidationError.single("record", f"expected a ConsentRecord, got {type(record).__name__}")
        require_customer(self._uow, record.customer_id)
        exists = sa.select(consents.c.id).where(consents.c.id == record.id)
        if self._uow.execute(exists, what="check consent id").first() is not None:
            raise ConflictError(f"consent record {record.id} already exists")
        self._uow.execute(consents.insert(), [rows.consent_row(record)], what="add consent")

    def for_customer(self, customer_id: CustomerId) -> list[ConsentRecord]:
        """Return the customer's ledger, oldest first (by ``recorded_at``, id)."""
        query = (
            sa.select(consents)
            .where(consents.c.customer_id == check_id("customer_id", customer_id))
            .order_by(consents.c.recorded_at, consents.c.id)
        )
        return [rows.consent_from_row(r) for r in self._uow.execute(query, what="load consents").mappings()]

    def may_contact(
        self, customer_id: CustomerId, purpose: Purpose | str, channel: Channel | str, at: datetime
    ) -> bool:
        """Answer [`relcore.domain.may_contact`][] from the stored ledger."""
        wanted = check_token(Purpose, "purpose", purpose)
        check_token(Channel, "channel", channel)
        query = sa.select(consents).where(
            consents.c.customer_id == check_id("customer_id", customer_id), consents.c.purpose == str(wanted)
        )
        ledger = [rows.consent_from_row(r) for r in self._uow.execute(query, what="load consents").mappings()]
        return may_contact(ledger, wanted, channel, at)
