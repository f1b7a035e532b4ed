"""A unique-key conflict in the database leaks the key through no message, chain or log.

PostgreSQL says ``Key (namespace, value)=(race, zelda...) already exists`` and
MariaDB ``Duplicate entry 'race-zelda...'``. relcore replaces such driver
errors with its own description instead of chaining them, and the engines it
creates never log SQL parameters.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa

from relcore import CRM, Customer, Identity, Touchpoint
from relcore.customers import _sql as sql_repositories
from relcore.errors import ConflictError
from relcore.storage.sql import SqlStore
from relcore.storage.sql.engines import create_engine_for
from relcore.storage.sql.testing import create_test_engine
from tests.conftest import server_url

MARKER = "zelda.q7x3marker@example.org"


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An engine as relcore creates it, on each SQL backend."""
    if request.param == "sqlite":
        made = create_engine_for(tmp_path / "private.db")
    else:
        made = create_test_engine(server_url(request.param))
    SqlStore.open(made).close()
    yield made
    made.dispose()


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record at DEBUG, SQLAlchemy's engine and pool loggers included."""
    for name in ("", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "relcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _texts(error: BaseException) -> list[str]:
    """The message, repr and full traceback text of ``error`` and of every exception chained to it."""
    texts = ["".join(traceback.format_exception(error))]
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args)]
        current = current.__cause__ or current.__context__
    return texts


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() + (record.exc_text or "") for record in caplog.records]


def test_a_duplicate_identity_leaks_nothing(
    engine: sa.Engine, debug_logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = CRM(SqlStore(engine))
    crm.customers.add(Customer.person("Zelda", identities=[Identity("race", MARKER)]))
    # two writers racing: the second one's check ran before the first one committed,
    # so its insert reaches the database's unique key
    monkeypatch.setattr(sql_repositories.SqlCustomers, "_check_identities", lambda self, customer: None)
    with pytest.raises(ConflictError) as raised:
        crm.customers.add(Customer.person("Not Zelda", identities=[Identity("race", MARKER)]))
    assert raised.value.__cause__ is None
    assert raised.value.__context__ is None
    for text in _texts(raised.value):
        assert MARKER not in text
    assert debug_logs.records, "the engine's loggers were not captured"
    for text in _logged(debug_logs):
        assert MARKER not in text


def test_a_duplicate_touchpoint_id_leaks_nothing(
    engine: sa.Engine, debug_logs: pytest.LogCaptureFixture
) -> None:
    crm = CRM(SqlStore(engine))
    zelda = crm.customers.add(Customer.person("Zelda"))
    first = Touchpoint(
        customer_id=zelda.id,
        channel="email",
        direction="inbound",
        occurred_at=zelda.created_at,
        source="mailbox",
        external_id=MARKER,
    )
    crm.activity.record_touchpoint(first)
    with pytest.raises(ConflictError) as raised:
        crm.activity.import_touchpoints([attrs.evolve(first, external_id=f"{MARKER}.2")])
    for text in _texts(raised.value):
        assert MARKER not in text
    for text in _logged(debug_logs):
        assert MARKER not in text


def test_engines_relcore_creates_hide_sql_parameters(tmp_path: Path) -> None:
    engine = create_engine_for(tmp_path / "hidden.db")
    assert engine.hide_parameters
    engine.dispose()
