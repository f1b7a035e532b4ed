"""Consent use cases: append to the ledger, ask it; against the ports only."""

from __future__ import annotations

from datetime import datetime

from relcore._kernel.arguments import check_instance
from relcore.consent.model import ConsentChanged, ConsentRecord, Purpose
from relcore.consent.ports import ConsentWork
from relcore.customers.model import (
    Channel,
)

__all__ = ["may_contact", "record_consent"]


def record_consent(uow: ConsentWork, record: ConsentRecord) -> None:
    """Append a consent record to the customer's ledger."""
    check_instance("record", record, ConsentRecord)
    uow.consents.add(record)
    uow.record(ConsentChanged(record.customer_id, record.purpose, record.channel, record.status))


def may_contact(
    uow: ConsentWork, customer_id: object, purpose: Purpose | str, channel: Channel | str, at: datetime
) -> bool:
    """Answer whether the ledger allows contact for ``purpose`` on ``channel`` at ``at``."""
    return uow.consents.may_contact(customer_id, purpose, channel, at)  # type: ignore[arg-type]
