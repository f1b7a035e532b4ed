"""Contracts of touchpoints, transactions, and the timeline that merges them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest

from relcore.activity._testing import ActivityContract
from relcore.activity.model import Touchpoint, Transaction
from relcore.customers.model import Channel
from relcore.errors import ConfigurationError, ValidationError
from relcore.ids import CampaignId, CaseId, CustomerId, OpportunityId, uuid7
from relcore.registry import Store, UnitOfWork
from relcore.storage.base import MAX_PAGE_SIZE
from relcore.testing._contract_support import (
    ContractBase,
    contact,
    customer,
    in_unit,
    minutes,
    stored,
    touchpoint,
    transaction,
)

__all__ = ["MoneyColumnsContract", "TimelineContract", "TouchpointContract", "TransactionContract"]


def _read_every_way(store: Store, entry: Touchpoint | Transaction) -> None:
    """``entry`` reads back equal (field by field, type by type) from get, its history and the timeline."""
    repo = "touchpoints" if isinstance(entry, Touchpoint) else "transactions"
    with store.unit_of_work() as uow:
        found = [
            getattr(uow, repo).get(entry.id),
            *getattr(uow, repo).for_customer(entry.customer_id),
            *uow.activity.timeline(entry.customer_id),
        ]
    assert len(found) == 3
    for got in found:
        assert got == entry
        for field in attrs.fields(type(entry)):
            mine, theirs = getattr(got, field.name), getattr(entry, field.name)
            assert type(mine) is type(theirs), field.name
            if isinstance(theirs, datetime):
                assert mine.utcoffset() == timedelta(0), field.name


class TouchpointContract(ActivityContract):
    """Touchpoints: idempotent on ``(source, external_id)``, listed newest first."""

    kind = "touchpoint"

    def repo(self, uow: UnitOfWork) -> Any:
        """Return the touchpoint repository."""
        return uow.touchpoints

    def make(self, customer_id: CustomerId, **fields: Any) -> Touchpoint:
        """Return a new touchpoint of ``customer_id``."""
        return touchpoint(customer_id, **fields)

    def test_touchpoint_with_every_field_round_trips(self, store: Store) -> None:
        ada = customer()
        person = contact(ada.id, "ada@example.com")
        stored(store, ada, person)
        new_york = timezone(timedelta(hours=-5))
        full = Touchpoint(
            customer_id=ada.id,
            contact_id=person.id,
            channel="voice_server",
            direction="outbound",
            kind="complaint",
            occurred_at=minutes(3).astimezone(new_york),
            subject="Réclamation 📞",
            outcome="resolved",
            sentiment=-0.75,
            campaign_id=CampaignId(uuid7()),
            case_id=CaseId(uuid7()),
            opportunity_id=OpportunityId(uuid7()),
            payload={"script": "é", "steps": [1, 2]},
            source="zendesk",
            external_id="ticket-9 ✓",
            recorded_at=minutes(4).astimezone(new_york),
        )
        stored(store, full)
        got = in_unit(store, lambda uow: uow.touchpoints.get(full.id))
        assert got == full
        assert got.occurred_at.utcoffset() == timedelta(0)
        assert got.occurred_at.microsecond == minutes(3).microsecond
        _read_every_way(store, full)

    def test_touchpoint_with_no_optional_field_round_trips(self, store: Store) -> None:
        ada = customer()
        bare = Touchpoint(customer_id=ada.id, channel="web", direction="inbound", occurred_at=minutes(1))
        stored(store, ada, bare)
        _read_every_way(store, bare)


class TransactionContract(ActivityContract):
    """Transactions: exact money, idempotent on ``(source, external_id)``."""

    kind = "transaction"

    def repo(self, uow: UnitOfWork) -> Any:
        """Return the transaction repository."""
        return uow.transactions

    def make(self, customer_id: CustomerId, **fields: Any) -> Transaction:
        """Return a new transaction of ``customer_id``."""
        return transaction(customer_id, **fields)

    @pytest.mark.parametrize(
        ("amount", "currency", "exact"),
        [
            ("1500", "JPY", "1500"),
            ("10.5", "EUR", "10.50"),
            ("0.01", "EUR", "0.01"),
            ("12.345", "KWD", "12.345"),
            ("0", "USD", "0.00"),
            ("92233720368547758.07", "EUR", "92233720368547758.07"),
        ],
    )
    def test_amounts_stay_exact(self, store: Store, amount: str, currency: str, exact: str) -> None:
        ada = customer()
        entry = transaction(
            ada.id,
            amount=Decimal(amount),
            currency=currency,
            kind="invoice",
            quantity=3,
            description="Facture n° 1 — 日本",
            channel=None,
        )
        stored(store, ada, entry)
        got = in_unit(store, lambda uow: uow.transactions.get(entry.id))
        assert got == entry
        assert str(got.amount) == exact
        assert got.currency == currency
        _read_every_way(store, entry)
        (listed,) = in_unit(store, lambda uow: uow.activity.timeline(ada.id))
        assert isinstance(listed, Transaction)
        assert str(listed.amount) == exact

    def test_transaction_with_every_field_round_trips(self, store: Store) -> None:
        ada = customer()
        person = contact(ada.id, "ada@example.com")
        full = Transaction(
            customer_id=ada.id,
            contact_id=person.id,
            kind="refund",
            amount=Decimal("19.99"),
            currency="GBP",
            occurred_at=minutes(2).astimezone(timezone(timedelta(hours=9))),
            quantity=4,
            channel="in_person",
            description="Remboursement — 日本",
            payload={"lines": [{"sku": "é-1", "n": 2}], "gift": True},
            source="shop",
            external_id="r-1 ✓",
            recorded_at=minutes(3),
        )
        stored(store, ada, person, full)
        _read_every_way(store, full)


class TimelineContract(ContractBase):
    """The unit of work's timeline: touchpoints and transactions, newest first."""

    def test_merges_both_kinds_newest_first_with_ties_by_id(self, store: Store) -> None:
        ada, grace = customer(), customer("Grace Hopper")
        ms = int(minutes(5).timestamp() * 1000)
        tied: list[Touchpoint | Transaction] = [
            touchpoint(ada.id, id=uuid7(ms), occurred_at=minutes(5)),
            transaction(ada.id, id=uuid7(ms), occurred_at=minutes(5)),
            touchpoint(ada.id, id=uuid7(ms), occurred_at=minutes(5)),
            transaction(ada.id, id=uuid7(ms), occurred_at=minutes(5)),
        ]
        first, last = transaction(ada.id, occurred_at=minutes(0)), touchpoint(ada.id, occurred_at=minutes(9))
        stored(store, ada, grace, *tied, first, last, touchpoint(grace.id), transaction(grace.id))
        expected = [last, *sorted(tied, key=lambda e: e.id, reverse=True), first]
        with store.unit_of_work() as uow:
            assert uow.activity.timeline(ada.id) == expected
            assert uow.activity.timeline(ada.id, limit=3) == expected[:3]
            assert uow.activity.timeline(CustomerId(uuid7())) == []

    def test_filters_apply_to_both_kinds(self, store: Store) -> None:
        ada = customer()
        web_visit = touchpoint(ada.id, channel="web", occurred_at=minutes(1))
        web_order = transaction(ada.id, channel="web", occurred_at=minutes(2))
        shop_order = transaction(ada.id, channel="in_person", occurred_at=minutes(3))
        mailed = touchpoint(ada.id, channel="email", occurred_at=minutes(4))
        no_channel = transaction(ada.id, channel=None, occurred_at=minutes(5))
        stored(store, ada, web_visit, web_order, shop_order, mailed, no_channel)
        with store.unit_of_work() as uow:
            assert uow.activity.timeline(ada.id) == [no_channel, mailed, shop_order, web_order, web_visit]
            assert uow.activity.timeline(ada.id, channels=["web"]) == [web_order, web_visit]
            assert uow.activity.timeline(ada.id, channels=["email", "in_person"]) == [mailed, shop_order]
            assert uow.activity.timeline(ada.id, since=minutes(2), until=minutes(5)) == [
                mailed,
                shop_order,
                web_order,
            ]
            assert uow.activity.timeline(ada.id, channels=["web", "email"], since=minutes(2), limit=1) == [
                mailed
            ]
            assert uow.activity.timeline(ada.id, channels=[]) == []
            assert uow.touchpoints.for_customer(ada.id, channels=[]) == []
            assert uow.transactions.for_customer(ada.id, channels=["web"], until=minutes(3)) == [web_order]
            assert uow.touchpoints.for_customer(ada.id, since=minutes(1), until=minutes(4), limit=5) == [
                web_visit
            ]

    def test_transactions_without_channel_drop_out_of_channel_filters(self, store: Store) -> None:
        ada = customer()
        untold = transaction(ada.id, channel=None)
        stored(store, ada, untold)
        with store.unit_of_work() as uow:
            assert uow.transactions.for_customer(ada.id) == [untold]
            assert uow.transactions.for_customer(ada.id, channels=[c.value for c in Channel]) == []
            assert uow.activity.timeline(ada.id, channels=[c.value for c in Channel]) == []

    @pytest.mark.parametrize(
        "bad",
        [
            {"limit": 0},
            {"limit": -5},
            {"limit": MAX_PAGE_SIZE + 1},
            {"channels": ["Pigeon post"]},
            {"since": minutes(0).replace(tzinfo=None)},
        ],
        ids=["limit-0", "limit-negative", "limit-too-big", "malformed-channel", "naive-since"],
    )
    def test_refuses_bad_arguments(self, store: Store, bad: dict[str, Any]) -> None:
        ada = customer()
        stored(store, ada)
        with store.unit_of_work() as uow, pytest.raises(ValidationError):
            uow.activity.timeline(ada.id, **bad)

    def test_largest_limit_is_accepted(self, store: Store) -> None:
        ada = customer()
        entry = touchpoint(ada.id)
        stored(store, ada, entry)
        assert in_unit(store, lambda uow: uow.activity.timeline(ada.id, limit=MAX_PAGE_SIZE)) == [entry]

    def test_timeline_needs_an_active_unit_of_work(self, store: Store) -> None:
        ada = customer()
        stored(store, ada)
        uow = store.unit_of_work()
        with pytest.raises(ConfigurationError):
            uow.activity.timeline(ada.id)


class MoneyColumnsContract(ContractBase):
    """``transactions.money_columns``: orders and refunds up to a date, as ordered columns."""

    def test_columns_hold_orders_and_refunds_in_order(self, store: Store) -> None:
        ada, grace = customer(), customer("Grace Hopper")
        rows = [
            transaction(grace.id, occurred_at=minutes(3), amount=Decimal("1.50")),
            transaction(ada.id, occurred_at=minutes(2), kind="refund", amount=Decimal("2.00")),
            transaction(ada.id, occurred_at=minutes(1), amount=Decimal("300"), currency="JPY"),
            transaction(ada.id, occurred_at=minutes(4), kind="quote"),
            transaction(ada.id, occurred_at=minutes(9), amount=Decimal("9.99")),
        ]
        stored(store, ada, grace, *rows)
        with store.unit_of_work() as uow:
            chunks = list(uow.transactions.money_columns(until=minutes(5), chunk_size=2))
        assert [len(chunk) for chunk in chunks] == [2, 1]
        got = [
            (c, t, r, cur, m)
            for chunk in chunks
            for c, t, r, cur, m in zip(
                chunk.customer_ids, chunk.occurred_at, chunk.refunds, chunk.currencies, chunk.minor_units,
                strict=True,
            )
        ]  # fmt: skip
        expected = sorted(
            [(ada.id, minutes(1), False, "JPY", 300), (ada.id, minutes(2), True, "EUR", 200),
             (grace.id, minutes(3), False, "EUR", 150)],
            key=lambda row: (row[0], row[1]),
        )  # fmt: skip
        assert got == expected

    def test_no_rows_and_bad_arguments(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            assert list(uow.transactions.money_columns(until=minutes(5))) == []
            with pytest.raises(ValidationError):
                list(uow.transactions.money_columns(until=minutes(5).replace(tzinfo=None)))
            with pytest.raises(ValidationError):
                list(uow.transactions.money_columns(until=minutes(5), chunk_size=0))
