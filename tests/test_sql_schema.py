"""The shipped migrations and the declared MetaData agree, on every SQL backend."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from relcore._kernel.adapters import load
from relcore.errors import SchemaVersionError
from relcore.registry import aggregates
from relcore.storage.sql import (
    VERSION_TABLE,
    SqlStore,
    current_revision,
    head_revision,
    metadata,
    upgrade,
)
from relcore.storage.sql.engines import create_engine_for
from relcore.storage.sql.testing import create_test_engine
from relcore.storage.sql.types import KeyText, exact_collation
from tests.conftest import server_url


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> sa.Engine:
    if request.param == "sqlite":
        made = create_engine_for(tmp_path / "schema.db")
    else:
        made = create_test_engine(server_url(request.param))
    yield made
    made.dispose()


def test_migrations_produce_exactly_the_declared_tables(engine: sa.Engine) -> None:
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        diff = compare_metadata(context, metadata)
        tables = set(sa.inspect(connection).get_table_names())
    assert diff == []
    assert tables == {t.name for t in metadata.sorted_tables} | {VERSION_TABLE}


def test_upgrade_records_the_head_revision_and_is_idempotent(engine: sa.Engine) -> None:
    assert current_revision(engine) is None
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_open_without_upgrade_refuses_an_empty_database(engine: sa.Engine) -> None:
    with pytest.raises(SchemaVersionError, match="upgrade"):
        SqlStore.open(engine, upgrade=False)
    SqlStore.open(engine)  # creates the schema
    SqlStore.open(engine, upgrade=False)  # now current


def test_host_tables_in_the_same_database_are_left_alone(engine: sa.Engine) -> None:
    host = sa.MetaData()
    orders = sa.Table("host_orders", host, sa.Column("id", sa.Integer, primary_key=True))
    host.create_all(engine)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            connection.execute(orders.insert(), [{"id": 1}])
        assert "host_orders" in sa.inspect(engine).get_table_names()
    finally:
        host.drop_all(engine)


def _key_columns(table: sa.Table) -> set[str]:
    """Columns of ``table`` in its primary key, a unique constraint or an index."""
    names = {c.name for c in table.primary_key.columns}
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            names |= {c.name for c in constraint.columns}
    for index in table.indexes:
        names |= {c.name for c in index.columns}
    return names


def test_every_text_key_column_is_declared_exact() -> None:
    for table in metadata.sorted_tables:
        for name in _key_columns(table):
            column = table.c[name]
            if isinstance(column.type, sa.String | KeyText):
                assert isinstance(column.type, KeyText), f"{table.name}.{name}"


def test_migrated_text_columns_have_the_declared_collations(engine: sa.Engine) -> None:
    upgrade(engine)
    text_columns = [
        (table.name, column.name, isinstance(column.type, KeyText))
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.String | KeyText)
    ]
    with engine.connect() as connection:
        if (
            engine.dialect.name == "sqlite"
        ):  # BINARY, SQLite's exact comparison, unless a column says otherwise
            ddl = connection.execute(
                sa.text("SELECT sql FROM sqlite_master WHERE name LIKE 'relcore%'")
            ).scalars()
            assert not any("COLLATE" in (statement or "").upper() for statement in ddl)
            return
        query = sa.text(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = :schema AND table_name LIKE 'relcore%'"
        )
        schema = "public" if engine.dialect.name == "postgresql" else engine.url.database
        stored = {(t, c): collation for t, c, collation in connection.execute(query, {"schema": schema})}
    exact = exact_collation(engine.dialect)
    for table, column, is_key in text_columns:
        if exact is None:  # PostgreSQL: the database's deterministic default, which compares exactly
            assert stored[(table, column)] is None, f"{table}.{column}"
        else:
            assert stored[(table, column)] == (exact if is_key else "utf8mb4_bin"), f"{table}.{column}"


def test_every_registered_aggregate_names_a_table_of_relcores_metadata() -> None:
    """The declarations and the reviewed schema agree: each aggregate's ``table`` is on the metadata."""
    for aggregate in aggregates():
        assert aggregate.table is not None, aggregate.name
        table = load(aggregate.table)
        assert metadata.tables.get(table.name) is table, aggregate.name
