"""Answers in segment rules: memory = SQLite = PostgreSQL = MariaDB, from the ``feedback`` history alone.

The history is registered by the feedback context; rules drawn by relcore's own
rule strategies over it (``feedback(kind == "nps", latest == true, nps_class ==
"detractor").count() >= 1``) must pick the same customers on every backend as
the in-memory evaluator, and the examples of the issue hold.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore import CRM
from relcore.feedback import FeedbackResponse
from relcore.registry import UnitOfWork
from relcore.segments import CustomerView, Rule, evaluate, history, parse, to_text
from relcore.testing._contract_support import StoreFactory, customer, in_unit
from relcore.testing.segment_strategies import rules

AS_OF = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
OFFSETS = [DAY, 30 * DAY, 180 * DAY - timedelta(microseconds=1), 180 * DAY, 400 * DAY, -DAY]
CATALOGUE = CRM.in_memory().segments.catalogue
PEOPLE = 4
CASE = customer("a case id").id


def test_the_rules_of_the_issue_read_as_text() -> None:
    detractors = history("feedback", kind="nps", latest=True, nps_class="detractor").count() >= 1
    text = to_text(detractors)
    assert text == 'feedback(kind == "nps", latest == true, nps_class == "detractor").count >= 1'
    assert parse(text, catalogue=CATALOGUE) == detractors
    unhappy = history("feedback", kind="csat", positive=False).within(days=180).count() >= 2
    assert parse(to_text(unhappy), catalogue=CATALOGUE) == unhappy


def answers_of(owner: object) -> st.SearchStrategy[list[FeedbackResponse]]:
    @st.composite
    def one(draw: st.DrawFn) -> FeedbackResponse:
        kind = draw(st.sampled_from(["nps", "csat", "ces"]))
        high = {"nps": 10, "csat": 5, "ces": 7}[kind]
        return FeedbackResponse(
            customer_id=owner,  # type: ignore[arg-type]
            kind=kind,
            score=draw(st.integers(0 if kind == "nps" else 1, high)),
            answered_at=AS_OF - draw(st.sampled_from(OFFSETS)),
            channel=draw(st.sampled_from(["email", "sms"])),
            survey=draw(st.sampled_from([None, "post-case", "Post-case"])),
            case_id=draw(st.sampled_from([None, CASE])),
        )

    return st.lists(one(), max_size=4)


def test_feedback_rules_agree_on_every_backend(store_factory: StoreFactory) -> None:
    people = [customer(f"P{i}") for i in range(PEOPLE)]
    leaves = rules(
        CATALOGUE,
        as_of=AS_OF,
        texts=st.sampled_from(["post-case", "Post-case", "post", ""]),
        numbers=[0, 5, 6, 7, 9, 10],
        campaign_ids=[CASE],
        windows=[30, 180],
        fields=["tags"],
        events=["feedback"],
        max_depth=2,
    )
    slow = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

    @settings(max_examples=30, deadline=None, suppress_health_check=slow)
    @given(
        answers=st.tuples(*(answers_of(p.id) for p in people)),
        checks=st.lists(leaves, min_size=1, max_size=4),
    )
    def check(answers: tuple[list[FeedbackResponse], ...], checks: list[Rule]) -> None:
        store = store_factory()

        def write(uow: UnitOfWork) -> None:
            uow.customers.add_many(people)
            for mine in answers:
                uow.feedback_responses.add_many(mine)
            uow.feedback_responses.refresh_latest([p.id for p in people])

        in_unit(store, write)
        with store.unit_of_work() as uow:
            stored = [uow.feedback_responses.for_owner(p.id) for p in people]
            for rule in checks:
                expected = [
                    p.id
                    for p, mine in zip(people, stored, strict=True)
                    if evaluate(
                        rule, CustomerView(p, histories={"feedback": mine}), AS_OF, catalogue=CATALOGUE
                    )
                ]
                assert list(uow.segments.members(rule, AS_OF, catalogue=CATALOGUE)) == sorted(expected), rule

    check()


def test_customers_whose_latest_nps_is_a_detractors(store_factory: StoreFactory) -> None:
    crm = CRM(store_factory())
    ada, bob, cy = (crm.customers.add(customer(n)) for n in ("Ada", "Bob", "Cy"))

    def nps(who: object, score: int, days_ago: int) -> FeedbackResponse:
        return FeedbackResponse(
            customer_id=who, kind="nps", score=score, answered_at=AS_OF - days_ago * DAY, channel="email"
        )  # type: ignore[arg-type]

    crm.feedback.record(nps(ada.id, 2, 10))  # a detractor now
    crm.feedback.record(nps(ada.id, 9, 40))
    crm.feedback.record(nps(bob.id, 3, 40))  # was a detractor, then a promoter
    crm.feedback.record(nps(bob.id, 10, 5))
    crm.feedback.record(nps(cy.id, 8, 1))
    rule = parse(
        'feedback(kind == "nps", latest == true, nps_class == "detractor").count >= 1', catalogue=CATALOGUE
    )
    assert list(crm.segments.members(rule, AS_OF)) == [ada.id]
    ever = parse(
        'feedback(kind == "nps", nps_class == "detractor", within=180d).count >= 1', catalogue=CATALOGUE
    )
    assert list(crm.segments.members(ever, AS_OF)) == sorted([ada.id, bob.id])
    assert crm.segments.explain(rule, ada.id, AS_OF).held
