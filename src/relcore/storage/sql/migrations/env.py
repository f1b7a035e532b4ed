"""Alembic environment for relcore's own migrations.

relcore runs these programmatically through
[relcore.storage.sql.migrate][] and always passes the connection in
``config.attributes["connection"]``, with the migration lock held and a
transaction begun; there is no ``alembic.ini``. The DDL implementation is
the one of [relcore.storage.sql.migrations.ddl][]: chosen by dialect family,
and checking first on databases without transactional DDL.
"""

from __future__ import annotations

from alembic import context

from relcore.storage.sql.dialects import DialectFamily, dialect_family
from relcore.storage.sql.migrate import VERSION_TABLE
from relcore.storage.sql.migrations.ddl import check_first, register_family_impl
from relcore.storage.sql.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("relcore migrations run through relcore.storage.sql.upgrade(engine_or_connection)")

family = dialect_family(connection.dialect)
register_family_impl(connection.dialect)
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=family is DialectFamily.SQLITE,
    compare_type=True,
)
if not family.transactional_ddl:
    migration_context = context.get_context()
    migration_context.impl = check_first(migration_context.impl)
with context.begin_transaction():
    context.run_migrations()
