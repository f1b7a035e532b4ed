"""The service namespace of the facade: ``crm.service``."""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_id, check_instance
from relcore._kernel.namespace import Namespace, UnitOfWorkSource
from relcore.activity.model import Touchpoint
from relcore.clock import Clock
from relcore.errors import ConflictError, TransientStorageError
from relcore.ids import CaseId, SlaPolicyId
from relcore.segments import Catalogue
from relcore.service import analytics, decisions, services, sla
from relcore.service.calendars import BusinessCalendar
from relcore.service.clocks import SlaClock
from relcore.service.decisions import Decision, Match
from relcore.service.model import Case, CaseChange
from relcore.service.policies import SlaPolicy
from relcore.service.ports import ServiceWork
from relcore.service.reports import BacklogPoint, ComplaintRate, ServiceMetrics
from relcore.service.sla import SweepReport
from relcore.service.statuses import CaseStatus, Priority
from relcore.storage.base import Page
from relcore.storage.rules import check_limit

if TYPE_CHECKING:
    from relcore.vocabularies import Vocabularies

__all__ = ["SWEEP_ATTEMPTS", "Service"]

SWEEP_ATTEMPTS = 3
"""How often ``sweep`` runs again after losing a lock race to a concurrent sweep before raising."""


def _version(version: object) -> int | None:
    return None if version is None else check.positive_int("version", version, minimum=1)


def _actor(actor: object) -> str | None:
    return None if actor is None else check.check_text("actor", actor, max_len=100)


class Service(Namespace[ServiceWork]):
    """Cases, their statuses and history, and their SLA policies: ``crm.service``.

    Every operation on a case takes ``at`` (when it happened; default now,
    and never before the case's last recorded change), an optional
    ``version`` (the version the caller last saw: a case changed since then
    raises [ConflictError][relcore.errors.ConflictError]) and an optional
    ``actor`` (the host's id of who did it), writes one history entry, and
    returns the stored case. Operations that change what a policy's
    condition reads (priority, team) re-apply the first matching policy.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore import CRM, Customer
        >>> from relcore.service import Case
        >>> crm = CRM.in_memory()
        >>> ada = crm.customers.add(Customer.person("Ada"))
        >>> case = crm.service.open(Case(customer_id=ada.id, subject="Parcel damaged", channel="email",
        ...                              type="complaint", created_at=datetime(2026, 3, 2, 9, tzinfo=UTC)))
        >>> case = crm.service.set_status(case.id, "pending", at=datetime(2026, 3, 2, 10, tzinfo=UTC))
        >>> case = crm.service.set_status(case.id, "solved", at=datetime(2026, 3, 3, 15, tzinfo=UTC))
        >>> case.category.value, case.solved_at.isoformat(), case.version
        ('solved', '2026-03-03T15:00:00+00:00', 3)
        >>> print(*(f"{c.kind.value}:{c.status}" for c in crm.service.history(case.id)))
        opened:new status:pending status:solved
    """

    __slots__ = ("_catalogue", "_vocabularies")

    def __init__(
        self,
        source: UnitOfWorkSource[ServiceWork],
        clock: Clock,
        catalogue: Catalogue,
        vocabularies: Vocabularies,
    ) -> None:
        super().__init__(source, clock)
        self._catalogue = catalogue
        self._vocabularies = vocabularies

    # -- statuses --------------------------------------------------------------

    def statuses(self) -> builtins.list[CaseStatus]:
        """Every status cases can be in: the six built-in ones, then the stored ones by key."""
        return self._read(services.statuses)

    def add_status(self, status: CaseStatus) -> CaseStatus:
        """Store a new status; return it.

        Raises:
            ConflictError: A built-in or stored status has its key.
        """
        return self._write(lambda uow: services.add_status(uow, status))

    def save_status(self, status: CaseStatus) -> CaseStatus:
        """Store a changed status (its label, or whether it is active); version-checked.

        Raises:
            ValidationError: Its key changed, or its category changed while cases use it.
            ConflictError: Stale version.
        """
        return self._write(lambda uow: services.save_status(uow, status))

    # -- policies --------------------------------------------------------------

    def add_policy(self, policy: SlaPolicy) -> SlaPolicy:
        """Store a new SLA policy; return it. It applies to cases opened or re-targeted from now on.

        Raises:
            ConflictError: Another policy has its name.
        """
        return self._write(lambda uow: services.add_policy(uow, policy))

    def save_policy(self, policy: SlaPolicy) -> SlaPolicy:
        """Store a changed policy as its next version; return it.

        Cases already on the policy keep the version they run on until a
        change of theirs applies the policy afresh.

        Raises:
            ConflictError: Stale version, or another policy has its name.
        """
        return self._write(lambda uow: services.save_policy(uow, policy))

    def policy(self, policy_id: SlaPolicyId, version: int | None = None) -> SlaPolicy:
        """Return the policy with ``policy_id``, as it is or at ``version``.

        Raises:
            NotFoundError: No such policy or version.
        """
        wanted = check_id("policy_id", policy_id)
        if version is None:
            return self._read(lambda uow: uow.sla_policies.get(wanted))
        at = check.positive_int("version", version, minimum=1)
        return self._read(lambda uow: services.policy_resolver(uow)(SlaPolicyId(wanted), at))

    def find_policy(self, name: str) -> SlaPolicy | None:
        """Return the policy called ``name``, if there is one."""
        wanted = check.check_text("name", name, max_len=100)
        return self._read(lambda uow: uow.sla_policies.find(wanted))

    def policies(self) -> builtins.list[SlaPolicy]:
        """Every policy, in the order they are tried (position, then name)."""
        found = self._read(lambda uow: list(services.every(uow.sla_policies)))
        return sorted(found, key=lambda p: (p.position, p.name, p.id))

    # -- cases -----------------------------------------------------------------

    def _checked(self, case: Case) -> Case:
        check_instance("case", case, Case)
        self._vocabularies.channels.check("channel", case.channel)
        self._vocabularies.case_types.check("type", case.type)
        return case

    def _match(self, uow: ServiceWork, at: datetime) -> Match:
        return services.matcher(uow, self._catalogue, at)

    def open(self, case: Case, *, actor: str | None = None) -> Case:
        """Store a new case, opened at its ``created_at`` in its status, on the first policy it meets.

        Raises:
            NotFoundError: Its customer, contact, parent case or deal does not exist.
            ValidationError: Its channel or type is not in the CRM's vocabularies; its status is
                unknown, inactive or solved; its contact, parent or deal is another customer's.
        """
        checked = self._checked(case)
        who = _actor(actor)
        return self._write(
            lambda uow: services.open(uow, checked, self._match(uow, checked.created_at), actor=who)
        )

    def get(self, case_id: CaseId) -> Case:
        """Return the case with ``case_id``.

        Raises:
            NotFoundError: No such case.
        """
        wanted = check_id("case_id", case_id)
        return self._read(lambda uow: uow.cases.get(wanted))

    def list(self, *, after: UUID | None = None, limit: int = 100) -> Page[Case]:
        """One page of cases, in id order (their creation order)."""
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        return self._read(lambda uow: uow.cases.list(after=start, limit=size))

    def for_customer(self, customer_id: UUID) -> builtins.list[Case]:
        """A customer's cases, in id order (none for an unknown customer)."""
        wanted = check_id("customer_id", customer_id)
        return self._read(lambda uow: uow.cases.for_owner(wanted))

    def children(self, case_id: CaseId) -> builtins.list[Case]:
        """The cases under ``case_id`` (a problem's incidents), in id order."""
        wanted = check_id("case_id", case_id)
        return self._read(lambda uow: uow.cases.children(wanted))

    def history(self, case_id: CaseId) -> builtins.list[CaseChange]:
        """A case's history, oldest first (empty for an unknown case)."""
        wanted = check_id("case_id", case_id)
        return self._read(lambda uow: uow.case_changes.for_case(wanted))

    def save(self, case: Case, *, at: datetime | None = None, actor: str | None = None) -> Case:
        """Store a case's subject, description, channel, type, contact, parent, deal, tags or attributes.

        Version-checked. When the change makes another policy match (a new
        tag, another type), the case moves to it at ``at`` (default now),
        with a ``policy`` history entry.

        Raises:
            ValidationError: A field the service operations own (status, priority, team...) was changed.
            ConflictError: Stale version.
        """
        checked = self._checked(case)
        moment = self._as_of(at, "at")
        who = _actor(actor)

        def use_case(uow: ServiceWork) -> Case:
            saved = services.save_case(uow, checked)
            decision = decisions.rematch(
                saved, max(moment, saved.changed_at), self._match(uow, moment), actor=who
            )
            return services.store(uow, decision)

        return self._write(use_case)

    def record_message(self, touchpoint: Touchpoint) -> Case:
        """Record a message of a case's conversation (a touchpoint naming the case); return the case.

        Our first outbound message after the case was created sets its
        ``first_responded_at``; the SLA clocks read every message of the case.
        Re-sending a message with a stored ``(source, external_id)`` changes nothing.

        Raises:
            ValidationError: The touchpoint names no case, or one of another customer; its channel
                or kind is not in the CRM's vocabularies.
            NotFoundError: No such case.
        """
        check_instance("touchpoint", touchpoint, Touchpoint)
        self._vocabularies.channels.check("channel", touchpoint.channel)
        self._vocabularies.touchpoint_kinds.check("kind", touchpoint.kind)
        return self._write(lambda uow: services.record_message(uow, touchpoint)[1])

    # -- operations ------------------------------------------------------------

    def _operate(
        self,
        case_id: CaseId,
        at: datetime | None,
        version: int | None,
        decide: Callable[[ServiceWork, Case, datetime], Decision],
    ) -> Case:
        wanted = check_id("case_id", case_id)
        moment = self._as_of(at, "at")
        expected = _version(version)
        return self._write(
            lambda uow: services.operate(
                uow, CaseId(wanted), expected, lambda case: decide(uow, case, moment)
            )
        )

    def set_status(
        self,
        case_id: CaseId,
        status: str,
        *,
        at: datetime | None = None,
        version: int | None = None,
        actor: str | None = None,
    ) -> Case:
        """Move a case to the status ``status`` (a built-in or stored key).

        Entering a solved status solves it; from solved, an unsolved status
        reopens it; a closed case stays closed.

        Raises:
            ValidationError: Unknown or inactive status, a closed or merged case.
        """
        who = _actor(actor)

        def decide(uow: ServiceWork, case: Case, moment: datetime) -> Decision:
            found = services.status(uow, status)
            return decisions.set_status(case, found, moment, self._match(uow, moment), actor=who)

        return self._operate(case_id, at, version, decide)

    def reopen(
        self,
        case_id: CaseId,
        *,
        status: str = "open",
        at: datetime | None = None,
        version: int | None = None,
        actor: str | None = None,
    ) -> Case:
        """Open a solved case again, in the unsolved status ``status``; its resolution clock resumes.

        Raises:
            ValidationError: The case is not solved, or the status is solved.
        """
        who = _actor(actor)

        def decide(uow: ServiceWork, case: Case, moment: datetime) -> Decision:
            found = services.reopen_status(uow, status)
            if not case.category.is_solved:
                raise check.fail("case_id", "only a solved case can be reopened")
            return decisions.set_status(case, found, moment, self._match(uow, moment), actor=who)

        return self._operate(case_id, at, version, decide)

    def set_priority(
        self,
        case_id: CaseId,
        priority: Priority | str,
        *,
        at: datetime | None = None,
        version: int | None = None,
        actor: str | None = None,
    ) -> Case:
        """Give a case another priority; the clocks re-target and keep the time counted and paused."""
        who = _actor(actor)
        wanted = check.check_enum(Priority, "priority", priority)
        return self._operate(
            case_id,
            at,
            version,
            lambda uow, case, t: decisions.set_priority(case, wanted, t, self._match(uow, t), actor=who),
        )

    def assign(
        self,
        case_id: CaseId,
        *,
        team: str | None = None,
        assignee: str | None = None,
        at: datetime | None = None,
        version: int | None = None,
        actor: str | None = None,
    ) -> Case:
        """Give a case to ``team`` and ``assignee`` (``None`` leaves it without)."""
        who = _actor(actor)
        return self._operate(
            case_id,
            at,
            version,
            lambda uow, case, t: decisions.assign(case, team, assignee, t, self._match(uow, t), actor=who),
        )

    def merge(
        self,
        case_id: CaseId,
        into: CaseId,
        *,
        at: datetime | None = None,
        version: int | None = None,
        actor: str | None = None,
    ) -> Case:
        """Merge a case into another of the same customer: it closes as merged and its clocks stop.

        Its conversation stays with it (read both cases' messages to see all).

        Raises:
            ValidationError: ``into`` is the case itself, another customer's, merged or closed.
            NotFoundError: Either case does not exist.
        """
        who = _actor(actor)
        target = check_id("into", into)
        return self._operate(
            case_id,
            at,
            version,
            lambda uow, case, t: decisions.merge(case, uow.cases.get(target), t, actor=who),
        )

    # -- SLA clocks ------------------------------------------------------------

    def sla(self, case_id: CaseId, *, as_of: datetime | None = None) -> tuple[SlaClock, ...]:
        """The SLA clocks of a case as they stood at ``as_of`` (default now).

        First response, then each next-response instance, then resolution;
        a case without a policy has none. See [relcore.service.clocks][] for
        how they are computed.

        Raises:
            NotFoundError: No such case.
        """
        wanted = check_id("case_id", case_id)
        moment = self._as_of(as_of)
        return self._read(lambda uow: sla.case_clocks(uow, CaseId(wanted), moment))

    def sweep(
        self, *, as_of: datetime | None = None, progress: Callable[[int], None] | None = None
    ) -> SweepReport:
        """Announce the clocks at risk or breached at ``as_of`` (default now), each once however often called.

        relcore has no scheduler: call it from yours (every few minutes). Each
        newly at-risk clock raises [SlaAtRisk][relcore.service.marks.SlaAtRisk], each
        newly breached one [SlaBreached][relcore.service.marks.SlaBreached], after the
        commit; see [sweep][relcore.service.sla.sweep]. Two sweeps at once may
        lose a lock race to each other: the loser runs again, up to
        [SWEEP_ATTEMPTS][relcore.service.api.SWEEP_ATTEMPTS] times, before raising
        [TransientStorageError][relcore.errors.TransientStorageError] (or
        [ConflictError][relcore.errors.ConflictError]).
        """
        moment = self._as_of(as_of)
        if progress is not None and not callable(progress):
            raise check.fail("progress", "expected a function of the number of cases swept")
        for attempt in range(1, SWEEP_ATTEMPTS + 1):
            with self._source.unit_of_work() as uow:
                try:
                    report = sla.sweep(uow, moment, progress=progress)
                    uow.commit()
                except (TransientStorageError, ConflictError):
                    # another sweep won a race for the same marks (a deadlock, or a key stored after
                    # this transaction's snapshot, on MariaDB): the work is rolled back whole, and a new
                    # transaction announces only what is still unannounced
                    if attempt == SWEEP_ATTEMPTS or getattr(uow, "joined", False):
                        raise
                    time.sleep(0.05 * attempt)
                else:
                    return report
        raise AssertionError("unreachable")  # pragma: no cover

    # -- analytics -------------------------------------------------------------

    def metrics(
        self,
        start: datetime,
        end: datetime,
        *,
        by: Sequence[str] = ("channel",),
        period: str | None = None,
        timezone: str = "UTC",
        calendar: BusinessCalendar | None = None,
        as_of: datetime | None = None,
    ) -> builtins.list[ServiceMetrics]:
        """Response and resolution times, SLA attainment, reopens of the cases opened in ``[start, end)``.

        One [ServiceMetrics][relcore.service.reports.ServiceMetrics] line per
        group of cases, grouped by ``by`` (among ``channel``, ``priority``,
        ``team``, ``type`` and ``period``) and, when ``period`` is given
        (``day``, ``week``, ``month`` or ``quarter``), by the period of their
        opening in ``timezone``. Times are as they stood at ``as_of``
        (default now), in calendar time and in business time on ``calendar``
        (default: each case's policy calendar). See
        [relcore.service.analytics][] for every measure.

        Example:
            >>> from datetime import UTC, datetime
            >>> from relcore import CRM, Customer
            >>> from relcore.domain import Touchpoint
            >>> from relcore.service import Case
            >>> crm = CRM.in_memory()
            >>> ada = crm.customers.add(Customer.person("Ada"))
            >>> case = crm.service.open(Case(customer_id=ada.id, subject="Late parcel", channel="email",
            ...                              created_at=datetime(2026, 3, 2, 9, tzinfo=UTC)))
            >>> case = crm.service.record_message(Touchpoint(
            ...     customer_id=ada.id, case_id=case.id, channel="email", direction="outbound",
            ...     occurred_at=datetime(2026, 3, 2, 9, 45, tzinfo=UTC)))
            >>> march = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
            >>> [line] = crm.service.metrics(*march, as_of=datetime(2026, 3, 31, tzinfo=UTC))
            >>> line.channel, line.cases, line.first_response.median, line.resolution.n
            ('email', 1, datetime.timedelta(seconds=2700), 0)

        Raises:
            ValidationError: A bad argument, named.
        """
        asked = analytics.report(start, end, by=by, period=period, timezone=timezone, calendar=calendar)
        moment = self._as_of(as_of)
        return self._read(lambda uow: analytics.metrics(uow, asked, moment))

    def backlog(
        self,
        start: datetime,
        end: datetime,
        *,
        period: str = "day",
        timezone: str = "UTC",
        by: Sequence[str] = (),
    ) -> builtins.list[BacklogPoint]:
        """How many cases were open at the end of each period meeting ``[start, end)``.

        Read from the cases' histories: solving a case later does not change
        past points. See [backlog][relcore.service.analytics.backlog].

        Raises:
            ValidationError: A bad argument, named.
        """
        asked = analytics.report(
            start, end, by=by, period=period, timezone=timezone, keys=analytics.GROUP_KEYS, needs_period=True
        )
        return self._read(lambda uow: analytics.backlog(uow, asked))

    def complaints_per_thousand(
        self, start: datetime, end: datetime, *, period: str = "month", timezone: str = "UTC"
    ) -> builtins.list[ComplaintRate]:
        """Complaints opened per period of ``[start, end)``, per thousand customers existing at its end.

        See [complaints_per_thousand][relcore.service.analytics.complaints_per_thousand].

        Raises:
            ValidationError: A bad argument, named.
        """
        asked = analytics.report(start, end, period=period, timezone=timezone, keys=(), needs_period=True)
        return self._read(lambda uow: analytics.complaints_per_thousand(uow, asked))
