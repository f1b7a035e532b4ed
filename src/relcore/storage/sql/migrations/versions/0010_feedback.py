"""Feedback: ``relcore_feedback_responses``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

One row per answer (NPS, CSAT, CES or custom), unique on its idempotency key
``(source, external_id)``. The scale's ends are stored with the score; the
NPS class, the positive flag and the ``latest`` flag (each customer's newest
answer of each kind) are stored so that rules and grouped counts read columns.
Case and campaign ids are plain ids, without a foreign key.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from relcore.storage.sql.types import KeyText, UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}
_RESPONSES = "relcore_feedback_responses"


def _fk(column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{_RESPONSES}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        _RESPONSES,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("kind", KeyText(length=10), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("scale_min", sa.Integer(), nullable=False),
        sa.Column("scale_max", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("touchpoint_id", sa.Uuid(), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("survey", KeyText(length=100), nullable=True),
        sa.Column("source", KeyText(length=100), nullable=False),
        sa.Column("external_id", KeyText(length=200), nullable=True),
        sa.Column("nps_class", sa.String(length=10), nullable=True),
        sa.Column("positive", sa.Boolean(), nullable=False),
        sa.Column("latest", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _fk("customer_id", "relcore_customers", "CASCADE"),
        _fk("contact_id", "relcore_contacts", "SET NULL"),
        _fk("touchpoint_id", "relcore_touchpoints", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{_RESPONSES}")),
        sa.UniqueConstraint("source", "external_id", name=op.f(f"uq_{_RESPONSES}_source_external_id")),
        **_MYSQL,
    )
    op.create_index(op.f(f"ix_{_RESPONSES}_customer"), _RESPONSES, ["customer_id", "kind", "answered_at"])
    op.create_index(op.f(f"ix_{_RESPONSES}_answered"), _RESPONSES, ["kind", "answered_at"])


def downgrade() -> None:
    op.drop_table(_RESPONSES)
