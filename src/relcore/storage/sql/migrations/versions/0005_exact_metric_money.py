"""Money metrics in exact minor units: ``historical_value`` and ``monetary``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

The two columns held floats. They become integer counts of the row
currency's minor units (``historical_value_minor``, ``monetary_minor``), like
transaction amounts; stored values are converted, rounded half-even to the
minor unit.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import sqlalchemy as sa
from alembic import op

from relcore._kernel.money import CURRENCIES

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TABLE = "relcore_customer_metrics"
_MONEY = ("historical_value", "monetary")


def _minor(value: float | None, currency: str | None) -> int | None:
    if value is None or currency not in CURRENCIES:
        return None
    return int((Decimal(repr(value)).scaleb(CURRENCIES[currency])).to_integral_value(ROUND_HALF_EVEN))


def upgrade() -> None:
    with op.batch_alter_table(_TABLE) as batch:
        for name in _MONEY:
            batch.add_column(sa.Column(f"{name}_minor", sa.BigInteger(), nullable=True))
    table = sa.table(
        _TABLE,
        sa.column("customer_id", sa.Uuid()),
        sa.column("currency", sa.String(3)),
        *(sa.column(name, sa.Double()) for name in _MONEY),
        *(sa.column(f"{name}_minor", sa.BigInteger()) for name in _MONEY),
    )
    connection = op.get_bind()
    # Where DDL is not transactional (MariaDB) a crash may have dropped one old column already:
    # convert what is still there; the updates are idempotent, so a rerun finishes the revision.
    present = {c["name"] for c in sa.inspect(connection).get_columns(_TABLE)}
    old = [name for name in _MONEY if name in present]
    if old:
        rows = connection.execute(
            sa.select(table.c.customer_id, table.c.currency, *(table.c[name] for name in old))
        ).all()
        for row in rows:
            values = {f"{name}_minor": _minor(getattr(row, name), row.currency) for name in old}
            if any(v is not None for v in values.values()):
                connection.execute(
                    table.update().where(table.c.customer_id == row.customer_id).values(**values)
                )
    with op.batch_alter_table(_TABLE) as batch:
        for name in old:
            batch.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table(_TABLE) as batch:
        for name in _MONEY:
            batch.add_column(sa.Column(name, sa.Double(), nullable=True))
    table = sa.table(
        _TABLE,
        sa.column("customer_id", sa.Uuid()),
        sa.column("currency", sa.String(3)),
        *(sa.column(name, sa.Double()) for name in _MONEY),
        *(sa.column(f"{name}_minor", sa.BigInteger()) for name in _MONEY),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(table.c.customer_id, table.c.currency, *(table.c[f"{name}_minor"] for name in _MONEY))
    ).all()
    for row in rows:
        values = {
            name: None
            if getattr(row, f"{name}_minor") is None or row.currency not in CURRENCIES
            else float(Decimal(getattr(row, f"{name}_minor")).scaleb(-CURRENCIES[row.currency]))
            for name in _MONEY
        }
        connection.execute(table.update().where(table.c.customer_id == row.customer_id).values(**values))
    with op.batch_alter_table(_TABLE) as batch:
        for name in _MONEY:
            batch.drop_column(f"{name}_minor")
