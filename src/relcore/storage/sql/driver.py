"""Reads compiled once and run on the driver's cursor, past SQLAlchemy's execution machinery.

A statement run through ``Connection.execute`` pays SQLAlchemy Core for its
cache lookup, execution context, events and result object, and every value
passes through the column type's result processor before relcore's row codec
converts it again. For small hot reads (a customer's timeline: one statement,
a few dozen rows) that is most of the time. Such a read is compiled here once
per dialect into the driver's SQL and parameter order (a `DriverStatement`),
run on the unit of work's connection and transaction with the driver's own
cursor ([SqlUnitOfWork.driver_rows][relcore.storage.sql.SqlUnitOfWork.driver_rows]),
and its raw rows are decoded by the table's codec (``RowCodec.reader``), one
conversion per column.

Only the drivers whose values the codec knows take this path
(`reads_on_driver`): ``sqlite3``, psycopg 3 and PyMySQL; others keep
SQLAlchemy's execution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from relcore.storage.sql.dialects import DialectFamily, dialect_family

__all__ = ["DRIVERS", "DriverStatement", "compile_for_driver", "reads_on_driver"]

DRIVERS: Mapping[DialectFamily, tuple[str, ...]] = {
    DialectFamily.SQLITE: ("pysqlite",),
    DialectFamily.POSTGRESQL: ("psycopg",),
    DialectFamily.MYSQL: ("pymysql",),
}
"""The SQLAlchemy driver names, per family, whose raw values the row codec decodes."""


def reads_on_driver(connection: Connection) -> bool:
    """Whether reads on ``connection`` may run on its driver's cursor.

    They may on a synchronous driver of `DRIVERS` returning values as
    SQLAlchemy stores them (not SQLite's ``native_datetime`` mode), and unless
    the connection renames schemas (``schema_translate_map``), which only
    SQLAlchemy's execution applies.
    """
    dialect = connection.dialect
    return (
        dialect.driver in DRIVERS[dialect_family(dialect)]
        and not getattr(dialect, "is_async", False)
        and not getattr(dialect, "native_datetime", False)
        and connection.get_execution_options().get("schema_translate_map") is None
    )


@attrs.frozen
class DriverStatement:
    """A statement compiled for one dialect: its SQL text and how its parameters are passed.

    Attributes:
        sql: The SQL the driver runs, in the dialect's parameter style.
        names: The parameter names in the order of a positional style
            (``?``, ``%s``); ``None`` for a named style (``%(name)s``), which
            takes the mapping of names as it is.
        fixed: The values of parameters the statement itself holds (such as
            the ``OFFSET 0`` SQLite writes after a ``LIMIT``).
    """

    sql: str
    names: tuple[str, ...] | None
    fixed: Mapping[str, Any] = attrs.field(factory=dict)

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        """Return ``values`` (driver values by parameter name) as the driver takes them."""
        if self.fixed:
            values = {**self.fixed, **values}
        if self.names is None:
            return values
        return tuple([values[name] for name in self.names])


def compile_for_driver(statement: sa.Select[Any], dialect: Dialect) -> DriverStatement:
    """Compile ``statement`` for ``dialect``, once: its SQL text and parameter order for the driver.

    The statement's parameters must be plain named ``bindparam``s: one whose
    value changes the SQL (an expanding ``IN`` list, a literal-rendered
    limit) or whose name the dialect rewrites is refused, since the SQL text
    is reused for every call.

    Raises:
        ValueError: The statement has such a parameter.
    """
    compiled = statement.compile(dialect=dialect)
    if compiled.literal_execute_params or compiled.post_compile_params or compiled.escaped_bind_names:
        raise ValueError("a statement run on the driver needs plain named parameters")
    fixed = {}
    for name, bind in compiled.binds.items():
        if not bind.required:
            if not isinstance(bind.value, int | str) or bind.type.bind_processor(dialect) is not None:
                raise ValueError(f"parameter {name} holds a value the driver cannot take as it is")
            fixed[name] = bind.value
    names = tuple(compiled.positiontup) if dialect.positional and compiled.positiontup is not None else None
    return DriverStatement(compiled.string, names, fixed)
