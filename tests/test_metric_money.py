"""Money in stored value metrics is exact and never ranked across currencies (issue 9, section 8)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
import sqlalchemy as sa

from relcore import CRM, Customer, ValidationError
from relcore.domain import CustomerMetrics, ValueRun
from relcore.registry import Store
from relcore.segments import field
from relcore.storage.sql import SqlStore, upgrade
from relcore.storage.sql.engines import create_engine_for
from relcore.storage.sql.testing import create_test_engine
from relcore.storage.sql.types import UTCDateTime
from tests.conftest import server_url

AS_OF = datetime(2025, 1, 1, tzinfo=UTC)


def _store_metrics(store: Store, rows: list[dict[str, object]]) -> list[Customer]:
    """One customer per row, and a run storing each row as the customer's metrics."""
    people = [Customer.person(f"Customer {i}") for i in range(len(rows))]
    run = ValueRun(as_of=AS_OF, created_at=AS_OF, customers=len(rows))
    with store.unit_of_work() as uow:
        for person in people:
            uow.customers.add(person)
        uow.metrics.replace_all(
            run,
            [
                CustomerMetrics(customer_id=p.id, as_of=AS_OF, run_id=run.id, **fields)  # type: ignore[arg-type]
                for p, fields in zip(people, rows, strict=True)
            ],
        )
        uow.commit()
    return people


def test_money_metrics_are_exact_decimals_of_their_currency() -> None:
    run_id, cid = uuid4(), uuid4()
    made = CustomerMetrics(
        customer_id=cid, as_of=AS_OF, run_id=run_id, currency="EUR",
        historical_value=Decimal("7.5"), monetary=3,
    )  # fmt: skip
    assert made.historical_value == Decimal("7.50")
    assert str(made.historical_value) == "7.50"
    assert made.monetary == Decimal("3.00")
    assert made.values()["historical_value"] == 7.5  # rules compare numbers as floats
    with pytest.raises(ValidationError, match="historical_value: floats are inexact"):
        CustomerMetrics(customer_id=cid, as_of=AS_OF, run_id=run_id, currency="EUR", historical_value=7.5)
    with pytest.raises(ValidationError, match="monetary: an amount needs a currency"):
        CustomerMetrics(customer_id=cid, as_of=AS_OF, run_id=run_id, monetary=Decimal(3))
    with pytest.raises(ValidationError, match="historical_value"):
        CustomerMetrics(
            customer_id=cid, as_of=AS_OF, run_id=run_id, currency="JPY", historical_value=Decimal("1.5")
        )


def test_large_amounts_round_trip_and_rank_to_the_cent(store: Store) -> None:
    # 9e13 EUR is 9e15 cents: a double cannot tell .01 from .02 there (spacing 1/64)
    big = [Decimal("90000000000000.02"), Decimal("90000000000000.01"), Decimal("90000000000000.03")]
    people = _store_metrics(store, [{"currency": "EUR", "historical_value": v, "orders": 1} for v in big])
    with store.unit_of_work() as uow:
        assert [uow.metrics.get(p.id).historical_value for p in people] == big  # type: ignore[union-attr]
        ranked = uow.metrics.top("historical_value", limit=3)
    assert [m.historical_value for m in ranked] == sorted(big, reverse=True)
    assert [m.customer_id for m in ranked] == [people[2].id, people[0].id, people[1].id]


def test_money_is_never_ranked_across_currencies(store: Store) -> None:
    rows: list[dict[str, object]] = [
        {"currency": "EUR", "historical_value": Decimal("120.00"), "clv": 80.0, "orders": 3},
        {"currency": "JPY", "historical_value": Decimal("15000"), "clv": 9000.0, "orders": 5},
        {"currency": "EUR", "historical_value": Decimal("99.99"), "clv": 95.5, "orders": 2},
        {"orders": 0},
    ]
    eur, jpy, eur2, _ = _store_metrics(store, rows)
    crm = CRM(store)
    for by in ("clv", "historical_value", "monetary"):
        if by == "monetary":  # nobody has a monetary value: nothing is compared, nothing refused
            assert [m.monetary for m in crm.value.top(by, limit=4)] == [None] * 4
            continue
        with pytest.raises(ValidationError, match=r"currency: .* more than one currency"):
            crm.value.top(by)
    assert [m.customer_id for m in crm.value.top("clv", currency="eur")] == [eur2.id, eur.id]
    assert [m.customer_id for m in crm.value.top("historical_value", currency="EUR")] == [eur.id, eur2.id]
    assert [m.customer_id for m in crm.value.top("clv", currency="JPY")] == [jpy.id]
    assert crm.value.top("clv", currency="USD") == []
    assert [m.orders for m in crm.value.top("orders", limit=4)] == [5, 3, 2, 0]  # counts rank freely
    with pytest.raises(ValidationError, match="currency"):
        crm.value.top("clv", currency="EURO")


def test_one_currency_ranks_without_being_named(store: Store) -> None:
    _store_metrics(store, [{"currency": "EUR", "clv": float(v)} for v in (3, 1, 2)] + [{"orders": 0}])
    assert [m.clv for m in CRM(store).value.top("clv", limit=4)] == [3.0, 2.0, 1.0, None]


@pytest.mark.parametrize(
    ("rule", "held"),
    [
        (field("metrics.monetary") > 1.15, False),
        (field("metrics.monetary") >= 1.15, True),
        (field("metrics.monetary") == 1.15, True),
        (field("metrics.monetary") < 1.16, True),
        (field("metrics.historical_value") == 0.3, True),  # 0.1 + 0.2 would not be
        (field("metrics.historical_value").between(0.3, 0.3), True),
        (field("metrics.historical_value") > 0.29, True),
        (field("metrics.monetary").is_set(), True),
    ],
)
def test_rules_compare_exact_money_alike_on_every_backend(store: Store, rule: object, held: bool) -> None:
    ada, yen = _store_metrics(
        store,
        [
            {"currency": "EUR", "monetary": Decimal("1.15"), "historical_value": Decimal("0.30")},
            {"currency": "JPY", "monetary": Decimal(1150), "historical_value": 30},
        ],
    )
    crm = CRM(store)
    assert (ada.id in set(crm.segments.members(rule, as_of=AS_OF))) is held  # type: ignore[arg-type]
    assert crm.segments.explain(rule, ada.id, as_of=AS_OF).held is held  # type: ignore[arg-type]
    assert yen.id not in set(crm.segments.members(field("metrics.monetary") < 1000, as_of=AS_OF))


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> sa.Engine:
    if request.param == "sqlite":
        made = create_engine_for(tmp_path / "money.db")
    else:
        made = create_test_engine(server_url(request.param))
    yield made
    made.dispose()


def test_the_migration_converts_stored_float_money_to_minor_units(engine: sa.Engine) -> None:
    upgrade(engine, "0003")
    # the 0003 tables as they were, only the columns this test writes
    customers = sa.table(
        "relcore_customers",
        *(sa.column(n, sa.String()) for n in ("type", "name", "stage", "relationship")),
        sa.column("id", sa.Uuid()),
        sa.column("attributes", sa.JSON()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
        sa.column("version", sa.Integer()),
    )
    runs = sa.table(
        "relcore_value_runs",
        sa.column("id", sa.Uuid()),
        sa.column("as_of", UTCDateTime()),
        sa.column("created_at", UTCDateTime()),
        sa.column("customers", sa.Integer()),
        sa.column("settings", sa.JSON()),
        sa.column("models", sa.JSON()),
    )
    metrics = sa.table(
        "relcore_customer_metrics",
        sa.column("customer_id", sa.Uuid()),
        sa.column("run_id", sa.Uuid()),
        sa.column("as_of", UTCDateTime()),
        sa.column("currency", sa.String()),
        sa.column("orders", sa.Integer()),
        sa.column("frequency", sa.Integer()),
        sa.column("historical_value", sa.Double()),
        sa.column("monetary", sa.Double()),
    )
    ids = [uuid4() for _ in range(3)]
    run_id = uuid4()
    with engine.begin() as connection:
        connection.execute(
            customers.insert(),
            [
                {"id": i, "type": "person", "name": f"C{n}", "stage": "customer", "relationship": "customer",
                 "attributes": {}, "created_at": AS_OF, "updated_at": AS_OF, "version": 1}
                for n, i in enumerate(ids)
            ],
        )  # fmt: skip
        run = {
            "id": run_id,
            "as_of": AS_OF,
            "created_at": AS_OF,
            "customers": 3,
            "settings": {},
            "models": {},
        }
        connection.execute(runs.insert().values(**run))
        connection.execute(
            metrics.insert(),
            [
                {"customer_id": ids[0], "run_id": run_id, "as_of": AS_OF, "currency": "EUR", "orders": 3,
                 "frequency": 2, "historical_value": 0.1 + 0.2, "monetary": 27.749999999999996},
                {"customer_id": ids[1], "run_id": run_id, "as_of": AS_OF, "currency": "JPY", "orders": 1,
                 "frequency": 0, "historical_value": 1500.0, "monetary": None},
                {"customer_id": ids[2], "run_id": run_id, "as_of": AS_OF, "currency": None, "orders": 0,
                 "frequency": 0, "historical_value": None, "monetary": None},
            ],
        )  # fmt: skip
    store = SqlStore.open(engine)
    with store.unit_of_work() as uow:
        got = [uow.metrics.get(i) for i in ids]
    assert [(m.historical_value, m.monetary) for m in got] == [  # type: ignore[union-attr]
        (Decimal("0.30"), Decimal("27.75")),
        (Decimal(1500), None),
        (None, None),
    ]
    assert json.dumps([str(m.historical_value) for m in got]) == '["0.30", "1500", "None"]'  # type: ignore[union-attr]
