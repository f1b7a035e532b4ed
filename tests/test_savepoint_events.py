"""Events of units of work that joined a host transaction: only for work that survives to the host's commit.

The host nests SAVEPOINTs around and after relcore's work and rolls some of
them back; a ``CustomerCreated`` must reach subscribers exactly for the
customers stored once the host's transaction has ended.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore import CRM, Customer
from relcore.domain import CustomerCreated
from relcore.storage.sql import SqlStore
from relcore.storage.sql.engines import create_engine_for
from relcore.storage.sql.testing import create_test_engine, wipe
from tests.conftest import server_url


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        made = create_engine_for(tmp_path / "host.db")
    else:
        made = create_test_engine(server_url(request.param))
    SqlStore.open(made).close()  # the schema
    yield made
    made.dispose()


def stored_ids(engine: sa.Engine) -> set[UUID]:
    store = SqlStore(engine)
    with store.unit_of_work() as uow:
        return {c.id for c in uow.customers.list(limit=1000).items}


class Host:
    """A host connection with relcore joined to it, recording the published customer ids."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.crm = CRM(SqlStore(connection))
        self.published: list[UUID] = []
        self.crm.subscribe(CustomerCreated, lambda e: self.published.append(e.customer_id))

    def add(self, name: str = "Ada") -> UUID:
        return self.crm.customers.add(Customer.person(name)).id


def test_customer_added_in_a_savepoint_the_host_rolls_back_is_not_announced(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        host = Host(connection)
        connection.begin()
        savepoint = connection.begin_nested()
        host.add()
        savepoint.rollback()
        connection.commit()
        assert host.published == []
    assert stored_ids(engine) == set()


def test_work_in_a_released_savepoint_is_announced_once_at_the_host_commit(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        host = Host(connection)
        connection.begin()
        savepoint = connection.begin_nested()
        ada = host.add()
        savepoint.commit()
        assert host.published == []
        connection.commit()
        assert host.published == [ada]
        connection.begin()
        connection.commit()  # a later commit publishes nothing again
        assert host.published == [ada]
    assert stored_ids(engine) == {ada}


def test_rolling_back_a_later_savepoint_keeps_earlier_work(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        host = Host(connection)
        connection.begin()
        ada = host.add("Ada")
        later = connection.begin_nested()
        host.add("Bob")
        inner = connection.begin_nested()
        inner.rollback()  # an empty savepoint inside Bob's: Bob stays for now
        later.rollback()  # Bob goes, Ada stays
        empty = connection.begin_nested()
        empty.rollback()  # after Ada, not around her
        connection.commit()
        assert host.published == [ada]
    assert stored_ids(engine) == {ada}


def test_an_outer_savepoint_rolled_back_after_its_inner_one_was_released(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        host = Host(connection)
        connection.begin()
        outer = connection.begin_nested()
        inner = connection.begin_nested()
        host.add()
        inner.commit()
        outer.rollback()
        connection.commit()
        assert host.published == []
    assert stored_ids(engine) == set()


def test_host_rollback_after_released_savepoints_announces_nothing(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        host = Host(connection)
        connection.begin()
        savepoint = connection.begin_nested()
        host.add()
        savepoint.commit()
        connection.rollback()
        assert host.published == []
        with connection.begin():  # the next transaction starts clean
            bob = host.add("Bob")
        assert host.published == [bob]
    assert stored_ids(engine) == {bob}


def test_a_failing_block_in_a_context_managed_savepoint(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        host = Host(connection)
        with connection.begin():
            ada = host.add("Ada")
            try:
                with connection.begin_nested():
                    host.add("Bob")
                    raise LookupError("the host gives up on Bob")
            except LookupError:
                pass
        assert host.published == [ada]
    assert stored_ids(engine) == {ada}


# -- generated host scripts ----------------------------------------------------

Step = str
"""``"add"``, ``"open"`` (a host savepoint), ``"release"`` or ``"undo"`` (the innermost one)."""


@st.composite
def scripts(draw: st.DrawFn) -> list[Step]:
    """Well-nested sequences of host savepoints with relcore work in and between them."""
    steps: list[Step] = []
    depth = 0
    for _ in range(draw(st.integers(1, 12))):
        choices = ["add", "open"] + (["release", "undo"] if depth else [])
        step = draw(st.sampled_from(choices))
        depth += {"open": 1, "release": -1, "undo": -1}.get(step, 0)
        steps.append(step)
    return steps


def _run(engine: sa.Engine, steps: list[Step], outcome: str) -> None:
    with engine.connect() as connection:
        host = Host(connection)
        connection.begin()
        open_savepoints: list[sa.NestedTransaction] = []
        for i, step in enumerate(steps):
            if step == "add":
                host.add(f"C{i}")
            elif step == "open":
                open_savepoints.append(connection.begin_nested())
            elif step == "release":
                open_savepoints.pop().commit()
            else:
                open_savepoints.pop().rollback()
        getattr(connection, outcome)()
        published = list(host.published)
    assert len(published) == len(set(published))
    assert set(published) == stored_ids(engine)


@pytest.mark.parametrize("outcome", ["commit", "rollback"])
def test_published_events_are_exactly_the_stored_customers(engine: sa.Engine, outcome: str) -> None:
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(steps=scripts())
    def check(steps: list[Step]) -> None:
        wipe(engine)
        _run(engine, steps, outcome)

    check()


def test_an_orm_session_savepoint_rolled_back(engine: sa.Engine) -> None:
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        host = Host(session.connection())
        ada = host.add("Ada")
        savepoint = session.begin_nested()
        session.connection()  # the session's SAVEPOINT is emitted once it is used
        host.add("Bob")
        savepoint.rollback()
        session.commit()
        assert host.published == [ada]
    assert stored_ids(engine) == {ada}


def test_a_failing_publisher_neither_stops_the_host_commit_nor_the_others(
    engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    received: list[object] = []

    def broken(events: object) -> None:
        raise RuntimeError("subscriber bug")

    with engine.connect() as connection:
        store = SqlStore(connection)
        connection.begin()
        ada, bob = Customer.person("Ada"), Customer.person("Bob")
        for person, publish in ((ada, broken), (bob, received.extend)):
            with store.unit_of_work(publish=publish) as uow:
                uow.customers.add(person)
                uow.record(CustomerCreated(person.id))
                uow.commit()
        connection.commit()
    assert received == [CustomerCreated(bob.id)]
    assert stored_ids(engine) == {ada.id, bob.id}
    assert "publishing events after the host's commit failed (1 in the batch)" in caplog.text
