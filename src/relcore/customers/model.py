# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Customers: the people and organizations the relationship is with."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent, count_field, version_field
from relcore._kernel.tokens import token_converter, token_set_converter
from relcore.clock import system_clock
from relcore.errors import ValidationError
from relcore.ids import ContactId, CustomerId, new_id

__all__ = [
    "Channel",
    "ContactAdded",
    "ContactPointKind",
    "ContactUpdated",
    "Customer",
    "CustomerCreated",
    "CustomerUpdated",
    "CustomersImported",
    "Identity",
    "LifecycleStage",
    "PartyType",
    "RelationshipKind",
]


class PartyType(StrEnum):
    """Whether a customer is a person (B2C) or an organization (B2B)."""

    PERSON = "person"
    ORGANIZATION = "organization"


class LifecycleStage(StrEnum):
    """Where a customer stands in the relationship, from first contact to churn.

    The built-in stages; a CRM accepts more that its host declares
    ([Vocabularies][relcore.vocabularies.Vocabularies]).
    """

    SUBSCRIBER = "subscriber"
    LEAD = "lead"
    QUALIFIED = "qualified"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    EVANGELIST = "evangelist"
    CHURNED = "churned"
    OTHER = "other"


class RelationshipKind(StrEnum):
    """A role the party has for us (the "XRM" view: not only customers); a customer holds a set of them.

    The built-in roles; a CRM accepts more that its host declares
    ([Vocabularies][relcore.vocabularies.Vocabularies]).
    """

    CUSTOMER = "customer"
    PROSPECT = "prospect"
    PARTNER = "partner"
    SUPPLIER = "supplier"
    RESELLER = "reseller"
    INVESTOR = "investor"
    EMPLOYEE = "employee"
    OTHER = "other"


class Channel(StrEnum):
    """A medium through which an interaction happens.

    The built-in channels; a CRM accepts more that its host declares
    ([Vocabularies][relcore.vocabularies.Vocabularies]).
    """

    EMAIL = "email"
    PHONE = "phone"
    SMS = "sms"
    MMS = "mms"
    CHAT = "chat"
    WEB = "web"
    MOBILE_APP = "mobile_app"
    SOCIAL = "social"
    IN_PERSON = "in_person"
    POSTAL = "postal"
    FAX = "fax"
    VOICE_SERVER = "voice_server"
    KIOSK = "kiosk"
    OTHER = "other"


class ContactPointKind(StrEnum):
    """How a contact can be reached."""

    EMAIL = "email"
    PHONE = "phone"
    POSTAL = "postal"
    SOCIAL = "social"


_NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _namespace(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    name = check.check_text(field.name, value, max_len=64)
    if not _NAMESPACE.fullmatch(name):
        raise check.fail(
            field.name,
            "invalid namespace: 1-64 lower-case letters, digits and '_.:-', starting with a letter or digit",
        )
    return name


@attrs.frozen
class Identity:
    """An id the customer has in another system.

    Example: ``Identity("shopify", "8213")``. The pair is unique across
    customers, so it finds the customer again when that system calls back.

    Attributes:
        namespace: The other system, lower-case (``"shopify"``, ``"stripe"``).
        value: The id within that system.
    """

    namespace: str = attrs.field(converter=attrs.Converter(_namespace, takes_field=True))
    value: str = attrs.field(converter=check.text(256))


def _identity(path: str, value: object) -> Identity:
    if isinstance(value, Identity):
        return value
    if isinstance(value, tuple) and tuple.__len__(value) == 2:
        try:
            return Identity(*tuple.__iter__(value))
        except ValidationError as error:
            raise error.prefixed(path) from None
    raise check.fail(path, f"expected an Identity or a (namespace, value) pair, got {check.kind(value)}")


def _identities(value: object, field: attrs.Attribute) -> tuple[Identity, ...]:  # type: ignore[type-arg]
    items = check.check_tuple(_identity, field.name, value)
    seen: set[Identity] = set()
    for i, identity in enumerate(items):
        if identity in seen:
            raise check.fail(f"{field.name}[{i}]", "duplicate identity")
        seen.add(identity)
    return tuple(sorted(items, key=lambda i: (i.namespace, i.value)))


def _country(value: object, field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
    if value is None:
        return None
    code = check.check_text(field.name, value, max_len=2)
    # ASCII first: "ß".upper() is "SS", a real code.
    code = code.upper() if code.isascii() else code
    if not _COUNTRY.fullmatch(code):
        raise check.fail(field.name, "expected an ISO 3166-1 alpha-2 code (two letters)")
    return code


def _version(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, minimum=1)


version_converter = attrs.Converter(_version, takes_field=True)


@attrs.frozen(kw_only=True)
class Customer:
    """A person or an organization we have a relationship with.

    Build one with [`person`][relcore.domain.Customer.person] or
    [`organization`][relcore.domain.Customer.organization]; change one with `attrs.evolve` and store the
    change with the repository's ``save``, which checks `version` so concurrent edits cannot overwrite each
    other.

    Attributes:
        id: Time-ordered UUID.
        type: Person or organization.
        name: Display name.
        stage: Lifecycle stage: a [LifecycleStage][relcore.domain.LifecycleStage] member, or a
            value the CRM's [Vocabularies][relcore.vocabularies.Vocabularies] declare (a `str`).
        roles: What the party is to us, at least one role (customer and
            partner at once, say): [RelationshipKind][relcore.domain.RelationshipKind] members, or
            declared values (`str`).
        tags: Free labels.
        attributes: Custom attributes, a JSON object.
        identities: Ids in other systems, each unique across customers, kept
            sorted by namespace and value (their order carries no meaning).
        country: ISO 3166-1 alpha-2 country code.
        created_at: When the customer was created (aware, UTC).
        updated_at: When the customer was last saved (aware, UTC).
        version: Stored version, increased by each ``save``.
    """

    id: CustomerId = attrs.field(factory=lambda: CustomerId(new_id()), converter=check.uuid)
    type: PartyType = attrs.field(converter=check.enum_converter(PartyType))
    name: str = attrs.field(converter=check.text(200))
    stage: LifecycleStage | str = attrs.field(
        default=LifecycleStage.LEAD, converter=token_converter(LifecycleStage)
    )
    roles: frozenset[RelationshipKind | str] = attrs.field(
        default=frozenset({RelationshipKind.CUSTOMER}), converter=token_set_converter(RelationshipKind)
    )
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=check.tags)
    attributes: dict[str, Any] = attrs.field(factory=dict, converter=check.json_object)
    identities: tuple[Identity, ...] = attrs.field(
        default=(), converter=attrs.Converter(_identities, takes_field=True)
    )
    country: str | None = attrs.field(default=None, converter=attrs.Converter(_country, takes_field=True))
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    updated_at: datetime = attrs.field(converter=check.aware)
    version: int = attrs.field(default=1, converter=version_converter)

    @updated_at.default
    def _updated_default(self) -> datetime:
        return self.created_at

    def __attrs_post_init__(self) -> None:
        if self.updated_at < self.created_at:
            raise check.fail("updated_at", "earlier than created_at")

    @classmethod
    def person(
        cls,
        name: str,
        *,
        stage: LifecycleStage | str = LifecycleStage.LEAD,
        roles: Iterable[RelationshipKind | str] = (RelationshipKind.CUSTOMER,),
        tags: Iterable[str] = (),
        attributes: Mapping[str, Any] | None = None,
        identities: Iterable[Identity | tuple[str, str]] = (),
        country: str | None = None,
        created_at: datetime | None = None,
    ) -> Customer:
        """Return a new customer who is a person.

        Example:
            >>> Customer.person("Ada Lovelace", stage="customer").type
            <PartyType.PERSON: 'person'>
        """
        return cls._new(
            PartyType.PERSON, name, stage, roles, tags, attributes, identities, country, created_at
        )

    @classmethod
    def organization(
        cls,
        name: str,
        *,
        stage: LifecycleStage | str = LifecycleStage.LEAD,
        roles: Iterable[RelationshipKind | str] = (RelationshipKind.CUSTOMER,),
        tags: Iterable[str] = (),
        attributes: Mapping[str, Any] | None = None,
        identities: Iterable[Identity | tuple[str, str]] = (),
        country: str | None = None,
        created_at: datetime | None = None,
    ) -> Customer:
        """Return a new customer that is an organization (B2B).

        Example:
            >>> sorted(Customer.organization("Acme Ltd", roles=["customer", "partner"]).roles)
            [<RelationshipKind.CUSTOMER: 'customer'>, <RelationshipKind.PARTNER: 'partner'>]
        """
        return cls._new(
            PartyType.ORGANIZATION,
            name,
            stage,
            roles,
            tags,
            attributes,
            identities,
            country,
            created_at,
        )

    @classmethod
    def _new(
        cls,
        type_: PartyType,
        name: str,
        stage: LifecycleStage | str,
        roles: Iterable[RelationshipKind | str],
        tags: Iterable[str],
        attributes: Mapping[str, Any] | None,
        identities: Iterable[Identity | tuple[str, str]],
        country: str | None,
        created_at: datetime | None,
    ) -> Customer:
        now = created_at if created_at is not None else system_clock()
        return cls(
            type=type_,
            name=name,
            stage=stage,
            roles=roles,
            tags=tags,
            attributes=attributes if attributes is not None else {},
            identities=identities,
            country=country,
            created_at=now,
        )


@attrs.frozen
class CustomerCreated(DomainEvent):
    """A customer was added."""

    customer_id: CustomerId = attrs.field(converter=check.uuid)


@attrs.frozen
class CustomerUpdated(DomainEvent):
    """A customer was saved; ``version`` is the new stored version."""

    customer_id: CustomerId = attrs.field(converter=check.uuid)
    version: int = attrs.field(converter=version_field)


@attrs.frozen
class ContactAdded(DomainEvent):
    """A contact was added to a customer."""

    contact_id: ContactId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)


@attrs.frozen
class ContactUpdated(DomainEvent):
    """A contact was saved; ``version`` is the new stored version."""

    contact_id: ContactId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    version: int = attrs.field(converter=version_field)


@attrs.frozen
class CustomersImported(DomainEvent):
    """A bulk import stored ``new`` customers and skipped ``skipped`` already stored (one event per call)."""

    new: int = attrs.field(converter=count_field)
    skipped: int = attrs.field(converter=count_field)
