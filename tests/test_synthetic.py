"""The synthetic shop is reproducible, valid, streaming and shaped like a shop."""

from __future__ import annotations

import types
from collections import Counter

import pytest

from relcore.domain import PartyType, TransactionKind
from relcore.errors import ValidationError
from relcore.testing.synthetic import SyntheticShop


@pytest.fixture(scope="module")
def shop() -> SyntheticShop:
    return SyntheticShop(customers=400, seed=3)


def test_same_seed_same_data_other_seed_other_data(shop: SyntheticShop) -> None:
    again = SyntheticShop(customers=400, seed=3)
    assert list(shop.touchpoints()) == list(again.touchpoints())
    assert list(shop.transactions()) == list(again.transactions())
    other = SyntheticShop(customers=400, seed=4)
    assert [c.id for c, _ in shop.customers_with_contacts()] != [
        c.id for c, _ in other.customers_with_contacts()
    ]


def test_streams_are_generators(shop: SyntheticShop) -> None:
    for stream in (shop.customers_with_contacts(), shop.consents(), shop.touchpoints(), shop.transactions()):
        assert isinstance(stream, types.GeneratorType)


def test_ids_and_keys_are_unique(shop: SyntheticShop) -> None:
    touchpoints = list(shop.touchpoints())
    assert len({t.id for t in touchpoints}) == len(touchpoints)
    assert len({(t.source, t.external_id) for t in touchpoints}) == len(touchpoints)
    emails = [
        p.key
        for _, contacts in shop.customers_with_contacts()
        for c in contacts
        for p in c.points
        if p.kind == "email"
    ]
    assert len(set(emails)) == len(emails)


def test_everything_belongs_to_known_customers_and_the_period(shop: SyntheticShop) -> None:
    ids = {c.id for c, _ in shop.customers_with_contacts()}
    for entry in [*shop.touchpoints(), *shop.transactions(), *shop.consents()]:
        assert entry.customer_id in ids
    for entry in [*shop.touchpoints(), *shop.transactions()]:
        assert shop.start <= entry.occurred_at < shop.end


def test_the_shape_of_a_shop(shop: SyntheticShop) -> None:
    people = Counter(c.type for c, _ in shop.customers_with_contacts())
    assert 0.03 < people[PartyType.ORGANIZATION] / 400 < 0.2
    orders = Counter(t.customer_id for t in shop.transactions() if t.kind is TransactionKind.ORDER)
    repeat_counts = Counter(orders.values())
    assert repeat_counts[1] > repeat_counts[2] > repeat_counts[5]  # most buy once, a few often
    assert max(orders.values()) >= 10
    channels = Counter(t.channel.value for t in shop.touchpoints())
    assert channels.most_common(2)[0][0] == "email"
    assert len(channels) >= 10


def test_profiles_agree_with_the_customers(shop: SyntheticShop) -> None:
    for profile, (customer, contacts) in zip(shop.profiles(), shop.customers_with_contacts(), strict=True):
        assert profile.id == customer.id
        assert all(c.customer_id == customer.id for c in contacts)


@pytest.mark.parametrize("bad", [{"customers": -1}, {"b2b_share": 2.0}])
def test_bad_settings_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        SyntheticShop(**bad)  # type: ignore[arg-type]
