"""Contract of the feedback repository's special queries and of the tallies, and the example responses."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from relcore.customers.model import Customer
from relcore.errors import NotFoundError
from relcore.feedback._memory import group_of
from relcore.feedback.metrics import Group, Tally
from relcore.feedback.model import FeedbackKind, FeedbackResponse
from relcore.feedback.ports import TallyQuery, TallyRow
from relcore.ids import CustomerId, uuid7
from relcore.registry import Store, UnitOfWork
from relcore.testing._contract_support import T0, ContractBase, customer, in_unit, minutes, touchpoint

__all__ = ["FeedbackContract", "merged", "new_response", "reference_tally", "response", "stored_state"]

_next = [0]


def response(customer_id: CustomerId, **fields: Any) -> FeedbackResponse:
    """An NPS answer of 9 by e-mail at `T0`, from the source ``contract``, unless told otherwise."""
    fields.setdefault("kind", "nps")
    fields.setdefault("score", 9)
    fields.setdefault("channel", "email")
    fields.setdefault("answered_at", T0)
    fields.setdefault("source", "contract")
    fields.setdefault("created_at", T0)
    return FeedbackResponse(customer_id=customer_id, **fields)


def new_response(owner: CustomerId, key: tuple[str, str] | None = None, **fields: Any) -> FeedbackResponse:
    """A new answer of ``owner`` with the next example key (or the ``key`` given)."""
    if key is None:
        _next[0] += 1
        key = ("contract", f"r-{_next[0]}")
    fields.setdefault("source", key[0])
    fields.setdefault("external_id", key[1])
    return response(owner, **fields)


def stored_state(uow: UnitOfWork, customers: list[Customer]) -> dict[str, object]:
    """Every customer's responses."""
    return {"feedback_responses": [uow.feedback_responses.for_owner(c.id) for c in customers]}


def reference_tally(
    responses: Iterable[FeedbackResponse], query: TallyQuery
) -> dict[tuple[Group, int, int], Tally]:
    """The counts ``query`` makes of ``responses``, by group and scale: what every store must return."""
    found: dict[tuple[Group, int, int], Tally] = {}
    for r in responses:
        if query.admits(r):
            key = (group_of(r, query), r.scale_min, r.scale_max)
            one = Tally(1, int(r.positive), int(r.nps_class == "detractor"), r.score, r.score * r.score)
            found[key] = found.get(key, Tally()) + one
    return found


def merged(rows: Iterable[TallyRow]) -> dict[tuple[Group, int, int], Tally]:
    """A store's tally rows, added up by group and scale."""
    found: dict[tuple[Group, int, int], Tally] = {}
    for row in rows:
        key = (row.group, row.scale_min, row.scale_max)
        found[key] = found.get(key, Tally()) + row.tally
    return found


class FeedbackContract(ContractBase):
    """The responses' special queries and the tallies, on any store."""

    def _people(self, store: Store, count: int = 2) -> list[Customer]:
        people = [customer(f"P{i}") for i in range(count)]
        in_unit(store, lambda uow: uow.customers.add_many(people))
        return people

    def test_a_response_with_every_field_round_trips(self, store: Store) -> None:
        (ada, _) = self._people(store)
        call = touchpoint(ada.id)
        in_unit(store, lambda uow: uow.touchpoints.add(call))
        full = response(
            ada.id,
            kind="custom",
            score=3,
            scale_min=0,
            scale_max=100,
            comment="Très bien 😀 — 'merci'",
            answered_at=datetime(2024, 5, 1, 23, 59, 59, 999999, tzinfo=UTC),
            channel="chat",
            touchpoint_id=call.id,
            case_id=uuid7(),
            campaign_id=uuid7(),
            survey="post-case",
            external_id="x-1",
        )
        assert in_unit(store, lambda uow: uow.feedback_responses.add(full)) is True
        assert (
            in_unit(store, lambda uow: uow.feedback_responses.add(response(ada.id, external_id="x-1")))
            is False
        )
        with store.unit_of_work() as uow:
            assert uow.feedback_responses.get(full.id) == full
            assert uow.feedback_responses.find("contract", "x-1") == full
            assert uow.feedback_responses.find("contract", "x-2") is None
        with pytest.raises(NotFoundError):
            in_unit(store, lambda uow: uow.feedback_responses.add(response(ada.id, touchpoint_id=uuid7())))

    def test_a_customers_responses_come_newest_first(self, store: Store) -> None:
        ada, bob = self._people(store)
        tie = minutes(5)
        answers = [
            response(ada.id, answered_at=minutes(1)),
            response(ada.id, answered_at=tie),
            response(ada.id, answered_at=tie),
            response(ada.id, kind="csat", score=4, answered_at=minutes(9)),
            response(bob.id, answered_at=minutes(7)),
        ]
        in_unit(store, lambda uow: uow.feedback_responses.add_many(reversed(answers)))
        with store.unit_of_work() as uow:
            mine = uow.feedback_responses.for_customer(ada.id)
            assert mine == sorted(answers[:4], key=lambda r: (r.answered_at, r.id), reverse=True)
            nps = uow.feedback_responses.for_customer(ada.id, kind=FeedbackKind.NPS)
            assert nps == [answers[2], answers[1], answers[0]]
            assert uow.feedback_responses.for_customer(CustomerId(uuid7())) == []

    def test_refresh_latest_marks_each_kinds_newest_answer(self, store: Store) -> None:
        ada, bob = self._people(store)
        answers = [
            response(ada.id, answered_at=minutes(1), latest=True),
            response(ada.id, answered_at=minutes(3)),
            response(ada.id, kind="csat", score=2, answered_at=minutes(2)),
            response(bob.id, answered_at=minutes(0)),
        ]
        in_unit(store, lambda uow: uow.feedback_responses.add_many(answers))
        assert in_unit(store, lambda uow: uow.feedback_responses.refresh_latest([ada.id, ada.id])) == 3
        assert in_unit(store, lambda uow: uow.feedback_responses.refresh_latest([ada.id])) == 0
        with store.unit_of_work() as uow:
            flags = [uow.feedback_responses.get(r.id).latest for r in answers]
        assert flags == [False, True, True, False]
        assert (
            in_unit(store, lambda uow: uow.feedback_responses.refresh_latest([bob.id, CustomerId(uuid7())]))
            == 1
        )
        with store.unit_of_work() as uow:
            assert uow.feedback_responses.get(answers[3].id).latest is True

    def test_tallies_group_by_local_period_across_month_ends_and_dst(self, store: Store) -> None:
        ada, bob = self._people(store)
        paris = ZoneInfo("Europe/Paris")
        moments = [
            datetime(2024, 1, 31, 22, 59, 59, 999999, tzinfo=UTC),  # 23:59 in Paris: January
            datetime(2024, 1, 31, 23, 0, tzinfo=UTC),  # 00:00 on 1 February in Paris
            datetime(2024, 3, 30, 23, 30, tzinfo=UTC),  # Sunday 31 March, 00:30 (before the change)
            datetime(2024, 3, 31, 21, 59, tzinfo=UTC),  # 23:59 CEST on 31 March
            datetime(2024, 3, 31, 22, 0, tzinfo=UTC),  # 00:00 CEST on 1 April
            datetime(2024, 10, 27, 0, 30, tzinfo=UTC),  # 02:30 CEST, before falling back
            datetime(2024, 10, 27, 1, 30, tzinfo=UTC),  # 02:30 CET, after
            datetime(2024, 12, 31, 23, 0, tzinfo=UTC),  # 1 January 2025 in Paris
        ]
        answers = [
            response((ada, bob)[i % 2].id, score=score, answered_at=at, survey=("q", None)[i % 3 == 0])
            for i, (at, score) in enumerate(zip(moments, [10, 0, 7, 9, 6, 8, 3, 10], strict=True))
        ]
        answers.append(response(ada.id, kind="csat", score=5, answered_at=moments[0]))
        in_unit(store, lambda uow: uow.feedback_responses.add_many(answers))
        queries = [
            TallyQuery(kind=FeedbackKind.NPS, period=p, zone=paris)
            for p in ("day", "week", "month", "quarter")
        ]
        queries += [
            TallyQuery(kind=FeedbackKind.NPS, period="month", zone=UTC, by=("survey",)),
            TallyQuery(kind=FeedbackKind.NPS, period="year", zone=ZoneInfo("America/New_York")),
            TallyQuery(
                kind=FeedbackKind.NPS, start=moments[1], end=moments[6], customer_ids=frozenset([bob.id])
            ),
            TallyQuery(kind=FeedbackKind.NPS, channels=frozenset({"sms"})),
            TallyQuery(kind=FeedbackKind.CSAT, by=("channel", "case_id")),
        ]
        with store.unit_of_work() as uow:
            for query in queries:
                assert merged(uow.feedback_tallies.tally(query)) == reference_tally(answers, query), query
            months = merged(uow.feedback_tallies.tally(queries[2]))
        assert sorted(g.period.month for g, _, _ in months if g.period is not None) == [1, 1, 2, 3, 4, 10]

    def test_tallies_keep_scales_apart_and_count_nothing_when_empty(self, store: Store) -> None:
        (ada, _) = self._people(store)
        answers = [
            response(ada.id, kind="csat", score=4),
            response(ada.id, kind="csat", score=9, scale_min=0, scale_max=10, answered_at=minutes(1)),
            response(ada.id, kind="csat", score=5, answered_at=minutes(2)),
        ]
        in_unit(store, lambda uow: uow.feedback_responses.add_many(answers))
        query = TallyQuery(kind=FeedbackKind.CSAT)
        with store.unit_of_work() as uow:
            found = merged(uow.feedback_tallies.tally(query))
            assert found == {(Group(), 1, 5): Tally(2, 2, 0, 9, 41), (Group(), 0, 10): Tally(1, 1, 0, 9, 81)}
            assert uow.feedback_tallies.tally(TallyQuery(kind=FeedbackKind.CES)) == []
            late = TallyQuery(kind=FeedbackKind.CSAT, period="day", start=minutes(60))
            assert uow.feedback_tallies.tally(late) == []
            assert uow.feedback_tallies.tally(TallyQuery(kind=FeedbackKind.CSAT, surveys=frozenset())) == []

    def test_responses_of_one_customer_may_be_many_and_ids_are_uuids(self, store: Store) -> None:
        (ada, _) = self._people(store)
        made = [response(ada.id, answered_at=T0 + timedelta(seconds=i)) for i in range(30)]
        in_unit(store, lambda uow: uow.feedback_responses.add_many(made, chunk_size=7))
        with store.unit_of_work() as uow:
            assert all(isinstance(r.id, UUID) for r in uow.feedback_responses.for_owner(ada.id))
            assert uow.feedback_responses.count() == 30
