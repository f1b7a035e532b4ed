"""Declarations: what a context tells the rest of relcore about its storage.

A context declares each of its storage ports once, in its ``ports`` module:
its name (the unit of work's attribute), its protocol, and its two adapters
named by dotted path (``"package.module:Name"``, imported only when a unit of
work first uses them). An [`Aggregate`][relcore.registry.Aggregate]
adds what the generic machinery needs to know about the entity it stores.
A [`Context`][relcore.registry.Context] gathers a context's ports,
events and entities; the registry ([`relcore.registry`][]) lists the contexts,
and every list that used to be kept by hand is derived from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

import attrs

__all__ = [
    "GENERIC_MEMORY",
    "GENERIC_SQL",
    "Aggregate",
    "Context",
    "History",
    "HistoryField",
    "Money",
    "Port",
]

R = TypeVar("R")


@attrs.frozen
class Port(Generic[R]):
    """A storage port: a protocol a unit of work serves under ``name``.

    Attributes:
        name: The unit of work's attribute (``uow.customers``); unique across contexts.
        protocol: The protocol the adapters implement.
        memory: Dotted path of the memory adapter's class; it is built with the memory session.
            Empty for an aggregate served by the generic memory repository.
        sql: Dotted path of the SQL adapter's class; it is built with the SQL unit of work.
            Empty for an aggregate served by the generic SQL repository.
    """

    name: str
    protocol: type[R]
    memory: str = ""
    sql: str = ""

    def adapter(self, kind: str) -> str:
        """The dotted path of the ``"memory"`` or ``"sql"`` adapter."""
        return str(getattr(self, kind))


GENERIC_MEMORY = "relcore.storage.memory.generic:MemoryRepository"
"""The generic memory adapter of an aggregate."""

GENERIC_SQL = "relcore.storage.sql.generic:SqlRepository"
"""The generic SQL adapter of an aggregate."""


@attrs.frozen
class Aggregate(Port[R]):
    """A port that stores one aggregate's entities.

    Attributes:
        entity: The entity class (an attrs class with an ``id``).
        owner: The field naming the customer that owns each entity, if any.
        references: Other fields naming stored entities, as ``(field, port name)`` pairs.
        unique: Fields whose values (together) identify an entity, besides its id;
            an ``add`` of a stored key is idempotent or refused, as the protocol says.
        versioned: Whether saves are version-checked (the entity has a ``version``).
        append_only: Whether stored entities are never changed: a ledger or a history,
            corrected by adding an entity, never by saving one (``save`` refuses).
        table: Dotted path of its ``sa.Table``, for the generic SQL repository
            ([`SqlRepository`][relcore.storage.sql.generic.SqlRepository]).

    An aggregate whose adapters are not named gets the generic ones:
    [`MemoryRepository`][relcore.storage.memory.generic.MemoryRepository] and
    [`SqlRepository`][relcore.storage.sql.generic.SqlRepository], which implement
    [`AggregateRepository`][relcore.storage.base.AggregateRepository] from the
    declaration alone.
    """

    entity: type = attrs.field(kw_only=True)
    owner: str | None = attrs.field(default="customer_id", kw_only=True)
    references: tuple[tuple[str, str], ...] = attrs.field(default=(), kw_only=True)
    unique: tuple[tuple[str, ...], ...] = attrs.field(default=(), kw_only=True)
    versioned: bool = attrs.field(default=False, kw_only=True)
    append_only: bool = attrs.field(default=False, kw_only=True)
    table: str | None = attrs.field(default=None, kw_only=True)

    def adapter(self, kind: str) -> str:
        """The dotted path of the ``"memory"`` or ``"sql"`` adapter: the generic one when none is named."""
        named = str(getattr(self, kind))
        return named or (GENERIC_MEMORY if kind == "memory" else GENERIC_SQL)

    @property
    def label(self) -> str:
        """The entity's name in messages: ``"note"`` for the ``notes`` port."""
        return self.name[:-1] if self.name.endswith("s") else self.name


FIELD_TYPES = ("text", "choice", "number", "money", "bool", "datetime", "id")
"""The types a history field may have (the rule language's field types, less tags)."""


def _field_type(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in FIELD_TYPES:
        raise ValueError(f"{attribute.name}: {value!r} is not one of {', '.join(FIELD_TYPES)}")


def _texts(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


@attrs.frozen
class HistoryField:
    """A field of a history's entries that rules may test in ``where`` conditions.

    Attributes:
        name: The entity's attribute, and the name rules use (``channel``).
        type: One of ``text``, ``choice``, ``number``, ``money``, ``bool``,
            ``datetime`` or ``id``.
        nullable: Whether it can be unset (``is set`` / ``is not set`` apply).
        choices: The built-in values of a ``choice`` field.
        vocabulary: The [Vocabularies][relcore.vocabularies.Vocabularies]
            attribute whose values (built-in and declared) are the field's
            choices, e.g. ``"channels"``; empty for a fixed list.
        column: Its SQL column, when it is not named like the field.
    """

    name: str
    type: str = attrs.field(validator=_field_type)
    nullable: bool = attrs.field(default=False, kw_only=True)
    choices: tuple[str, ...] = attrs.field(default=(), kw_only=True, converter=_texts)
    vocabulary: str = attrs.field(default="", kw_only=True)
    column: str = attrs.field(default="", kw_only=True)

    @property
    def sql_column(self) -> str:
        """The name of its SQL column."""
        return self.column or self.name


@attrs.frozen
class Money:
    """Where a history's entries keep an exact amount, which ``sum`` and ``average`` add up.

    Attributes:
        amount: The entity's `Decimal` amount field (a ``money`` field of the history).
        currency: The entity's ISO 4217 currency field; a sum or average needs a
            ``currency == "EUR"`` condition, and never adds two currencies.
        column: The SQL column holding the amount in integer minor units.
    """

    amount: str = "amount"
    currency: str = "currency"
    column: str = "amount_minor"


@attrs.frozen
class History:
    """A history the rule language can summarise: ``touchpoints(...)``, ``notes(...)``.

    A context registers its histories in its [Context][relcore.registry.Context];
    a rule names one (``notes(source == "web").within(days=30).count() >= 1``),
    the in-memory evaluator reads the customer's entries through the
    aggregate's repository, and the SQL compiler reads the aggregate's table.

    Attributes:
        name: The name rules use; a lower-case identifier.
        aggregate: The aggregate whose entities are the entries; its owner
            field names the customer, its ``table`` is read by SQL rules.
        fields: The fields ``where`` conditions may test.
        time: The field (and column) saying when an entry happened: windows,
            ``first`` and ``last`` use it.
        money: Where the amount is, for ``sum`` and ``average``; ``None``
            allows ``count``, ``first`` and ``last`` only.
    """

    name: str
    aggregate: Aggregate[Any]
    fields: tuple[HistoryField, ...]
    time: str = "occurred_at"
    money: Money | None = None

    def field(self, name: str) -> HistoryField | None:
        """The field called ``name``, if the history has one."""
        return next((f for f in self.fields if f.name == name), None)


@attrs.frozen
class Context:
    """One part of the CRM, as the registry sees it.

    Attributes:
        name: The context's package name (``"customers"``) and facade namespace.
        ports: Its storage ports, aggregates first.
        events: Its domain event classes.
        values: Other attrs classes it exchanges as JSON (value objects, results).
        contracts: Dotted paths of its contract test classes, which every backend must pass.
        snapshot: Dotted path of a function ``(uow, customers) -> dict`` reading everything the
            context stores about those customers (and beyond), for rollback checks.
        histories: The histories of its aggregates that segment rules may summarise.
        examples: For each aggregate held to the generic aggregate contract, its port name and
            the dotted path of a test factory making a new entity (``make(owner_id, key=None,
            **fields)``); every backend's contract suite then runs that contract on it.
    """

    name: str
    ports: tuple[Port[Any], ...] = ()
    events: tuple[type, ...] = ()
    values: tuple[type, ...] = ()
    contracts: tuple[str, ...] = ()
    snapshot: str | None = None
    histories: tuple[History, ...] = ()
    examples: tuple[tuple[str, str], ...] = ()

    @property
    def aggregates(self) -> tuple[Aggregate[Any], ...]:
        """The ports that store aggregates."""
        return tuple(p for p in self.ports if isinstance(p, Aggregate))
