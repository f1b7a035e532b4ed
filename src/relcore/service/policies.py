# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""SLA policies: which cases they cover, their targets per priority, their calendar and pauses.

Policies are ordered by ``position``; the first active policy whose
[condition][relcore.service.CaseCondition] a case meets applies to it
(Zendesk's rule: "the first policy whose conditions are satisfied is
applied"). A policy sets, per metric and priority, a target in business
minutes on its [calendar][relcore.service.BusinessCalendar] (or in calendar
minutes), the status categories that pause each metric, and when a running
clock counts as at risk.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

import attrs

from relcore._kernel import checks as check
from relcore._kernel.tokens import check_token
from relcore.clock import system_clock
from relcore.customers.model import Channel, version_converter
from relcore.ids import SegmentId, SlaPolicyId, new_id
from relcore.service.calendars import BusinessCalendar
from relcore.service.model import Case
from relcore.service.statuses import Priority, StatusCategory
from relcore.vocabularies import CaseType

__all__ = [
    "DEFAULT_PAUSES",
    "MAX_TARGET_MINUTES",
    "CaseCondition",
    "SlaMetric",
    "SlaPolicy",
    "SlaPolicyRevision",
    "SlaTarget",
    "first_match",
]

MAX_TARGET_MINUTES = 366 * 24 * 60
"""The longest target: a year of minutes."""


class SlaMetric(StrEnum):
    """What an SLA target measures."""

    FIRST_RESPONSE = "first_response"
    """From the case's start to our first reply on it."""
    NEXT_RESPONSE = "next_response"
    """From each customer message that follows a reply of ours to our next reply."""
    RESOLUTION = "resolution"
    """From the case's start to its solving (reopening resumes it)."""


DEFAULT_PAUSES: Mapping[SlaMetric, tuple[StatusCategory, ...]] = {
    SlaMetric.FIRST_RESPONSE: (),
    SlaMetric.NEXT_RESPONSE: (),
    SlaMetric.RESOLUTION: (StatusCategory.PENDING, StatusCategory.ON_HOLD),
}
"""Pending and on-hold pause resolution, not the response metrics (Zendesk's and Frappe's default)."""


def _minutes(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, maximum=MAX_TARGET_MINUTES)


@attrs.frozen(kw_only=True)
class SlaTarget:
    """One target of a policy: how long a metric may take for cases of one priority.

    Attributes:
        metric: What it measures.
        priority: The priority it is for.
        minutes: How long, in minutes (0 is allowed: due at the start).
        business: Counted in the policy calendar's business time (``True``) or in real time.
    """

    metric: SlaMetric = attrs.field(converter=check.enum_converter(SlaMetric))
    priority: Priority = attrs.field(converter=check.enum_converter(Priority))
    minutes: int = attrs.field(converter=attrs.Converter(_minutes, takes_field=True))
    business: bool = attrs.field(default=True, converter=check.boolean)


def _frozen(field: str, value: object, item: Any) -> frozenset[Any]:
    return frozenset(check.check_tuple(item, field, value))


def _priorities(value: object, field: attrs.Attribute) -> frozenset[Priority]:  # type: ignore[type-arg]
    return _frozen(field.name, value, lambda f, v: check.check_enum(Priority, f, v))


def _channels(value: object, field: attrs.Attribute) -> frozenset[str]:  # type: ignore[type-arg]
    return _frozen(field.name, value, lambda f, v: check_token(Channel, f, v))


def _types(value: object, field: attrs.Attribute) -> frozenset[str]:  # type: ignore[type-arg]
    return _frozen(field.name, value, lambda f, v: check_token(CaseType, f, v))


def _texts(value: object, field: attrs.Attribute) -> frozenset[str]:  # type: ignore[type-arg]
    return _frozen(field.name, value, lambda f, v: check.check_text(f, v, max_len=100))


def _tag_set(value: object, field: attrs.Attribute) -> frozenset[str]:  # type: ignore[type-arg]
    return _frozen(field.name, value, check.check_tag)


def _segments(value: object, field: attrs.Attribute) -> frozenset[SegmentId]:  # type: ignore[type-arg]
    return _frozen(field.name, value, lambda f, v: SegmentId(check.check_uuid(f, v)))


@attrs.frozen(kw_only=True)
class CaseCondition:
    """Which cases a policy covers: every non-empty part must hold (an empty condition covers all).

    Attributes:
        priorities: The case's priority is one of these.
        channels: It came in on one of these channels.
        types: Its type is one of these.
        teams: Its team is one of these.
        tags_any: It has at least one of these tags.
        tags_all: It has all of these tags.
        segments: Its customer is in at least one of these segments (a value tier, "top customers").
    """

    priorities: frozenset[Priority] = attrs.field(
        default=frozenset(), converter=attrs.Converter(_priorities, takes_field=True)
    )
    channels: frozenset[str] = attrs.field(
        default=frozenset(), converter=attrs.Converter(_channels, takes_field=True)
    )
    types: frozenset[str] = attrs.field(
        default=frozenset(), converter=attrs.Converter(_types, takes_field=True)
    )
    teams: frozenset[str] = attrs.field(
        default=frozenset(), converter=attrs.Converter(_texts, takes_field=True)
    )
    tags_any: frozenset[str] = attrs.field(
        default=frozenset(), converter=attrs.Converter(_tag_set, takes_field=True)
    )
    tags_all: frozenset[str] = attrs.field(
        default=frozenset(), converter=attrs.Converter(_tag_set, takes_field=True)
    )
    segments: frozenset[SegmentId] = attrs.field(
        default=frozenset(), converter=attrs.Converter(_segments, takes_field=True)
    )

    def matches(self, case: Case, in_segments: Collection[SegmentId] = ()) -> bool:
        """Whether ``case`` meets the condition, its customer being in the segments ``in_segments``."""
        tags = set(case.tags)
        return (
            (not self.priorities or case.priority in self.priorities)
            and (not self.channels or str(case.channel) in self.channels)
            and (not self.types or str(case.type) in self.types)
            and (not self.teams or case.team in self.teams)
            and (not self.tags_any or not self.tags_any.isdisjoint(tags))
            and self.tags_all <= tags
            and (not self.segments or not self.segments.isdisjoint(in_segments))
        )


def _targets(value: object, field: attrs.Attribute) -> tuple[SlaTarget, ...]:  # type: ignore[type-arg]
    found: dict[tuple[SlaMetric, Priority], SlaTarget] = {}
    targets = check.check_tuple(lambda path, item: _stored(path, item, SlaTarget), field.name, value)
    for i, target in enumerate(targets):
        key = (target.metric, target.priority)
        if key in found:
            raise check.fail(f"{field.name}[{i}]", "a second target for the same metric and priority")
        found[key] = target
    order = {m: i for i, m in enumerate(SlaMetric)}
    return tuple(sorted(found.values(), key=lambda t: (order[t.metric], t.priority.rank)))


def _pauses(value: object, field: attrs.Attribute) -> dict[SlaMetric, tuple[StatusCategory, ...]]:  # type: ignore[type-arg]
    if not isinstance(value, Mapping):
        raise check.fail(
            field.name, f"expected a mapping of metrics to status categories, got {check.kind(value)}"
        )
    found = dict(DEFAULT_PAUSES)
    for key, categories in check.guarded(field.name, lambda: list(value.items())):
        metric = check.check_enum(SlaMetric, field.name, key)
        path = f"{field.name}[{metric.value}]"
        paused = _frozen(path, categories, lambda f, v: check.check_enum(StatusCategory, f, v))
        if any(c.is_solved for c in paused):
            raise check.fail(path, "solved and closed stop a clock; they cannot pause it")
        found[metric] = tuple(c for c in StatusCategory if c in paused)
    return found


def _share(value: object, field: attrs.Attribute) -> Decimal:  # type: ignore[type-arg]
    share = check.decimal_value(field.name, value)
    if not Decimal(0) < share <= Decimal(1) or share.as_tuple().exponent < -4:  # type: ignore[operator]
        raise check.fail(field.name, "expected a share above 0 and at most 1, with at most 4 decimals")
    return share + 0


def _stored(path: str, value: object, cls: type, build: Any = None) -> Any:
    """``value`` if it is a ``cls``; its JSON object form (as stored) rebuilt; else refused."""
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        return check.guarded(path, lambda: (build or (lambda v: cls(**v)))(dict(value)))
    raise check.fail(path, f"expected a {cls.__name__}, got {check.kind(value)}")


def _calendar(value: object, field: attrs.Attribute) -> BusinessCalendar:  # type: ignore[type-arg]
    return _stored(field.name, value, BusinessCalendar)  # type: ignore[no-any-return]


def _condition(value: object, field: attrs.Attribute) -> CaseCondition:  # type: ignore[type-arg]
    return _stored(field.name, value, CaseCondition)  # type: ignore[no-any-return]


def _position(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value)


@attrs.frozen(kw_only=True)
class SlaPolicy:
    """An SLA policy: the cases it covers and the targets their clocks run against.

    Saving a changed policy stores a new version; a case keeps the version
    its clocks started with until it changes so that the policy applies to it
    afresh (a priority change, another policy matching), so editing a policy
    never rewrites running or past clocks.

    Attributes:
        id: Time-ordered UUID.
        name: Unique name.
        position: Its rank: policies are tried from the lowest position; the first match applies.
        active: Whether it applies to new matches.
        condition: The cases it covers.
        calendar: The business hours its business targets count in (24x7 in UTC by default).
        targets: Its targets, one per metric and priority at most; a metric without a
            target for the case's priority has no clock.
        pauses: For each metric, the status categories that pause it
            ([DEFAULT_PAUSES][relcore.service.policies.DEFAULT_PAUSES] for metrics not given).
        at_risk: The share of a target after which a running clock is at risk (0.75: a quarter left).
        created_at: When it was first stored.
        updated_at: When it was last saved (the store's clock).
        version: Stored version, increased by each save; clocks name the version they run on.
    """

    id: SlaPolicyId = attrs.field(factory=lambda: SlaPolicyId(new_id()), converter=check.uuid)
    name: str = attrs.field(converter=check.text(100))
    position: int = attrs.field(default=0, converter=attrs.Converter(_position, takes_field=True))
    active: bool = attrs.field(default=True, converter=check.boolean)
    condition: CaseCondition = attrs.field(
        factory=CaseCondition, converter=attrs.Converter(_condition, takes_field=True)
    )
    calendar: BusinessCalendar = attrs.field(
        factory=BusinessCalendar.always, converter=attrs.Converter(_calendar, takes_field=True)
    )
    targets: tuple[SlaTarget, ...] = attrs.field(converter=attrs.Converter(_targets, takes_field=True))
    pauses: dict[SlaMetric, tuple[StatusCategory, ...]] = attrs.field(
        factory=dict, converter=attrs.Converter(_pauses, takes_field=True)
    )
    at_risk: Decimal = attrs.field(
        default=Decimal("0.75"), converter=attrs.Converter(_share, takes_field=True)
    )
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    updated_at: datetime = attrs.field(converter=check.aware)
    version: int = attrs.field(default=1, converter=version_converter)

    @updated_at.default
    def _updated_default(self) -> datetime:
        return self.created_at

    def __attrs_post_init__(self) -> None:
        if not self.targets:
            raise check.fail("targets", "a policy needs at least one target")

    def target(self, metric: SlaMetric, priority: Priority) -> SlaTarget | None:
        """The target for ``metric`` at ``priority``, if the policy sets one."""
        return next((t for t in self.targets if t.metric is metric and t.priority is priority), None)

    def pauses_for(self, metric: SlaMetric) -> frozenset[StatusCategory]:
        """The status categories that pause ``metric``."""
        return frozenset(self.pauses[metric])


def first_match(
    policies: Iterable[SlaPolicy], case: Case, in_segments: Collection[SegmentId] = ()
) -> SlaPolicy | None:
    """The policy that applies to ``case``: the active one of lowest position (then name) that it meets."""
    candidates = sorted((p for p in policies if p.active), key=lambda p: (p.position, p.name, p.id))
    return next((p for p in candidates if p.condition.matches(case, in_segments)), None)


def _policy_of(stored: dict[str, Any]) -> SlaPolicy:
    """A policy from its JSON form: times as ISO text."""
    for name in ("created_at", "updated_at"):
        if isinstance(stored.get(name), str):
            stored[name] = check.check_datetime(name, datetime.fromisoformat(stored[name]))
    return SlaPolicy(**stored)


def _policy(value: object, field: attrs.Attribute) -> SlaPolicy:  # type: ignore[type-arg]
    return _stored(field.name, value, SlaPolicy, _policy_of)  # type: ignore[no-any-return]


@attrs.frozen(kw_only=True)
class SlaPolicyRevision:
    """One stored version of a policy, kept for the clocks that run on it (never changed).

    Attributes:
        id: Time-ordered UUID.
        policy_id: The policy.
        version: Its version.
        policy: The policy as it was at that version.
        recorded_at: When that version was stored.
    """

    id: UUID = attrs.field(factory=new_id, converter=check.uuid)
    policy_id: SlaPolicyId = attrs.field(converter=check.uuid)
    version: int = attrs.field(converter=version_converter)
    policy: SlaPolicy = attrs.field(converter=attrs.Converter(_policy, takes_field=True))
    recorded_at: datetime = attrs.field(factory=system_clock, converter=check.aware)

    def __attrs_post_init__(self) -> None:
        if (self.policy.id, self.policy.version) != (self.policy_id, self.version):
            raise check.fail("policy", "must be the policy and version the revision names")

    @classmethod
    def of(cls, policy: SlaPolicy, recorded_at: datetime) -> SlaPolicyRevision:
        """The revision keeping ``policy`` as it is now."""
        return cls(policy_id=policy.id, version=policy.version, policy=policy, recorded_at=recorded_at)
