"""The SQL of the computed fields of segment rules: attributes, consent, metrics.

Each function returns an expression correlated to ``relcore_customers``,
agreeing with `relcore.segments.rules.evaluation` on every backend.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from relcore._kernel.money import CURRENCIES
from relcore.segments import FieldType
from relcore.storage.sql.dialects import DialectFamily, dialect_family
from relcore.storage.sql.schema import consents, customer_metrics, customers
from relcore.value.model import MONEY_METRICS

__all__ = ["attribute", "consent_granted", "metric"]

_JSON_TYPES: dict[DialectFamily, dict[FieldType, tuple[str, ...]]] = {
    # JSON type names per dialect family for each declarable attribute type
    DialectFamily.SQLITE: {
        FieldType.TEXT: ("text",),
        FieldType.NUMBER: ("integer", "real"),
        FieldType.BOOL: ("true", "false"),
    },
    DialectFamily.POSTGRESQL: {
        FieldType.TEXT: ("string",),
        FieldType.NUMBER: ("number",),
        FieldType.BOOL: ("boolean",),
    },
    DialectFamily.MYSQL: {
        FieldType.TEXT: ("STRING",),
        FieldType.NUMBER: ("INTEGER", "DOUBLE", "DECIMAL", "UNSIGNED INTEGER"),
        FieldType.BOOL: ("BOOLEAN",),
    },
}


def attribute(column: Any, key: str, kind: FieldType, dialect: Dialect | str) -> Any:
    """The custom attribute ``key`` as a typed value, NULL when missing or of another JSON type.

    Text is text, numbers are double precision, booleans are 1 or 0 (as
    `relcore.segments.rules.evaluation.typed_json` reads them). ``key`` is a
    catalogue-checked identifier; it still travels as a bound parameter.
    ``dialect`` is a SQLAlchemy dialect or a family name (see
    [dialect_family][relcore.storage.sql.dialects.dialect_family]).
    """
    family = dialect_family(dialect)
    names = _JSON_TYPES[family][kind]
    if family is DialectFamily.POSTGRESQL:
        element = column.op("->", return_type=sa.JSON)(sa.literal(key))
        json_type = sa.func.json_typeof(element)
        text = column.op("->>", return_type=sa.Text)(sa.literal(key))
        raw: Any = {
            FieldType.TEXT: text,
            FieldType.NUMBER: sa.cast(text, sa.Double),
            FieldType.BOOL: sa.case((text == "true", 1), else_=0),
        }[kind]
    else:
        path = sa.literal(f'$."{key}"')
        if family is DialectFamily.MYSQL:
            element = sa.func.json_extract(column, path)
            json_type = sa.func.json_type(element)
            raw = {
                FieldType.TEXT: sa.func.json_unquote(element),
                FieldType.NUMBER: sa.cast(element, sa.Double),
                FieldType.BOOL: sa.case((element == "true", 1), else_=0),
            }[kind]
        else:
            json_type = sa.func.json_type(column, path)
            raw = {
                FieldType.TEXT: sa.func.json_extract(column, path),
                FieldType.NUMBER: sa.cast(sa.func.json_extract(column, path), sa.Double),
                FieldType.BOOL: sa.case((json_type == "true", 1), else_=0),
            }[kind]
    typed: dict[FieldType, sa.types.TypeEngine[Any]] = {
        FieldType.TEXT: sa.Text(),
        FieldType.NUMBER: sa.Double(),
        FieldType.BOOL: sa.Integer(),
    }
    return sa.type_coerce(sa.case((json_type.in_(names), raw), else_=None), typed[kind])


def metric(name: str) -> Any:
    """The stored metric ``name`` of the customer (NULL when none is stored).

    Money is stored in minor units; a rule sees it as a float in major units,
    ``minor / 10**digits`` in double precision. Both operands are exact
    doubles (below 2**53 units) and IEEE division rounds correctly, so this is
    ``float(amount)`` bit for bit, as the memory backend compares it.
    """
    if name in MONEY_METRICS:
        scale = sa.case(
            *((customer_metrics.c.currency == code, float(10**digits)) for code, digits in _ODD_DIGITS),
            else_=100.0,
        )
        value: Any = sa.cast(customer_metrics.c[f"{name}_minor"], sa.Double) / scale
    else:
        value = customer_metrics.c[name]
    return sa.select(value).where(customer_metrics.c.customer_id == customers.c.id).scalar_subquery()


_ODD_DIGITS = tuple(sorted((code, digits) for code, digits in CURRENCIES.items() if digits != 2))
"""Currencies whose minor unit is not a hundredth."""


def consent_granted(purpose: str, channel: str, as_of: datetime) -> sa.ColumnElement[bool]:
    """Whether the deciding consent record at ``as_of`` is an unexpired grant.

    The deciding record is the latest ``(recorded_at, id)`` at or before
    ``as_of`` that covers the purpose and this channel or every channel, as in
    [`relcore.domain.current_consent`][].
    """
    record, later = consents.alias("deciding"), consents.alias("later")

    def applies(ledger: Any, owner: Any) -> sa.ColumnElement[bool]:
        return sa.and_(
            ledger.c.customer_id == owner,
            ledger.c.purpose == purpose,
            sa.or_(ledger.c.channel == channel, ledger.c.channel.is_(None)),
            ledger.c.recorded_at <= as_of,
        )

    newer = sa.or_(
        later.c.recorded_at > record.c.recorded_at,
        sa.and_(later.c.recorded_at == record.c.recorded_at, later.c.id > record.c.id),
    )
    return sa.exists().where(
        applies(record, customers.c.id),
        record.c.status == "granted",
        sa.or_(record.c.expires_at.is_(None), record.c.expires_at > as_of),
        ~sa.exists().where(applies(later, record.c.customer_id), newer),  # same customer, one level up
    )
