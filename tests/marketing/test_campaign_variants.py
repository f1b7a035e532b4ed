"""Variants: their validation, the deterministic assignment, and the A/B test split."""

from __future__ import annotations

import math
import random
from collections import Counter
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relcore.errors import ValidationError
from relcore.ids import CampaignId, CustomerId
from relcore.marketing import MAX_SEED, Variant, assign, check_variants, split_test

CAMPAIGN = CampaignId(UUID(int=1))
ABC = (Variant(key="a", share="0.5"), Variant(key="b", share="0.3"), Variant(key="c", share="0.2"))

uuids = st.uuids().map(CustomerId)
seeds = st.integers(0, MAX_SEED)


def customers(count: int, seed: int) -> list[CustomerId]:
    """``count`` distinct customer ids from a seeded generator: the same on every run."""
    rng = random.Random(seed)
    return [CustomerId(UUID(int=rng.getrandbits(128))) for _ in range(count)]


# -- validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("variants", "path"),
    [
        ([], "variants"),
        ({"a": 1}, "variants"),
        ([{"key": "a", "share": 2}], "variants[0].share"),  # a mapping is read as stored JSON
        ([Variant(key="a", share="0.5"), Variant(key="a", share="0.5")], "variants[1].key"),
        ([Variant(key="a", share="0.5"), Variant(key="b", share="0.4999")], "variants"),  # sums to 0.9999
        ([Variant(key="a", share="0.6"), Variant(key="b", share="0.5")], "variants"),  # sums to 1.1
        (
            [
                Variant(key="a", share="0.8"),
                Variant(key="b", share="0.1", control=True),
                Variant(key="c", share="0.1", control=True),
            ],
            "variants",  # two controls
        ),
        ([Variant(key="hold", share=1, control=True)], "variants"),  # nobody is sent anything
        (
            [Variant(key="a", share=0), Variant(key="hold", share=1, control=True)],
            "variants",  # the one variant sent has no share
        ),
        ([Variant(key=f"v{i}", share="0.0370") for i in range(27)], "variants"),  # more than 26
    ],
)
def test_bad_variant_sets_are_refused(variants: object, path: str) -> None:
    with pytest.raises(ValidationError) as error:
        check_variants(variants)
    assert error.value.paths == (path,)


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"key": "A", "share": 1}, "key"),
        ({"key": "a", "share": "0.12345"}, "share"),  # five places
        ({"key": "a", "share": "1.0001"}, "share"),
        ({"key": "a", "share": -1}, "share"),
        ({"key": "a", "share": 0.5}, "share"),  # a float is inexact
        ({"key": "a", "share": 1, "control": "no"}, "control"),
    ],
)
def test_bad_variants_are_refused(fields: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as error:
        Variant(**fields)
    assert error.value.paths == (path,)


def test_shares_are_exact() -> None:
    # 0.1 + 0.2 + 0.7 is exactly 1 as decimals (it is not as floats)
    thirds = check_variants([Variant(key=k, share=s) for k, s in (("a", "0.1"), ("b", "0.2"), ("c", "0.7"))])
    assert sum(v.share for v in thirds) == 1
    assert check_variants([Variant(key="a", share="0.3333"), Variant(key="b", share="0.6667")])


# -- assignment ----------------------------------------------------------------


def test_golden_assignments() -> None:
    # BLAKE2b-64, personalised "relcore.variant", of UUID(int=1).bytes + UUID(int=i).bytes + (0).to_bytes(8):
    #   i=2: b708d08c30c4fede = 13189020809286713054, / 2^64 = 0.71498 -> in [0.5, 0.8): "b"
    #   i=3: b9244802eb4c0b80 = 13340867173553015680, / 2^64 = 0.72321 -> in [0.5, 0.8): "b"
    #   i=4: 5fa3afa6119e01df =  6891544982601990623, / 2^64 = 0.37359 -> in [0, 0.5): "a"
    got = [assign(CAMPAIGN, CustomerId(UUID(int=i)), 0, ABC).key for i in (2, 3, 4)]
    assert got == ["b", "b", "a"]
    # with the slices in another order, 0.71498 and 0.72321 fall in c's [0.5, 0.7), 0.37359 in b's [0.2, 0.5)
    cba = (ABC[2], ABC[1], ABC[0])
    assert [assign(CAMPAIGN, CustomerId(UUID(int=i)), 0, cba).key for i in (2, 3, 4)] == ["a", "a", "b"]


@given(uuids, uuids, seeds)
def test_assignment_is_stable_and_independent_of_other_members(
    campaign: UUID, customer: CustomerId, seed: int
) -> None:
    alone = assign(CampaignId(campaign), customer, seed, ABC)
    others = customers(50, seed=seed % 1000)
    for other in others:  # assigning others first changes nothing
        assign(CampaignId(campaign), other, seed, ABC)
    assert assign(CampaignId(campaign), customer, seed, list(ABC)) == alone
    assert assign(CampaignId(campaign), customer, seed, iter(ABC)) == alone


@given(uuids, uuids, seeds, st.integers(1, 9999))
def test_a_variant_without_share_gets_nobody(
    campaign: UUID, customer: CustomerId, seed: int, cut: int
) -> None:
    share = Decimal(cut).scaleb(-4)
    variants = [
        Variant(key="a", share=share),
        Variant(key="none", share=0),
        Variant(key="b", share=1 - share),
    ]
    assert assign(CampaignId(campaign), customer, seed, variants).key != "none"
    assert assign(CampaignId(campaign), customer, seed, [Variant(key="only", share=1)]).key == "only"


@pytest.mark.parametrize(
    "shares",
    [
        ("0.5", "0.5"),
        ("0.5", "0.3", "0.15", "0.05"),
        ("0.9", "0.0999", "0.0001"),
        ("0.3333", "0.3333", "0.3334"),
    ],
)
def test_observed_shares_lie_within_a_binomial_interval(shares: tuple[str, ...]) -> None:
    n = 20_000
    variants = [Variant(key=f"v{i}", share=s) for i, s in enumerate(shares)]
    counts = Counter(assign(CAMPAIGN, c, 42, variants).key for c in customers(n, seed=20_000))
    z = 3.2905  # two-sided 99.9 % normal quantile
    for variant in variants:
        p = float(variant.share)
        half_width = z * math.sqrt(n * p * (1 - p))
        assert abs(counts[variant.key] - n * p) <= max(half_width, 3), variant.key


def test_another_seed_draws_anew() -> None:
    ids = customers(2000, seed=1)
    ab = [Variant(key="a", share="0.5"), Variant(key="b", share="0.5")]
    first = [assign(CAMPAIGN, c, 0, ab).key for c in ids]
    second = [assign(CAMPAIGN, c, 1, ab).key for c in ids]
    same = sum(x == y for x, y in zip(first, second, strict=True))
    # independent draws agree about half the time: 1000 +- 3.29 * sqrt(2000 / 4) ~ 1000 +- 74
    assert 900 < same < 1100


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (("nope", UUID(int=2), 0, ABC), "campaign_id"),
        ((CAMPAIGN, 7, 0, ABC), "customer_id"),
        ((CAMPAIGN, UUID(int=2), -1, ABC), "seed"),
        ((CAMPAIGN, UUID(int=2), "1", ABC), "seed"),
        ((CAMPAIGN, UUID(int=2), 0, ABC[:2]), "variants"),
    ],
)
def test_assign_checks_its_arguments(args: tuple[Any, ...], path: str) -> None:
    with pytest.raises(ValidationError) as error:
        assign(*args)
    assert error.value.paths == (path,)


# -- the A/B test split -------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "share", "size"),
    [
        (40, "0.1", 4),
        (15, "0.1", 2),
        (25, "0.1", 3),
        (10, "0.05", 1),
        (9, "0.05", 0),
        (7, 0, 0),
        (7, 1, 7),
        (0, "0.5", 0),
    ],
)
def test_the_test_group_is_the_share_rounded_half_up(count: int, share: str, size: int) -> None:
    # 15 * 0.1 = 1.5 -> 2; 25 * 0.1 = 2.5 -> 3; 10 * 0.05 = 0.5 -> 1; 9 * 0.05 = 0.45 -> 0
    split = split_test(CAMPAIGN, customers(count, seed=3), share, seed=0)
    assert len(split.test) == size
    assert len(split.rest) == count - size


@given(
    st.lists(uuids, unique=True, max_size=60),
    st.lists(uuids, unique=True, max_size=20),
    st.integers(0, 10_000),
    seeds,
)
def test_split_is_deterministic_and_changes_only_at_the_margin(
    members: list[CustomerId], added: list[CustomerId], tenths: int, seed: int
) -> None:
    share = Decimal(tenths).scaleb(-4)
    split = split_test(CAMPAIGN, members, share, seed)
    assert split_test(CAMPAIGN, iter(members), share, seed) == split
    assert set(split.test).isdisjoint(split.rest)
    assert sorted(split.test + split.rest) == sorted(members)
    assert [m for m in members if m in set(split.test)] == list(split.test)  # the given order
    more = members + [a for a in added if a not in set(members)]
    grown = set(split_test(CAMPAIGN, more, share, seed).test) & set(members)
    # the old members of the new test group are the same top of the same ranking: nested groups
    assert grown <= set(split.test) or set(split.test) <= grown


def test_the_test_group_and_the_variants_are_drawn_independently() -> None:
    ids = customers(10_000, seed=5)
    ab = [Variant(key="a", share="0.5"), Variant(key="b", share="0.5")]
    test = split_test(CAMPAIGN, ids, "0.2", seed=9).test
    in_a = sum(assign(CAMPAIGN, c, 9, ab).key == "a" for c in test)
    # 2000 test members, each in "a" with probability 1/2: 1000 +- 3.29 * sqrt(500) ~ 1000 +- 74
    assert len(test) == 2000
    assert abs(in_a - 1000) <= 74


@pytest.mark.parametrize(
    ("args", "path"),
    [
        ((CAMPAIGN, [UUID(int=2), UUID(int=2)], "0.5", 0), "members"),
        ((CAMPAIGN, [UUID(int=2), "x"], "0.5", 0), "members[1]"),
        ((CAMPAIGN, "abc", "0.5", 0), "members"),
        ((CAMPAIGN, [], "1.5", 0), "test_share"),
        ((CAMPAIGN, [], "0.5", MAX_SEED + 1), "seed"),
        ((None, [], "0.5", 0), "campaign_id"),
    ],
)
def test_split_checks_its_arguments(args: tuple[Any, ...], path: str) -> None:
    with pytest.raises(ValidationError) as error:
        split_test(*args)
    assert error.value.paths == (path,)
