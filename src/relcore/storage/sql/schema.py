"""relcore's tables, as SQLAlchemy Core ``Table`` objects on one ``MetaData``.

The tables are owned by relcore (all named ``relcore_*``) and changed only by
its shipped migrations. [`metadata`][relcore.storage.sql.metadata] is public so a host application can
see them, for example to exclude them from its own Alembic autogenerate.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.mysql import LONGTEXT

from relcore.storage.sql.codec import MinorUnits, Scaled
from relcore.storage.sql.types import KeyText, UTCDateTime

__all__ = [
    "NAMING_CONVENTION",
    "campaign_members",
    "campaigns",
    "case_changes",
    "case_statuses",
    "cases",
    "consents",
    "customer_metrics",
    "contact_points",
    "contacts",
    "customer_roles",
    "customer_tags",
    "customers",
    "feedback_responses",
    "identities",
    "metadata",
    "opportunities",
    "opportunity_changes",
    "opportunity_partners",
    "partner_profiles",
    "pipelines",
    "scores",
    "scoring_plans",
    "segment_members",
    "segments",
    "sla_marks",
    "sla_policies",
    "sla_policy_revisions",
    "suppressions",
    "touchpoints",
    "transactions",
    "value_runs",
    "win_runs",
    "win_scores",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names follow this pattern, so migrations can refer to them."""

# Text in a primary key, a unique constraint or a lookup index is KeyText: compared
# byte for byte on every backend (no case folding, no trailing-space padding).

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
"""The ``MetaData`` holding every relcore table."""

_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _customer_fk() -> sa.ForeignKey:
    return sa.ForeignKey("relcore_customers.id", ondelete="CASCADE")


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def _linked(column: str) -> dict[str, Any]:
    """An index over the rows whose ``column`` is set, where the database has partial indexes.

    A full index on a column that most rows leave empty counts those rows as
    one value, and SQLite's planner then expects every lookup of one value to
    match half the table (see migration 0013).
    """
    condition = sa.text(f"{column} IS NOT NULL")
    return {"postgresql_where": condition, "sqlite_where": condition}


customers = sa.Table(
    "relcore_customers",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("stage", KeyText(20), nullable=False, index=True),
    sa.Column("attributes", _json(), nullable=False),
    sa.Column("country", sa.String(2), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)

customer_tags = sa.Table(
    "relcore_customer_tags",
    metadata,
    sa.Column("customer_id", sa.Uuid, _customer_fk(), primary_key=True),
    sa.Column("tag", KeyText(64), primary_key=True, index=True),
    **_MYSQL,
)

customer_roles = sa.Table(
    "relcore_customer_roles",
    metadata,
    sa.Column("customer_id", sa.Uuid, _customer_fk(), primary_key=True),
    sa.Column("role", KeyText(20), primary_key=True, index=True),
    **_MYSQL,
)

identities = sa.Table(
    "relcore_identities",
    metadata,
    sa.Column("namespace", KeyText(64), primary_key=True),
    sa.Column("value", KeyText(256), primary_key=True),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), nullable=False, index=True),
    **_MYSQL,
)

contacts = sa.Table(
    "relcore_contacts",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(50), nullable=False),
    sa.Column("preferred_channel", sa.String(20), nullable=True),
    sa.Column("language", sa.String(35), nullable=True),
    sa.Column("time_zone", sa.String(64), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)

contact_points = sa.Table(
    "relcore_contact_points",
    metadata,
    sa.Column(
        "contact_id",
        sa.Uuid,
        sa.ForeignKey("relcore_contacts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", KeyText(10), nullable=False),
    sa.Column("value", sa.String(400), nullable=False),
    sa.Column("lookup_key", KeyText(400), nullable=False),
    sa.Column("is_primary", sa.Boolean, nullable=False),
    sa.Column("is_verified", sa.Boolean, nullable=False),
    sa.Column("label", sa.String(50), nullable=True),
    sa.Column("address", _json(), nullable=True),
    sa.Index("ix_relcore_contact_points_lookup", "kind", "lookup_key"),
    **_MYSQL,
)

consents = sa.Table(
    "relcore_consents",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), nullable=False),
    sa.Column("purpose", sa.String(20), nullable=False),
    sa.Column("channel", sa.String(20), nullable=True),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("notice_version", sa.String(50), nullable=True),
    sa.Index("ix_relcore_consents_ledger", "customer_id", "recorded_at", "id"),
    **_MYSQL,
)

touchpoints = sa.Table(
    "relcore_touchpoints",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), nullable=False),
    sa.Column(
        "contact_id", sa.Uuid, sa.ForeignKey("relcore_contacts.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("direction", sa.String(10), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("subject", sa.String(500), nullable=True),
    sa.Column("outcome", sa.String(100), nullable=True),
    sa.Column("sentiment", sa.Double, nullable=True),
    sa.Column("campaign_id", sa.Uuid, nullable=True),
    sa.Column("case_id", sa.Uuid, nullable=True),
    sa.Column("opportunity_id", sa.Uuid, nullable=True),
    sa.Column("payload", _json(), nullable=False),
    sa.Column("source", KeyText(100), nullable=False),
    sa.Column("external_id", KeyText(200), nullable=True),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("source", "external_id"),
    sa.Index("ix_relcore_touchpoints_timeline", "customer_id", "occurred_at", "id"),
    sa.Index("ix_relcore_touchpoints_case", "case_id", "occurred_at", **_linked("case_id")),
    sa.Index(
        "ix_relcore_touchpoints_campaign",
        "campaign_id",
        "customer_id",
        "occurred_at",
        **_linked("campaign_id"),
    ),
    **_MYSQL,
)

transactions = sa.Table(
    "relcore_transactions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), nullable=False),
    sa.Column(
        "contact_id", sa.Uuid, sa.ForeignKey("relcore_contacts.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("channel", sa.String(20), nullable=True),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("description", sa.String(500), nullable=True),
    sa.Column("payload", _json(), nullable=False),
    sa.Column("source", KeyText(100), nullable=False),
    sa.Column("external_id", KeyText(200), nullable=True),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("source", "external_id"),
    sa.Index("ix_relcore_transactions_timeline", "customer_id", "occurred_at", "id"),
    **_MYSQL,
)

segments = sa.Table(
    "relcore_segments",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", KeyText(200), nullable=False, unique=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("rule", _json(), nullable=True),
    sa.Column("description", sa.String(1000), nullable=True),
    sa.Column("frozen_at", UTCDateTime, nullable=True),
    sa.Column("refreshed_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)

segment_members = sa.Table(
    "relcore_segment_members",
    metadata,
    sa.Column(
        "segment_id", sa.Uuid, sa.ForeignKey("relcore_segments.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), primary_key=True, index=True),
    sa.Column("entered_at", UTCDateTime, nullable=False),
    **_MYSQL,
)

value_runs = sa.Table(
    "relcore_value_runs",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("as_of", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("customers", sa.Integer, nullable=False),
    sa.Column("settings", _json(), nullable=False),
    sa.Column("models", _json(), nullable=False),
    **_MYSQL,
)


def _metric() -> sa.Double[float]:
    return sa.Double()


customer_metrics = sa.Table(
    "relcore_customer_metrics",
    metadata,
    sa.Column("customer_id", sa.Uuid, _customer_fk(), primary_key=True),
    sa.Column("run_id", sa.Uuid, sa.ForeignKey("relcore_value_runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("as_of", UTCDateTime, nullable=False),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("orders", sa.Integer, nullable=False),
    sa.Column("frequency", sa.Integer, nullable=False),
    sa.Column("recency", _metric(), nullable=True),
    sa.Column("age", _metric(), nullable=True),
    sa.Column("monetary_minor", sa.BigInteger, nullable=True),  # exact, in the currency's minor units
    sa.Column("historical_value_minor", sa.BigInteger, nullable=True),
    sa.Column("r_score", sa.SmallInteger, nullable=True),
    sa.Column("f_score", sa.SmallInteger, nullable=True),
    sa.Column("m_score", sa.SmallInteger, nullable=True),
    sa.Column("rfm_segment", sa.String(40), nullable=True),
    sa.Column("expected_purchases", _metric(), nullable=True),
    sa.Column("probability_alive", _metric(), nullable=True),
    sa.Column("clv", _metric(), nullable=True),
    sa.Column("tier", sa.String(40), nullable=True),
    sa.Index("ix_relcore_customer_metrics_clv", "clv"),
    **_MYSQL,
)

# -- sales -------------------------------------------------------------------------------------------
# A column whose field has another name, or holds an amount in minor units or a scaled decimal,
# declares it in its ``info`` (read by the row codec).

pipelines = sa.Table(
    "relcore_pipelines",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", KeyText(100), nullable=False, unique=True),
    sa.Column("is_default", sa.Boolean, nullable=False, info={"relcore": "default"}),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("timezone", sa.String(60), nullable=False),
    sa.Column("stages", _json(), nullable=False),
    sa.Column("lost_reasons", _json(), nullable=False),
    sa.Column("win_probability", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)


def _pipeline_fk() -> sa.ForeignKey:
    return sa.ForeignKey("relcore_pipelines.id")


def _money(prefix: str = "") -> list[sa.Column[Any]]:
    """An optional amount in minor units and its currency."""
    amount = MinorUnits(f"{prefix}amount", f"{prefix}currency")
    return [
        sa.Column(f"{prefix}amount_minor", sa.BigInteger, nullable=True, info={"relcore": amount}),
        sa.Column(f"{prefix}currency", sa.String(3), nullable=True),
    ]


def _probability(prefix: str = "") -> sa.Column[Any]:
    """An optional probability, in hundredths of a percent (0 to 10,000)."""
    scaled = Scaled(f"{prefix}probability", 4)
    return sa.Column(f"{prefix}probability_bp", sa.Integer, nullable=True, info={"relcore": scaled})


opportunities = sa.Table(
    "relcore_opportunities",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), nullable=False, index=True),
    sa.Column(
        "contact_id", sa.Uuid, sa.ForeignKey("relcore_contacts.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("pipeline_id", sa.Uuid, _pipeline_fk(), nullable=False),
    sa.Column("stage", sa.String(40), nullable=False),
    sa.Column("outcome", KeyText(4), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    *_money(),
    sa.Column("close_date", sa.Date, nullable=True),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    _probability(),
    sa.Column("forecast_category", sa.String(10), nullable=True),
    sa.Column("category", sa.String(10), nullable=False),
    sa.Column("owner", sa.String(100), nullable=True),
    sa.Column("source", sa.String(100), nullable=True),
    sa.Column("campaign_id", sa.Uuid, nullable=True),
    sa.Column("lost_reason", sa.String(40), nullable=True),
    sa.Column("lost_note", sa.String(2000), nullable=True),
    sa.Column("tags", _json(), nullable=False),
    sa.Column("attributes", _json(), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("stage_entered_at", UTCDateTime, nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_relcore_opportunities_book", "pipeline_id", "outcome", "close_date"),
    **_MYSQL,
)

opportunity_changes = sa.Table(
    "relcore_opportunity_changes",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column(
        "opportunity_id",
        sa.Uuid,
        sa.ForeignKey("relcore_opportunities.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(100), nullable=True),
    sa.Column("pipeline_id", sa.Uuid, _pipeline_fk(), nullable=False),
    sa.Column("stage", sa.String(40), nullable=False),
    sa.Column("outcome", sa.String(4), nullable=False),
    *_money(),
    sa.Column("close_date", sa.Date, nullable=True),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    _probability(),
    sa.Column("forecast_category", sa.String(10), nullable=True),
    sa.Column("lost_reason", sa.String(40), nullable=True),
    sa.Column("prev_pipeline_id", sa.Uuid, nullable=True),
    sa.Column("prev_stage", sa.String(40), nullable=True),
    *_money("prev_"),
    sa.Column("prev_close_date", sa.Date, nullable=True),
    _probability("prev_"),
    sa.Column("prev_forecast_category", sa.String(10), nullable=True),
    sa.Index("ix_relcore_opportunity_changes_history", "opportunity_id", "at", "id"),
    sa.Index("ix_relcore_opportunity_changes_pipeline", "pipeline_id", "at"),
    **_MYSQL,
)

win_runs = sa.Table(
    "relcore_win_runs",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("pipeline_id", sa.Uuid, _pipeline_fk(), nullable=False, unique=True),
    sa.Column("as_of", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("won", sa.Integer, nullable=False),
    sa.Column("lost", sa.Integer, nullable=False),
    sa.Column("scored", sa.Integer, nullable=False),
    sa.Column("unscored", sa.String(10), nullable=True),
    sa.Column("settings", _json(), nullable=False),
    sa.Column("model", sa.Text().with_variant(LONGTEXT(), "mysql", "mariadb"), nullable=False),
    **_MYSQL,
)
"""The latest win-probability run of each pipeline; ``model`` is the fitted model's exact JSON text."""

win_scores = sa.Table(
    "relcore_win_scores",
    metadata,
    sa.Column(
        "opportunity_id",
        sa.Uuid,
        sa.ForeignKey("relcore_opportunities.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "run_id",
        sa.Uuid,
        sa.ForeignKey("relcore_win_runs.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("pipeline_id", sa.Uuid, nullable=False),
    sa.Column("stage", sa.String(40), nullable=False),
    sa.Column("probability_bp", sa.Integer, nullable=False, info={"relcore": Scaled("probability", 4)}),
    **_MYSQL,
)
"""Each open deal's win probability (basis points) from its pipeline's latest run, for the stage it was in."""


# -- partners ----------------------------------------------------------------------------------------
# A commission rate is an integer in hundredths of a percent (0 to 10,000), like a probability.


def _rate(*, nullable: bool) -> sa.Column[Any]:
    """A commission rate, in hundredths of a percent (0 to 10,000)."""
    scaled = Scaled("commission_rate", 4)
    return sa.Column("commission_rate_bp", sa.Integer, nullable=nullable, info={"relcore": scaled})


partner_profiles = sa.Table(
    "relcore_partner_profiles",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), nullable=False, unique=True),
    sa.Column("tier", sa.String(40), nullable=False),
    sa.Column("territories", _json(), nullable=False),
    sa.Column("weight", sa.Integer, nullable=False),
    _rate(nullable=False),
    sa.Column("active_from", sa.Date, nullable=False),
    sa.Column("active_to", sa.Date, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)

opportunity_partners = sa.Table(
    "relcore_opportunity_partners",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column(
        "opportunity_id",
        sa.Uuid,
        sa.ForeignKey("relcore_opportunities.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), nullable=False, index=True),
    sa.Column("partner_id", sa.Uuid, _customer_fk(), nullable=False, index=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("is_primary", sa.Boolean, nullable=False, info={"relcore": "primary"}),
    sa.Column("sourced", sa.Boolean, nullable=False),
    _rate(nullable=True),
    sa.Column("registered_at", UTCDateTime, nullable=True),
    sa.Column("status", sa.String(10), nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("opportunity_id", "partner_id"),
    **_MYSQL,
)


# -- service -------------------------------------------------------------------------------------


def _case_fk() -> sa.ForeignKey:
    return sa.ForeignKey("relcore_cases.id", ondelete="CASCADE")


def _long_text() -> sa.Text:
    return sa.Text().with_variant(LONGTEXT(), "mysql", "mariadb")


case_statuses = sa.Table(
    "relcore_case_statuses",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("key", KeyText(40), nullable=False, unique=True),
    sa.Column("category", sa.String(10), nullable=False),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)

sla_policies = sa.Table(
    "relcore_sla_policies",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", KeyText(100), nullable=False, unique=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("condition", _json(), nullable=False),
    sa.Column("calendar", _json(), nullable=False),
    sa.Column("targets", _json(), nullable=False),
    sa.Column("pauses", _json(), nullable=False),
    sa.Column("at_risk_bp", sa.Integer, nullable=False, info={"relcore": Scaled("at_risk", 4)}),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)

sla_policy_revisions = sa.Table(
    "relcore_sla_policy_revisions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column(
        "policy_id", sa.Uuid, sa.ForeignKey("relcore_sla_policies.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("policy", _json(), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("policy_id", "version"),
    **_MYSQL,
)

cases = sa.Table(
    "relcore_cases",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), nullable=False, index=True),
    sa.Column(
        "contact_id", sa.Uuid, sa.ForeignKey("relcore_contacts.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("subject", sa.String(500), nullable=False),
    sa.Column("description", _long_text(), nullable=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("priority", sa.String(6), nullable=False),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("category", KeyText(10), nullable=False),
    sa.Column("team", sa.String(100), nullable=True),
    sa.Column("assignee", sa.String(100), nullable=True),
    sa.Column("parent_id", sa.Uuid, nullable=True, index=True),
    sa.Column(
        "opportunity_id",
        sa.Uuid,
        sa.ForeignKey("relcore_opportunities.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column("tags", _json(), nullable=False),
    sa.Column("attributes", _json(), nullable=False),
    sa.Column("policy_id", sa.Uuid, nullable=True),
    sa.Column("policy_version", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("first_responded_at", UTCDateTime, nullable=True),
    sa.Column("solved_at", UTCDateTime, nullable=True),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    sa.Column("reopen_count", sa.Integer, nullable=False),
    sa.Column("merged_into", sa.Uuid, nullable=True),
    sa.Column("breached_at", UTCDateTime, nullable=True),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_relcore_cases_desk", "category", "created_at"),
    sa.Index("ix_relcore_cases_opened", "created_at"),
    **_MYSQL,
)

case_changes = sa.Table(
    "relcore_case_changes",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("case_id", sa.Uuid, _case_fk(), nullable=False),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), nullable=False, index=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(100), nullable=True),
    sa.Column("status", KeyText(40), nullable=False),
    sa.Column("category", sa.String(10), nullable=False),
    sa.Column("priority", sa.String(6), nullable=False),
    sa.Column("team", sa.String(100), nullable=True),
    sa.Column("assignee", sa.String(100), nullable=True),
    sa.Column("policy_id", sa.Uuid, nullable=True),
    sa.Column("policy_version", sa.Integer, nullable=True),
    sa.Column("merged_into", sa.Uuid, nullable=True),
    sa.Column("prev_status", sa.String(40), nullable=True),
    sa.Column("prev_category", sa.String(10), nullable=True),
    sa.Index("ix_relcore_case_changes_history", "case_id", "at", "id"),
    sa.Index("ix_relcore_case_changes_status", "status"),
    **_MYSQL,
)

sla_marks = sa.Table(
    "relcore_sla_marks",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("case_id", sa.Uuid, _case_fk(), nullable=False),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), nullable=False, index=True),
    sa.Column("metric", KeyText(20), nullable=False),
    sa.Column("instance", sa.Integer, nullable=False),
    sa.Column("kind", KeyText(10), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("marked_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("case_id", "metric", "instance", "kind"),
    **_MYSQL,
)


# -- feedback ----------------------------------------------------------------------------------------
# A response's NPS class and positive flag follow from its kind, score and scale; they are stored so that
# rules and tallies read them as columns. ``latest`` marks each customer's newest response of each kind.

feedback_responses = sa.Table(
    "relcore_feedback_responses",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), nullable=False),
    sa.Column(
        "contact_id", sa.Uuid, sa.ForeignKey("relcore_contacts.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("kind", KeyText(10), nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("scale_min", sa.Integer, nullable=False),
    sa.Column("scale_max", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("answered_at", UTCDateTime, nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column(
        "touchpoint_id",
        sa.Uuid,
        sa.ForeignKey("relcore_touchpoints.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column("case_id", sa.Uuid, nullable=True),
    sa.Column("campaign_id", sa.Uuid, nullable=True),
    sa.Column("survey", KeyText(100), nullable=True),
    sa.Column("source", KeyText(100), nullable=False),
    sa.Column("external_id", KeyText(200), nullable=True),
    sa.Column("nps_class", sa.String(10), nullable=True),
    sa.Column("positive", sa.Boolean, nullable=False),
    sa.Column("latest", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("source", "external_id"),
    sa.Index("ix_relcore_feedback_responses_customer", "customer_id", "kind", "answered_at"),
    sa.Index("ix_relcore_feedback_responses_answered", "kind", "answered_at"),
    **_MYSQL,
)
"""Feedback responses (NPS, CSAT, CES, custom), idempotent on ``(source, external_id)``."""

# -- marketing ---------------------------------------------------------------------------------------
# A campaign's three amounts share its currency; its member statuses, variants and frequency cap are JSON.
# A campaign member row is kept for every customer the campaign considered, left out or not (``excluded``).

campaigns = sa.Table(
    "relcore_campaigns",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", KeyText(200), nullable=False, unique=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("purpose", sa.String(20), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column(
        "parent_id", sa.Uuid, sa.ForeignKey("relcore_campaigns.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("starts_at", UTCDateTime, nullable=True),
    sa.Column("ends_at", UTCDateTime, nullable=True),
    sa.Column(
        "budget_minor", sa.BigInteger, nullable=True, info={"relcore": MinorUnits("budget", "currency")}
    ),
    sa.Column(
        "actual_cost_minor",
        sa.BigInteger,
        nullable=True,
        info={"relcore": MinorUnits("actual_cost", "currency")},
    ),
    sa.Column(
        "expected_revenue_minor",
        sa.BigInteger,
        nullable=True,
        info={"relcore": MinorUnits("expected_revenue", "currency")},
    ),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("member_statuses", _json(), nullable=False),
    sa.Column("variants", _json(), nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("frequency_cap", _json(), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)
"""Campaigns, unique on their name."""

campaign_members = sa.Table(
    "relcore_campaign_members",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column(
        "campaign_id", sa.Uuid, sa.ForeignKey("relcore_campaigns.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), nullable=False, index=True),
    sa.Column("address", sa.String(320), nullable=True),
    sa.Column("variant", KeyText(40), nullable=True),
    sa.Column("status", KeyText(40), nullable=True),
    sa.Column("excluded", KeyText(20), nullable=True),
    sa.Column("first_responded_at", UTCDateTime, nullable=True),
    sa.Column("status_changed_at", UTCDateTime, nullable=True),
    sa.Column("added_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("campaign_id", "customer_id"),
    sa.Index("ix_relcore_campaign_members_campaign", "campaign_id", "id"),
    **_MYSQL,
)
"""The customers each campaign considered: members and customers left out, one per campaign and customer."""

suppressions = sa.Table(
    "relcore_suppressions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("kind", KeyText(10), nullable=False),
    sa.Column("value", KeyText(320), nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("kind", "value"),
    **_MYSQL,
)
"""The suppression list, unique on the kind and the normalised value."""

# -- scoring -----------------------------------------------------------------------------------------
# A scoring plan's groups (with their segment rules in their JSON form) and thresholds are JSON.
# A stored score is one row per plan and customer: the latest refresh's, with the plan's version.

scoring_plans = sa.Table(
    "relcore_scoring_plans",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", KeyText(100), nullable=False, unique=True),
    sa.Column("groups", _json(), nullable=False),
    sa.Column("limit", sa.Integer, nullable=True),
    sa.Column("thresholds", _json(), nullable=False),
    sa.Column("fit_thresholds", _json(), nullable=False),
    sa.Column("engagement_thresholds", _json(), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)
"""Scoring plans, unique on their name."""

scores = sa.Table(
    "relcore_scores",
    metadata,
    sa.Column(
        "plan_id", sa.Uuid, sa.ForeignKey("relcore_scoring_plans.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("customer_id", sa.Uuid, _customer_fk(), primary_key=True, index=True),
    sa.Column("plan", KeyText(100), nullable=False),
    sa.Column("plan_version", sa.Integer, nullable=False),
    sa.Column("as_of", UTCDateTime, nullable=False),
    sa.Column("total", sa.Double, nullable=False),
    sa.Column("label", KeyText(50), nullable=True),
    sa.Column("fit", sa.Double, nullable=True),
    sa.Column("fit_label", KeyText(50), nullable=True),
    sa.Column("engagement", sa.Double, nullable=True),
    sa.Column("engagement_label", KeyText(50), nullable=True),
    sa.Index("ix_relcore_scores_ranking", "plan_id", "total"),
    **_MYSQL,
)
"""Each customer's latest score on each plan, computed at ``as_of`` with the plan's ``plan_version``."""
