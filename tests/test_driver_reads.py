"""Reads on the driver's cursor: statements compiled once per dialect, the answers of SQLAlchemy's path."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.pg8000 import PGDialect_pg8000
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import Dialect

from relcore.activity import _sql
from relcore.ids import CustomerId, uuid7
from relcore.storage.sql import SqlStore
from relcore.storage.sql.driver import compile_for_driver, reads_on_driver
from relcore.storage.sql.schema import touchpoints
from relcore.testing._contract_support import customer, minutes, stored, touchpoint, transaction

SQLITE = sa.create_engine("sqlite://").dialect
POSTGRESQL = sa.create_engine("postgresql+psycopg://").dialect
MARIADB = sa.create_engine("mariadb+pymysql://").dialect


class _Connection:
    """What `reads_on_driver` looks at: a dialect and execution options."""

    def __init__(self, dialect: Dialect, **options: object) -> None:
        self.dialect = dialect
        self.options = options

    def get_execution_options(self) -> dict[str, object]:
        return self.options


def _reads_on_driver(dialect: Dialect, **options: object) -> bool:
    return reads_on_driver(_Connection(dialect, **options))  # type: ignore[arg-type]


def test_the_drivers_whose_values_the_codec_knows_read_on_their_cursor() -> None:
    assert all(_reads_on_driver(d) for d in (SQLITE, POSTGRESQL, MARIADB))
    assert not _reads_on_driver(PGDialect_pg8000())
    assert not _reads_on_driver(SQLiteDialect_aiosqlite())  # asynchronous
    assert not _reads_on_driver(sa.create_engine("sqlite://", native_datetime=True).dialect)
    assert not _reads_on_driver(SQLITE, schema_translate_map={None: "crm"})


def test_a_positional_style_lists_parameters_in_order_with_the_statement_s_own_values() -> None:
    query = (
        sa.select(touchpoints.c.id)
        .where(touchpoints.c.customer_id == sa.bindparam("customer_id"))
        .limit(sa.bindparam("limit"))
    )
    compiled = compile_for_driver(query, SQLITE)
    assert compiled.sql.count("?") == 3  # SQLite writes LIMIT ? OFFSET ?
    assert compiled.names is not None
    assert compiled.parameters({"customer_id": "ab", "limit": 5}) == ("ab", 5, 0)
    named = compile_for_driver(query, POSTGRESQL)
    assert named.names is None
    assert named.parameters({"customer_id": "ab", "limit": 5}) == {"customer_id": "ab", "limit": 5}


def test_a_parameter_that_changes_the_sql_is_refused() -> None:
    expanding = sa.select(touchpoints.c.id).where(
        touchpoints.c.channel.in_(sa.bindparam("channels", expanding=True))
    )
    with pytest.raises(ValueError, match="plain named parameters"):
        compile_for_driver(expanding, SQLITE)


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"limit": 2},
        {"channels": ["web"]},
        {"channels": ["web", "email", "in_person"], "since": minutes(2)},
        {"until": minutes(4)},
        {"channels": [], "limit": 3},
    ],
    ids=["all", "limit", "one-channel", "channels-since", "until", "no-channel"],
)
def test_the_driver_path_answers_as_sqlalchemy_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filters: dict[str, object]
) -> None:
    ada = customer()
    entries = [
        touchpoint(ada.id, channel="web", occurred_at=minutes(1)),
        transaction(ada.id, channel="web", occurred_at=minutes(2)),
        transaction(ada.id, channel="in_person", occurred_at=minutes(3)),
        touchpoint(ada.id, channel="email", occurred_at=minutes(4), payload={"n": [1, 2]}),
        transaction(ada.id, channel=None, occurred_at=minutes(5)),
    ]
    store = SqlStore.open(tmp_path / "store.db")
    try:
        stored(store, ada, *entries)

        def read() -> tuple[object, ...]:
            with store.unit_of_work(read_only=True) as uow:
                return (
                    uow.activity.timeline(ada.id, **filters),  # type: ignore[arg-type]
                    uow.touchpoints.for_customer(ada.id, **filters),  # type: ignore[arg-type]
                    uow.transactions.for_customer(ada.id, **filters),  # type: ignore[arg-type]
                    uow.activity.timeline(CustomerId(uuid7()), **filters),  # type: ignore[arg-type]
                )

        on_driver = read()
        monkeypatch.setattr(_sql, "reads_on_driver", lambda dialect: False)
        assert read() == on_driver
    finally:
        store.close()
