"""The synthetic shop is reproducible, valid, streaming and shaped like a shop."""

from __future__ import annotations

import types
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

import attrs
import phonenumbers
import pytest

from relcore.domain import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    Contact,
    Customer,
    Direction,
    LifecycleStage,
    PartyType,
    Touchpoint,
    TouchpointKind,
    Transaction,
    TransactionKind,
)
from relcore.errors import ValidationError
from relcore.ids import CustomerId, uuid7
from relcore.testing.synthetic import SyntheticShop


@attrs.frozen
class Data:
    shop: SyntheticShop
    customers: list[tuple[Customer, list[Contact]]]
    consents: list[ConsentRecord]
    touchpoints: list[Touchpoint]
    transactions: list[Transaction]


def materialize(shop: SyntheticShop) -> Data:
    return Data(
        shop, list(shop.customers_with_contacts()), list(shop.consents()), list(shop.touchpoints()),
        list(shop.transactions()),
    )  # fmt: skip


@pytest.fixture(scope="module")
def data() -> Data:
    return materialize(SyntheticShop(customers=2000, seed=3))


def test_the_same_seed_gives_the_same_shop_and_another_seed_another() -> None:
    first, again = (
        materialize(SyntheticShop(customers=60, seed=9)),
        materialize(SyntheticShop(customers=60, seed=9)),
    )
    assert first == again
    other = SyntheticShop(customers=60, seed=10)
    assert {c.id for c, _ in first.customers}.isdisjoint(c.id for c, _ in other.customers_with_contacts())
    assert list(first.shop.touchpoints(count=500)) == list(again.shop.touchpoints(count=500))


def test_each_customer_can_be_made_alone_in_any_order() -> None:
    shop = SyntheticShop(customers=50, seed=1)
    forward = list(shop.profiles())
    assert [shop.profile(i) for i in reversed(range(50))] == forward[::-1]
    with pytest.raises(IndexError):
        shop.profile(50)


def test_streams_are_lazy_generators() -> None:
    huge = SyntheticShop(customers=10_000_000, seed=0)
    streams = [huge.customers_with_contacts(), huge.consents(), huge.touchpoints(), huge.transactions()]
    streams.append(huge.touchpoints(count=10**9, customer_ids=[CustomerId(uuid7())]))
    for stream in streams:
        assert isinstance(stream, types.GeneratorType)
        assert len(list(islice(stream, 3))) == 3  # a few rows of ten million customers, at once


def test_ids_are_version_7_with_the_time_of_the_event(data: Data) -> None:
    entries: list[Touchpoint | Transaction] = [*data.touchpoints, *data.transactions]
    for entry in entries:
        assert entry.id.version == 7
        assert entry.id.variant == "specified in RFC 4122"
        assert entry.id.int >> 80 == round(entry.occurred_at.timestamp() * 1000)
    for customer, contacts in data.customers:
        assert customer.id.int >> 80 == round(customer.created_at.timestamp() * 1000)
        assert all(c.id.version == 7 for c in contacts)
    ids = [
        *(c.id for c, _ in data.customers), *(k.id for _, ks in data.customers for k in ks),
        *(r.id for r in data.consents), *(t.id for t in data.touchpoints), *(t.id for t in data.transactions),
    ]  # fmt: skip
    assert len(set(ids)) == len(ids)


def test_keys_identities_and_emails_are_unique(data: Data) -> None:
    for rows in (data.touchpoints, data.transactions):
        keys = [(r.source, r.external_id) for r in rows]
        assert len(set(keys)) == len(keys)
    identities = [i for c, _ in data.customers for i in c.identities]
    assert len(set(identities)) == len(identities) == len(data.customers)
    emails = [p.key for _, ks in data.customers for k in ks for p in k.points if p.kind == "email"]
    assert len(set(emails)) == len(emails) == sum(len(ks) for _, ks in data.customers)


def test_every_entity_passes_its_validators_again(data: Data) -> None:
    entities: list[Any] = [
        *(c for c, _ in data.customers[:300]), *(k for _, ks in data.customers[:300] for k in ks),
        *data.consents[:500], *data.touchpoints[:2000], *data.transactions[:500],
    ]  # fmt: skip
    for entity in entities:
        assert attrs.evolve(entity) == entity  # evolve runs every converter and check again


def test_contacts_fit_their_customer(data: Data) -> None:
    roles: Counter[str] = Counter()
    for customer, contacts in data.customers:
        assert all(k.customer_id == customer.id and k.created_at == customer.created_at for k in contacts)
        if customer.type is PartyType.PERSON:
            assert [k.role for k in contacts] == ["self"]
            assert contacts[0].name == customer.name
        else:
            assert 2 <= len(contacts) <= 5
            assert contacts[0].role == "buyer"
            assert len({k.role for k in contacts}) == len(contacts)
        roles.update(k.role for k in contacts)
        for point in (p for k in contacts for p in k.points if p.kind == "phone"):
            number = phonenumbers.parse(point.value)
            assert phonenumbers.region_code_for_number(number) == customer.country
    phones = sum(any(p.kind == "phone" for p in k.points) for _, ks in data.customers for k in ks)
    assert 0.55 < phones / sum(roles.values()) < 0.85
    assert {"self", "buyer", "billing", "technical"} <= set(roles)


def test_the_shape_of_a_shop(data: Data) -> None:
    n = len(data.customers)
    types_ = Counter(c.type for c, _ in data.customers)
    assert 0.07 < types_[PartyType.ORGANIZATION] / n < 0.13
    assert {c.country for c, _ in data.customers} == {"US", "GB", "DE", "FR", "NL", "ES", "IT", "IE"}
    assert {t.currency for t in data.transactions} == {"EUR", "USD", "GBP"}
    stages = Counter(c.stage for c, _ in data.customers)
    assert stages.most_common(1)[0][0] is LifecycleStage.CUSTOMER
    assert len(stages) >= 7
    channels = Counter(t.channel for t in data.touchpoints)
    assert set(channels) == set(Channel)
    assert 0.29 < channels[Channel.EMAIL] / len(data.touchpoints) < 0.39
    assert 0.21 < channels[Channel.WEB] / len(data.touchpoints) < 0.29
    assert 0.85 < len(data.touchpoints) / n / data.shop.touchpoints_per_customer < 1.15
    assert Counter(t.direction for t in data.touchpoints)[Direction.INBOUND] > len(data.touchpoints) / 2


def test_purchases_follow_a_buy_till_you_die_process(data: Data) -> None:
    orders = Counter(t.customer_id for t in data.transactions if t.kind is TransactionKind.ORDER)
    repeat = Counter(orders.values())
    assert repeat[1] > repeat[2] > repeat[3] > repeat[6]  # most buy once, a few often
    assert max(orders.values()) >= 15
    assert 0.6 < len(orders) / len(data.customers) < 0.85  # some never buy
    amounts = sorted(t.amount for t in data.transactions if t.kind is TransactionKind.ORDER)
    assert amounts[len(amounts) // 2] < sum(amounts) / len(amounts)  # log-normal: mean above median
    last_order = {t.customer_id: t.occurred_at for t in data.transactions if t.kind is TransactionKind.ORDER}
    for customer, _ in data.customers:
        if customer.id not in last_order:
            assert customer.stage not in (LifecycleStage.CUSTOMER, LifecycleStage.CHURNED)
        elif data.shop.end - last_order[customer.id] > timedelta(days=365):
            assert customer.stage is LifecycleStage.CHURNED
        else:
            assert customer.stage in (LifecycleStage.CUSTOMER, LifecycleStage.EVANGELIST)


def test_profiles_tell_the_truth_behind_the_data(data: Data) -> None:
    shop = data.shop
    orders = defaultdict(list)
    for t in data.transactions:
        if t.kind is TransactionKind.ORDER:
            orders[t.customer_id].append(t.occurred_at)
    for profile, (customer, contacts) in islice(zip(shop.profiles(), data.customers, strict=True), 300):
        assert (profile.id, profile.created_at, profile.country) == (
            customer.id,
            customer.created_at,
            customer.country,
        )
        assert profile.contact_ids == tuple(k.id for k in contacts)
        assert (customer.type is PartyType.ORGANIZATION) == profile.organization
        assert shop.order_times(profile) == orders.get(profile.id, [])
        assert bool(orders.get(profile.id)) == profile.buyer
        assert shop.standing(profile) == (customer.stage, customer.roles)


def test_money_is_consistent(data: Data) -> None:
    currency = {c.id: c.country for c, _ in data.customers}
    orders = {t.external_id: t for t in data.transactions if t.kind is TransactionKind.ORDER}
    refunds = [t for t in data.transactions if t.kind is TransactionKind.REFUND]
    assert 0.02 < len(refunds) / len(orders) < 0.1
    for refund in refunds:
        order = orders[f"O{(refund.external_id or '')[1:]}"]
        assert order.customer_id == refund.customer_id
        assert order.occurred_at < refund.occurred_at
        assert Decimal("0.01") <= refund.amount <= order.amount
    for entry in data.transactions:
        assert entry.currency == ("USD" if currency[entry.customer_id] == "US" else
                                  "GBP" if currency[entry.customer_id] == "GB" else "EUR")  # fmt: skip


def test_everything_happens_between_sign_up_and_the_end(data: Data) -> None:
    created = {c.id: c.created_at for c, _ in data.customers}
    contacts = {k.id: k.customer_id for _, ks in data.customers for k in ks}
    entries: list[Touchpoint | Transaction] = [*data.touchpoints, *data.transactions]
    for entry in entries:
        assert created[entry.customer_id] <= entry.occurred_at < data.shop.end
        assert entry.contact_id is None or contacts[entry.contact_id] == entry.customer_id
    for record in data.consents:
        assert created[record.customer_id] <= record.recorded_at < data.shop.end


def test_touchpoint_kinds_fit_their_channel(data: Data) -> None:
    kinds: defaultdict[Channel, set[TouchpointKind]] = defaultdict(set)
    subjects: defaultdict[object, set[str | None]] = defaultdict(set)
    for t in data.touchpoints:
        kinds[t.channel].add(t.kind)
        if t.campaign_id is not None:
            assert t.channel in (Channel.EMAIL, Channel.POSTAL, Channel.MMS)
            assert t.kind in (TouchpointKind.MESSAGE, TouchpointKind.OPEN, TouchpointKind.CLICK)
            subjects[t.campaign_id, t.channel].add(t.subject)
        if t.kind is TouchpointKind.COMPLAINT:
            assert t.sentiment is not None
            assert t.sentiment < 0
        if t.kind in (TouchpointKind.OPEN, TouchpointKind.CLICK, TouchpointKind.WEB_VISIT):
            assert t.direction is Direction.INBOUND
    assert kinds[Channel.WEB] == {TouchpointKind.WEB_VISIT, TouchpointKind.PAGE_VIEW}
    assert kinds[Channel.PHONE] == {TouchpointKind.CALL, TouchpointKind.COMPLAINT}
    assert {TouchpointKind.OPEN, TouchpointKind.CLICK} <= kinds[Channel.EMAIL]
    assert all(len(s) == 1 for s in subjects.values())  # one campaign, one subject per channel
    assert len(subjects) > 20


def test_consent_ledgers_change_over_time(data: Data) -> None:
    statuses = Counter(r.status for r in data.consents)
    assert (
        statuses[ConsentStatus.GRANTED]
        > statuses[ConsentStatus.DENIED]
        > statuses[ConsentStatus.WITHDRAWN]
        > 0
    )
    for record in data.consents:
        assert (record.expires_at is not None) == (
            record.purpose == "analytics" and record.status == "granted"
        )
    ledgers = defaultdict(list)
    for record in data.consents:
        ledgers[record.customer_id, record.purpose, record.channel].append(record.recorded_at)
    assert all(times == sorted(times) for times in ledgers.values())
    assert any(len(times) >= 3 for times in ledgers.values())


def test_count_touchpoints_for_given_customers() -> None:
    shop = SyntheticShop(customers=0, seed=5)
    ids = [CustomerId(uuid7()) for _ in range(7)]
    rows = list(shop.touchpoints(count=5000, customer_ids=ids))
    assert len(rows) == 5000
    assert {t.customer_id for t in rows} == set(ids)
    assert all(t.contact_id is None for t in rows)
    assert [t.occurred_at for t in rows] == sorted(t.occurred_at for t in rows)
    assert shop.start <= rows[0].occurred_at
    assert rows[-1].occurred_at < shop.end
    assert len({t.external_id for t in rows}) == 5000
    assert rows == list(shop.touchpoints(count=5000, customer_ids=ids))


def test_count_touchpoints_for_the_shops_own_customers() -> None:
    shop = SyntheticShop(customers=100, seed=5)
    signup = {p.id: p.created_at for p in shop.profiles()}
    rows = list(shop.touchpoints(count=3000))
    assert len(rows) == 3000
    assert len({t.customer_id for t in rows}) > 80
    assert all(signup[t.customer_id] <= t.occurred_at for t in rows)
    assert any(t.contact_id is not None for t in rows)


@pytest.mark.parametrize(
    "settings",
    [
        {"customers": -1},
        {"b2b_share": 2.0},
        {"end": datetime(2022, 1, 1, tzinfo=UTC)},
        {"start": datetime(2023, 1, 1)},
        {"touchpoints_per_customer": -1.0},
    ],
)
def test_bad_settings_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SyntheticShop(**settings)


@pytest.mark.parametrize(
    ("count", "customer_ids"),
    [(-1, None), (10, []), (None, [CustomerId(uuid7())])],
)
def test_bad_touchpoint_requests_are_refused(
    count: int | None, customer_ids: list[CustomerId] | None
) -> None:
    with pytest.raises(ValidationError):
        SyntheticShop(customers=3).touchpoints(count, customer_ids=customer_ids)


def test_a_declared_chat_channel_replaces_the_chat_and_nothing_else() -> None:
    plain = list(SyntheticShop(customers=80, seed=4).touchpoints())
    shop = SyntheticShop(customers=80, seed=4, chat_channel="whatsapp")
    declared = list(shop.touchpoints())
    assert "whatsapp" in shop.vocabularies.channels
    assert len(plain) == len(declared)
    assert any(t.channel == "whatsapp" for t in declared)
    for before, after in zip(plain, declared, strict=True):
        if before.channel is Channel.CHAT:
            assert attrs.evolve(before, channel="whatsapp") == after
        else:
            assert before == after


@pytest.mark.parametrize("channel", ["chat", "Whats App", ""])
def test_the_chat_channel_must_be_a_new_well_formed_one(channel: str) -> None:
    with pytest.raises(ValidationError):
        SyntheticShop(customers=1, chat_channel=channel)


def test_some_buying_organizations_hold_two_roles(data: Data) -> None:
    roles = Counter(frozenset(map(str, customer.roles)) for customer, _ in data.customers)
    assert roles[frozenset({"customer", "partner"})] + roles[frozenset({"customer", "reseller"})] > 0
    assert all(customer.roles for customer, _ in data.customers)
