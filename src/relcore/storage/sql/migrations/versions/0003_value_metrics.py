"""Value refresh runs and the per-customer metrics they store.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from relcore.storage.sql.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}


def upgrade() -> None:
    op.create_table(
        "relcore_value_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("models", sa.JSON(none_as_null=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relcore_value_runs")),
        **_MYSQL,
    )
    op.create_table(
        "relcore_customer_metrics",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("recency", sa.Double(), nullable=True),
        sa.Column("age", sa.Double(), nullable=True),
        sa.Column("monetary", sa.Double(), nullable=True),
        sa.Column("historical_value", sa.Double(), nullable=True),
        sa.Column("r_score", sa.SmallInteger(), nullable=True),
        sa.Column("f_score", sa.SmallInteger(), nullable=True),
        sa.Column("m_score", sa.SmallInteger(), nullable=True),
        sa.Column("rfm_segment", sa.String(length=40), nullable=True),
        sa.Column("expected_purchases", sa.Double(), nullable=True),
        sa.Column("probability_alive", sa.Double(), nullable=True),
        sa.Column("clv", sa.Double(), nullable=True),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["relcore_customers.id"],
            name=op.f("fk_relcore_customer_metrics_customer_id_relcore_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["relcore_value_runs.id"],
            name=op.f("fk_relcore_customer_metrics_run_id_relcore_value_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_relcore_customer_metrics")),
        **_MYSQL,
    )
    op.create_index("ix_relcore_customer_metrics_clv", "relcore_customer_metrics", ["clv"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_relcore_customer_metrics_clv", table_name="relcore_customer_metrics")
    op.drop_table("relcore_customer_metrics")
    op.drop_table("relcore_value_runs")
