"""A segment refresh compares memberships in the database, at a cost linear in the data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from relcore import CRM, Customer
from relcore.registry import Store
from relcore.segments import field
from relcore.storage.sql.schema import segment_members
from tests.conftest import StoreFactory

T1 = datetime(2025, 1, 1, tzinfo=UTC)
T2 = datetime(2025, 2, 1, tzinfo=UTC)
VIP = field("tags").has_tag("vip")


def _add(store: Store, count: int, *, tagged: bool) -> list[Any]:
    people = [Customer.person(f"P{i}", tags={"vip"} if tagged else set()) for i in range(count)]
    with store.unit_of_work() as uow:
        for person in people:
            uow.customers.add(person)
        uow.commit()
    return sorted(p.id for p in people)


def test_refresh_reports_who_entered_and_left(store: Store) -> None:
    crm = CRM(store)
    vips = _add(store, 3, tagged=True)
    others = _add(store, 2, tagged=False)
    crm.segments.define("vip", VIP)

    first = crm.segments.refresh("vip", as_of=T1)
    assert (first.entered, first.left, first.size) == (tuple(vips), (), 3)

    dropped, joined = crm.customers.get(vips[1]), crm.customers.get(others[0])
    crm.customers.save(attrs.evolve(dropped, tags=frozenset()))
    crm.customers.save(attrs.evolve(joined, tags=frozenset({"vip"})))
    second = crm.segments.refresh("vip", as_of=T2)
    assert (second.entered, second.left, second.size) == ((joined.id,), (dropped.id,), 3)
    assert second.segment.refreshed_at == T2

    with store.unit_of_work(read_only=True) as uow:
        assert uow.segments.stored_members(second.segment.id) == sorted([vips[0], vips[2], joined.id])
    if hasattr(store, "bind"):  # SQL: who stayed keeps the time they entered
        assert _entry_times(store, second.segment.id) == {vips[0]: T1, vips[2]: T1, joined.id: T2}
    again = crm.segments.refresh("vip", as_of=T2)
    assert (again.entered, again.left, again.size) == ((), (), 3)


def _entry_times(store: Store, segment_id: Any) -> dict[Any, datetime]:
    query = sa.select(segment_members.c.customer_id, segment_members.c.entered_at).where(
        segment_members.c.segment_id == segment_id
    )
    with store.bind.connect() as connection:  # type: ignore[attr-defined]
        return dict(connection.execute(query).all())


def test_leaving_everyone_empties_the_stored_membership(store: Store) -> None:
    crm = CRM(store)
    vips = _add(store, 4, tagged=True)
    crm.segments.define("vip", VIP)
    crm.segments.refresh("vip", as_of=T1)
    for customer_id in vips:
        crm.customers.save(attrs.evolve(crm.customers.get(customer_id), tags=frozenset()))
    result = crm.segments.refresh("vip", as_of=T2)
    assert (result.entered, result.left, result.size) == ((), tuple(vips), 0)
    assert list(crm.segments.members("vip")) == []


def _statements_of_a_first_refresh(store: Store, members: int) -> int:
    crm = CRM(store)
    _add(store, members, tagged=True)
    crm.segments.define("vip", VIP)
    engine = store.bind  # type: ignore[attr-defined]
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert crm.segments.refresh("vip", as_of=T1).size == members
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mysql"], indirect=True)
def test_a_refresh_runs_as_many_statements_for_a_thousand_members_as_for_three(
    store_factory: StoreFactory,
) -> None:
    """No statement per member or per chunk of members: the work is set operations in the database."""
    small = _statements_of_a_first_refresh(store_factory(), 3)
    large = _statements_of_a_first_refresh(store_factory(), 1_100)  # a server store starts over empty
    assert large == small
