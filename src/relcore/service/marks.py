# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""What the SLA sweep has announced: one mark per case, metric, instance and kind, and its events.

relcore has no scheduler: the host calls ``crm.service.sweep(as_of=...)``
as often as it likes. The sweep announces each clock that became at risk or
breached with an [SlaAtRisk][relcore.service.marks.SlaAtRisk] or
[SlaBreached][relcore.service.marks.SlaBreached] event and stores an
[SlaMark][relcore.service.marks.SlaMark] for it, in the same transaction; a clock
already marked is not announced again, however often the sweep runs. A mark
is never changed: a breach, once recorded, stays recorded.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent
from relcore.ids import CaseId, CustomerId, SlaPolicyId, new_id
from relcore.service.policies import SlaMetric

__all__ = ["MarkKind", "SlaAtRisk", "SlaBreached", "SlaMark"]


class MarkKind(StrEnum):
    """What a mark announces."""

    AT_RISK = "at_risk"
    BREACHED = "breached"


def _instance(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value)


instance_field = attrs.Converter(_instance, takes_field=True)


@attrs.frozen(kw_only=True)
class SlaMark:
    """The sweep announced that a clock became at risk or breached.

    Attributes:
        id: Time-ordered UUID.
        case_id: The case.
        customer_id: Its customer.
        metric: The clock's metric.
        instance: The clock's instance (0, or the next-response instance from 1).
        kind: At risk or breached.
        at: When the clock became so.
        marked_at: When the sweep announced it (the sweep's ``as_of``).
    """

    id: UUID = attrs.field(factory=new_id, converter=check.uuid)
    case_id: CaseId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    metric: SlaMetric = attrs.field(converter=check.enum_converter(SlaMetric))
    instance: int = attrs.field(default=0, converter=instance_field)
    kind: MarkKind = attrs.field(converter=check.enum_converter(MarkKind))
    at: datetime = attrs.field(converter=check.aware)
    marked_at: datetime = attrs.field(converter=check.aware)


@attrs.frozen
class SlaAtRisk(DomainEvent):
    """A clock passed its policy's at-risk share of the target while unfulfilled."""

    case_id: CaseId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    metric: SlaMetric = attrs.field(converter=check.enum_converter(SlaMetric))
    instance: int = attrs.field(converter=instance_field)
    at: datetime = attrs.field(converter=check.aware)
    due_at: datetime = attrs.field(converter=check.aware)
    policy_id: SlaPolicyId = attrs.field(converter=check.uuid)


@attrs.frozen
class SlaBreached(DomainEvent):
    """A clock reached its target while unfulfilled."""

    case_id: CaseId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    metric: SlaMetric = attrs.field(converter=check.enum_converter(SlaMetric))
    instance: int = attrs.field(converter=instance_field)
    at: datetime = attrs.field(converter=check.aware)
    policy_id: SlaPolicyId = attrs.field(converter=check.uuid)
