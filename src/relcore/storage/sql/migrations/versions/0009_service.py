"""Service: case statuses, SLA policies and their revisions, cases, their history, and the sweep's marks.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

A policy's condition, calendar, targets and pauses are JSON; each stored
version of a policy is kept whole (JSON) in ``relcore_sla_policy_revisions``,
unique on the policy and version, so clocks keep the version they run on. A
case's history is append-only; the sweep's marks are unique on the case,
metric, instance and kind, which is what makes the sweep announce each
clock once. The touchpoints get an index on their case, for the clocks' reads
of each case's conversation.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.mysql import LONGTEXT

from relcore.storage.sql.types import KeyText, UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}
_STATUSES = "relcore_case_statuses"
_POLICIES = "relcore_sla_policies"
_REVISIONS = "relcore_sla_policy_revisions"
_CASES = "relcore_cases"
_CHANGES = "relcore_case_changes"
_MARKS = "relcore_sla_marks"
_CUSTOMERS = "relcore_customers"


def _fk(column: str, table: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def upgrade() -> None:
    op.create_table(
        _STATUSES,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", KeyText(40), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _pk(_STATUSES),
        sa.UniqueConstraint("key", name=op.f(f"uq_{_STATUSES}_key")),
        **_MYSQL,
    )
    op.create_table(
        _POLICIES,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", KeyText(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("condition", _json(), nullable=False),
        sa.Column("calendar", _json(), nullable=False),
        sa.Column("targets", _json(), nullable=False),
        sa.Column("pauses", _json(), nullable=False),
        sa.Column("at_risk_bp", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _pk(_POLICIES),
        sa.UniqueConstraint("name", name=op.f(f"uq_{_POLICIES}_name")),
        **_MYSQL,
    )
    op.create_table(
        _REVISIONS,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("policy_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("policy", _json(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        _fk("policy_id", _REVISIONS, _POLICIES),
        _pk(_REVISIONS),
        sa.UniqueConstraint("policy_id", "version", name=op.f(f"uq_{_REVISIONS}_policy_id_version")),
        **_MYSQL,
    )
    op.create_table(
        _CASES,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text().with_variant(LONGTEXT(), "mysql", "mariadb"), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("category", KeyText(10), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("assignee", sa.String(length=100), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("opportunity_id", sa.Uuid(), nullable=True),
        sa.Column("tags", _json(), nullable=False),
        sa.Column("attributes", _json(), nullable=False),
        sa.Column("policy_id", sa.Uuid(), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("first_responded_at", UTCDateTime(), nullable=True),
        sa.Column("solved_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("breached_at", UTCDateTime(), nullable=True),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("customer_id", _CASES, _CUSTOMERS),
        _fk("contact_id", _CASES, "relcore_contacts", "SET NULL"),
        _fk("opportunity_id", _CASES, "relcore_opportunities", "SET NULL"),
        _pk(_CASES),
        **_MYSQL,
    )
    op.create_index(op.f(f"ix_{_CASES}_customer_id"), _CASES, ["customer_id"])
    op.create_index(op.f(f"ix_{_CASES}_parent_id"), _CASES, ["parent_id"])
    op.create_index("ix_relcore_cases_desk", _CASES, ["category", "created_at"])
    op.create_index("ix_relcore_cases_opened", _CASES, ["created_at"])
    op.create_table(
        _CHANGES,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("status", KeyText(40), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("priority", sa.String(length=6), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("assignee", sa.String(length=100), nullable=True),
        sa.Column("policy_id", sa.Uuid(), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("prev_status", sa.String(length=40), nullable=True),
        sa.Column("prev_category", sa.String(length=10), nullable=True),
        _fk("case_id", _CHANGES, _CASES),
        _fk("customer_id", _CHANGES, _CUSTOMERS),
        _pk(_CHANGES),
        **_MYSQL,
    )
    op.create_index(op.f(f"ix_{_CHANGES}_customer_id"), _CHANGES, ["customer_id"])
    op.create_index("ix_relcore_case_changes_history", _CHANGES, ["case_id", "at", "id"])
    op.create_index("ix_relcore_case_changes_status", _CHANGES, ["status"])
    op.create_table(
        _MARKS,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("metric", KeyText(20), nullable=False),
        sa.Column("instance", sa.Integer(), nullable=False),
        sa.Column("kind", KeyText(10), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("marked_at", UTCDateTime(), nullable=False),
        _fk("case_id", _MARKS, _CASES),
        _fk("customer_id", _MARKS, _CUSTOMERS),
        _pk(_MARKS),
        sa.UniqueConstraint(
            "case_id", "metric", "instance", "kind", name=op.f(f"uq_{_MARKS}_case_id_metric_instance_kind")
        ),
        **_MYSQL,
    )
    op.create_index(op.f(f"ix_{_MARKS}_customer_id"), _MARKS, ["customer_id"])
    op.create_index("ix_relcore_touchpoints_case", "relcore_touchpoints", ["case_id", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_relcore_touchpoints_case", table_name="relcore_touchpoints")
    op.drop_table(_MARKS)
    op.drop_table(_CHANGES)
    op.drop_table(_CASES)
    op.drop_table(_REVISIONS)
    op.drop_table(_POLICIES)
    op.drop_table(_STATUSES)
