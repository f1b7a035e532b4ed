"""Contract of [`ContactRepository`][relcore.customers.ports.ContactRepository]."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from relcore.customers.contacts import Contact, ContactPoint, PostalAddress
from relcore.errors import ConflictError, NotFoundError, ValidationError
from relcore.ids import ContactId, CustomerId, uuid7
from relcore.registry import Store
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

__all__ = ["ContactRepositoryContract"]


def _every_kind_of_point() -> tuple[ContactPoint, ...]:
    address = PostalAddress(
        lines=("Flat 2", "10 Downing Street"),
        locality="London",
        postal_code="SW1A 2AA",
        region="Greater London",
        country="GB",
    )
    return (
        ContactPoint.email("Ada.Lovelace@Example.COM", primary=True, verified=True, label="work"),
        ContactPoint.email("ada@münchen.de", label="home"),
        ContactPoint.phone("020 7946 0018", region="GB", primary=True),
        ContactPoint.postal(address, label="office"),
        ContactPoint.social("Mastodon", "@ada", verified=True),
    )


class ContactRepositoryContract(ContractBase):
    """Contacts: get, add, save, per customer, lookups by e-mail and phone."""

    def test_contact_with_every_kind_of_point_round_trips(self, store: Store) -> None:
        ada = customer()
        person = Contact(
            customer_id=ada.id,
            name="Ada Lovelace ✓",
            role="buyer",
            points=_every_kind_of_point(),
            preferred_channel="email",
            language="en-GB",
            time_zone="Europe/London",
            created_at=T0,
        )
        stored(store, ada, person)
        assert in_unit(store, lambda uow: uow.contacts.get(person.id)) == person

    def test_get_missing_contact_raises_not_found(self, store: Store) -> None:
        missing = ContactId(uuid7())
        with pytest.raises(NotFoundError) as caught:
            in_unit(store, lambda uow: uow.contacts.get(missing))
        assert (caught.value.kind, caught.value.key) == ("contact", missing)

    def test_add_for_missing_customer_raises_not_found(self, store: Store) -> None:
        orphan = contact(CustomerId(uuid7()), "orphan@example.com")
        with pytest.raises(NotFoundError) as caught:
            in_unit(store, lambda uow: uow.contacts.add(orphan))
        assert (caught.value.kind, caught.value.key) == ("customer", orphan.customer_id)

    def test_add_with_stored_id_conflicts(self, store: Store) -> None:
        ada = customer()
        person = contact(ada.id, "ada@example.com")
        stored(store, ada, person)
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: uow.contacts.add(attrs.evolve(person, name="Other")))
        assert in_unit(store, lambda uow: uow.contacts.get(person.id)) == person

    def test_for_customer_lists_own_contacts_in_id_order(self, store: Store) -> None:
        ada, grace = customer(), customer("Grace Hopper")
        mine = [contact(ada.id, name=f"Person {i}") for i in range(4)]
        theirs = contact(grace.id, name="Theirs")
        stored(store, ada, grace, *reversed(mine), theirs)
        with store.unit_of_work() as uow:
            assert uow.contacts.for_customer(ada.id) == sorted(mine, key=lambda c: c.id)
            assert uow.contacts.for_customer(grace.id) == [theirs]
            assert uow.contacts.for_customer(CustomerId(uuid7())) == []

    def test_find_by_email_normalizes_and_ignores_case(self, store: Store) -> None:
        ada, grace = customer(), customer("Grace Hopper")
        first = contact(ada.id, "Ada@Example.com")
        second = contact(grace.id, "ADA@example.COM")
        other = contact(ada.id, "grace@example.com")
        stored(store, ada, grace, second, first, other)
        expected = sorted([first, second], key=lambda c: c.id)
        with store.unit_of_work() as uow:
            assert uow.contacts.find_by_email("ada@EXAMPLE.com") == expected
            assert uow.contacts.find_by_email("ADA@example.com") == expected
            assert uow.contacts.find_by_email("grace@example.com") == [other]
            assert uow.contacts.find_by_email("nobody@example.com") == []

    def test_find_by_email_matches_internationalized_domains(self, store: Store) -> None:
        ada = customer()
        person = contact(ada.id, "ada@münchen.de")
        stored(store, ada, person)
        assert in_unit(store, lambda uow: uow.contacts.find_by_email("Ada@MÜNCHEN.de")) == [person]

    @pytest.mark.parametrize("bad", ["not-an-email", "", "a@b@c"])
    def test_find_by_malformed_email_is_refused(self, store: Store, bad: str) -> None:
        with store.unit_of_work() as uow, pytest.raises(ValidationError):
            uow.contacts.find_by_email(bad)

    def test_find_by_phone_compares_e164(self, store: Store) -> None:
        ada = customer()
        person = contact(ada.id, points=[ContactPoint.phone("+44 20 7946 0018")])
        other = contact(ada.id, points=[ContactPoint.phone("+1 415 555 0123")])
        stored(store, ada, person, other)
        with store.unit_of_work() as uow:
            assert uow.contacts.find_by_phone("+442079460018") == [person]
            assert uow.contacts.find_by_phone("020 7946 0018", region="GB") == [person]
            assert uow.contacts.find_by_phone("(415) 555-0123", region="US") == [other]
            assert uow.contacts.find_by_phone("+33 1 23 45 67 89") == []

    @pytest.mark.parametrize(("bad", "region"), [("020 7946 0018", None), ("12", "GB"), ("phone", "GB")])
    def test_find_by_malformed_phone_is_refused(self, store: Store, bad: str, region: str | None) -> None:
        with store.unit_of_work() as uow, pytest.raises(ValidationError):
            uow.contacts.find_by_phone(bad, region=region)

    def test_save_bumps_version_and_updates_lookups(self, store_factory: StoreFactory) -> None:
        clock = FixedClock(T0 + timedelta(days=2))
        store = store_factory(clock=clock)
        ada = customer()
        person = contact(ada.id, "old@example.com")
        stored(store, ada, person)
        changed = person.with_points([ContactPoint.email("new@example.com", primary=True)])
        saved = in_unit(store, lambda uow: uow.contacts.save(changed))
        assert saved == attrs.evolve(changed, version=2, updated_at=clock.now)
        with store.unit_of_work() as uow:
            assert uow.contacts.get(person.id) == saved
            assert uow.contacts.find_by_email("old@example.com") == []
            assert uow.contacts.find_by_email("new@example.com") == [saved]

    def test_stale_save_conflicts(self, store: Store) -> None:
        ada = customer()
        person = contact(ada.id, "ada@example.com")
        stored(store, ada, person)
        saved = in_unit(store, lambda uow: uow.contacts.save(attrs.evolve(person, role="billing")))
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: uow.contacts.save(attrs.evolve(person, role="stale")))
        assert in_unit(store, lambda uow: uow.contacts.get(person.id)) == saved

    def test_save_missing_contact_raises_not_found(self, store: Store) -> None:
        ada = customer()
        stored(store, ada)
        with pytest.raises(NotFoundError):
            in_unit(store, lambda uow: uow.contacts.save(contact(ada.id)))

    def test_save_can_move_a_contact_to_another_customer(self, store: Store) -> None:
        ada, grace = customer(), customer("Grace Hopper")
        person = contact(ada.id, "shared@example.com")
        stored(store, ada, grace, person)
        moved = in_unit(store, lambda uow: uow.contacts.save(attrs.evolve(person, customer_id=grace.id)))
        with store.unit_of_work() as uow:
            assert uow.contacts.for_customer(ada.id) == []
            assert uow.contacts.for_customer(grace.id) == [moved]
            assert uow.contacts.find_by_email("shared@example.com") == [moved]

    def test_save_to_missing_customer_raises_not_found(self, store: Store) -> None:
        ada = customer()
        person = contact(ada.id)
        stored(store, ada, person)
        before = snapshot(store)
        with pytest.raises(NotFoundError):
            in_unit(store, lambda uow: uow.contacts.save(attrs.evolve(person, customer_id=uuid7())))
        assert snapshot(store) == before
