"""Write locks, lost races and driver errors: deterministic checks behind the concurrency probe."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import psycopg.errors
import pymysql
import pytest
import sqlalchemy as sa
from sqlalchemy import event, exc

from relcore import CRM, Customer, Touchpoint
from relcore.activity import api as activity_api
from relcore.errors import ConfigurationError, ConflictError, StorageError, TransientStorageError
from relcore.ids import CustomerId
from relcore.registry import Store
from relcore.storage.sql import SqlStore
from relcore.storage.sql import bulk as bulk_module
from relcore.storage.sql.engines import SQLITE_BEGIN, create_engine_for, translate_errors
from tests.conftest import _server_store

AT = datetime(2025, 3, 1, tzinfo=UTC)


def touchpoints_for(customer_id: CustomerId, keys: list[str]) -> list[Touchpoint]:
    return [
        Touchpoint(
            customer_id=customer_id,
            channel="web",
            direction="inbound",
            occurred_at=AT + timedelta(seconds=i),
            source="feed",
            external_id=key,
        )
        for i, key in enumerate(keys)
    ]


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[SqlStore, Path]]:
    path = tmp_path / "locks.db"
    store = SqlStore.open(path)
    yield store, path
    store.close()


def _other_writer(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection that never waits for a lock."""
    return sqlite3.connect(path, timeout=0, isolation_level=None)


# -- SQLite: writers take the write lock when they begin ---------------------


def test_a_writing_unit_of_work_holds_the_sqlite_write_lock_from_its_first_statement(
    sqlite_file: tuple[SqlStore, Path],
) -> None:
    store, path = sqlite_file
    other = _other_writer(path)
    with store.unit_of_work() as uow:
        uow.customers.count()  # only a read so far, yet the lock is taken: a later write cannot lose it
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")  # released with the unit of work
    other.execute("ROLLBACK")
    other.close()


def test_a_read_only_unit_of_work_leaves_the_write_lock_free(sqlite_file: tuple[SqlStore, Path]) -> None:
    store, path = sqlite_file
    other = _other_writer(path)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.customers.count() == 0
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    other.close()


def test_facade_reads_do_not_wait_for_a_writer(sqlite_file: tuple[SqlStore, Path]) -> None:
    store, _ = sqlite_file
    crm = CRM(store)
    ada = crm.customers.add(Customer.person("Ada"))
    with store.unit_of_work() as writer:
        writer.customers.add(Customer.person("Not committed"))  # holds the write lock
        assert crm.customers.get(ada.id) == ada
        assert [c.id for c in crm.customers.list().items] == [ada.id]
        assert crm.activity.timeline(ada.id) == []


def test_a_host_connection_keeps_its_own_begin_mode(sqlite_file: tuple[SqlStore, Path]) -> None:
    _, path = sqlite_file
    engine = create_engine_for(path)
    other = _other_writer(path)
    with engine.connect() as connection:
        crm = CRM(SqlStore(connection))
        crm.customers.add(Customer.person("Written in relcore's own transaction"))
        assert not connection.in_transaction()
        assert connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED") == "DEFERRED"
        with connection.begin():  # the host's transaction is deferred, as the host left it
            connection.execute(sa.text("SELECT count(*) FROM relcore_customers")).scalar_one()
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    other.close()
    engine.dispose()


def test_a_begin_that_cannot_take_the_write_lock_fails_as_sqlalchemy_s_own_statements_do(
    sqlite_file: tuple[SqlStore, Path],
) -> None:
    store, path = sqlite_file
    engine = create_engine_for(path)
    other = _other_writer(path)
    other.execute("BEGIN IMMEDIATE")
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA busy_timeout = 50")
        connection.commit()
        connection.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        with pytest.raises(exc.OperationalError, match="locked") as raised:  # for a host, as before
            connection.begin()
        assert isinstance(raised.value.orig, sqlite3.OperationalError)
        assert not connection.in_transaction()
        with pytest.raises(TransientStorageError, match="begin a transaction"):  # for relcore's units of work
            CRM(SqlStore(connection)).customers.add(Customer.person("Ada"))
    other.execute("ROLLBACK")
    other.close()
    engine.dispose()
    CRM(store).customers.add(Customer.person("Ada"))  # the lock released, writers go on


def test_configure_sqlite_refuses_an_unknown_begin_mode(sqlite_file: tuple[SqlStore, Path]) -> None:
    _, path = sqlite_file
    engine = create_engine_for(path)
    with engine.connect() as connection:
        connection.execution_options(**{SQLITE_BEGIN: "EXCLUSIVE-ISH"})
        with pytest.raises(ConfigurationError, match=SQLITE_BEGIN):
            connection.begin()
    engine.dispose()


def test_the_raw_sqlite_ingest_path_translates_driver_errors(sqlite_file: tuple[SqlStore, Path]) -> None:
    """A host's deferred transaction that has read cannot write while another connection writes."""
    store, path = sqlite_file
    ada = CRM(store).customers.add(Customer.person("Ada"))
    engine = create_engine_for(path)
    other = _other_writer(path)
    with engine.connect() as connection, connection.begin():
        connection.exec_driver_sql("PRAGMA busy_timeout = 50")
        connection.execute(sa.text("SELECT count(*) FROM relcore_customers")).scalar_one()
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE relcore_customers SET name = name")
        with pytest.raises(TransientStorageError, match="add relcore_touchpoints"):
            CRM(SqlStore(connection)).activity.import_touchpoints(touchpoints_for(ada.id, ["a", "b"]))
        other.execute("ROLLBACK")
    other.close()
    engine.dispose()


# -- every backend: read-only units of work refuse to write ------------------


def test_a_read_only_unit_of_work_refuses_every_write(store: Store) -> None:
    ada = CRM(store).customers.add(Customer.person("Ada"))
    with store.unit_of_work(read_only=True) as uow:
        with pytest.raises(ConfigurationError, match="read-only"):
            uow.customers.add(Customer.person("Grace"))
        with pytest.raises(ConfigurationError, match="read-only"):
            uow.touchpoints.add_many(touchpoints_for(ada.id, ["x"]))
        with pytest.raises(ConfigurationError, match="read-only"):
            uow.consents.add(_consent(ada.id))
        uow.commit()  # nothing to commit; allowed
    with store.unit_of_work(read_only=True) as uow:
        assert uow.customers.count() == 1
        assert uow.touchpoints.count() == 0


def _consent(customer_id: CustomerId) -> Any:
    from relcore.domain import ConsentRecord

    return ConsentRecord(
        customer_id=customer_id, purpose="marketing", status="granted", source="form", recorded_at=AT
    )


# -- driver errors ------------------------------------------------------------


@pytest.mark.parametrize(
    ("orig", "transient"),
    [
        (psycopg.errors.DeadlockDetected("deadlock detected"), True),
        (psycopg.errors.SerializationFailure("could not serialize access"), True),
        (psycopg.errors.LockNotAvailable("could not obtain lock"), True),
        (pymysql.err.OperationalError(1213, "Deadlock found when trying to get lock"), True),
        (pymysql.err.OperationalError(1205, "Lock wait timeout exceeded"), True),
        (pymysql.err.OperationalError(2003, "Can't connect to MySQL server"), False),
        (psycopg.errors.UndefinedTable("relation does not exist"), False),
    ],
)
def test_lost_races_are_transient_storage_errors(orig: Exception, transient: bool) -> None:
    with pytest.raises(StorageError) as raised, translate_errors("add customer"):
        raise exc.OperationalError("INSERT ...", {}, orig)
    assert isinstance(raised.value, TransientStorageError) is transient
    assert str(raised.value).startswith("add customer failed")


@pytest.mark.parametrize(("code", "transient"), [(5, True), (6, True), (517, True), (1, False)])
def test_a_busy_sqlite_database_is_a_transient_storage_error(code: int, transient: bool) -> None:
    orig = sqlite3.OperationalError("database is locked" if transient else "SQL logic error")
    orig.sqlite_errorcode = code  # type: ignore[attr-defined]
    with pytest.raises(StorageError) as raised, translate_errors("commit", dbapi=sqlite3):
        raise orig  # as the raw driver raises it
    assert isinstance(raised.value, TransientStorageError) is transient


# -- PostgreSQL and MariaDB: imports lock keys in order and repeat lost races --


@pytest.fixture(params=["postgres", "mysql"])
def server_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server_store(server_backend: str, _server_engines: dict[str, object]) -> Iterator[Store]:
    store = _server_store(server_backend, _server_engines, None)
    yield store
    store.close()


def test_an_import_that_lost_a_race_to_a_committed_import_is_repeated(server_store: Store) -> None:
    """MariaDB: the keys were checked in an older snapshot, so the insert collides; the chunk is repeated."""
    crm = CRM(server_store)
    ada = crm.customers.add(Customer.person("Ada"))
    keys = [f"k{i}" for i in range(10)]
    with server_store.unit_of_work() as late:
        assert late.customers.count() == 1  # the transaction's snapshot starts here
        assert (
            crm.activity.import_touchpoints(touchpoints_for(ada.id, keys)) == 10
        )  # another connection, committed
        assert late.touchpoints.add_many(touchpoints_for(ada.id, [*keys[5:], "k10"])) == 1
        late.commit()
    with server_store.unit_of_work(read_only=True) as uow:
        assert uow.touchpoints.count() == 11


def test_a_customer_import_that_lost_a_race_to_a_committed_import_is_repeated(server_store: Store) -> None:
    """MariaDB: identities checked in an older snapshot, so the insert collides; the chunk is repeated.

    PostgreSQL reads committed rows at each statement: the chunk sees them at once.
    """
    crm = CRM(server_store)

    def feed(keys: list[str]) -> list[Customer]:
        return [Customer.person(f"Customer {key}", identities=[("feed", key)]) for key in keys]

    keys = [f"k{i}" for i in range(10)]
    with server_store.unit_of_work() as late:
        assert late.customers.count() == 0  # the transaction's snapshot starts here
        assert crm.customers.import_customers(feed(keys)) == 10  # another connection, committed
        assert late.customers.add_many(feed([*keys[5:], "k10"])) == 1
        late.commit()
    with server_store.unit_of_work(read_only=True) as uow:
        assert uow.customers.count() == 11
        assert uow.customers.find_by_identity("feed", "k5").name == "Customer k5"  # type: ignore[union-attr]


def test_each_chunk_is_inserted_in_key_order(server_store: Store) -> None:
    crm = CRM(server_store)
    ada = crm.customers.add(Customer.person("Ada"))
    keys = [f"k{i:03d}" for i in range(30)]
    sent = list(keys)
    random.Random(7).shuffle(sent)
    engine = server_store.bind  # type: ignore[attr-defined]
    inserted: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.startswith("INSERT INTO relcore_touchpoints"):
            inserted.extend(_external_ids(statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert crm.activity.import_touchpoints(touchpoints_for(ada.id, sent), chunk_size=10) == 30
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    chunks = [inserted[i : i + 10] for i in range(0, 30, 10)]
    assert [sorted(chunk) for chunk in chunks] == chunks
    assert sorted(inserted) == keys


def _external_ids(statement: str, parameters: Any) -> list[str]:
    """The external ids of an INSERT's rows, in row order (tuples, dicts or insertmanyvalues)."""
    if isinstance(parameters, list | tuple):
        columns = [c.strip() for c in statement.split("(", 1)[1].split(")", 1)[0].split(",")]
        at = columns.index("external_id")
        return [row[at] if isinstance(row, tuple) else row["external_id"] for row in parameters]
    numbered = {int(k.rsplit("__", 1)[1]): v for k, v in parameters.items() if k.startswith("external_id__")}
    return [numbered[i] for i in sorted(numbered)] or [parameters["external_id"]]


def test_a_chunk_that_lost_a_race_is_rolled_back_and_repeated(
    server_store: Store, server_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = CRM(server_store)
    ada = crm.customers.add(Customer.person("Ada"))
    name = "_insert_postgresql" if server_backend == "postgres" else "_insert_mysql"
    real = getattr(bulk_module, name)
    calls: list[bool] = []

    def lose_the_first_race(uow: Any, table: Any, batch: Any, *, again: bool = False) -> int:
        calls.append(again)
        new = real(uow, table, batch, again=again)
        if len(calls) == 1:  # the rows are in, then the database gives up: they must go again
            raise TransientStorageError("add relcore_touchpoints failed: deadlock detected")
        return int(new)

    monkeypatch.setattr(bulk_module, name, lose_the_first_race)
    assert crm.activity.import_touchpoints(touchpoints_for(ada.id, ["a", "b", "c"])) == 3
    assert calls == [False, True]
    assert len(crm.activity.timeline(ada.id)) == 3


def test_a_chunk_is_tried_a_bounded_number_of_times(
    server_store: Store, server_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = CRM(server_store)
    ada = crm.customers.add(Customer.person("Ada"))
    name = "_insert_postgresql" if server_backend == "postgres" else "_insert_mysql"
    calls: list[bool] = []

    def always_lose(uow: Any, table: Any, batch: Any, *, again: bool = False) -> int:
        calls.append(again)
        raise TransientStorageError("add relcore_touchpoints failed: deadlock detected")

    monkeypatch.setattr(bulk_module, name, always_lose)
    with pytest.raises(TransientStorageError):
        crm.activity.import_touchpoints(touchpoints_for(ada.id, ["a"]))
    # each of the import's attempts tries the chunk ATTEMPTS times
    assert len(calls) == bulk_module.ATTEMPTS * activity_api.IMPORT_ATTEMPTS
    calls.clear()
    with pytest.raises(TransientStorageError):
        crm.activity.import_touchpoints(iter(touchpoints_for(ada.id, ["a"])))  # an iterator is not sent again
    assert len(calls) == bulk_module.ATTEMPTS
    assert crm.activity.timeline(ada.id) == []


def test_a_lost_race_inside_a_host_transaction_is_left_to_the_host(
    server_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = server_store.bind  # type: ignore[attr-defined]
    ada = CRM(server_store).customers.add(Customer.person("Ada"))
    attempts: list[int] = []

    def lose(uow: Any, *args: Any, **kwargs: Any) -> int:
        attempts.append(1)
        raise TransientStorageError("add relcore_touchpoints failed: deadlock detected")

    monkeypatch.setattr("relcore.activity.services.import_touchpoints", lose)
    with engine.connect() as connection, connection.begin():
        with pytest.raises(TransientStorageError):
            CRM(SqlStore(connection)).activity.import_touchpoints(touchpoints_for(ada.id, ["a"]))
        connection.rollback()
    assert attempts == [1]


def test_conflicts_are_not_repeated(server_store: Store) -> None:
    """A touchpoint id stored under another key is a conflict in the data: no repeat helps."""
    crm = CRM(server_store)
    ada = crm.customers.add(Customer.person("Ada"))
    first = touchpoints_for(ada.id, ["a"])[0]
    crm.activity.import_touchpoints([first])
    with pytest.raises(ConflictError):
        crm.activity.import_touchpoints([attrs.evolve(first, external_id="b")])
