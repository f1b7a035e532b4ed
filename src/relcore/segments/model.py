# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Segments the CRM keeps: a name, a kind and (usually) a rule."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent
from relcore.clock import system_clock
from relcore.customers.model import version_converter
from relcore.ids import CustomerId, SegmentId, new_id
from relcore.segments.rules.nodes import Aggregate, And, Condition, Not, Or, Rule

__all__ = ["Segment", "SegmentEntered", "SegmentKind", "SegmentLeft"]

_RULE_TYPES = (And, Or, Not, Condition, Aggregate)


class SegmentKind(StrEnum):
    """How a segment's membership is decided."""

    DYNAMIC = "dynamic"
    """By its rule, whenever asked; a refresh records changes as events."""
    STATIC = "static"
    """A list kept by hand: customers are added and removed explicitly."""
    SNAPSHOT = "snapshot"
    """By its rule once, at ``frozen_at``; the membership then never changes."""


def _rule(value: object, field: attrs.Attribute) -> Rule | None:  # type: ignore[type-arg]
    if value is not None and not isinstance(value, _RULE_TYPES):
        raise check.fail(field.name, f"expected a rule, got {type(value).__name__}")
    return value


@attrs.frozen(kw_only=True)
class Segment:
    """A named group of customers.

    Attributes:
        id: Time-ordered UUID.
        name: Unique name (1-200 characters).
        kind: Dynamic, static list, or snapshot.
        rule: The rule of a dynamic or snapshot segment; ``None`` for a static one.
        description: Free description.
        frozen_at: When a snapshot's membership was computed; ``None`` otherwise.
        refreshed_at: When the stored membership was last brought up to date.
        created_at: When the segment was defined.
        updated_at: When it was last saved.
        version: Stored version, for optimistic concurrency.

    Example:
        >>> from relcore.segments import Segment, field
        >>> regulars = Segment(name="regulars", kind="dynamic", rule=field("tags").has_tag("regular"))
        >>> print(regulars.kind)
        dynamic
    """

    id: SegmentId = attrs.field(factory=lambda: SegmentId(new_id()), converter=check.uuid)
    name: str = attrs.field(converter=check.text(200))
    kind: SegmentKind = attrs.field(converter=check.enum_converter(SegmentKind))
    rule: Rule | None = attrs.field(default=None, converter=attrs.Converter(_rule, takes_field=True))
    description: str | None = attrs.field(default=None, converter=check.optional_text(1000))
    frozen_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    refreshed_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    updated_at: datetime = attrs.field(converter=check.aware)
    version: int = attrs.field(default=1, converter=version_converter)

    @updated_at.default
    def _updated_default(self) -> datetime:
        return self.created_at

    def __attrs_post_init__(self) -> None:
        if self.kind is SegmentKind.STATIC and self.rule is not None:
            raise check.fail("rule", "a static segment is a list kept by hand; it has no rule")
        if self.kind is not SegmentKind.STATIC and self.rule is None:
            raise check.fail("rule", f"a {self.kind.value} segment needs a rule")
        if (self.kind is SegmentKind.SNAPSHOT) != (self.frozen_at is not None):
            raise check.fail("frozen_at", "set for snapshot segments, and only for them")
        if self.updated_at < self.created_at:
            raise check.fail("updated_at", "must not be earlier than created_at")


@attrs.frozen
class SegmentEntered(DomainEvent):
    """A customer became a member of a segment (found by a refresh, or added to a list)."""

    segment_id: SegmentId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    as_of: datetime = attrs.field(converter=check.aware)


@attrs.frozen
class SegmentLeft(DomainEvent):
    """A customer stopped being a member of a segment."""

    segment_id: SegmentId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    as_of: datetime = attrs.field(converter=check.aware)
