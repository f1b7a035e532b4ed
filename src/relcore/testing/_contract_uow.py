"""Contract of [`UnitOfWork`][relcore.registry.UnitOfWork]: atomicity, rollback, events."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs
import pytest

from relcore.domain import (
    ContactPoint,
    CustomerCreated,
    CustomerUpdated,
    DomainEvent,
    Identity,
    Touchpoint,
)
from relcore.errors import ConfigurationError, ConflictError, NotFoundError, ValidationError
from relcore.registry import Store, UnitOfWork
from relcore.testing._contract_support import (
    ContractBase,
    consent,
    contact,
    customer,
    in_unit,
    minutes,
    snapshot,
    stored,
    touchpoint,
    transaction,
)

__all__ = ["UnitOfWorkContract"]


class _Boom(Exception):
    """Raised by a test to leave a ``with`` block abruptly."""


def _uses(uow: UnitOfWork) -> list[Callable[[], object]]:
    """Return one call of each repository method family, for the active-block check."""
    ada = customer()
    return [
        lambda: uow.customers.get(ada.id),
        lambda: uow.customers.add(ada),
        lambda: uow.customers.find_by_identity("shopify", "1"),
        lambda: uow.customers.list(),
        lambda: uow.customers.count(),
        lambda: uow.contacts.add(contact(ada.id)),
        lambda: uow.contacts.for_customer(ada.id),
        lambda: uow.contacts.find_by_email("ada@example.com"),
        lambda: uow.consents.add(consent(ada.id)),
        lambda: uow.consents.for_customer(ada.id),
        lambda: uow.touchpoints.add(touchpoint(ada.id)),
        lambda: uow.touchpoints.add_many([touchpoint(ada.id)]),
        lambda: uow.touchpoints.for_customer(ada.id),
        lambda: uow.transactions.add(transaction(ada.id)),
        lambda: uow.transactions.find_by_key("contract", "1"),
        lambda: uow.transactions.count(),
        lambda: uow.activity.timeline(ada.id),
        uow.commit,
    ]


class UnitOfWorkContract(ContractBase):
    """Units of work: all or nothing, rollback in every way out, events after commit."""

    def test_leaving_without_commit_discards_the_work(self, store: Store) -> None:
        ada = customer()
        with store.unit_of_work() as uow:
            uow.customers.add(ada)
            assert uow.customers.get(ada.id) == ada
        with store.unit_of_work() as uow:
            assert uow.customers.count() == 0
            with pytest.raises(NotFoundError):
                uow.customers.get(ada.id)

    def test_an_exception_rolls_back_and_propagates(self, store: Store) -> None:
        ada = customer()
        stored(store, ada)
        before = snapshot(store)

        def work(uow: UnitOfWork) -> None:
            uow.customers.save(attrs.evolve(ada, name="Changed"))
            uow.touchpoints.add(touchpoint(ada.id, external_id="1"))
            uow.consents.add(consent(ada.id))
            raise _Boom

        with pytest.raises(_Boom):
            in_unit(store, work)
        assert snapshot(store) == before

    def test_explicit_rollback_discards_and_the_unit_goes_on(self, store: Store) -> None:
        ada, grace = customer(), customer("Grace Hopper")
        with store.unit_of_work() as uow:
            uow.customers.add(ada)
            uow.rollback()
            assert uow.customers.count() == 0
            uow.customers.add(grace)
            uow.commit()
        assert snapshot(store)["customers"]["customers"] == [grace]

    def test_commit_then_more_work_then_exit_keeps_only_the_committed(self, store: Store) -> None:
        ada, grace = customer(), customer("Grace Hopper")
        with store.unit_of_work() as uow:
            uow.customers.add(ada)
            uow.touchpoints.add(touchpoint(ada.id, external_id="kept"))
            uow.commit()
            uow.customers.add(grace)
            uow.touchpoints.add(touchpoint(ada.id, external_id="dropped"))
        with store.unit_of_work() as uow:
            assert uow.customers.list().items == (ada,)
            assert uow.touchpoints.find_by_key("contract", "kept") is not None
            assert uow.touchpoints.find_by_key("contract", "dropped") is None

    def test_events_are_published_only_after_commit(self, store: Store) -> None:
        batches: list[list[DomainEvent]] = []
        ada = customer()
        with store.unit_of_work(publish=lambda events: batches.append(list(events))) as uow:
            uow.customers.add(ada)
            uow.record(CustomerCreated(ada.id))
            uow.record(CustomerUpdated(ada.id, 1))
            assert batches == []
            uow.commit()
            assert batches == [[CustomerCreated(ada.id), CustomerUpdated(ada.id, 1)]]
            uow.record(CustomerUpdated(ada.id, 2))
            uow.commit()
            uow.record(CustomerUpdated(ada.id, 3))
        assert batches == [
            [CustomerCreated(ada.id), CustomerUpdated(ada.id, 1)],
            [CustomerUpdated(ada.id, 2)],
        ]

    def test_rolled_back_events_are_never_published(self, store: Store) -> None:
        batches: list[Sequence[DomainEvent]] = []
        ada = customer()
        with store.unit_of_work(publish=batches.append) as uow:
            uow.record(CustomerCreated(ada.id))
            uow.rollback()
            uow.commit()

        def work(uow: UnitOfWork) -> None:
            uow.customers.add(ada)
            uow.record(CustomerCreated(ada.id))
            raise _Boom

        with pytest.raises(_Boom), store.unit_of_work(publish=batches.append) as uow:
            work(uow)
        assert batches == []

    def test_subscribers_see_the_committed_state(self, store: Store) -> None:
        ada = customer()
        seen: list[object] = []

        def publish(events: Sequence[DomainEvent]) -> None:
            seen.append(in_unit(store, lambda uow: uow.customers.get(ada.id), commit=False))

        with store.unit_of_work(publish=publish) as uow:
            uow.customers.add(ada)
            uow.record(CustomerCreated(ada.id))
            uow.commit()
        assert seen == [ada]

    def test_repositories_refuse_use_outside_the_block(self, store: Store) -> None:
        fresh = store.unit_of_work()
        for use in _uses(fresh):
            with pytest.raises(ConfigurationError):
                use()
        with store.unit_of_work() as done:
            pass
        for use in _uses(done):
            with pytest.raises(ConfigurationError):
                use()
        state = snapshot(store)
        assert state["customers"]["customer_count"] == 0
        assert state["activity"]["activity_counts"] == (0, 0)

    def test_a_unit_of_work_cannot_be_entered_while_active(self, store: Store) -> None:
        with store.unit_of_work() as uow, pytest.raises(ConfigurationError), uow:
            pass  # pragma: no cover

    def test_a_failed_add_leaves_nothing_after_rollback(self, store: Store) -> None:
        ada = customer(identities=[("shopify", "1")])
        stored(store, ada)
        before = snapshot(store)
        grace = customer("Grace Hopper", identities=[Identity("crm", "9"), Identity("shopify", "1")])

        def work(uow: UnitOfWork) -> None:
            uow.customers.add(customer("Alan Turing"))
            uow.touchpoints.add_many([touchpoint(ada.id, external_id=str(i)) for i in range(5)])
            uow.customers.add(grace)

        with pytest.raises(ConflictError):
            in_unit(store, work)
        assert snapshot(store) == before
        assert in_unit(store, lambda uow: uow.customers.find_by_identity("crm", "9")) is None

    def test_bad_input_built_mid_stream_leaves_the_store_unchanged(self, store: Store) -> None:
        ada = customer()
        stored(store, ada)
        before = snapshot(store)

        def feed() -> Iterator[Touchpoint]:
            for i in range(5):
                yield touchpoint(ada.id, external_id=str(i))
            yield touchpoint(ada.id, external_id="bad", occurred_at=minutes(0).replace(tzinfo=None))

        def work(uow: UnitOfWork) -> None:
            uow.customers.save(attrs.evolve(ada, name="Changed"))
            uow.touchpoints.add_many(feed(), chunk_size=2)

        with pytest.raises(ValidationError) as caught:
            in_unit(store, work)
        assert isinstance(caught.value, ValueError)
        assert caught.value.paths == ("occurred_at",)
        assert snapshot(store) == before

    def test_a_refused_query_does_not_spoil_the_unit(self, store: Store) -> None:
        ada = customer()
        with store.unit_of_work() as uow:
            uow.customers.add(ada)
            with pytest.raises(ValidationError):
                uow.touchpoints.for_customer(ada.id, limit=0)
            with pytest.raises(ValidationError):
                uow.contacts.find_by_email("not an e-mail")
            uow.commit()
        assert snapshot(store)["customers"]["customers"] == [ada]

    def test_rollback_restores_a_saved_customer_and_its_identities(self, store: Store) -> None:
        ada = customer(identities=[("shopify", "1")])
        stored(store, ada)
        with store.unit_of_work() as uow:
            uow.customers.save(attrs.evolve(ada, name="Changed", identities=[Identity("crm", "2")]))
        with store.unit_of_work() as uow:
            assert uow.customers.get(ada.id) == ada
            assert uow.customers.find_by_identity("shopify", "1") == ada
            assert uow.customers.find_by_identity("crm", "2") is None
        saved = in_unit(store, lambda uow: uow.customers.save(attrs.evolve(ada, name="Saved")))
        assert saved.version == 2

    def test_rollback_restores_contact_lookups(self, store: Store) -> None:
        ada = customer()
        person = contact(ada.id, "old@example.com")
        stored(store, ada, person)
        with store.unit_of_work() as uow:
            uow.contacts.save(person.with_points([ContactPoint.email("new@example.com")]))
            uow.contacts.add(contact(ada.id, "other@example.com"))
        with store.unit_of_work() as uow:
            assert uow.contacts.find_by_email("old@example.com") == [person]
            assert uow.contacts.find_by_email("new@example.com") == []
            assert uow.contacts.find_by_email("other@example.com") == []
            assert uow.contacts.for_customer(ada.id) == [person]

    def test_rollback_frees_idempotency_keys(self, store: Store) -> None:
        ada = customer()
        stored(store, ada)

        def batch() -> list[Any]:
            return [touchpoint(ada.id, external_id=str(i)) for i in range(3)] + [
                transaction(ada.id, external_id=str(i)) for i in range(3)
            ]

        def ingest(uow: UnitOfWork) -> int:
            rows = batch()
            return uow.touchpoints.add_many(rows[:3]) + uow.transactions.add_many(rows[3:])

        assert in_unit(store, ingest, commit=False) == 6
        assert in_unit(store, ingest) == 6
        assert in_unit(store, ingest) == 0
