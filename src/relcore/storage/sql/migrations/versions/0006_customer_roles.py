"""A customer holds a set of relationship roles: ``relcore_customer_roles``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

The single ``relationship`` column of ``relcore_customers`` becomes the table
``relcore_customer_roles`` (one row per customer and role, like tags), so a
customer can be a customer and a partner at once. Each customer's stored
relationship becomes its one role. Stored segment rules that test the old
``relationship`` field are rewritten to test ``roles``, which means the same
for a customer with one role: ``relationship == "x"`` becomes ``roles has tag
"x"``, ``relationship in [...]`` becomes ``roles has any [...]``, and ``!=`` /
``not in`` their negations. Downgrading keeps one role per customer (the
smallest, by text) and rewrites ``roles has tag`` / ``has any`` back.

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
_SEGMENTS = "relcore_segments"
_TO_ROLES = {
    "==": ("has tag", False),
    "!=": ("has tag", True),
    "in": ("has any", False),
    "not in": ("has any", True),
}
_TO_RELATIONSHIP = {"has tag": "==", "has any": "in"}


def _to_roles(node: Any) -> Any:
    """A stored rule (JSON) with its ``relationship`` conditions rewritten to ``roles``."""
    if isinstance(node, list):
        return [_to_roles(item) for item in node]
    if not isinstance(node, dict):
        return node
    if (
        node.get("type") == "condition"
        and node.get("field") == "relationship"
        and node.get("op") in _TO_ROLES
    ):
        op, negated = _TO_ROLES[node["op"]]
        condition = {"type": "condition", "field": "roles", "op": op, "value": node.get("value")}
        return {"type": "not", "rule": condition} if negated else condition
    return {key: _to_roles(value) for key, value in node.items()}


def _to_relationship(node: Any) -> Any:
    """The reverse of ``_to_roles`` for ``has tag`` and ``has any`` (``has all`` has no equivalent)."""
    if isinstance(node, list):
        return [_to_relationship(item) for item in node]
    if not isinstance(node, dict):
        return node
    if (
        node.get("type") == "condition"
        and node.get("field") == "roles"
        and node.get("op") in _TO_RELATIONSHIP
    ):
        return {**node, "field": "relationship", "op": _TO_RELATIONSHIP[node["op"]]}
    return {key: _to_relationship(value) for key, value in node.items()}


def _rewrite_rules(rewrite: Any) -> None:
    """Rewrite every stored segment rule with ``rewrite`` (idempotent: a rewritten rule is left alone)."""
    segments = sa.table(_SEGMENTS, sa.column("id", sa.Uuid()), sa.column("rule", sa.JSON(none_as_null=True)))
    connection = op.get_bind()
    for segment_id, rule in connection.execute(sa.select(segments.c.id, segments.c.rule)).all():
        changed = rewrite(rule)
        if changed != rule:
            connection.execute(segments.update().where(segments.c.id == segment_id).values(rule=changed))


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
    _rewrite_rules(_to_roles)


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
    # NOT NULL with a default: added in place on every backend, never by a table copy (see the module docs)
    op.add_column(
        _CUSTOMERS,
        sa.Column("relationship", sa.String(length=20), nullable=False, server_default="customer"),
    )
    customers = sa.table(_CUSTOMERS, sa.column("id", sa.Uuid()), sa.column("relationship", sa.String(20)))
    roles = sa.table(_ROLES, sa.column("customer_id", sa.Uuid()), sa.column("role", sa.String(20)))
    first = (
        sa.select(sa.func.min(roles.c.role)).where(roles.c.customer_id == customers.c.id).scalar_subquery()
    )
    has_roles = sa.exists().where(roles.c.customer_id == customers.c.id)
    op.get_bind().execute(customers.update().where(has_roles).values(relationship=first))
    _rewrite_rules(_to_relationship)
    op.drop_index(op.f("ix_relcore_customer_roles_role"), table_name=_ROLES)
    op.drop_table(_ROLES)
