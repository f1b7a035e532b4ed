"""Open vocabularies: the values a CRM accepts for channels, purposes, touchpoint kinds, stages and roles.

Each vocabulary has built-in values (the members of
[Channel][relcore.domain.Channel], [Purpose][relcore.domain.Purpose],
[TouchpointKind][relcore.domain.TouchpointKind],
[LifecycleStage][relcore.domain.LifecycleStage] and
[RelationshipKind][relcore.domain.RelationshipKind]) and accepts more that a
host declares when it builds its CRM:

    >>> from relcore import CRM, Vocabularies
    >>> vocabularies = Vocabularies(channels=["whatsapp"], roles=["franchisee"])
    >>> crm = CRM.in_memory(vocabularies=vocabularies)
    >>> "whatsapp" in crm.vocabularies.channels, "telegram" in crm.vocabularies.channels
    (True, False)

Entities accept any well-formed token (built-in values become enum members,
declared ones stay `str`); the CRM's facade refuses, with a
[ValidationError][relcore.errors.ValidationError] naming the field, a value
its vocabularies do not declare, before it touches the store. Declared values
are stored as text like built-in ones, and segment rules may use them: the
CRM's [catalogue][relcore.crm.CRM.catalogue] knows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from typing import Generic, TypeVar

import attrs

from relcore._kernel.tokens import TOKEN_RULE, is_token
from relcore._kernel.untrusted import exact_str, fail, kind
from relcore.activity.model import TouchpointKind
from relcore.consent.model import Purpose
from relcore.customers.model import Channel, LifecycleStage, RelationshipKind
from relcore.errors import ValidationError

__all__ = ["DEFAULT_VOCABULARIES", "CaseType", "Vocabularies", "Vocabulary"]

E = TypeVar("E", bound=StrEnum)


class CaseType(StrEnum):
    """What a service case is about.

    The built-in types (after Zendesk's ticket types, with complaints apart);
    a CRM accepts more that its host declares
    ([Vocabularies][relcore.vocabularies.Vocabularies]).
    """

    QUESTION = "question"
    """The customer asks something."""
    INCIDENT = "incident"
    """Something stopped working for this customer."""
    PROBLEM = "problem"
    """The cause behind several incidents."""
    COMPLAINT = "complaint"
    """The customer is unhappy with us."""
    REQUEST = "request"
    """The customer wants something done (a change, a refund, a document)."""


@attrs.frozen
class Vocabulary(Generic[E]):
    """One open vocabulary: its built-in values and the values a host declared.

    Attributes:
        builtin: The enum of built-in values.
        declared: The values the host declared, beyond the built-in ones.
    """

    builtin: type[E]
    declared: frozenset[str] = frozenset()

    @property
    def values(self) -> tuple[str, ...]:
        """Every accepted value: the built-in ones in enum order, then the declared ones sorted."""
        return (*(m.value for m in self.builtin), *sorted(self.declared))

    def __contains__(self, value: object) -> bool:
        if isinstance(value, self.builtin):
            return True
        if not isinstance(value, str):
            return False
        text = exact_str(value)
        return text in self.declared or any(m.value == text for m in self.builtin)

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.builtin) + len(self.declared)

    def check(self, field: str, value: object) -> None:
        """Raise unless ``value`` is a built-in or declared value.

        Raises:
            ValidationError: Naming ``field``; the message does not repeat the value.
        """
        if value not in self:
            raise fail(field, f"{self.what} not declared: use a built-in one or declare it in Vocabularies")

    def check_all(self, field: str, values: Iterable[object]) -> None:
        """Check each of ``values`` like [check][relcore.vocabularies.Vocabulary.check].

        The error names the first undeclared value by its position in sorted
        order (``field[1]``), as a customer's roles are serialized.
        """
        problems = [f"{field}[{i}]" for i, value in enumerate(sorted(values, key=str)) if value not in self]
        if problems:
            raise ValidationError.single(
                problems[0], f"{self.what} not declared: use a built-in one or declare it in Vocabularies"
            )

    @property
    def what(self) -> str:
        """The vocabulary's name in words (``"channel"``, ``"touchpoint kind"``)."""
        name = self.builtin.__name__
        return "".join(f" {c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _declare(enum: type[E], name: str, value: object) -> Vocabulary[E]:
    if isinstance(value, Vocabulary):
        if value.builtin is not enum:
            raise fail(name, f"expected a vocabulary of {enum.__name__}, got one of {value.builtin.__name__}")
        return value
    if isinstance(value, str | bytes | bytearray | Mapping) or not isinstance(value, Iterable):
        raise fail(name, f"expected a collection of values to declare, got {kind(value)}")
    builtins = {m.value for m in enum}
    declared: set[str] = set()
    for i, item in enumerate(list(value)):
        if not isinstance(item, str):
            raise fail(f"{name}[{i}]", f"expected text, got {kind(item)}")
        text = exact_str(item)
        if not is_token(text):
            raise fail(f"{name}[{i}]", f"not a valid value to declare: {TOKEN_RULE}")
        if text not in builtins:
            declared.add(text)
    return Vocabulary(enum, frozenset(declared))


def _channels(value: object) -> Vocabulary[Channel]:
    return _declare(Channel, "channels", value)


def _purposes(value: object) -> Vocabulary[Purpose]:
    return _declare(Purpose, "purposes", value)


def _touchpoint_kinds(value: object) -> Vocabulary[TouchpointKind]:
    return _declare(TouchpointKind, "touchpoint_kinds", value)


def _stages(value: object) -> Vocabulary[LifecycleStage]:
    return _declare(LifecycleStage, "stages", value)


def _roles(value: object) -> Vocabulary[RelationshipKind]:
    return _declare(RelationshipKind, "roles", value)


def _case_types(value: object) -> Vocabulary[CaseType]:
    return _declare(CaseType, "case_types", value)


@attrs.frozen
class Vocabularies:
    """The open vocabularies of a CRM: built-in values plus those the host declares.

    Immutable. Each argument lists the values to declare beyond the built-in
    ones; a value must be 1-20 lower-case ASCII letters, digits and ``_``,
    starting with a letter. Declaring a built-in value again
    changes nothing.

    Attributes:
        channels: [Channel][relcore.domain.Channel] values (touchpoints,
            transactions, consent, a contact's preferred channel).
        purposes: Consent [Purpose][relcore.domain.Purpose] values.
        touchpoint_kinds: [TouchpointKind][relcore.domain.TouchpointKind] values.
        stages: [LifecycleStage][relcore.domain.LifecycleStage] values.
        roles: [RelationshipKind][relcore.domain.RelationshipKind] values, for
            a customer's [roles][relcore.domain.Customer].
        case_types: [CaseType][relcore.vocabularies.CaseType] values, for a
            service case's type.

    Raises:
        ValidationError: A declared value is not a well-formed token (the
            path names it by position: ``channels[0]``).

    Example:
        >>> v = Vocabularies(channels=["whatsapp"], stages=["onboarding"])
        >>> v.channels.values[-2:]
        ('other', 'whatsapp')
        >>> "onboarding" in v.stages, "email" in v.channels
        (True, True)
    """

    channels: Vocabulary[Channel] = attrs.field(default=(), converter=_channels)
    purposes: Vocabulary[Purpose] = attrs.field(default=(), converter=_purposes)
    touchpoint_kinds: Vocabulary[TouchpointKind] = attrs.field(default=(), converter=_touchpoint_kinds)
    stages: Vocabulary[LifecycleStage] = attrs.field(default=(), converter=_stages)
    roles: Vocabulary[RelationshipKind] = attrs.field(default=(), converter=_roles)
    case_types: Vocabulary[CaseType] = attrs.field(default=(), converter=_case_types)


DEFAULT_VOCABULARIES = Vocabularies()
"""Only the built-in values."""
