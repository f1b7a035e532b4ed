"""Opening a CRM is safe under host rollbacks, concurrent first opens, crashes and newer schemas.

The concurrency and crash tests run real processes (the ``spawn`` start
method), on SQLite, PostgreSQL and MariaDB/MySQL.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url

from relcore import CRM, Customer
from relcore.errors import ConfigurationError, SchemaVersionError, StorageError, ValidationError
from relcore.storage.sql import (
    VERSION_TABLE,
    configure_sqlite,
    current_revision,
    head_revision,
    metadata,
    migration_lock,
    upgrade,
)
from relcore.storage.sql.dialects import DialectFamily, dialect_family
from relcore.storage.sql.engines import create_engine_for
from relcore.storage.sql.testing import create_test_engine
from tests.conftest import server_url

SPAWN = multiprocessing.get_context("spawn")
CHILD_TIMEOUT_S = 120


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database (no relcore tables) on each SQL backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'open.db'}"
    engine = create_test_engine(server_url(request.param))
    rendered = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    return rendered


@pytest.fixture
def engine(url: str) -> Iterator[sa.Engine]:
    made = create_engine_for(url)
    yield made
    made.dispose()


def relcore_tables(engine: sa.Engine) -> set[str]:
    return {name for name in sa.inspect(engine).get_table_names() if name.startswith("relcore_")}


def assert_schema_at_head(engine: sa.Engine) -> None:
    """The schema is at head and is exactly the declared one; the CRM works on it."""
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        assert compare_metadata(context, metadata) == []
    assert relcore_tables(engine) == {t.name for t in metadata.sorted_tables} | {VERSION_TABLE}
    crm = CRM.open(engine, upgrade=False)
    ada = crm.customers.add(Customer.person("Ada"))
    assert crm.customers.get(ada.id) == ada


def join(process: Any) -> None:
    process.join(CHILD_TIMEOUT_S)
    if process.is_alive():
        process.kill()
        process.join()
        pytest.fail(f"a child process did not finish in {CHILD_TIMEOUT_S} s")


# -- host transactions --------------------------------------------------------


def test_a_host_rollback_never_leaves_the_schema_unopenable(engine: sa.Engine) -> None:
    family = dialect_family(engine)
    with engine.connect() as connection:
        connection.begin()
        if family.transactional_ddl:
            crm = CRM.open(connection)  # migrates inside the host transaction
            crm.customers.add(Customer.person("Rolled back"))
        else:
            with pytest.raises(ConfigurationError, match=r"relcore\.storage\.sql\.upgrade\(engine\)"):
                CRM.open(connection)
        connection.rollback()
    assert relcore_tables(engine) == set()  # the rollback undid it all, or nothing was done
    assert current_revision(engine) is None
    CRM.open(engine).close()
    assert_schema_at_head(engine)


@pytest.mark.parametrize("url", ["sqlite", "postgres"], indirect=True)  # MySQL refuses: see above
def test_a_host_transaction_commits_the_migration_with_its_own_work(engine: sa.Engine) -> None:
    with engine.connect() as connection, connection.begin():
        crm = CRM.open(connection)
        ada = crm.customers.add(Customer.person("Ada"))
    assert CRM.open(engine, upgrade=False).customers.get(ada.id) == ada


def test_a_host_transaction_needs_no_migration_once_upgraded(engine: sa.Engine) -> None:
    upgrade(engine)
    with engine.connect() as connection:
        connection.begin()
        crm = CRM.open(connection)
        ada = crm.customers.add(Customer.person("Ada"))
        connection.commit()
    assert CRM.open(engine, upgrade=False).customers.get(ada.id) == ada


def test_an_idle_host_connection_stays_idle_after_migrating(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        CRM.open(connection)
        assert not connection.in_transaction()
    assert_schema_at_head(engine)


# -- revisions ----------------------------------------------------------------


def test_a_schema_written_by_a_newer_relcore_is_a_schema_version_error(engine: sa.Engine) -> None:
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    for attempt in (
        lambda: CRM.open(engine),
        lambda: CRM.open(engine, upgrade=False),
        lambda: upgrade(engine),
    ):
        with pytest.raises(SchemaVersionError, match="newer relcore") as raised:
            attempt()
        assert "Upgrade relcore" in str(raised.value)
    assert current_revision(engine) == "9999"


def test_upgrade_step_by_step_and_never_down(engine: sa.Engine) -> None:
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    CRM.open(engine).close()
    assert current_revision(engine) == head_revision()
    with pytest.raises(SchemaVersionError, match="already past"):
        upgrade(engine, "0001")
    assert_schema_at_head(engine)


@pytest.mark.parametrize("revision", ["nope", "", 1, None])
def test_upgrade_refuses_an_unknown_revision_before_touching_the_database(revision: Any) -> None:
    engine = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never reached
    with pytest.raises(ValidationError) as raised:
        upgrade(engine, revision)
    assert raised.value.paths == ("revision",)


@pytest.mark.parametrize("bind", ["sqlite:///x.db", None, object()])
def test_migration_functions_refuse_what_is_not_an_engine_or_connection(bind: Any) -> None:
    for attempt in (upgrade, current_revision):
        with pytest.raises(ConfigurationError, match="Engine or Connection"):
            attempt(bind)


def test_a_sqlite_engine_without_configure_sqlite_is_refused(tmp_path: Path) -> None:
    plain = sa.create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    with pytest.raises(ConfigurationError, match=r"configure_sqlite\(engine\)"):
        CRM.open(plain)
    assert relcore_tables(plain) == set()
    configure_sqlite(plain)
    CRM.open(plain).close()
    assert current_revision(plain) == head_revision()
    plain.dispose()


# -- concurrent first opens -----------------------------------------------------


def _open_concurrently(url: str, barrier: Any, results: Any) -> None:
    """Child: wait for the others, open the CRM, report the outcome and whether it migrated."""
    from sqlalchemy import event

    engine = create_engine_for(url)
    created: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().startswith("CREATE TABLE relcore_customers "):
            created.append(statement)
        if statement.lstrip().startswith("CREATE "):
            time.sleep(0.01)  # widen the window in which unserialized opens collide

    barrier.wait(CHILD_TIMEOUT_S)
    try:
        CRM.open(engine).close()
        outcome = "ok"
    except Exception as error:
        outcome = f"{type(error).__name__}: {error}"
    engine.dispose()
    results.put((outcome, len(created)))


def test_concurrent_first_opens_all_succeed_and_one_migrates(url: str) -> None:
    processes = 4
    barrier, results = SPAWN.Barrier(processes), SPAWN.Queue()
    children = [
        SPAWN.Process(target=_open_concurrently, args=(url, barrier, results)) for _ in range(processes)
    ]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=CHILD_TIMEOUT_S) for _ in children]
    for child in children:
        join(child)
    assert [outcome for outcome, _ in outcomes] == ["ok"] * processes
    assert sorted(migrated for _, migrated in outcomes) == [0] * (processes - 1) + [1]
    engine = create_engine_for(url)
    assert_schema_at_head(engine)
    engine.dispose()


def _impatient_engine(url: str) -> sa.Engine:
    """An engine whose lock waits are short: a SQLite busy timeout, a PostgreSQL lock_timeout."""
    family = dialect_family(make_url(url).get_dialect())
    if family is DialectFamily.POSTGRESQL:
        return sa.create_engine(url, connect_args={"options": "-c lock_timeout=500"})
    engine = create_engine_for(url)
    if family is DialectFamily.SQLITE:
        sa.event.listen(engine, "connect", lambda dbapi, record: dbapi.execute("PRAGMA busy_timeout = 100"))
    return engine


def test_a_migration_waiting_too_long_for_the_lock_gives_up_with_a_storage_error(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(migration_lock, "LOCK_TIMEOUT_S", 1)
    holder, waiter = create_engine_for(url), _impatient_engine(url)
    with holder.connect() as connection, migration_lock.hold_on_session(connection, VERSION_TABLE):
        for attempt in (upgrade, CRM.open):
            with pytest.raises(StorageError, match=r"waited 1 s|lock timeout"):
                attempt(waiter)
    assert current_revision(waiter) is None
    upgrade(waiter)  # the lock is free again
    assert_schema_at_head(holder)
    holder.dispose()
    waiter.dispose()


# -- crashes ------------------------------------------------------------------


def _migrate_and_die(url: str, before: str) -> None:
    """Child: migrate, and kill this process just before the first statement matching ``before``."""
    from sqlalchemy import event

    engine = create_engine_for(url)
    moment = re.compile(before)

    @event.listens_for(engine, "before_cursor_execute")
    def _die(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if moment.match(statement.lstrip()):
            os.kill(os.getpid(), signal.SIGKILL)

    CRM.open(engine)
    sys.exit(3)  # the moment never came


def _shipped_revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    from relcore.storage.sql import migrations

    return [script.revision for script in ScriptDirectory(migrations.__path__[0]).walk_revisions()][::-1]


REVISIONS = _shipped_revisions()
MOMENTS = {
    "before the first table": r"CREATE TABLE relcore_customers ",
    "between a table and its index": r"CREATE INDEX ix_relcore_customers_stage ",
    "in the middle of the first revision": r"CREATE TABLE relcore_identities ",
    "in the middle of a later revision": r"CREATE TABLE relcore_segment_members ",
    # Each revision done but not recorded: the next open runs all of it again.
    f"before {REVISIONS[0]} is recorded": r"INSERT INTO relcore_alembic_version ",
    **{
        f"before {revision} is recorded": rf"UPDATE relcore_alembic_version SET version_num='{revision}'"
        for revision in REVISIONS[1:]
    },
}
"""Where the migrating process is killed: just before the first statement matching the pattern."""

CRASHES = [
    # Every moment where each statement commits on its own; on SQLite and PostgreSQL a
    # migration is one transaction, so any moment is as good as another: two of them.
    *(pytest.param("mysql", moment, id=f"mysql-{moment}") for moment in MOMENTS),
    *(
        pytest.param(backend, moment, id=f"{backend}-{moment}")
        for backend in ("sqlite", "postgres")
        for moment in ("in the middle of the first revision", f"before {REVISIONS[-1]} is recorded")
    ),
]


@pytest.mark.parametrize(("url", "moment"), CRASHES, indirect=["url"])
def test_a_migration_killed_at_any_moment_is_finished_by_the_next_open(url: str, moment: str) -> None:
    child = SPAWN.Process(target=_migrate_and_die, args=(url, MOMENTS[moment]))
    child.start()
    join(child)
    assert child.exitcode == -signal.SIGKILL  # killed at that moment, not finished
    engine = create_engine_for(url)
    CRM.open(engine).close()
    assert_schema_at_head(engine)
    engine.dispose()


@pytest.mark.parametrize("url", ["mysql"], indirect=True)  # the family committing DDL at once
def test_the_mysql_family_re_runs_an_interrupted_revision_creating_only_what_is_missing(
    engine: sa.Engine,
) -> None:
    upgrade(engine, "0001")
    # What a kill in the middle of 0002 leaves: its first table, and 0001 recorded.
    segments = metadata.tables["relcore_segments"]
    segments.create(engine)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda c, cur, s, *a: statements.append(s.lstrip()))
    upgrade(engine)
    created = [s.split("(")[0].strip() for s in statements if s.startswith("CREATE")]
    assert "CREATE TABLE relcore_segments" not in created
    assert "CREATE TABLE relcore_segment_members" in created
    assert_schema_at_head(engine)


@pytest.mark.parametrize("url", ["mysql"], indirect=True)
def test_on_the_mysql_family_every_create_and_drop_can_run_twice(engine: sa.Engine) -> None:
    from alembic.operations import Operations

    from relcore.storage.sql.migrations.ddl import check_first

    table = "relcore_scratch"
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        context.impl = check_first(context.impl)
        op = Operations(context)
        for _ in range(2):  # the second round is the re-run after a crash
            columns = [sa.Column("id", sa.Integer, primary_key=True), sa.Column("ref", sa.Integer)]
            op.create_table(table, *columns)
            op.add_column(table, sa.Column("extra", sa.String(10)))
            op.create_index("ix_relcore_scratch_extra", table, ["extra"])
            op.create_unique_constraint("uq_relcore_scratch_ref", table, ["ref"])
        inspector = sa.inspect(connection)
        assert [c["name"] for c in inspector.get_columns(table)] == ["id", "ref", "extra"]
        assert {i["name"] for i in inspector.get_indexes(table)} >= {"ix_relcore_scratch_extra"}
        assert [c["name"] for c in inspector.get_unique_constraints(table)] == ["uq_relcore_scratch_ref"]
        for _ in range(2):
            op.drop_constraint("uq_relcore_scratch_ref", table, type_="unique")
            op.drop_index("ix_relcore_scratch_extra", table_name=table)
            op.drop_column(table, "extra")
            op.drop_table(table)
        assert not sa.inspect(connection).has_table(table)
