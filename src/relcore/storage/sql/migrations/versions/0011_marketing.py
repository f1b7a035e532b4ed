"""Marketing: campaigns, the customers they considered, and the suppression list.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

A campaign's budget, actual cost and expected revenue are integer minor units
of its one currency; its member statuses, variants and frequency cap are
JSON. Every customer a campaign considered has one row in
``relcore_campaign_members`` (unique on the campaign and the customer), with
``excluded`` naming why it was left out, NULL for a member. Suppressions are
unique on their kind and normalised value.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from relcore.storage.sql.types import KeyText, UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}
_CAMPAIGNS = "relcore_campaigns"
_MEMBERS = "relcore_campaign_members"
_SUPPRESSIONS = "relcore_suppressions"


def _fk(column: str, table: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def upgrade() -> None:
    op.create_table(
        _CAMPAIGNS,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", KeyText(200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", UTCDateTime(), nullable=True),
        sa.Column("ends_at", UTCDateTime(), nullable=True),
        sa.Column("budget_minor", sa.BigInteger(), nullable=True),
        sa.Column("actual_cost_minor", sa.BigInteger(), nullable=True),
        sa.Column("expected_revenue_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("member_statuses", _json(), nullable=False),
        sa.Column("variants", _json(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("frequency_cap", _json(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("parent_id", _CAMPAIGNS, _CAMPAIGNS, "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{_CAMPAIGNS}")),
        sa.UniqueConstraint("name", name=op.f(f"uq_{_CAMPAIGNS}_name")),
        **_MYSQL,
    )
    op.create_table(
        _MEMBERS,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("variant", KeyText(40), nullable=True),
        sa.Column("status", KeyText(40), nullable=True),
        sa.Column("excluded", KeyText(20), nullable=True),
        sa.Column("first_responded_at", UTCDateTime(), nullable=True),
        sa.Column("status_changed_at", UTCDateTime(), nullable=True),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("campaign_id", _MEMBERS, _CAMPAIGNS),
        _fk("customer_id", _MEMBERS, "relcore_customers"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{_MEMBERS}")),
        sa.UniqueConstraint(
            "campaign_id", "customer_id", name=op.f(f"uq_{_MEMBERS}_campaign_id_customer_id")
        ),
        **_MYSQL,
    )
    op.create_index(op.f(f"ix_{_MEMBERS}_customer_id"), _MEMBERS, ["customer_id"])
    op.create_index("ix_relcore_campaign_members_campaign", _MEMBERS, ["campaign_id", "id"])
    op.create_table(
        _SUPPRESSIONS,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", KeyText(10), nullable=False),
        sa.Column("value", KeyText(320), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{_SUPPRESSIONS}")),
        sa.UniqueConstraint("kind", "value", name=op.f(f"uq_{_SUPPRESSIONS}_kind_value")),
        **_MYSQL,
    )


def downgrade() -> None:
    op.drop_table(_SUPPRESSIONS)
    op.drop_table(_MEMBERS)
    op.drop_table(_CAMPAIGNS)
