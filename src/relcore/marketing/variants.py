# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""A campaign's variants, and which variant each member gets.

A campaign sends one of its [variants][relcore.marketing.Variant] to each
member (subject lines, offers...); each variant has an exact share of the
members, and one of them may be a control group that is sent nothing, so the
others can be measured against it.

Which variant a member gets is decided by a hash, not by a random draw:
[assign][relcore.marketing.assign] hashes the campaign's id, the customer's
id and the campaign's seed with BLAKE2b, reads 64 bits of the digest as a
fraction of 2^64 and picks the variant whose slice of the cumulative shares
holds it. The answer is the same on every run and every platform, and a
member's variant does not depend on who else is in the campaign, so adding
members never moves the ones already assigned. Changing the seed draws anew.

For the "test first, send the winner to the rest" flow (Odoo's A/B testing
sends the variants to a test share, 10 % by default, and the winner to the
remainder), [split_test][relcore.marketing.split_test] picks the test group
by the same kind of hash under another salt, so the test group and the
variant draw are independent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar
from uuid import UUID

import attrs

from relcore._kernel import checks as check
from relcore.ids import CampaignId, CustomerId
from relcore.sales.pipelines import PROBABILITY_PLACES, check_key, check_probability

__all__ = [
    "MAX_SEED",
    "MAX_VARIANTS",
    "SplitTest",
    "Variant",
    "assign",
    "check_seed",
    "check_variants",
    "split_test",
]

MAX_VARIANTS = 26
"""The most variants one campaign may have."""

MAX_SEED = 2**63 - 1
"""The largest seed: it fits a signed 64-bit column."""

_SCALE = 10**PROBABILITY_PLACES  # shares have at most four places: share * _SCALE is an integer
_ASSIGN = b"relcore.variant"  # BLAKE2b personalisation (at most 16 bytes) of each use of the hash
_SPLIT = b"relcore.split"


def _key(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    return check_key(field.name, value)


def _share(value: object, field: attrs.Attribute) -> Decimal:  # type: ignore[type-arg]
    return check_probability(field.name, value)


@attrs.frozen(kw_only=True)
class Variant:
    """One version of a campaign's message, and the share of members who get it.

    Attributes:
        key: Its key within the campaign (``"a"``, ``"short_subject"``).
        share: The exact share of members assigned to it, from 0 to 1 with at most four places;
            a campaign's shares add up to exactly 1.
        control: Whether it is the control group: its members are assigned to it but sent
            nothing. A campaign has at most one.
    """

    key: str = attrs.field(converter=attrs.Converter(_key, takes_field=True))
    share: Decimal = attrs.field(converter=attrs.Converter(_share, takes_field=True))
    control: bool = attrs.field(default=False, converter=check.boolean)


T = TypeVar("T")


def _variant(path: str, value: object) -> Variant:
    if isinstance(value, Mapping):  # as stored: a JSON object
        return check.stored(path, lambda: Variant(**dict(value)))
    if not isinstance(value, Variant):
        raise check.fail(path, f"expected a Variant, got {check.kind(value)}")
    return value


def check_variants(value: object, field: str = "variants") -> tuple[Variant, ...]:
    """Return a campaign's variants, in their order, if they are a valid set.

    Valid variants are 1 to [MAX_VARIANTS][relcore.marketing.variants.MAX_VARIANTS] with distinct
    keys, shares adding up to exactly 1, at most one control, and at least one variant that is
    not a control and has a share.

    Raises:
        ValidationError: Naming ``field`` (or the offending item, ``variants[1].key``).
    """
    variants = check.check_tuple(_variant, field, value)
    if not variants:
        raise check.fail(field, "a campaign needs at least one variant")
    if len(variants) > MAX_VARIANTS:
        raise check.fail(field, f"at most {MAX_VARIANTS} variants")
    keys: set[str] = set()
    for i, variant in enumerate(variants):
        if variant.key in keys:
            raise check.fail(f"{field}[{i}].key", "another variant has this key")
        keys.add(variant.key)
    if sum((v.share for v in variants), Decimal(0)) != 1:
        raise check.fail(field, "the shares must add up to exactly 1")
    if sum(1 for v in variants if v.control) > 1:
        raise check.fail(field, "at most one variant is the control group")
    if not any(v.share and not v.control for v in variants):
        raise check.fail(field, "some members must be sent something: a variant that is not the control")
    return variants


def check_seed(field: str, value: object) -> int:
    """Return ``value`` if it is a seed: an integer from 0 to [MAX_SEED][relcore.marketing.MAX_SEED]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise check.fail(field, f"expected an integer, got {check.kind(value)}")
    return check.positive_int(field, value, maximum=MAX_SEED)


def _hash(salt: bytes, campaign_id: UUID, customer_id: UUID, seed: int) -> int:
    """64 bits of BLAKE2b over the two ids' 16 bytes each and the seed's 8 bytes, as an integer."""
    digest = hashlib.blake2b(
        campaign_id.bytes + customer_id.bytes + seed.to_bytes(8, "big"), digest_size=8, person=salt
    ).digest()
    return int.from_bytes(digest, "big")


def assign(
    campaign_id: CampaignId, customer_id: CustomerId, seed: int, variants: Iterable[Variant]
) -> Variant:
    """Return the variant a customer gets in a campaign.

    The hash of the campaign id, the customer id and the seed, read as a
    fraction ``u`` in [0, 1) with 64 bits, falls in the slice of exactly one
    variant: the first whose cumulative share, in the order given, exceeds
    ``u``. The comparison is done in integers, so it is exact on every platform.

    Args:
        campaign_id: The campaign.
        customer_id: The member.
        seed: The campaign's seed (0 to [MAX_SEED][relcore.marketing.variants.MAX_SEED]).
        variants: The campaign's variants (checked as by
            [check_variants][relcore.marketing.check_variants]).

    Raises:
        ValidationError: Naming the bad argument.

    Example:
        >>> from uuid import UUID
        >>> from relcore.marketing import Variant, assign
        >>> ab = [Variant(key="a", share="0.5"), Variant(key="b", share="0.5")]
        >>> campaign = UUID("0192f6a8-3e1c-7c4e-9b7a-2f1d3c4b5a69")
        >>> " ".join(assign(campaign, UUID(int=i), 0, ab).key for i in range(1, 6))
        'a b b b b'
        >>> " ".join(assign(campaign, UUID(int=i), 1, ab).key for i in range(1, 6))  # another seed
        'b b a b b'
    """
    campaign = check.check_uuid("campaign_id", campaign_id)
    customer = check.check_uuid("customer_id", customer_id)
    return _draw(campaign, customer, check_seed("seed", seed), check_variants(variants))


def _draw(campaign_id: UUID, customer_id: UUID, seed: int, variants: tuple[Variant, ...]) -> Variant:
    """[assign][relcore.marketing.assign] on arguments already checked (a stored campaign's)."""
    drawn = _hash(_ASSIGN, campaign_id, customer_id, seed) * _SCALE
    bound = 0
    for variant in variants:
        bound += int(variant.share * _SCALE)
        if drawn < bound << 64:  # u < cumulative share, with u = hash / 2^64
            return variant
    raise AssertionError("the shares add up to 1")  # pragma: no cover


@attrs.frozen(kw_only=True)
class SplitTest:
    """The members of an A/B test, split into the test group and the rest.

    Attributes:
        test: The members sent the variants now, in the order given.
        rest: The members who later get the winning variant, in the order given.
    """

    test: tuple[CustomerId, ...]
    rest: tuple[CustomerId, ...]


def split_test(
    campaign_id: CampaignId, members: Iterable[CustomerId], test_share: Decimal | int | str, seed: int
) -> SplitTest:
    """Split a campaign's members into a test group of ``test_share`` of them and the rest.

    Members are ranked by a hash of the campaign id, their id and the seed
    (under another salt than [assign][relcore.marketing.assign]'s); the
    ``round(test_share * n)`` first (half up) form the test group. The group
    is the same on every run, and adding members changes it only at the margin.

    Args:
        campaign_id: The campaign.
        members: The members' customer ids, each once.
        test_share: The share in the test group, from 0 to 1 with at most four places.
        seed: The campaign's seed.

    Raises:
        ValidationError: Naming the bad argument (``members`` when an id is repeated).

    Example:
        >>> from uuid import UUID
        >>> from relcore.marketing import split_test
        >>> campaign = UUID("0192f6a8-3e1c-7c4e-9b7a-2f1d3c4b5a69")
        >>> members = [UUID(int=i) for i in range(1, 41)]
        >>> split = split_test(campaign, members, "0.1", seed=7)
        >>> len(split.test), len(split.rest)
        (4, 36)
    """
    campaign = check.check_uuid("campaign_id", campaign_id)
    share = check_probability("test_share", test_share)
    salt = check_seed("seed", seed)
    ids = check.check_tuple(check.check_uuid, "members", members)
    if len(set(ids)) != len(ids):
        raise check.fail("members", "a member is listed more than once")
    size = int((share * len(ids)).to_integral_value(rounding=ROUND_HALF_UP))
    ranked = sorted(ids, key=lambda member: (_hash(_SPLIT, campaign, member, salt), member))
    chosen = set(ranked[:size])
    return SplitTest(
        test=tuple(CustomerId(m) for m in ids if m in chosen),
        rest=tuple(CustomerId(m) for m in ids if m not in chosen),
    )
