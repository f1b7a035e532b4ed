"""Dialects are recognised by family (their SQLAlchemy base class), not by name.

A PostgreSQL-family dialect under another name (as CockroachDB's and
YugabyteDB's are) must take the PostgreSQL path everywhere: migrations, bulk
ingest, rule SQL; a dialect of no known family is refused, never guessed at.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.mssql.base import MSDialect
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url
from sqlalchemy.engine.default import DefaultDialect

from relcore import CRM, Customer, Touchpoint
from relcore.errors import ConfigurationError
from relcore.segments import DEFAULT_CATALOGUE, FieldType, field
from relcore.segments._sql_fields import attribute
from relcore.segments._sql_rules import members_query
from relcore.storage.sql import SqlStore, current_revision, head_revision, upgrade
from relcore.storage.sql.dialects import DialectFamily, dialect_family
from relcore.storage.sql.engines import create_engine_for
from relcore.storage.sql.schema import customers
from relcore.storage.sql.testing import create_test_engine
from tests.conftest import server_url

AS_OF = datetime(2025, 1, 1, tzinfo=UTC)
CATALOGUE = DEFAULT_CATALOGUE.with_attributes(plan="text")


class RenamedPostgres(PGDialect_psycopg):
    """A PostgreSQL-family dialect that is not called "postgresql"."""

    name = "cockroachdb"
    supports_statement_cache = True


class RenamedSQLite(SQLiteDialect_pysqlite):
    """A SQLite-family dialect that is not called "sqlite"."""

    name = "libsql"
    supports_statement_cache = True


class Exotic(DefaultDialect):
    """A dialect of no family relcore knows (it talks to SQLite, but relcore cannot tell)."""

    name = "exotic"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> ModuleType:
        return sqlite3


registry.register("relcore_pgfamily.psycopg", __name__, "RenamedPostgres")
registry.register("relcore_sqlitefamily.pysqlite", __name__, "RenamedSQLite")
registry.register("relcore_exotic", __name__, "Exotic")


@pytest.mark.parametrize(
    ("url", "family"),
    [
        ("postgresql+psycopg://h/db", DialectFamily.POSTGRESQL),
        ("postgresql+psycopg2://h/db", DialectFamily.POSTGRESQL),
        ("postgresql+asyncpg://h/db", DialectFamily.POSTGRESQL),
        ("relcore_pgfamily+psycopg://h/db", DialectFamily.POSTGRESQL),
        ("mysql+pymysql://h/db", DialectFamily.MYSQL),
        ("mariadb+pymysql://h/db", DialectFamily.MYSQL),
        ("mysql+mysqldb://h/db", DialectFamily.MYSQL),
        ("sqlite+pysqlite:///x.db", DialectFamily.SQLITE),
        ("sqlite+aiosqlite:///x.db", DialectFamily.SQLITE),
        ("relcore_sqlitefamily+pysqlite:///x.db", DialectFamily.SQLITE),
    ],
)
def test_the_family_is_the_dialects_base_class(url: str, family: DialectFamily) -> None:
    dialect_class = make_url(url).get_dialect()
    assert dialect_family(dialect_class) is family
    assert dialect_family(dialect_class()) is family


def test_family_names_are_accepted_and_other_names_refused() -> None:
    assert dialect_family("mariadb") is DialectFamily.MYSQL
    assert dialect_family(DialectFamily.SQLITE) is DialectFamily.SQLITE
    with pytest.raises(ConfigurationError, match="'cockroachdb'"):
        dialect_family("cockroachdb")


@pytest.mark.parametrize("dialect", [MSDialect(), Exotic()], ids=["mssql", "exotic"])
def test_a_dialect_of_no_known_family_is_refused_by_name(dialect: sa.Dialect) -> None:
    with pytest.raises(ConfigurationError, match=repr(dialect.name)):
        dialect_family(dialect)
    with pytest.raises(ConfigurationError, match=repr(dialect.name)):
        members_query(field("attributes.plan") == "pro", AS_OF, dialect=dialect, catalogue=CATALOGUE)
    with pytest.raises(ConfigurationError, match=repr(dialect.name)):
        attribute(customers.c.attributes, "plan", FieldType.TEXT, dialect)


def test_opening_a_database_of_no_known_family_is_refused_before_connecting(tmp_path: Path) -> None:
    engine = sa.create_engine(f"relcore_exotic:///{tmp_path / 'exotic.db'}")
    connects: list[object] = []
    sa.event.listen(engine, "connect", lambda *args: connects.append(args))
    for attempt in (CRM.open, upgrade, current_revision):
        with pytest.raises(ConfigurationError, match="'exotic'"):
            attempt(engine)
    assert connects == []
    with pytest.raises(ConfigurationError, match="'exotic'"):
        create_engine_for(f"relcore_exotic:///{tmp_path / 'exotic.db'}")
    engine.dispose()


def _statements(engine: sa.Engine) -> list[str]:
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda c, cur, statement, *a: seen.append(statement))
    return seen


def _touchpoints(customer: Customer, count: int) -> list[Touchpoint]:
    return [
        Touchpoint(
            customer_id=customer.id,
            channel="web",
            direction="inbound",
            occurred_at=AS_OF,
            source="feed",
            external_id=str(i),
        )
        for i in range(count)
    ]


def test_a_postgresql_family_dialect_of_another_name_takes_the_postgresql_path() -> None:
    fresh = create_test_engine(server_url("postgres"))
    url = fresh.url.set(drivername="relcore_pgfamily+psycopg")
    fresh.dispose()
    engine = create_engine_for(url.render_as_string(hide_password=False))
    assert engine.dialect.name == "cockroachdb"
    try:
        crm = CRM.open(engine, catalogue=CATALOGUE)  # Alembic migrates with its PostgreSQL implementation
        assert current_revision(engine) == head_revision()
        pro = crm.customers.add(Customer.person("Pro", attributes={"plan": "pro"}))
        crm.customers.add(Customer.person("Free", attributes={"plan": "free"}))
        seen = _statements(engine)
        assert crm.activity.import_touchpoints(_touchpoints(pro, 3)) == 3
        assert crm.activity.import_touchpoints(_touchpoints(pro, 4)) == 1
        inserts = [s for s in seen if s.startswith("INSERT INTO relcore_touchpoints")]
        assert inserts
        assert all("ON CONFLICT (source, external_id) DO NOTHING" in s for s in inserts)
        seen.clear()
        assert list(crm.segments.members(field("attributes.plan") == "pro", AS_OF)) == [pro.id]
        assert any("json_typeof" in s for s in seen)  # PostgreSQL's JSON functions, not SQLite's
    finally:
        engine.dispose()


def test_a_sqlite_family_dialect_of_another_name_takes_the_sqlite_path(tmp_path: Path) -> None:
    engine = create_engine_for(f"relcore_sqlitefamily+pysqlite:///{tmp_path / 'renamed.db'}")
    assert engine.dialect.name == "libsql"
    with engine.connect() as connection:  # set up as relcore sets up SQLite
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    crm = CRM(SqlStore.open(engine), catalogue=CATALOGUE)
    pro = crm.customers.add(Customer.person("Pro", attributes={"plan": "pro"}))
    seen = _statements(engine)
    assert crm.activity.import_touchpoints(_touchpoints(pro, 3)) == 3
    # The SQLite path runs the driver's executemany directly, past SQLAlchemy's events.
    assert not any(s.startswith("INSERT INTO relcore_touchpoints") for s in seen)
    with crm.unit_of_work() as uow:
        assert uow.touchpoints.count() == 3
    assert list(crm.segments.members(field("attributes.plan") == "pro", AS_OF)) == [pro.id]
    engine.dispose()
