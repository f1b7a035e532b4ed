"""Running relcore's shipped Alembic migrations, safely.

relcore keeps its own migration history, recorded in its own version table
([VERSION_TABLE][relcore.storage.sql.migrate.VERSION_TABLE]), so it never
collides with the host application's Alembic history in the same database.

A migration is safe against the things that happen to real deployments:

* **Concurrent first opens.** Migrations are serialized by a database-level
  lock ([relcore.storage.sql.migration_lock][]); whoever takes it second reads
  the revision again, finds the schema at head and does nothing.
* **Host rollbacks.** On SQLite and PostgreSQL a migration inside a host
  transaction is part of it: a rollback undoes the tables and their recorded
  revision together. MySQL and MariaDB commit DDL at once, so there relcore
  refuses to migrate inside a host transaction
  ([ConfigurationError][relcore.errors.ConfigurationError]); run
  [upgrade][relcore.storage.sql.migrate.upgrade] on the engine first.
* **Crashes.** On SQLite and PostgreSQL a migration is one transaction: a
  killed process leaves the schema as it was. On MySQL and MariaDB each
  statement commits, so a killed process can leave a revision half applied
  and unrecorded; every operation of relcore's migrations does only what is
  missing there ([relcore.storage.sql.migrations.ddl][]), so the next
  upgrade, or the next open, re-runs the revision and finishes it.
* **A newer relcore.** A database migrated by a later relcore is at a
  revision this one does not know; opening it raises
  [SchemaVersionError][relcore.errors.SchemaVersionError] saying to upgrade
  relcore, and nothing is changed.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy.engine import Connection, Engine

from relcore.errors import ConfigurationError, SchemaVersionError, ValidationError
from relcore.storage.sql import migration_lock
from relcore.storage.sql.dialects import dialect_family
from relcore.storage.sql.engines import translate_errors

__all__ = ["VERSION_TABLE", "current_revision", "ensure_current", "head_revision", "upgrade"]

VERSION_TABLE = "relcore_alembic_version"
"""The table where relcore records its schema revision."""

_SCRIPT_LOCATION = "relcore.storage.sql:migrations"


@cache
def _revisions() -> tuple[str, ...]:
    """The shipped revisions, oldest first (the history is linear)."""
    from alembic.script import ScriptDirectory

    from relcore.storage.sql import migrations

    script = ScriptDirectory(migrations.__path__[0])
    return tuple(reversed([s.revision for s in script.walk_revisions()]))


def head_revision() -> str:
    """Return the newest revision shipped with this version of relcore."""
    return _revisions()[-1]


def current_revision(bind: Engine | Connection) -> str | None:
    """Return the revision the database is at, or ``None`` if relcore never ran.

    Raises:
        ConfigurationError: If ``bind`` is not an engine or connection, or its
            dialect is of no family relcore supports.
        StorageError: If the database fails.
    """
    from alembic.runtime.migration import MigrationContext

    from relcore.storage.sql.migrations.ddl import register_family_impl

    _check_bind(bind)
    with translate_errors("read relcore's schema revision"):
        if isinstance(bind, Engine):
            with bind.connect() as connection:
                return current_revision(connection)
        register_family_impl(bind.dialect)
        context = MigrationContext.configure(bind, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def upgrade(bind: Engine | Connection, revision: str = "head") -> None:
    """Bring relcore's tables up to ``revision`` (the newest by default).

    Safe to call from several processes at once: the migration runs under a
    database-level lock, and a process that finds the work done does nothing.

    Given an engine, runs in a transaction of its own and commits. Given a
    connection outside a transaction, does the same on it. Given a connection
    in a transaction, runs inside that transaction (so a host can include the
    upgrade in its own deployment transaction) on SQLite and PostgreSQL; on
    MySQL and MariaDB, which commit DDL at once, it refuses.

    Raises:
        ValidationError: If ``revision`` is not one of relcore's revisions.
        ConfigurationError: On MySQL/MariaDB when ``bind`` is a connection in
            a transaction and the schema is not at ``revision``; if ``bind``
            is not an engine or connection, or of no supported dialect
            family; or for a SQLite engine not set up with
            [configure_sqlite][relcore.storage.sql.configure_sqlite].
        SchemaVersionError: If the database is at a revision this relcore
            does not know (a newer relcore migrated it), or already past
            ``revision``.
        StorageError: If the database fails, or another process's migration
            holds the lock too long (see
            [relcore.storage.sql.migration_lock][]).
    """
    _check_bind(bind)
    target = _check_target(revision)
    with translate_errors("upgrade relcore's schema"):
        if isinstance(bind, Engine):
            with bind.connect() as connection:
                _migrate(connection, target)
        else:
            _migrate(bind, target)


def ensure_current(bind: Engine | Connection, *, upgrade_schema: bool) -> None:
    """Upgrade the schema to head, or check it is there.

    A connection that was not in a transaction is left without one.

    Raises:
        SchemaVersionError: If ``upgrade_schema`` is false and the database is
            not at [head_revision][relcore.storage.sql.migrate.head_revision],
            or if a newer relcore migrated the database.
        ConfigurationError: As [upgrade][relcore.storage.sql.migrate.upgrade].
    """
    _check_bind(bind)
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            ensure_current(connection, upgrade_schema=upgrade_schema)
        return
    host_transaction = bind.in_transaction()
    revision = current_revision(bind)
    if not host_transaction:
        bind.rollback()  # end the read this check began
    if revision == head_revision():
        return
    _check_known(revision)
    if not upgrade_schema:
        raise SchemaVersionError(
            f"relcore's schema is at {revision!r}, this relcore needs {head_revision()!r}; "
            "run relcore.storage.sql.upgrade(engine) or open with upgrade=True"
        )
    _migrate(bind, head_revision())


def _check_bind(bind: object) -> None:
    """Refuse what is not an engine or connection, or of an unsupported dialect family."""
    if not isinstance(bind, Engine | Connection):
        raise ConfigurationError(f"expected a SQLAlchemy Engine or Connection, got {type(bind).__name__}")
    dialect_family(bind.dialect)


def _check_target(revision: object) -> str:
    if not isinstance(revision, str):
        raise ValidationError.single("revision", f"expected a str, got {type(revision).__name__}")
    if revision == "head":
        return head_revision()
    if revision not in _revisions():
        raise ValidationError.single("revision", f"not a relcore revision (known: {', '.join(_revisions())})")
    return revision


def _check_known(revision: str | None) -> None:
    if revision is not None and revision not in _revisions():
        raise SchemaVersionError(
            f"relcore's schema in this database is at revision {revision!r}, which this relcore "
            f"(newest revision {head_revision()!r}) does not know: a newer relcore migrated it. "
            "Upgrade relcore to that version (or later) to open this database"
        )


def _needs_work(current: str | None, target: str) -> bool:
    """Whether going from ``current`` to ``target`` is an upgrade; refuse what is not."""
    if current == target:
        return False
    _check_known(current)
    revisions = _revisions()
    if current is not None and revisions.index(current) > revisions.index(target):
        raise SchemaVersionError(
            f"relcore's schema is at {current!r}, already past {target!r}; relcore does not downgrade"
        )
    return True


def _migrate(connection: Connection, target: str) -> None:
    """Bring ``connection``'s database to ``target`` under the migration lock."""
    if not connection.in_transaction():
        with migration_lock.hold_on_session(connection, VERSION_TABLE):
            _run_locked(connection, target)
        return
    if not dialect_family(connection.dialect).transactional_ddl:
        if not _needs_work(current_revision(connection), target):
            return
        raise ConfigurationError(
            "relcore's tables need creating or upgrading, and MySQL/MariaDB commit schema changes at "
            "once, so relcore does not migrate inside an open transaction that could still roll back. "
            "Run relcore.storage.sql.upgrade(engine) once before opening the CRM on a connection in a "
            "transaction"
        )
    migration_lock.hold_in_transaction(connection, VERSION_TABLE)
    _run_locked(connection, target)


def _run_locked(connection: Connection, target: str) -> None:
    """Migrate to ``target``, holding the lock: the revision is read again first."""
    from alembic import command
    from alembic.config import Config

    if not _needs_work(current_revision(connection), target):
        return
    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    attributes: dict[str, Any] = config.attributes
    attributes["connection"] = connection
    command.upgrade(config, target)
