"""The toy ``notes`` aggregate passes the generic contract on every backend, through its declaration alone.

Files it took: ``tests/toy_notes/{__init__,model,adapters,test_notes}.py``;
nothing in ``src/`` names it. The stores are built with
``contexts=(*CONTEXTS, NOTES_CONTEXT)`` (its "registry line").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from relcore.ids import CustomerId, uuid7
from relcore.registry import CONTEXTS, Aggregate, Store
from relcore.storage.memory import MemoryStore
from relcore.storage.sql import SqlStore
from relcore.storage.sql.engines import create_engine_for
from relcore.storage.sql.testing import create_test_engine, wipe
from relcore.testing._contract_support import StoreFactory, customer, in_unit
from relcore.testing.contracts import AggregateContract
from tests.conftest import fresh_sqlite, server_url
from tests.toy_notes.model import NOTES, NOTES_CONTEXT, Note, notes_table

WITH_NOTES = (*CONTEXTS, NOTES_CONTEXT)
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def notes_factory(
    backend: str, tmp_path: Path, _server_engines: dict[str, Any], request: pytest.FixtureRequest
) -> Iterator[StoreFactory]:
    """Fresh stores serving the registry's contexts and the toy one (its table made fresh, dropped after)."""
    made: list[Store] = []
    engines: list[sa.Engine] = []

    def make(clock: Any = None) -> Store:
        kwargs = {} if clock is None else {"clock": clock}
        if backend == "memory":
            store: Store = MemoryStore(contexts=WITH_NOTES, **kwargs)
            made.append(store)
            return store
        if backend == "sqlite":
            path = fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / f"notes{len(made)}.db")
            engine = create_engine_for(path)  # relcore's SQLite settings: real SAVEPOINTs
            engines.append(engine)
        else:
            if backend not in _server_engines:
                _server_engines[backend] = create_test_engine(server_url(backend))
            engine = _server_engines[backend]
            notes_table.drop(engine, checkfirst=True)  # its rows would hold customers that wipe() deletes
            SqlStore.open(engine).close()
            wipe(engine)
        store = SqlStore.open(engine, contexts=WITH_NOTES, **kwargs)
        notes_table.create(engine, checkfirst=True)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()
    if backend in ("postgres", "mysql") and backend in _server_engines:
        notes_table.drop(_server_engines[backend], checkfirst=True)
    for engine in engines:
        engine.dispose()


def make_note(owner: CustomerId, key: tuple[str, str] | None = None, **fields: Any) -> Note:
    source, external_id = key if key is not None else ("crm", f"n-{uuid7().hex}")
    values: dict[str, Any] = {
        "customer_id": owner,
        "text": "called about the invoice",
        "written_at": T0,
        "source": source,
        "external_id": external_id,
    }
    return Note(**{**values, **fields})


class TestNotesContract(AggregateContract):
    @pytest.fixture
    def store_factory(self, notes_factory: StoreFactory) -> StoreFactory:
        return notes_factory

    @pytest.fixture
    def aggregate(self) -> Aggregate[Any]:
        return NOTES

    @pytest.fixture
    def make_entity(self) -> Any:
        return make_note


def test_the_special_query_agrees_on_every_backend(notes_factory: StoreFactory) -> None:
    store = notes_factory()
    ada, grace = customer("Ada"), customer("Grace")
    in_unit(store, lambda uow: [uow.customers.add(ada), uow.customers.add(grace)])
    notes = [make_note(ada.id, written_at=T0 + timedelta(hours=h)) for h in (2, 5, 1)]
    in_unit(store, lambda uow: uow.notes.add_many(notes))
    assert in_unit(store, lambda uow: uow.notes.latest(ada.id), commit=False) == notes[1]
    assert in_unit(store, lambda uow: uow.notes.latest(grace.id), commit=False) is None
    assert in_unit(store, lambda uow: uow.repo(NOTES), commit=False) is not None


def test_a_note_keeps_its_owner_and_its_key_is_exact(notes_factory: StoreFactory) -> None:
    store = notes_factory()
    ada, grace = customer("Ada"), customer("Grace")
    in_unit(store, lambda uow: [uow.customers.add(ada), uow.customers.add(grace)])
    note = make_note(ada.id, key=("crm", "1001"))
    assert (
        in_unit(store, lambda uow: uow.notes.add_many([note, make_note(ada.id, key=("crm", "1001 "))])) == 2
    )
    with pytest.raises(Exception, match="owner"):
        in_unit(store, lambda uow: uow.notes.save(attrs.evolve(note, customer_id=grace.id)))
