"""The ports of the service context: statuses, SLA policies, cases, their history and the sweep's marks."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Protocol
from uuid import UUID

from relcore._kernel import checks as check
from relcore._kernel.declarations import Aggregate, Context, History, HistoryField, Port
from relcore.customers.model import Channel
from relcore.ids import CaseId
from relcore.sales.ports import SalesWork
from relcore.service.clocks import CaseMessage
from relcore.service.marks import SlaAtRisk, SlaBreached, SlaMark
from relcore.service.model import (
    Case,
    CaseChange,
    CaseMerged,
    CaseOpened,
    CaseReopened,
    CaseSolved,
    CaseStatusChanged,
    CaseUpdated,
)
from relcore.service.policies import CaseCondition, SlaPolicy, SlaPolicyRevision, SlaTarget
from relcore.service.statuses import CaseStatus, Priority, StatusCategory
from relcore.storage.base import AggregateRepository, Page
from relcore.vocabularies import CaseType

__all__ = [
    "CASES",
    "CASE_CHANGES",
    "CASE_HISTORY",
    "CASE_STATUSES",
    "CONTEXT",
    "CONVERSATIONS",
    "SLA_MARKS",
    "SLA_POLICIES",
    "SLA_REVISIONS",
    "CaseChangeRepository",
    "CaseRepository",
    "CaseStatusRepository",
    "Conversations",
    "ServiceWork",
    "SlaMarkRepository",
    "SlaPolicyRepository",
    "SlaRevisionRepository",
    "check_cases",
]


def check_cases(cases: object) -> builtins.list[Case]:
    """Return ``cases`` as a list, if it is a collection of cases.

    Raises:
        ValidationError: Otherwise, naming ``cases`` or the offending item.
    """
    if isinstance(cases, str | bytes | Mapping) or not isinstance(cases, Collection):
        raise check.fail("cases", f"expected a collection of cases, got {check.kind(cases)}")
    found = builtins.list(cases)
    for i, case in enumerate(found):
        if not isinstance(case, Case):
            raise check.fail(f"cases[{i}]", f"expected a Case, got {check.kind(case)}")
    return found


class CaseStatusRepository(AggregateRepository[CaseStatus], Protocol):
    """The statuses a desk added to the built-in ones: the generic operations (``find(key)``)."""


class SlaPolicyRepository(AggregateRepository[SlaPolicy], Protocol):
    """SLA policies: the generic operations (``find(name)``)."""


class SlaRevisionRepository(AggregateRepository[SlaPolicyRevision], Protocol):
    """Every stored version of every policy (append-only): ``find(policy_id, version)``."""


class CaseRepository(AggregateRepository[Case], Protocol):
    """Cases: the generic operations, and a few queries."""

    def children(self, parent_id: CaseId) -> builtins.list[Case]:
        """The cases under ``parent_id``, in id order."""
        ...

    def running(self, *, after: UUID | None = None, limit: int = 100) -> Page[Case]:
        """One page, in id order, of the cases whose clocks may still run: neither closed nor merged."""
        ...

    def opened(
        self,
        start: datetime | None,
        end: datetime,
        *,
        unsolved_at: datetime | None = None,
        after: UUID | None = None,
        limit: int = 100,
    ) -> Page[Case]:
        """One page, in id order, of the cases created in ``[start, end)`` (``start=None``: no lower bound).

        With ``unsolved_at``, the cases whose ``solved_at`` is at or before it
        are left out: they were solved, closed or merged then and have been
        ever since (a reopen unsets ``solved_at``).
        """
        ...

    def record_breaches(self, first: Mapping[CaseId, datetime]) -> int:
        """Record each case's first breach at the given instant, where none is recorded yet.

        The cases' versions do not change (the sweep records breaches while
        agents work on the cases); returns how many cases changed.
        """
        ...


class CaseChangeRepository(AggregateRepository[CaseChange], Protocol):
    """The append-only history of every case: ``add`` appends, ``save`` refuses."""

    def for_case(self, case_id: CaseId) -> builtins.list[CaseChange]:
        """One case's history, oldest first (by ``at``, then id)."""
        ...

    def for_cases(self, case_ids: Collection[CaseId]) -> dict[CaseId, builtins.list[CaseChange]]:
        """The histories of several cases at once, each oldest first; a case without one is left out."""
        ...

    def uses_status(self, key: str) -> bool:
        """Whether any case is, or ever was, in the status ``key``."""
        ...


class SlaMarkRepository(AggregateRepository[SlaMark], Protocol):
    """What the sweep announced (append-only): ``find(case_id, metric, instance, kind)``."""

    def for_cases(self, case_ids: Collection[CaseId]) -> builtins.list[SlaMark]:
        """The marks of several cases, in id order."""
        ...


class Conversations(Protocol):
    """The messages of cases: the touchpoints naming a case and its customer (a query port)."""

    def messages(self, cases: Collection[Case]) -> dict[CaseId, builtins.list[CaseMessage]]:
        """Each case's messages by time (at one instant, the customer's first); cases without any left out."""
        ...


class ServiceWork(SalesWork, Protocol):
    """The ports the service use cases need."""

    @property
    def case_statuses(self) -> CaseStatusRepository:
        """The statuses a desk added."""
        ...

    @property
    def sla_policies(self) -> SlaPolicyRepository:
        """The SLA policies."""
        ...

    @property
    def sla_revisions(self) -> SlaRevisionRepository:
        """Every version of every SLA policy."""
        ...

    @property
    def cases(self) -> CaseRepository:
        """The cases."""
        ...

    @property
    def case_changes(self) -> CaseChangeRepository:
        """The cases' history."""
        ...

    @property
    def sla_marks(self) -> SlaMarkRepository:
        """The sweep's marks."""
        ...

    @property
    def case_conversations(self) -> Conversations:
        """The cases' messages."""
        ...


CASE_STATUSES = Aggregate(
    "case_statuses",
    CaseStatusRepository,
    entity=CaseStatus,
    owner=None,
    unique=(("key",),),
    versioned=True,
    table="relcore.storage.sql.schema:case_statuses",
)
"""The statuses a desk added, unique on their key, version-checked."""

SLA_POLICIES = Aggregate(
    "sla_policies",
    SlaPolicyRepository,
    entity=SlaPolicy,
    owner=None,
    unique=(("name",),),
    versioned=True,
    table="relcore.storage.sql.schema:sla_policies",
)
"""SLA policies, unique on their name, version-checked."""

SLA_REVISIONS = Aggregate(
    "sla_revisions",
    SlaRevisionRepository,
    entity=SlaPolicyRevision,
    owner=None,
    references=(("policy_id", "sla_policies"),),
    unique=(("policy_id", "version"),),
    append_only=True,
    table="relcore.storage.sql.schema:sla_policy_revisions",
)
"""Every stored version of every policy: append-only, unique on the policy and version."""

CASES = Aggregate(
    "cases",
    CaseRepository,
    memory="relcore.service._memory:MemoryCases",
    sql="relcore.service._sql:SqlCases",
    entity=Case,
    versioned=True,
    table="relcore.storage.sql.schema:cases",
)
"""Cases, owned by their customer, version-checked."""

CASE_CHANGES = Aggregate(
    "case_changes",
    CaseChangeRepository,
    memory="relcore.service._memory:MemoryCaseChanges",
    sql="relcore.service._sql:SqlCaseChanges",
    entity=CaseChange,
    references=(("case_id", "cases"),),
    append_only=True,
    table="relcore.storage.sql.schema:case_changes",
)
"""Every case's history: append-only entries owned by the case's customer."""

SLA_MARKS = Aggregate(
    "sla_marks",
    SlaMarkRepository,
    memory="relcore.service._memory:MemorySlaMarks",
    sql="relcore.service._sql:SqlSlaMarks",
    entity=SlaMark,
    references=(("case_id", "cases"),),
    unique=(("case_id", "metric", "instance", "kind"),),
    append_only=True,
    table="relcore.storage.sql.schema:sla_marks",
)
"""The sweep's marks: append-only, one per case, metric, instance and kind."""

CASE_HISTORY = History(
    "cases",
    CASES,
    (
        HistoryField("status", "text"),
        HistoryField("category", "choice", choices=StatusCategory),
        HistoryField("priority", "choice", choices=Priority),
        HistoryField("type", "choice", vocabulary="case_types", choices=CaseType),
        HistoryField("channel", "choice", vocabulary="channels", choices=Channel),
        HistoryField("team", "text", nullable=True),
        HistoryField("assignee", "text", nullable=True),
        HistoryField("reopen_count", "number"),
        HistoryField("first_responded_at", "datetime", nullable=True),
        HistoryField("solved_at", "datetime", nullable=True),
        HistoryField("breached_at", "datetime", nullable=True),
        HistoryField("policy_id", "id", nullable=True),
        HistoryField("opportunity_id", "id", nullable=True),
    ),
    time="created_at",
)
"""A customer's cases as rules see them, as they are now and dated by their opening:
``cases(category == "open", priority == "urgent").count() >= 1``; a case whose SLA
breached (as the sweep recorded) has ``breached_at`` set:
``cases(breached_at is set).within(days=30).count() >= 1``."""

CONVERSATIONS = Port(
    "case_conversations",
    Conversations,
    memory="relcore.service._memory:MemoryConversations",
    sql="relcore.service._sql:SqlConversations",
)
"""The cases' messages, read from the touchpoints (a query port: it stores nothing)."""

CONTEXT = Context(
    "service",
    ports=(CASE_STATUSES, SLA_POLICIES, SLA_REVISIONS, CASES, CASE_CHANGES, SLA_MARKS, CONVERSATIONS),
    events=(
        CaseOpened,
        CaseStatusChanged,
        CaseSolved,
        CaseReopened,
        CaseMerged,
        CaseUpdated,
        SlaAtRisk,
        SlaBreached,
    ),
    values=(CaseCondition, SlaTarget),
    contracts=("relcore.service._testing:ServiceContract",),
    histories=(CASE_HISTORY,),
    snapshot="relcore.service._testing:stored_state",
    examples=(
        ("case_statuses", "relcore.service._testing:new_status"),
        ("sla_policies", "relcore.service._testing:new_policy"),
        ("cases", "relcore.service._testing:new_case"),
        ("case_changes", "relcore.service._testing:new_change"),
        ("sla_marks", "relcore.service._testing:new_mark"),
    ),
)
"""The service context, as the registry sees it."""
