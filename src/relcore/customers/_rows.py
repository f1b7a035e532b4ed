"""How customers and contacts are stored: their rows, child rows and row codecs.

Customers and contacts are rebuilt through their normal constructors: a row
that fails validation means a table was edited behind relcore's back, and the
[`ValidationError`][relcore.errors.ValidationError] says which field. A bulk
import encodes them, and their role, tag, identity and contact-point rows,
through the codecs below (``relcore.storage.sql.codec``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

import attrs

from relcore.customers.contacts import Contact, ContactPoint, PostalAddress
from relcore.customers.model import Customer, Identity
from relcore.storage.sql.codec import RowCodec
from relcore.storage.sql.schema import (
    contact_points,
    contacts,
    customer_roles,
    customer_tags,
    customers,
    identities,
)

__all__ = [
    "CONTACTS",
    "CUSTOMERS",
    "IDENTITIES",
    "POINTS",
    "ROLES",
    "TAGS",
    "IdentityRow",
    "PointRow",
    "RoleRow",
    "TagRow",
    "contact_from_row",
    "contact_row",
    "customer_from_row",
    "customer_parts",
    "customer_row",
    "point_parts",
    "point_rows",
]

Row = Mapping[Any, Any]


def customer_row(c: Customer) -> dict[str, Any]:
    """Return the ``relcore_customers`` row of a customer (tags, identities apart)."""
    return {
        "id": c.id,
        "type": c.type.value,
        "name": c.name,
        "stage": str(c.stage),
        "attributes": c.attributes,
        "country": c.country,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "version": c.version,
    }


def customer_from_row(
    row: Row, tags: Iterable[str], identities: Iterable[tuple[str, str]], roles: Iterable[str]
) -> Customer:
    """Rebuild a customer from its row, tags, identity pairs and roles."""
    return Customer(
        id=row["id"],
        type=row["type"],
        name=row["name"],
        stage=row["stage"],
        roles=frozenset(roles),
        attributes=row["attributes"],
        country=row["country"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        tags=frozenset(tags),
        identities=tuple(Identity(ns, value) for ns, value in sorted(identities)),
    )


def contact_row(c: Contact) -> dict[str, Any]:
    """Return the ``relcore_contacts`` row of a contact (points apart)."""
    return {
        "id": c.id,
        "customer_id": c.customer_id,
        "name": c.name,
        "role": c.role,
        "preferred_channel": None if c.preferred_channel is None else str(c.preferred_channel),
        "language": c.language,
        "time_zone": c.time_zone,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "version": c.version,
    }


def point_rows(c: Contact) -> list[dict[str, Any]]:
    """Return the ``relcore_contact_points`` rows of a contact, in order."""
    return [
        {
            "contact_id": c.id,
            "position": i,
            "kind": p.kind.value,
            "value": p.value,
            "lookup_key": p.key,
            "is_primary": p.primary,
            "is_verified": p.verified,
            "label": p.label,
            "address": _address_json(p.address),
        }
        for i, p in enumerate(c.points)
    ]


def _address_json(address: PostalAddress | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {
        "lines": list(address.lines),
        "locality": address.locality,
        "country": address.country,
        "postal_code": address.postal_code,
        "region": address.region,
    }


def _point(row: Row) -> ContactPoint:
    address = row["address"]
    return ContactPoint(
        kind=row["kind"],
        value=row["value"],
        primary=bool(row["is_primary"]),
        verified=bool(row["is_verified"]),
        label=row["label"],
        address=None if address is None else PostalAddress(**address),
    )


def contact_from_row(row: Row, points: Sequence[Row]) -> Contact:
    """Rebuild a contact from its row and its point rows (in position order)."""
    return Contact(
        id=row["id"],
        customer_id=row["customer_id"],
        name=row["name"],
        role=row["role"],
        preferred_channel=row["preferred_channel"],
        language=row["language"],
        time_zone=row["time_zone"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        points=tuple(_point(p) for p in points),
    )


CUSTOMERS: RowCodec[Customer] = RowCodec(customers, Customer, apart=("roles", "tags", "identities"))
"""``relcore_customers``; roles, tags and identities have tables of their own."""

CONTACTS: RowCodec[Contact] = RowCodec(contacts, Contact, apart=("points",))
"""``relcore_contacts``; the points have a table of their own."""


# the row classes below are built by the hundred thousand in a bulk import and encoded at once:
# plain slotted classes, whose __init__ is cheaper than a frozen one's


@attrs.define
class RoleRow:
    """A row of ``relcore_customer_roles``: one role of a customer."""

    customer_id: UUID
    role: str


@attrs.define
class TagRow:
    """A row of ``relcore_customer_tags``: one tag of a customer."""

    customer_id: UUID
    tag: str


@attrs.define
class IdentityRow:
    """A row of ``relcore_identities``: one external identity of a customer."""

    namespace: str
    value: str
    customer_id: UUID


@attrs.define
class PointRow:
    """A row of ``relcore_contact_points``: the point at ``position`` of a contact (see `point_rows`)."""

    contact_id: UUID
    position: int
    kind: str
    value: str
    lookup_key: str
    is_primary: bool
    is_verified: bool
    label: str | None
    address: dict[str, Any] | None


ROLES: RowCodec[RoleRow] = RowCodec(customer_roles, RoleRow)
"""``relcore_customer_roles``."""
TAGS: RowCodec[TagRow] = RowCodec(customer_tags, TagRow)
"""``relcore_customer_tags``."""
IDENTITIES: RowCodec[IdentityRow] = RowCodec(identities, IdentityRow)
"""``relcore_identities``."""
POINTS: RowCodec[PointRow] = RowCodec(contact_points, PointRow)
"""``relcore_contact_points``."""


def customer_parts(c: Customer) -> tuple[list[RoleRow], list[TagRow], list[IdentityRow]]:
    """Return the rows a customer has in its role, tag and identity tables."""
    cid = c.id
    return (
        [RoleRow(cid, r) for r in sorted(map(str, c.roles))],
        [TagRow(cid, t) for t in sorted(c.tags)],
        [IdentityRow(i.namespace, i.value, cid) for i in c.identities],
    )


def point_parts(c: Contact) -> list[PointRow]:
    """Return the ``relcore_contact_points`` rows of a contact, in order (as `point_rows`)."""
    cid = c.id
    return [
        PointRow(
            cid, i, p.kind.value, p.value, p.key, p.primary, p.verified, p.label, _address_json(p.address)
        )
        for i, p in enumerate(c.points)
    ]
