"""Helpers for testing the SQL adapter against server databases.

Used by relcore's own test suite and usable by hosts running the contract
suite on PostgreSQL or MySQL/MariaDB: each pytest-xdist worker gets its own
database (``<name>_<worker>``), created on first use, so parallel workers
never see each other's rows.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from relcore.storage.sql.dialects import DialectFamily, dialect_family
from relcore.storage.sql.engines import create_engine_for
from relcore.storage.sql.migrate import VERSION_TABLE, current_revision, head_revision
from relcore.storage.sql.schema import metadata

__all__ = ["create_test_engine", "wipe"]


def create_test_engine(url: str) -> Engine:
    """Return an engine on a fresh test database derived from ``url``.

    Under pytest-xdist the database name gets the worker id appended and the
    database is created if missing. relcore's tables in it are dropped, so the
    first store opened on it runs every migration from the start.
    """
    parsed = make_url(url)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and dialect_family(parsed.get_dialect()) is not DialectFamily.SQLITE:
        name = f"{parsed.database}_{worker}"
        _create_database(parsed.render_as_string(hide_password=False), name)
        parsed = parsed.set(database=name)
    engine = create_engine_for(parsed.render_as_string(hide_password=False))
    with engine.begin() as connection:
        metadata.drop_all(connection)
        connection.execute(sa.text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
    return engine


def _create_database(admin_url: str, name: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if dialect_family(engine) is DialectFamily.POSTGRESQL:
                exists = connection.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                ).first()
                if exists is None:
                    connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
            else:
                connection.execute(sa.text(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4"))
    finally:
        engine.dispose()


def wipe(engine: Engine) -> None:
    """Delete every row of relcore's tables, keeping the schema if it is current.

    A schema at another revision is dropped instead, to be rebuilt by the
    next [`open`][relcore.storage.sql.SqlStore.open].
    """
    with engine.begin() as connection:
        if current_revision(connection) != head_revision():
            metadata.drop_all(connection)
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
            return
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
