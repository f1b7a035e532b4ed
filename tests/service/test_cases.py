"""Cases through ``crm.service``, on every backend: history, events, statuses, policies, checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from relcore import CRM, ConflictError, Customer, NotFoundError, ValidationError
from relcore.domain import Direction, Touchpoint
from relcore.ids import CaseId, uuid7
from relcore.registry import Store
from relcore.segments import field
from relcore.service import (
    Case,
    CaseChangeKind,
    CaseCondition,
    CaseMerged,
    CaseOpened,
    CaseReopened,
    CaseSolved,
    CaseStatus,
    CaseStatusChanged,
    CaseUpdated,
    StatusCategory,
)
from relcore.service._testing import policy
from relcore.testing._contract_support import snapshot
from relcore.testing.contracts import FixedClock
from relcore.testing.events import capture_events

# Monday 2 March 2026, 09:00 in Paris
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(hours(24 * 30)))


@pytest.fixture
def ada(crm: CRM) -> Customer:
    return crm.customers.add(Customer.person("Ada", country="FR", created_at=T0 - timedelta(days=400)))


def new_case(crm: CRM, customer: Customer, actor: str | None = None, **fields: object) -> Case:
    fields.setdefault("subject", "Parcel damaged")
    fields.setdefault("channel", "email")
    fields.setdefault("created_at", T0)
    return crm.service.open(Case(customer_id=customer.id, **fields), actor=actor)


def test_a_case_runs_its_course_and_every_change_is_in_its_history(crm: CRM, ada: Customer) -> None:
    with capture_events(crm) as events:
        case = new_case(crm, ada, type="complaint", actor="portal")
        case = crm.service.assign(case.id, team="tier-1", assignee="agent-7", at=hours(1), version=1)
        case = crm.service.set_status(case.id, "pending", at=hours(2))
        case = crm.service.set_priority(case.id, "high", at=hours(3), actor="agent-7")
        case = crm.service.set_status(case.id, "solved", at=hours(4))
        case = crm.service.reopen(case.id, at=hours(30))
        case = crm.service.set_status(case.id, "closed", at=hours(31))
    assert (case.status, case.category, case.priority.value, case.team, case.assignee) == (
        "closed",
        StatusCategory.CLOSED,
        "high",
        "tier-1",
        "agent-7",
    )
    assert (case.solved_at, case.closed_at, case.reopen_count, case.version) == (hours(31), hours(31), 1, 7)
    history = crm.service.history(case.id)
    assert [(c.kind, c.status, c.prev_status, c.at) for c in history] == [
        (CaseChangeKind.OPENED, "new", None, T0),
        (CaseChangeKind.ASSIGNED, "new", "new", hours(1)),
        (CaseChangeKind.STATUS, "pending", "new", hours(2)),
        (CaseChangeKind.PRIORITY, "pending", "pending", hours(3)),
        (CaseChangeKind.STATUS, "solved", "pending", hours(4)),
        (CaseChangeKind.REOPENED, "open", "solved", hours(30)),
        (CaseChangeKind.STATUS, "closed", "open", hours(31)),
    ]
    assert [c.actor for c in history][:4] == ["portal", None, None, "agent-7"]
    assert [type(e) for e in events] == [
        CaseOpened,
        CaseUpdated,
        CaseStatusChanged,
        CaseUpdated,
        CaseStatusChanged,
        CaseSolved,
        CaseReopened,
        CaseStatusChanged,
    ]
    assert crm.service.get(case.id) == case
    assert crm.service.for_customer(ada.id) == [case]


def test_a_closed_case_stays_closed_and_history_runs_forward(crm: CRM, ada: Customer, store: Store) -> None:
    case = new_case(crm, ada)
    crm.service.set_status(case.id, "closed", at=hours(1))
    before = snapshot(store)
    for attempt, path in [
        (lambda: crm.service.set_status(case.id, "open", at=hours(2)), "status"),
        (lambda: crm.service.set_priority(case.id, "urgent", at=hours(0.5)), "at"),
        (lambda: crm.service.set_status(case.id, "no_such_status", at=hours(2)), "status"),
        (lambda: crm.service.reopen(case.id, status="solved", at=hours(2)), "status"),
        (lambda: crm.service.set_priority(case.id, "extreme", at=hours(2)), "priority"),
    ]:
        with pytest.raises(ValidationError) as caught:
            attempt()
        assert caught.value.paths == (path,)
    with pytest.raises(ConflictError):
        crm.service.set_priority(case.id, "urgent", at=hours(2), version=1)
    with pytest.raises(NotFoundError):
        crm.service.set_status(CaseId(uuid7()), "open")
    assert snapshot(store) == before


def test_save_changes_only_the_untracked_fields(crm: CRM, ada: Customer) -> None:
    case = new_case(crm, ada)
    saved = crm.service.save(attrs.evolve(case, subject="Parcel lost", tags=("parcel",)), at=hours(1))
    assert (saved.subject, saved.tags, saved.version) == ("Parcel lost", ("parcel",), 2)
    for name, value in [("status", "open"), ("priority", "high"), ("assignee", "agent-1")]:
        with pytest.raises(ValidationError) as caught:
            crm.service.save(attrs.evolve(saved, **{name: value}))
        assert caught.value.paths == (name,)
    with pytest.raises(ValidationError) as caught:
        crm.service.save(attrs.evolve(saved, channel="carrier_pigeon"))
    assert caught.value.paths == ("channel",)


def test_declared_statuses_keep_their_category_once_used(crm: CRM, ada: Customer) -> None:
    parts = crm.service.add_status(CaseStatus(key="awaiting_parts", category="on_hold"))
    assert [s.key for s in crm.service.statuses()][-1] == "awaiting_parts"
    with pytest.raises(ConflictError):
        crm.service.add_status(CaseStatus(key="pending", category="pending"))
    case = new_case(crm, ada)
    case = crm.service.set_status(case.id, "awaiting_parts", at=hours(1))
    assert case.category is StatusCategory.ON_HOLD
    with pytest.raises(ValidationError) as caught:
        crm.service.save_status(attrs.evolve(parts, category="open"))
    assert caught.value.paths == ("category",)
    quiet = crm.service.save_status(attrs.evolve(parts, active=False, label="Waiting for parts"))
    assert (quiet.version, quiet.label) == (2, "Waiting for parts")
    with pytest.raises(ValidationError):
        crm.service.set_status(new_case(crm, ada).id, "awaiting_parts", at=hours(2))


def test_the_first_matching_policy_applies_and_follows_the_case(crm: CRM, ada: Customer) -> None:
    grace = crm.customers.add(Customer.person("Grace", country="GB", created_at=T0 - timedelta(days=9)))
    french = crm.segments.define("french", field("country") == "FR")
    vip = crm.service.add_policy(policy("VIP", position=0, condition=CaseCondition(tags_any=["vip"])))
    local = crm.service.add_policy(policy("Local", position=1, condition=CaseCondition(segments=[french.id])))
    urgent = crm.service.add_policy(
        policy("Urgent", position=2, condition=CaseCondition(priorities=["urgent"]))
    )
    assert [p.name for p in crm.service.policies()] == ["VIP", "Local", "Urgent"]
    assert new_case(crm, ada, tags=["vip"]).policy_id == vip.id
    assert new_case(crm, ada).policy_id == local.id
    theirs = new_case(crm, grace)
    assert theirs.policy_id is None
    theirs = crm.service.set_priority(theirs.id, "urgent", at=hours(1))
    assert (theirs.policy_id, theirs.policy_version) == (urgent.id, 1)
    theirs = crm.service.save(attrs.evolve(theirs, tags=("vip",)), at=hours(2))
    assert theirs.policy_id == vip.id
    assert crm.service.history(theirs.id)[-1].kind is CaseChangeKind.POLICY


def test_an_edited_policy_keeps_its_running_cases_on_their_version(crm: CRM, ada: Customer) -> None:
    standard = crm.service.add_policy(policy())
    first = new_case(crm, ada)
    edited = crm.service.save_policy(attrs.evolve(standard, at_risk="0.5"))
    assert edited.version == 2
    second = new_case(crm, ada, created_at=hours(1))
    assert (first.policy_version, second.policy_version) == (1, 2)
    first = crm.service.set_priority(first.id, "high", at=hours(2))
    assert first.policy_version == 1
    assert crm.service.policy(standard.id, 1).at_risk == standard.at_risk
    assert crm.service.policy(standard.id).at_risk == edited.at_risk


def test_merging_closes_the_case_into_another_of_the_same_customer(crm: CRM, ada: Customer) -> None:
    grace = crm.customers.add(Customer.person("Grace"))
    keep, dup = new_case(crm, ada), new_case(crm, ada, created_at=hours(1))
    other = new_case(crm, grace)
    with pytest.raises(ValidationError) as caught:
        crm.service.merge(dup.id, other.id, at=hours(2))
    assert caught.value.paths == ("into",)
    with capture_events(crm) as events:
        merged = crm.service.merge(dup.id, keep.id, at=hours(2))
    assert (merged.merged_into, merged.category, merged.closed_at) == (
        keep.id,
        StatusCategory.CLOSED,
        hours(2),
    )
    assert [type(e) for e in events] == [CaseMerged]
    with pytest.raises(ValidationError) as caught:
        crm.service.set_priority(merged.id, "high", at=hours(3))
    assert caught.value.paths == ("case_id",)


def test_messages_set_the_first_response_once(crm: CRM, ada: Customer) -> None:
    case = new_case(crm, ada)

    def message(direction: str, at: datetime, key: str) -> Touchpoint:
        return Touchpoint(
            customer_id=ada.id,
            case_id=case.id,
            channel="email",
            direction=direction,
            occurred_at=at,
            source="desk",
            external_id=key,
        )

    assert crm.service.record_message(message("inbound", hours(0.5), "m1")).first_responded_at is None
    assert crm.service.record_message(message("outbound", hours(2), "m2")).first_responded_at == hours(2)
    assert crm.service.record_message(message("outbound", hours(3), "m3")).first_responded_at == hours(2)
    again = crm.service.record_message(message("outbound", hours(1), "m2"))  # re-sent: changes nothing
    assert (again.first_responded_at, again.version) == (hours(2), 2)
    assert len(crm.activity.timeline(ada.id)) == 3
    with pytest.raises(ValidationError) as caught:
        crm.service.record_message(attrs.evolve(message("outbound", hours(4), "m4"), case_id=None))
    assert caught.value.paths == ("case_id",)
    grace = crm.customers.add(Customer.person("Grace"))
    with pytest.raises(ValidationError) as caught:
        crm.service.record_message(attrs.evolve(message("outbound", hours(4), "m5"), customer_id=grace.id))
    assert caught.value.paths == ("customer_id",)
    assert Direction.OUTBOUND.value == "outbound"


def test_links_must_be_the_customers_own(crm: CRM, ada: Customer) -> None:
    grace = crm.customers.add(Customer.person("Grace"))
    theirs = new_case(crm, grace)
    with pytest.raises(ValidationError) as caught:
        new_case(crm, ada, parent_id=theirs.id)
    assert caught.value.paths == ("parent_id",)
    with pytest.raises(ValidationError) as caught:
        new_case(crm, ada, status="solved")
    assert caught.value.paths == ("status",)
    with pytest.raises(ValidationError) as caught:
        new_case(crm, ada, type="gripe")
    assert caught.value.paths == ("type",)
    child = new_case(crm, grace, parent_id=theirs.id)
    assert crm.service.children(theirs.id) == [child]
