"""The differential test of a history in segment rules: every backend returns the memory evaluator's members.

Each context's rule test draws a few customers' entries of one history and a
few rules over the registry's catalogue (relcore's own rule strategies), stores
the entries, and checks that the store's segment members are exactly the
customers the in-memory evaluator picks. What differs from one history to the
next — how to draw one customer's entries, what to store beside them, which
texts rules compare with — is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore.customers.model import Customer
from relcore.registry import UnitOfWork
from relcore.segments import Catalogue, CustomerView, Rule, evaluate
from relcore.testing._contract_support import StoreFactory, customer, in_unit
from relcore.testing.segment_strategies import rules

__all__ = ["assert_rules_agree"]

PEOPLE = 4


def assert_rules_agree(
    store_factory: StoreFactory,
    catalogue: Catalogue,
    history: str,
    entries_of: Callable[[object], st.SearchStrategy[list[Any]]],
    store_entries: Callable[[UnitOfWork, list[Any]], None],
    *,
    as_of: datetime,
    texts: Sequence[str],
    windows: Sequence[int],
    max_examples: int = 30,
) -> None:
    """Check, on the backend of ``store_factory``, that rules over ``history`` pick what memory picks.

    Args:
        store_factory: Makes an empty store of the backend under test.
        catalogue: The catalogue rules are drawn from and evaluated on.
        history: The history's name in rules (``"cases"``).
        entries_of: One customer's entries, drawn for the customer's id.
        store_entries: Stores every customer's entries (and what they refer to) in a unit of work.
        as_of: The moment rules are evaluated at.
        texts: The texts rules compare text fields with.
        windows: The windows (days) rules may use.
        max_examples: Hypothesis examples.
    """
    people: list[Customer] = [customer(f"P{i}") for i in range(PEOPLE)]
    leaves = rules(
        catalogue,
        as_of=as_of,
        texts=st.sampled_from(list(texts)),
        windows=list(windows),
        fields=["tags"],
        events=[history],
        max_depth=2,
    )
    slow = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
    drawn = st.tuples(*(entries_of(p.id) for p in people))

    @settings(max_examples=max_examples, deadline=None, suppress_health_check=slow)
    @given(found=drawn, checks=st.lists(leaves, min_size=1, max_size=4))
    def check(found: tuple[list[Any], ...], checks: list[Rule]) -> None:
        store = store_factory()

        def write(uow: UnitOfWork) -> None:
            uow.customers.add_many(people)
            store_entries(uow, [entry for mine in found for entry in mine])

        in_unit(store, write)
        with store.unit_of_work() as uow:
            for rule in checks:
                expected = [
                    p.id
                    for p, mine in zip(people, found, strict=True)
                    if evaluate(rule, CustomerView(p, histories={history: mine}), as_of, catalogue=catalogue)
                ]
                assert list(uow.segments.members(rule, as_of, catalogue=catalogue)) == sorted(expected), rule

    check()
