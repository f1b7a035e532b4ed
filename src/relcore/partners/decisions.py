"""The partner rules as pure functions: deal registration, the primary partner, weighted assignment.

The use cases (``relcore.partners.services``) read what these need from the
store, call them, and store what they decide.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from itertools import accumulate

import attrs

from relcore._kernel import checks as check
from relcore.errors import ConflictError
from relcore.ids import CustomerId
from relcore.partners.model import OpportunityPartner, PartnerProfile

__all__ = [
    "DEFAULT_WINDOW",
    "check_registration",
    "check_seed",
    "check_window",
    "choose_partner",
    "eligible_partners",
    "with_primary",
]

DEFAULT_WINDOW = timedelta(days=90)
"""How long a partner's registration of a customer's deal keeps other partners from registering one."""

_MAX_WINDOW = timedelta(days=3660)


def check_window(field: str, value: object) -> timedelta:
    """Return ``value`` if it is a `timedelta` from one second to ten years."""
    if not isinstance(value, timedelta):
        raise check.fail(field, f"expected a timedelta, got {check.kind(value)}")
    if not timedelta(seconds=1) <= value <= _MAX_WINDOW:
        raise check.fail(field, "must be from one second to ten years")
    return value


def check_seed(field: str, value: object) -> int:
    """Return ``value`` if it is an integer (a seed of `random.Random`)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise check.fail(field, f"expected an integer seed, got {check.kind(value)}")
    return int.__index__(value)


def check_registration(
    link: OpportunityPartner, registrations: Iterable[OpportunityPartner], window: timedelta
) -> None:
    """Refuse ``link``'s registration if another partner holds one of the same customer's deals.

    ``registrations`` are the registrations of the customer's deals (any of
    them). Another partner's registration that is still proposed or accepted
    and was made less than ``window`` before or after ``link.registered_at``
    holds the customer: the new registration is refused. The same partner
    may register several of the customer's deals, and a declined
    registration holds nothing.

    Raises:
        ConflictError: Another partner holds a registration of the customer's deals in the window.
    """
    if link.registered_at is None:
        return
    for other in registrations:
        if other.partner_id == link.partner_id or not other.holds_registration:
            continue
        assert other.registered_at is not None
        if abs(other.registered_at - link.registered_at) < window:
            raise ConflictError("another partner has registered a deal of this customer within the window")


def with_primary(
    links: Sequence[OpportunityPartner], partner_id: CustomerId | None
) -> list[OpportunityPartner]:
    """The links of one deal that change when ``partner_id`` becomes its primary partner.

    The current primary (if another) stops being primary, and the link of
    ``partner_id`` becomes it; with ``None`` the deal is left without one.
    Links that do not change are not returned.

    Raises:
        ValidationError: ``partner_id`` is not on the deal, or its registration was declined.
    """
    changed: list[OpportunityPartner] = []
    found = partner_id is None
    for link in links:
        wanted = link.partner_id == partner_id
        if wanted:
            found = True
            if link.declined:
                raise check.fail("partner_id", "its registration of the deal was declined")
        if link.primary != wanted:
            changed.append(attrs.evolve(link, primary=wanted))
    if not found:
        raise check.fail("partner_id", "not a partner on this deal")
    return changed


def eligible_partners(
    profiles: Iterable[PartnerProfile], country: str | None, on: date, excluded: Iterable[CustomerId] = ()
) -> list[PartnerProfile]:
    """The profiles a deal of a customer in ``country`` may be assigned to on ``on``, by partner id.

    Eligible: active on the day, weight above zero, ``country`` among its
    territories, and not in ``excluded`` (the partners already on the deal,
    declined ones included). A customer without a country matches nobody.
    """
    skip = set(excluded)
    chosen = [
        p
        for p in profiles
        if p.weight > 0 and p.active_on(on) and p.covers(country) and p.customer_id not in skip
    ]
    return sorted(chosen, key=lambda p: p.customer_id)


def choose_partner(candidates: Sequence[PartnerProfile], seed: int) -> PartnerProfile | None:
    """Pick one candidate at random, in proportion to its weight; ``None`` when there is none.

    ``random.Random(seed)`` draws one number from the cumulative weights, so
    the choice depends only on the seed and the candidates' order and
    weights: the same seed picks the same partner. A candidate of weight 0
    is never picked.

    Example:
        >>> from datetime import date
        >>> from relcore.ids import CustomerId, uuid7
        >>> gold = PartnerProfile(customer_id=CustomerId(uuid7()), weight=3, active_from=date(2026, 1, 1))
        >>> silver = PartnerProfile(customer_id=CustomerId(uuid7()), weight=1, active_from=date(2026, 1, 1))
        >>> choose_partner([gold, silver], seed=7) == choose_partner([gold, silver], seed=7)
        True
        >>> choose_partner([], seed=7) is None
        True
    """
    weighted = [c for c in candidates if c.weight > 0]
    if not weighted:
        return None
    totals = list(accumulate(c.weight for c in weighted))
    return random.Random(check_seed("seed", seed)).choices(weighted, cum_weights=totals, k=1)[0]
