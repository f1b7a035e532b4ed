# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Contacts — the people we reach — and the points where we reach them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import email_validator
import phonenumbers

from relcore._kernel import checks as check
from relcore._kernel.tokens import optional_token_converter
from relcore.clock import system_clock
from relcore.customers.model import Channel, ContactPointKind, version_converter
from relcore.ids import ContactId, CustomerId, new_id

__all__ = ["Contact", "ContactPoint", "PostalAddress", "normalize_email", "normalize_phone"]

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_HANDLE = re.compile(r"^@?[\w.\-]{1,100}$", re.UNICODE)
_NETWORK = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")


def normalize_email(value: str, *, field: str = "email") -> str:
    """Return the normalized form of an e-mail address.

    Uses email-validator without DNS lookups: Unicode is normalized, the
    domain is lower-cased and internationalized domains are kept in Unicode.
    The local part keeps its case, as the standard asks.

    Raises:
        ValidationError: If the address is malformed.
    """
    address = check.check_text(field, value, max_len=320)
    problem = None
    try:
        info = email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        problem = _explained(str(error), address)
    if problem is not None:  # raised here, not in the except block: the validator's error is not chained
        raise check.fail(field, f"invalid e-mail address: {problem}")
    return info.normalized


def _explained(explanation: str, address: str) -> str:
    """The validator's explanation, unless it quotes a part of the address (personal data)."""
    parts = (p for p in re.split(r"[@.\s]+", address.casefold()) if len(p) >= 3)
    if any(part in explanation.casefold() for part in parts):
        return "expected one '@' between a local part and a domain name"
    return explanation.rstrip(".")


_PARSE_PROBLEMS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country calling code or region",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
    phonenumbers.NumberParseException.TOO_LONG: "too long",
}


def normalize_phone(value: str, *, region: str | None = None, field: str = "phone") -> str:
    """Return a phone number in E.164 form (``+14155550123``).

    Args:
        value: The number as typed; national numbers need ``region``.
        region: ISO 3166-1 alpha-2 region for numbers without ``+`` prefix.
        field: Field name used in the error.

    Raises:
        ValidationError: If the number cannot be parsed or is not valid.
    """
    number = check.check_text(field, value, max_len=64)
    code = check.check_region(region)
    problem = None
    try:
        parsed = phonenumbers.parse(number, code)
    except phonenumbers.NumberParseException as error:
        problem = _PARSE_PROBLEMS.get(error.error_type, "cannot be parsed")
    if problem is not None:  # raised outside the except block: the parser's error is not chained
        hint = "" if code or number.strip().startswith("+") else " (no '+' prefix and no region)"
        raise check.fail(field, f"invalid phone number: {problem}{hint}")
    if not phonenumbers.is_valid_number(parsed):
        raise check.fail(field, "not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@attrs.frozen(kw_only=True)
class PostalAddress:
    """A postal address, international in shape.

    Attributes:
        lines: Street lines, first to last (at least one).
        locality: City or town.
        postal_code: Postal or ZIP code.
        region: State, province or county.
        country: ISO 3166-1 alpha-2 code.
    """

    lines: tuple[str, ...] = attrs.field(
        converter=check.tuple_of(lambda p, v: check.check_text(p, v, max_len=200))
    )
    locality: str = attrs.field(converter=check.text(100))
    country: str = attrs.field(converter=check.text(2))
    postal_code: str | None = attrs.field(default=None, converter=check.optional_text(20))
    region: str | None = attrs.field(default=None, converter=check.optional_text(100))

    def __attrs_post_init__(self) -> None:
        if not self.lines:
            raise check.fail("lines", "at least one address line is needed")
        country = self.country
        if not (len(country) == 2 and country.isascii() and country.isalpha() and country.isupper()):
            raise check.fail("country", "expected an ISO 3166-1 alpha-2 code (two upper-case letters)")

    def formatted(self) -> str:
        """Return the address on one line, comma separated."""
        town = " ".join(p for p in (self.postal_code, self.locality) if p)
        parts = [*self.lines, town, self.region, self.country]
        return ", ".join(p for p in parts if p)


def _address(value: object, field: attrs.Attribute) -> PostalAddress | None:  # type: ignore[type-arg]
    if value is not None and type(value) is not PostalAddress:
        raise check.fail(field.name, f"expected a PostalAddress or None, got {check.kind(value)}")
    return value


@attrs.frozen(kw_only=True)
class ContactPoint:
    """One way to reach a contact: an e-mail, a phone, an address, a handle.

    Build with [`email`][relcore.domain.ContactPoint.email], [`phone`][relcore.domain.ContactPoint.phone],
    [`postal`][relcore.domain.ContactPoint.postal] or [`social`][relcore.domain.ContactPoint.social], which
    normalize the value. Constructing directly checks that ``value`` is already in normal form.

    Attributes:
        kind: E-mail, phone, postal or social.
        value: The normalized value: e-mail as normalized by email-validator,
            phone in E.164, the one-line address, ``network:handle``.
        primary: The preferred point of its kind.
        verified: Whether ownership was verified (a confirmed e-mail...).
        label: Free label (``"work"``, ``"home"``).
        address: The structured address, for postal points only.
    """

    kind: ContactPointKind = attrs.field(converter=check.enum_converter(ContactPointKind))
    value: str = attrs.field(converter=check.text(400))
    primary: bool = attrs.field(default=False, converter=check.boolean)
    verified: bool = attrs.field(default=False, converter=check.boolean)
    label: str | None = attrs.field(default=None, converter=check.optional_text(50))
    address: PostalAddress | None = attrs.field(
        default=None, converter=attrs.Converter(_address, takes_field=True)
    )

    def __attrs_post_init__(self) -> None:
        if (self.kind is ContactPointKind.POSTAL) != (self.address is not None):
            raise check.fail("address", "postal points need an address; others must not have one")
        expected = _normalized(self.kind, self.value, self.address)
        if expected != self.value:
            raise check.fail("value", f"not in normal form; use ContactPoint.{self.kind.value}()")

    @property
    def key(self) -> str:
        """Lookup key: case-folded e-mail, E.164 phone, lower-cased handle."""
        if self.kind is ContactPointKind.EMAIL or self.kind is ContactPointKind.SOCIAL:
            return self.value.casefold()
        return self.value

    @classmethod
    def email(
        cls, address: str, *, primary: bool = False, verified: bool = False, label: str | None = None
    ) -> ContactPoint:
        """Return an e-mail contact point; the address is normalized.

        Example:
            >>> ContactPoint.email("Ada@Example.COM").value
            'Ada@example.com'
        """
        return cls(
            kind=ContactPointKind.EMAIL,
            value=normalize_email(address, field="value"),
            primary=primary,
            verified=verified,
            label=label,
        )

    @classmethod
    def phone(
        cls,
        number: str,
        *,
        region: str | None = None,
        primary: bool = False,
        verified: bool = False,
        label: str | None = None,
    ) -> ContactPoint:
        """Return a phone contact point in E.164 form.

        Example:
            >>> ContactPoint.phone("020 7946 0018", region="GB").value
            '+442079460018'
        """
        return cls(
            kind=ContactPointKind.PHONE,
            value=normalize_phone(number, region=region, field="value"),
            primary=primary,
            verified=verified,
            label=label,
        )

    @classmethod
    def postal(
        cls,
        address: PostalAddress,
        *,
        primary: bool = False,
        verified: bool = False,
        label: str | None = None,
    ) -> ContactPoint:
        """Return a postal contact point for ``address``."""
        if type(address) is not PostalAddress:
            raise check.fail("address", f"expected a PostalAddress, got {check.kind(address)}")
        return cls(
            kind=ContactPointKind.POSTAL,
            value=address.formatted(),
            address=address,
            primary=primary,
            verified=verified,
            label=label,
        )

    @classmethod
    def social(
        cls,
        network: str,
        handle: str,
        *,
        primary: bool = False,
        verified: bool = False,
        label: str | None = None,
    ) -> ContactPoint:
        """Return a social handle, stored as ``network:handle``.

        Example:
            >>> ContactPoint.social("Mastodon", "@ada").value
            'mastodon:ada'
        """
        return cls(
            kind=ContactPointKind.SOCIAL,
            value=_social(network, handle),
            primary=primary,
            verified=verified,
            label=label,
        )


def _social(network: str, handle: str) -> str:
    net = check.check_text("network", network, max_len=32).strip().lower()
    if not _NETWORK.fullmatch(net):
        raise check.fail("network", "invalid network name: 1-32 letters, digits and '_.-'")
    name = check.check_text("value", handle, max_len=101).strip()
    if not _HANDLE.fullmatch(name):
        raise check.fail("value", "invalid handle: 1-100 letters, digits and '_.-', optionally after '@'")
    return f"{net}:{name.lstrip('@')}"


def _normalized(kind: ContactPointKind, value: str, address: PostalAddress | None) -> str:
    if kind is ContactPointKind.EMAIL:
        return normalize_email(value, field="value")
    if kind is ContactPointKind.PHONE:
        if not value.startswith("+"):
            raise check.fail("value", "phone numbers are stored in E.164 form (+...)")
        return normalize_phone(value, field="value")
    if kind is ContactPointKind.POSTAL:
        assert address is not None
        return address.formatted()
    network, sep, handle = value.partition(":")
    if not sep:
        raise check.fail("value", "social points are stored as 'network:handle'")
    return _social(network, handle)


def _point(path: str, value: object) -> ContactPoint:
    if not isinstance(value, ContactPoint):
        raise check.fail(path, f"expected a ContactPoint, got {type(value).__name__}")
    return value


def _points(value: object, field: attrs.Attribute) -> tuple[ContactPoint, ...]:  # type: ignore[type-arg]
    points = check.check_tuple(_point, field.name, value)
    primaries: set[ContactPointKind] = set()
    seen: set[tuple[ContactPointKind, str]] = set()
    for i, point in enumerate(points):
        if (point.kind, point.key) in seen:
            raise check.fail(f"{field.name}[{i}]", f"duplicate {point.kind.value} point")
        seen.add((point.kind, point.key))
        if point.primary:
            if point.kind in primaries:
                raise check.fail(f"{field.name}[{i}]", f"a second primary {point.kind.value} point")
            primaries.add(point.kind)
    return points


def _language(value: object, field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
    if value is None:
        return None
    tag = check.check_text(field.name, value, max_len=35)
    if not _LANGUAGE.fullmatch(tag):
        raise check.fail(field.name, "expected a BCP 47 language tag like 'en' or 'pt-BR'")
    return tag


def _time_zone(value: object, field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
    if value is None:
        return None
    name = check.check_text(field.name, value, max_len=64)
    if not _known_zone(name):
        raise check.fail(field.name, "unknown IANA time zone; expected a name like 'Europe/Paris'")
    return name


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # their text names the zone: not chained to the error
        return False
    return True


@attrs.frozen(kw_only=True)
class Contact:
    """A person we reach, linked to a customer with a role.

    In B2B a customer (an organization) has many contacts; in B2C the contact
    is usually the customer in person (role ``"self"``).

    Attributes:
        id: Time-ordered UUID.
        customer_id: The customer this contact belongs to.
        name: Full name.
        role: Role at the customer (``"self"``, ``"buyer"``, ``"billing"``...).
        points: Contact points; at most one primary per kind.
        preferred_channel: The channel the contact prefers (built-in or declared), if known.
        language: Preferred language, a BCP 47 tag.
        time_zone: IANA time zone name (``"Europe/Paris"``).
        created_at: Creation time (aware, UTC).
        updated_at: Last save (aware, UTC).
        version: Stored version, increased by each ``save``.
    """

    id: ContactId = attrs.field(factory=lambda: ContactId(new_id()), converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    name: str = attrs.field(converter=check.text(200))
    role: str = attrs.field(default="self", converter=check.text(50))
    points: tuple[ContactPoint, ...] = attrs.field(
        default=(), converter=attrs.Converter(_points, takes_field=True)
    )
    preferred_channel: Channel | str | None = attrs.field(
        default=None, converter=optional_token_converter(Channel)
    )
    language: str | None = attrs.field(default=None, converter=attrs.Converter(_language, takes_field=True))
    time_zone: str | None = attrs.field(default=None, converter=attrs.Converter(_time_zone, takes_field=True))
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    updated_at: datetime = attrs.field(converter=check.aware)
    version: int = attrs.field(default=1, converter=version_converter)

    @updated_at.default
    def _updated_default(self) -> datetime:
        return self.created_at

    def __attrs_post_init__(self) -> None:
        if self.updated_at < self.created_at:
            raise check.fail("updated_at", "earlier than created_at")

    def primary(self, kind: ContactPointKind | str) -> ContactPoint | None:
        """Return the primary point of ``kind``, else the first of that kind."""
        wanted = check.check_enum(ContactPointKind, "kind", kind)
        of_kind = [p for p in self.points if p.kind is wanted]
        return next((p for p in of_kind if p.primary), of_kind[0] if of_kind else None)

    def with_points(self, points: Iterable[ContactPoint]) -> Contact:
        """Return a copy with ``points`` instead of the current ones."""
        return attrs.evolve(self, points=tuple(points))
