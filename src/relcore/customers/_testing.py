"""Contract of [`CustomerRepository`][relcore.customers.ports.CustomerRepository]."""

from __future__ import annotations

from datetime import timedelta, timezone

import attrs
import pytest

from relcore.customers.model import Customer, Identity
from relcore.errors import ConflictError, NotFoundError, ValidationError
from relcore.ids import CustomerId, uuid7
from relcore.registry import Store, UnitOfWork
from relcore.storage.base import MAX_PAGE_SIZE, Page
from relcore.testing._contract_support import (
    T0,
    ContractBase,
    FixedClock,
    StoreFactory,
    customer,
    in_unit,
    snapshot,
    stored,
)

__all__ = ["CustomerRepositoryContract", "stored_state"]


def stored_state(uow: UnitOfWork, customers: list[Customer]) -> dict[str, object]:
    """Everything stored about the customers and their contacts (``customers`` is every customer)."""
    return {
        "customer_count": uow.customers.count(),
        "customers": customers,
        "contacts": [uow.contacts.for_customer(c.id) for c in customers],
    }


class CustomerRepositoryContract(ContractBase):
    """Customers: get, add, version-checked save, identities, keyset pages, count."""

    def test_added_customer_reads_back_equal(self, store: Store) -> None:
        ada = customer()
        stored(store, ada)
        assert in_unit(store, lambda uow: uow.customers.get(ada.id)) == ada

    def test_rich_customer_round_trips_exactly(self, store: Store) -> None:
        tokyo = timezone(timedelta(hours=9))
        acme = Customer.organization(
            "Åcme 株式会社 🚀",
            stage="customer",
            roles=["customer", "partner", "franchisee"],  # a declared role is text, stored as such
            tags=["vip", "région:île-de-france", "b2b"],
            attributes={
                "tier": "gold",
                "seats": 250,
                "ratio": 0.25,
                "flags": [True, False, None],
                "nested": {"説明": "テスト", "list": [1, 2.5, "x"]},
                "big": 2**53 + 1,
            },
            identities=[("shopify", "8213"), ("stripe", "cus_ÄÖ")],
            country="jp",
            created_at=T0.astimezone(tokyo),
        )
        stored(store, acme)
        got = in_unit(store, lambda uow: uow.customers.get(acme.id))
        assert got == acme
        assert got.created_at.utcoffset() == timedelta(0)
        assert got.updated_at == T0

    def test_identities_come_back_in_canonical_order(self, store: Store) -> None:
        ada = customer(identities=[("zendesk", "9"), ("crm", "1"), ("shopify", "5")])
        stored(store, ada)
        got = in_unit(store, lambda uow: uow.customers.get(ada.id))
        assert got.identities == ada.identities
        assert [i.namespace for i in got.identities] == ["crm", "shopify", "zendesk"]

    def test_get_missing_customer_raises_not_found(self, store: Store) -> None:
        missing = CustomerId(uuid7())
        with pytest.raises(NotFoundError) as caught:
            in_unit(store, lambda uow: uow.customers.get(missing))
        assert caught.value.kind == "customer"
        assert caught.value.key == missing
        assert isinstance(caught.value, LookupError)

    def test_add_with_stored_id_conflicts(self, store: Store) -> None:
        ada = customer()
        stored(store, ada)
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: uow.customers.add(attrs.evolve(ada, name="Someone Else")))
        assert in_unit(store, lambda uow: uow.customers.get(ada.id)).name == "Ada Lovelace"

    def test_identity_is_unique_across_customers_on_add(self, store: Store) -> None:
        ada = customer(identities=[("shopify", "1")])
        stored(store, ada)
        before = snapshot(store)
        grace = customer("Grace Hopper", identities=[("crm", "7"), ("shopify", "1")])
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: uow.customers.add(grace))
        assert snapshot(store) == before
        assert in_unit(store, lambda uow: uow.customers.find_by_identity("crm", "7")) is None

    def test_same_value_in_another_namespace_is_no_conflict(self, store: Store) -> None:
        ada = customer(identities=[("shopify", "1")])
        grace = customer("Grace Hopper", identities=[("stripe", "1")])
        stored(store, ada, grace)
        assert in_unit(store, lambda uow: uow.customers.find_by_identity("stripe", "1")) == grace

    def test_identity_is_unique_across_customers_on_save(self, store: Store) -> None:
        ada = customer(identities=[("shopify", "1")])
        grace = customer("Grace Hopper")
        stored(store, ada, grace)
        taken = attrs.evolve(grace, identities=[Identity("shopify", "1")])
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: uow.customers.save(taken))
        assert in_unit(store, lambda uow: uow.customers.find_by_identity("shopify", "1")) == ada

    def test_find_by_identity(self, store: Store) -> None:
        ada = customer(identities=[("shopify", "8213"), ("stripe", "cus_1")])
        stored(store, ada, customer("Grace Hopper"))
        with store.unit_of_work() as uow:
            assert uow.customers.find_by_identity("shopify", "8213") == ada
            assert uow.customers.find_by_identity("stripe", "cus_1") == ada
            assert uow.customers.find_by_identity("shopify", "cus_1") is None
            assert uow.customers.find_by_identity("shopify", "82130") is None

    def test_save_bumps_version_and_stamps_updated_at(self, store_factory: StoreFactory) -> None:
        clock = FixedClock(T0 + timedelta(days=1))
        store = store_factory(clock=clock)
        ada = customer()
        stored(store, ada)
        changed = attrs.evolve(ada, name="Ada King", stage="customer", tags=frozenset({"vip"}))
        saved = in_unit(store, lambda uow: uow.customers.save(changed))
        assert saved == attrs.evolve(changed, version=2, updated_at=clock.now)
        assert in_unit(store, lambda uow: uow.customers.get(ada.id)) == saved
        later = clock.advance(timedelta(hours=1))
        again = in_unit(store, lambda uow: uow.customers.save(attrs.evolve(saved, country="GB")))
        assert (again.version, again.updated_at, again.created_at) == (3, later, T0)

    def test_second_writer_with_same_read_conflicts(self, store: Store) -> None:
        ada = customer()
        stored(store, ada)
        first_read = in_unit(store, lambda uow: uow.customers.get(ada.id))
        second_read = in_unit(store, lambda uow: uow.customers.get(ada.id))
        in_unit(store, lambda uow: uow.customers.save(attrs.evolve(first_read, name="First")))
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: uow.customers.save(attrs.evolve(second_read, name="Second")))
        got = in_unit(store, lambda uow: uow.customers.get(ada.id))
        assert (got.name, got.version) == ("First", 2)

    def test_stale_save_after_successful_save_conflicts(self, store: Store) -> None:
        ada = customer()
        stored(store, ada)
        saved = in_unit(store, lambda uow: uow.customers.save(attrs.evolve(ada, name="Ada King")))
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: uow.customers.save(attrs.evolve(ada, name="Stale")))
        ahead = attrs.evolve(saved, version=saved.version + 1, name="From the future")
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: uow.customers.save(ahead))
        assert in_unit(store, lambda uow: uow.customers.get(ada.id)) == saved

    def test_save_missing_customer_raises_not_found(self, store: Store) -> None:
        with pytest.raises(NotFoundError):
            in_unit(store, lambda uow: uow.customers.save(customer()))
        assert in_unit(store, lambda uow: uow.customers.count()) == 0

    def test_save_moves_identities(self, store: Store) -> None:
        ada = customer(identities=[("shopify", "1"), ("crm", "2")])
        stored(store, ada)
        changed = attrs.evolve(ada, identities=[Identity("crm", "2"), Identity("stripe", "3")])
        saved = in_unit(store, lambda uow: uow.customers.save(changed))
        with store.unit_of_work() as uow:
            assert uow.customers.find_by_identity("shopify", "1") is None
            assert uow.customers.find_by_identity("crm", "2") == saved
            assert uow.customers.find_by_identity("stripe", "3") == saved
        grace = customer("Grace Hopper", identities=[("shopify", "1")])
        stored(store, grace)
        assert in_unit(store, lambda uow: uow.customers.find_by_identity("shopify", "1")) == grace

    def test_pages_cover_every_customer_once_in_id_order(self, store: Store) -> None:
        people = [customer(f"Customer {i}") for i in range(23)]
        stored(store, *people)
        seen: list[Customer] = []
        pages = 0
        after = None
        with store.unit_of_work() as uow:
            while True:
                page = uow.customers.list(after=after, limit=5)
                pages += 1
                assert len(page.items) <= 5
                seen.extend(page.items)
                if page.next_after is None:
                    break
                assert page.next_after == page.items[-1].id
                after = page.next_after
        assert pages == 5
        assert seen == sorted(people, key=lambda c: c.id)

    def test_last_full_page_has_no_next(self, store: Store) -> None:
        people = [customer(f"Customer {i}") for i in range(10)]
        stored(store, *people)
        ids = sorted(c.id for c in people)
        with store.unit_of_work() as uow:
            first = uow.customers.list(limit=5)
            assert [c.id for c in first.items] == ids[:5]
            assert first.next_after == ids[4]
            second = uow.customers.list(after=first.next_after, limit=5)
            assert [c.id for c in second.items] == ids[5:]
            assert second.next_after is None
            assert uow.customers.list(limit=MAX_PAGE_SIZE).next_after is None
            assert uow.customers.list(after=ids[-1]) == Page((), None)

    def test_page_after_an_unstored_id(self, store: Store) -> None:
        early, late = CustomerId(uuid7(1_700_000_000_000)), CustomerId(uuid7(1_800_000_000_000))
        a, b = customer("A"), customer("B")
        stored(store, attrs.evolve(a, id=early), attrs.evolve(b, id=late))
        between = uuid7(1_750_000_000_000)
        page = in_unit(store, lambda uow: uow.customers.list(after=between, limit=10))
        assert [c.id for c in page.items] == [late]
        assert page.next_after is None

    def test_empty_store_lists_nothing(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            assert uow.customers.list() == Page((), None)
            assert uow.customers.count() == 0

    @pytest.mark.parametrize("limit", [0, -1, MAX_PAGE_SIZE + 1])
    def test_list_refuses_a_bad_limit(self, store: Store, limit: int) -> None:
        with store.unit_of_work() as uow, pytest.raises(ValidationError):
            uow.customers.list(limit=limit)

    def test_count(self, store: Store) -> None:
        stored(store, *(customer(f"Customer {i}") for i in range(4)))
        assert in_unit(store, lambda uow: uow.customers.count()) == 4

    def test_ids_lists_every_customer_in_id_order(self, store: Store) -> None:
        assert in_unit(store, lambda uow: list(uow.customers.ids()), commit=False) == []
        people = [customer(f"Customer {i}") for i in range(7)]
        stored(store, *reversed(people))
        listed = in_unit(store, lambda uow: list(uow.customers.ids()), commit=False)
        assert listed == sorted(p.id for p in people)
