"""The contract every storage backend must pass, as pytest test classes.

The semantics written in [`relcore.storage.base`][] are checked here, through
the public ports only, so the same tests run on the in-memory store, on every
SQL database, and on any backend written outside relcore. A backend that
passes [`StoreContract`][relcore.testing.contracts.StoreContract] can be handed to the services and to
[`CRM`][relcore.crm.CRM].

The classes are not collected by pytest on their own (their names do not
start with ``Test``). To run them on your backend, subclass
[`StoreContract`][relcore.testing.contracts.StoreContract] (or single contracts such as
[`TouchpointContract`][relcore.testing.contracts.TouchpointContract]) in a ``Test...`` class and provide a
``store_factory`` fixture: a callable that returns a fresh, empty store and
accepts an optional ``clock=`` keyword (a function returning the current aware
UTC time), which some tests pass to check the ``updated_at`` stamped by
``save``. The ``store`` fixture the tests use is ``store_factory()``. Each
test calls the factory once; close the stores it made when the test ends:

    import pytest
    from relcore.testing.contracts import StoreContract

    from mybackend import MyStore


    class TestMyStore(StoreContract):
        @pytest.fixture
        def store_factory(self, tmp_path):
            made = []

            def make(clock=None):
                store = MyStore(tmp_path / "db", **({} if clock is None else {"clock": clock}))
                made.append(store)
                return store

            yield make
            for store in made:
                store.close()

The contract is a floor, not a ceiling: test what your backend adds beyond it
in tests of your own.
"""

from __future__ import annotations

from typing import Any, cast

import pytest

from relcore._kernel.adapters import load
from relcore.activity._testing_timeline import (
    MoneyColumnsContract,
    TimelineContract,
    TouchpointContract,
    TransactionContract,
)
from relcore.consent._testing import ConsentContract
from relcore.customers._testing import CustomerImportContract, CustomerRepositoryContract
from relcore.customers._testing_contacts import ContactRepositoryContract
from relcore.registry import CONTEXTS, PORTS, Aggregate
from relcore.segments._testing import SegmentContract
from relcore.testing._contract_aggregate import AggregateContract, EntityFactory
from relcore.testing._contract_keys import KeyContract
from relcore.testing._contract_support import FixedClock, StoreFactory
from relcore.testing._contract_uow import UnitOfWorkContract
from relcore.value._testing import MetricsContract

__all__ = [
    "AggregateContract",
    "EntityFactory",
    "CONTEXT_CONTRACTS",
    "EXAMPLES",
    "RegisteredAggregatesContract",
    "ConsentContract",
    "ContactRepositoryContract",
    "CustomerImportContract",
    "CustomerRepositoryContract",
    "FixedClock",
    "KeyContract",
    "MetricsContract",
    "MoneyColumnsContract",
    "SegmentContract",
    "StoreContract",
    "StoreFactory",
    "TimelineContract",
    "TouchpointContract",
    "TransactionContract",
    "UnitOfWorkContract",
]


CONTEXT_CONTRACTS: tuple[type, ...] = tuple(load(path) for context in CONTEXTS for path in context.contracts)
"""The contract classes every registered context declares, in registry order."""

EXAMPLES: tuple[tuple[Aggregate[Any], str], ...] = tuple(
    (cast("Aggregate[Any]", PORTS[name]), factory)
    for context in CONTEXTS
    for name, factory in context.examples
)
"""Every aggregate a registered context holds to the generic contract, with its entity factory's path."""


class RegisteredAggregatesContract(AggregateContract):
    """The generic aggregate contract, run on every aggregate the registry gives an example of."""

    @pytest.fixture(params=EXAMPLES, ids=[aggregate.name for aggregate, _ in EXAMPLES])
    def example(self, request: pytest.FixtureRequest) -> tuple[Aggregate[Any], str]:
        """One registered aggregate and the path of its entity factory."""
        return request.param  # type: ignore[no-any-return]

    @pytest.fixture
    def aggregate(self, example: tuple[Aggregate[Any], str]) -> Aggregate[Any]:
        """The aggregate under test."""
        return example[0]

    @pytest.fixture
    def make_entity(self, example: tuple[Aggregate[Any], str]) -> EntityFactory:
        """Its entity factory."""
        return load(example[1])  # type: ignore[no-any-return]


_BASES = (*CONTEXT_CONTRACTS, RegisteredAggregatesContract, KeyContract, UnitOfWorkContract)


class StoreContract(*_BASES):  # type: ignore[misc]
    """The whole contract: every repository, lookups by key, the timeline and the unit of work.

    Touchpoints and transactions share their tests (with a different
    repository each), so they run in two nested classes, which pytest reports
    as ``TestYours::TestTouchpoints`` and ``TestYours::TestTransactions``; they
    see the fixtures of the class that subclasses this one.
    """

    class TestTouchpoints(TouchpointContract):
        """The touchpoint contract, as part of the whole."""

    class TestTransactions(TransactionContract):
        """The transaction contract, as part of the whole."""
