"""Service: cases with configurable statuses and an append-only history, SLA policies, business calendars.

The names of its model, re-exported; its facade namespace is
[`crm.service`][relcore.service.api.Service], its ports and use cases are in
``ports`` and ``services``, its operations as pure decisions in
[relcore.service.decisions][].
[BusinessCalendar][relcore.service.calendars.BusinessCalendar] answers when a
desk is open and does business-time arithmetic on aware datetimes. The
service reports ([relcore.service.analytics][]) answer in
[ServiceMetrics][relcore.service.reports.ServiceMetrics],
[BacklogPoint][relcore.service.reports.BacklogPoint] and
[ComplaintRate][relcore.service.reports.ComplaintRate] lines.
"""

from relcore.service.calendars import DAYS, WORKDAYS, BusinessCalendar, Opening
from relcore.service.durations import Durations
from relcore.service.marks import MarkKind, SlaAtRisk, SlaBreached, SlaMark
from relcore.service.model import (
    Case,
    CaseChange,
    CaseChangeKind,
    CaseMerged,
    CaseOpened,
    CaseReopened,
    CaseSolved,
    CaseStatusChanged,
    CaseUpdated,
)
from relcore.service.periods import Period
from relcore.service.policies import CaseCondition, SlaMetric, SlaPolicy, SlaPolicyRevision, SlaTarget
from relcore.service.reports import Attainment, BacklogPoint, ComplaintRate, ServiceMetrics
from relcore.service.statuses import BUILTIN_STATUSES, CaseStatus, Priority, StatusCategory
from relcore.vocabularies import CaseType

__all__ = [
    "BUILTIN_STATUSES",
    "DAYS",
    "WORKDAYS",
    "Attainment",
    "BacklogPoint",
    "BusinessCalendar",
    "Case",
    "CaseChange",
    "CaseChangeKind",
    "CaseCondition",
    "CaseMerged",
    "CaseOpened",
    "CaseReopened",
    "CaseSolved",
    "CaseStatus",
    "CaseStatusChanged",
    "CaseType",
    "CaseUpdated",
    "ComplaintRate",
    "Durations",
    "MarkKind",
    "Opening",
    "Period",
    "Priority",
    "ServiceMetrics",
    "SlaAtRisk",
    "SlaBreached",
    "SlaMark",
    "SlaMetric",
    "SlaPolicy",
    "SlaPolicyRevision",
    "SlaTarget",
    "StatusCategory",
]
