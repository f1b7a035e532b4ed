# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""The customers a campaign considered: its members, and those it left out with the reason why.

A campaign stores one [CampaignMember][relcore.marketing.CampaignMember] for
every customer it considered, unique on the campaign and the customer. A
member (``excluded`` is ``None``) has the contact point it is reached at, its
variant and its status; a customer left out keeps the
[Exclusion][relcore.marketing.Exclusion] that kept it out, so that "why did
Ada not get the spring newsletter?" has an answer after the fact.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import attrs

from relcore._kernel import checks as check
from relcore.clock import system_clock
from relcore.customers.model import version_converter
from relcore.ids import CampaignId, CustomerId, new_id
from relcore.sales.pipelines import check_key

__all__ = ["MAX_ADDRESS", "CampaignMember", "Exclusion"]

MAX_ADDRESS = 320
"""The longest contact point a member may be reached at (the longest e-mail address)."""


class Exclusion(StrEnum):
    """Why a customer the campaign considered is not one of its members."""

    NO_CONSENT = "no_consent"
    """No consent to the campaign's purpose on its channel."""
    SUPPRESSED = "suppressed"
    """The customer, its address or its address's domain is on the suppression list."""
    FREQUENCY_CAP = "frequency_cap"
    """The customer got as many messages in the cap's window as the campaign allows."""
    DUPLICATE_ADDRESS = "duplicate_address"
    """Another member is reached at the same address."""
    NO_ADDRESS = "no_address"
    """The customer has no contact point on the campaign's channel."""
    CONTROL_GROUP = "control_group"
    """Assigned to the control variant: considered, measured, sent nothing."""


def _address(value: object, field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
    if value is None:
        return None
    text = check.check_text(field.name, value, max_len=MAX_ADDRESS)
    if text != text.strip():
        raise check.fail(field.name, "must be normalised: no surrounding spaces")
    return text


def _optional_key(value: object, field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
    return None if value is None else check_key(field.name, value)


_key_field = attrs.Converter(_optional_key, takes_field=True)


@attrs.frozen(kw_only=True)
class CampaignMember:
    """One customer a campaign considered: a member, or a customer left out and why.

    Attributes:
        id: Time-ordered UUID.
        campaign_id: The campaign.
        customer_id: The customer (the owner).
        address: The contact point used, normalised as contact points are (an e-mail
            address, a phone number in E.164 form), or ``None``.
        variant: The key of the campaign's variant it was assigned, if any.
        status: The key of its member status (one of the campaign's); ``None`` for
            a customer left out, required for a member.
        excluded: Why it was left out; ``None`` for a member.
        first_responded_at: When it first reached a status that counts as a response.
        status_changed_at: When its status last changed.
        added_at: When the campaign considered it.
        updated_at: When it was last saved (the store's clock).
        version: Stored version, increased by each save.
    """

    id: UUID = attrs.field(factory=new_id, converter=check.uuid)
    campaign_id: CampaignId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    address: str | None = attrs.field(default=None, converter=attrs.Converter(_address, takes_field=True))
    variant: str | None = attrs.field(default=None, converter=_key_field)
    status: str | None = attrs.field(default=None, converter=_key_field)
    excluded: Exclusion | None = attrs.field(default=None, converter=check.optional_enum_converter(Exclusion))
    first_responded_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    status_changed_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    added_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    updated_at: datetime = attrs.field(converter=check.aware)
    version: int = attrs.field(default=1, converter=version_converter)

    @updated_at.default
    def _updated_default(self) -> datetime:
        return self.added_at

    def __attrs_post_init__(self) -> None:
        if self.excluded is None and self.status is None:
            raise check.fail("status", "required for a member (a customer not left out)")
        if self.excluded is not None and self.first_responded_at is not None:
            raise check.fail("first_responded_at", "a customer left out cannot have responded")
        for name in ("first_responded_at", "status_changed_at", "updated_at"):
            moment = getattr(self, name)
            if moment is not None and moment < self.added_at:
                raise check.fail(name, "earlier than added_at")

    @property
    def created_at(self) -> datetime:
        """When it was stored: ``added_at`` (a save never stamps ``updated_at`` before it)."""
        return self.added_at

    @property
    def is_member(self) -> bool:
        """Whether the customer is a member (was not left out)."""
        return self.excluded is None
