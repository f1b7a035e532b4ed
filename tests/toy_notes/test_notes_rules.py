"""The toy ``notes`` history in segment rules: memory = SQLite = PostgreSQL = MariaDB, by declaration alone.

Rules are drawn by relcore's own rule strategies over a catalogue that knows
the toy history (``notes(source == "web").within(days=30).count() >= 1``);
each backend must return exactly the customers the in-memory evaluator picks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore.ids import CustomerId
from relcore.segments import DEFAULT_CATALOGUE, CustomerView, Rule, evaluate, field, history, parse, to_text
from relcore.testing._contract_support import StoreFactory, customer, in_unit
from relcore.testing.segment_strategies import rules
from tests.toy_notes.model import NOTE_HISTORY, Note
from tests.toy_notes.test_notes import make_note, notes_factory

__all__ = ["notes_factory"]  # the fixture, shared with the contract tests

CATALOGUE = DEFAULT_CATALOGUE.with_histories(NOTE_HISTORY)
AS_OF = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)
OFFSETS = [-DAY, timedelta(0), DAY, 7 * DAY, 30 * DAY - TICK, 30 * DAY, 30 * DAY + TICK, 400 * DAY]
STORED = ["web", "Web", "web ", "called", "a%b", "😀"]
TEXTS = ["", *STORED, "we", "b"]
PEOPLE = 4


def notes_of(owner: CustomerId) -> st.SearchStrategy[list[Note]]:
    note = st.builds(
        lambda offset, text, source: make_note(owner, written_at=AS_OF - offset, text=text, source=source),
        st.sampled_from(OFFSETS),
        st.sampled_from(STORED),
        st.sampled_from(["web", "crm", "Web"]),
    )
    return st.lists(note, max_size=4)


def test_a_rule_names_the_history_in_every_form() -> None:
    rule = history("notes", source="web").within(days=30).count() >= 1
    text = to_text(rule)
    assert text == 'notes(source == "web", within=30d).count >= 1'
    assert parse(text, catalogue=CATALOGUE) == rule
    with pytest.raises(Exception, match="unknown history"):
        parse(text)  # the default catalogue does not know the toy history


def test_notes_rules_agree_on_every_backend(notes_factory: StoreFactory) -> None:
    people = [customer(f"P{i}") for i in range(PEOPLE)]
    ids = [p.id for p in people]
    leaves = rules(
        CATALOGUE,
        as_of=AS_OF,
        texts=st.sampled_from(TEXTS),
        windows=[7, 30],
        fields=["tags"],
        events=["notes"],
        max_depth=2,
    )

    slow = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

    @settings(max_examples=40, deadline=None, suppress_health_check=slow)
    @given(notes=st.tuples(*(notes_of(i) for i in ids)), checks=st.lists(leaves, min_size=1, max_size=4))
    def check(notes: tuple[list[Note], ...], checks: list[Rule]) -> None:
        store = notes_factory()
        in_unit(store, lambda uow: [uow.customers.add(p) for p in people])
        in_unit(store, lambda uow: uow.notes.add_many([n for mine in notes for n in mine]))
        with store.unit_of_work() as uow:
            for rule in checks:
                expected = [
                    p.id
                    for p, mine in zip(people, notes, strict=True)
                    if evaluate(rule, CustomerView(p, histories={"notes": mine}), AS_OF, catalogue=CATALOGUE)
                ]
                assert list(uow.segments.members(rule, AS_OF, catalogue=CATALOGUE)) == sorted(expected), rule

    check()


def test_explain_reads_the_history_through_the_unit_of_work(notes_factory: StoreFactory) -> None:
    from relcore.segments.services import explain_membership

    store = notes_factory()
    ada = customer("Ada")
    in_unit(store, lambda uow: uow.customers.add(ada))
    in_unit(store, lambda uow: uow.notes.add(make_note(ada.id, written_at=AS_OF - DAY, source="web")))
    rule = (history("notes", source="web").within(days=7).count() >= 1) & ~field("tags").has_tag("vip")
    why = in_unit(store, lambda uow: explain_membership(uow, rule, ada.id, AS_OF, CATALOGUE), commit=False)
    assert why.held
    assert why.children[0].observed == 1
