"""Forecasts and the weighted pipeline through ``crm.sales``, on every backend: a golden book, as of two
moments, and the database's grouping equal to the memory store's on random books."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore import CRM, Customer
from relcore.registry import Store
from relcore.sales import ForecastCategory, Opportunity, Pipeline
from relcore.sales.forecasts import Amounts, BookLine, Forecast, merged, weighted_pipeline
from relcore.storage.memory import MemoryStore
from relcore.testing._contract_support import StoreFactory
from relcore.testing.contracts import FixedClock

FEB = datetime(2026, 2, 1, 9, tzinfo=UTC)
TODAY = datetime(2026, 3, 15, 12, tzinfo=UTC)
STAGES = [
    ("qualify", "Qualify", "0.1"),
    ("propose", "Propose", "0.4", "best_case"),
    ("negotiate", "Negotiate", "0.7", "commit"),
]


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


def A(count: int, amount: str, weighted: str) -> Amounts:
    return Amounts(count, Decimal(amount), Decimal(weighted))


class Rates:
    def rate(self, source: str, target: str, on: date) -> Decimal:
        if (source, target) == ("USD", "EUR") and on == date(2026, 3, 15):
            return Decimal("0.9")
        raise LookupError(source)


@pytest.fixture
def book(store: Store) -> tuple[CRM, Pipeline]:
    """The hand-made book of the golden tables (see each deal's comment)."""
    crm = CRM(store, clock=FixedClock(TODAY))
    acme = crm.customers.add(Customer.organization("Acme", created_at=FEB))
    direct = crm.sales.add_pipeline(Pipeline.of("Direct", STAGES, currency="EUR", created_at=FEB))

    def deal(
        stage: str = "qualify", amount: str | None = "1000", currency: str | None = "EUR", **more: object
    ) -> Opportunity:
        fields = {"amount": amount, "currency": currency if amount is not None else None, **more}
        fields.setdefault("close_date", date(2026, 3, 31))
        return crm.sales.open(
            Opportunity(
                customer_id=acme.id,
                pipeline_id=direct.id,
                stage="qualify",
                name="d",
                created_at=FEB,
                **fields,
            )  # type: ignore[arg-type]
        )

    def advance(d: Opportunity, stage: str, when: datetime) -> None:
        crm.sales.advance(d.id, stage, at=when)

    deal()  # A: qualify, 1000 EUR, March
    advance(deal(amount="2000", close_date=date(2026, 3, 10)), "propose", at(2, 10))  # B: best case, overdue
    advance(deal(amount="3000", close_date=date(2026, 4, 20)), "negotiate", at(2, 20))  # C: commit, April
    advance(deal(amount="500", currency="USD", close_date=date(2026, 3, 5)), "negotiate", at(2, 20))  # D
    e = deal(amount="4000")  # E: won on March 2nd
    crm.sales.win(e.id, at=at(3, 2))
    f = deal(amount="800", close_date=date(2026, 3, 25))  # F: best case, then lost on March 3rd
    advance(f, "propose", at(2, 10))
    crm.sales.lose(f.id, reason="price", at=at(3, 3))
    g = deal(amount="700", close_date=None)  # G: unscheduled, 25% by hand from March 5th
    crm.sales.set_probability(g.id, "0.25", at=at(3, 5))
    h = deal(amount="1500", close_date=date(2026, 4, 2))  # H: best case, then commit by hand on March 6th
    advance(h, "propose", at(2, 10))
    crm.sales.set_forecast_category(h.id, "commit", at=at(3, 6))
    deal(amount=None, close_date=date(2026, 3, 20))  # I: no amount
    j = deal(amount="1000", close_date=date(2026, 5, 1))  # J: commit, omitted by hand on March 7th
    advance(j, "negotiate", at(2, 20))
    crm.sales.set_forecast_category(j.id, "omitted", at=at(3, 7))
    return crm, direct


def cells(result: Forecast) -> dict[tuple[str, str | None], dict[str, Amounts]]:
    return {
        (row.period, row.currency): {
            **{category.value: row[category] for category in ForecastCategory if row[category].count},
            **({"overdue": row.overdue} if row.overdue.count else {}),
        }
        for row in result.rows
    }


def test_the_golden_forecast_by_month(book: tuple[CRM, Pipeline]) -> None:
    crm, direct = book
    result = crm.sales.forecast(direct.id, period="month")
    assert cells(result) == {
        ("2026-03", "EUR"): {
            "pipeline": A(1, "1000", "100.0"),  # A: 1000 x 0.1
            "best_case": A(1, "2000", "800.0"),  # B: 2000 x 0.4
            "closed": A(1, "4000", "4000"),  # E, won: x 1
            "overdue": A(1, "2000", "800.0"),  # B closes on the 10th, before the 15th
        },
        ("2026-03", "USD"): {"commit": A(1, "500", "350.0"), "overdue": A(1, "500", "350.0")},  # D
        ("2026-03", None): {"pipeline": A(1, "0", "0.0")},  # I: counted, without an amount
        ("2026-04", "EUR"): {
            "commit": A(2, "4500", "2700.00")
        },  # C 3000 x 0.7 + H 1500 x 0.4 (commit by hand)
        ("2026-05", "EUR"): {"omitted": A(1, "1000", "700.0")},  # J
        ("unscheduled", "EUR"): {"pipeline": A(1, "700", "175.00")},  # G: 700 x 0.25 by hand
    }
    march = result.row("2026-03", "EUR")
    assert march is not None
    assert march.commit_forecast == A(1, "4000", "4000")  # commit 0 + closed
    assert march.best_case_forecast == A(2, "6000", "4800.0")  # best case + commit + closed
    assert march.open_pipeline == A(2, "3000", "900.0")  # pipeline + best case + commit
    may = result.row("2026-05", "EUR")
    assert may is not None
    assert may.open_pipeline == Amounts()
    assert [r.period for r in result.rows] == ["2026-03"] * 3 + ["2026-04", "2026-05", "unscheduled"]
    assert (march.start, march.end) == (date(2026, 3, 1), date(2026, 3, 31))


def test_the_golden_forecast_by_quarter_in_one_currency(book: tuple[CRM, Pipeline]) -> None:
    crm, direct = book
    result = crm.sales.forecast(direct.id, period="quarter", rates=Rates(), currency="EUR")
    q1 = result.row("2026-Q1", "EUR")
    assert q1 is not None
    assert (q1.start, q1.end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert q1["commit"] == A(1, "450.0", "315.00")  # D: 500 USD x 0.9, x 0.7
    assert q1["pipeline"] == A(1, "1000", "100.0")  # A; I has no amount and stays apart
    assert q1.overdue == A(2, "2450.0", "1115.00")  # B and D
    q2 = result.row("2026-Q2", "EUR")
    assert q2 is not None
    assert q2["commit"] == A(2, "4500", "2700.00")
    assert q2["omitted"] == A(1, "1000", "700.0")
    assert result.row("2026-Q1", None) is not None


def test_the_forecast_as_it_stood_on_march_1st(book: tuple[CRM, Pipeline]) -> None:
    crm, direct = book
    result = crm.sales.forecast(direct.id, as_of=datetime(2026, 3, 1, tzinfo=UTC))
    assert cells(result) == {
        ("2026-03", "EUR"): {
            "pipeline": A(2, "5000", "500.0"),  # A, and E not yet won: (1000 + 4000) x 0.1
            "best_case": A(2, "2800", "1120.0"),  # B, and F not yet lost: (2000 + 800) x 0.4
        },
        ("2026-03", "USD"): {"commit": A(1, "500", "350.0")},  # D: not overdue on the 1st
        ("2026-03", None): {"pipeline": A(1, "0", "0.0")},
        ("2026-04", "EUR"): {"commit": A(1, "3000", "2100.0"), "best_case": A(1, "1500", "600.0")},
        ("2026-05", "EUR"): {"commit": A(1, "1000", "700.0")},  # J not yet omitted
        ("unscheduled", "EUR"): {"pipeline": A(1, "700", "70.0")},  # G at its stage's 10%
    }


def test_the_book_as_of_now_is_the_live_book(book: tuple[CRM, Pipeline]) -> None:
    crm, direct = book
    assert crm.sales.forecast(direct.id, as_of=TODAY) == crm.sales.forecast(direct.id)
    assert crm.sales.weighted(as_of=TODAY, by=["owner"]) == crm.sales.weighted(by=["owner"])
    assert crm.sales.forecast(direct.id, as_of=FEB - timedelta(days=1)).rows == ()


def test_the_golden_weighted_pipeline(book: tuple[CRM, Pipeline]) -> None:
    crm, _direct = book
    by_stage = {(w.stage, w.currency): w.amounts for w in crm.sales.weighted(by=["stage"])}
    assert by_stage == {
        ("qualify", "EUR"): A(2, "1700", "275.00"),  # A 100 + G 175 (by hand)
        ("qualify", None): A(1, "0", "0.0"),  # I
        ("propose", "EUR"): A(2, "3500", "1400.0"),  # B 800 + H 600
        ("negotiate", "EUR"): A(2, "4000", "2800.0"),  # C 2100 + J 700 (omitted still weighs)
        ("negotiate", "USD"): A(1, "500", "350.0"),  # D
    }
    total, unpriced = crm.sales.weighted(by=[], rates=Rates(), currency="EUR", as_of=TODAY)
    assert (total.currency, total.amounts) == ("EUR", A(7, "9650.0", "4790.00"))  # 275 + 1400 + 2800 + 315
    assert (unpriced.currency, unpriced.amounts) == (None, A(1, "0", "0.0"))  # I, counted apart


# -- the database groups as the memory store does ---------------------------------------------------

_deals = st.lists(
    st.tuples(
        st.sampled_from(["qualify", "propose", "negotiate"]),
        st.sampled_from(["EUR", "USD", "JPY", None]),
        st.integers(0, 10**9),
        st.none() | st.integers(0, 120).map(lambda d: date(2026, 1, 1) + timedelta(days=d)),
        st.none() | st.integers(0, 10_000).map(lambda bp: Decimal(bp).scaleb(-4)),
        st.sampled_from([None, "won", "lost", "commit", "omitted"]),
        st.sampled_from([None, "ann", "bo"]),
        st.integers(0, 40),
    ),
    max_size=12,
)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(deals=_deals, moment=st.integers(0, 60))
def test_the_database_groups_the_book_as_the_memory_store_does(
    store_factory: StoreFactory, deals: list[tuple[object, ...]], moment: int
) -> None:
    clock = FixedClock(TODAY)
    here, reference = CRM(store_factory(clock=clock), clock=clock), CRM(MemoryStore(clock=clock), clock=clock)
    for crm in (here, reference):
        acme = crm.customers.add(Customer.organization("Acme", created_at=FEB))
        direct = crm.sales.add_pipeline(Pipeline.of("Direct", STAGES, currency="EUR", created_at=FEB))
        for stage, currency, units, close, probability, twist, owner, days in deals:
            amount = None if currency is None else Decimal(units).scaleb(-2 if currency != "JPY" else 0)
            deal = crm.sales.open(
                Opportunity(
                    customer_id=acme.id,
                    pipeline_id=direct.id,
                    stage="qualify",
                    name="d",
                    created_at=FEB,
                    amount=amount,
                    currency=currency,
                    close_date=close,
                    owner=owner,
                )  # type: ignore[arg-type]
            )
            when = FEB + timedelta(days=days)
            if stage != "qualify":
                crm.sales.advance(deal.id, stage, at=when)  # type: ignore[arg-type]
            if probability is not None:
                crm.sales.set_probability(deal.id, probability, at=when + timedelta(hours=1))  # type: ignore[arg-type]
            if twist == "won":
                crm.sales.win(deal.id, at=when + timedelta(hours=2))
            elif twist == "lost":
                crm.sales.lose(deal.id, reason="price", at=when + timedelta(hours=2))
            elif twist is not None:
                crm.sales.set_forecast_category(deal.id, twist, at=when + timedelta(hours=2))  # type: ignore[arg-type]
    then = FEB + timedelta(days=moment)

    today = date(2026, 3, 1) + timedelta(days=moment % 20)

    def lines(crm: CRM, **how: object) -> list[tuple[object, ...]]:
        with crm.unit_of_work() as uow:
            [pipeline] = crm.sales.pipelines()
            found = uow.sales_book.lines([pipeline], today={pipeline.id: today}, **how)  # type: ignore[arg-type]
            return sorted(
                ((*line.key()[1:], line.count, line.amount, line.weighted) for line in merged(found)),
                key=repr,
            )

    every = ["stage", "month", "owner"]
    for how in ({}, {"by": every}, {"by": []}, {"as_of": then}, {"as_of": then, "by": every}):
        assert lines(here, **how) == lines(reference, **how)
    assert [
        (f.period, f.currency, dict(f.categories))
        for f in here.sales.forecast(here.sales.pipelines()[0].id).rows
    ] == [
        (f.period, f.currency, dict(f.categories))
        for f in reference.sales.forecast(reference.sales.pipelines()[0].id).rows
    ]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 10_000), st.sampled_from(["qualify", "propose"])),
        max_size=20,
    )
)
def test_weighted_never_exceeds_the_amount_and_equals_it_at_certainty(
    rows: list[tuple[int, int, str]],
) -> None:
    direct = Pipeline.of("Direct", STAGES, currency="EUR")

    def line(units: int, bp: int, stage: str, certain: bool) -> BookLine:
        amount = Decimal(units)
        weight = amount if certain else amount * Decimal(bp).scaleb(-4)
        category = ForecastCategory.PIPELINE
        return BookLine(direct.id, stage, category, "EUR", None, None, False, None, 1, amount, weight)

    for certain in (False, True):
        totals = weighted_pipeline([line(*row, certain) for row in rows], [direct], by=[])
        if not rows:
            assert totals == []
            continue
        [total] = totals
        assert total.amounts.weighted <= total.amounts.amount
        assert (total.amounts.weighted == total.amounts.amount) or not certain
