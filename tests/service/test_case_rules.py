"""Cases in segment rules: memory = SQLite = PostgreSQL = MariaDB, from the history's declaration alone.

Rules are drawn by relcore's own rule strategies over the registry's catalogue
(``cases(category == "open", priority == "urgent").count >= 1``); each backend
must return exactly the customers the in-memory evaluator picks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import strategies as st

from relcore import CRM
from relcore.registry import UnitOfWork
from relcore.segments import parse
from relcore.service import BUILTIN_STATUSES, Case
from relcore.service.decisions import open_case, set_status
from relcore.testing._contract_support import StoreFactory, customer, in_unit
from tests._rule_agreement import assert_rules_agree

AS_OF = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
OFFSETS = [DAY, 30 * DAY - timedelta(microseconds=1), 30 * DAY, 200 * DAY, -DAY]
CATALOGUE = CRM.in_memory().segments.catalogue
STATUS = {s.key: s for s in BUILTIN_STATUSES}


def cases_of(owner: object) -> st.SearchStrategy[list[Case]]:
    @st.composite
    def one(draw: st.DrawFn) -> Case:
        created = AS_OF - draw(st.sampled_from(OFFSETS))
        case = Case(
            customer_id=owner,  # type: ignore[arg-type]
            subject="s",
            channel=draw(st.sampled_from(["email", "phone", "chat"])),
            type=draw(st.sampled_from(["question", "complaint", "incident"])),
            priority=draw(st.sampled_from(["low", "normal", "urgent"])),
            team=draw(st.sampled_from([None, "tier-1", "Tier-1"])),
            reopen_count=0,
            created_at=created,
        )
        case = open_case(case, STATUS[draw(st.sampled_from(["new", "open", "pending"]))], lambda _: None).case
        ending = draw(st.sampled_from(["as is", "solved", "closed"]))
        if ending != "as is":
            case = set_status(case, STATUS[ending], created + DAY, lambda _: None).case
        if draw(st.booleans()):
            return attrs.evolve(case, breached_at=created + DAY / 2)
        return case

    return st.lists(one(), max_size=3)


def test_case_rules_agree_on_every_backend(store_factory: StoreFactory) -> None:
    assert_rules_agree(
        store_factory,
        CATALOGUE,
        "cases",
        cases_of,
        lambda uow, cases: uow.cases.add_many(cases),
        as_of=AS_OF,
        texts=["tier-1", "Tier-1", "open", "solved", ""],
        windows=[30, 365],
    )


def test_urgent_open_cases_and_recent_breaches(store_factory: StoreFactory) -> None:
    urgent = parse('cases(category == "open", priority == "urgent").count >= 1', catalogue=CATALOGUE)
    breached = parse("cases(breached_at is set, within=30d).count >= 1", catalogue=CATALOGUE)
    ada, bob, cy = customer("Ada"), customer("Bob"), customer("Cy")
    recent = AS_OF - 3 * DAY
    mine = open_case(
        Case(customer_id=ada.id, subject="s", channel="phone", priority="urgent", created_at=recent),
        STATUS["open"],
        lambda _: None,
    ).case
    solved = set_status(
        open_case(
            Case(customer_id=bob.id, subject="s", channel="phone", priority="urgent", created_at=recent),
            STATUS["open"],
            lambda _: None,
        ).case,
        STATUS["solved"],
        recent + DAY,
        lambda _: None,
    ).case
    old = Case(
        customer_id=cy.id,
        subject="s",
        channel="email",
        created_at=AS_OF - 60 * DAY,
        breached_at=AS_OF - 59 * DAY,
    )
    late = Case(customer_id=bob.id, subject="s", channel="email", created_at=recent, breached_at=recent + DAY)
    store = store_factory()

    def write(uow: UnitOfWork) -> None:
        uow.customers.add_many([ada, bob, cy])
        uow.cases.add_many([mine, solved, old, late])

    in_unit(store, write)
    with store.unit_of_work() as uow:
        assert list(uow.segments.members(urgent, AS_OF, catalogue=CATALOGUE)) == [ada.id]
        assert list(uow.segments.members(breached, AS_OF, catalogue=CATALOGUE)) == [bob.id]


def test_detractors_with_an_open_case(store_factory: StoreFactory) -> None:
    from relcore.feedback import FeedbackResponse

    rule = parse(
        'feedback(kind == "nps", latest == true, nps_class == "detractor").count >= 1'
        ' and cases(category == "open").count >= 1',
        catalogue=CATALOGUE,
    )
    ada, bob, cy = customer("Ada"), customer("Bob"), customer("Cy")
    recent = AS_OF - 3 * DAY

    def opened(who: object) -> Case:
        case = Case(customer_id=who, subject="s", channel="email", created_at=recent)  # type: ignore[arg-type]
        return open_case(case, STATUS["open"], lambda _: None).case

    def nps(who: object, score: int, days: int) -> FeedbackResponse:
        return FeedbackResponse(
            customer_id=who,  # type: ignore[arg-type]
            kind="nps",
            score=score,
            answered_at=AS_OF - days * DAY,
            channel="email",
            latest=days == 1,
        )

    store = store_factory()

    def write(uow: UnitOfWork) -> None:
        uow.customers.add_many([ada, bob, cy])
        uow.cases.add_many([opened(ada.id), opened(bob.id)])
        # Ada's latest answer is a detractor's; Bob was one, then answered 9; Cy has no open case
        uow.feedback_responses.add_many(
            [nps(ada.id, 3, 1), nps(bob.id, 2, 40), nps(bob.id, 9, 1), nps(cy.id, 0, 1)]
        )

    in_unit(store, write)
    with store.unit_of_work() as uow:
        assert list(uow.segments.members(rule, AS_OF, catalogue=CATALOGUE)) == [ada.id]
