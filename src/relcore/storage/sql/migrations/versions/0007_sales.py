"""Sales: ``relcore_pipelines``, ``relcore_opportunities`` and their history ``relcore_opportunity_changes``.

Also the win-probability refresh's ``relcore_win_runs`` (the latest run of each
pipeline, with its model's JSON text) and ``relcore_win_scores`` (each scored
open deal's probability in basis points).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

Amounts are integer minor units with their currency (both null when a deal
has no amount); probabilities are integers in hundredths of a percent
(0 to 10,000); expected close dates are SQL ``DATE``s. A pipeline keeps its
stages as a JSON list: deals and their history name stages by key.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.mysql import LONGTEXT

from relcore.storage.sql.types import KeyText, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}
_PIPELINES = "relcore_pipelines"
_OPPORTUNITIES = "relcore_opportunities"
_CHANGES = "relcore_opportunity_changes"
_RUNS = "relcore_win_runs"
_SCORES = "relcore_win_scores"


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def _tracked(prefix: str = "") -> list[sa.Column[Any]]:
    """A deal's money, close date, probability and forecast category columns (or their previous values)."""
    return [
        sa.Column(f"{prefix}amount_minor", sa.BigInteger(), nullable=True),
        sa.Column(f"{prefix}currency", sa.String(length=3), nullable=True),
        sa.Column(f"{prefix}close_date", sa.Date(), nullable=True),
        sa.Column(f"{prefix}probability_bp", sa.Integer(), nullable=True),
        sa.Column(f"{prefix}forecast_category", sa.String(length=10), nullable=True),
    ]


def _fk(column: str, table: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        _PIPELINES,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", KeyText(length=100), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("timezone", sa.String(length=60), nullable=False),
        sa.Column("stages", _json(), nullable=False),
        sa.Column("lost_reasons", _json(), nullable=False),
        sa.Column("win_probability", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{_PIPELINES}")),
        sa.UniqueConstraint("name", name=op.f(f"uq_{_PIPELINES}_name")),
        **_MYSQL,
    )
    op.create_table(
        _OPPORTUNITIES,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("outcome", KeyText(length=4), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        *_tracked(),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("lost_reason", sa.String(length=40), nullable=True),
        sa.Column("lost_note", sa.String(length=2000), nullable=True),
        sa.Column("tags", _json(), nullable=False),
        sa.Column("attributes", _json(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("stage_entered_at", UTCDateTime(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("customer_id", _OPPORTUNITIES, "relcore_customers", "CASCADE"),
        _fk("contact_id", _OPPORTUNITIES, "relcore_contacts", "SET NULL"),
        _fk("pipeline_id", _OPPORTUNITIES, _PIPELINES),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{_OPPORTUNITIES}")),
        **_MYSQL,
    )
    op.create_index(op.f(f"ix_{_OPPORTUNITIES}_customer_id"), _OPPORTUNITIES, ["customer_id"])
    op.create_index(
        op.f(f"ix_{_OPPORTUNITIES}_book"), _OPPORTUNITIES, ["pipeline_id", "outcome", "close_date"]
    )
    op.create_table(
        _CHANGES,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=4), nullable=False),
        *_tracked(),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("lost_reason", sa.String(length=40), nullable=True),
        sa.Column("prev_pipeline_id", sa.Uuid(), nullable=True),
        sa.Column("prev_stage", sa.String(length=40), nullable=True),
        *_tracked("prev_"),
        _fk("opportunity_id", _CHANGES, _OPPORTUNITIES, "CASCADE"),
        _fk("customer_id", _CHANGES, "relcore_customers", "CASCADE"),
        _fk("pipeline_id", _CHANGES, _PIPELINES),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{_CHANGES}")),
        **_MYSQL,
    )
    op.create_index(op.f(f"ix_{_CHANGES}_customer_id"), _CHANGES, ["customer_id"])
    op.create_index(op.f(f"ix_{_CHANGES}_history"), _CHANGES, ["opportunity_id", "at", "id"])
    op.create_index(op.f(f"ix_{_CHANGES}_pipeline"), _CHANGES, ["pipeline_id", "at"])
    _win_tables()


def _win_tables() -> None:
    op.create_table(
        _RUNS,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("won", sa.Integer(), nullable=False),
        sa.Column("lost", sa.Integer(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("unscored", sa.String(length=10), nullable=True),
        sa.Column("settings", _json(), nullable=False),
        sa.Column("model", sa.Text().with_variant(LONGTEXT(), "mysql", "mariadb"), nullable=False),
        _fk("pipeline_id", _RUNS, _PIPELINES),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{_RUNS}")),
        sa.UniqueConstraint("pipeline_id", name=op.f(f"uq_{_RUNS}_pipeline_id")),
        **_MYSQL,
    )
    op.create_table(
        _SCORES,
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("probability_bp", sa.Integer(), nullable=False),
        _fk("opportunity_id", _SCORES, _OPPORTUNITIES, "CASCADE"),
        _fk("run_id", _SCORES, _RUNS, "CASCADE"),
        sa.PrimaryKeyConstraint("opportunity_id", name=op.f(f"pk_{_SCORES}")),
        **_MYSQL,
    )
    op.create_index(op.f(f"ix_{_SCORES}_run_id"), _SCORES, ["run_id"])


def downgrade() -> None:
    op.drop_table(_SCORES)
    op.drop_table(_RUNS)
    op.drop_table(_CHANGES)
    op.drop_table(_OPPORTUNITIES)
    op.drop_table(_PIPELINES)
