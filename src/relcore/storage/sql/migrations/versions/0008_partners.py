"""Partners: ``relcore_partner_profiles`` and the partners on deals ``relcore_opportunity_partners``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

A partner has one profile (unique on its customer id); its territories are a
JSON list of country codes. A deal has one link per partner (unique on the
deal and the partner). Commission rates are integers in hundredths of a
percent (0 to 10,000), as probabilities are.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from relcore.storage.sql.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}
_PROFILES = "relcore_partner_profiles"
_LINKS = "relcore_opportunity_partners"
_CUSTOMERS = "relcore_customers"


def _fk(column: str, table: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        _PROFILES,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("territories", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("commission_rate_bp", sa.Integer(), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=False),
        sa.Column("active_to", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("customer_id", _PROFILES, _CUSTOMERS),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{_PROFILES}")),
        sa.UniqueConstraint("customer_id", name=op.f(f"uq_{_PROFILES}_customer_id")),
        **_MYSQL,
    )
    op.create_table(
        _LINKS,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("sourced", sa.Boolean(), nullable=False),
        sa.Column("commission_rate_bp", sa.Integer(), nullable=True),
        sa.Column("registered_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("opportunity_id", _LINKS, "relcore_opportunities"),
        _fk("customer_id", _LINKS, _CUSTOMERS),
        _fk("partner_id", _LINKS, _CUSTOMERS),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{_LINKS}")),
        sa.UniqueConstraint(
            "opportunity_id", "partner_id", name=op.f(f"uq_{_LINKS}_opportunity_id_partner_id")
        ),
        **_MYSQL,
    )
    op.create_index(op.f(f"ix_{_LINKS}_customer_id"), _LINKS, ["customer_id"])
    op.create_index(op.f(f"ix_{_LINKS}_partner_id"), _LINKS, ["partner_id"])


def downgrade() -> None:
    op.drop_table(_LINKS)
    op.drop_table(_PROFILES)
