"""The attribution report as pure functions: sums, the ROI rule, the unchecked path, the journeys query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relcore.errors import ValidationError
from relcore.marketing import AttributionModel, Campaign, Order, Touch, attribute
from relcore.marketing.attribution import attribute_checked, check_settings, stored_order, stored_touch
from relcore.marketing.attribution_ports import JourneyQuery
from relcore.marketing.attribution_report import CampaignReturn, campaign_return, summarise

T0 = datetime(2026, 5, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
A, B, C = UUID(int=1), UUID(int=2), UUID(int=3)


def spring(**money: str) -> Campaign:
    return Campaign(id=A, name="Spring", channel="email", **money)


@pytest.mark.parametrize(
    ("campaign", "revenue", "expected"),
    [
        # (12.50 - 10.00) / 10.00
        (spring(actual_cost="10.00", currency="EUR"), {"EUR": "12.50"}, ("EUR", "10.00", "12.50", "0.25")),
        # nothing earned: everything spent is lost
        (spring(actual_cost="10.00", currency="EUR"), {}, ("EUR", "10.00", "0.00", "-1")),
        # a zero credit in another currency (first touch gave it nothing) does not matter
        (
            spring(actual_cost="10.00", currency="EUR"),
            {"EUR": "5.00", "USD": "0.00"},
            ("EUR", "10.00", "5.00", "-0.5"),
        ),
        # revenue in another currency cannot be compared with the cost
        (
            spring(actual_cost="10.00", currency="EUR"),
            {"EUR": "5.00", "USD": "1.00"},
            ("EUR", "10.00", "5.00", None),
        ),
        # a cost of 0 or no cost: no ROI
        (spring(actual_cost="0.00", currency="EUR"), {"EUR": "5.00"}, ("EUR", "0.00", "5.00", None)),
        (spring(budget="100.00", currency="EUR"), {"EUR": "5.00"}, ("EUR", None, "5.00", None)),
        # no amounts, or not stored: nothing known
        (spring(), {"EUR": "5.00"}, (None, None, None, None)),
        (None, {"EUR": "5.00"}, (None, None, None, None)),
    ],
)
def test_the_roi_rule(
    campaign: Campaign | None, revenue: dict[str, str], expected: tuple[str | None, ...]
) -> None:
    found = campaign_return(A, campaign, {k: Decimal(v) for k, v in revenue.items()})
    as_text = tuple(
        None if v is None else str(v) for v in (found.currency, found.cost, found.revenue, found.roi)
    )
    assert as_text == expected


def test_summarise_adds_up_per_campaign_and_currency_and_reports_requested_campaigns() -> None:
    orders = [
        Order(T0, "10.00", "EUR", UUID(int=100)),
        Order(T0 + HOUR, "7", "JPY", UUID(int=101)),
        Order(T0 + 3 * HOUR, "3.00", "EUR", UUID(int=102)),  # no touch in its hour: unattributed
    ]
    touches = [Touch(T0 - HOUR, B), Touch(T0, A), Touch(T0 + HOUR, A)]
    credits = attribute(orders, touches, model="first_touch", lookback=HOUR)
    report = summarise(
        credits,
        {A: spring(actual_cost="4.00", currency="EUR")},
        requested=[C],
        model=AttributionModel.FIRST_TOUCH,
        start=T0,
        end=T0 + 4 * HOUR,
        lookback=HOUR,
    )
    assert report.orders == 3
    assert report.revenue == {"EUR": Decimal("13.00"), "JPY": Decimal(7)}
    assert report.unattributed == {"EUR": Decimal("3.00"), "JPY": Decimal(0)}
    assert [(r.campaign_id, r.currency, str(r.revenue), r.orders, r.touches) for r in report.campaigns] == [
        (A, "EUR", "0.00", 1, 1),
        (A, "JPY", "7", 1, 2),  # the touch an hour before and the one at the instant
        (B, "EUR", "10.00", 1, 1),
    ]
    # A earned 0.00 in EUR and 7 in JPY: no ROI; B is not stored; C was asked for and earned nothing
    assert report.returns == (
        CampaignReturn(A, "EUR", Decimal("4.00"), Decimal("0.00"), None),
        CampaignReturn(B, None, None, None, None),
        CampaignReturn(C, None, None, None, None),
    )
    assert report.revenue_of(B) == {"EUR": Decimal("10.00")}
    assert report.revenue_of(C) == {}
    assert report.return_of(UUID(int=99)) is None


def test_summarise_refuses_what_is_not_a_credit_naming_it() -> None:
    with pytest.raises(ValidationError) as error:
        summarise(
            ["not a credit"],
            {},
            model=AttributionModel.LINEAR,
            start=T0,
            end=T0 + HOUR,
            lookback=HOUR,
        )
    assert error.value.paths == ("credits[0]",)


_journey = st.tuples(
    st.lists(st.tuples(st.integers(0, 48), st.sampled_from([A, B, C])), max_size=12),
    st.lists(
        st.tuples(st.integers(0, 48), st.integers(0, 100_000), st.sampled_from(["EUR", "JPY"])), max_size=5
    ),
)


@given(
    journey=_journey,
    model=st.sampled_from(AttributionModel),
    lookback=st.integers(1, 48),
    half_life=st.integers(1, 24),
)
def test_the_unchecked_path_credits_as_the_checked_one(
    journey: tuple[list[tuple[int, UUID]], list[tuple[int, int, str]]],
    model: AttributionModel,
    lookback: int,
    half_life: int,
) -> None:
    moves, sales = journey
    half = half_life * HOUR if model is AttributionModel.TIME_DECAY else None
    checked_touches = [Touch(T0 + h * HOUR, campaign) for h, campaign in moves]
    fast_touches = [stored_touch(T0 + h * HOUR, campaign) for h, campaign in moves]
    assert fast_touches == checked_touches
    amounts = [Decimal(units).scaleb(-2 if currency == "EUR" else 0) for _, units, currency in sales]
    checked_orders = [
        Order(T0 + h * HOUR, amount, currency, UUID(int=100 + i))
        for i, ((h, _, currency), amount) in enumerate(zip(sales, amounts, strict=True))
    ]
    fast_orders = [
        stored_order(T0 + h * HOUR, amount, currency, UUID(int=100 + i))
        for i, ((h, _, currency), amount) in enumerate(zip(sales, amounts, strict=True))
    ]
    assert fast_orders == checked_orders
    expected = attribute(
        checked_orders, checked_touches, model=model, lookback=lookback * HOUR, half_life=half
    )
    chosen, window, given_half = check_settings(model.value, lookback * HOUR, half)
    assert (
        attribute_checked(
            fast_orders, fast_touches[::-1], model=chosen, lookback=window, half_life=given_half
        )
        == expected
    )


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"start": datetime(2026, 5, 1)}, "start"),  # naive
        ({"lookback": timedelta(0)}, "lookback"),
        ({"campaign_ids": "abc"}, "campaign_ids"),
        ({"campaign_ids": [A, 3]}, "campaign_ids[1]"),
        ({"kinds": "click"}, "kinds"),
        ({"kinds": ["click", ""]}, "kinds[1]"),
    ],
)
def test_a_journey_query_refuses_bad_fields_naming_them(fields: dict[str, object], path: str) -> None:
    given_fields: dict[str, object] = {"start": T0, "end": T0 + HOUR, "lookback": HOUR, **fields}
    with pytest.raises(ValidationError) as error:
        JourneyQuery(**given_fields)  # type: ignore[arg-type]
    assert error.value.paths == (path,)


def test_a_journey_query_reaching_before_anything_storable_has_no_earliest_touch() -> None:
    query = JourneyQuery(datetime(1000, 1, 2, tzinfo=UTC), T0, timedelta(days=366_000), [A], ["click"])
    assert query.earliest_touch is None  # before year 1
    assert JourneyQuery(datetime(1000, 1, 2, tzinfo=UTC), T0, timedelta(days=2)).earliest_touch is None
    assert query.campaign_ids == frozenset({A})
    assert query.kinds == frozenset({"click"})
    assert JourneyQuery(T0, T0 + HOUR, HOUR).earliest_touch == T0 - HOUR
