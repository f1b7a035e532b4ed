"""Hypothesis strategies for the service context: calendars, statuses, policies, cases, history, marks.

Example:
    >>> from hypothesis import given
    >>> @given(cases())
    ... def test_cases_are_valid(case):
    ...     assert (case.solved_at is None) == (not case.category.is_solved)
    >>> test_cases_are_valid()
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import strategies as st

from relcore.ids import uuid7
from relcore.service.calendars import BusinessCalendar, Opening
from relcore.service.marks import MarkKind, SlaMark
from relcore.service.model import Case, CaseChange, CaseChangeKind
from relcore.service.policies import CaseCondition, SlaMetric, SlaPolicy, SlaPolicyRevision, SlaTarget
from relcore.service.statuses import CaseStatus, Priority, StatusCategory
from relcore.testing.sales_strategies import keys
from relcore.testing.strategies import ZONES, aware_datetimes, payloads, texts
from relcore.vocabularies import CaseType

__all__ = [
    "calendars",
    "case_changes",
    "case_conditions",
    "case_statuses",
    "cases",
    "openings",
    "sla_marks",
    "sla_policies",
    "sla_revisions",
    "sla_targets",
]

_TAGS = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)


@st.composite
def openings(draw: st.DrawFn) -> list[Opening]:
    """Zero to three non-empty openings of a day, in minutes (they may touch or overlap)."""
    found = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(0, 1439))
        found.append(Opening(start, draw(st.integers(start + 1, 1440))))
    return found


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    """Around-the-clock calendars and weekly ones with some open time and a few dated exceptions."""
    zone = draw(st.sampled_from(["UTC", *ZONES]))
    if draw(st.booleans()):
        return BusinessCalendar.always(zone)
    week = [draw(openings()) for _ in range(7)]
    if not any(week):
        week[0] = [Opening(540, 1020)]
    days = st.dates(date(2000, 1, 1), date(2100, 12, 31))
    exceptions = draw(st.dictionaries(days, openings(), max_size=3))
    return BusinessCalendar(timezone=zone, week=week, exceptions=exceptions)


def case_statuses() -> st.SearchStrategy[CaseStatus]:
    """Statuses of any category, active or not."""
    return st.builds(
        CaseStatus,
        key=keys(),
        category=st.sampled_from(list(StatusCategory)),
        label=texts(1, 100),
        active=st.booleans(),
    )


def sla_targets() -> st.SearchStrategy[SlaTarget]:
    """Targets of any metric and priority, from 0 to 30 days, in business or real time."""
    return st.builds(
        SlaTarget,
        metric=st.sampled_from(list(SlaMetric)),
        priority=st.sampled_from(list(Priority)),
        minutes=st.integers(0, 30 * 24 * 60),
        business=st.booleans(),
    )


def case_conditions() -> st.SearchStrategy[CaseCondition]:
    """Conditions on any of the case fields a policy may test."""
    small = {"max_size": 3}
    return st.builds(
        CaseCondition,
        priorities=st.frozensets(st.sampled_from(list(Priority))),
        channels=st.frozensets(st.sampled_from(["email", "phone", "chat", "web"]), **small),
        types=st.frozensets(st.sampled_from(list(CaseType)), **small),
        teams=st.frozensets(texts(1, 100), **small),
        tags_any=st.frozensets(_TAGS, **small),
        tags_all=st.frozensets(_TAGS, **small),
        segments=st.frozensets(st.builds(uuid7), **small),
    )


@st.composite
def sla_policies(draw: st.DrawFn) -> SlaPolicy:
    """Policies with one to six targets (one per metric and priority), any calendar, condition and pauses."""
    targets = draw(
        st.lists(sla_targets(), min_size=1, max_size=6, unique_by=lambda t: (t.metric, t.priority))
    )
    paused = st.lists(st.sampled_from([StatusCategory.NEW, StatusCategory.PENDING, StatusCategory.ON_HOLD]))
    return SlaPolicy(
        name=draw(texts(1, 100)),
        position=draw(st.integers(0, 1000)),
        active=draw(st.booleans()),
        condition=draw(case_conditions()),
        calendar=draw(calendars()),
        targets=targets,
        pauses=draw(st.dictionaries(st.sampled_from(list(SlaMetric)), paused)),
        at_risk=draw(st.integers(1, 10_000).map(lambda bp: bp / 10_000).map(str)),
        created_at=draw(aware_datetimes()),
    )


@st.composite
def sla_revisions(draw: st.DrawFn) -> SlaPolicyRevision:
    """The revision of a drawn policy."""
    policy = draw(sla_policies())
    return SlaPolicyRevision.of(policy, policy.updated_at)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Cases in any category, with or without the optional fields."""
    category = draw(st.sampled_from(list(StatusCategory)))
    created = draw(aware_datetimes(max_value=datetime(2190, 1, 1))).astimezone(UTC)
    later = st.timedeltas(timedelta(0), timedelta(days=400)).map(lambda d: created + d)
    changed = draw(later)
    policy = draw(st.none() | st.builds(uuid7))
    return Case(
        customer_id=uuid7(),
        contact_id=draw(st.none() | st.builds(uuid7)),
        subject=draw(texts(1, 500)),
        description=draw(st.none() | texts(1, 2000)),
        channel=draw(st.sampled_from(["email", "phone", "chat", "web"])),
        type=draw(st.sampled_from(list(CaseType))),
        priority=draw(st.sampled_from(list(Priority))),
        status=draw(keys()),
        category=category,
        team=draw(st.none() | texts(1, 100)),
        assignee=draw(st.none() | texts(1, 100)),
        parent_id=draw(st.none() | st.builds(uuid7)),
        opportunity_id=draw(st.none() | st.builds(uuid7)),
        tags=draw(st.lists(_TAGS, max_size=4)),
        attributes=draw(payloads()),
        policy_id=policy,
        policy_version=None if policy is None else draw(st.integers(1, 1000)),
        created_at=created,
        first_responded_at=draw(st.none() | later),
        solved_at=changed if category.is_solved else None,
        closed_at=changed if category is StatusCategory.CLOSED else None,
        reopen_count=draw(st.integers(0, 50)),
        merged_into=draw(st.none() | st.builds(uuid7)),
        breached_at=draw(st.none() | later),
        changed_at=changed,
    )


@st.composite
def case_changes(draw: st.DrawFn) -> CaseChange:
    """History entries of any kind, with or without a previous status."""
    policy = draw(st.none() | st.builds(uuid7))
    previous = draw(st.none() | keys())
    return CaseChange(
        case_id=uuid7(),
        customer_id=uuid7(),
        kind=draw(st.sampled_from(list(CaseChangeKind))),
        at=draw(aware_datetimes()),
        actor=draw(st.none() | texts(1, 100)),
        status=draw(keys()),
        category=draw(st.sampled_from(list(StatusCategory))),
        priority=draw(st.sampled_from(list(Priority))),
        team=draw(st.none() | texts(1, 100)),
        assignee=draw(st.none() | texts(1, 100)),
        policy_id=policy,
        policy_version=None if policy is None else draw(st.integers(1, 1000)),
        merged_into=draw(st.none() | st.builds(uuid7)),
        prev_status=previous,
        prev_category=None if previous is None else draw(st.sampled_from(list(StatusCategory))),
    )


def sla_marks() -> st.SearchStrategy[SlaMark]:
    """Marks of any metric, instance and kind."""
    return st.builds(
        SlaMark,
        case_id=st.builds(uuid7),
        customer_id=st.builds(uuid7),
        metric=st.sampled_from(list(SlaMetric)),
        instance=st.integers(0, 1000),
        kind=st.sampled_from(list(MarkKind)),
        at=aware_datetimes(),
        marked_at=aware_datetimes(),
    )
