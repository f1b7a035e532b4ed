"""Hypothesis strategies for the partners context: partner profiles and partners on deals.

Example:
    >>> from hypothesis import given
    >>> @given(opportunity_partners())
    ... def test_links_are_valid(link):
    ...     assert link.partner_id != link.customer_id
    >>> test_links_are_valid()
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from relcore.ids import uuid7
from relcore.partners.model import OpportunityPartner, PartnerProfile, PartnerRole, RegistrationStatus
from relcore.testing.strategies import aware_datetimes, texts

__all__ = ["opportunity_partners", "partner_profiles", "rates", "territories"]


def rates() -> st.SearchStrategy[Decimal]:
    """Exact commission rates from 0 to 1 with at most four places."""
    return st.integers(0, 10_000).map(lambda bp: Decimal(bp).scaleb(-4))


def territories() -> st.SearchStrategy[str]:
    """ISO 3166-1 alpha-2 style country codes (two letters, either case)."""
    return st.from_regex(r"[A-Za-z]{2}", fullmatch=True)


@st.composite
def partner_profiles(draw: st.DrawFn) -> PartnerProfile:
    """Profiles with any tier, territories, weight and rate, open-ended or not."""
    start = draw(st.dates(date(1000, 1, 1), date(9000, 12, 31)))
    end = draw(st.none() | st.integers(0, 3650).map(lambda days: start + timedelta(days=days)))
    return PartnerProfile(
        customer_id=uuid7(),
        tier=draw(texts(1, 40)),
        territories=draw(st.lists(territories(), max_size=5)),
        weight=draw(st.integers(0, 2**31 - 1)),
        commission_rate=draw(rates()),
        active_from=start,
        active_to=end,
        created_at=draw(aware_datetimes()),
    )


@st.composite
def opportunity_partners(draw: st.DrawFn) -> OpportunityPartner:
    """Links in every registration state: none, proposed, accepted or declined."""
    status = draw(st.none() | st.sampled_from(list(RegistrationStatus)))
    created = draw(aware_datetimes(max_value=datetime(2190, 1, 1)))
    registered = None if status is None else created + draw(st.timedeltas(timedelta(0), timedelta(days=400)))
    decided = None
    if registered is not None and status is not RegistrationStatus.PROPOSED:
        decided = registered + draw(st.timedeltas(timedelta(0), timedelta(days=400)))
    return OpportunityPartner(
        opportunity_id=uuid7(),
        customer_id=uuid7(),
        partner_id=uuid7(),
        role=draw(st.sampled_from(list(PartnerRole))),
        primary=draw(st.booleans()),
        sourced=draw(st.booleans()),
        commission_rate=draw(st.none() | rates()),
        registered_at=registered,
        status=status,
        decided_at=decided,
        created_at=created,
    )
