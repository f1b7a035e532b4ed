"""Keys compare exactly: binary NO PAD collations for key columns on MySQL/MariaDB.

MySQL's and MariaDB's ``utf8mb4_bin`` pads trailing spaces when comparing, so
``'1001'`` and ``'1001 '`` were one identity, one idempotency key and one
segment name there, and two everywhere else. Every text column in a primary
key, a unique constraint or a lookup index now uses the binary NO PAD
collation (``utf8mb4_nopad_bin`` on MariaDB, ``utf8mb4_0900_bin`` on MySQL 8).
NO PAD only tells apart values PAD SPACE merged, so the stored keys stay
unique. PostgreSQL and SQLite already compare exactly: nothing changes there.

Downgrading fails if two stored keys differ only by trailing spaces.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

from relcore.storage.sql.types import exact_collation

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# table -> (column, VARCHAR length, nullable): the key columns as revision 0003 left them
KEY_COLUMNS: dict[str, tuple[tuple[str, int, bool], ...]] = {
    "relcore_customers": (("stage", 20, False),),
    "relcore_customer_tags": (("tag", 64, False),),
    "relcore_identities": (("namespace", 64, False), ("value", 256, False)),
    "relcore_contact_points": (("kind", 10, False), ("lookup_key", 400, False)),
    "relcore_touchpoints": (("source", 100, False), ("external_id", 200, True)),
    "relcore_transactions": (("source", 100, False), ("external_id", 200, True)),
    "relcore_segments": (("name", 200, False),),
}


def _collate(collation: str) -> None:
    for table, columns in KEY_COLUMNS.items():
        changes = ", ".join(
            f"MODIFY {name} VARCHAR({length}) CHARACTER SET utf8mb4 COLLATE {collation}"
            f"{'' if nullable else ' NOT NULL'}"
            for name, length, nullable in columns
        )
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    collation = exact_collation(op.get_bind().dialect)
    if collation is not None:  # PostgreSQL and SQLite compare exactly already
        _collate(collation)


def downgrade() -> None:
    if exact_collation(op.get_bind().dialect) is not None:
        _collate("utf8mb4_bin")
