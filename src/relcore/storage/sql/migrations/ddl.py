"""The Alembic DDL implementation relcore's migrations run with.

Two things differ from Alembic's defaults:

* The implementation is chosen by the dialect's family
  ([relcore.storage.sql.dialects][]), not by its name, so a PostgreSQL-family
  dialect called ``"cockroachdb"`` migrates with Alembic's PostgreSQL
  implementation when no Alembic implementation of that name is installed.
* On a family without transactional DDL (MySQL, MariaDB) every statement of a
  migration commits at once, so a process killed in the middle of a revision
  leaves part of it applied and the revision unrecorded. There, each
  operation checks the database first and does only what is missing: a table,
  index, column or named constraint that already exists is not created again,
  one that is already gone is not dropped again (a table that exists gets the
  indexes it lacks). Re-running an interrupted revision therefore finishes
  it. Other operations (``alter_column`` setting a type, nullability or
  collation) reach the same end state when repeated.

Rule for migration authors: on MySQL and MariaDB, every revision must be safe
to run again from its start after being interrupted after any statement; use
the operations above, and make data updates idempotent (``UPDATE ... WHERE``
the row still needs it).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa
from alembic.ddl.impl import DefaultImpl
from alembic.ddl.mysql import MariaDBImpl, MySQLImpl
from alembic.ddl.postgresql import PostgresqlImpl
from alembic.ddl.sqlite import SQLiteImpl
from sqlalchemy.engine import Dialect

from relcore.storage.sql.dialects import DialectFamily, dialect_family

__all__ = ["check_first", "register_family_impl"]

_FAMILY_IMPLS: dict[DialectFamily, type[DefaultImpl]] = {
    DialectFamily.POSTGRESQL: PostgresqlImpl,
    DialectFamily.MYSQL: MySQLImpl,
    DialectFamily.SQLITE: SQLiteImpl,
}


def register_family_impl(dialect: Dialect) -> None:
    """Make Alembic find an implementation for ``dialect`` by its family.

    Alembic looks its implementations up by dialect name. A dialect of a
    known family under a name Alembic has no implementation for gets a
    subclass of its family's implementation registered under that name (the
    way third-party dialects register theirs). An implementation that is
    already registered is left alone.

    Raises:
        ConfigurationError: If the dialect is of no family relcore supports.
    """
    family = dialect_family(dialect)
    try:
        DefaultImpl.get_by_dialect(dialect)
    except KeyError:
        base = _FAMILY_IMPLS[family]
        if family is DialectFamily.MYSQL and getattr(dialect, "is_mariadb", False):
            base = MariaDBImpl
        # Defining a subclass with ``__dialect__`` registers it with Alembic.
        type(f"RelcoreFamilyImpl_{dialect.name}", (base,), {"__dialect__": dialect.name})


def check_first(impl: DefaultImpl) -> DefaultImpl:
    """Return ``impl`` made to create and drop only what needs it (see the module docs)."""
    cls = _check_first_class(type(impl))
    return cls(
        impl.dialect,
        impl.connection,
        impl.as_sql,
        impl.transactional_ddl,
        impl.output_buffer,
        impl.context_opts,
    )


@cache
def _check_first_class(base: type[DefaultImpl]) -> type[DefaultImpl]:
    # No ``__dialect__`` in the class body: Alembic does not register it.
    return type(f"CheckFirst{base.__name__}", (_CheckFirst, base), {})


class _CheckFirst(DefaultImpl):
    """Mixin over an Alembic implementation: creates and drops check the database first."""

    def _inspector(self) -> sa.Inspector:
        assert self.connection is not None, "relcore never runs migrations offline"
        return sa.inspect(self.connection)

    def _has_table(self, name: str, schema: str | None) -> bool:
        return self._inspector().has_table(name, schema=schema)

    def _has_index(self, index: sa.Index) -> bool:
        table = index.table
        assert table is not None
        if not self._has_table(table.name, table.schema):
            return False
        return index.name in {
            i["name"] for i in self._inspector().get_indexes(table.name, schema=table.schema)
        }

    def _has_column(self, table_name: str, column_name: str, schema: str | None) -> bool:
        if not self._has_table(table_name, schema):
            return False
        columns = self._inspector().get_columns(table_name, schema=schema)
        return column_name in {c["name"] for c in columns}

    def _has_constraint(self, constraint: sa.Constraint) -> bool:
        table = constraint.table
        inspector = self._inspector()
        if not inspector.has_table(table.name, schema=table.schema):
            return False
        names: set[str | None] = {inspector.get_pk_constraint(table.name, schema=table.schema)["name"]}
        names.update(c["name"] for c in inspector.get_foreign_keys(table.name, schema=table.schema))
        names.update(c["name"] for c in inspector.get_unique_constraints(table.name, schema=table.schema))
        names.update(c["name"] for c in inspector.get_check_constraints(table.name, schema=table.schema))
        return constraint.name in names

    def create_table(self, table: sa.Table, **kw: Any) -> None:
        """Create the table if it is missing, else only the indexes it lacks."""
        if not self._has_table(table.name, table.schema):
            super().create_table(table, **kw)
            return
        for index in table.indexes:
            self.create_index(index)

    def drop_table(self, table: sa.Table, **kw: Any) -> None:
        """Drop the table if it is there."""
        if self._has_table(table.name, table.schema):
            super().drop_table(table, **kw)

    def create_index(self, index: sa.Index, **kw: Any) -> None:
        """Create the index if it is missing."""
        if not self._has_index(index):
            super().create_index(index, **kw)

    def drop_index(self, index: sa.Index, **kw: Any) -> None:
        """Drop the index if it is there."""
        if self._has_index(index):
            super().drop_index(index, **kw)

    def add_column(self, table_name: str, column: sa.Column[Any], **kw: Any) -> None:
        """Add the column if it is missing."""
        if not self._has_column(table_name, column.name, kw.get("schema")):
            super().add_column(table_name, column, **kw)

    def drop_column(self, table_name: str, column: sa.Column[Any], **kw: Any) -> None:
        """Drop the column if it is there."""
        if self._has_column(table_name, column.name, kw.get("schema")):
            super().drop_column(table_name, column, **kw)

    def add_constraint(self, const: Any, **kw: Any) -> None:
        """Add the named constraint if it is missing."""
        if const.name is None or not self._has_constraint(const):
            super().add_constraint(const, **kw)

    def drop_constraint(self, const: sa.Constraint, **kw: Any) -> None:
        """Drop the named constraint if it is there."""
        if const.name is None or self._has_constraint(const):
            super().drop_constraint(const, **kw)
