"""A hypothesis state machine drives a SQL store and the memory store alike.

Every step runs the same operation, in its own unit of work, on both stores
and asserts they agree: the same result, or the same kind of error. The
memory adapter is the reference semantics; any SQL backend must match it.
Identities and idempotency keys are drawn from lookalikes (a trailing space,
another case, NFC and NFD), and lookups also get arguments of the wrong type.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from relcore.domain import (
    ConsentRecord,
    Contact,
    ContactPoint,
    Customer,
    Identity,
    Touchpoint,
    Transaction,
)
from relcore.errors import RelcoreError
from relcore.registry import Store, UnitOfWork
from relcore.storage.memory import MemoryStore
from relcore.storage.sql import SqlStore
from relcore.storage.sql.testing import create_test_engine, wipe
from tests.conftest import server_url

NOW = datetime(2025, 6, 1, tzinfo=UTC)
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

# keys that differ only by a trailing space, case or Unicode normalization (NFC / NFD) are different keys
LOOKALIKES = ["1", "1 ", " 1", "a", "A", "Zo\u00eb", "Zoe\u0308"]
identities = st.sampled_from([Identity("shop", value) for value in LOOKALIKES])
emails = st.sampled_from(["ada@example.com", "Ada@Example.com", "bob@example.org", "cy@example.net"])
channels = st.sampled_from(["email", "sms", "web", "phone"])
moments = st.integers(0, 400).map(lambda d: EPOCH + timedelta(days=d))
keys = st.sampled_from([*LOOKALIKES, "k2", None])
lookup_arguments = st.one_of(
    st.sampled_from(["shop", "feed", *LOOKALIKES]),
    st.integers(-1, 1002),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.binary(max_size=3),
)
"""Arguments of lookups by key: texts, and values of other types a database might coerce."""


def outcome(store: Store, action: Callable[[UnitOfWork], Any]) -> tuple[str, Any]:
    """Run ``action`` in a unit of work and commit; return ("ok", result) or ("error", type)."""
    try:
        with store.unit_of_work() as uow:
            result = action(uow)
            uow.commit()
    except RelcoreError as error:
        return ("error", type(error).__name__)
    return ("ok", result)


class SameAsMemory(RuleBasedStateMachine):
    """Operations on a SQL store give what they give on the memory store."""

    make_sql: Callable[[], Store]

    customers = Bundle("customers")
    stale = Bundle("stale")

    def __init__(self) -> None:
        super().__init__()
        self.memory: Store = MemoryStore(clock=lambda: NOW)
        self.sql: Store = type(self).make_sql()

    def teardown(self) -> None:
        self.sql.close()

    def both(self, action: Callable[[UnitOfWork], Any]) -> Any:
        expected = outcome(self.memory, action)
        actual = outcome(self.sql, action)
        assert actual == expected
        return expected[1] if expected[0] == "ok" else None

    @rule(
        target=customers,
        name=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20).filter(
            str.strip
        ),
        identity=st.none() | identities,
        created=moments,
        tags=st.frozensets(st.sampled_from(["vip", "b2b", "new"])),
    )
    def add_customer(
        self, name: str, identity: Identity | None, created: datetime, tags: frozenset[str]
    ) -> Customer:
        customer = Customer.person(
            name, identities=[identity] if identity else [], created_at=created, tags=tags
        )
        self.both(lambda uow: uow.customers.add(customer))
        return customer

    @rule(
        target=stale,
        customer=consumes(customers),
        stage=st.sampled_from(["lead", "customer", "churned"]),
        tags=st.frozensets(st.sampled_from(["vip", "b2b", "new"])),
        identity=st.none() | identities,
    )
    def save_customer(
        self, customer: Customer, stage: str, tags: frozenset[str], identity: Identity | None
    ) -> Customer:
        current = self.both(lambda uow: uow.customers.get(customer.id))
        if current is not None:
            changed = attrs.evolve(
                current, stage=stage, tags=tags, identities=[identity] if identity else current.identities
            )
            self.both(lambda uow: uow.customers.save(changed))
            return current  # now stale
        return customer

    @rule(old=stale)
    def stale_save(self, old: Customer) -> None:
        self.both(lambda uow: uow.customers.save(attrs.evolve(old, name=old.name + "!")))

    @rule(customer=customers, email=emails, name=st.sampled_from(["Ada", "Bob"]))
    def add_contact(self, customer: Customer, email: str, name: str) -> None:
        contact = Contact(
            customer_id=customer.id,
            name=name,
            points=[ContactPoint.email(email)],
            created_at=customer.created_at,
        )
        self.both(lambda uow: uow.contacts.add(contact))

    @rule(customer=customers, batch=st.lists(st.tuples(keys, channels, moments), max_size=8))
    def add_touchpoints(self, customer: Customer, batch: list[tuple[str | None, str, datetime]]) -> None:
        items = [
            Touchpoint(
                customer_id=customer.id,
                channel=channel,
                direction="inbound",
                occurred_at=at,
                source="feed",
                external_id=key,
            )
            for key, channel, at in batch
        ]
        self.both(lambda uow: uow.touchpoints.add_many(items, chunk_size=3))

    @rule(customer=customers, key=keys, cents=st.integers(0, 10**6), at=moments)
    def add_transaction(self, customer: Customer, key: str | None, cents: int, at: datetime) -> None:
        item = Transaction(
            customer_id=customer.id,
            amount=f"{cents / 100:.2f}",
            currency="EUR",
            occurred_at=at,
            source="shop",
            external_id=key,
        )
        self.both(lambda uow: uow.transactions.add(item))

    @rule(
        customer=customers,
        status=st.sampled_from(["granted", "denied", "withdrawn"]),
        channel=st.none() | channels,
        at=moments,
    )
    def record_consent(self, customer: Customer, status: str, channel: str | None, at: datetime) -> None:
        record = ConsentRecord(
            customer_id=customer.id, purpose="marketing", status=status, channel=channel, recorded_at=at
        )
        self.both(lambda uow: uow.consents.add(record))

    @rule(customer=customers, channel=channels, at=moments)
    def lookups(self, customer: Customer, channel: str, at: datetime) -> None:
        self.both(lambda uow: uow.customers.get(customer.id))
        self.both(lambda uow: uow.contacts.for_customer(customer.id))
        self.both(lambda uow: uow.consents.may_contact(customer.id, "marketing", channel, at))
        self.both(lambda uow: uow.activity.timeline(customer.id, limit=5, since=EPOCH + timedelta(days=50)))
        self.both(lambda uow: uow.touchpoints.for_customer(customer.id, channels=[channel]))

    @rule(identity=identities, email=emails)
    def find(self, identity: Identity, email: str) -> None:
        self.both(lambda uow: uow.customers.find_by_identity(identity.namespace, identity.value))
        self.both(lambda uow: uow.contacts.find_by_email(email))

    @rule(first=lookup_arguments, second=lookup_arguments)
    def find_by_any_argument(self, first: Any, second: Any) -> None:
        self.both(lambda uow: uow.customers.find_by_identity(first, second))
        self.both(lambda uow: uow.touchpoints.find_by_key(first, second))
        self.both(lambda uow: uow.transactions.find_by_key(first, second))
        self.both(lambda uow: uow.segments.find_by_name(second))

    @invariant()
    def same_counts(self) -> None:
        self.both(lambda uow: (uow.customers.count(), uow.touchpoints.count(), uow.transactions.count()))
        self.both(lambda uow: uow.customers.list(limit=3))


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mysql"])
def test_sql_store_behaves_like_the_memory_store(backend: str) -> None:
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp())
        counter = iter(range(10**9))

        def make() -> Store:
            return SqlStore.open(folder / f"sm{next(counter)}.db", clock=lambda: NOW)
    else:
        engine = create_test_engine(server_url(backend))

        def make() -> Store:
            wipe(engine)
            return SqlStore.open(engine, clock=lambda: NOW)

    machine = type(f"SameAsMemory_{backend}", (SameAsMemory,), {"make_sql": staticmethod(make)})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
