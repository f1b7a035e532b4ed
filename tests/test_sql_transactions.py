"""The SQL unit of work: owning, joining and never leaking transactions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from relcore import CRM, Customer, Touchpoint
from relcore.domain import CustomerCreated
from relcore.errors import ConfigurationError, StorageError
from relcore.marketing import Suppression
from relcore.storage.sql import SqlStore, configure_sqlite
from relcore.storage.sql.engines import create_engine_for
from relcore.storage.sql.testing import create_test_engine
from tests.conftest import StoreFactory, server_url


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        made = create_engine_for(tmp_path / "host.db")
    else:
        made = create_test_engine(server_url(request.param))
    SqlStore.open(made)  # schema
    yield made
    made.dispose()


def count_customers(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM relcore_customers")).scalar_one())


def test_units_of_work_return_their_connections(engine: sa.Engine) -> None:
    crm = CRM(SqlStore(engine))
    for i in range(20):
        crm.customers.add(Customer.person(f"P{i}"))
        with crm.unit_of_work() as uow:
            uow.customers.add(Customer.person("rolled back"))
    assert engine.pool.checkedout() == 0
    assert count_customers(engine) == 20


def test_joined_host_transaction_commits_only_with_the_host(engine: sa.Engine) -> None:
    seen: list[object] = []
    with engine.connect() as connection:
        connection.begin()
        crm = CRM(SqlStore(connection))
        crm.subscribe(CustomerCreated, seen.append)
        crm.customers.add(Customer.person("Inside the host transaction"))
        assert seen == []  # not yet: the host has not committed
        assert count_customers(engine) == 0  # invisible outside the host transaction
        connection.commit()
    assert len(seen) == 1
    assert count_customers(engine) == 1


def test_host_rollback_discards_joined_work_and_its_events(engine: sa.Engine) -> None:
    seen: list[object] = []
    with engine.connect() as connection:
        connection.begin()
        crm = CRM(SqlStore(connection))
        crm.subscribe(CustomerCreated, seen.append)
        crm.customers.add(Customer.person("Doomed"))
        connection.rollback()
    assert seen == []
    assert count_customers(engine) == 0


def test_relcore_rollback_keeps_the_host_transaction_alive(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        connection.begin()
        crm = CRM(SqlStore(connection))
        crm.customers.add(Customer.person("Kept"))
        with crm.unit_of_work() as uow:
            uow.customers.add(Customer.person("Not kept"))
            # leaving without commit rolls back only relcore's savepoint
        crm.customers.add(Customer.person("Also kept"))
        connection.commit()
    assert count_customers(engine) == 2


def test_host_connection_without_transaction_is_committed_by_relcore(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        crm = CRM(SqlStore(connection))
        crm.customers.add(Customer.person("Own transaction"))
        assert not connection.in_transaction()
    assert count_customers(engine) == 1


def test_closing_the_crm_leaves_a_host_engine_usable(engine: sa.Engine) -> None:
    CRM.open(engine).close()
    assert count_customers(engine) == 0


def test_missing_customer_in_a_batch_rolls_back_the_whole_batch(engine: sa.Engine) -> None:
    crm = CRM(SqlStore(engine))
    known = crm.customers.add(Customer.person("Known"))
    at = datetime(2025, 1, 1, tzinfo=UTC)
    batch = [
        Touchpoint(
            customer_id=known.id,
            channel="web",
            direction="inbound",
            occurred_at=at,
            source="feed",
            external_id=str(i),
        )
        for i in range(5)
    ]
    batch.append(
        Touchpoint(
            customer_id=Customer.person("Ghost").id,
            channel="web",
            direction="inbound",
            occurred_at=at,
            source="feed",
            external_id="ghost",
        )
    )
    from relcore.errors import NotFoundError

    with pytest.raises(NotFoundError):
        crm.activity.import_touchpoints(batch, chunk_size=2)
    with crm.unit_of_work() as uow:
        assert uow.touchpoints.count() == 0


def test_sqlite_engines_relcore_creates_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine_for(tmp_path / "wal.db")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    engine.dispose()


def test_configure_sqlite_refuses_other_dialects() -> None:
    engine = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(ConfigurationError):
        configure_sqlite(engine)


def test_unreachable_database_is_a_storage_error() -> None:
    with pytest.raises(StorageError):
        CRM.open("postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_malformed_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        CRM.open("nosuchdialect://x/y")


def test_open_on_an_idle_host_connection_leaves_it_idle_and_commits_work(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        crm = CRM.open(connection)
        assert not connection.in_transaction()
        crm.customers.add(Customer.person("Committed"))
        assert not connection.in_transaction()
    assert count_customers(engine) == 1


def _reltuples(uow: Any, table: str) -> float:
    query = sa.text("SELECT reltuples FROM pg_class WHERE relname = :name")
    return float(uow.connection.execute(query, {"name": table}).scalar_one())


def _domains(start: int, n: int) -> list[Suppression]:
    return [Suppression(kind="domain", value=f"d{i}.example", reason="test") for i in range(start, start + n)]


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_bulk_add_analyzes_the_table_it_grows_on_postgresql(store_factory: StoreFactory) -> None:
    # Only an ANALYZE inside the transaction can count its own uncommitted rows exactly.
    store = store_factory()
    table = "relcore_suppressions"
    with store.unit_of_work() as uow:
        uow.suppressions.add_many(_domains(0, 10_000))
        assert _reltuples(uow, table) == 10_000  # the first analysis, at 10,000 rows
        uow.suppressions.add_many(_domains(10_000, 9_999))
        assert _reltuples(uow, table) == 10_000  # the next one waits for twice as many
        uow.suppressions.add_many(_domains(19_999, 1))
        assert _reltuples(uow, table) == 20_000
        uow.commit()
    with store.unit_of_work() as uow:  # a new unit of work counts its own rows from zero
        uow.suppressions.add_many(_domains(20_000, 10_000))
        assert _reltuples(uow, table) == 30_000
