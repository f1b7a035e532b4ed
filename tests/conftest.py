"""Backends for the test suite.

Every test that takes the ``store`` fixture runs on each backend: memory and
SQLite always; PostgreSQL and MariaDB/MySQL when ``RELCORE_TEST_POSTGRES_URL``
/ ``RELCORE_TEST_MYSQL_URL`` are set. Under ``CI=true`` a missing URL is an
error, not a skip: CI must exercise every backend.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import relcore.testing  # noqa: F401 - registers the contract modules for assert rewriting before tests import them
from relcore.clock import Clock
from relcore.registry import Store

BACKENDS = ("memory", "sqlite", "postgres", "mysql")
_ENV = {"postgres": "RELCORE_TEST_POSTGRES_URL", "mysql": "RELCORE_TEST_MYSQL_URL"}

StoreFactory = Callable[..., Store]


def server_url(backend: str) -> str:
    """Return the URL of a server backend, or skip (fail under CI) when unset."""
    url = os.environ.get(_ENV[backend])
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"{_ENV[backend]} is not set, but CI must run the {backend} backend")
    pytest.skip(f"{_ENV[backend]} is not set; the {backend} backend is not tested")


@pytest.fixture(scope="session")
def _server_engines() -> Iterator[dict[str, object]]:
    engines: dict[str, object] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()  # type: ignore[attr-defined]


def _server_store(backend: str, engines: dict[str, object], clock: Clock | None) -> Store:
    from relcore.storage.sql import SqlStore
    from relcore.storage.sql.testing import create_test_engine, wipe

    if backend not in engines:
        engines[backend] = create_test_engine(server_url(backend))
    engine = engines[backend]
    wipe(engine)  # type: ignore[arg-type]
    kwargs = {} if clock is None else {"clock": clock}
    return SqlStore.open(engine, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session; tests start from copies of it."""
    from relcore.storage.sql import SqlStore

    path = tmp_path_factory.mktemp("template") / "template.db"
    SqlStore.open(path).close()
    return path


def fresh_sqlite(template: Path, target: Path) -> Path:
    """Copy the migrated template to ``target`` (WAL files are empty after close)."""
    shutil.copyfile(template, target)
    return target


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend under test."""
    return str(request.param)


@pytest.fixture
def store_factory(
    backend: str, tmp_path: Path, _server_engines: dict[str, object], request: pytest.FixtureRequest
) -> Iterator[StoreFactory]:
    """Return a function making a fresh, empty store on the backend under test.

    Call it at most once per test for server backends (they share one schema).
    """
    made: list[Store] = []

    def make(clock: Clock | None = None) -> Store:
        kwargs = {} if clock is None else {"clock": clock}
        if backend == "memory":
            from relcore.storage.memory import MemoryStore

            store: Store = MemoryStore(**kwargs)
        elif backend == "sqlite":
            from relcore.storage.sql import SqlStore

            template = request.getfixturevalue("sqlite_template")
            path = fresh_sqlite(template, tmp_path / f"store{len(made)}.db")
            store = SqlStore.open(path, **kwargs)
        else:
            store = _server_store(backend, _server_engines, clock)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture
def store(store_factory: StoreFactory) -> Store:
    """A fresh, empty store on the backend under test."""
    return store_factory()
