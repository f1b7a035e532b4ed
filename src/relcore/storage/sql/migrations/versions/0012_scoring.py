"""Scoring: stored scoring plans and each customer's latest score on each plan.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

A plan's groups (their rules in the rule language's JSON form) and its
thresholds are JSON; its name is unique. ``relcore_scores`` keeps one row per
plan and customer (the latest refresh's), with the plan's version it was
computed with, and an index ranking a plan's customers by total.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from relcore.storage.sql.types import KeyText, UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}
_PLANS = "relcore_scoring_plans"
_SCORES = "relcore_scores"


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def upgrade() -> None:
    op.create_table(
        _PLANS,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", KeyText(100), nullable=False),
        sa.Column("groups", _json(), nullable=False),
        sa.Column("limit", sa.Integer(), nullable=True),
        sa.Column("thresholds", _json(), nullable=False),
        sa.Column("fit_thresholds", _json(), nullable=False),
        sa.Column("engagement_thresholds", _json(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{_PLANS}")),
        sa.UniqueConstraint("name", name=op.f(f"uq_{_PLANS}_name")),
        **_MYSQL,
    )
    op.create_table(
        _SCORES,
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("plan", KeyText(100), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.Column("total", sa.Double(), nullable=False),
        sa.Column("label", KeyText(50), nullable=True),
        sa.Column("fit", sa.Double(), nullable=True),
        sa.Column("fit_label", KeyText(50), nullable=True),
        sa.Column("engagement", sa.Double(), nullable=True),
        sa.Column("engagement_label", KeyText(50), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"], [f"{_PLANS}.id"], name=op.f(f"fk_{_SCORES}_plan_id_{_PLANS}"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["relcore_customers.id"],
            name=op.f(f"fk_{_SCORES}_customer_id_relcore_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "customer_id", name=op.f(f"pk_{_SCORES}")),
        **_MYSQL,
    )
    op.create_index(op.f(f"ix_{_SCORES}_customer_id"), _SCORES, ["customer_id"])
    op.create_index("ix_relcore_scores_ranking", _SCORES, ["plan_id", "total"])


def downgrade() -> None:
    op.drop_table(_SCORES)
    op.drop_table(_PLANS)
