"""Alembic environment for relcore's own migrations.

relcore runs these programmatically and always passes the connection in
``config.attributes["connection"]``; there is no ``alembic.ini``.
"""

from __future__ import annotations

from alembic import context

from relcore.storage.sql.migrate import VERSION_TABLE
from relcore.storage.sql.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("relcore migrations run through relcore.storage.sql.upgrade(engine_or_connection)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
