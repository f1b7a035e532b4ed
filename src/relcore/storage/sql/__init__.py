"""The SQL adapter: relcore's tables and repositories on SQLAlchemy Core.

Works on SQLite (the embedded default), PostgreSQL (psycopg 3) and
MySQL/MariaDB (PyMySQL). Hosts can pass their own engine or connection; the
tables are in [`metadata`][relcore.storage.sql.metadata] and evolve through relcore's own Alembic
migrations ([`upgrade`][relcore.storage.sql.upgrade], version
table [`VERSION_TABLE`][relcore.storage.sql.VERSION_TABLE]).
"""

from relcore.storage.sql.engines import SQLITE_BEGIN, configure_sqlite
from relcore.storage.sql.migrate import VERSION_TABLE, current_revision, head_revision, upgrade
from relcore.storage.sql.schema import NAMING_CONVENTION, metadata
from relcore.storage.sql.store import SqlStore, SqlUnitOfWork

__all__ = [
    "NAMING_CONVENTION",
    "SQLITE_BEGIN",
    "VERSION_TABLE",
    "SqlStore",
    "SqlUnitOfWork",
    "configure_sqlite",
    "current_revision",
    "head_revision",
    "metadata",
    "upgrade",
]
