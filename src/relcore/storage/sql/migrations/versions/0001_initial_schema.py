"""Initial schema: customers, contacts, consents, touchpoints, transactions.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relcore.storage.sql.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relcore_customers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("relationship", sa.String(length=20), nullable=False),
        sa.Column("attributes", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relcore_customers")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_index(op.f("ix_relcore_customers_stage"), "relcore_customers", ["stage"], unique=False)

    op.create_table(
        "relcore_consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("notice_version", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["relcore_customers.id"],
            name=op.f("fk_relcore_consents_customer_id_relcore_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relcore_consents")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_relcore_consents_ledger", "relcore_consents", ["customer_id", "recorded_at", "id"], unique=False
    )

    op.create_table(
        "relcore_contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=50), nullable=False),
        sa.Column("preferred_channel", sa.String(length=20), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["relcore_customers.id"],
            name=op.f("fk_relcore_contacts_customer_id_relcore_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relcore_contacts")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_index(
        op.f("ix_relcore_contacts_customer_id"), "relcore_contacts", ["customer_id"], unique=False
    )

    op.create_table(
        "relcore_customer_tags",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["relcore_customers.id"],
            name=op.f("fk_relcore_customer_tags_customer_id_relcore_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "tag", name=op.f("pk_relcore_customer_tags")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_index(op.f("ix_relcore_customer_tags_tag"), "relcore_customer_tags", ["tag"], unique=False)

    op.create_table(
        "relcore_identities",
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["relcore_customers.id"],
            name=op.f("fk_relcore_identities_customer_id_relcore_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("namespace", "value", name=op.f("pk_relcore_identities")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_index(
        op.f("ix_relcore_identities_customer_id"), "relcore_identities", ["customer_id"], unique=False
    )

    op.create_table(
        "relcore_contact_points",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=400), nullable=False),
        sa.Column("lookup_key", sa.String(length=400), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("is_verified", sa.Boolean(), nullable=False),
        sa.Column("label", sa.String(length=50), nullable=True),
        sa.Column("address", sa.JSON(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["relcore_contacts.id"],
            name=op.f("fk_relcore_contact_points_contact_id_relcore_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", "position", name=op.f("pk_relcore_contact_points")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_relcore_contact_points_lookup", "relcore_contact_points", ["kind", "lookup_key"], unique=False
    )

    op.create_table(
        "relcore_touchpoints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("outcome", sa.String(length=100), nullable=True),
        sa.Column("sentiment", sa.Double(), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("opportunity_id", sa.Uuid(), nullable=True),
        sa.Column("payload", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["relcore_contacts.id"],
            name=op.f("fk_relcore_touchpoints_contact_id_relcore_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["relcore_customers.id"],
            name=op.f("fk_relcore_touchpoints_customer_id_relcore_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relcore_touchpoints")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_relcore_touchpoints_source_external_id")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_relcore_touchpoints_timeline",
        "relcore_touchpoints",
        ["customer_id", "occurred_at", "id"],
        unique=False,
    )

    op.create_table(
        "relcore_transactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("payload", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["relcore_contacts.id"],
            name=op.f("fk_relcore_transactions_contact_id_relcore_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["relcore_customers.id"],
            name=op.f("fk_relcore_transactions_customer_id_relcore_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relcore_transactions")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_relcore_transactions_source_external_id")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_relcore_transactions_timeline",
        "relcore_transactions",
        ["customer_id", "occurred_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_relcore_transactions_timeline", table_name="relcore_transactions")

    op.drop_table("relcore_transactions")
    op.drop_index("ix_relcore_touchpoints_timeline", table_name="relcore_touchpoints")

    op.drop_table("relcore_touchpoints")
    op.drop_index("ix_relcore_contact_points_lookup", table_name="relcore_contact_points")

    op.drop_table("relcore_contact_points")
    op.drop_index(op.f("ix_relcore_identities_customer_id"), table_name="relcore_identities")

    op.drop_table("relcore_identities")
    op.drop_index(op.f("ix_relcore_customer_tags_tag"), table_name="relcore_customer_tags")

    op.drop_table("relcore_customer_tags")
    op.drop_index(op.f("ix_relcore_contacts_customer_id"), table_name="relcore_contacts")

    op.drop_table("relcore_contacts")
    op.drop_index("ix_relcore_consents_ledger", table_name="relcore_consents")

    op.drop_table("relcore_consents")
    op.drop_index(op.f("ix_relcore_customers_stage"), table_name="relcore_customers")

    op.drop_table("relcore_customers")
