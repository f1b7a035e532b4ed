"""The data of a memory store: entities by id and the indexes over them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from relcore.activity.model import Touchpoint, Transaction
from relcore.consent.model import ConsentRecord
from relcore.customers.contacts import Contact
from relcore.customers.model import ContactPointKind, Customer
from relcore.ids import ConsentId, ContactId, CustomerId, SegmentId
from relcore.segments.model import Segment

__all__ = ["ActivityTable", "AggregateTable", "PointKey", "Tables"]

E = TypeVar("E", Touchpoint, Transaction)

PointKey = tuple[ContactPointKind, str]
"""A contact point's lookup key: its kind and [`key`][relcore.domain.ContactPoint.key]."""


class ActivityTable(Generic[E]):
    """Touchpoints or transactions, with their idempotency and customer indexes.

    Attributes:
        rows: Entity by id.
        by_key: Id by ``(source, external_id)``, for rows that have a key.
        by_customer: Ids of each customer's rows, in the order they were added.
    """

    __slots__ = ("by_customer", "by_key", "rows")

    def __init__(self) -> None:
        self.rows: dict[UUID, E] = {}
        self.by_key: dict[tuple[str, str], UUID] = {}
        self.by_customer: dict[CustomerId, list[UUID]] = {}


class AggregateTable:
    """The entities of one generically stored aggregate, with their indexes.

    Attributes:
        rows: Entity by id.
        ids: Every id, sorted (for keyset pages).
        keys: For each unique key (its field names), the id holding each stored value tuple.
        by_owner: Ids of each owner's entities, in id order.
    """

    __slots__ = ("by_owner", "ids", "keys", "rows")

    def __init__(self, unique: tuple[tuple[str, ...], ...]) -> None:
        self.rows: dict[UUID, Any] = {}
        self.ids: list[UUID] = []
        self.keys: dict[tuple[str, ...], dict[tuple[Any, ...], UUID]] = {fields: {} for fields in unique}
        self.by_owner: dict[UUID, list[UUID]] = {}


class Tables:
    """Everything a memory store holds.

    Entities are frozen, so they are stored by reference. The indexes are
    kept in step with the entities by the repositories, through the unit of
    work's undo log.

    Attributes:
        customers: Customer by id.
        customer_ids: Every customer id, sorted (for keyset pages).
        identities: Customer id by ``(namespace, value)`` identity.
        contacts: Contact by id.
        contacts_by_customer: Ids of each customer's contacts.
        contacts_by_point: Ids of the contacts holding each contact point key.
        consents: Consent record by id.
        consents_by_customer: Ids of each customer's consent records.
        touchpoints: The touchpoints and their indexes.
        transactions: The transactions and their indexes.
        segments: Segment by id.
        segment_names: Segment id by name.
        segment_members: Each segment's stored members, with when they entered.
        value: The latest value refresh: ``"run"`` (a ``ValueRun``) and
            ``"metrics"`` (``CustomerMetrics`` by customer id).
        aggregates: The tables of the aggregates stored by the generic repository, by port name.
    """

    __slots__ = (
        "aggregates",
        "consents",
        "consents_by_customer",
        "contacts",
        "contacts_by_customer",
        "contacts_by_point",
        "customer_ids",
        "customers",
        "identities",
        "segment_members",
        "segment_names",
        "segments",
        "touchpoints",
        "transactions",
        "value",
    )

    def __init__(self) -> None:
        self.customers: dict[CustomerId, Customer] = {}
        self.customer_ids: list[CustomerId] = []
        self.identities: dict[tuple[str, str], CustomerId] = {}
        self.contacts: dict[ContactId, Contact] = {}
        self.contacts_by_customer: dict[CustomerId, set[ContactId]] = {}
        self.contacts_by_point: dict[PointKey, set[ContactId]] = {}
        self.consents: dict[ConsentId, ConsentRecord] = {}
        self.consents_by_customer: dict[CustomerId, list[ConsentId]] = {}
        self.touchpoints: ActivityTable[Touchpoint] = ActivityTable()
        self.transactions: ActivityTable[Transaction] = ActivityTable()
        self.segments: dict[SegmentId, Segment] = {}
        self.segment_names: dict[str, SegmentId] = {}
        self.segment_members: dict[SegmentId, dict[CustomerId, datetime]] = {}
        self.value: dict[str, object] = {}
        self.aggregates: dict[str, AggregateTable] = {}

    def aggregate(self, name: str, unique: tuple[tuple[str, ...], ...]) -> AggregateTable:
        """Return the table of the generically stored aggregate ``name``, made on first use."""
        table = self.aggregates.get(name)
        if table is None:
            table = self.aggregates[name] = AggregateTable(unique)
        return table

    def owned(self, port: str, owner_id: UUID) -> list[Any]:
        """The entities stored behind the port named ``port`` that ``owner_id`` owns, in storage order."""
        activity: dict[str, ActivityTable[Any]] = {
            "touchpoints": self.touchpoints,
            "transactions": self.transactions,
        }
        if port in activity:
            table = activity[port]
            return [table.rows[i] for i in table.by_customer.get(CustomerId(owner_id), ())]
        generic = self.aggregates.get(port)
        return [] if generic is None else [generic.rows[i] for i in generic.by_owner.get(owner_id, ())]

    def holds(self, port: str, entity_id: UUID) -> bool:
        """Whether an entity with ``entity_id`` is stored behind the port named ``port``."""
        built_in: dict[str, Any] = {
            "customers": self.customers,
            "contacts": self.contacts,
            "consents": self.consents,
            "touchpoints": self.touchpoints.rows,
            "transactions": self.transactions.rows,
            "segments": self.segments,
        }
        rows = built_in.get(port)
        if rows is None:
            table = self.aggregates.get(port)
            rows = {} if table is None else table.rows
        return entity_id in rows
