"""Attribution: a hand-worked journey for every model, exact weights and money, the window, validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relcore.errors import ValidationError
from relcore.marketing import AttributionModel, Credit, Order, Touch, attribute, totals

A, B, C, D, E = (UUID(int=i) for i in range(1, 6))
ORDER_AT = datetime(2026, 3, 31, 12, tzinfo=UTC)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
ORDER = Order(at=ORDER_AT, amount=Decimal("100.00"), currency="EUR", transaction_id=UUID(int=100))

# The journey, oldest first; the look-back window is 30 days.
JOURNEY = [
    Touch(at=ORDER_AT - 31 * DAY, campaign_id=D),  # one day too old: outside the window
    Touch(at=ORDER_AT - 21 * DAY, campaign_id=A),  # first touch in the window
    Touch(at=ORDER_AT - 14 * DAY, campaign_id=B),
    Touch(at=ORDER_AT - 7 * DAY, campaign_id=A),  # A again: its credits add up
    Touch(at=ORDER_AT, campaign_id=C),  # at the order's instant: counts, and is the last touch
    Touch(at=ORDER_AT + timedelta(hours=1), campaign_id=E),  # after the order: never counts
]


def _by_campaign(credits: list[Credit]) -> dict[UUID | None, tuple[Fraction, Decimal]]:
    return {c.campaign_id: (c.weight, c.amount) for c in credits}


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # the whole order to A (21 days before) / to C (at the order)
        ("first_touch", {A: (Fraction(1), Decimal("100.00")), B: (0, 0), C: (0, 0)}),
        ("last_touch", {A: (0, 0), B: (0, 0), C: (Fraction(1), Decimal("100.00"))}),
        # four touches, 1/4 each: A has two of them
        (
            "linear",
            {
                A: (Fraction(1, 2), Decimal("50.00")),
                B: (Fraction(1, 4), Decimal("25.00")),
                C: (Fraction(1, 4), 25),
            },
        ),
        # 0.4 first (A), 0.2 shared by the two middle ones (B, A: 0.1 each), 0.4 last (C)
        (
            "position_based",
            {A: (Fraction(1, 2), Decimal("50.00")), B: (Fraction(1, 10), 10), C: (Fraction(2, 5), 40)},
        ),
    ],
)
def test_a_hand_worked_journey(model: str, expected: dict[UUID, tuple[Fraction, Decimal]]) -> None:
    credits = attribute([ORDER], JOURNEY, model=model, lookback=30 * DAY)
    assert [c.campaign_id for c in credits] == [A, B, C]  # in the order of their first touch
    assert _by_campaign(credits) == expected
    assert [c.touches for c in credits] == [2, 1, 1]
    assert {c.currency for c in credits} == {"EUR"}


def test_time_decay_on_the_hand_worked_journey() -> None:
    # half-life one week; ages 21, 14, 7 and 0 days: relative weights 1/8, 1/4, 1/2, 1 (sum 15/8),
    # normalised 1/15, 2/15, 4/15, 8/15; A = 1/15 + 4/15 = 1/3, B = 2/15, C = 8/15.
    # 10000 cents: 3333 1/3, 1333 1/3, 5333 1/3 -> 9999 whole, one cent left; the three fractional
    # parts are equal (1/3), so it goes to the campaign touched first, A.
    credits = attribute([ORDER], JOURNEY, model="time_decay", lookback=30 * DAY, half_life=WEEK)
    assert _by_campaign(credits) == {
        A: (Fraction(1, 3), Decimal("33.34")),
        B: (Fraction(2, 15), Decimal("13.33")),
        C: (Fraction(8, 15), Decimal("53.33")),
    }


def test_time_decay_halves_at_one_half_life() -> None:
    # A is 7 days old, B 3: with a 4-day half-life A weighs half of B, so A = 1/3 and B = 2/3
    touches = [Touch(at=ORDER_AT - WEEK, campaign_id=A), Touch(at=ORDER_AT - 3 * DAY, campaign_id=B)]
    credits = attribute([ORDER], touches, model="time_decay", lookback=30 * DAY, half_life=4 * DAY)
    assert _by_campaign(credits) == {
        A: (Fraction(1, 3), Decimal("33.33")),
        B: (Fraction(2, 3), Decimal("66.67")),
    }
    # with a one-hour half-life they are 96 half-lives apart: A = 2^-96 / (1 + 2^-96), exactly
    credits = attribute([ORDER], touches, model="time_decay", lookback=30 * DAY, half_life=timedelta(hours=1))
    assert _by_campaign(credits) == {
        A: (Fraction(1, 2**96 + 1), Decimal(0)),
        B: (Fraction(2**96, 2**96 + 1), 100),
    }


@given(st.integers(1, 10**6), st.integers(1, 10**6))
def test_time_decay_weighs_a_touch_by_its_age(half_life_minutes: int, apart_minutes: int) -> None:
    half_life, apart = timedelta(minutes=half_life_minutes), timedelta(minutes=apart_minutes)
    touches = [Touch(at=ORDER_AT - apart, campaign_id=A), Touch(at=ORDER_AT, campaign_id=B)]
    weights = _by_campaign(
        attribute([ORDER], touches, model="time_decay", lookback=apart, half_life=half_life)
    )
    assert float(weights[A][0] / weights[B][0]) == pytest.approx(
        2 ** (-apart_minutes / half_life_minutes), abs=1e-300
    )


def test_the_window_includes_both_ends() -> None:
    at_start = Touch(at=ORDER_AT - 30 * DAY, campaign_id=A)
    just_before = Touch(at=ORDER_AT - 30 * DAY - timedelta(microseconds=1), campaign_id=B)
    credits = attribute([ORDER], [just_before, at_start], model="linear", lookback=30 * DAY)
    assert _by_campaign(credits) == {A: (Fraction(1), Decimal("100.00"))}


def test_an_order_without_a_touch_is_unattributed() -> None:
    late = Order(at=ORDER_AT + 90 * DAY, amount=Decimal(500), currency="jpy", transaction_id=UUID(int=101))
    credits = attribute([ORDER, late], JOURNEY, model="last_touch", lookback=30 * DAY)
    assert credits[-1] == Credit(late.transaction_id, None, Fraction(1), Decimal(500), "JPY", 0)
    assert totals(credits) == {
        A: {"EUR": Decimal("0.00")},
        B: {"EUR": Decimal("0.00")},
        C: {"EUR": Decimal("100.00")},
        None: {"JPY": Decimal(500)},
    }


def test_one_touch_takes_everything_and_two_share_half_each_in_the_u_shape() -> None:
    one = attribute([ORDER], [Touch(at=ORDER_AT, campaign_id=A)], model="position_based", lookback=DAY)
    assert _by_campaign(one) == {A: (Fraction(1), Decimal("100.00"))}
    two = [Touch(at=ORDER_AT - DAY, campaign_id=A), Touch(at=ORDER_AT, campaign_id=B)]
    credits = attribute([ORDER], two, model="position_based", lookback=WEEK)
    assert _by_campaign(credits) == {
        A: (Fraction(1, 2), Decimal("50.00")),
        B: (Fraction(1, 2), Decimal("50.00")),
    }


def test_the_last_minor_units_go_to_the_largest_remainders() -> None:
    # 0.10 EUR = 10 cents over three equal touches: 3 1/3 each, one cent left for the first campaign
    order = Order(at=ORDER_AT, amount=Decimal("0.10"), currency="EUR", transaction_id=UUID(int=1))
    touches = [Touch(at=ORDER_AT - i * DAY, campaign_id=c) for i, c in ((3, A), (2, B), (1, C))]
    credits = attribute([order], touches, model="linear", lookback=WEEK)
    assert [c.amount for c in credits] == [Decimal("0.04"), Decimal("0.03"), Decimal("0.03")]
    # 1.000 KWD (three decimals) over 0.4 / 0.2 / 0.4: exact
    order = Order(at=ORDER_AT, amount=Decimal("1.000"), currency="KWD", transaction_id=UUID(int=2))
    credits = attribute([order], touches, model="position_based", lookback=WEEK)
    assert [c.amount for c in credits] == [Decimal("0.400"), Decimal("0.200"), Decimal("0.400")]


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"model": "last_non_direct", "lookback": WEEK}, "model"),
        ({"model": "linear", "lookback": timedelta(0)}, "lookback"),
        ({"model": "linear", "lookback": 7}, "lookback"),
        ({"model": "time_decay", "lookback": WEEK}, "half_life"),
        ({"model": "time_decay", "lookback": WEEK, "half_life": -DAY}, "half_life"),
        ({"model": "linear", "lookback": WEEK, "half_life": DAY}, "half_life"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs: dict[str, object], path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        attribute([ORDER], JOURNEY, **kwargs)  # type: ignore[arg-type]
    assert caught.value.paths == (path,)


def test_bad_items_and_values_are_refused_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        attribute([ORDER, "order"], JOURNEY, model="linear", lookback=WEEK)  # type: ignore[list-item]
    assert caught.value.paths == ("orders[1]",)
    with pytest.raises(ValidationError) as caught:
        attribute([ORDER], [JOURNEY[0], None], model="linear", lookback=WEEK)  # type: ignore[list-item]
    assert caught.value.paths == ("touches[1]",)
    with pytest.raises(ValidationError) as caught:
        attribute([ORDER, ORDER], JOURNEY, model="linear", lookback=WEEK)
    assert caught.value.paths == ("orders[1].transaction_id",)
    for amount, currency, field in (
        (Decimal("1.001"), "EUR", "amount"),
        (Decimal(-1), "EUR", "amount"),
        (1.5, "EUR", "amount"),
        (Decimal(1), "XYZ", "currency"),
    ):
        with pytest.raises(ValidationError) as caught:
            Order(at=ORDER_AT, amount=amount, currency=currency, transaction_id=UUID(int=1))  # type: ignore[arg-type]
        assert caught.value.paths == (field,)
    with pytest.raises(ValidationError) as caught:
        Touch(at=datetime(2026, 1, 1), campaign_id=A)  # naive
    assert caught.value.paths == ("at",)


def test_a_huge_lookback_reaches_back_to_the_first_year() -> None:
    early = Order(at=datetime(1001, 1, 1, tzinfo=UTC), amount=1, currency="EUR", transaction_id=UUID(int=1))
    touch = Touch(at=datetime(1000, 6, 1, tzinfo=UTC), campaign_id=A)
    credits = attribute([early], [touch], model="first_touch", lookback=timedelta(days=999_999))
    assert _by_campaign(credits) == {A: (Fraction(1), Decimal(1))}


# ---- properties -------------------------------------------------------------------------------------------

_campaigns = st.sampled_from([A, B, C, D])
_touches = st.lists(
    st.builds(
        Touch,
        at=st.integers(0, 60 * 24 * 40).map(lambda minutes: ORDER_AT - timedelta(minutes=minutes)),
        campaign_id=_campaigns,
        touchpoint_id=st.none() | st.uuids(),
    ),
    max_size=12,
)
_EXPONENTS = {"EUR": 2, "JPY": 0, "KWD": 3}
_orders = st.lists(
    st.builds(
        lambda minutes, units, currency, transaction_id: Order(
            at=ORDER_AT + timedelta(minutes=minutes),
            amount=Decimal(units).scaleb(-_EXPONENTS[currency]),
            currency=currency,
            transaction_id=transaction_id,
        ),
        st.integers(-60 * 24 * 5, 0),
        st.integers(0, 10**12),
        st.sampled_from(sorted(_EXPONENTS)),
        st.uuids(),
    ),
    max_size=4,
    unique_by=lambda o: o.transaction_id,
)
_half_lives = st.integers(1, 60 * 24 * 30).map(lambda minutes: timedelta(minutes=minutes))


@given(_orders, _touches, st.sampled_from(list(AttributionModel)), _half_lives)
def test_weights_sum_to_one_and_amounts_to_the_order(
    orders: list[Order], touches: list[Touch], model: AttributionModel, half_life: timedelta
) -> None:
    decay = half_life if model is AttributionModel.TIME_DECAY else None
    credits = attribute(orders, touches, model=model, lookback=30 * DAY, half_life=decay)
    for order in orders:
        mine = [c for c in credits if c.transaction_id == order.transaction_id]
        assert sum((c.weight for c in mine), Fraction(0)) == 1
        assert all(0 <= c.weight <= 1 for c in mine)
        assert sum(c.amount for c in mine) == order.amount
        assert all(c.amount >= 0 and c.currency == order.currency for c in mine)
        assert len({c.campaign_id for c in mine}) == len(mine)
        # each campaign's amount is its exact share rounded down or up by at most one minor unit
        unit = Decimal(1).scaleb(-_EXPONENTS[order.currency])
        assert all(
            abs(c.amount - order.amount * Decimal(c.weight.numerator) / c.weight.denominator) < unit
            for c in mine
        )


@given(_orders, _touches, st.sampled_from(list(AttributionModel)), st.randoms(use_true_random=False))
def test_the_order_of_the_touches_does_not_matter(
    orders: list[Order], touches: list[Touch], model: AttributionModel, random: object
) -> None:
    decay = WEEK if model is AttributionModel.TIME_DECAY else None
    shuffled = list(touches)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert attribute(orders, shuffled, model=model, lookback=30 * DAY, half_life=decay) == attribute(
        orders, touches, model=model, lookback=30 * DAY, half_life=decay
    )


@given(_orders, _touches, st.sampled_from(list(AttributionModel)))
def test_totals_add_up_to_the_revenue(
    orders: list[Order], touches: list[Touch], model: AttributionModel
) -> None:
    decay = WEEK if model is AttributionModel.TIME_DECAY else None
    summed = totals(attribute(orders, touches, model=model, lookback=30 * DAY, half_life=decay))
    for currency in {o.currency for o in orders}:
        revenue = sum(o.amount for o in orders if o.currency == currency)
        assert sum(per.get(currency, 0) for per in summed.values()) == revenue


def _oracle(model: AttributionModel, ages_in_hours: list[int]) -> list[Fraction]:
    """Each touch's weight straight from the formulas, oldest first (time decay with a one-hour half-life)."""
    n = len(ages_in_hours)
    if model is AttributionModel.FIRST_TOUCH:
        return [Fraction(int(i == 0)) for i in range(n)]
    if model is AttributionModel.LAST_TOUCH:
        return [Fraction(int(i == n - 1)) for i in range(n)]
    if model is AttributionModel.LINEAR:
        return [Fraction(1, n)] * n
    if model is AttributionModel.POSITION_BASED:
        if n <= 2:
            return [Fraction(1, n)] * n
        return [Fraction(2, 5)] + [Fraction(1, 5) / (n - 2)] * (n - 2) + [Fraction(2, 5)]
    raw = [Fraction(1, 2**age) for age in ages_in_hours]
    return [r / sum(raw) for r in raw]


@given(
    st.lists(st.tuples(st.integers(0, 30 * 24), _campaigns), min_size=1, max_size=10),
    st.sampled_from(list(AttributionModel)),
)
def test_weights_follow_the_formulas(journey: list[tuple[int, UUID]], model: AttributionModel) -> None:
    # whole hours with a one-hour half-life: time decay is exact too, 2^-age normalised
    oldest_first = sorted(journey, key=lambda pair: (-pair[0], pair[1].int))
    touches = [Touch(at=ORDER_AT - timedelta(hours=age), campaign_id=c) for age, c in oldest_first]
    decay = timedelta(hours=1) if model is AttributionModel.TIME_DECAY else None
    credits = attribute([ORDER], touches, model=model, lookback=30 * DAY, half_life=decay)
    expected: dict[UUID, Fraction] = {}
    for (_, campaign), weight in zip(oldest_first, _oracle(model, [a for a, _ in oldest_first]), strict=True):
        expected[campaign] = expected.get(campaign, Fraction(0)) + weight
    assert {c.campaign_id: c.weight for c in credits} == expected
