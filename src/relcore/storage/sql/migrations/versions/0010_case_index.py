"""Service analytics: an index on when cases were opened.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

The service reports read the cases opened in a range of instants
(``created_at``), a page at a time; ``ix_relcore_cases_opened`` serves that
range without reading every case.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_relcore_cases_opened", "relcore_cases", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_relcore_cases_opened", table_name="relcore_cases")
