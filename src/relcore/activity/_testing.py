"""Contract of the touchpoint and transaction repositories: idempotent ingest and lists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from relcore.customers.model import Channel, Customer
from relcore.errors import ConflictError, NotFoundError, ValidationError
from relcore.ids import ContactId, CustomerId, uuid7
from relcore.registry import Store, UnitOfWork
from relcore.storage.base import MAX_PAGE_SIZE
from relcore.testing._contract_support import (
    ContractBase,
    contact,
    customer,
    in_unit,
    minutes,
    snapshot,
    stored,
)

__all__ = ["ActivityContract", "stored_state"]

Entry = Any
"""A touchpoint or a transaction (the shared tests treat them alike)."""


def big_payload() -> dict[str, Any]:
    """Return a JSON object of about 60 KiB, with Unicode and nesting."""
    line = "ünïcødé ✓ 日本語 text; "
    nested: dict[str, Any] = {"leaf": [1, 2.5, True, None, "x"]}
    for depth in range(10):
        nested = {f"level{depth}": nested}
    return {"text": line * (60_000 // len(line.encode("utf-8"))), "nested": nested, "n": -(2**62)}


def stored_state(uow: UnitOfWork, customers: list[Customer]) -> dict[str, object]:
    """Every customer's timeline, and how many touchpoints and transactions are stored."""
    return {
        "activity_counts": (uow.touchpoints.count(), uow.transactions.count()),
        "timelines": [uow.activity.timeline(c.id, limit=MAX_PAGE_SIZE) for c in customers],
    }


class ActivityContract(ContractBase):
    """What touchpoints and transactions share; subclasses say which one is tested."""

    kind: ClassVar[str]

    def repo(self, uow: UnitOfWork) -> Any:
        """Return the repository under test."""
        raise NotImplementedError

    def make(self, customer_id: CustomerId, **fields: Any) -> Entry:
        """Return a new entry of ``customer_id``."""
        raise NotImplementedError

    def _customer(self, store: Store) -> CustomerId:
        ada = customer()
        stored(store, ada)
        return ada.id

    def _add_many(self, store: Store, entries: Any, chunk_size: int = 2000) -> int:
        new: int = in_unit(store, lambda uow: self.repo(uow).add_many(entries, chunk_size=chunk_size))
        return new

    def _keys(self, store: Store, who: CustomerId) -> list[tuple[str, str | None]]:
        rows = in_unit(store, lambda uow: self.repo(uow).for_customer(who, limit=MAX_PAGE_SIZE))
        return sorted((r.source, r.external_id or "") for r in rows)

    def test_added_entry_reads_back_equal(self, store: Store) -> None:
        who = self._customer(store)
        entry = self.make(who, external_id="e-1")
        assert in_unit(store, lambda uow: self.repo(uow).add(entry)) is True
        assert in_unit(store, lambda uow: self.repo(uow).get(entry.id)) == entry

    @pytest.mark.parametrize("payload", [{}, big_payload()], ids=["empty", "60KiB"])
    def test_payload_round_trips(self, store: Store, payload: dict[str, Any]) -> None:
        who = self._customer(store)
        entry = self.make(who, payload=payload)
        stored(store, entry)
        assert in_unit(store, lambda uow: self.repo(uow).get(entry.id)).payload == payload

    def test_get_missing_raises_not_found(self, store: Store) -> None:
        missing = uuid7()
        with pytest.raises(NotFoundError) as caught:
            in_unit(store, lambda uow: self.repo(uow).get(missing))
        assert (caught.value.kind, caught.value.key) == (self.kind, missing)

    def test_add_for_missing_customer_raises_not_found(self, store: Store) -> None:
        orphan = self.make(CustomerId(uuid7()), external_id="e-1")
        with pytest.raises(NotFoundError) as caught:
            in_unit(store, lambda uow: self.repo(uow).add(orphan))
        assert (caught.value.kind, caught.value.key) == ("customer", orphan.customer_id)
        assert in_unit(store, lambda uow: self.repo(uow).count()) == 0

    def test_contact_must_exist(self, store: Store) -> None:
        ada = customer()
        person = contact(ada.id, "ada@example.com")
        stored(store, ada, person)
        known = self.make(ada.id, contact_id=person.id)
        assert in_unit(store, lambda uow: self.repo(uow).add(known))
        assert in_unit(store, lambda uow: self.repo(uow).get(known.id)).contact_id == person.id
        with pytest.raises(NotFoundError) as caught:
            in_unit(store, lambda uow: self.repo(uow).add(self.make(ada.id, contact_id=ContactId(uuid7()))))
        assert caught.value.kind == "contact"

    def test_same_key_again_is_not_new(self, store: Store) -> None:
        who = self._customer(store)
        first = self.make(who, source="feed", external_id="42", occurred_at=minutes(1))
        again = self.make(who, source="feed", external_id="42", occurred_at=minutes(2))
        assert in_unit(store, lambda uow: self.repo(uow).add(first)) is True
        assert in_unit(store, lambda uow: self.repo(uow).add(again)) is False
        assert in_unit(store, lambda uow: self.repo(uow).add(first)) is False
        with store.unit_of_work() as uow:
            assert self.repo(uow).find_by_key("feed", "42") == first
            assert self.repo(uow).count() == 1
            with pytest.raises(NotFoundError):
                self.repo(uow).get(again.id)

    def test_entries_without_external_id_are_always_new(self, store: Store) -> None:
        who = self._customer(store)
        assert in_unit(store, lambda uow: self.repo(uow).add(self.make(who, source="feed")))
        assert in_unit(store, lambda uow: self.repo(uow).add(self.make(who, source="feed")))
        assert self._add_many(store, [self.make(who, source="feed") for _ in range(3)]) == 3
        assert in_unit(store, lambda uow: self.repo(uow).count()) == 5

    def test_key_is_source_and_external_id(self, store: Store) -> None:
        who = self._customer(store)
        a, b = self.make(who, source="a", external_id="1"), self.make(who, source="b", external_id="1")
        assert self._add_many(store, [a, b]) == 2
        with store.unit_of_work() as uow:
            assert self.repo(uow).find_by_key("a", "1") == a
            assert self.repo(uow).find_by_key("b", "1") == b
            assert self.repo(uow).find_by_key("a", "2") is None
            assert self.repo(uow).find_by_key("c", "1") is None

    def test_stored_id_with_another_key_conflicts(self, store: Store) -> None:
        who = self._customer(store)
        entry = self.make(who, external_id="1")
        stored(store, entry)
        before = snapshot(store)
        clash = self.make(who, id=entry.id, external_id="2")
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: self.repo(uow).add(clash))
        with pytest.raises(ConflictError):
            self._add_many(store, [self.make(who, external_id="3"), clash])
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: self.repo(uow).add(self.make(who, id=entry.id)))
        assert snapshot(store) == before

    def test_repeated_id_within_a_batch_conflicts(self, store: Store) -> None:
        who = self._customer(store)
        before = snapshot(store)
        first = self.make(who, external_id="1")
        with pytest.raises(ConflictError):
            self._add_many(store, [first, self.make(who, id=first.id, external_id="2")])
        assert snapshot(store) == before

    def test_resending_a_batch_changes_nothing(self, store: Store) -> None:
        who = self._customer(store)
        batch = [self.make(who, external_id=str(i), occurred_at=minutes(i)) for i in range(10)]
        assert self._add_many(store, batch) == 10
        before = snapshot(store)
        assert self._add_many(store, batch) == 0
        assert self._add_many(store, [self.make(who, external_id=str(i)) for i in range(10)]) == 0
        assert snapshot(store) == before

    def test_duplicates_within_a_batch_count_once_and_first_wins(self, store: Store) -> None:
        who = self._customer(store)
        first = self.make(who, external_id="dup", occurred_at=minutes(1))
        later = self.make(who, external_id="dup", occurred_at=minutes(2))
        other = self.make(who, external_id="other")
        assert self._add_many(store, [first, later, other, first]) == 2
        with store.unit_of_work() as uow:
            assert self.repo(uow).find_by_key("contract", "dup") == first
            assert self.repo(uow).count() == 2

    def test_mixture_of_new_and_stored_counts_only_new(self, store: Store) -> None:
        who = self._customer(store)
        old = [self.make(who, external_id=f"old-{i}") for i in range(3)]
        assert self._add_many(store, old) == 3
        new = [self.make(who, external_id=f"new-{i}") for i in range(4)]
        assert self._add_many(store, [old[0], new[0], old[1], new[1], new[2], old[2], new[3]]) == 4
        assert in_unit(store, lambda uow: self.repo(uow).count()) == 7

    def test_add_many_takes_a_generator(self, store: Store) -> None:
        who = self._customer(store)

        def feed() -> Iterator[Entry]:
            for i in range(25):
                yield self.make(who, external_id=str(i % 20), occurred_at=minutes(i))

        assert self._add_many(store, feed(), chunk_size=7) == 20
        assert self._keys(store, who) == sorted(("contract", str(i)) for i in range(20))

    @pytest.mark.parametrize("chunk_size", [1, 2, 3, 2000])
    def test_chunk_boundaries_do_not_change_the_outcome(self, store: Store, chunk_size: int) -> None:
        who = self._customer(store)
        stored(store, self.make(who, external_id="k0"))
        keys = ["k1", "k2", "k1", None, "k3", "k0", "k2", None, "k4", "k4", "k3", "k5"]
        batch = [self.make(who, external_id=k, occurred_at=minutes(i)) for i, k in enumerate(keys)]
        assert self._add_many(store, batch, chunk_size=chunk_size) == 7
        with store.unit_of_work() as uow:
            assert self.repo(uow).count() == 8
            assert self.repo(uow).find_by_key("contract", "k2") == batch[1]
            assert self.repo(uow).find_by_key("contract", "k4") == batch[8]

    def test_empty_batch_adds_nothing(self, store: Store) -> None:
        self._customer(store)
        assert self._add_many(store, []) == 0
        assert self._add_many(store, iter(())) == 0

    @pytest.mark.parametrize("chunk_size", [0, -1])
    def test_add_many_refuses_a_bad_chunk_size(self, store: Store, chunk_size: int) -> None:
        who = self._customer(store)
        with pytest.raises(ValidationError):
            self._add_many(store, [self.make(who, external_id="1")], chunk_size=chunk_size)
        assert in_unit(store, lambda uow: self.repo(uow).count()) == 0

    def test_add_many_for_missing_customer_raises_not_found(self, store: Store) -> None:
        who = self._customer(store)
        before = snapshot(store)
        batch = [self.make(who, external_id="1"), self.make(CustomerId(uuid7()), external_id="2")]
        with pytest.raises(NotFoundError) as caught:
            self._add_many(store, batch)
        assert caught.value.kind == "customer"
        assert snapshot(store) == before

    def test_for_customer_is_newest_first_with_ties_by_id(self, store: Store) -> None:
        ada, grace = customer(), customer("Grace Hopper")
        stored(store, ada, grace)
        ms = int(minutes(5).timestamp() * 1000)
        tied = [self.make(ada.id, id=uuid7(ms), occurred_at=minutes(5)) for _ in range(4)]
        old, new = self.make(ada.id, occurred_at=minutes(1)), self.make(ada.id, occurred_at=minutes(9))
        self._add_many(store, [old, tied[2], new, tied[0], self.make(grace.id), tied[3], tied[1]])
        expected = [new, *sorted(tied, key=lambda e: e.id, reverse=True), old]
        with store.unit_of_work() as uow:
            assert self.repo(uow).for_customer(ada.id) == expected
            assert self.repo(uow).for_customer(ada.id, limit=2) == expected[:2]
            assert self.repo(uow).for_customer(CustomerId(uuid7())) == []

    def test_for_customer_time_window_is_half_open(self, store: Store) -> None:
        who = self._customer(store)
        entries = [self.make(who, occurred_at=minutes(i)) for i in range(6)]
        self._add_many(store, entries)
        with store.unit_of_work() as uow:
            got = self.repo(uow).for_customer(who, since=minutes(1), until=minutes(4))
            assert got == [entries[3], entries[2], entries[1]]
            assert self.repo(uow).for_customer(who, since=minutes(5)) == [entries[5]]
            assert self.repo(uow).for_customer(who, until=minutes(1)) == [entries[0]]
            assert self.repo(uow).for_customer(who, since=minutes(4), until=minutes(4)) == []

    def test_for_customer_filters_channels(self, store: Store) -> None:
        who = self._customer(store)
        web, sms, email = (
            self.make(who, channel=c, occurred_at=minutes(i)) for i, c in enumerate(["web", "sms", "email"])
        )
        self._add_many(store, [web, sms, email])
        with store.unit_of_work() as uow:
            assert self.repo(uow).for_customer(who, channels=["web", Channel.EMAIL]) == [email, web]
            assert self.repo(uow).for_customer(who, channels=("sms",)) == [sms]
            assert self.repo(uow).for_customer(who, channels=[]) == []
            assert self.repo(uow).for_customer(who, channels=["fax"]) == []

    @pytest.mark.parametrize(
        "bad",
        [
            {"limit": 0},
            {"limit": MAX_PAGE_SIZE + 1},
            {"channels": ["Pigeon post"]},
            {"since": minutes(0).replace(tzinfo=None)},
            {"until": minutes(0).replace(tzinfo=None)},
        ],
        ids=["limit-0", "limit-too-big", "malformed-channel", "naive-since", "naive-until"],
    )
    def test_for_customer_refuses_bad_arguments(self, store: Store, bad: dict[str, Any]) -> None:
        who = self._customer(store)
        with store.unit_of_work() as uow, pytest.raises(ValidationError):
            self.repo(uow).for_customer(who, **bad)

    def test_largest_limit_is_accepted(self, store: Store) -> None:
        who = self._customer(store)
        entry = self.make(who)
        stored(store, entry)
        assert in_unit(store, lambda uow: self.repo(uow).for_customer(who, limit=MAX_PAGE_SIZE)) == [entry]

    def test_count_spans_customers(self, store: Store) -> None:
        ada, grace = customer(), customer("Grace Hopper")
        stored(store, ada, grace)
        self._add_many(store, [self.make(ada.id), self.make(grace.id), self.make(grace.id)])
        assert in_unit(store, lambda uow: self.repo(uow).count()) == 3
