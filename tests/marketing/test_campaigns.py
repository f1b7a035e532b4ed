"""Campaigns and their member statuses: the validators and the forward-only rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relcore.consent.model import Purpose
from relcore.customers.model import Channel
from relcore.errors import ValidationError
from relcore.ids import CampaignId, uuid7
from relcore.marketing import (
    DEFAULT_MEMBER_STATUSES,
    Campaign,
    CampaignAdded,
    CampaignStatus,
    CampaignStatusChanged,
    FrequencyCap,
    MemberStatus,
    Variant,
    add_campaign,
    advance_status,
    change_status,
    check_member_statuses,
)
from relcore.serialization import from_dict, from_json, to_dict, to_json

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def paths(error: pytest.ExceptionInfo[ValidationError]) -> tuple[str, ...]:
    return error.value.paths


def campaign(**changes: Any) -> Campaign:
    fields: dict[str, Any] = {"name": "Spring sale", "channel": "email", "created_at": START}
    return Campaign(**{**fields, **changes})


# -- member statuses -----------------------------------------------------------


def test_default_statuses_are_in_the_documented_order() -> None:
    keys = [s.key for s in DEFAULT_MEMBER_STATUSES]
    assert keys == [
        "targeted", "sent", "delivered", "opened", "clicked",
        "responded", "converted", "bounced", "unsubscribed",
    ]  # fmt: skip
    assert [s.position for s in DEFAULT_MEMBER_STATUSES] == list(range(9))
    assert [s.key for s in DEFAULT_MEMBER_STATUSES if s.default] == ["targeted"]
    assert [s.key for s in DEFAULT_MEMBER_STATUSES if s.responded] == ["responded", "converted"]
    assert [s.key for s in DEFAULT_MEMBER_STATUSES if s.terminal] == ["bounced", "unsubscribed"]
    assert check_member_statuses(DEFAULT_MEMBER_STATUSES) == DEFAULT_MEMBER_STATUSES
    assert DEFAULT_MEMBER_STATUSES[0].label == "Targeted"


def test_a_list_is_returned_in_position_order() -> None:
    shuffled = [
        MemberStatus(key="replied", position=5, responded=True),
        MemberStatus(key="invited", position=1, default=True),
    ]
    assert [s.key for s in check_member_statuses(shuffled)] == ["invited", "replied"]


@pytest.mark.parametrize(
    ("statuses", "path"),
    [
        ([], "member_statuses"),
        ("targeted", "member_statuses"),
        (["targeted"], "member_statuses[0]"),
        (
            [
                MemberStatus(key="a", position=0, default=True),
                MemberStatus(key="a", position=1, responded=True),
            ],
            "member_statuses[1].key",
        ),
        (
            [
                MemberStatus(key="a", position=0, default=True),
                MemberStatus(key="b", position=0, responded=True),
            ],
            "member_statuses[1].position",
        ),
        ([MemberStatus(key="a", position=0, responded=True)], "member_statuses"),  # no default
        (
            [
                MemberStatus(key="a", position=0, default=True, responded=True),
                MemberStatus(key="b", position=1, default=True),
            ],
            "member_statuses",  # two defaults
        ),
        ([MemberStatus(key="a", position=0, default=True)], "member_statuses"),  # none responded
        (
            [MemberStatus(key=f"s{i}", position=i, default=i == 0, responded=True) for i in range(51)],
            "member_statuses",
        ),
    ],
)
def test_bad_status_lists_are_refused_naming_the_field(statuses: object, path: str) -> None:
    with pytest.raises(ValidationError) as error:
        campaign(member_statuses=statuses)
    assert paths(error) == (path,)


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"key": "Opened", "position": 0}, "key"),
        ({"key": "opened", "position": -1}, "position"),
        ({"key": "opened", "position": 0, "responded": 1}, "responded"),
        ({"key": "opened", "position": 0, "default": True, "terminal": True}, "default"),
    ],
)
def test_bad_statuses_are_refused(fields: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as error:
        MemberStatus(**fields)
    assert paths(error) == (path,)


S = DEFAULT_MEMBER_STATUSES


@pytest.mark.parametrize(
    ("current", "new", "after"),
    [
        ("targeted", "sent", "sent"),
        ("sent", "clicked", "clicked"),  # skipping statuses is a forward move
        ("clicked", "opened", "clicked"),  # a late open: the click already implies it
        ("opened", "opened", "opened"),
        ("converted", "unsubscribed", "unsubscribed"),  # into a terminal status from anywhere
        ("targeted", "bounced", "bounced"),
        ("bounced", "bounced", "bounced"),  # recorded twice
    ],
)
def test_advance_status(current: str, new: str, after: str) -> None:
    assert advance_status(S, current, new) == after


@pytest.mark.parametrize(
    ("current", "new"), [("bounced", "sent"), ("bounced", "unsubscribed"), ("unsubscribed", "converted")]
)
def test_nothing_leaves_a_terminal_status(current: str, new: str) -> None:
    with pytest.raises(ValidationError) as error:
        advance_status(S, current, new)
    assert paths(error) == ("status",)


@pytest.mark.parametrize(("current", "new"), [("targeted", "replied"), ("nobody", "sent"), ("sent", 3)])
def test_unknown_statuses_are_refused(current: str, new: object) -> None:
    with pytest.raises(ValidationError) as error:
        advance_status(S, current, new)  # type: ignore[arg-type]
    assert paths(error) == ("status",)


# A list whose terminal status comes first: moving into it is still allowed from anywhere.
ODD = check_member_statuses(
    [
        MemberStatus(key="excluded", position=0, terminal=True),
        MemberStatus(key="invited", position=1, default=True),
        MemberStatus(key="came", position=2, responded=True),
        MemberStatus(key="cancelled", position=3, terminal=True),
        MemberStatus(key="bought", position=4, responded=True),
    ]
)


@given(st.sampled_from([S, ODD]), st.data())
def test_status_only_moves_forward(statuses: tuple[MemberStatus, ...], data: st.DataObject) -> None:
    by_key = {s.key: s for s in statuses}
    current = next(s.key for s in statuses if s.default)
    moves = data.draw(st.lists(st.sampled_from(sorted(by_key)), max_size=30))
    for new in moves:
        before = by_key[current]
        if before.terminal and new != current:
            with pytest.raises(ValidationError):
                advance_status(statuses, current, new)
            continue
        after = by_key[advance_status(statuses, current, new)]
        assert after.key in (current, new)
        if after.key != before.key:  # a move: forward, or into a terminal status
            assert after.terminal or after.position > before.position
        else:  # no move: the status recorded was this one, or behind it and not terminal
            assert new == current or (not by_key[new].terminal and by_key[new].position < before.position)
        current = after.key


# -- campaigns -----------------------------------------------------------------


def test_a_campaign_s_defaults() -> None:
    spring = campaign()
    assert spring.channel is Channel.EMAIL
    assert spring.purpose is Purpose.MARKETING
    assert spring.status is CampaignStatus.PLANNED
    assert spring.member_statuses == DEFAULT_MEMBER_STATUSES
    assert spring.variants == (Variant(key="a", share=Decimal(1)),)
    assert spring.default_status.key == "targeted"
    assert spring.member_status("clicked") == S[4]
    assert spring.member_status("replied") is None
    assert (spring.seed, spring.frequency_cap, spring.updated_at, spring.version) == (0, None, START, 1)


def test_money_is_exact_in_one_currency() -> None:
    paid = campaign(budget="1000", actual_cost=Decimal("250.75"), currency="eur")
    assert (paid.budget, paid.actual_cost, paid.expected_revenue, paid.currency) == (
        Decimal(1000),
        Decimal("250.75"),
        None,
        "EUR",
    )
    assert campaign(expected_revenue=5000, currency="JPY").expected_revenue == Decimal(5000)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"name": ""}, "name"),
        ({"channel": "E-Mail"}, "channel"),
        ({"purpose": "Marketing!"}, "purpose"),
        ({"status": "running"}, "status"),
        ({"starts_at": START, "ends_at": START - timedelta(seconds=1)}, "ends_at"),
        ({"starts_at": datetime(2026, 3, 2)}, "starts_at"),  # naive
        ({"budget": "100"}, "currency"),
        ({"currency": "EUR"}, "currency"),
        ({"budget": 100.5, "currency": "EUR"}, "budget"),  # a float is inexact
        ({"budget": "-1", "currency": "EUR"}, "budget"),
        ({"actual_cost": "10.5", "currency": "JPY"}, "actual_cost"),  # yen have no minor unit
        ({"expected_revenue": "1000000000000.01", "currency": "EUR"}, "expected_revenue"),  # > 10^14 cents
        ({"currency": "EURO", "budget": 1}, "currency"),
        ({"variants": [Variant(key="a", share="0.5")]}, "variants"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**63}, "seed"),
        ({"seed": True}, "seed"),
        ({"frequency_cap": {"count": 1}}, "frequency_cap.window_seconds"),  # read as stored JSON
        ({"frequency_cap": 3}, "frequency_cap"),
        ({"updated_at": START - timedelta(days=1)}, "updated_at"),
        ({"version": 0}, "version"),
    ],
)
def test_bad_campaigns_are_refused_naming_the_field(changes: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as error:
        campaign(**changes)
    assert paths(error) == (path,)


def test_a_campaign_is_not_its_own_parent() -> None:
    own = CampaignId(uuid7())
    assert campaign(parent_id=CampaignId(uuid7())).parent_id is not None
    with pytest.raises(ValidationError) as error:
        campaign(id=own, parent_id=own)
    assert paths(error) == ("parent_id",)


def test_start_may_equal_end_and_a_declared_channel_is_kept_as_text() -> None:
    flash = campaign(starts_at=START, ends_at=START, channel="carrier_pigeon")
    assert flash.ends_at == flash.starts_at
    assert flash.channel == "carrier_pigeon"
    assert not isinstance(flash.channel, Channel)


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"count": 0, "window": timedelta(days=1)}, "count"),
        ({"count": 1, "window": timedelta(hours=23, minutes=59, seconds=59)}, "window"),
        ({"count": 1, "window": timedelta(days=367)}, "window"),
        ({"count": 1, "window": timedelta(days=1, microseconds=1)}, "window"),
        ({"count": 1, "window": 86400}, "window"),
    ],
)
def test_bad_frequency_caps_are_refused(fields: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as error:
        FrequencyCap(**fields)
    assert paths(error) == (path,)


def test_a_campaign_round_trips_through_json() -> None:
    full = campaign(
        status="active",
        purpose="research",
        parent_id=CampaignId(uuid7()),
        starts_at=START,
        ends_at=START + timedelta(days=14),
        budget="1200.00",
        actual_cost="310.40",
        expected_revenue="9000",
        currency="GBP",
        member_statuses=ODD,
        variants=[
            Variant(key="a", share="0.45"),
            Variant(key="b", share="0.45"),
            Variant(key="hold", share="0.1", control=True),
        ],
        seed=2**40 + 3,
        frequency_cap=FrequencyCap(count=2, window=timedelta(days=7)),
        updated_at=START + timedelta(hours=1),
        version=4,
    )
    text = to_json(full)
    assert from_json(Campaign, text) == full
    assert to_dict(full)["frequency_cap"] == {"count": 2, "window_seconds": 7 * 86400}
    plain = campaign()
    assert from_json(Campaign, to_json(plain)) == plain


@given(
    st.builds(
        FrequencyCap,
        count=st.integers(1, 10_000),
        window=st.integers(86400, 366 * 86400).map(lambda s: timedelta(seconds=s)),
    ),
    st.integers(0, 2**63 - 1),
)
def test_caps_and_seeds_round_trip(cap: FrequencyCap, seed: int) -> None:
    one = campaign(frequency_cap=cap, seed=seed)
    assert from_json(Campaign, to_json(one)) == one


@pytest.mark.parametrize(
    ("cap", "path"),
    [
        ({"count": 3}, "frequency_cap.window_seconds"),
        ({"count": 3, "window_seconds": 60}, "frequency_cap.window"),
        ({"count": 0, "window_seconds": 86400}, "frequency_cap.count"),
        ({"count": 3, "window_seconds": 86400, "extra": 1}, "frequency_cap.extra"),
        ([3, 86400], "frequency_cap"),
    ],
)
def test_bad_caps_in_json_are_refused_naming_the_path(cap: object, path: str) -> None:
    data = to_dict(campaign())
    data["frequency_cap"] = cap
    with pytest.raises(ValidationError) as error:
        from_dict(Campaign, data)
    assert paths(error) == (path,)


def test_events_check_their_fields_and_round_trip() -> None:
    added = CampaignAdded(CampaignId(uuid7()), "sms", "marketing", "planned")
    changed = CampaignStatusChanged(added.campaign_id, "planned", "active", 2)
    assert added.channel is Channel.SMS
    assert changed.to_status is CampaignStatus.ACTIVE
    assert from_json(CampaignAdded, to_json(added)) == added
    assert from_json(CampaignStatusChanged, to_json(changed)) == changed
    with pytest.raises(ValidationError) as error:
        attrs.evolve(changed, version=0)
    assert paths(error) == ("version",)


# -- decisions -------------------------------------------------------------------


def test_adding_announces_the_campaign() -> None:
    spring = campaign(channel="sms")
    same, events = add_campaign(spring)
    assert same is spring
    assert events == [CampaignAdded(spring.id, Channel.SMS, Purpose.MARKETING, CampaignStatus.PLANNED)]
    with pytest.raises(ValidationError) as error:
        add_campaign("spring")  # type: ignore[arg-type]
    assert paths(error) == ("campaign",)


ALLOWED = {
    ("planned", "active"), ("planned", "aborted"),
    ("active", "paused"), ("active", "completed"), ("active", "aborted"),
    ("paused", "active"), ("paused", "completed"), ("paused", "aborted"),
}  # fmt: skip


@pytest.mark.parametrize("before", list(CampaignStatus))
@pytest.mark.parametrize("after", list(CampaignStatus))
def test_status_moves(before: CampaignStatus, after: CampaignStatus) -> None:
    one = campaign(status=before, version=3)
    if before is after:
        assert change_status(one, after) == (one, [])
    elif (before.value, after.value) in ALLOWED:
        moved, events = change_status(one, after.value)
        assert moved == attrs.evolve(one, status=after)
        assert events == [CampaignStatusChanged(one.id, before, after, 4)]
    else:
        with pytest.raises(ValidationError) as error:
            change_status(one, after)
        assert paths(error) == ("status",)


@pytest.mark.parametrize(
    ("args", "path"), [((None, "active"), "campaign"), ((campaign(), "running"), "status")]
)
def test_change_status_checks_its_arguments(args: tuple[Any, ...], path: str) -> None:
    with pytest.raises(ValidationError) as error:
        change_status(*args)
    assert paths(error) == (path,)
