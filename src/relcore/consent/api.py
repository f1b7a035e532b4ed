"""The consent namespace of the facade: ``crm.consent``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from relcore._kernel.arguments import check_id
from relcore._kernel.namespace import Namespace, UnitOfWorkSource
from relcore._kernel.tokens import check_token
from relcore.clock import Clock
from relcore.consent import services
from relcore.consent.model import ConsentRecord, ConsentStatus, Purpose
from relcore.consent.ports import ConsentWork
from relcore.customers.model import Channel
from relcore.ids import CustomerId

if TYPE_CHECKING:
    from relcore.vocabularies import Vocabularies

__all__ = ["Consents"]


class Consents(Namespace[ConsentWork]):
    """The consent ledger: ``crm.consent``.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore import CRM, Customer
        >>> crm = CRM.in_memory()
        >>> ada = crm.customers.add(Customer.person("Ada"))
        >>> _ = crm.consent.record(ada.id, "marketing", "granted", channel="email")
        >>> crm.consent.may_contact(ada.id, "marketing", "email")
        True
        >>> crm.consent.may_contact(ada.id, "marketing", "sms")
        False
        >>> print(*(record.status.value for record in crm.consent.history(ada.id)))
        granted

    A purpose or channel the CRM's [vocabularies][relcore.crm.CRM.vocabularies]
    do not declare is refused with a [ValidationError][relcore.errors.ValidationError]
    naming the argument.
    """

    __slots__ = ("_vocabularies",)

    def __init__(
        self,
        source: UnitOfWorkSource[ConsentWork],
        clock: Clock,
        vocabularies: Vocabularies,
    ) -> None:
        super().__init__(source, clock)
        self._vocabularies = vocabularies

    def record(
        self,
        customer_id: CustomerId,
        purpose: Purpose | str,
        status: ConsentStatus | str,
        *,
        channel: Channel | str | None = None,
        source: str = "unknown",
        notice_version: str | None = None,
        recorded_at: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> ConsentRecord:
        """Append a consent answer to the customer's ledger; return the record.

        Args:
            customer_id: The customer who answered.
            purpose: What the consent is for.
            status: ``"granted"``, ``"denied"`` or ``"withdrawn"``.
            channel: The channel it covers (``None``: every channel).
            source: Where the answer was given (a form, a call...).
            notice_version: The version of the notice the customer saw.
            recorded_at: When it was given (default: now).
            expires_at: When it lapses, if ever.

        Raises:
            NotFoundError: The customer does not exist.
        """
        record = ConsentRecord(
            customer_id=check_id("customer_id", customer_id),
            purpose=purpose,
            status=status,
            channel=channel,
            source=source,
            notice_version=notice_version,
            recorded_at=recorded_at if recorded_at is not None else self._clock(),
            expires_at=expires_at,
        )
        self._vocabularies.purposes.check("purpose", record.purpose)
        if record.channel is not None:
            self._vocabularies.channels.check("channel", record.channel)
        self._write(lambda uow: services.record_consent(uow, record))
        return record

    def history(self, customer_id: CustomerId) -> list[ConsentRecord]:
        """Return the customer's consent ledger, oldest first (empty for an unknown customer)."""
        wanted = check_id("customer_id", customer_id)
        return self._read(lambda uow: uow.consents.for_customer(wanted))

    def may_contact(
        self,
        customer_id: CustomerId,
        purpose: Purpose | str,
        channel: Channel | str,
        at: datetime | None = None,
    ) -> bool:
        """May we contact the customer for ``purpose`` on ``channel`` (now, or at ``at``)?

        ``False`` for a customer without a ledger, or an unknown one.
        """
        wanted = check_id("customer_id", customer_id)
        why = check_token(Purpose, "purpose", purpose)
        how = check_token(Channel, "channel", channel)
        self._vocabularies.purposes.check("purpose", why)
        self._vocabularies.channels.check("channel", how)
        moment = self._as_of(at, "at")
        return self._read(lambda uow: services.may_contact(uow, wanted, why, how, moment))
