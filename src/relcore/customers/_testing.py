"""Contract of [`CustomerRepository`][relcore.customers.ports.CustomerRepository]."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta, timezone

import attrs
import pytest

from relcore.customers.contacts import Contact, ContactPoint, PostalAddress
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
    contact,
    customer,
    in_unit,
    snapshot,
    stored,
)

__all__ = ["CustomerImportContract", "CustomerRepositoryContract", "stored_state"]


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


def _feed(*names: str, namespace: str = "feed") -> list[tuple[Customer, list[Contact]]]:
    """One ``(customer, [contact])`` entry per name, identified in ``namespace`` by the name."""
    entries: list[tuple[Customer, list[Contact]]] = []
    for name in names:
        who = customer(name, identities=[(namespace, name)])
        address = f"{name.lower().replace(' ', '.')}@example.org"
        entries.append((who, [contact(who.id, address, name=name)]))
    return entries


def _import(store: Store, entries: object, chunk_size: int = 2000) -> int:
    new: int = in_unit(store, lambda uow: uow.customers.add_many(entries, chunk_size=chunk_size))  # type: ignore[arg-type]
    return new


class CustomerImportContract(ContractBase):
    """Customers: idempotent bulk ``add_many`` of customers with their contacts."""

    def test_imported_customers_are_stored_with_contacts_and_identities(self, store: Store) -> None:
        entries = _feed("Ada", "Grace", "Alan")
        assert _import(store, entries) == 3
        with store.unit_of_work() as uow:
            assert uow.customers.count() == 3
            for who, people in entries:
                assert uow.customers.find_by_identity("feed", who.name) == who
                assert uow.customers.get(who.id) == who
                assert uow.contacts.for_customer(who.id) == people
            assert uow.contacts.find_by_email("GRACE@example.org") == entries[1][1]

    def test_rich_customers_round_trip_exactly(self, store: Store) -> None:
        acme = Customer.organization(
            "Åcme 株式会社",
            stage="customer",
            roles=["customer", "partner", "franchisee"],
            tags=["vip", "b2b"],
            attributes={"tier": "gold", "nested": {"説明": [1, 2.5, None, True]}, "big": 2**53 + 1},
            identities=[("shopify", "8213"), ("stripe", "cus_ÄÖ")],
            country="jp",
            created_at=T0,
        )
        buyer = Contact(
            customer_id=acme.id,
            name="Grace Hopper",
            role="buyer",
            points=[
                ContactPoint.email("grace@example.org", primary=True, verified=True),
                ContactPoint.phone("+44 20 7946 0000", label="office"),
                ContactPoint.postal(PostalAddress(lines=["1 Main St"], locality="Paris", country="FR")),
            ],
            preferred_channel="email",
            language="en-GB",
            time_zone="Europe/London",
            created_at=T0,
        )
        billing = contact(acme.id, name="Billing", role="billing")
        bare = customer("Bare")  # a customer alone, with no contacts and no identity
        assert _import(store, [(acme, [buyer, billing]), bare]) == 2
        with store.unit_of_work() as uow:
            assert uow.customers.get(acme.id) == acme
            assert uow.customers.get(bare.id) == bare
            assert uow.contacts.for_customer(acme.id) == sorted([buyer, billing], key=lambda c: c.id)
            assert uow.contacts.for_customer(bare.id) == []
            assert uow.contacts.find_by_phone("+442079460000") == [buyer]

    def test_sending_the_same_feed_again_adds_nothing(self, store: Store) -> None:
        assert _import(store, _feed("Ada", "Grace", "Alan")) == 3
        before = snapshot(store)
        # a feed rebuilds its objects: new ids, same identities
        assert _import(store, _feed("Ada", "Grace", "Alan")) == 0
        assert snapshot(store) == before

    def test_a_stored_id_is_skipped(self, store: Store) -> None:
        entries: list[tuple[Customer, list[Contact]]] = [(customer("No Identity"), [])]
        assert _import(store, entries) == 1
        assert _import(store, entries) == 0
        assert in_unit(store, lambda uow: uow.customers.count()) == 1

    def test_partial_overlap_adds_only_the_new_customers(self, store: Store) -> None:
        old = _feed("Ada", "Grace")
        assert _import(store, old) == 2
        again = _feed("Grace", "Alan", "Ada", "Barbara")
        assert _import(store, again) == 2
        with store.unit_of_work() as uow:
            assert uow.customers.count() == 4
            assert uow.customers.find_by_identity("feed", "Grace") == old[1][0]
            assert uow.contacts.for_customer(again[0][0].id) == []  # skipped with its customer
            assert uow.customers.find_by_identity("feed", "Barbara") == again[3][0]
            assert uow.contacts.for_customer(again[3][0].id) == again[3][1]

    def test_a_customer_holding_any_stored_identity_is_skipped(self, store: Store) -> None:
        ada = customer("Ada", identities=[("shop", "1")])
        assert _import(store, [ada]) == 1
        both = customer("Ada Again", identities=[("crm", "9"), ("shop", "1")])
        assert _import(store, [both]) == 0
        assert in_unit(store, lambda uow: uow.customers.find_by_identity("crm", "9")) is None

    def test_identities_are_compared_exactly(self, store: Store) -> None:
        values = ["a1", "A1", "a1 ", "á1"]
        assert _import(store, [customer(v, identities=[("shop", v)]) for v in values]) == 4
        assert _import(store, [customer(f"again {v}", identities=[("shop", v)]) for v in values]) == 0
        with store.unit_of_work() as uow:
            assert [uow.customers.find_by_identity("shop", v).name for v in values] == values  # type: ignore[union-attr]

    def test_inside_one_call_the_first_holder_of_an_identity_wins(self, store: Store) -> None:
        first = customer("First", identities=[("shop", "1")])
        second = customer("Second", identities=[("shop", "1"), ("crm", "2")])
        third = customer("Third", identities=[("crm", "2")])  # "crm 2" was never stored: third is new
        entries = [(first, []), (second, [contact(second.id, "second@example.org")]), (third, [])]
        assert _import(store, entries) == 2
        with store.unit_of_work() as uow:
            assert uow.customers.find_by_identity("shop", "1") == first
            assert uow.customers.find_by_identity("crm", "2") == third
            assert uow.contacts.for_customer(second.id) == []
            assert uow.contacts.find_by_email("second@example.org") == []

    @pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 2000])
    def test_chunks_change_nothing(self, store: Store, chunk_size: int) -> None:
        entries = _feed("A", "B", "C", "D", "E")
        twin = customer("B Twin", identities=[("feed", "B")])  # the same identity in a later chunk
        assert _import(store, [*entries[:3], (twin, []), *entries[3:]], chunk_size=chunk_size) == 5
        with store.unit_of_work() as uow:
            assert uow.customers.count() == 5
            assert uow.customers.find_by_identity("feed", "B") == entries[1][0]
            assert [uow.contacts.for_customer(c.id) for c, _ in entries] == [p for _, p in entries]

    def test_a_generator_is_read_in_chunks(self, store: Store) -> None:
        def feed() -> Iterator[tuple[Customer, list[Contact]]]:
            yield from _feed(*(f"Customer {i}" for i in range(11)))

        assert _import(store, feed(), chunk_size=2) == 11
        assert _import(store, []) == 0
        assert _import(store, iter(())) == 0

    @pytest.mark.parametrize(
        ("bad", "path"),
        [
            ("not a customer", "customers[3]"),
            ((None, []), "customers[3][0]"),
            ((customer("X"), None), "customers[3].contacts"),
            ((customer("X"), [None]), "customers[3].contacts[0]"),
            ((customer("X"), [contact(CustomerId(uuid7()))]), "customers[3].contacts[0].customer_id"),
        ],
    )
    def test_a_bad_entry_writes_nothing(self, store: Store, bad: object, path: str) -> None:
        before = snapshot(store)
        entries = [*_feed("A", "B", "C"), bad, *_feed("D")]
        with pytest.raises(ValidationError) as caught:
            _import(store, entries, chunk_size=2)
        assert caught.value.paths == (path,)
        assert snapshot(store) == before

    def test_a_bad_argument_is_refused(self, store: Store) -> None:
        for bad, path in (("Ada", "customers"), (42, "customers")):
            with pytest.raises(ValidationError) as caught:
                _import(store, bad)
            assert caught.value.paths == (path,)
        for size in (0, -1, True):
            with pytest.raises(ValidationError) as caught:
                _import(store, _feed("A"), chunk_size=size)
            assert caught.value.paths == ("chunk_size",)
        assert in_unit(store, lambda uow: uow.customers.count()) == 0

    def test_a_stored_contact_id_of_a_new_customer_conflicts(self, store: Store) -> None:
        entries = _feed("Ada")
        assert _import(store, entries) == 1
        before = snapshot(store)
        newcomer = customer("Newcomer", identities=[("feed", "Newcomer")])
        reused = attrs.evolve(entries[0][1][0], customer_id=newcomer.id)
        with pytest.raises(ConflictError):
            _import(store, [*_feed("B"), (newcomer, [reused])])
        assert snapshot(store) == before
