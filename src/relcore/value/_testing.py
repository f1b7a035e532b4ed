"""Contract of [`MetricsRepository`][relcore.value.ports.MetricsRepository]."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from relcore.customers.model import Customer
from relcore.errors import NotFoundError, ValidationError
from relcore.ids import CustomerId, uuid7
from relcore.registry import Store, UnitOfWork
from relcore.testing._contract_support import T0, ContractBase, customer, in_unit, minutes, stored
from relcore.value.model import CustomerMetrics, ValueRun

__all__ = ["MetricsContract", "stored_state"]


def _run(**fields: Any) -> ValueRun:
    fields.setdefault("as_of", T0)
    fields.setdefault("created_at", T0)
    return ValueRun(**fields)


def _metrics(run: ValueRun, customer_id: CustomerId, **fields: Any) -> CustomerMetrics:
    return CustomerMetrics(customer_id=customer_id, as_of=run.as_of, run_id=run.id, **fields)


def stored_state(uow: UnitOfWork, customers: list[Customer]) -> dict[str, object]:
    """The latest value run and every customer's stored metrics."""
    return {
        "value_run": uow.metrics.latest_run(),
        "metric_count": uow.metrics.count(),
        "metrics": [uow.metrics.get(c.id) for c in customers],
    }


class MetricsContract(ContractBase):
    """One row of metrics per customer, replaced as a whole by each value refresh."""

    def test_metrics_round_trip_with_every_field(self, store: Store) -> None:
        ada = customer()
        stored(store, ada)
        run = _run(customers=1, settings={"period": "day", "horizon": 365}, models={"EUR": {"r": 0.24}})
        full = _metrics(
            run, ada.id, currency="EUR", orders=4, frequency=3, recency=120.5, age=300.25,
            monetary=Decimal("42.13"), historical_value=Decimal("168.50"), r_score=4, f_score=3, m_score=5,
            rfm_segment="loyal customers",
            expected_purchases=1.75, probability_alive=0.875, clv=81.0625, tier="big",
        )  # fmt: skip
        assert in_unit(store, lambda uow: uow.metrics.replace_all(run, [full])) == 1
        with store.unit_of_work() as uow:
            assert uow.metrics.get(ada.id) == full
            assert uow.metrics.latest_run() == run
            assert uow.metrics.count() == 1

    def test_replace_all_drops_the_previous_run(self, store: Store) -> None:
        ada, grace = customer(), customer("Grace Hopper")
        stored(store, ada, grace)
        first = _run()
        in_unit(
            store,
            lambda uow: uow.metrics.replace_all(first, [_metrics(first, ada.id), _metrics(first, grace.id)]),
        )
        second = _run(as_of=minutes(60))
        in_unit(
            store, lambda uow: uow.metrics.replace_all(second, iter([_metrics(second, grace.id, orders=2)]))
        )
        with store.unit_of_work() as uow:
            assert uow.metrics.get(ada.id) is None
            got = uow.metrics.get(grace.id)
            assert got is not None
            assert (got.orders, got.run_id) == (2, second.id)
            assert uow.metrics.latest_run() == second

    def test_top_ranks_with_unset_last_and_ties_by_id(self, store: Store) -> None:
        people = [customer(f"C{i}") for i in range(5)]
        stored(store, *people)
        run = _run()
        values = [10.0, None, 30.0, 10.0, 20.0]
        rows = [_metrics(run, p.id, clv=v) for p, v in zip(people, values, strict=True)]
        in_unit(store, lambda uow: uow.metrics.replace_all(run, rows))
        ids = {p.id: v for p, v in zip(people, values, strict=True)}
        tens = sorted(i for i, v in ids.items() if v == 10.0)
        with store.unit_of_work() as uow:
            best = [m.customer_id for m in uow.metrics.top("clv", limit=5)]
            worst = [m.customer_id for m in uow.metrics.top("clv", limit=5, descending=False)]
            assert [ids[i] for i in best] == [30.0, 20.0, 10.0, 10.0, None]
            assert best[2:4] == tens
            assert [ids[i] for i in worst] == [10.0, 10.0, 20.0, 30.0, None]
            assert worst[:2] == tens
            assert len(uow.metrics.top("clv", limit=2)) == 2
            with pytest.raises(ValidationError):
                uow.metrics.top("name")

    def test_unknown_customer_or_foreign_run_is_refused_and_nothing_changes(self, store: Store) -> None:
        ada = customer()
        stored(store, ada)
        run, other = _run(), _run()
        in_unit(store, lambda uow: uow.metrics.replace_all(run, [_metrics(run, ada.id, orders=1)]))
        with pytest.raises(NotFoundError):
            in_unit(store, lambda uow: uow.metrics.replace_all(other, [_metrics(other, CustomerId(uuid7()))]))
        with pytest.raises(ValidationError):
            in_unit(store, lambda uow: uow.metrics.replace_all(other, [_metrics(run, ada.id)]))
        with store.unit_of_work() as uow:
            assert uow.metrics.latest_run() == run
            got = uow.metrics.get(ada.id)
            assert got is not None
            assert got.orders == 1

    def test_empty_store_has_no_metrics(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            assert uow.metrics.count() == 0
            assert uow.metrics.latest_run() is None
            assert uow.metrics.top("clv") == []
            assert uow.metrics.get(CustomerId(uuid7())) is None
