"""Segment use cases: define, list members, explain, refresh; ports only.

A refresh compares a segment's live membership with the stored one, stores
the new one, and records a [`SegmentEntered`][relcore.domain.SegmentEntered] or
[`SegmentLeft`][relcore.domain.SegmentLeft] event per change, delivered after the
commit like every other event: the hook for campaigns and plugins.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

import attrs

from relcore._kernel.checks import check_datetime
from relcore.errors import NotFoundError, ValidationError
from relcore.ids import CustomerId, SegmentId
from relcore.segments import Catalogue, Explanation, Rule, explain, validate
from relcore.segments._views import UnitOfWorkViews
from relcore.segments.model import Segment, SegmentEntered, SegmentKind, SegmentLeft
from relcore.segments.ports import SegmentsWork

__all__ = [
    "RefreshResult",
    "change_list",
    "define_segment",
    "explain_membership",
    "find_segment",
    "refresh_segment",
    "segment_members",
]


@attrs.frozen
class RefreshResult:
    """What one segment refresh changed.

    Attributes:
        segment: The segment as stored after the refresh.
        entered: Customers who became members, in id order.
        left: Customers who stopped being members, in id order.
        size: Members after the refresh.
    """

    segment: Segment
    entered: tuple[CustomerId, ...]
    left: tuple[CustomerId, ...]
    size: int


def find_segment(uow: SegmentsWork, segment: Segment | SegmentId | str) -> Segment:
    """Return the stored segment named by a [`Segment`][relcore.segments.Segment], an id or a name."""
    if isinstance(segment, Segment):
        return uow.segments.get(segment.id)
    if isinstance(segment, str):
        found = uow.segments.find_by_name(segment)
        if found is None:
            raise NotFoundError("segment", segment)
        return found
    return uow.segments.get(segment)


def define_segment(uow: SegmentsWork, segment: Segment, catalogue: Catalogue) -> Segment:
    """Store a new segment after checking its rule; a snapshot is computed now.

    A snapshot's membership is computed at its ``frozen_at`` and stored; a
    dynamic segment's stored membership starts empty until its first refresh.
    """
    if not isinstance(segment, Segment):
        raise ValidationError.single("segment", f"expected a Segment, got {type(segment).__name__}")
    if segment.rule is not None:
        segment = attrs.evolve(segment, rule=validate(segment.rule, catalogue))
    uow.segments.add(segment)
    if segment.kind is SegmentKind.SNAPSHOT:
        assert segment.rule is not None
        assert segment.frozen_at is not None
        members = list(uow.segments.members(segment.rule, segment.frozen_at, catalogue=catalogue))
        uow.segments.change_members(segment.id, add=members, at=segment.frozen_at)
        for customer_id in members:
            uow.record(SegmentEntered(segment.id, customer_id, segment.frozen_at))
    return segment


def segment_members(
    uow: SegmentsWork, target: Rule | Segment | SegmentId | str, as_of: datetime, catalogue: Catalogue
) -> Iterator[CustomerId]:
    """Yield member ids in id order: live for a rule or a dynamic segment, stored otherwise."""
    rule = _rule_of(uow, target)
    if isinstance(rule, Segment):
        yield from uow.segments.stored_members(rule.id)
    else:
        yield from uow.segments.members(rule, as_of, catalogue=catalogue)


def explain_membership(
    uow: SegmentsWork,
    target: Rule | Segment | SegmentId | str,
    customer_id: CustomerId,
    as_of: datetime,
    catalogue: Catalogue,
) -> Explanation:
    """Explain, leaf by leaf, whether the customer matches the rule at ``as_of``.

    For a snapshot this is what its rule says of today's data at ``as_of``:
    the customer's own fields are not kept historically, so why the snapshot
    took or left someone at ``frozen_at`` cannot be replayed.
    """
    if _is_rule(target):
        rule: Rule = target  # type: ignore[assignment]
    else:
        segment = find_segment(uow, target)  # type: ignore[arg-type]
        if segment.rule is None:
            raise ValidationError.single("segment", "a static segment is a list; it has no rule to explain")
        rule = segment.rule
    view = UnitOfWorkViews(uow).view(customer_id, catalogue.histories.values())
    return explain(rule, view, as_of, catalogue=catalogue)


def refresh_segment(
    uow: SegmentsWork, target: Segment | SegmentId | str, as_of: datetime, catalogue: Catalogue
) -> RefreshResult:
    """Bring a dynamic segment's stored membership up to ``as_of``, recording the changes.

    Static and snapshot segments do not change: their result is empty.
    """
    moment = check_datetime("as_of", as_of)
    segment = find_segment(uow, target)
    if segment.kind is not SegmentKind.DYNAMIC:
        return RefreshResult(segment, (), (), len(uow.segments.stored_members(segment.id)))
    assert segment.rule is not None
    # the store compares live and stored membership itself (set operations in SQL)
    change = uow.segments.refresh_members(segment.id, segment.rule, moment, catalogue=catalogue)
    for customer_id in change.entered:
        uow.record(SegmentEntered(segment.id, customer_id, moment))
    for customer_id in change.left:
        uow.record(SegmentLeft(segment.id, customer_id, moment))
    saved = uow.segments.save(attrs.evolve(segment, refreshed_at=moment))
    return RefreshResult(saved, change.entered, change.left, change.size)


def change_list(
    uow: SegmentsWork,
    target: Segment | SegmentId | str,
    *,
    add: Iterable[CustomerId] = (),
    remove: Iterable[CustomerId] = (),
    at: datetime,
) -> RefreshResult:
    """Add customers to and remove them from a static segment, recording the changes."""
    segment = find_segment(uow, target)
    if segment.kind is not SegmentKind.STATIC:
        raise ValidationError.single(
            "segment", f"only a static segment is changed by hand, not a {segment.kind.value} one"
        )
    moment = check_datetime("at", at)
    adding, removing = list(add), list(remove)
    before: set[CustomerId] = set(uow.segments.stored_members(segment.id))
    uow.segments.change_members(segment.id, add=adding, remove=removing, at=moment)
    after: set[CustomerId] = set(uow.segments.stored_members(segment.id))
    entered, left = tuple(sorted(after - before)), tuple(sorted(before - after))
    for customer_id in entered:
        uow.record(SegmentEntered(segment.id, customer_id, moment))
    for customer_id in left:
        uow.record(SegmentLeft(segment.id, customer_id, moment))
    return RefreshResult(segment, entered, left, len(after))


def _is_rule(target: object) -> bool:
    from relcore.segments import Aggregate, And, Condition, Not, Or

    return isinstance(target, And | Or | Not | Condition | Aggregate)


def _rule_of(uow: SegmentsWork, target: Rule | Segment | SegmentId | str) -> Rule | Segment:
    """The rule to run live, or the segment whose stored membership is the answer."""
    if _is_rule(target):
        return target  # type: ignore[return-value]
    segment = find_segment(uow, target)  # type: ignore[arg-type]
    if segment.kind is SegmentKind.DYNAMIC and segment.rule is not None:
        return segment.rule
    return segment
