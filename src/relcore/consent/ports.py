"""The port of the consent context: the ledger repository."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from relcore._kernel.declarations import Aggregate, Context
from relcore.consent.model import ConsentChanged, ConsentRecord, Purpose
from relcore.customers.model import Channel
from relcore.ids import CustomerId
from relcore.storage.base import AggregateRepository, Work

__all__ = ["ConsentRepository", "ConsentWork"]


class ConsentRepository(AggregateRepository[ConsentRecord], Protocol):
    """The append-only consent ledger: the generic operations (``save`` refuses), and two queries.

    ``add`` appends a record; its customer must exist and its id be unused.
    """

    def for_customer(self, customer_id: CustomerId) -> list[ConsentRecord]:
        """Return the customer's ledger, oldest first (by ``recorded_at``, id)."""
        ...

    def may_contact(
        self, customer_id: CustomerId, purpose: Purpose | str, channel: Channel | str, at: datetime
    ) -> bool:
        """Answer [`relcore.domain.may_contact`][] from the stored ledger."""
        ...


class ConsentWork(Work, Protocol):
    """The ports the consent use cases need."""

    @property
    def consents(self) -> ConsentRepository:
        """The consent ledger."""
        ...


CONSENTS = Aggregate(
    "consents",
    ConsentRepository,
    memory="relcore.consent._memory:MemoryConsents",
    sql="relcore.consent._sql:SqlConsents",
    entity=ConsentRecord,
    append_only=True,
    table="relcore.storage.sql.schema:consents",
)
"""The consent ledger: append-only records owned by a customer."""

CONTEXT = Context(
    "consent",
    ports=(CONSENTS,),
    events=(ConsentChanged,),
    contracts=("relcore.consent._testing:ConsentContract",),
    examples=(("consents", "relcore.consent._testing:new_record"),),
    snapshot="relcore.consent._testing:stored_state",
)
"""The consent context, as the registry sees it."""
