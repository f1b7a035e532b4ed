"""A reproducible year of customer service: a desk calendar, two SLA policies, cases, conversations, surveys.

[SyntheticDesk][relcore.testing.synthetic_service.SyntheticDesk] gives the
customers of a store a support desk and cases opened over a period, mostly in
office hours and now and then at night or on a weekend. Each case gets our
first reply after a delay that grows with the queue, may wait on the customer
(pending) or on a supplier (on hold), is solved, sometimes reopened by the
customer, and closed a few days after it was solved. A third of the solved
cases get a CSAT answer (better when solved quickly), and a quarter of the
customers answer each quarter's NPS survey. Everything goes through
the service use cases, so the history is what a real host would write, and
the same seed gives the same desk.

Example:
    >>> from datetime import UTC, datetime
    >>> from relcore import CRM, Customer
    >>> crm = CRM.in_memory()
    >>> people = [crm.customers.add(Customer.person(f"P{i}", country="FR")) for i in range(30)]
    >>> desk = SyntheticDesk(start=datetime(2025, 1, 1, tzinfo=UTC), end=datetime(2026, 1, 1, tzinfo=UTC))
    >>> made = desk.build(crm, [p.id for p in people])
    >>> made.cases > 0 and made.cases == made.open + made.solved + made.closed
    True
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from relcore.activity.model import Direction, Touchpoint
from relcore.crm import CRM
from relcore.errors import ConfigurationError
from relcore.feedback.model import FeedbackResponse
from relcore.ids import CustomerId
from relcore.registry import UnitOfWork
from relcore.service import decisions
from relcore.service import services as service_services
from relcore.service.calendars import BusinessCalendar
from relcore.service.decisions import Match
from relcore.service.model import Case
from relcore.service.policies import CaseCondition, SlaPolicy, SlaTarget
from relcore.service.statuses import BUILTIN_STATUSES, StatusCategory

__all__ = ["DeskMade", "SyntheticDesk"]

_STATUS = {s.key: s for s in BUILTIN_STATUSES}
_CHANNELS = {"email": 5, "phone": 3, "chat": 3, "web": 2}
_TYPES = {"question": 6, "incident": 3, "request": 3, "complaint": 1}
_PRIORITIES = {"low": 2, "normal": 6, "high": 2, "urgent": 1}
_HOUR = timedelta(hours=1)


@attrs.frozen
class DeskMade:
    """What [SyntheticDesk.build][relcore.testing.synthetic_service.SyntheticDesk.build] stored.

    Attributes:
        policies: The SLA policies, in the order they are tried.
        cases: How many cases.
        open: How many are neither solved nor closed at the end.
        solved: How many are solved (not yet closed) at the end.
        closed: How many are closed at the end.
        messages: How many messages (touchpoints naming a case).
        surveys: How many survey answers (CSAT after solved cases, NPS each quarter).
    """

    policies: tuple[SlaPolicy, ...]
    cases: int
    open: int
    solved: int
    closed: int
    messages: int
    surveys: int


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@attrs.frozen
class SyntheticDesk:
    """A reproducible support desk over ``start`` to ``end`` (see the module).

    Attributes:
        start: When the first cases open.
        end: Nothing happens at or after it.
        seed: Seed of every random choice.
        cases_per_customer: Average number of cases per customer over the period.
        holidays: Close the calendar on France's public holidays (needs the ``holidays`` extra; ignored
            without it).
    """

    start: datetime
    end: datetime
    seed: int = 0
    cases_per_customer: float = 0.6
    holidays: bool = True

    def calendar(self) -> BusinessCalendar:
        """Monday to Friday 09:00-12:30 and 13:30-18:00 in Paris (with France's public holidays, if known)."""
        days = {day: ["09:00-12:30", "13:30-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
        calendar = BusinessCalendar.weekly("Europe/Paris", days)
        if not self.holidays:
            return calendar
        try:
            return calendar.with_holidays("FR", years=range(self.start.year, self.end.year + 1))
        except ConfigurationError:  # the holidays extra is not installed: office hours without holidays
            return calendar

    def policies(self) -> tuple[SlaPolicy, ...]:
        """The priority desk (high and urgent cases: fast answers, 24x7 for urgent) and the standard desk."""
        calendar = self.calendar()
        fast = [
            SlaTarget(metric="first_response", priority="urgent", minutes=30, business=False),
            SlaTarget(metric="next_response", priority="urgent", minutes=120, business=False),
            SlaTarget(metric="resolution", priority="urgent", minutes=8 * 60, business=False),
            SlaTarget(metric="first_response", priority="high", minutes=60),
            SlaTarget(metric="next_response", priority="high", minutes=4 * 60),
            SlaTarget(metric="resolution", priority="high", minutes=16 * 60),
        ]
        standard = [
            SlaTarget(metric=metric, priority=priority, minutes=minutes * (2 if priority == "low" else 1))
            for metric, minutes in (
                ("first_response", 4 * 60),
                ("next_response", 8 * 60),
                ("resolution", 40 * 60),
            )
            for priority in ("low", "normal")
        ]
        return (
            SlaPolicy(
                name="Priority desk",
                position=0,
                condition=CaseCondition(priorities=["high", "urgent"]),
                calendar=calendar,
                targets=fast,
                created_at=self.start,
            ),
            SlaPolicy(
                name="Standard desk", position=1, calendar=calendar, targets=standard, created_at=self.start
            ),
        )

    def build(self, crm: CRM, customers: Sequence[CustomerId]) -> DeskMade:
        """Store the policies and every case with its history and messages, in one unit of work."""
        rng = random.Random(self.seed)
        policies = self.policies()
        with crm.unit_of_work() as uow:
            for policy in policies:
                service_services.add_policy(uow, policy)
            ordered = sorted(policies, key=lambda p: p.position)

            def match(case: Case) -> SlaPolicy | None:
                return next((p for p in ordered if p.condition.matches(case)), None)

            counts = {"open": 0, "solved": 0, "closed": 0}
            made = messages = 0
            calendar = self.calendar()
            answers: list[FeedbackResponse] = []
            for customer in customers:
                for _ in range(self._how_many(rng)):
                    case, talk = self._case(uow, rng, calendar, customer, match)
                    counts["open" if not case.category.is_solved else case.category.value] += 1
                    messages += talk
                    made += 1
                    answers.extend(self._csat(rng, case))
                answers.extend(self._nps(rng, customer))
            uow.feedback_responses.add_many(answers)
            uow.commit()
        return DeskMade(
            tuple(ordered), made, counts["open"], counts["solved"], counts["closed"], messages, len(answers)
        )

    def _csat(self, rng: random.Random, case: Case) -> list[FeedbackResponse]:
        """A post-case CSAT answer from one solved case in three: happier when solved quickly."""
        if case.solved_at is None or rng.random() > 0.35:
            return []
        answered = case.solved_at + timedelta(hours=rng.uniform(1, 48))
        if answered >= self.end:
            return []
        days = (case.solved_at - case.created_at) / timedelta(days=1)
        mood = 4.6 - 0.35 * min(days, 5) - 0.8 * case.reopen_count + rng.gauss(0, 0.8)
        score = max(1, min(5, round(mood)))
        return [FeedbackResponse(
            customer_id=case.customer_id, kind="csat", score=score, answered_at=answered,
            channel=case.channel, case_id=case.id, survey="post-case", source="synthetic-desk",
        )]  # fmt: skip

    def _nps(self, rng: random.Random, customer: CustomerId) -> list[FeedbackResponse]:
        """A quarterly NPS survey: a quarter of the customers answer, each quarter."""
        found: list[FeedbackResponse] = []
        quarter = datetime(
            self.start.year, 3 * ((self.start.month - 1) // 3) + 1, 1, tzinfo=self.start.tzinfo
        )
        while quarter < self.end:
            sent = quarter + timedelta(days=14)
            if self.start <= sent < self.end and rng.random() < 0.25:
                score = max(0, min(10, round(rng.gauss(7.6, 2.1))))
                found.append(FeedbackResponse(
                    customer_id=customer, kind="nps", score=score,
                    answered_at=sent + timedelta(hours=rng.uniform(0, 240)), channel="email",
                    survey=f"nps-{sent.year}-q{(sent.month - 1) // 3 + 1}", source="synthetic-desk",
                ))  # fmt: skip
            month = quarter.month + 3
            quarter = quarter.replace(year=quarter.year + (month - 1) // 12, month=(month - 1) % 12 + 1)
        return [f for f in found if f.answered_at < self.end]

    def _how_many(self, rng: random.Random) -> int:
        whole = int(self.cases_per_customer)
        return whole + (rng.random() < self.cases_per_customer - whole)

    def _opened_at(self, rng: random.Random, calendar: BusinessCalendar) -> datetime:
        span = self.end - self.start
        moment = self.start + span * rng.random()
        if rng.random() < 0.8:  # most customers write in office hours
            moment = calendar.next_open(moment) + timedelta(minutes=rng.randrange(0, 240))
        return min(moment, self.end - _HOUR)

    def _case(
        self,
        uow: UnitOfWork,
        rng: random.Random,
        calendar: BusinessCalendar,
        customer: CustomerId,
        match: Match,
    ) -> tuple[Case, int]:
        opened = self._opened_at(rng, calendar)
        channel = _pick(rng, _CHANNELS)
        case = Case(
            customer_id=customer,
            subject="Customer request",
            channel=channel,
            type=_pick(rng, _TYPES),
            priority=_pick(rng, _PRIORITIES),
            team=rng.choice(["tier-1", "tier-1", "tier-2"]),
            created_at=opened,
        )
        case = service_services.open(uow, case, match)
        at = opened
        talk = 0

        def say(direction: Direction) -> None:
            nonlocal case, talk
            if at < self.end:
                case = service_services.record_message(uow, self._message(case, channel, direction, at))[1]
                talk += 1

        say(Direction.INBOUND)

        def later(hours: float) -> datetime:
            return calendar.add(at, timedelta(hours=hours)) + timedelta(minutes=rng.randrange(0, 30))

        def move(status: str) -> None:
            nonlocal case
            if at < self.end:
                found = decisions.set_status(case, _STATUS[status], at, match)
                case = service_services.store(uow, found)

        urgency = {"urgent": 0.3, "high": 0.6, "normal": 1.0, "low": 1.5}[case.priority.value]
        at = later(rng.expovariate(1 / (2.5 * urgency)))
        say(Direction.OUTBOUND)
        move("open")
        if rng.random() < 0.35:  # waiting on the customer, or on a supplier
            move(rng.choice(["pending", "pending", "on_hold"]))
            at = later(rng.expovariate(1 / 10))
            say(Direction.INBOUND)
            move("open")
            at = later(rng.expovariate(1 / (3 * urgency)))
            say(Direction.OUTBOUND)
        at = later(rng.expovariate(1 / (14 * urgency)))
        move("solved")
        if rng.random() < 0.08:  # the customer writes back: reopened
            at = later(rng.expovariate(1 / 20))
            say(Direction.INBOUND)
            move("open")
            at = later(rng.expovariate(1 / (6 * urgency)))
            move("solved")
        at += timedelta(days=rng.uniform(2, 6))
        if case.category is StatusCategory.SOLVED:
            move("closed")
        return case, talk

    @staticmethod
    def _message(case: Case, channel: str, direction: Direction, at: datetime) -> Touchpoint:
        return Touchpoint(
            customer_id=case.customer_id,
            case_id=case.id,
            channel=channel,
            direction=direction,
            occurred_at=at,
            source="synthetic-desk",
        )
