# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""The suppression list: addresses, domains and customers no campaign may reach.

A [Suppression][relcore.marketing.Suppression] is unique on its kind and
value. Values are kept in one normal form, so that a lookup is an exact
comparison: an address or a domain case-folded (as contact-point keys are) and without surrounding
spaces, a customer as its id's text. A suppression may expire; until then
(and from when it was made) it is live
([is_live][relcore.marketing.suppressions.Suppression.is_live]).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from uuid import UUID

import attrs

from relcore._kernel import checks as check
from relcore.clock import system_clock
from relcore.ids import new_id
from relcore.marketing.members import MAX_ADDRESS

__all__ = ["Suppression", "SuppressionKind", "address_domain", "normalise_suppressed"]

_DOMAIN = re.compile(r"^(?=.{1,253}$)[^\s@.]+(\.[^\s@.]+)+$")
_ADDRESS = re.compile(r"^([^\s@]+@[^\s@]+|\+[0-9]{4,15})$")


class SuppressionKind(StrEnum):
    """What a suppression names."""

    ADDRESS = "address"
    """One address: an e-mail address or a phone number in E.164 form."""
    DOMAIN = "domain"
    """Every e-mail address at one domain (``example.com``; not its subdomains)."""
    CUSTOMER = "customer"
    """One customer, whatever address it is reached at."""


def address_domain(address: str) -> str | None:
    """The case-folded domain of an e-mail address; ``None`` for a phone number."""
    _, at, domain = address.rpartition("@")
    return domain.casefold() if at else None


def normalise_suppressed(kind: SuppressionKind | str, value: object, field: str = "value") -> str:
    """Return ``value`` in the normal form a suppression of ``kind`` stores.

    An address or a domain is case-folded and stripped of surrounding spaces
    (``" Ada@Example.COM "`` becomes ``"ada@example.com"``); a customer is its
    id as text (a `uuid.UUID` or its text).

    Raises:
        ValidationError: Naming ``field`` if the value is not one of ``kind``, or ``kind``.
    """
    chosen = check.check_enum(SuppressionKind, "kind", kind)
    if chosen is SuppressionKind.CUSTOMER:
        return str(check.check_uuid(field, value))
    text = check.check_text(field, value, max_len=MAX_ADDRESS).strip().casefold()
    if chosen is SuppressionKind.DOMAIN:
        if not _DOMAIN.fullmatch(text):
            raise check.fail(field, "expected a domain name such as example.com")
    elif not _ADDRESS.fullmatch(text):
        raise check.fail(field, "expected an e-mail address or a phone number in E.164 form")
    return text


def _kind(value: object, field: attrs.Attribute) -> SuppressionKind:  # type: ignore[type-arg]
    return check.check_enum(SuppressionKind, field.name, value)


@attrs.frozen(kw_only=True)
class Suppression:
    """An address, a domain or a customer that no campaign may reach.

    Attributes:
        id: Time-ordered UUID.
        kind: Address, domain or customer.
        value: What it names, normalised ([normalise_suppressed][relcore.marketing.normalise_suppressed]).
        reason: Why, for people (``"hard bounce"``, ``"complaint"``); not personal data.
        expires_at: When it stops applying, if ever; not before ``created_at``
            (a suppression lifted as soon as it was made never applied).
        created_at: When it was made; it applies from then.
    """

    id: UUID = attrs.field(factory=new_id, converter=check.uuid)
    kind: SuppressionKind = attrs.field(converter=attrs.Converter(_kind, takes_field=True))
    value: str = attrs.field()
    reason: str = attrs.field(converter=check.text(200))
    expires_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "value", normalise_suppressed(self.kind, self.value))
        if self.expires_at is not None and self.expires_at < self.created_at:
            raise check.fail("expires_at", "earlier than created_at")

    def is_live(self, at: datetime) -> bool:
        """Whether it applies at ``at``: made at or before it, and not expired by then."""
        moment = check.check_datetime("at", at)
        return self.created_at <= moment and (self.expires_at is None or moment < self.expires_at)
