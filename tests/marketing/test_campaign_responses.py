"""Campaign touchpoints move members (``crm.campaigns``) on every backend; unsubscribes withdraw consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relcore import CRM, Customer, NotFoundError, Touchpoint, ValidationError
from relcore.consent.model import ConsentStatus
from relcore.marketing import (
    DEFAULT_MEMBER_STATUSES,
    DEFAULT_RESPONSES,
    Campaign,
    CampaignMember,
    CampaignMemberResponded,
    CampaignMemberUnsubscribed,
    ResponseMapping,
    ResponseRule,
    advance_status,
    respond,
)
from relcore.marketing.response_services import UNSUBSCRIBE_SOURCE
from relcore.registry import Store
from relcore.storage.memory import MemoryStore
from relcore.testing._contract_support import snapshot
from relcore.testing.contracts import FixedClock
from relcore.testing.events import capture_events

T0 = datetime(2026, 4, 1, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)
NOW = T0 + timedelta(days=20)


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(NOW))


@attrs.frozen
class World:
    crm: CRM
    campaign: Campaign
    ada: Customer
    bob: Customer
    cy: Customer


def world(crm: CRM, **fields: Any) -> World:
    """Ada is a member, Bob was left out for lack of consent, Cy was never considered; all granted email."""
    fields.setdefault("name", "Spring")
    campaign = crm.campaigns.add(Campaign(channel="email", created_at=T0, **fields))
    ada, bob, cy = (crm.customers.add(Customer.person(n, created_at=T0)) for n in ("Ada", "Bob", "Cy"))
    for who in (ada, bob, cy):
        crm.consent.record(who.id, "marketing", "granted", channel="email", recorded_at=T0)
    with crm.unit_of_work() as uow:
        uow.campaign_members.add_many(
            [
                CampaignMember(campaign_id=campaign.id, customer_id=ada.id, status="targeted", added_at=T0),
                CampaignMember(
                    campaign_id=campaign.id, customer_id=bob.id, excluded="no_consent", added_at=T0
                ),
            ]
        )
        uow.commit()
    return World(crm, campaign, ada, bob, cy)


def touch(w: World, who: Customer, kind: str, direction: str, hours: float, **fields: Any) -> Touchpoint:
    fields.setdefault("external_id", f"{who.id}-{kind}-{direction}-{hours}")
    return Touchpoint(
        customer_id=who.id,
        campaign_id=w.campaign.id,
        channel="email",
        kind=kind,
        direction=direction,
        occurred_at=T0 + hours * HOUR,
        source="esp",
        **fields,
    )


def member(w: World, who: Customer) -> CampaignMember | None:
    with w.crm.unit_of_work(read_only=True) as uow:
        return uow.campaign_members.find(w.campaign.id, who.id)


def test_responses_move_the_member_forward_and_announce_its_first_response(crm: CRM) -> None:
    w = world(crm)
    with capture_events(crm, CampaignMemberResponded) as seen:
        sent = crm.campaigns.record_response(touch(w, w.ada, "message", "outbound", 1))
        delivered = crm.campaigns.record_response(
            touch(w, w.ada, "message", "outbound", 2, outcome="delivered")
        )
        clicked = crm.campaigns.record_response(touch(w, w.ada, "click", "inbound", 4))
        opened = crm.campaigns.record_response(touch(w, w.ada, "open", "inbound", 3))  # reported late
        replied = crm.campaigns.record_response(touch(w, w.ada, "message", "inbound", 6))
        again = crm.campaigns.record_response(touch(w, w.ada, "message", "inbound", 7))
    assert [r.status for r in (sent, delivered, clicked, opened, replied)] == [
        "sent",
        "delivered",
        "clicked",
        "opened",
        "responded",
    ]
    assert [r.moved for r in (sent, delivered, clicked, opened, replied, again)] == [
        True,
        True,
        True,
        False,
        True,
        False,
    ]
    stored = member(w, w.ada)
    assert stored is not None
    assert stored == replied.member == again.member
    assert (stored.status, stored.first_responded_at, stored.status_changed_at) == (
        "responded",
        T0 + 6 * HOUR,
        T0 + 6 * HOUR,
    )
    assert [(e.customer_id, e.status, e.responded_at) for e in seen] == [
        (w.ada.id, "responded", T0 + 6 * HOUR)
    ]


def test_the_same_touchpoint_twice_changes_nothing_the_second_time(crm: CRM, store: Store) -> None:
    w = world(crm)
    click = touch(w, w.ada, "click", "inbound", 2, outcome="unsubscribed")
    first = crm.campaigns.record_response(click)
    before = snapshot(store)
    with capture_events(crm) as seen:
        second = crm.campaigns.record_response(attrs.evolve(click, id=UUID(int=7)))  # same key, new id
    assert (first.new, first.moved, first.withdrawn) == (True, True, True)
    assert (second.new, second.moved, second.withdrawn, second.status) == (False, False, False, None)
    assert second.member == first.member
    assert snapshot(store) == before
    assert list(seen) == []


def test_customers_left_out_or_never_considered_are_recorded_and_untouched(crm: CRM) -> None:
    w = world(crm)
    left_out = crm.campaigns.record_response(touch(w, w.bob, "click", "inbound", 1))
    stranger = crm.campaigns.record_response(touch(w, w.cy, "message", "inbound", 1))
    assert (left_out.new, left_out.moved, left_out.status) == (True, False, "clicked")
    assert left_out.member is not None
    assert left_out.member == member(w, w.bob)
    assert (left_out.member.status, left_out.member.version) == (None, 1)
    assert (stranger.new, stranger.moved, stranger.member) == (True, False, None)
    assert [t.kind for t in crm.activity.timeline(w.bob.id)] == ["click"]
    assert [t.kind for t in crm.activity.timeline(w.cy.id)] == ["message"]


def test_an_unsubscribe_withdraws_consent_once_and_ends_the_members_progress(crm: CRM) -> None:
    w = world(crm)
    crm.campaigns.record_response(touch(w, w.ada, "click", "inbound", 2))
    assert crm.consent.may_contact(w.ada.id, "marketing", "email")
    with capture_events(crm, CampaignMemberUnsubscribed) as seen:
        out = crm.campaigns.record_response(touch(w, w.ada, "message", "inbound", 3, outcome="unsubscribed"))
        twice = crm.campaigns.record_response(touch(w, w.ada, "click", "inbound", 4, outcome="unsubscribed"))
        late = crm.campaigns.record_response(touch(w, w.ada, "message", "inbound", 5))  # a reply after it
    assert (out.member is not None, out.withdrawn, twice.withdrawn, late.moved) == (True, True, False, False)
    assert member(w, w.ada).status == "unsubscribed"  # type: ignore[union-attr]
    assert not crm.consent.may_contact(w.ada.id, "marketing", "email")
    assert crm.consent.may_contact(w.ada.id, "marketing", "sms") is False  # never granted
    withdrawals = [r for r in crm.consent.history(w.ada.id) if r.status is ConsentStatus.WITHDRAWN]
    assert [(r.purpose, r.channel, r.recorded_at, r.source) for r in withdrawals] == [
        ("marketing", "email", T0 + 3 * HOUR, UNSUBSCRIBE_SOURCE)
    ]
    assert [(e.customer_id, e.purpose, e.channel) for e in seen] == [(w.ada.id, "marketing", "email")]
    # honoured for a customer the campaign never considered too
    stranger = crm.campaigns.record_response(touch(w, w.cy, "click", "inbound", 1, outcome="unsubscribed"))
    assert (stranger.member, stranger.withdrawn) == (None, True)
    assert not crm.consent.may_contact(w.cy.id, "marketing", "email")


def test_a_bounce_is_terminal_and_a_later_open_does_not_leave_it(crm: CRM) -> None:
    w = world(crm)
    crm.campaigns.record_response(touch(w, w.ada, "message", "outbound", 1, outcome="bounced"))
    crm.campaigns.record_response(touch(w, w.ada, "open", "inbound", 2))
    stored = member(w, w.ada)
    assert stored is not None
    assert (stored.status, stored.first_responded_at) == ("bounced", None)
    assert crm.consent.may_contact(w.ada.id, "marketing", "email")  # a bounce withdraws nothing


def test_apply_responses_moves_members_as_recording_one_by_one_does_and_is_idempotent(
    store_factory: Any,
) -> None:
    bulk = CRM(store_factory(), clock=FixedClock(NOW))
    w = world(bulk)
    steps = [
        touch(w, w.ada, "message", "outbound", 1),
        touch(w, w.ada, "open", "inbound", 3),
        touch(w, w.ada, "message", "inbound", 5),
        touch(w, w.ada, "click", "inbound", 4),
        touch(w, w.bob, "click", "inbound", 2, outcome="unsubscribed"),
        touch(w, w.cy, "message", "inbound", 2),
    ]
    other = Touchpoint(
        customer_id=w.ada.id, channel="email", kind="click", direction="inbound", occurred_at=T0 + 9 * HOUR
    )  # no campaign: not a response
    bulk.activity.import_touchpoints([*steps, other])
    with capture_events(bulk) as seen:
        applied = bulk.campaigns.apply_responses(w.campaign.id)
    assert (applied.touchpoints, applied.moved, applied.responded, applied.withdrawn) == (6, 1, 1, 1)
    assert sorted(type(e).__name__ for e in seen) == [
        "CampaignMemberResponded",
        "CampaignMemberUnsubscribed",
        "ConsentChanged",
    ]
    ada = member(w, w.ada)
    assert ada is not None
    assert (ada.status, ada.first_responded_at, ada.status_changed_at) == (
        "responded",
        T0 + 5 * HOUR,
        T0 + 5 * HOUR,
    )
    assert not bulk.consent.may_contact(w.bob.id, "marketing", "email")
    again = bulk.campaigns.apply_responses(w.campaign.id)
    assert (again.touchpoints, again.moved, again.responded, again.withdrawn) == (6, 0, 0, 0)
    assert member(w, w.ada) == ada


def test_bad_responses_are_refused_before_anything_is_stored(crm: CRM, store: Store) -> None:
    w = world(crm)
    before = snapshot(store)
    plain = touch(w, w.ada, "click", "inbound", 1)
    cases = [
        (lambda: crm.campaigns.record_response("click"), ValidationError, ("touchpoint",)),  # type: ignore[arg-type]
        (
            lambda: crm.campaigns.record_response(attrs.evolve(plain, campaign_id=None)),
            ValidationError,
            ("touchpoint.campaign_id",),
        ),
        (
            lambda: crm.campaigns.record_response(attrs.evolve(plain, channel="pigeon")),
            ValidationError,
            ("touchpoint.channel",),
        ),
        (lambda: crm.campaigns.record_response(plain, mapping="default"), ValidationError, ("mapping",)),  # type: ignore[arg-type]
        (
            lambda: crm.campaigns.record_response(
                plain, mapping=ResponseMapping(rules=[ResponseRule(kind="click", status="liked")])
            ),
            ValidationError,
            ("mapping.rules[0].status",),
        ),
        (
            lambda: crm.campaigns.record_response(attrs.evolve(plain, campaign_id=UUID(int=5))),
            NotFoundError,
            None,
        ),
        (lambda: crm.campaigns.apply_responses(UUID(int=5)), NotFoundError, None),
        (lambda: crm.campaigns.apply_responses("nope"), ValidationError, ("campaign_id",)),  # type: ignore[arg-type]
    ]
    for call, error, paths in cases:
        with pytest.raises(error) as raised:
            call()
        if paths is not None:
            assert raised.value.paths == paths  # type: ignore[attr-defined]
    assert snapshot(store) == before


def test_a_mapping_has_rules_and_each_rule_says_what_it_matches() -> None:
    with pytest.raises(ValidationError) as error:
        ResponseMapping(rules=[])
    assert error.value.paths == ("rules",)
    with pytest.raises(ValidationError) as error:
        ResponseRule(status="sent")
    assert error.value.paths == ("kind",)
    with pytest.raises(ValidationError) as error:
        ResponseRule(kind="open", status="Opened!")
    assert error.value.paths == ("status",)
    with pytest.raises(ValidationError) as error:
        ResponseMapping(rules=["open"])
    assert error.value.paths == ("rules[0]",)
    custom = ResponseMapping(
        rules=[ResponseRule(kind="call", direction="inbound", status="responded")], withdraws=None
    )
    assert custom.withdraws is None
    # every default rule names a default status, and the campaign rules still hold
    spring = Campaign(name="Spring", channel="email")
    DEFAULT_RESPONSES.check_for(spring)
    with pytest.raises(ValidationError) as error:
        Campaign(
            name="X", channel="email", member_statuses=[s for s in DEFAULT_MEMBER_STATUSES if not s.responded]
        )
    assert error.value.paths == ("member_statuses",)
    with pytest.raises(ValidationError) as error:
        Campaign(
            name="X", channel="email", member_statuses=[s for s in DEFAULT_MEMBER_STATUSES if not s.default]
        )
    assert error.value.paths == ("member_statuses",)


KEYS = [s.key for s in DEFAULT_MEMBER_STATUSES]


@given(st.lists(st.tuples(st.sampled_from(KEYS), st.integers(0, 1000)), max_size=12))
def test_respond_only_moves_forward_or_into_a_terminal_status_and_never_out(
    steps: list[tuple[str, int]],
) -> None:
    spring = Campaign(name="Spring", channel="email", created_at=T0)
    start = CampaignMember(campaign_id=spring.id, customer_id=UUID(int=1), status="targeted", added_at=T0)
    now, responded = start, None
    for key, minutes in steps:
        at = T0 + timedelta(minutes=minutes)
        after, events = respond(spring, now, key, at)
        before = spring.member_status(str(now.status))
        moved = spring.member_status(str(after.status))
        assert before is not None
        assert moved is not None
        if before.terminal:
            assert after is now
        else:
            assert after.status == advance_status(spring.member_statuses, before.key, key)
            assert moved.terminal or moved.position >= before.position
        if after is not now:
            assert after.status_changed_at == max(at, T0)
        if moved.responded and responded is None:
            responded = after.first_responded_at
            assert [type(e) for e in events] == [CampaignMemberResponded]
        else:
            assert events == []
        assert after.first_responded_at == responded
        now = after


STEP = st.tuples(
    st.integers(0, 2),
    st.sampled_from(["message", "open", "click", "call"]),
    st.sampled_from(["inbound", "outbound"]),
    st.sampled_from([None, "delivered", "bounced", "unsubscribed"]),
    st.integers(0, 48),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(STEP, max_size=12))
def test_applying_imported_touchpoints_equals_recording_them_in_order(steps: list[Any]) -> None:
    def run(bulk: bool) -> tuple[Any, ...]:
        store = MemoryStore()
        crm = CRM(store, clock=FixedClock(NOW))
        w = world(crm)
        people = [w.ada, w.bob, w.cy]
        touches = [
            touch(w, people[who], kind, direction, hours, outcome=outcome, external_id=f"t{i}")
            for i, (who, kind, direction, outcome, hours) in enumerate(steps)
        ]
        if bulk:
            crm.activity.import_touchpoints(touches)
            crm.campaigns.apply_responses(w.campaign.id)
            again = snapshot(store)
            assert crm.campaigns.apply_responses(w.campaign.id).moved == 0
            assert snapshot(store) == again
        else:
            for t in sorted(touches, key=lambda t: (t.occurred_at, t.id)):
                crm.campaigns.record_response(t)
        found = member(w, w.ada)
        assert found is not None
        ledger = [
            [(r.status, r.recorded_at) for r in crm.consent.history(p.id) if r.source == UNSUBSCRIBE_SOURCE]
            for p in people
        ]
        return (found.status, found.first_responded_at, found.status_changed_at, ledger)

    assert run(bulk=True) == run(bulk=False)
