"""``crm.customers.import_customers``: the facade over the bulk import, its event and its arguments.

The storage semantics (idempotence, chunks, first holder wins) are the
customers' import contract (``CustomerImportContract``), run on every backend.
"""

from __future__ import annotations

import pytest

from relcore import CRM, Contact, Customer
from relcore.domain import ContactPoint, CustomersImported
from relcore.errors import ValidationError
from relcore.registry import Store
from relcore.testing.events import capture_events


def _feed(*numbers: int) -> list[tuple[Customer, list[Contact]]]:
    entries = []
    for n in numbers:
        customer = Customer.person(f"Customer {n}", identities=[("shop", str(n))])
        email = ContactPoint.email(f"c{n}@example.org", primary=True)
        entries.append((customer, [Contact(customer_id=customer.id, name=f"Contact {n}", points=[email])]))
    return entries


def test_one_event_per_import_with_its_counts(store: Store) -> None:
    crm = CRM(store)
    with capture_events(crm, CustomersImported) as events:
        assert crm.customers.import_customers(_feed(1, 2, 3), chunk_size=2) == 3
        assert crm.customers.import_customers(_feed(2, 3, 4, 5)) == 2
        assert crm.customers.import_customers(_feed(1, 2)) == 0  # nothing new: no event
    assert list(events) == [CustomersImported(3, 0), CustomersImported(2, 2)]
    assert crm.customers.list(limit=10).items == tuple(
        sorted((crm.customers.find("shop", str(n)) for n in range(1, 6)), key=lambda c: c.id)  # type: ignore[union-attr]
    )


def test_a_generator_is_consumed_once_and_lazily(store: Store) -> None:
    crm = CRM(store)
    read: list[int] = []

    def feed() -> object:
        for n in range(7):
            read.append(n)
            yield _feed(n)[0]

    assert crm.customers.import_customers(feed(), chunk_size=3) == 7  # type: ignore[arg-type]
    assert read == list(range(7))
    assert [c.name for c in crm.customers.find_contacts(email="c6@example.org")] == ["Contact 6"]


def test_a_bad_entry_late_in_the_stream_rolls_the_whole_import_back(store: Store) -> None:
    crm = CRM(store)
    entries: list[object] = [*_feed(1, 2, 3, 4, 5), "not a customer"]
    with pytest.raises(ValidationError) as caught:
        crm.customers.import_customers(entries, chunk_size=2)  # type: ignore[arg-type]
    assert caught.value.paths == ("customers[5]",)
    assert crm.customers.list().items == ()


@pytest.mark.parametrize("size", [0, -3, 1.5, True, "10"])
def test_a_bad_chunk_size_is_refused(size: object) -> None:
    crm = CRM.in_memory()
    with pytest.raises(ValidationError) as caught:
        crm.customers.import_customers(_feed(1), chunk_size=size)  # type: ignore[arg-type]
    assert caught.value.paths == ("chunk_size",)
    assert crm.customers.find("shop", "1") is None
