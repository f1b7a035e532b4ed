"""A customer holds a set of relationship roles: ``relcore_customer_roles``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

The single ``relationship`` column of ``relcore_customers`` becomes the table
``relcore_customer_roles`` (one row per customer and role, like tags), so a
customer can be a customer and a partner at once. Each customer's stored
relationship becomes its one role. Downgrading keeps one role per customer
(the smallest, by text).

The column is dropped in place (``ALTER TABLE ... DROP COLUMN``), never by
copying the table: on SQLite, dropping the old copy of ``relcore_customers``
would delete, by its foreign keys' ``ON DELETE CASCADE``, every row that
refers to a customer. That needs SQLite 3.35 or later.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from relcore.errors import ConfigurationError
from relcore.storage.sql.dialects import DialectFamily, dialect_family
from relcore.storage.sql.types import KeyText

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}
_CUSTOMERS = "relcore_customers"
_ROLES = "relcore_customer_roles"


def upgrade() -> None:
    op.create_table(
        _ROLES,
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("role", KeyText(20), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            [f"{_CUSTOMERS}.id"],
            name=op.f("fk_relcore_customer_roles_customer_id_relcore_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "role", name=op.f("pk_relcore_customer_roles")),
        **_MYSQL,
    )
    op.create_index(op.f("ix_relcore_customer_roles_role"), _ROLES, ["role"], unique=False)
    connection = op.get_bind()
    present = {c["name"] for c in sa.inspect(connection).get_columns(_CUSTOMERS)}
    if "relationship" in present:  # gone already when a rerun (MariaDB) follows a crash after the drop
        customers = sa.table(_CUSTOMERS, sa.column("id", sa.Uuid()), sa.column("relationship", sa.String(20)))
        roles = sa.table(_ROLES, sa.column("customer_id", sa.Uuid()), sa.column("role", sa.String(20)))
        # idempotent: customers that have their role already are skipped
        missing = sa.select(customers.c.id, customers.c.relationship).where(
            ~sa.exists().where(roles.c.customer_id == customers.c.id)
        )
        connection.execute(roles.insert().from_select(["customer_id", "role"], missing))
        _require_drop_column(connection)
        op.drop_column(_CUSTOMERS, "relationship")


def _require_drop_column(connection: sa.Connection) -> None:
    """Refuse a SQLite too old to drop a column in place (a copy would cascade-delete its children)."""
    if dialect_family(connection.dialect) is not DialectFamily.SQLITE:
        return
    version = connection.exec_driver_sql("SELECT sqlite_version()").scalar_one()
    if tuple(int(part) for part in str(version).split(".")[:2]) < (3, 35):
        raise ConfigurationError(
            f"relcore's revision 0006 needs SQLite 3.35 or later to drop a column; this is SQLite {version}"
        )


def downgrade() -> None:
    # NOT NULL with a default: addable in place on every backend (see the module docs)
    op.add_column(
        _CUSTOMERS,
        sa.Column("relationship", sa.String(length=20), nullable=False, server_default="customer"),
    )
    customers = sa.table(_CUSTOMERS, sa.column("id", sa.Uuid()), sa.column("relationship", sa.String(20)))
    roles = sa.table(_ROLES, sa.column("customer_id", sa.Uuid()), sa.column("role", sa.String(20)))
    first = (
        sa.select(sa.func.min(roles.c.role)).where(roles.c.customer_id == customers.c.id).scalar_subquery()
    )
    connection = op.get_bind()
    connection.execute(
        customers.update().where(customers.c.relationship.is_(None)).values(relationship=first)
    )
    with op.batch_alter_table(_CUSTOMERS) as batch:
        batch.alter_column("relationship", existing_type=sa.String(length=20), nullable=False)
    op.drop_index(op.f("ix_relcore_customer_roles_role"), table_name=_ROLES)
    op.drop_table(_ROLES)
