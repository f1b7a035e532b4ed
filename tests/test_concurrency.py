"""Concurrent writers queue or fail with a documented error, and lose nothing.

Four writer processes (``tests/_writers.py``) share one store on SQLite,
PostgreSQL and MariaDB: they add customers claiming the same identities, save
one customer with its version checked, and import touchpoint batches with
overlapping keys. Every call must succeed or raise a documented error, and
the store must hold exactly what the successful calls reported.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa

from relcore import CRM, Customer
from relcore.storage.sql import SqlStore
from relcore.storage.sql.schema import customers, identities, touchpoints
from relcore.storage.sql.testing import create_test_engine
from tests import _writers
from tests.conftest import server_url

WRITERS = 4
DEADLINE_S = 240
"""A hung writer fails the test instead of hanging it (the calls take seconds)."""


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """A migrated database: ``(backend, target for CRM.open, URL to check it with)``."""
    if request.param == "sqlite":
        path = tmp_path / "shared.db"
        SqlStore.open(path).close()
        yield request.param, str(path), f"sqlite:///{path}"
        return
    engine = create_test_engine(server_url(request.param))
    SqlStore.open(engine).close()
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    yield request.param, url, url


def _run_writers(target: str, shared: str) -> list[tuple[Any, ...]]:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    out = context.Queue()
    processes = [
        context.Process(target=_writers.run, args=(target, writer, shared, start, out), daemon=True)
        for writer in range(WRITERS)
    ]
    for process in processes:
        process.start()
    start.set()
    reports: list[tuple[Any, ...]] = []
    crashes = []
    try:
        for _ in processes:
            done, crash = out.get(timeout=DEADLINE_S)
            reports += done
            if crash is not None:
                crashes.append(crash)
    except queue.Empty:
        pytest.fail("a writer process did not finish")
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    assert not crashes, "a writer let an undocumented exception escape:\n" + "\n".join(crashes)
    return reports


def test_concurrent_writers_queue_and_lose_nothing(shared_store: tuple[str, str, str]) -> None:
    backend, target, url = shared_store
    crm = CRM.open(target, upgrade=False)
    shared = crm.customers.add(Customer.person("Shared"))
    crm.close()

    reports = _run_writers(target, str(shared.id))

    outcomes = Counter(report[3] for report in reports)
    allowed = {"ok", "ConflictError"} | ({"TransientStorageError"} if backend != "sqlite" else set())
    assert set(outcomes) <= allowed, outcomes  # SQLite writers wait for the write lock: no races at all
    for report in reports:
        assert "id-" not in report[4], report  # no error message quotes an identity value
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            _check_adds(connection, shared.id, [r for r in reports if r[0] == "add"])
            _check_saves(connection, shared.id, [r for r in reports if r[0] == "save"])
            _check_imports(connection, [r for r in reports if r[0] == "import"])
    finally:
        engine.dispose()


def _check_adds(connection: sa.Connection, shared: UUID, adds: list[tuple[Any, ...]]) -> None:
    """Each identity is held by the one customer whose add succeeded; failed adds left nothing."""
    query = sa.select(identities.c.value, identities.c.customer_id).where(identities.c.namespace == "race")
    held = dict(connection.execute(query).all())
    won = {f"id-{key}": UUID(customer_id) for _, customer_id, key, outcome, _ in adds if outcome == "ok"}
    assert held == won
    stored = set(connection.execute(sa.select(customers.c.id)).scalars())
    assert stored == set(won.values()) | {shared}


def _check_saves(connection: sa.Connection, shared: UUID, saves: list[tuple[Any, ...]]) -> None:
    """Every successful save made a new version; the last one's name is stored (no lost update)."""
    done = [(version, name) for _, name, version, outcome, _ in saves if outcome == "ok"]
    assert sorted(version for version, _ in done) == list(range(2, 2 + len(done)))
    query = sa.select(customers.c.name, customers.c.version).where(customers.c.id == shared)
    name, version = connection.execute(query).one()
    assert version == 1 + len(done)
    assert name == (max(done)[1] if done else "Shared")


def _check_imports(connection: sa.Connection, imports: list[tuple[Any, ...]]) -> None:
    """The stored keys are those of the successful imports, each counted new exactly once."""
    stored = set(connection.execute(sa.select(touchpoints.c.external_id)).scalars())
    succeeded = [(set(keys), new) for _, keys, new, outcome, _ in imports if outcome == "ok"]
    assert stored == set().union(*(keys for keys, _ in succeeded))
    assert sum(new for _, new in succeeded) == len(stored)
