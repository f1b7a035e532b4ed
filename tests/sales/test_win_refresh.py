"""The win-probability refresh through ``crm.sales``, on every backend: what it learns, what it stores,
and how the stored scores become the automatic probability of deals and forecasts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore import CRM, Customer
from relcore.errors import ValidationError
from relcore.registry import Store
from relcore.sales import Opportunity, Pipeline
from relcore.sales._win_values import ProbabilitySource
from relcore.sales.forecasts import BookLine, merged
from relcore.sales.win_probability import ClosedDeal, fit_win_probability
from relcore.sales.win_runs import Unscored
from relcore.storage.memory import MemoryStore
from relcore.testing._contract_support import StoreFactory
from relcore.testing.contracts import FixedClock

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
STAGES = [("new", "New", "0.1"), ("demo", "Demo", "0.6")]


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


@attrs.frozen
class Book:
    crm: CRM
    direct: Pipeline
    deals: dict[str, Opportunity]

    def weighted(self) -> dict[str, Decimal]:
        return {
            w.stage or "": w.amounts.weighted for w in self.crm.sales.weighted([self.direct.id], by=["stage"])
        }

    def lines(self, **how: Any) -> list[tuple[object, ...]]:
        with self.crm.unit_of_work() as uow:
            found: list[BookLine] = merged(
                uow.sales_book.lines([self.crm.sales.pipeline(self.direct.id)], **how)
            )
        return sorted(((*line.key()[1:], line.count, line.amount, line.weighted) for line in found), key=repr)


def build(store: Store, *, win_probability: bool = True) -> Book:
    """Three closed deals (won from demo, lost from demo, lost from new) and three open ones.

    W1 web: new -> demo -> won;  L1 web: new -> demo -> lost;  L2 fair: new -> lost.
    Open: A 1000 EUR in new; B 2000 EUR in demo; C 1000 EUR in demo at 90 % by hand (no sources).
    """
    crm = CRM(store, clock=FixedClock(NOW))
    acme = crm.customers.add(Customer.organization("Acme", created_at=T0, country="FR"))
    direct = crm.sales.add_pipeline(
        Pipeline.of("Direct", STAGES, currency="EUR", created_at=T0, win_probability=win_probability)
    )

    def deal(amount: str = "1000", **more: Any) -> Opportunity:
        return crm.sales.open(
            Opportunity(
                customer_id=acme.id,
                pipeline_id=direct.id,
                stage="new",
                name="d",
                amount=amount,
                currency="EUR",
                created_at=T0,
                **more,
            )
        )

    deals = {name: deal(source=source) for name, source in (("W1", "web"), ("L1", "web"), ("L2", "fair"))}
    crm.sales.advance(deals["W1"].id, "demo", at=day(1))
    crm.sales.win(deals["W1"].id, at=day(2))
    crm.sales.advance(deals["L1"].id, "demo", at=day(1))
    crm.sales.lose(deals["L1"].id, reason="price", at=day(3))
    crm.sales.lose(deals["L2"].id, reason="timing", at=day(3))
    deals["A"] = deal()
    deals["B"] = crm.sales.advance(deal("2000").id, "demo", at=day(1))
    deals["C"] = crm.sales.set_probability(
        crm.sales.advance(deal().id, "demo", at=day(1)).id, "0.9", at=day(1)
    )
    return Book(crm, direct, {name: crm.sales.get(d.id) for name, d in deals.items()})


@pytest.fixture
def book(store: Store) -> Book:
    return build(store)


def test_the_stored_model_is_the_fit_of_the_same_deals_byte_for_byte(book: Book) -> None:
    seen: list[tuple[str, int, int]] = []
    [run] = book.crm.sales.refresh_win_probability(progress=lambda *step: seen.append(step))
    expected = fit_win_probability(
        [
            ClosedDeal(True, "demo", {"source": ("web",)}),  # W1: last open stage demo
            ClosedDeal(False, "demo", {"source": ("web",)}),  # L1
            ClosedDeal(False, "new", {"source": ("fair",)}),  # L2
        ],
        stages=["new", "demo"],
        fields=["source"],
    )
    assert run.model == expected.to_json()
    assert (run.won, run.lost, run.scored, run.unscored) == (1, 2, 3, None)
    assert run.settings == {
        "fields": ["source"],
        "tag_fields": ["tags"],
        "smoothing": 0.1,
        "min_tag_support": 50,
    }
    assert (run.pipeline_id, run.as_of, run.created_at) == (book.direct.id, NOW, NOW)
    assert book.crm.sales.win_run(book.direct.id) == run
    assert [s for s, _, _ in seen][-3:] == ["score", "store", "fit"]
    [again] = book.crm.sales.refresh_win_probability(book.direct.id)
    assert again.model == run.model  # same deals, same text
    assert again.id != run.id


def test_scores_weigh_the_forecast_as_worked_by_hand(book: Book) -> None:
    before = book.weighted()
    assert before == {
        "new": Decimal("100.0"),
        "demo": Decimal("2100.0"),
    }  # A 1000 x 0.1; B 2000 x 0.6 + C 900
    book.crm.sales.refresh_win_probability()
    # W = 1 + 0.1, L = 2 + 0.1; lost deals reaching new: 2 (+0.1), demo: 1 (+0.1); won shares are all 1.
    # A in new: sw = 1.1/3.2, sl = 2.1/3.2 x 2.1/2.1, p = 1.1/3.2 = 0.34375 -> 0.3438 (half-even)
    # B in demo: sl = 2.1/3.2 x 1.1/2.1 = 1.1/3.2 = sw, p = 0.5
    sales = book.crm.sales
    assert sales.probability(book.deals["A"].id) == Decimal("0.3438")
    assert sales.probability(book.deals["B"].id) == Decimal("0.5")
    assert sales.probability(book.deals["C"].id) == Decimal("0.9")  # manual wins over the model
    assert sales.probability(book.deals["W1"].id) == 1
    assert book.weighted() == {
        "new": Decimal("343.8"),  # A: 1000 x 0.3438
        "demo": Decimal("1900"),  # B: 2000 x 0.5 = 1000, C: 1000 x 0.9 = 900
    }
    march = sales.forecast(book.direct.id).row("unscheduled", "EUR")
    assert march is not None
    assert march["pipeline"].weighted == Decimal("2243.8")  # every open deal is in pipeline, unscheduled


def test_a_pipeline_that_does_not_use_the_model_keeps_its_stages_probabilities(store: Store) -> None:
    book = build(store, win_probability=False)
    assert book.crm.sales.refresh_win_probability() == []  # no pipeline uses the model
    [run] = book.crm.sales.refresh_win_probability(book.direct.id)  # named: fitted and scored anyway
    assert run.scored == 3
    assert book.weighted() == {"new": Decimal("100.0"), "demo": Decimal("2100.0")}
    assert book.crm.sales.explain_probability(book.deals["A"].id).source is ProbabilitySource.STAGE
    book.crm.sales.save_pipeline(attrs.evolve(book.crm.sales.pipeline(book.direct.id), win_probability=True))
    assert book.weighted() == {"new": Decimal("343.8"), "demo": Decimal("1900")}


def test_explanations_name_the_source_and_the_models_factors(book: Book) -> None:
    sales = book.crm.sales
    assert sales.explain_probability(book.deals["A"].id).source is ProbabilitySource.STAGE  # not refreshed
    [run] = sales.refresh_win_probability()
    a = sales.explain_probability(book.deals["A"].id)
    assert (a.source, a.probability, a.run_id) == (ProbabilitySource.MODEL, Decimal("0.3438"), run.id)
    assert a.score is not None
    assert [(f.field, f.value, f.won_share, f.lost_share) for f in a.score.factors] == [
        ("stage", "new", 1.0, 1.0)
    ]
    assert a.score.prior == pytest.approx(1.1 / 3.2)
    c = sales.explain_probability(book.deals["C"].id)
    assert (c.source, c.probability, c.score) == (ProbabilitySource.MANUAL, Decimal("0.9"), None)
    assert sales.explain_probability(book.deals["W1"].id).source is ProbabilitySource.WON
    assert sales.explain_probability(book.deals["L2"].id).source is ProbabilitySource.LOST


def test_only_lost_history_gives_no_score(book: Book) -> None:
    sales = book.crm.sales
    [run] = sales.refresh_win_probability(as_of=day(2.5))  # W1 won on day 2, the losses came on day 3
    assert (run.won, run.lost, run.unscored, run.scored) == (1, 0, Unscored.NO_LOST, 0)
    [run] = sales.refresh_win_probability(as_of=day(1.5))
    assert (run.won, run.lost, run.unscored) == (0, 0, Unscored.NO_CLOSED)
    partner = sales.add_pipeline(
        Pipeline.of("Partner", STAGES, currency="EUR", created_at=T0, win_probability=True)
    )
    acme = book.deals["A"].customer_id
    doomed = sales.open(
        Opportunity(customer_id=acme, pipeline_id=partner.id, stage="new", name="p", created_at=T0)
    )
    sales.lose(doomed.id, reason="price", at=day(1))
    hopeful = sales.open(
        Opportunity(customer_id=acme, pipeline_id=partner.id, stage="new", name="q", created_at=T0)
    )
    runs = {r.pipeline_id: r for r in sales.refresh_win_probability()}
    assert runs[partner.id].unscored is Unscored.NO_WON
    assert runs[book.direct.id].unscored is None
    with book.crm.unit_of_work() as uow:
        assert uow.win_models.scores(partner.id) == []
    assert sales.probability(hopeful.id) == Decimal("0.1")  # its stage's: no prior borrowed from Direct
    assert sales.explain_probability(hopeful.id).source is ProbabilitySource.STAGE


def test_a_rerun_replaces_the_scores_and_a_moved_deal_falls_back_until_then(book: Book) -> None:
    sales = book.crm.sales
    first = sales.refresh_win_probability()[0]
    sales.advance(book.deals["A"].id, "demo", at=day(4))
    assert sales.probability(book.deals["A"].id) == Decimal(
        "0.6"
    )  # scored in new: the stage's until a re-run
    second = sales.refresh_win_probability()[0]
    assert sales.probability(book.deals["A"].id) == Decimal("0.5")
    sales.win(book.deals["B"].id, at=day(5))
    third = sales.refresh_win_probability()[0]
    assert (third.won, third.scored) == (2, 2)
    with book.crm.unit_of_work() as uow:
        assert uow.win_models.runs() == [third]
        assert {s.opportunity_id for s in uow.win_models.scores(book.direct.id)} == {
            book.deals["A"].id,
            book.deals["C"].id,
        }
        assert all(s.run_id == third.id for s in uow.win_models.scores(book.direct.id))
    assert len({first.id, second.id, third.id}) == 3


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"fields": ["stage"]}, "fields"),
        ({"fields": ["colour"]}, "fields[0]"),
        ({"fields": "source"}, "fields"),
        ({"tag_fields": ["customer.attributes."]}, "tag_fields[0]"),
        ({"smoothing": 0}, "smoothing"),
        ({"smoothing": float("nan")}, "smoothing"),
        ({"min_tag_support": -1}, "min_tag_support"),
        ({"progress": lambda stage: None}, "progress"),
        ({"pipeline_id": "not an id"}, "pipeline_id"),
        ({"as_of": datetime(2026, 1, 1)}, "as_of"),
    ],
)
def test_bad_arguments_name_their_field_and_change_nothing(
    book: Book, arguments: dict[str, Any], field: str
) -> None:
    [run] = book.crm.sales.refresh_win_probability()
    with pytest.raises(ValidationError) as caught:
        book.crm.sales.refresh_win_probability(**arguments)
    assert field in caught.value.paths
    with book.crm.unit_of_work() as uow:
        assert uow.win_models.runs() == [run]
        assert len(uow.win_models.scores(book.direct.id)) == 3


def test_customer_fields_and_attributes_are_learned(book: Book) -> None:
    [run] = book.crm.sales.refresh_win_probability(fields=["customer.country", "customer.type", "currency"])
    model = run.fitted()
    assert [(c.field, c.value, c.won, c.lost) for c in model.cells if c.field != "stage"] == [
        ("customer.country", "FR", 1, 2),
        ("customer.type", "organization", 1, 2),
        ("currency", "EUR", 1, 2),
    ]


def test_calibration_on_held_out_deals(book: Book) -> None:
    sales = book.crm.sales
    acme = book.deals["A"].customer_id

    def closed_later(stage: str, won: bool) -> None:
        deal = sales.open(
            Opportunity(customer_id=acme, pipeline_id=book.direct.id, stage="new", name="h", created_at=T0)
        )
        if stage != "new":
            sales.advance(deal.id, stage, at=day(9))
        if won:
            sales.win(deal.id, at=day(10))
        else:
            sales.lose(deal.id, reason="price", at=day(10))

    closed_later("demo", True)  # predicted 0.5 at demo
    closed_later("new", False)  # predicted 0.3438 at new
    result = sales.win_calibration(book.direct.id, train_until=day(5), bins=2)
    assert result.count == 2
    assert result.brier == pytest.approx((0.5**2 + 0.3438**2) / 2)  # (0.25 + 0.11819844) / 2
    assert [(b.count, b.observed) for b in result.bins] == [(1, 0.0), (1, 1.0)]
    with pytest.raises(ValidationError) as caught:
        sales.win_calibration(book.direct.id, train_until=day(2.5))  # only W1 closed by then
    assert caught.value.paths == ("train_until",)
    with pytest.raises(ValidationError) as caught:
        sales.win_calibration(book.direct.id, train_until=day(5), evaluate_until=day(6))
    assert caught.value.paths == ("evaluate_until",)
    with pytest.raises(ValidationError) as caught:
        sales.win_calibration(book.direct.id, train_until=day(5), evaluate_until=day(4))
    assert caught.value.paths == ("evaluate_until",)


# -- the database joins the scores as the memory store does ----------------------------------------


@pytest.mark.parametrize("moment", [None, day(0.5), day(1.5), day(4)])
def test_the_database_joins_the_scores_as_the_memory_store_does(
    store_factory: StoreFactory, moment: datetime | None
) -> None:
    here, reference = build(store_factory()), build(MemoryStore())
    for book in (here, reference):
        book.crm.sales.refresh_win_probability()
        book.crm.sales.advance(book.deals["A"].id, "demo", at=day(4))  # its score (for new) no longer applies
        book.crm.sales.save(attrs.evolve(book.crm.sales.get(book.deals["B"].id), owner="ann"))
    for how in ({"as_of": moment}, {"as_of": moment, "by": ["stage", "month", "owner"]}):
        found = here.lines(**how)
        assert found == reference.lines(**how)
    scored = here.crm.sales.explain_probability(here.deals["B"].id)
    assert scored.source == "model"  # B stayed where it was scored: the lines above weigh it by its score


_random_deals = st.lists(
    st.tuples(
        st.sampled_from(["new", "demo"]),
        st.sampled_from([None, "won", "lost", "manual", "advance"]),
        st.sampled_from([None, "web", "fair"]),
        st.integers(0, 10**6),
        st.integers(0, 20),
    ),
    max_size=10,
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(deals=_random_deals, moment=st.integers(0, 25))
def test_random_books_with_scores_group_alike_in_the_database_and_in_memory(
    store_factory: StoreFactory, deals: list[tuple[Any, ...]], moment: int
) -> None:
    clock = FixedClock(NOW)
    here, reference = CRM(store_factory(clock=clock), clock=clock), CRM(MemoryStore(clock=clock), clock=clock)
    for crm in (here, reference):
        acme = crm.customers.add(Customer.organization("Acme", created_at=T0))
        direct = crm.sales.add_pipeline(
            Pipeline.of("Direct", STAGES, currency="EUR", created_at=T0, win_probability=True)
        )
        opened = []
        for stage, twist, source, cents, days in deals:
            deal = crm.sales.open(
                Opportunity(
                    customer_id=acme.id,
                    pipeline_id=direct.id,
                    stage=stage,
                    name="d",
                    amount=Decimal(cents).scaleb(-2),
                    currency="EUR",
                    source=source,
                    created_at=T0,
                )
            )
            when = day(days)
            if twist == "won":
                crm.sales.win(deal.id, at=when)
            elif twist == "lost":
                crm.sales.lose(deal.id, reason="price", at=when)
            elif twist == "manual":
                crm.sales.set_probability(deal.id, "0.25", at=when)
            opened.append((deal, twist, when))
        crm.sales.refresh_win_probability(as_of=day(10))
        for deal, twist, when in opened:
            if twist == "advance" and deal.stage == "new":
                crm.sales.advance(deal.id, "demo", at=when)  # after the refresh: its score no longer applies

    def lines(crm: CRM, **how: Any) -> list[tuple[object, ...]]:
        [pipeline] = crm.sales.pipelines()
        with crm.unit_of_work() as uow:
            found = merged(uow.sales_book.lines([pipeline], **how))
        return sorted(((*line.key()[1:], line.count, line.amount, line.weighted) for line in found), key=repr)

    for how in ({}, {"by": ["stage", "month", "owner"]}, {"as_of": day(moment)}):
        assert lines(here, **how) == lines(reference, **how)
    weights = [[(w.stage, w.amounts) for w in crm.sales.weighted(by=["stage"])] for crm in (here, reference)]
    assert weights[0] == weights[1]
