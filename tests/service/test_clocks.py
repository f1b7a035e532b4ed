"""SLA clocks: cases worked by hand on a calendar with a lunch break, and the clocks' properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from relcore import NotFoundError, ValidationError
from relcore.ids import SlaPolicyId
from relcore.service import WORKDAYS, BusinessCalendar
from relcore.service.clocks import CaseMessage, ClockState, SlaClock, clocks
from relcore.service.model import Case, CaseChange, CaseChangeKind
from relcore.service.policies import SlaMetric, SlaPolicy, SlaTarget
from relcore.service.statuses import Priority, StatusCategory

PARIS = ZoneInfo("Europe/Paris")
H, M = timedelta(hours=1), timedelta(minutes=1)
FR, NR, RES = SlaMetric.FIRST_RESPONSE, SlaMetric.NEXT_RESPONSE, SlaMetric.RESOLUTION
URGENT, HIGH, NORMAL = Priority.URGENT, Priority.HIGH, Priority.NORMAL
NEW, OPEN, PENDING, SOLVED = (
    StatusCategory.NEW,
    StatusCategory.OPEN,
    StatusCategory.PENDING,
    StatusCategory.SOLVED,
)

# Monday to Friday 09:00-12:00 and 13:00-17:00 in Paris: seven hours a day, lunch from 12:00 to 13:00
DESK_HOURS = BusinessCalendar.weekly(
    "Europe/Paris", {day: ["09:00-12:00", "13:00-17:00"] for day in WORKDAYS}
)


def target(metric: SlaMetric, priority: Priority, minutes: int, business: bool = True) -> SlaTarget:
    return SlaTarget(metric=metric, priority=priority, minutes=minutes, business=business)


DESK = SlaPolicy(
    name="desk",
    calendar=DESK_HOURS,
    targets=[
        target(FR, URGENT, 60),
        target(FR, HIGH, 120),
        target(FR, NORMAL, 240),
        target(NR, URGENT, 30),
        target(RES, URGENT, 4 * 60),
        target(RES, HIGH, 8 * 60),
        target(RES, NORMAL, 16 * 60),
    ],
)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


# 2026-03-06 is a Friday, 2026-03-09 the Monday after
FRI, MON, TUE = (2026, 3, 6), (2026, 3, 9), (2026, 3, 10)


class Story:
    """A case and its history, told change by change."""

    def __init__(self, at: datetime, priority: Priority = URGENT, policy: SlaPolicy | None = DESK) -> None:
        self.policies: dict[tuple[SlaPolicyId, int], SlaPolicy] = {}
        self.policy = policy
        if policy is not None:
            self.policies[(policy.id, policy.version)] = policy
        self.case = Case(
            customer_id=uuid4(),
            subject="printer",
            channel="email",
            priority=priority,
            created_at=at,
            policy_id=None if policy is None else policy.id,
            policy_version=None if policy is None else policy.version,
        )
        self.category, self.priority = NEW, priority
        self.changes: list[CaseChange] = []
        self.messages: list[CaseMessage] = []
        self._write(CaseChangeKind.OPENED, at, None)

    def _write(self, kind: CaseChangeKind, at: datetime, before: StatusCategory | None) -> Story:
        self.changes.append(
            CaseChange(
                case_id=self.case.id,
                customer_id=self.case.customer_id,
                kind=kind,
                at=at,
                status=self.category.value,
                category=self.category,
                priority=self.priority,
                policy_id=None if self.policy is None else self.policy.id,
                policy_version=None if self.policy is None else self.policy.version,
                merged_into=uuid4() if kind is CaseChangeKind.MERGED else None,
                prev_status=None if before is None else before.value,
                prev_category=before,
            )
        )
        return self

    def status(self, at: datetime, category: StatusCategory) -> Story:
        before, self.category = self.category, category
        kind = (
            CaseChangeKind.REOPENED if before.is_solved and not category.is_solved else CaseChangeKind.STATUS
        )
        return self._write(kind, at, before)

    def reprioritize(self, at: datetime, priority: Priority) -> Story:
        self.priority = priority
        return self._write(CaseChangeKind.PRIORITY, at, self.category)

    def repolicy(self, at: datetime, policy: SlaPolicy | None) -> Story:
        self.policy = policy
        if policy is not None:
            self.policies[(policy.id, policy.version)] = policy
        return self._write(CaseChangeKind.POLICY, at, self.category)

    def merge(self, at: datetime) -> Story:
        return self._write(CaseChangeKind.MERGED, at, self.category)

    def say(self, at: datetime, *, outbound: bool) -> Story:
        self.messages.append(CaseMessage(at=at, outbound=outbound))
        return self

    def resolve(self, policy_id: SlaPolicyId, version: int) -> SlaPolicy:
        found = self.policies.get((policy_id, version))
        if found is None:
            raise NotFoundError("SLA policy", policy_id)
        return found

    def clocks(self, as_of: datetime) -> dict[tuple[SlaMetric, int], SlaClock]:
        found = clocks(self.case, self.changes, self.messages, self.resolve, as_of)
        return {(c.metric, c.instance): c for c in found}


def test_opened_late_friday_is_due_monday_before_lunch() -> None:
    story = Story(paris(*FRI, 16))
    at_ten = story.clocks(paris(*MON, 10))
    first, resolution = at_ten[FR, 0], at_ten[RES, 0]
    # first response, 60 business minutes: Friday 16:00-17:00, so due and breached Friday 17:00
    assert first.due_at == first.breached_at == paris(*FRI, 17)
    assert (first.state, first.elapsed, first.remaining) == (ClockState.BREACHED, 2 * H, -H)
    # resolution, 4 business hours: Friday 16:00-17:00 (1 h), then Monday 09:00-12:00 (3 h): due Monday 12:00
    assert resolution.due_at == paris(*MON, 12)
    assert (resolution.state, resolution.elapsed, resolution.remaining) == (ClockState.RUNNING, 2 * H, 2 * H)
    # at risk after three quarters, 3 h: Friday's hour, then Monday 09:00-11:00
    assert resolution.at_risk_at == paris(*MON, 11)
    assert not resolution.at_risk
    assert story.clocks(paris(*MON, 11, 30))[RES, 0].at_risk
    # Monday 14:00: Friday's hour, the morning's three, 13:00-14:00 after lunch = 5 h; breached at noon
    late = story.clocks(paris(*MON, 14))[RES, 0]
    assert (late.state, late.breached_at, late.elapsed, late.remaining) == (
        ClockState.BREACHED,
        paris(*MON, 12),
        5 * H,
        -H,
    )
    assert not late.at_risk
    assert (late.policy_id, late.policy_version, late.business, late.target) == (DESK.id, 1, True, 4 * H)


def test_opened_after_hours_starts_at_the_next_opening() -> None:
    story = Story(paris(*FRI, 18))
    found = story.clocks(paris(*MON, 9, 30))
    assert found[FR, 0].started_at == found[RES, 0].started_at == paris(*MON, 9)
    # nothing counted over the weekend: Monday 09:00-09:30
    assert found[RES, 0].elapsed == 30 * M
    assert found[FR, 0].due_at == paris(*MON, 10)  # 60 minutes from Monday 09:00


def pending_monday(priority_change: Priority | None = None) -> Story:
    # opened Monday 09:00, pending 10:00 to 14:00: 10:00-12:00 and 13:00-14:00 = 3 business hours paused
    story = Story(paris(*MON, 9)).status(paris(*MON, 10), PENDING).status(paris(*MON, 14), OPEN)
    if priority_change is not None:
        story.reprioritize(paris(*MON, 14, 30), priority_change)
    return story


def test_paused_time_counts_against_resolution_but_not_first_response() -> None:
    found = pending_monday().clocks(paris(*MON, 15))
    first, resolution = found[FR, 0], found[RES, 0]
    # first response is not paused by pending: 09:00-12:00 and 13:00-15:00 = 5 h, breached at 10:00
    assert (first.elapsed, first.paused, first.breached_at) == (5 * H, timedelta(0), paris(*MON, 10))
    # resolution: 09:00-10:00 and 14:00-15:00 counted, 3 h paused; due after 2 more hours, 17:00
    assert (resolution.elapsed, resolution.paused, resolution.state) == (2 * H, 3 * H, ClockState.RUNNING)
    assert resolution.due_at == paris(*MON, 17)
    # while pending, it is paused and has no due instant
    during = pending_monday().clocks(paris(*MON, 11))[RES, 0]
    assert (during.state, during.due_at, during.elapsed, during.paused) == (ClockState.PAUSED, None, H, H)


def test_priority_change_keeps_the_paused_time() -> None:
    # glpi#15605: the pause was lost when the priority changed
    resolution = pending_monday(priority_change=HIGH).clocks(paris(*MON, 15))[RES, 0]
    assert (resolution.elapsed, resolution.paused, resolution.target) == (2 * H, 3 * H, 8 * H)
    assert resolution.remaining == 6 * H
    # 6 h from Monday 15:00: 15:00-17:00 (2 h), Tuesday 09:00-12:00 (3 h), 13:00-14:00 (1 h)
    assert resolution.due_at == paris(*TUE, 14)
    assert resolution.state is ClockState.RUNNING


def test_breach_stays_after_the_priority_is_lowered() -> None:
    story = Story(paris(*MON, 9)).reprioritize(paris(*MON, 14, 30), NORMAL)
    found = story.clocks(paris(*MON, 15))
    resolution = found[RES, 0]
    # 4 h reached at 14:00 (09:00-12:00, 13:00-14:00) while urgent; normal's 16 h is far off, the breach stays
    assert (resolution.state, resolution.breached_at) == (ClockState.BREACHED, paris(*MON, 14))
    assert (resolution.target, resolution.elapsed, resolution.remaining) == (16 * H, 5 * H, 11 * H)
    # 11 h from Monday 15:00: 2 h Monday, 7 h Tuesday, then Wednesday 09:00-11:00
    assert resolution.due_at == paris(2026, 3, 11, 11)
    assert found[FR, 0].breached_at == paris(*MON, 10)


def test_a_shorter_target_already_exceeded_breaches_at_the_change() -> None:
    story = Story(paris(*MON, 9), priority=NORMAL).reprioritize(paris(*MON, 15), URGENT)
    resolution = story.clocks(paris(*MON, 16))[RES, 0]
    # 5 h elapsed at 15:00 against the new 4 h target
    assert (resolution.breached_at, resolution.due_at) == (paris(*MON, 15), paris(*MON, 14))
    assert resolution.remaining == -2 * H


def test_reopen_keeps_elapsed_time_and_unfulfils_resolution() -> None:
    story = (
        Story(paris(*MON, 9))
        .status(paris(*MON, 10), SOLVED)
        .status(paris(*MON, 11), OPEN)
        .status(paris(*MON, 13, 30), SOLVED)
    )
    solved = story.clocks(paris(*MON, 10, 30))
    assert (solved[RES, 0].state, solved[RES, 0].fulfilled_at) == (ClockState.FULFILLED, paris(*MON, 10))
    # solving first fulfils the first response; at 10:00 it is just due, so in time
    assert (solved[FR, 0].state, solved[FR, 0].fulfilled_at) == (ClockState.FULFILLED, paris(*MON, 10))
    reopened = story.clocks(paris(*MON, 12))[RES, 0]
    assert (reopened.state, reopened.fulfilled_at, reopened.elapsed) == (ClockState.RUNNING, None, 2 * H)
    again = story.clocks(paris(*MON, 14))[RES, 0]
    # 09:00-10:00, 11:00-12:00 and 13:00-13:30
    assert (again.state, again.fulfilled_at, again.elapsed) == (
        ClockState.FULFILLED,
        paris(*MON, 13, 30),
        150 * M,
    )


def test_a_breach_before_the_solve_stays_after_a_reopen() -> None:
    story = Story(paris(*MON, 9)).status(paris(*MON, 15), SOLVED).status(paris(*MON, 16), OPEN)
    solved = story.clocks(paris(*MON, 15, 30))[RES, 0]
    assert (solved.state, solved.breached_at, solved.elapsed) == (
        ClockState.FULFILLED_LATE,
        paris(*MON, 14),
        5 * H,
    )
    reopened = story.clocks(paris(*MON, 16, 30))[RES, 0]
    assert (reopened.state, reopened.breached_at, reopened.elapsed) == (
        ClockState.BREACHED,
        paris(*MON, 14),
        5.5 * H,
    )


def test_merge_stops_every_clock() -> None:
    early = Story(paris(*MON, 9)).merge(paris(*MON, 9, 30)).clocks(paris(*MON, 12))
    assert {c.state for c in early.values()} == {ClockState.STOPPED}
    assert {c.elapsed for c in early.values()} == {30 * M}
    late = (
        Story(paris(*MON, 9))
        .merge(paris(*MON, 11))
        .say(paris(*MON, 11, 30), outbound=True)
        .clocks(paris(*MON, 12))
    )
    # the first response breached at 10:00 before the merge; the reply after it does not count
    assert (late[FR, 0].state, late[FR, 0].breached_at, late[FR, 0].fulfilled_at) == (
        ClockState.STOPPED,
        paris(*MON, 10),
        None,
    )


def test_next_response_instances() -> None:
    story = Story(paris(*MON, 9))
    for hour, minute, outbound in [
        (9, 0, False),  # the request itself: first response's business
        (9, 20, True),  # first response, in time
        (9, 40, False),  # instance 1 starts
        (9, 50, False),  # still waiting: no new instance
        (10, 30, True),  # instance 1 fulfilled after 50 minutes: late (due 10:10)
        (11, 0, False),  # instance 2
        (11, 10, True),  # fulfilled in 10 minutes
        (11, 50, False),  # instance 3: 11:50-12:00, lunch, 13:00-13:20 -> due 13:20
    ]:
        story.say(paris(*MON, hour, minute), outbound=outbound)
    found = story.clocks(paris(*MON, 13, 30))
    assert found[FR, 0].state is ClockState.FULFILLED
    assert sorted(i for m, i in found if m is NR) == [1, 2, 3]
    one, two, three = found[NR, 1], found[NR, 2], found[NR, 3]
    assert (one.state, one.breached_at, one.fulfilled_at) == (
        ClockState.FULFILLED_LATE,
        paris(*MON, 10, 10),
        paris(*MON, 10, 30),
    )
    assert (two.state, two.elapsed, two.remaining) == (ClockState.FULFILLED, 10 * M, 20 * M)
    assert (three.state, three.due_at, three.breached_at, three.elapsed) == (
        ClockState.BREACHED,
        paris(*MON, 13, 20),
        paris(*MON, 13, 20),
        40 * M,
    )


def test_messages_at_one_instant_read_inbound_first() -> None:
    story = Story(paris(*MON, 9)).say(paris(*MON, 9, 10), outbound=True)
    story.say(paris(*MON, 10), outbound=True).say(paris(*MON, 10), outbound=False)
    found = story.clocks(paris(*MON, 11))
    # the customer's message at 10:00 is answered by ours at 10:00
    assert (found[NR, 1].state, found[NR, 1].elapsed) == (ClockState.FULFILLED, timedelta(0))


def test_as_of_answers_as_the_history_stood_then() -> None:
    story = Story(paris(*MON, 9)).status(paris(*MON, 10), SOLVED).status(paris(*MON, 11), OPEN)
    story.say(paris(*MON, 11, 30), outbound=True)
    then = story.clocks(paris(*MON, 10, 30))
    assert then[RES, 0].state is ClockState.FULFILLED
    assert then[RES, 0].as_of == paris(*MON, 10, 30)
    assert story.clocks(paris(*MON, 11, 15))[RES, 0].state is ClockState.RUNNING
    assert story.clocks(paris(*MON, 8)) == {}  # before the case


def test_target_zero() -> None:
    instant = SlaPolicy(name="instant", calendar=DESK_HOURS, targets=[target(FR, URGENT, 0)])
    answered = Story(paris(*MON, 9), policy=instant).say(paris(*MON, 9), outbound=True)
    assert answered.clocks(paris(*MON, 9))[FR, 0].state is ClockState.FULFILLED
    silent = Story(paris(*MON, 9), policy=instant).clocks(paris(*MON, 9))[FR, 0]
    assert (silent.state, silent.breached_at, silent.remaining) == (
        ClockState.BREACHED,
        paris(*MON, 9),
        timedelta(0),
    )
    weekend = Story(paris(*FRI, 18), policy=instant)
    saturday = weekend.clocks(paris(2026, 3, 7, 12))[FR, 0]
    assert (saturday.state, saturday.due_at) == (ClockState.RUNNING, paris(*MON, 9))
    assert weekend.clocks(paris(*MON, 9))[FR, 0].breached_at == paris(*MON, 9)
    assert set(weekend.clocks(paris(*MON, 9))) == {(FR, 0)}  # no target, no clock


def test_a_case_without_a_policy_has_no_clocks() -> None:
    assert Story(paris(*MON, 9), policy=None).clocks(paris(*MON, 17)) == {}
    # a policy applied later counts from then on
    later = Story(paris(*MON, 9), policy=None).repolicy(paris(*MON, 11), DESK).clocks(paris(*MON, 12))
    assert (later[RES, 0].started_at, later[RES, 0].elapsed) == (paris(*MON, 11), H)


def test_calendar_minutes_count_real_time_across_a_weekend() -> None:
    three_days = SlaPolicy(
        name="3 days", calendar=DESK_HOURS, targets=[target(RES, URGENT, 3 * 24 * 60, False)]
    )
    resolution = Story(paris(*FRI, 16), policy=three_days).clocks(paris(*MON, 10))[RES, 0]
    assert (resolution.business, resolution.elapsed, resolution.started_at) == (
        False,
        66 * H,
        paris(*FRI, 16),
    )
    assert resolution.due_at == paris(*MON, 16)


def test_clocks_keep_the_policy_version_of_their_history() -> None:
    edited = attrs.evolve(DESK, version=2, targets=[target(RES, URGENT, 60)])
    story = Story(paris(*MON, 9))
    story.policies[(edited.id, 2)] = edited
    resolution = story.clocks(paris(*MON, 11))[RES, 0]
    assert (resolution.policy_version, resolution.target, resolution.state) == (1, 4 * H, ClockState.RUNNING)
    story.repolicy(paris(*MON, 11, 30), edited)
    moved = story.clocks(paris(*MON, 12))[RES, 0]
    # applied afresh at 11:30 with 2.5 h elapsed against 1 h: breached at the change
    assert (moved.policy_version, moved.breached_at) == (2, paris(*MON, 11, 30))


def test_bad_input_is_refused_naming_the_field() -> None:
    story = Story(paris(*MON, 9))
    with pytest.raises(ValidationError, match="as_of"):
        clocks(story.case, story.changes, [], story.resolve, datetime(2026, 3, 9, 12))
    other = Story(paris(*MON, 9))
    with pytest.raises(ValidationError, match=r"changes\[1\]\.case_id"):
        clocks(story.case, [*story.changes, *other.changes], [], story.resolve, paris(*MON, 12))
    with pytest.raises(ValidationError, match=r"messages\[0\]"):
        clocks(story.case, story.changes, [paris(*MON, 10)], story.resolve, paris(*MON, 12))  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="outbound"):
        CaseMessage(at=paris(*MON, 10), outbound="yes")
    with pytest.raises(NotFoundError):
        clocks(story.case, story.changes, [], Story(paris(*MON, 9), policy=None).resolve, paris(*MON, 12))


# -- properties -------------------------------------------------------------------------------

ROUND_THE_CLOCK = SlaPolicy(
    name="24x7",
    targets=[target(RES, p, 180 + 60 * p.rank, business=p.rank % 2 == 0) for p in Priority]
    + [target(FR, p, 30 * p.rank) for p in Priority]
    + [target(NR, p, 45) for p in Priority],
)
ON_DESK_HOURS = attrs.evolve(ROUND_THE_CLOCK, id=SlaPolicyId(uuid4()), name="desk hours", calendar=DESK_HOURS)
START = datetime(2026, 3, 6, 15, tzinfo=UTC)

steps = st.lists(
    st.tuples(
        st.integers(0, 36 * 60),  # minutes since the previous step
        st.sampled_from(["status", "priority", "in", "out"]),
        st.sampled_from(list(StatusCategory)),
        st.sampled_from(list(Priority)),
    ),
    max_size=12,
)


def tell(policy: SlaPolicy, plan: list[tuple[int, str, StatusCategory, Priority]], solved: bool) -> Story:
    story = Story(START, policy=policy)
    at = START
    for minutes, what, category, priority in plan:
        at += timedelta(minutes=minutes)
        if what == "status" and (solved or not category.is_solved):
            story.status(at, category)
        elif what == "priority":
            story.reprioritize(at, priority)
        elif what in ("in", "out"):
            story.say(at, outbound=what == "out")
    return story


@settings(max_examples=150)
@given(steps, st.integers(0, 20 * 24 * 60))
def test_elapsed_and_paused_make_up_the_whole_time_around_the_clock(plan: list, minutes: int) -> None:
    story = tell(ROUND_THE_CLOCK, plan, solved=False)
    as_of = START + timedelta(minutes=minutes)
    resolution = story.clocks(as_of)[RES, 0]
    assert resolution.elapsed + resolution.paused == as_of - START
    assert resolution.remaining == resolution.target - resolution.elapsed


@settings(max_examples=100)
@given(
    steps,
    st.sampled_from([ROUND_THE_CLOCK, ON_DESK_HOURS]),
    st.lists(st.integers(0, 12 * 24 * 60), min_size=2, max_size=5),
)
def test_elapsed_grows_with_as_of(plan: list, policy: SlaPolicy, offsets: list[int]) -> None:
    story = tell(policy, plan, solved=True)
    previous: dict[tuple[SlaMetric, int], SlaClock] = {}
    for minutes in sorted(offsets):
        found = story.clocks(START + timedelta(minutes=minutes))
        for key, clock in found.items():
            assert clock.remaining == clock.target - clock.elapsed
            assert clock.started_at >= START
            if clock.at_risk_at is not None and clock.due_at is not None:
                assert clock.at_risk_at <= clock.due_at
            assert (clock.due_at is None) == (clock.state is ClockState.PAUSED)
            if key in previous:
                assert clock.elapsed >= previous[key].elapsed
                assert clock.paused >= previous[key].paused
                if previous[key].breached_at is not None:
                    assert clock.breached_at == previous[key].breached_at
        previous = found


@settings(max_examples=150)
@given(steps, st.sampled_from([ROUND_THE_CLOCK, ON_DESK_HOURS]), st.integers(0, 12 * 24 * 60))
def test_a_running_clock_is_breached_at_its_due_instant(plan: list, policy: SlaPolicy, minutes: int) -> None:
    story = tell(policy, plan, solved=True)
    as_of = START + timedelta(minutes=minutes)
    for key, clock in story.clocks(as_of).items():
        if clock.state is not ClockState.RUNNING:
            continue
        assert clock.due_at is not None
        assert clock.due_at >= as_of
        moments = [c.at for c in story.changes] + [m.at for m in story.messages]
        if any(as_of < moment <= clock.due_at for moment in moments):
            continue  # something happens before it is due
        event("re-evaluated at due")
        due = story.clocks(clock.due_at)[key]
        assert (due.state, due.breached_at, due.remaining) == (
            ClockState.BREACHED,
            clock.due_at,
            timedelta(0),
        )
