"""Translation between entities and table rows.

Customers, contacts and consent records are rebuilt through their normal
constructors: a row that fails validation means the table was edited behind
relcore's back, and the [`ValidationError`][relcore.errors.ValidationError] says which
field. Touchpoints and transactions, read in bulk on timelines and value
jobs, are rebuilt from their typed columns without running the converters
again (they ran when the row was written); that is four times faster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, TypeVar

import attrs

from relcore._kernel.money import from_minor_units
from relcore.domain import (
    Channel,
    ConsentRecord,
    Contact,
    ContactPoint,
    Customer,
    Direction,
    Identity,
    PostalAddress,
    Touchpoint,
    TouchpointKind,
    Transaction,
    TransactionKind,
)

__all__ = [
    "consent_from_row",
    "consent_row",
    "contact_from_row",
    "contact_row",
    "customer_from_row",
    "customer_row",
    "point_rows",
    "touchpoint_from_row",
    "touchpoint_row",
    "transaction_from_row",
    "transaction_row",
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


def consent_row(r: ConsentRecord) -> dict[str, Any]:
    """Return the ``relcore_consents`` row of a consent record."""
    return {
        "id": r.id,
        "customer_id": r.customer_id,
        "purpose": str(r.purpose),
        "channel": None if r.channel is None else str(r.channel),
        "status": r.status.value,
        "recorded_at": r.recorded_at,
        "expires_at": r.expires_at,
        "source": r.source,
        "notice_version": r.notice_version,
    }


def consent_from_row(row: Row) -> ConsentRecord:
    """Rebuild a consent record from its row."""
    return ConsentRecord(**row)


def touchpoint_row(t: Touchpoint) -> dict[str, Any]:
    """Return the ``relcore_touchpoints`` row of a touchpoint."""
    return {
        "id": t.id,
        "customer_id": t.customer_id,
        "contact_id": t.contact_id,
        "channel": str(t.channel),
        "direction": t.direction.value,
        "kind": str(t.kind),
        "occurred_at": t.occurred_at,
        "subject": t.subject,
        "outcome": t.outcome,
        "sentiment": t.sentiment,
        "campaign_id": t.campaign_id,
        "case_id": t.case_id,
        "opportunity_id": t.opportunity_id,
        "payload": t.payload,
        "source": t.source,
        "external_id": t.external_id,
        "recorded_at": t.recorded_at,
    }


E = TypeVar("E")


def _rebuilder(cls: type[E]) -> Callable[[Mapping[str, Any]], E]:
    """Return a function making a ``cls`` from already-valid field values."""
    names = tuple(a.name for a in attrs.fields(cls))  # type: ignore[arg-type]
    new = object.__new__
    set_field = object.__setattr__

    def rebuild(values: Mapping[str, Any]) -> E:
        entity = new(cls)
        for name in names:
            set_field(entity, name, values[name])
        return entity

    return rebuild


def _members(enum: type[Enum]) -> dict[str, Any]:
    return {m.value: m for m in enum}


_CHANNELS = _members(Channel)
_DIRECTIONS = _members(Direction)
_TOUCHPOINT_KINDS = _members(TouchpointKind)
_TRANSACTION_KINDS = _members(TransactionKind)
_rebuild_touchpoint = _rebuilder(Touchpoint)
_rebuild_transaction = _rebuilder(Transaction)


def touchpoint_from_row(row: Row) -> Touchpoint:
    """Rebuild a touchpoint from its row (trusted: written by relcore)."""
    values = dict(row)
    channel, kind = values["channel"], values["kind"]
    values["channel"] = _CHANNELS.get(channel, channel)  # a declared channel stays text
    values["direction"] = _DIRECTIONS[values["direction"]]
    values["kind"] = _TOUCHPOINT_KINDS.get(kind, kind)
    return _rebuild_touchpoint(values)


def transaction_row(t: Transaction) -> dict[str, Any]:
    """Return the ``relcore_transactions`` row of a transaction."""
    return {
        "id": t.id,
        "customer_id": t.customer_id,
        "contact_id": t.contact_id,
        "kind": t.kind.value,
        "amount_minor": t.minor_units,
        "currency": t.currency,
        "quantity": t.quantity,
        "channel": None if t.channel is None else str(t.channel),
        "occurred_at": t.occurred_at,
        "description": t.description,
        "payload": t.payload,
        "source": t.source,
        "external_id": t.external_id,
        "recorded_at": t.recorded_at,
    }


def transaction_from_row(row: Row) -> Transaction:
    """Rebuild a transaction from its row (trusted: written by relcore)."""
    values = dict(row)
    values["amount"] = from_minor_units(values["amount_minor"], values["currency"])
    values["kind"] = _TRANSACTION_KINDS[values["kind"]]
    channel = values["channel"]
    values["channel"] = None if channel is None else _CHANNELS.get(channel, channel)
    return _rebuild_transaction(values)
