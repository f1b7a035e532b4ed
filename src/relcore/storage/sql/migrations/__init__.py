"""relcore's Alembic migration scripts (run with :func:`relcore.storage.sql.upgrade`)."""
