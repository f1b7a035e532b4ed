# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Partners on deals: a partner's profile, a partner's link to a deal, and their events.

A partner is a customer whose relationship roles include partner or reseller
([RelationshipKind][relcore.domain.RelationshipKind]), with one
[PartnerProfile][relcore.partners.PartnerProfile] (tier, territories,
assignment weight, commission rate). A deal carries its partners as
[OpportunityPartner][relcore.partners.OpportunityPartner] links, each with a
role, the primary flag (one primary per deal at most), the sourced flag, an
optional commission rate and an optional deal registration.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent
from relcore.clock import system_clock
from relcore.customers.model import version_converter
from relcore.ids import CustomerId, OpportunityId, OpportunityPartnerId, PartnerProfileId, new_id
from relcore.sales.model import check_date

__all__ = [
    "DealRegistered",
    "OpportunityPartner",
    "PartnerAdded",
    "PartnerProfile",
    "PartnerRole",
    "PrimaryPartnerChanged",
    "RegistrationDecided",
    "RegistrationStatus",
    "check_rate",
    "check_territory",
]

_PLACES = 4
"""Decimals a commission rate may have (a hundredth of a percent)."""


class PartnerRole(StrEnum):
    """What a partner does on a deal."""

    RESELLER = "reseller"
    REFERRER = "referrer"
    INFLUENCER = "influencer"
    DISTRIBUTOR = "distributor"
    IMPLEMENTER = "implementer"


class RegistrationStatus(StrEnum):
    """Where a partner's registration of a deal stands."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"


def check_rate(field: str, value: object) -> Decimal:
    """Return ``value`` as a commission rate: an exact `Decimal` from 0 to 1 with at most four places.

    A rate above 1 (more than the whole amount) is refused, as is a float.
    """
    rate = check.decimal_value(field, value)
    if not 0 <= rate <= 1:
        raise check.fail(field, "must be from 0 to 1 (a rate, not a percentage)")
    if rate != rate.quantize(Decimal(1).scaleb(-_PLACES)):
        raise check.fail(field, f"must have at most {_PLACES} decimals")
    return rate + 0


def check_territory(field: str, value: object) -> str:
    """Return ``value`` as a territory: an ISO 3166-1 alpha-2 country code, upper-cased."""
    code = check.check_region(value, field)
    if code is None:
        raise check.fail(field, "expected an ISO 3166-1 alpha-2 country code")
    return code


def _rate(value: object, field: attrs.Attribute) -> Decimal:  # type: ignore[type-arg]
    return check_rate(field.name, value)


def _optional_rate(value: object, field: attrs.Attribute) -> Decimal | None:  # type: ignore[type-arg]
    return None if value is None else check_rate(field.name, value)


def _territories(value: object, field: attrs.Attribute) -> tuple[str, ...]:  # type: ignore[type-arg]
    return tuple(sorted(set(check.check_tuple(check_territory, field.name, value))))


def _weight(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value)


def _day(value: object, field: attrs.Attribute) -> date:  # type: ignore[type-arg]
    day = check_date(field.name, value)
    if day is None:
        raise check.fail(field.name, "expected a date")
    return day


def _optional_day(value: object, field: attrs.Attribute) -> date | None:  # type: ignore[type-arg]
    return check_date(field.name, value)


@attrs.frozen(kw_only=True)
class PartnerProfile:
    """What makes a customer a partner: its tier, territories, assignment weight and commission rate.

    A customer has one profile at most, and only a customer whose roles
    include ``partner`` or ``reseller`` may have one (``crm.partners.add_profile``
    checks it).

    Attributes:
        id: Time-ordered UUID.
        customer_id: The partner (a customer); one profile per customer.
        tier: The partner's tier or grade (``"gold"``), free text.
        territories: ISO 3166-1 alpha-2 country codes it covers, sorted, without repeats.
        weight: Its assignment weight: 0 is never assigned; a partner of weight 2 is chosen
            twice as often as one of weight 1.
        commission_rate: Its share of a won deal's amount, exact, from 0 to 1 with at most
            four places (``0.125`` is 12.5 %).
        active_from: The first day it is active.
        active_to: The last day it is active (``None``: no end).
        created_at: When it was made.
        updated_at: When it was last saved (the store's clock).
        version: Stored version, increased by each save.
    """

    id: PartnerProfileId = attrs.field(factory=lambda: PartnerProfileId(new_id()), converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    tier: str = attrs.field(default="standard", converter=check.text(40))
    territories: tuple[str, ...] = attrs.field(
        default=(), converter=attrs.Converter(_territories, takes_field=True)
    )
    weight: int = attrs.field(default=1, converter=attrs.Converter(_weight, takes_field=True))
    commission_rate: Decimal = attrs.field(
        default=Decimal(0), converter=attrs.Converter(_rate, takes_field=True)
    )
    active_from: date = attrs.field(converter=attrs.Converter(_day, takes_field=True))
    active_to: date | None = attrs.field(
        default=None, converter=attrs.Converter(_optional_day, takes_field=True)
    )
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    updated_at: datetime = attrs.field(converter=check.aware)
    version: int = attrs.field(default=1, converter=version_converter)

    @updated_at.default
    def _updated_default(self) -> datetime:
        return self.created_at

    def __attrs_post_init__(self) -> None:
        if self.active_to is not None and self.active_to < self.active_from:
            raise check.fail("active_to", "earlier than active_from")

    def active_on(self, day: date) -> bool:
        """Whether the partner is active on ``day`` (from ``active_from`` to ``active_to``, both included)."""
        return self.active_from <= day and (self.active_to is None or day <= self.active_to)

    def covers(self, country: str | None) -> bool:
        """Whether ``country`` (an alpha-2 code) is one of its territories; no country is covered by none."""
        return country is not None and country.upper() in self.territories


@attrs.frozen(kw_only=True)
class OpportunityPartner:
    """A partner on a deal: its role, whether it is the primary one, whether it brought the deal.

    Add one with ``crm.partners.add``; one link per deal and partner. A deal
    registration is a link with ``registered_at`` set: it starts
    ``proposed`` and is then accepted or declined (``decided_at``).

    Attributes:
        id: Time-ordered UUID.
        opportunity_id: The deal.
        customer_id: The deal's customer (who owns the link, as it owns the deal).
        partner_id: The partner (a customer with a partner profile), never the deal's customer.
        role: What the partner does on the deal.
        primary: Whether it is the deal's primary partner; a deal has one at most.
        sourced: Whether the partner brought the deal (``True``) or only influenced it.
        commission_rate: A rate for this deal that overrides the partner's profile rate.
        registered_at: When the partner registered the deal, if it did.
        status: The registration's status; set exactly when ``registered_at`` is.
        decided_at: When the registration was accepted or declined.
        created_at: When the partner was put on the deal.
        updated_at: When the link was last saved (the store's clock).
        version: Stored version, increased by each save.
    """

    id: OpportunityPartnerId = attrs.field(
        factory=lambda: OpportunityPartnerId(new_id()), converter=check.uuid
    )
    opportunity_id: OpportunityId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    partner_id: CustomerId = attrs.field(converter=check.uuid)
    role: PartnerRole = attrs.field(converter=check.enum_converter(PartnerRole))
    primary: bool = attrs.field(default=False, converter=check.boolean)
    sourced: bool = attrs.field(default=False, converter=check.boolean)
    commission_rate: Decimal | None = attrs.field(
        default=None, converter=attrs.Converter(_optional_rate, takes_field=True)
    )
    registered_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    status: RegistrationStatus | None = attrs.field(
        default=None, converter=check.optional_enum_converter(RegistrationStatus)
    )
    decided_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    updated_at: datetime = attrs.field(converter=check.aware)
    version: int = attrs.field(default=1, converter=version_converter)

    @updated_at.default
    def _updated_default(self) -> datetime:
        return self.created_at

    def __attrs_post_init__(self) -> None:
        if self.partner_id == self.customer_id:
            raise check.fail("partner_id", "the deal's own customer cannot be its partner")
        if (self.registered_at is None) != (self.status is None):
            raise check.fail("status", "set exactly when the deal is registered")
        decided = self.status in (RegistrationStatus.ACCEPTED, RegistrationStatus.DECLINED)
        if decided != (self.decided_at is not None):
            raise check.fail("decided_at", "set exactly when the registration is accepted or declined")
        if (
            self.decided_at is not None
            and self.registered_at is not None
            and self.decided_at < self.registered_at
        ):
            raise check.fail("decided_at", "earlier than registered_at")

    @property
    def declined(self) -> bool:
        """Whether the partner's registration of the deal was declined."""
        return self.status is RegistrationStatus.DECLINED

    @property
    def holds_registration(self) -> bool:
        """Whether it is a registration that still holds the deal: proposed or accepted."""
        return self.status in (RegistrationStatus.PROPOSED, RegistrationStatus.ACCEPTED)


# -- events --------------------------------------------------------------------


@attrs.frozen
class PartnerAdded(DomainEvent):
    """A partner was put on a deal."""

    opportunity_id: OpportunityId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    partner_id: CustomerId = attrs.field(converter=check.uuid)
    role: PartnerRole = attrs.field(converter=check.enum_converter(PartnerRole))


@attrs.frozen
class PrimaryPartnerChanged(DomainEvent):
    """A deal's primary partner changed (``partner_id`` ``None``: it has none now)."""

    opportunity_id: OpportunityId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    partner_id: CustomerId | None = attrs.field(converter=check.optional_uuid)
    previous_id: CustomerId | None = attrs.field(converter=check.optional_uuid)


@attrs.frozen
class DealRegistered(DomainEvent):
    """A partner registered a deal (the registration is proposed)."""

    opportunity_id: OpportunityId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    partner_id: CustomerId = attrs.field(converter=check.uuid)
    registered_at: datetime = attrs.field(converter=check.aware)


@attrs.frozen
class RegistrationDecided(DomainEvent):
    """A partner's registration of a deal was accepted or declined."""

    opportunity_id: OpportunityId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    partner_id: CustomerId = attrs.field(converter=check.uuid)
    status: RegistrationStatus = attrs.field(converter=check.enum_converter(RegistrationStatus))
