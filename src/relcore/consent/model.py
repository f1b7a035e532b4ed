# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Consent: an append-only ledger, and the current answer derived from it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent
from relcore._kernel.tokens import check_token, optional_token_converter, token_converter
from relcore.clock import system_clock
from relcore.customers.model import Channel
from relcore.ids import ConsentId, CustomerId, new_id

__all__ = ["ConsentChanged", "ConsentRecord", "ConsentStatus", "Purpose", "current_consent", "may_contact"]


class Purpose(StrEnum):
    """What a consent is for.

    The built-in purposes; a CRM accepts more that its host declares
    ([Vocabularies][relcore.vocabularies.Vocabularies]).
    """

    MARKETING = "marketing"
    ANALYTICS = "analytics"
    SERVICE = "service"
    PROFILING = "profiling"
    THIRD_PARTY = "third_party"
    RESEARCH = "research"


class ConsentStatus(StrEnum):
    """The answer a consent record carries."""

    GRANTED = "granted"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


@attrs.frozen(kw_only=True)
class ConsentRecord:
    """One entry of the consent ledger; records are never changed or deleted.

    Attributes:
        id: Time-ordered UUID.
        customer_id: Whose consent this is.
        purpose: What the consent is for (marketing, analytics... or a declared purpose).
        channel: The channel it covers (built-in or declared); ``None`` covers every channel.
        status: Granted, denied or withdrawn.
        recorded_at: When the answer was given (aware, UTC).
        expires_at: When a grant lapses, if it does.
        source: Where the answer was captured (``"signup-form"``).
        notice_version: Version of the privacy notice shown.
    """

    id: ConsentId = attrs.field(factory=lambda: ConsentId(new_id()), converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    purpose: Purpose | str = attrs.field(converter=token_converter(Purpose))
    channel: Channel | str | None = attrs.field(default=None, converter=optional_token_converter(Channel))
    status: ConsentStatus = attrs.field(converter=check.enum_converter(ConsentStatus))
    recorded_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    expires_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    source: str = attrs.field(default="unknown", converter=check.text(100))
    notice_version: str | None = attrs.field(default=None, converter=check.optional_text(50))

    def __attrs_post_init__(self) -> None:
        if self.expires_at is not None and self.expires_at <= self.recorded_at:
            raise check.fail("expires_at", "must be later than recorded_at")

    def applies_to(self, purpose: Purpose | str, channel: Channel | str) -> bool:
        """Whether this record speaks about ``purpose`` on ``channel``."""
        return self.purpose == purpose and (self.channel is None or self.channel == channel)


def current_consent(
    records: Iterable[ConsentRecord],
    purpose: Purpose | str,
    channel: Channel | str,
    at: datetime,
) -> ConsentRecord | None:
    """Return the record that decides consent for ``purpose`` on ``channel`` at ``at``.

    The deciding record is the latest one recorded at or before ``at`` that
    covers the purpose and either this channel or every channel. Ties on
    ``recorded_at`` go to the record with the greater id (the later one made).
    """
    wanted_purpose = check_token(Purpose, "purpose", purpose)
    wanted_channel = check_token(Channel, "channel", channel)
    moment = check.check_datetime("at", at)
    deciding: ConsentRecord | None = None
    for record in records:
        if record.recorded_at > moment or not record.applies_to(wanted_purpose, wanted_channel):
            continue
        if deciding is None or (record.recorded_at, record.id) > (deciding.recorded_at, deciding.id):
            deciding = record
    return deciding


def may_contact(
    records: Iterable[ConsentRecord],
    purpose: Purpose | str,
    channel: Channel | str,
    at: datetime,
) -> bool:
    """Answer "may we contact them for ``purpose`` on ``channel`` at ``at``?".

    Yes only if the deciding record (see [`current_consent`][relcore.domain.current_consent]) is a grant
    that has not expired at ``at``. No record means no consent.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore.ids import CustomerId, new_id
        >>> who = CustomerId(new_id())
        >>> ledger = [ConsentRecord(customer_id=who, purpose="marketing", channel="email",
        ...                         status="granted", recorded_at=datetime(2025, 1, 1, tzinfo=UTC))]
        >>> may_contact(ledger, "marketing", "email", datetime(2025, 6, 1, tzinfo=UTC))
        True
        >>> may_contact(ledger, "marketing", "sms", datetime(2025, 6, 1, tzinfo=UTC))
        False
    """
    record = current_consent(records, purpose, channel, at)
    if record is None or record.status is not ConsentStatus.GRANTED:
        return False
    moment = check.check_datetime("at", at)
    return record.expires_at is None or moment < record.expires_at


@attrs.frozen
class ConsentChanged(DomainEvent):
    """A consent record was appended to a customer's ledger."""

    customer_id: CustomerId = attrs.field(converter=check.uuid)
    purpose: Purpose | str = attrs.field(converter=token_converter(Purpose))
    channel: Channel | str | None = attrs.field(converter=optional_token_converter(Channel))
    status: ConsentStatus = attrs.field(converter=check.enum_converter(ConsentStatus))
