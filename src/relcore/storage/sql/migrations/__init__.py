"""relcore's Alembic migration scripts (run with [`relcore.storage.sql.upgrade`][])."""
