"""The field catalogue: the only names a rule may use.

A rule from an untrusted source can name nothing but what is listed here.
The default catalogue holds the customer's own fields, one consent field per
purpose and channel (``consent.marketing.email``: "may we contact them for
marketing by e-mail at ``as_of``?") and nothing else; the values a host
declares in its [Vocabularies][relcore.vocabularies.Vocabularies] (channels,
purposes, touchpoint kinds, stages, roles) join the built-in ones through
[`Catalogue.with_vocabularies`][relcore.segments.Catalogue.with_vocabularies], which a
[CRM][relcore.crm.CRM] does with its own; custom attributes are
declared with their type by [`Catalogue.with_attributes`][relcore.segments.Catalogue.with_attributes]. The
relationship-value metrics a value refresh stores are fields too
(``metrics.clv``, ``metrics.probability_alive``, ``metrics.tier``...; see
[`relcore.domain.METRIC_TYPES`][]), unset for customers without
stored metrics.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

import attrs

from relcore._kernel.checks import exact_str, shown_name
from relcore._kernel.declarations import History
from relcore.activity.ports import TOUCHPOINT_HISTORY, TRANSACTION_HISTORY
from relcore.consent.model import ConsentStatus
from relcore.customers.model import PartyType
from relcore.errors import InvalidRuleError
from relcore.value.model import METRIC_TYPES
from relcore.vocabularies import DEFAULT_VOCABULARIES, Vocabularies

__all__ = [
    "DEFAULT_CATALOGUE",
    "HISTORY_NAME",
    "Catalogue",
    "FieldSource",
    "FieldSpec",
    "FieldType",
]

_ = ConsentStatus  # consent fields are computed from the ledger's statuses


class FieldType(StrEnum):
    """The type of a field, which decides its operators and values."""

    TEXT = "text"
    CHOICE = "choice"
    """Text from a fixed list (an enum, a currency code)."""
    NUMBER = "number"
    MONEY = "money"
    """An exact amount (`Decimal`) in a known currency."""
    BOOL = "bool"
    DATETIME = "datetime"
    TAGS = "tags"
    ID = "id"
    """A UUID, compared by ``==``, ``!=``, ``in`` and ``not in``."""


class FieldSource(StrEnum):
    """Where a field's value comes from."""

    COLUMN = "column"
    """A plain field of the customer (or of the event)."""
    TAGS = "tags"
    ROLES = "roles"
    """The customer's relationship roles, tested like tags (``roles has tag "partner"``)."""
    ATTRIBUTE = "attribute"
    """A key of the customer's custom ``attributes``."""
    CONSENT = "consent"
    """``may_contact(purpose, channel)`` at ``as_of``, from the consent ledger."""
    METRIC = "metric"
    """A stored relationship-value metric."""


@attrs.frozen
class FieldSpec:
    """What the catalogue knows about one field.

    Attributes:
        name: The name rules use.
        type: Its type.
        source: Where its value comes from.
        nullable: Whether it can be unset (``is set`` / ``is not set`` apply).
        choices: The allowed values of a ``CHOICE`` field.
        key: The attribute key, metric name, or ``(purpose, channel)`` as
            ``"purpose.channel"``: the part of the name after the prefix.
    """

    name: str
    type: FieldType
    source: FieldSource = FieldSource.COLUMN
    nullable: bool = False
    choices: tuple[str, ...] = ()
    key: str = ""


def _choice(name: str, values: object, *, nullable: bool = False) -> FieldSpec:
    return FieldSpec(name, FieldType.CHOICE, nullable=nullable, choices=tuple(str(v) for v in values))  # type: ignore[attr-defined]


def _fields(*specs: FieldSpec) -> Mapping[str, FieldSpec]:
    return MappingProxyType({spec.name: spec for spec in specs})


_CUSTOMER_FIELDS = _fields(
    _choice("type", PartyType),
    FieldSpec("name", FieldType.TEXT),
    FieldSpec("stage", FieldType.CHOICE),  # choices: the catalogue's vocabularies
    FieldSpec("roles", FieldType.TAGS, FieldSource.ROLES),  # choices: the catalogue's vocabularies
    FieldSpec("tags", FieldType.TAGS, FieldSource.TAGS),
    FieldSpec("country", FieldType.TEXT, nullable=True),
    FieldSpec("created_at", FieldType.DATETIME),
    FieldSpec("updated_at", FieldType.DATETIME),
)


def _frozen(value: Mapping[str, FieldType]) -> Mapping[str, FieldType]:
    return MappingProxyType(dict(value))


def _histories(value: object) -> Mapping[str, History]:
    if isinstance(value, Mapping):
        value = tuple(value.values())
    if not isinstance(value, tuple | list) or not all(isinstance(h, History) for h in value):
        raise InvalidRuleError.single("histories", "expected History declarations")
    found: dict[str, History] = {}
    for history in value:
        if not _KEY.fullmatch(history.name) or history.name in _RESERVED:
            raise InvalidRuleError.single("histories", f"{shown_name(history.name)} cannot name a history")
        found[history.name] = history
    return MappingProxyType(found)


_RESERVED = frozenset({"all", "any", "not", "and", "or", "true", "false"})


_KEY = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
HISTORY_NAME = _KEY
"""What a history's name looks like: a lower-case identifier."""
_DECLARABLE = (FieldType.TEXT, FieldType.NUMBER, FieldType.BOOL)


@attrs.frozen
class Catalogue:
    """The fields rules may use, with their types.

    Immutable: the ``with_*`` methods return a new catalogue.

    Attributes:
        attributes: Declared custom attribute keys and their types.
        vocabularies: The values of stages, roles, channels, purposes and
            touchpoint kinds that rules may name (built-in and declared).
        histories: The histories aggregates may summarise, by name: the
            registered ones ([relcore.registry.histories][]) once a
            [CRM][relcore.crm.CRM] has built its catalogue; touchpoints and
            transactions in the default one.

    Example:
        >>> from relcore.segments import DEFAULT_CATALOGUE
        >>> catalogue = DEFAULT_CATALOGUE.with_attributes(plan="text", seats="number")
        >>> print(catalogue.field("attributes.seats").type)
        number
    """

    attributes: Mapping[str, FieldType] = attrs.field(factory=dict, converter=_frozen)
    vocabularies: Vocabularies = attrs.field(default=DEFAULT_VOCABULARIES)
    histories: Mapping[str, History] = attrs.field(
        default=(TOUCHPOINT_HISTORY, TRANSACTION_HISTORY), converter=_histories
    )

    @vocabularies.validator
    def _check_vocabularies(self, _: object, value: object) -> None:
        if not isinstance(value, Vocabularies):
            raise InvalidRuleError.single(
                "vocabularies", f"expected Vocabularies, got {type(value).__name__}"
            )

    def with_vocabularies(self, vocabularies: Vocabularies) -> Catalogue:
        """Return this catalogue knowing the values ``vocabularies`` declare.

        Example:
            >>> from relcore import Vocabularies
            >>> from relcore.segments import DEFAULT_CATALOGUE
            >>> catalogue = DEFAULT_CATALOGUE.with_vocabularies(Vocabularies(channels=["whatsapp"]))
            >>> print(catalogue.field("consent.marketing.whatsapp").type)
            bool
        """
        return attrs.evolve(self, vocabularies=vocabularies)

    def with_histories(self, *histories: History) -> Catalogue:
        """Return this catalogue knowing ``histories`` too (one of the same name is replaced).

        Example:
            >>> from relcore import registry
            >>> from relcore.segments import DEFAULT_CATALOGUE
            >>> catalogue = DEFAULT_CATALOGUE.with_histories(*registry.histories())
            >>> print(", ".join(list(catalogue.histories)[:3]))
            touchpoints, transactions, opportunities
        """
        return attrs.evolve(self, histories=(*self.histories.values(), *histories))

    def with_attributes(self, **types: FieldType | str) -> Catalogue:
        """Declare custom attribute keys, each ``text``, ``number`` or ``bool``.

        A stored attribute whose JSON value is not of the declared type
        counts as unset. Keys are lower-case identifiers.
        """
        return attrs.evolve(self, attributes=dict(self.attributes) | _declare("attribute", types))

    def field(self, name: object, path: str = "field") -> FieldSpec:
        """Return the customer field called ``name``.

        Raises:
            InvalidRuleError: No such field in this catalogue.
        """
        if not isinstance(name, str):
            raise InvalidRuleError.single(path, f"expected a field name, got {type(name).__name__}")
        name = exact_str(name)
        spec = _CUSTOMER_FIELDS.get(name)
        if spec is not None:
            if name == "stage":
                return attrs.evolve(spec, choices=self.vocabularies.stages.values)
            if name == "roles":
                return attrs.evolve(spec, choices=self.vocabularies.roles.values)
            return spec
        prefix, _, key = name.partition(".")
        if prefix == "attributes" and key in self.attributes:
            return FieldSpec(name, self.attributes[key], FieldSource.ATTRIBUTE, nullable=True, key=key)
        if prefix == "metrics" and key in METRIC_TYPES:
            return FieldSpec(name, FieldType(METRIC_TYPES[key]), FieldSource.METRIC, nullable=True, key=key)
        if prefix == "consent":
            purpose, _, channel = key.partition(".")
            if purpose in self.vocabularies.purposes and channel in self.vocabularies.channels:
                return FieldSpec(name, FieldType.BOOL, FieldSource.CONSENT, key=key)
        raise InvalidRuleError.single(path, f"unknown field {shown_name(name)}")

    def names(self) -> list[str]:
        """Every field name a rule may use on this catalogue, sorted."""
        names = [*_CUSTOMER_FIELDS, *(f"attributes.{k}" for k in self.attributes)]
        names += [f"metrics.{k}" for k in METRIC_TYPES]
        vocabularies = self.vocabularies
        names += [f"consent.{p}.{c}" for p in vocabularies.purposes for c in vocabularies.channels]
        return sorted(names)

    def history(self, name: object, path: str = "events") -> History:
        """Return the history called ``name``.

        Raises:
            InvalidRuleError: No such history in this catalogue.
        """
        found = self.histories.get(exact_str(name)) if isinstance(name, str) else None
        if found is None:
            raise InvalidRuleError.single(path, f"unknown history {shown_name(name)}")
        return found

    def event_field(self, history: History, name: object, path: str) -> FieldSpec:
        """Return the field ``name`` of ``history``'s entries, its choices extended by the declared values.

        Raises:
            InvalidRuleError: No such field.
        """
        declared = history.field(exact_str(name)) if isinstance(name, str) else None
        if declared is None:
            raise InvalidRuleError.single(path, f"unknown {history.name} field {shown_name(name)}")
        choices = declared.choices
        if declared.vocabulary:
            choices = getattr(self.vocabularies, declared.vocabulary).values
        return FieldSpec(declared.name, FieldType(declared.type), nullable=declared.nullable, choices=choices)


def _declare(what: str, types: Mapping[str, FieldType | str]) -> dict[str, FieldType]:
    declared: dict[str, FieldType] = {}
    for key, kind in types.items():
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise InvalidRuleError.single(what, f"key {shown_name(key)} is not a lower-case identifier")
        try:
            declared[key] = FieldType(exact_str(kind)) if isinstance(kind, str) else FieldType.DATETIME
        except ValueError:
            declared[key] = FieldType.DATETIME  # any non-declarable type; refused below
        if declared[key] not in _DECLARABLE:
            allowed = ", ".join(t.value for t in _DECLARABLE)
            raise InvalidRuleError.single(
                f"{what}.{key}", f"unknown or undeclarable type; use one of {allowed}"
            )
    return declared


DEFAULT_CATALOGUE = Catalogue()
"""Customer fields and consent; no custom attributes or metrics declared."""
