"""Sales analytics over deal history: golden books worked by hand, and a simulated sales process.

Histories are written with the real decisions of ``relcore.sales.decisions`` at explicit moments,
so every figure below follows from the dates in the comments, never from today's date.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore.errors import ValidationError
from relcore.ids import CustomerId, OpportunityId, new_id
from relcore.sales import decisions
from relcore.sales.funnel import Ratio, Tally, book_as_of, stage_conversion, stage_durations
from relcore.sales.model import Opportunity, OpportunityChange
from relcore.sales.performance import DIVISION, losses_by_reason, sales_velocity, win_rate
from relcore.sales.pipelines import Pipeline, Stage, StageOutcome
from relcore.sales.rotting import rotting
from relcore.sales.waterfall import Waterfall, waterfall

T0 = datetime(2026, 1, 5, tzinfo=UTC)
CREATED = T0 - timedelta(days=30)
DIRECT = Pipeline.of(
    "Direct",
    [("qualify", "Qualify", "0.1"), ("propose", "Propose", "0.4"), ("negotiate", "Negotiate", "0.7")],
    currency="EUR",
    created_at=CREATED,
)
PARTNER = Pipeline.of(
    "Partner", [("intro", "Intro", "0.2"), ("deal", "Deal", "0.5")], currency="EUR", created_at=CREATED
)
PIPELINES = {DIRECT.id: DIRECT, PARTNER.id: PARTNER}


def day(days: float) -> datetime:
    return T0 + timedelta(days=days)


class Book:
    """Deals and their history, written with the real decision functions."""

    def __init__(self) -> None:
        self.deals: dict[OpportunityId, Opportunity] = {}
        self.pipeline_of: dict[OpportunityId, Pipeline] = {}
        self.changes: list[OpportunityChange] = []
        self.customer = CustomerId(new_id())

    def open(self, stage: str, at: datetime, pipeline: Pipeline = DIRECT, **fields: Any) -> OpportunityId:
        deal = Opportunity(
            customer_id=self.customer,
            pipeline_id=pipeline.id,
            stage=stage,
            name="deal",
            created_at=at,
            **fields,
        )
        self.pipeline_of[deal.id] = pipeline
        self._keep(decisions.open_deal(deal, pipeline))
        return deal.id

    def _keep(self, decision: decisions.Decision) -> None:
        if decision.change is not None:  # a request that changes nothing writes no entry
            self.deals[decision.opportunity.id] = decision.opportunity
            self.changes.append(decision.change)

    def advance(self, deal: OpportunityId, stage: str, at: datetime) -> None:
        self._keep(decisions.advance(self.deals[deal], self.pipeline_of[deal], stage, at=at))

    def win(self, deal: OpportunityId, at: datetime, **kwargs: Any) -> None:
        self._keep(decisions.win(self.deals[deal], self.pipeline_of[deal], at=at, **kwargs))

    def lose(self, deal: OpportunityId, reason: str, at: datetime) -> None:
        self._keep(decisions.lose(self.deals[deal], self.pipeline_of[deal], reason=reason, at=at))

    def reopen(self, deal: OpportunityId, stage: str, at: datetime) -> None:
        self._keep(decisions.reopen(self.deals[deal], self.pipeline_of[deal], stage, at=at))

    def amount(
        self, deal: OpportunityId, amount: Decimal | str | None, at: datetime, currency: str | None = None
    ) -> None:
        self._keep(decisions.change_amount(self.deals[deal], amount, currency, at=at))

    def close_date(self, deal: OpportunityId, when: date, at: datetime) -> None:
        self._keep(decisions.change_close_date(self.deals[deal], when, at=at))

    def move(self, deal: OpportunityId, target: Pipeline, stages: dict[str, str], at: datetime) -> None:
        source = self.pipeline_of[deal]
        self._keep(decisions.move(self.deals[deal], source, target, stages, at=at))
        self.pipeline_of[deal] = target


@pytest.fixture
def book() -> tuple[Book, dict[str, OpportunityId]]:
    """The golden book (days after T0; EUR unless said).

    A: opened day 0 in qualify, 1000, close date 2026-02-01; propose day 2; negotiate day 5;
       close date pushed to 2026-02-15 day 6; won day 10 at 1200.
    B: opened day 1 in qualify, 500; negotiate day 3 (skipping propose); lost for price day 8.
    C: opened day 2 in propose, 2000 USD; back to qualify day 4; amount 2500 USD day 6.
    D: opened day 3 in qualify, no amount; lost for timing day 4; reopened in qualify day 7;
       propose day 9.
    E: opened day 12 in qualify, 300.
    """
    b = Book()
    a = b.open("qualify", day(0), amount="1000", currency="EUR", close_date=date(2026, 2, 1))
    bb = b.open("qualify", day(1), amount="500", currency="EUR")
    b.advance(a, "propose", day(2))
    c = b.open("propose", day(2), amount="2000", currency="USD")
    b.advance(bb, "negotiate", day(3))
    d = b.open("qualify", day(3))
    b.advance(c, "qualify", day(4))
    b.lose(d, "timing", day(4))
    b.advance(a, "negotiate", day(5))
    b.close_date(a, date(2026, 2, 15), day(6))
    b.amount(c, "2500", day(6))
    b.reopen(d, "qualify", day(7))
    b.lose(bb, "price", day(8))
    b.advance(d, "propose", day(9))
    b.win(a, day(10), amount="1200")
    e = b.open("qualify", day(12), amount="300", currency="EUR")
    return b, {"A": a, "B": bb, "C": c, "D": d, "E": e}


# -- Ratio --------------------------------------------------------------------


def test_ratio_rounds_half_even_and_keeps_zero_over_zero_undefined() -> None:
    assert Ratio(2, 3).decimal() == Decimal("0.6667")  # 0.66666... rounds up
    assert Ratio(1, 8).decimal(places=2) == Decimal("0.12")  # 0.125: the tie goes to the even 2
    assert Ratio(3, 8).decimal(places=2) == Decimal("0.38")  # 0.375: the tie goes to the even 8
    assert Ratio(7, 7).decimal(places=0) == Decimal("1")
    assert Ratio(0, 0).decimal() is None
    assert Ratio(0, 0).fraction() is None
    assert not Ratio(0, 0).defined
    assert Ratio(2, 4).fraction() == Fraction(1, 2)
    assert str(Ratio(2, 4)) == "2/4"


@pytest.mark.parametrize(
    ("numerator", "denominator", "field"),
    [
        (1, 0, "denominator"),
        (-1, 2, "numerator"),
        (1, -2, "denominator"),
        (True, 2, "numerator"),
        (1.0, 2, "numerator"),
    ],
)
def test_ratio_refuses_bad_counts(numerator: Any, denominator: Any, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Ratio(numerator, denominator)
    assert raised.value.paths == (field,)


def test_ratio_refuses_bad_places() -> None:
    with pytest.raises(ValidationError) as raised:
        Ratio(1, 2).decimal(places=-1)
    assert raised.value.paths == ("places",)


@given(st.integers(0, 10**12), st.integers(1, 10**12), st.integers(0, 12))
def test_ratio_decimal_is_the_nearest_value_at_its_places(
    numerator: int, denominator: int, places: int
) -> None:
    value = Ratio(numerator, denominator).decimal(places=places)
    assert value is not None
    assert value.as_tuple().exponent == -places
    error = abs(Fraction(value) - Fraction(numerator, denominator))
    assert error <= Fraction(1, 2 * 10**places)


# -- book as of ---------------------------------------------------------------


def test_book_as_of_gives_each_deal_its_last_entry(book: tuple[Book, dict[str, OpportunityId]]) -> None:
    b, ids = book
    at_day_4 = book_as_of(reversed(b.changes), day(4))
    # E is opened on day 12, after the moment; D's loss on day 4 is included (at <= moment).
    assert set(at_day_4) == {ids["A"], ids["B"], ids["C"], ids["D"]}
    assert list(at_day_4) == sorted(at_day_4)
    assert [(at_day_4[ids[k]].stage, at_day_4[ids[k]].outcome.value) for k in "ABCD"] == [
        ("propose", "open"),
        ("negotiate", "open"),
        ("qualify", "open"),
        ("lost", "lost"),
    ]
    assert at_day_4[ids["D"]].lost_reason == "timing"
    assert book_as_of(b.changes, day(-1)) == {}
    final = book_as_of(b.changes, day(100))
    for deal_id, deal in b.deals.items():
        assert (final[deal_id].stage, final[deal_id].amount, final[deal_id].close_date) == (
            deal.stage,
            deal.amount,
            deal.close_date,
        )


def test_book_as_of_orders_entries_of_the_same_moment_by_id() -> None:
    b = Book()
    deal = b.open("qualify", day(0))
    b.advance(deal, "propose", day(1))
    b.advance(deal, "negotiate", day(1))  # same moment, written later: the greater id
    assert book_as_of(b.changes[::-1], day(1))[deal].stage == "negotiate"


# -- stage conversion and durations -------------------------------------------


def test_stage_conversion_golden(book: tuple[Book, dict[str, OpportunityId]]) -> None:
    b, _ = book
    # Reach as of day 11 (open stages qualify=0, propose=1, negotiate=2; won = 3):
    # A won -> 3; B qualify, negotiate, then lost -> 2; C propose, qualify -> 1;
    # D qualify, lost, qualify, propose -> 1; E opened day 12 -> not counted.
    # Reached >= 0: 4, >= 1: 4, >= 2: 2 (A, B), >= 3: 1 (A).
    result = stage_conversion(b.changes, DIRECT, day(11))
    assert [(s.stage, s.reached, s.advanced) for s in result] == [
        ("qualify", 4, 4),
        ("propose", 4, 2),
        ("negotiate", 2, 1),
    ]
    assert [s.rate.decimal() for s in result] == [Decimal("1.0000"), Decimal("0.5000"), Decimal("0.5000")]
    # As of day 9.5 A is not won yet: reaches are A 2, B 2, C 1, D 1 -> negotiate 0/2.
    assert [(s.reached, s.advanced) for s in stage_conversion(b.changes, DIRECT, day(9.5))] == [
        (4, 4),
        (4, 2),
        (2, 0),
    ]
    # No deal of the partner pipeline: every rate is 0/0.
    assert [s.rate for s in stage_conversion(b.changes, PARTNER, day(11))] == [Ratio(0, 0)] * 2


def test_stage_durations_golden(book: tuple[Book, dict[str, OpportunityId]]) -> None:
    b, _ = book
    # As of day 11, per deal (days):
    #   A: qualify 0->2 = 2, propose 2->5 = 3, negotiate 5->10 = 5 (the day-6 close date entry splits it)
    #   B: qualify 1->3 = 2, negotiate 3->8 = 5
    #   C: propose 2->4 = 2, qualify 4->11 (clipped at as_of) = 7
    #   D: qualify 3->4 + 7->9 = 3 (the lost interval counts for no open stage), propose 9->11 = 2
    # qualify [2, 2, 3, 7]: total 14, median rank ceil(4/2)=2 -> 2, p90 rank ceil(3.6)=4 -> 7
    # propose [2, 2, 3]: total 7, median rank 2 -> 2, p90 rank ceil(2.7)=3 -> 3
    # negotiate [5, 5]: total 10, median rank 1 -> 5, p90 rank ceil(1.8)=2 -> 5
    d = timedelta(days=1)
    result = stage_durations(b.changes, DIRECT, day(11))
    assert [(s.stage, s.deals, s.total, s.median, s.p90) for s in result] == [
        ("qualify", 4, 14 * d, 2 * d, 7 * d),
        ("propose", 3, 7 * d, 2 * d, 3 * d),
        ("negotiate", 2, 10 * d, 5 * d, 5 * d),
    ]
    # As of day 2.5: A qualify 2, propose 0.5; B qualify 1.5; C propose 0.5.
    early = stage_durations(b.changes, DIRECT, day(2.5))
    assert [(s.deals, s.total, s.median) for s in early] == [
        (2, 3.5 * d, 1.5 * d),
        (2, 1 * d, 0.5 * d),
        (0, timedelta(0), None),
    ]
    assert early[2].p90 is None


def test_only_entries_of_the_pipeline_count_for_conversion_and_durations() -> None:
    b = Book()
    deal = b.open("intro", day(0), pipeline=PARTNER)
    b.move(deal, DIRECT, {"intro": "propose"}, day(2))  # enters Direct in propose: qualify counts as passed
    b.advance(deal, "negotiate", day(3))
    b.move(deal, PARTNER, {"negotiate": "deal"}, day(4))
    b.win(deal, day(6))  # won in Partner: not a Direct win
    assert [(s.reached, s.advanced) for s in stage_conversion(b.changes, DIRECT, day(7))] == [
        (1, 1),
        (1, 1),
        (1, 0),
    ]
    d = timedelta(days=1)
    assert [s.total for s in stage_durations(b.changes, DIRECT, day(7))] == [timedelta(0), d, d]
    assert [s.deals for s in stage_durations(b.changes, DIRECT, day(7))] == [0, 1, 1]
    assert [s.total for s in stage_durations(b.changes, PARTNER, day(7))] == [2 * d, 2 * d]


# -- waterfall ----------------------------------------------------------------


def _reconciles(flow: Waterfall) -> None:
    currencies = set(flow.opening.amounts) | set(flow.closing.amounts) | set(flow.new.amounts)
    currencies |= set(flow.reopened.amounts) | set(flow.increased.amounts) | set(flow.decreased.amounts)
    currencies |= set(flow.won.amounts) | set(flow.lost.amounts)
    for c in currencies:
        entered = flow.opening.amount(c) + flow.new.amount(c) + flow.reopened.amount(c)
        moved = flow.increased.amount(c) - flow.decreased.amount(c)
        left = flow.won.amount(c) + flow.lost.amount(c)
        assert entered + moved - left == flow.closing.amount(c), c
    counts = flow.opening.count + flow.new.count + flow.reopened.count - flow.won.count - flow.lost.count
    assert counts == flow.closing.count


def test_waterfall_golden_day_3_to_day_12(book: tuple[Book, dict[str, OpportunityId]]) -> None:
    b, ids = book
    # At day 3: A propose 1000 EUR, B negotiate 500 EUR, C propose 2000 USD, D qualify (no amount).
    # At day 12: A won 1200 EUR, B lost 500 EUR, C qualify 2500 USD, D propose, E qualify 300 EUR (new).
    # EUR: 1500 + 300 new + 200 increased (A) - 1200 won - 500 lost = 300 open at day 12.
    # USD: 2000 + 500 increased (C) = 2500. Counts: 4 + 1 - 1 - 1 = 3.
    flow = waterfall(b.changes, PIPELINES, day(3), day(12))
    assert flow.opening == Tally(4, {"EUR": Decimal(1500), "USD": Decimal(2000)})
    assert flow.new == Tally(1, {"EUR": Decimal(300)})
    assert flow.reopened == Tally(0, {})
    assert flow.increased == Tally(2, {"EUR": Decimal(200), "USD": Decimal(500)})
    assert flow.decreased == Tally(0, {})
    assert flow.won == Tally(1, {"EUR": Decimal(1200)})
    assert flow.lost == Tally(1, {"EUR": Decimal(500)})
    assert flow.closing == Tally(3, {"EUR": Decimal(300), "USD": Decimal(2500)})
    assert flow.advanced == (ids["D"],)  # qualify -> propose (its loss and reopening in between)
    assert flow.slipped == (ids["C"],)  # propose -> qualify
    assert flow.pushed == ()  # A's close date was pushed, but A is won at day 12
    _reconciles(flow)


def test_waterfall_golden_day_1_to_day_9(book: tuple[Book, dict[str, OpportunityId]]) -> None:
    b, ids = book
    # At day 1: A qualify 1000 EUR (close 2026-02-01), B qualify 500 EUR (opened at day 1 exactly).
    # At day 9: A negotiate 1000 EUR (close 2026-02-15), B lost, C 2500 USD new, D propose new.
    flow = waterfall(b.changes, PIPELINES, day(1), day(9))
    assert flow.opening == Tally(2, {"EUR": Decimal(1500)})
    assert flow.new == Tally(2, {"USD": Decimal(2500)})
    assert flow.lost == Tally(1, {"EUR": Decimal(500)})
    assert flow.won == Tally(0, {})
    assert flow.closing == Tally(3, {"EUR": Decimal(1000), "USD": Decimal(2500)})
    assert (flow.advanced, flow.slipped, flow.pushed) == ((ids["A"],), (), (ids["A"],))
    _reconciles(flow)
    # Day 5 to day 8: D, lost at day 5, was reopened (no amount).
    assert waterfall(b.changes, PIPELINES, day(5), day(8)).reopened == Tally(1, {})


def test_waterfall_reopened_recurrency_and_closed_again() -> None:
    b = Book()
    f = b.open("qualify", day(20), amount="100", currency="EUR")
    b.lose(f, "price", day(21))
    b.reopen(f, "propose", day(22))
    b.amount(f, "90", day(23), currency="GBP")
    b.win(f, day(24))
    # Day 21 to 25: lost at 21, won again at 24 -> reopened and won at its day-25 amount, 90 GBP.
    flow = waterfall(b.changes, PIPELINES, day(21), day(25))
    assert flow.opening == Tally(0, {})
    assert flow.reopened == flow.won == Tally(1, {"GBP": Decimal(90)})
    _reconciles(flow)
    # Day 20 to 25: open at 100 EUR; the currency change decreases EUR by 100, increases GBP by 90.
    flow = waterfall(b.changes, PIPELINES, day(20), day(25))
    assert flow.opening == Tally(1, {"EUR": Decimal(100)})
    assert (flow.decreased, flow.increased) == (
        Tally(1, {"EUR": Decimal(100)}),
        Tally(1, {"GBP": Decimal(90)}),
    )
    assert flow.won == Tally(1, {"GBP": Decimal(90)})
    _reconciles(flow)
    # Day 25 to 30: won at both moments, nothing happened: in no bucket.
    quiet = waterfall(b.changes, PIPELINES, day(25), day(30))
    assert all(getattr(quiet, name) == Tally(0, {}) for name in ("opening", "reopened", "won", "closing"))


# -- win rate, velocity, losses -----------------------------------------------


def test_win_rate_counts_deals_closed_in_the_half_open_window(
    book: tuple[Book, dict[str, OpportunityId]],
) -> None:
    b, _ = book
    # [day 0, day 11): A won day 10, B lost day 8; D lost day 4 but is open again by day 11.
    assert win_rate(b.changes, day(0), day(11)) == Ratio(1, 2)
    # [day 0, day 10): A's win at day 10 is at the excluded end.
    assert win_rate(b.changes, day(0), day(10)) == Ratio(0, 1)
    # [day 0, day 6): D, lost day 4, is still lost at day 6.
    assert win_rate(b.changes, day(0), day(6)) == Ratio(0, 1)
    assert win_rate(b.changes, day(11), day(11)) == Ratio(0, 0)
    assert win_rate(b.changes, day(0), day(11), pipeline=PARTNER) == Ratio(0, 0)


def test_losses_by_reason_golden(book: tuple[Book, dict[str, OpportunityId]]) -> None:
    b, _ = book
    assert losses_by_reason(b.changes, day(0), day(11)) == {"price": Tally(1, {"EUR": Decimal(500)})}
    assert losses_by_reason(b.changes, day(0), day(6)) == {"timing": Tally(1, {})}
    # Most frequent first, ties by reason.
    more = Book()
    for reason, amount in [("timing", "10"), ("price", "20"), ("timing", "5"), ("budget", "7")]:
        deal = more.open("qualify", day(0), amount=amount, currency="EUR")
        more.lose(deal, reason, day(1))
    found = losses_by_reason(more.changes, day(0), day(2))
    assert list(found) == ["timing", "budget", "price"]
    assert found["timing"] == Tally(2, {"EUR": Decimal(15)})


def test_sales_velocity_golden(book: tuple[Book, dict[str, OpportunityId]]) -> None:
    b, _ = book
    # Window [day 0, day 11): w = 1 won (A, 1200 EUR, cycle day 0 -> day 10 = 10 days), l = 1 lost (B).
    # As of day 13 open: C 2500 USD, D (no amount), E 300 EUR.
    # EUR: N = 1, average won 1200 / 1, win rate 1/2, cycle 10 days -> 1 * 1200 * 1/2 / 10 = 60 per day.
    # USD: N = 1 but no USD deal won: undefined.
    velocity = sales_velocity(b.changes, DIRECT, day(0), day(11), day(13))
    assert velocity.win_rate == Ratio(1, 2)
    assert (velocity.won_deals, velocity.cycle_total) == (1, timedelta(days=10))
    assert list(velocity.currencies) == ["EUR", "USD"]
    eur, usd = velocity.currencies["EUR"], velocity.currencies["USD"]
    assert (eur.open_deals, eur.won_deals, eur.won_amount, eur.per_day) == (1, 1, Decimal(1200), Decimal(60))
    assert (usd.open_deals, usd.won_deals, usd.per_day) == (1, 0, None)
    # As of day 11 E is not open yet: no EUR deal open, so EUR velocity is zero.
    assert sales_velocity(b.changes, None, day(0), day(11), day(11)).currencies["EUR"].per_day == 0
    assert sales_velocity(b.changes, PARTNER, day(0), day(11), day(13)).currencies == {}


def test_sales_velocity_divides_once_in_the_stated_context() -> None:
    b = Book()
    for amount in ("100", "200"):
        deal = b.open("qualify", day(0), amount=amount, currency="EUR")
        b.win(deal, day(3))
    b.open("qualify", day(1), amount="1", currency="EUR")
    lost = b.open("qualify", day(1))
    b.lose(lost, "price", day(2))
    # N = 1, S = 300, n = w = 2, l = 1, T = 6 days: 1 * 150 * 2/3 / 3 = 100/3.
    per_day = sales_velocity(b.changes, DIRECT, day(0), day(4), day(4)).currencies["EUR"].per_day
    assert per_day == DIVISION.divide(Decimal(100), Decimal(3))
    assert str(per_day) == "33.33333333333333333333333333"


# -- rotting ------------------------------------------------------------------


def test_rotting_lists_open_deals_idle_longer_than_their_stage_allows() -> None:
    pipeline = Pipeline(
        name="Rotting",
        currency="EUR",
        created_at=CREATED,
        stages=[
            Stage(key="qualify", label="Qualify", position=0, probability="0.1", rotting_days=7),
            Stage(key="propose", label="Propose", position=1, probability="0.4"),
            Stage.won(position=2),
            Stage.lost(position=3),
        ],
    )
    customer = CustomerId(new_id())

    def deal(stage: str, changed: datetime, **more: Any) -> Opportunity:
        return Opportunity(
            customer_id=customer,
            pipeline_id=pipeline.id,
            stage=stage,
            name="d",
            created_at=day(0),
            changed_at=changed,
            **more,
        )

    old = deal("qualify", day(10))  # idle 10 days at day 20: rotting
    exact = deal("qualify", day(13))  # idle exactly 7 days: not more than 7
    just = deal(
        "qualify", day(13) - timedelta(minutes=57, seconds=36)
    )  # idle 7 days 57 min 36 s: rotting, 7 whole days
    calm = deal("propose", day(0))  # no rotting_days in propose
    closed = deal("lost", day(0), outcome=StageOutcome.LOST, closed_at=day(0), lost_reason="price")
    found = rotting([calm, just, closed, exact, old], {pipeline.id: pipeline}, day(20))
    assert [(r.opportunity_id, r.days_idle, r.rotting_days) for r in found] == [
        (old.id, 10, 7),
        (just.id, 7, 7),
    ]
    assert found[1].idle == timedelta(days=7, minutes=57, seconds=36)
    assert rotting([old], {pipeline.id: pipeline}, day(10)) == ()


# -- arguments ----------------------------------------------------------------


def test_bad_arguments_raise_validation_errors_naming_the_field(
    book: tuple[Book, dict[str, OpportunityId]],
) -> None:
    b, _ = book
    naive = datetime(2026, 1, 5)
    bad: Any = "not what is asked"
    cases: list[tuple[Any, str]] = [
        (lambda: book_as_of(b.changes, naive), "at"),
        (lambda: book_as_of([*b.changes, bad], day(1)), f"changes[{len(b.changes)}]"),
        (lambda: book_as_of(bad, day(1)), "changes"),
        (lambda: stage_conversion(b.changes, bad, day(1)), "pipeline"),
        (lambda: stage_durations(b.changes, DIRECT, bad), "as_of"),
        (lambda: waterfall(b.changes, PIPELINES, day(2), day(1)), "end"),
        (lambda: waterfall(b.changes, bad, day(1), day(2)), "pipelines"),
        (lambda: waterfall(b.changes, {PARTNER.id: DIRECT}, day(1), day(2)), "pipelines"),
        (lambda: waterfall(b.changes, {PARTNER.id: PARTNER}, day(3), day(12)), "pipelines"),
        (lambda: win_rate(b.changes, naive, day(1)), "start"),
        (lambda: win_rate(b.changes, day(0), day(1), pipeline=bad), "pipeline"),
        (lambda: sales_velocity(b.changes, None, day(0), day(1), naive), "as_of"),
        (lambda: losses_by_reason(b.changes, day(1), day(0)), "end"),
        (lambda: rotting([bad], PIPELINES, day(1)), "deals[0]"),
        (lambda: rotting(list(b.deals.values()), {}, day(1)), "pipelines"),
    ]
    for call, field_name in cases:
        with pytest.raises(ValidationError) as raised:
            call()
        assert raised.value.paths == (field_name,), field_name


def test_an_entry_naming_a_stage_the_pipeline_lacks_is_refused() -> None:
    b = Book()
    b.open("qualify", day(0))
    renamed = attrs.evolve(DIRECT, stages=[attrs.evolve(s, key=f"x{s.key}") for s in DIRECT.stages])
    with pytest.raises(ValidationError) as raised:
        stage_conversion(b.changes, renamed, day(1))
    assert raised.value.paths == ("pipeline",)


# -- a simulated sales process ------------------------------------------------

TO_PARTNER = {"qualify": "intro", "propose": "intro", "negotiate": "deal", "won": "won", "lost": "lost"}
TO_DIRECT = {"intro": "qualify", "deal": "negotiate", "won": "won", "lost": "lost"}
FAR = day(10_000)


@dataclass
class Visit:
    """A stretch of time a deal spent in one stage of one pipeline, as the simulator saw it."""

    pipeline: Pipeline
    stage: str
    start: datetime
    end: datetime | None = None


@dataclass
class Walk:
    """What the simulator did to one deal, tallied while it ran (never read back from the history)."""

    pipeline: Pipeline
    stage: str
    visits: list[Visit] = field(default_factory=list)
    reach: dict[str, list[tuple[datetime, int]]] = field(default_factory=dict)  # pipeline name -> (at, reach)
    status: list[tuple[datetime, str]] = field(default_factory=list)  # (at, open/won/lost), in order

    def enter(self, pipeline: Pipeline, stage: str, at: datetime) -> None:
        if self.visits:
            self.visits[-1].end = at
        self.pipeline, self.stage = pipeline, stage
        self.visits.append(Visit(pipeline, stage, at))
        opens = [s.key for s in pipeline.open_stages]
        history = self.reach.setdefault(pipeline.name, [])
        before = history[-1][1] if history else -1
        if stage == "won":  # a won deal passed every open stage
            history.append((at, len(opens)))
        elif stage in opens:
            history.append((at, max(before, opens.index(stage))))

    def reach_at(self, pipeline: Pipeline, moment: datetime) -> int:
        return max((r for at, r in self.reach.get(pipeline.name, []) if at <= moment), default=-1)

    def outcome_at(self, moment: datetime) -> str | None:
        seen = [outcome for at, outcome in self.status if at <= moment]
        return seen[-1] if seen else None

    def closed_in(self, start: datetime, end: datetime) -> str | None:
        seen = [(at, outcome) for at, outcome in self.status if at <= end]
        if seen and seen[-1][1] != "open" and start <= seen[-1][0] < end:
            return seen[-1][1]
        return None


def _money(data: st.DataObject) -> tuple[Decimal | None, str | None]:
    cents = data.draw(st.none() | st.integers(0, 10**7))
    if cents is None:
        return None, None
    return Decimal(cents).scaleb(-2), data.draw(st.sampled_from(["EUR", "USD"]))


def _simulate(data: st.DataObject) -> tuple[Book, dict[OpportunityId, Walk], datetime]:
    """Deals walking through stages with random advances, skips, back-moves, wins, losses and moves."""
    b = Book()
    walks: dict[OpportunityId, Walk] = {}
    last = T0
    for _ in range(data.draw(st.integers(1, 6))):
        at = T0 + timedelta(minutes=data.draw(st.integers(0, 20_000)))
        pipeline = data.draw(st.sampled_from([DIRECT, DIRECT, PARTNER]))
        stage = data.draw(st.sampled_from([s.key for s in pipeline.open_stages]))
        amount, currency = _money(data)
        close = data.draw(st.none() | st.dates(date(2026, 1, 1), date(2026, 12, 31)))
        deal = b.open(stage, at, pipeline, amount=amount, currency=currency, close_date=close)
        walk = walks[deal] = Walk(pipeline, stage, status=[(at, "open")])
        walk.enter(pipeline, stage, at)
        for _ in range(data.draw(st.integers(0, 10))):
            at += timedelta(minutes=data.draw(st.integers(0, 5_000)))  # zero: entries of the same moment
            opens = [s.key for s in walk.pipeline.open_stages]
            is_open = walk.stage in opens
            actions = ["advance", "win", "lose", "close_date"] if is_open else ["reopen"]
            action = data.draw(st.sampled_from([*actions, "amount", "move"]))
            if action == "advance":  # forwards, skipping, or back
                target = data.draw(st.sampled_from([k for k in opens if k != walk.stage]))
                b.advance(deal, target, at)
                walk.enter(walk.pipeline, target, at)
            elif action == "win":
                final, _ = _money(data)
                b.win(deal, at, amount=final)
                walk.enter(walk.pipeline, "won", at)
                walk.status.append((at, "won"))
            elif action == "lose":
                b.lose(deal, data.draw(st.sampled_from(walk.pipeline.lost_reasons)), at)
                walk.enter(walk.pipeline, "lost", at)
                walk.status.append((at, "lost"))
            elif action == "reopen":
                target = data.draw(st.sampled_from(opens))
                b.reopen(deal, target, at)
                walk.enter(walk.pipeline, target, at)
                walk.status.append((at, "open"))
            elif action == "close_date":
                b.close_date(deal, data.draw(st.dates(date(2026, 1, 1), date(2026, 12, 31))), at)
            elif action == "amount":
                new_amount, new_currency = _money(data)
                b.amount(deal, new_amount, at, new_currency)
            else:
                other, mapping = (PARTNER, TO_PARTNER) if walk.pipeline is DIRECT else (DIRECT, TO_DIRECT)
                b.move(deal, other, mapping, at)
                walk.enter(other, mapping[walk.stage], at)
        last = max(last, at)
    return b, walks, last


def _nearest_rank_90(values: list[timedelta]) -> timedelta:
    """The smallest value with at least 90% of the values at or below it (the nearest-rank definition)."""
    return min(v for v in values if 10 * sum(x <= v for x in values) >= 9 * len(values))


def _tallied_durations(walks: dict[OpportunityId, Walk], pipeline: Pipeline, moment: datetime) -> list[Any]:
    rows: list[Any] = []
    for stage in pipeline.open_stages:
        times = []
        for walk in walks.values():
            visits = [
                v
                for v in walk.visits
                if v.pipeline is pipeline and v.stage == stage.key and v.start <= moment
            ]
            if visits:
                times.append(sum((min(v.end or FAR, moment) - v.start for v in visits), timedelta(0)))
        if times:
            total = sum(times, timedelta(0))
            rows.append((stage.key, len(times), total, statistics.median_low(times), _nearest_rank_90(times)))
        else:
            rows.append((stage.key, 0, timedelta(0), None, None))
    return rows


def _moment(data: st.DataObject, last: datetime) -> datetime:
    return T0 + timedelta(
        minutes=data.draw(st.integers(-10, int((last - T0).total_seconds() // 60) + 10_000))
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_history_gives_what_the_simulated_process_tallied(data: st.DataObject) -> None:
    b, walks, last = _simulate(data)
    changes = data.draw(st.permutations(b.changes), label="changes in any order")
    moment = _moment(data, last)
    for pipeline in (DIRECT, PARTNER):
        opens = [s.key for s in pipeline.open_stages]
        reaches = [walk.reach_at(pipeline, moment) for walk in walks.values()]
        expected = [
            (k, sum(r >= i for r in reaches), sum(r > i for r in reaches)) for i, k in enumerate(opens)
        ]
        conversion = stage_conversion(changes, pipeline, moment)
        assert [(s.stage, s.reached, s.advanced) for s in conversion] == expected
        assert all(s.rate == Ratio(s.advanced, s.reached) for s in conversion)
        durations = stage_durations(changes, pipeline, moment)
        assert [(s.stage, s.deals, s.total, s.median, s.p90) for s in durations] == _tallied_durations(
            walks, pipeline, moment
        )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_book_waterfall_and_win_rate_agree_with_the_simulated_process(data: st.DataObject) -> None:
    b, walks, last = _simulate(data)
    changes = data.draw(st.permutations(b.changes), label="changes in any order")
    # The book as of the last moment is every deal's final state.
    final = book_as_of(changes, last)
    assert list(final) == sorted(b.deals)
    tracked = ("pipeline_id", "stage", "outcome", "amount", "currency", "close_date", "probability")
    for deal_id, deal in b.deals.items():
        assert [getattr(final[deal_id], name) for name in tracked] == [
            getattr(deal, name) for name in tracked
        ]
        assert final[deal_id].forecast_category == deal.forecast_category
        assert final[deal_id].lost_reason == deal.lost_reason
        assert (final[deal_id].pipeline_id, final[deal_id].stage) == (
            walks[deal_id].pipeline.id,
            walks[deal_id].stage,
        )
    # The waterfall between two random moments reconciles, and its ends are the simulator's open deals.
    start, end = sorted((_moment(data, last), _moment(data, last)))
    flow = waterfall(changes, PIPELINES, start, end)
    _reconciles(flow)
    assert flow.opening.count == sum(walk.outcome_at(start) == "open" for walk in walks.values())
    assert flow.closing.count == sum(walk.outcome_at(end) == "open" for walk in walks.values())
    # Closed after start (the waterfall's window is (start, end]: the start book includes its moment).
    after_start = [
        walk.closed_in(start + timedelta(microseconds=1), end + timedelta(microseconds=1))
        for walk in walks.values()
    ]
    assert (flow.won.count, flow.lost.count) == (after_start.count("won"), after_start.count("lost"))
    assert flow.new.count == sum(start < walk.status[0][0] <= end for walk in walks.values())
    assert flow.reopened.count == sum(
        walk.outcome_at(start) in ("won", "lost") and (walk.outcome_at(end) == "open" or bool(closing))
        for walk, closing in zip(walks.values(), after_start, strict=True)
    )
    closed = [walk.closed_in(start, end) for walk in walks.values()]
    assert win_rate(changes, start, end) == Ratio(
        closed.count("won"), closed.count("won") + closed.count("lost")
    )
    lost = losses_by_reason(changes, start, end)
    assert sum(t.count for t in lost.values()) == closed.count("lost")
