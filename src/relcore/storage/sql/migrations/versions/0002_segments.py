"""Segments and their stored memberships.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from relcore.storage.sql.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}


def upgrade() -> None:
    op.create_table(
        "relcore_segments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("rule", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("frozen_at", UTCDateTime(), nullable=True),
        sa.Column("refreshed_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relcore_segments")),
        sa.UniqueConstraint("name", name=op.f("uq_relcore_segments_name")),
        **_MYSQL,
    )
    op.create_table(
        "relcore_segment_members",
        sa.Column("segment_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("entered_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["relcore_segments.id"],
            name=op.f("fk_relcore_segment_members_segment_id_relcore_segments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["relcore_customers.id"],
            name=op.f("fk_relcore_segment_members_customer_id_relcore_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("segment_id", "customer_id", name=op.f("pk_relcore_segment_members")),
        **_MYSQL,
    )
    op.create_index(
        op.f("ix_relcore_segment_members_customer_id"),
        "relcore_segment_members",
        ["customer_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_relcore_segment_members_customer_id"), table_name="relcore_segment_members")
    op.drop_table("relcore_segment_members")
    op.drop_table("relcore_segments")
