"""Running relcore's shipped Alembic migrations.

relcore keeps its own migration history, recorded in its own version table
([`VERSION_TABLE`][relcore.storage.sql.VERSION_TABLE]), so it never collides with the host application's
Alembic history in the same database.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy.engine import Connection, Engine

from relcore.errors import SchemaVersionError

__all__ = ["VERSION_TABLE", "current_revision", "ensure_current", "head_revision", "upgrade"]

VERSION_TABLE = "relcore_alembic_version"
"""The table where relcore records its schema revision."""

_SCRIPT_LOCATION = "relcore.storage.sql:migrations"


def _config(connection: Connection) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """Return the newest revision shipped with this version of relcore."""
    from alembic.script import ScriptDirectory

    from relcore.storage.sql import migrations

    head = ScriptDirectory(migrations.__path__[0]).get_current_head()
    assert head is not None
    return head


def current_revision(bind: Engine | Connection) -> str | None:
    """Return the revision the database is at, or ``None`` if relcore never ran."""
    from alembic.runtime.migration import MigrationContext

    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return current_revision(connection)
    context = MigrationContext.configure(bind, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(bind: Engine | Connection, revision: str = "head") -> None:
    """Bring relcore's tables up to ``revision`` (the newest by default).

    Given an engine, runs in a transaction of its own and commits. Given a
    connection, runs in its current transaction (or begins and commits one),
    so a host can include the upgrade in its own deployment transaction.
    """
    from alembic import command

    if isinstance(bind, Engine):
        with bind.begin() as connection:
            upgrade(connection, revision)
        return
    command.upgrade(_config(bind), revision)  # type: ignore[arg-type]


def ensure_current(bind: Engine | Connection, *, upgrade_schema: bool) -> None:
    """Upgrade the schema, or check it is current.

    Raises:
        SchemaVersionError: If ``upgrade_schema`` is false and the database is
            not at [`head_revision`][relcore.storage.sql.head_revision].
    """
    if current_revision(bind) == head_revision():
        return
    if upgrade_schema:
        upgrade(bind)
        return
    raise SchemaVersionError(
        f"relcore's schema is at {current_revision(bind)!r}, this relcore needs {head_revision()!r}; "
        "run relcore.storage.sql.upgrade() or open with upgrade=True"
    )
