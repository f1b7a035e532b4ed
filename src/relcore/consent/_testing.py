"""Contract of [`ConsentRepository`][relcore.consent.ports.ConsentRepository]."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import attrs
import pytest

from relcore.consent.model import ConsentRecord, Purpose
from relcore.customers.model import Customer
from relcore.errors import ConflictError, NotFoundError, ValidationError
from relcore.ids import ConsentId, CustomerId, uuid7
from relcore.registry import Store, UnitOfWork
from relcore.testing._contract_support import (
    ContractBase,
    consent,
    customer,
    in_unit,
    minutes,
    stored,
)

__all__ = ["ConsentContract", "new_record", "stored_state"]


def stored_state(uow: UnitOfWork, customers: list[Customer]) -> dict[str, object]:
    """Every customer's consent ledger."""
    return {"consents": [uow.consents.for_customer(c.id) for c in customers]}


class ConsentContract(ContractBase):
    """The consent ledger: append, read oldest first, and answer ``may_contact``."""

    def test_record_with_every_field_round_trips(self, store: Store) -> None:
        ada = customer()
        paris = timezone(timedelta(hours=2))
        record = consent(
            ada.id,
            purpose=Purpose.PROFILING,
            channel="sms",
            status="granted",
            recorded_at=minutes(5).astimezone(paris),
            expires_at=minutes(60 * 24 * 365),
            source="signup-form ✉",
            notice_version="2024-05",
        )
        stored(store, ada, record)
        [got] = in_unit(store, lambda uow: uow.consents.for_customer(ada.id))
        assert got == record
        assert got.recorded_at.utcoffset() == timedelta(0)

    def test_ledger_is_oldest_first_with_ties_by_id(self, store: Store) -> None:
        ada, grace = customer(), customer("Grace Hopper")
        ms = int(minutes(10).timestamp() * 1000)
        tied = [consent(ada.id, id=ConsentId(uuid7(ms)), recorded_at=minutes(10)) for _ in range(3)]
        early = consent(ada.id, recorded_at=minutes(1), status="denied")
        late = consent(ada.id, recorded_at=minutes(20), status="withdrawn")
        theirs = consent(grace.id)
        stored(store, ada, grace, late, *tied, theirs, early)
        expected = [early, *sorted(tied, key=lambda r: r.id), late]
        with store.unit_of_work() as uow:
            assert uow.consents.for_customer(ada.id) == expected
            assert uow.consents.for_customer(grace.id) == [theirs]
            assert uow.consents.for_customer(CustomerId(uuid7())) == []

    def test_add_for_missing_customer_raises_not_found(self, store: Store) -> None:
        orphan = consent(CustomerId(uuid7()))
        with pytest.raises(NotFoundError) as caught:
            in_unit(store, lambda uow: uow.consents.add(orphan))
        assert (caught.value.kind, caught.value.key) == ("customer", orphan.customer_id)

    def test_add_with_stored_id_conflicts(self, store: Store) -> None:
        ada = customer()
        record = consent(ada.id)
        stored(store, ada, record)
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: uow.consents.add(attrs.evolve(record, status="denied")))
        assert in_unit(store, lambda uow: uow.consents.for_customer(ada.id)) == [record]

    def test_may_contact_follows_the_latest_answer(self, store: Store) -> None:
        ada = customer()
        stored(
            store,
            ada,
            consent(ada.id, recorded_at=minutes(0), status="granted"),
            consent(ada.id, recorded_at=minutes(30), status="withdrawn"),
            consent(
                ada.id, recorded_at=minutes(0), channel=None, purpose="analytics", expires_at=minutes(60)
            ),
        )
        with store.unit_of_work() as uow:

            def may(purpose: str, channel: str, at: float) -> bool:
                return uow.consents.may_contact(ada.id, purpose, channel, minutes(at))

            assert not may("marketing", "email", -1)
            assert may("marketing", "email", 0)
            assert may("marketing", "email", 29)
            assert not may("marketing", "email", 30)
            assert not may("marketing", "sms", 10)
            assert may("analytics", "sms", 59)
            assert may("analytics", "web", 10)
            assert not may("analytics", "web", 60)
            assert not may("service", "email", 10)

    def test_may_contact_without_a_ledger_is_no(self, store: Store) -> None:
        ada = customer()
        stored(store, ada)
        with store.unit_of_work() as uow:
            assert not uow.consents.may_contact(ada.id, "marketing", "email", minutes(0))
            assert not uow.consents.may_contact(CustomerId(uuid7()), "marketing", "email", minutes(0))

    def test_ledgers_of_customers_do_not_mix(self, store: Store) -> None:
        ada, grace = customer(), customer("Grace Hopper")
        stored(store, ada, grace, consent(grace.id))
        with store.unit_of_work() as uow:
            assert not uow.consents.may_contact(ada.id, "marketing", "email", minutes(1))
            assert uow.consents.may_contact(grace.id, "marketing", "email", minutes(1))

    @pytest.mark.parametrize(("purpose", "channel"), [("Spam!", "email"), ("marketing", "Pigeon post")])
    def test_may_contact_refuses_malformed_vocabulary(self, store: Store, purpose: str, channel: str) -> None:
        ada = customer()
        stored(store, ada, consent(ada.id))
        with store.unit_of_work() as uow, pytest.raises(ValidationError):
            uow.consents.may_contact(ada.id, purpose, channel, minutes(1))

    def test_may_contact_refuses_a_naive_time(self, store: Store) -> None:
        ada = customer()
        stored(store, ada, consent(ada.id))
        with store.unit_of_work() as uow, pytest.raises(ValidationError):
            uow.consents.may_contact(ada.id, "marketing", "email", minutes(1).replace(tzinfo=None))


def new_record(owner: CustomerId, key: object = None, **fields: Any) -> ConsentRecord:
    """A new marketing e-mail grant of ``owner`` (the ledger has no unique key: ``key`` is ignored)."""
    return consent(owner, **fields)
