"""What is particular to the memory store: its lock, its undo log, atomic operations."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from relcore.domain import ConsentRecord, Contact, ContactPoint, Customer, CustomerCreated, Touchpoint
from relcore.errors import ConfigurationError, ConflictError, NotFoundError
from relcore.ids import CustomerId, uuid7
from relcore.registry import Store
from relcore.storage.memory import MemoryStore
from relcore.storage.memory.tables import Tables
from relcore.storage.memory.undo import UndoLog

T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


def _tables(store: MemoryStore) -> Tables:
    tables = store._tables
    assert isinstance(tables, Tables)
    return tables


def _state(store: MemoryStore) -> dict[str, Any]:
    """Deep copy of every dict, list and index the store holds."""
    return _tables(store).dump()


def _touchpoint(customer_id: CustomerId, **fields: Any) -> Touchpoint:
    fields.setdefault("occurred_at", T0)
    return Touchpoint(customer_id=customer_id, channel="email", direction="inbound", recorded_at=T0, **fields)


def _populated() -> tuple[MemoryStore, Customer, Contact]:
    store = MemoryStore()
    ada = Customer.person("Ada", identities=[("shopify", "1")], created_at=T0)
    person = Contact(
        customer_id=ada.id, name="Ada", points=[ContactPoint.email("ada@example.com")], created_at=T0
    )
    with store.unit_of_work() as uow:
        uow.customers.add(ada)
        uow.contacts.add(person)
        uow.touchpoints.add_many([_touchpoint(ada.id, external_id=str(i)) for i in range(3)])
        uow.commit()
    return store, ada, person


def test_memory_store_is_a_store() -> None:
    store: Store = MemoryStore()
    store.close()


def test_rollback_restores_every_table_and_index_exactly() -> None:
    store, ada, person = _populated()
    before = _state(store)
    grace = Customer.person("Grace", identities=[("crm", "2")], created_at=T0)
    with store.unit_of_work() as uow:
        uow.customers.add(grace)
        uow.customers.save(attrs.evolve(ada, identities=[("stripe", "3")], tags=["vip"]))
        uow.contacts.save(
            attrs.evolve(person, customer_id=grace.id, points=[ContactPoint.phone("+442079460018")])
        )
        uow.contacts.add(
            Contact(
                customer_id=ada.id,
                name="Other",
                created_at=T0,
                points=[ContactPoint.email("ada@example.com")],
            )
        )
        uow.consents.add(
            ConsentRecord(customer_id=ada.id, purpose="marketing", status="granted", recorded_at=T0)
        )
        uow.touchpoints.add_many([_touchpoint(grace.id, external_id=str(i)) for i in range(5)])
        uow.transactions.add_many([])
        assert _state(store) != before
    assert _state(store) == before


def test_explicit_rollback_keeps_earlier_commits() -> None:
    store, ada, _ = _populated()
    with store.unit_of_work() as uow:
        uow.customers.save(attrs.evolve(ada, name="Ada King"))
        uow.commit()
        committed = _state(store)
        uow.customers.add(Customer.person("Grace", created_at=T0))
        uow.rollback()
        assert _state(store) == committed


def test_undo_log_grows_with_the_work_not_with_the_store() -> None:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        for i in range(2000):
            uow.customers.add(Customer.person(f"Customer {i}", created_at=T0))
        uow.commit()
        uow.customers.add(Customer.person("One more", created_at=T0))
        assert len(uow._log) <= 3


def test_a_failed_add_changes_nothing_even_before_rollback() -> None:
    store, ada, _ = _populated()
    before = _state(store)
    clash = Customer.person("Grace", identities=[("crm", "9"), ("shopify", "1")], created_at=T0)
    with store.unit_of_work() as uow:
        with pytest.raises(ConflictError):
            uow.customers.add(clash)
        assert _state(store) == before
        with pytest.raises(NotFoundError):
            uow.touchpoints.add_many(
                [
                    _touchpoint(ada.id, external_id="new"),
                    _touchpoint(CustomerId(uuid7()), external_id="orphan"),
                ]
            )
        assert _state(store) == before


def test_earlier_chunks_stay_until_rollback() -> None:
    store, ada, _ = _populated()
    rows = [_touchpoint(ada.id, external_id=f"n{i}") for i in range(4)]
    rows.append(_touchpoint(CustomerId(uuid7()), external_id="orphan"))
    with store.unit_of_work() as uow:
        with pytest.raises(NotFoundError):
            uow.touchpoints.add_many(rows, chunk_size=2)
        assert uow.touchpoints.count() == 3 + 4
    with store.unit_of_work() as uow:
        assert uow.touchpoints.count() == 3


def test_units_of_work_run_one_at_a_time_across_threads() -> None:
    store = MemoryStore()
    holding, entered, release = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with store.unit_of_work():
            holding.set()
            release.wait(5)

    def second() -> None:
        holding.wait(5)
        with store.unit_of_work():
            entered.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert holding.wait(5)
    assert not entered.wait(0.2), "a second unit of work ran while the first was open"
    release.set()
    assert entered.wait(5)
    for thread in threads:
        thread.join(5)


def test_concurrent_read_modify_save_never_loses_an_update() -> None:
    store = MemoryStore()
    ada = Customer.person("Ada", attributes={"n": 0}, created_at=T0)
    with store.unit_of_work() as uow:
        uow.customers.add(ada)
        uow.commit()

    def bump() -> None:
        for _ in range(50):
            with store.unit_of_work() as uow:
                current = uow.customers.get(ada.id)
                uow.customers.save(attrs.evolve(current, attributes={"n": current.attributes["n"] + 1}))
                uow.commit()

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with store.unit_of_work() as uow:
        final = uow.customers.get(ada.id)
    assert (final.attributes["n"], final.version) == (400, 401)


def test_the_lock_is_released_when_the_block_raises() -> None:
    store = MemoryStore()
    with pytest.raises(RuntimeError), store.unit_of_work():
        raise RuntimeError("boom")
    done = threading.Event()

    def other() -> None:
        with store.unit_of_work():
            done.set()

    thread = threading.Thread(target=other)
    thread.start()
    assert done.wait(5)
    thread.join(5)


def test_nested_unit_of_work_in_the_same_thread_does_not_deadlock() -> None:
    store, ada, _ = _populated()
    with store.unit_of_work() as outer, store.unit_of_work() as inner:
        assert inner.customers.get(ada.id) == outer.customers.get(ada.id)
        inner.customers.save(attrs.evolve(ada, name="Ada King"))
        inner.commit()
    with store.unit_of_work() as uow:
        assert uow.customers.get(ada.id).name == "Ada King"


def test_nested_unit_of_work_is_refused_while_the_outer_has_pending_changes() -> None:
    store, _, _ = _populated()
    with store.unit_of_work() as outer:
        outer.customers.add(Customer.person("Grace", created_at=T0))
        with pytest.raises(ConfigurationError, match="uncommitted"):
            store.unit_of_work().__enter__()
        outer.commit()
        with store.unit_of_work() as inner:
            assert inner.customers.count() == 2
    done = threading.Event()
    thread = threading.Thread(target=lambda: _enter_and_flag(store, done))
    thread.start()
    assert done.wait(5), "the refused unit of work kept the store locked"
    thread.join(5)


def _enter_and_flag(store: MemoryStore, done: threading.Event) -> None:
    with store.unit_of_work():
        done.set()


def test_outer_unit_of_work_cannot_write_while_an_inner_one_is_open() -> None:
    store, ada, _ = _populated()
    before = _state(store)
    with store.unit_of_work() as outer, store.unit_of_work():
        with pytest.raises(ConfigurationError, match="inside this one"):
            outer.customers.save(attrs.evolve(ada, name="Outer"))
        with pytest.raises(ConfigurationError):
            outer.touchpoints.add_many([_touchpoint(ada.id)])
        assert outer.customers.get(ada.id) == ada
    assert _state(store) == before


def test_event_subscribers_may_write_through_their_own_unit_of_work() -> None:
    store, ada, _ = _populated()
    grace = Customer.person("Grace", created_at=T0)

    def subscriber(events: object) -> None:
        with store.unit_of_work() as uow:
            uow.touchpoints.add(_touchpoint(grace.id, external_id="welcome"))
            uow.commit()

    with store.unit_of_work(publish=subscriber) as uow:
        uow.customers.add(grace)
        uow.record(CustomerCreated(grace.id))
        uow.commit()
        uow.customers.save(attrs.evolve(ada, name="Rolled back"))
    with store.unit_of_work() as uow:
        assert uow.touchpoints.find_by_key("relcore", "welcome") is not None
        assert uow.customers.get(grace.id) == grace
        assert uow.customers.get(ada.id) == ada


def test_undo_log_reverses_each_kind_of_change() -> None:
    log = UndoLog()
    mapping: dict[str, int] = {"kept": 1, "gone": 2}
    items: list[int] = [1, 2, 3]
    ordered: list[int] = [10, 30]
    members: set[int] = {1}
    index: dict[str, set[int]] = {"a": {1}}
    lists: dict[str, list[int]] = {}
    log.put(mapping, "kept", 10)
    log.put(mapping, "new", 3)
    log.delete(mapping, "gone")
    log.append(items, 4)
    log.insort(ordered, 20)
    log.add_to_set(members, 2)
    log.add_to_set(members, 1)
    log.discard_from_set(members, 1)
    log.add_to_index(index, "b", 5)
    log.add_to_index(index, "a", 2)
    log.discard_from_index(index, "a", 1)
    log.discard_from_index(index, "a", 2)
    log.discard_from_index(index, "missing", 1)
    log.append_to_index(lists, "x", 1)
    log.append_to_index(lists, "x", 2)
    assert (mapping, items, ordered, members) == ({"kept": 10, "new": 3}, [1, 2, 3, 4], [10, 20, 30], {2})
    assert (index, lists) == ({"b": {5}}, {"x": [1, 2]})
    log.undo()
    assert (mapping, items, ordered, members) == ({"kept": 1, "gone": 2}, [1, 2, 3], [10, 30], {1})
    assert (index, lists) == ({"a": {1}}, {})
    assert len(log) == 0


def test_undo_log_forget_keeps_the_changes() -> None:
    log = UndoLog()
    mapping: dict[str, int] = {}
    log.put(mapping, "a", 1)
    log.forget()
    log.undo()
    assert mapping == {"a": 1}
