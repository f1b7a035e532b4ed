"""The shipped migrations and the declared MetaData agree, on every SQL backend."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from relcore.errors import SchemaVersionError
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
