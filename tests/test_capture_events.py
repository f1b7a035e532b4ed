"""relcore.testing.capture_events: the events a CRM delivers during a with block, on every backend.

The tests taking ``store`` run on memory and SQLite, and on PostgreSQL and
MariaDB/MySQL when their URLs are set (see conftest.py); the host-transaction
tests run on SQLite, and on PostgreSQL when its URL is set.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from relcore import CRM, Customer, Touchpoint
from relcore.crm import EventBus
from relcore.customers.services import add_customer
from relcore.domain import (
    Channel,
    ConsentChanged,
    ConsentStatus,
    CustomerCreated,
    CustomerUpdated,
    Purpose,
    TouchpointRecorded,
)
from relcore.errors import ConfigurationError, ConflictError, ValidationError
from relcore.ids import uuid7
from relcore.registry import Store
from relcore.storage.sql import SqlStore
from relcore.storage.sql.engines import create_engine_for
from relcore.storage.sql.testing import create_test_engine
from relcore.testing import CapturedEvents, capture_events
from tests.conftest import server_url

WHEN = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


@attrs.frozen
class VipCustomerCreated(CustomerCreated):
    """An event class of the host's, derived from one of relcore's."""


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store)


def _busy_day(crm: CRM) -> tuple[Customer, list[object]]:
    """Add, consent, visit and save one customer; return the customer and the events due, in order."""
    ada = crm.customers.add(Customer.person("Ada Lovelace"))
    crm.consent.record(ada.id, "marketing", "granted", channel="email", source="signup-form")
    visit = Touchpoint(customer_id=ada.id, channel="web", direction="inbound", occurred_at=WHEN)
    assert crm.activity.record_touchpoint(visit)
    ada = crm.customers.save(attrs.evolve(ada, tags={"vip"}))
    expected = [
        CustomerCreated(ada.id),
        ConsentChanged(ada.id, Purpose.MARKETING, Channel.EMAIL, ConsentStatus.GRANTED),
        TouchpointRecorded(visit.id, ada.id, Channel.WEB, WHEN),
        CustomerUpdated(ada.id, 2),
    ]
    return ada, expected


# -- on every backend --------------------------------------------------------------


def test_collects_every_event_in_delivery_order(crm: CRM) -> None:
    delivered: list[object] = []
    crm.subscribe(object, delivered.append)
    with capture_events(crm) as events:
        _, expected = _busy_day(crm)
        assert len(events) == 4  # delivered after each commit, so visible inside the block
    assert list(events) == expected == delivered
    assert events[0] == expected[0]
    assert events[-1] == expected[-1]
    assert events[1:3] == tuple(expected[1:3])
    assert expected[2] in events


def test_collects_only_the_given_types_and_their_subclasses(crm: CRM) -> None:
    with capture_events(crm, CustomerCreated, ConsentChanged) as chosen, capture_events(crm, object) as all_:
        ada, expected = _busy_day(crm)
        vip = VipCustomerCreated(ada.id)
        crm.events.publish([vip])  # a host's own event, of a subclass
    assert list(chosen) == [expected[0], expected[1], vip]
    assert list(all_) == [*expected, vip]
    assert chosen.of_type(CustomerCreated) == (expected[0], vip)
    assert chosen.of_type(VipCustomerCreated) == (vip,)
    assert chosen.of_type(CustomerUpdated) == ()


def test_overlapping_types_collect_each_event_once(crm: CRM) -> None:
    with capture_events(crm, CustomerCreated, object, CustomerCreated) as events:
        ada = crm.customers.add(Customer.person("Ada"))
    assert list(events) == [CustomerCreated(ada.id)]


def test_events_after_the_block_are_not_collected(crm: CRM) -> None:
    with capture_events(crm) as events:
        ada = crm.customers.add(Customer.person("Ada"))
    crm.customers.add(Customer.person("Bob"))
    crm.consent.record(ada.id, "marketing", "granted", channel="email", source="form")
    assert list(events) == [CustomerCreated(ada.id)]


def test_an_exception_in_the_block_propagates_and_ends_the_capture(crm: CRM) -> None:
    ada = Customer.person("Ada")
    captured: list[CapturedEvents] = []

    def failing_test() -> None:
        with capture_events(crm) as events:
            captured.append(events)
            crm.customers.add(ada)
            raise LookupError("the test gives up")

    with pytest.raises(LookupError, match="the test gives up"):
        failing_test()
    crm.customers.add(Customer.person("Bob"))
    assert list(captured[0]) == [CustomerCreated(ada.id)]


def test_nested_captures_each_see_what_is_delivered_while_they_are_open(crm: CRM) -> None:
    with capture_events(crm) as outer:
        ada = crm.customers.add(Customer.person("Ada"))
        with capture_events(crm, CustomerCreated) as inner:
            bob = crm.customers.add(Customer.person("Bob"))
            crm.consent.record(bob.id, "marketing", "granted", channel="email", source="form")
        cy = crm.customers.add(Customer.person("Cy"))
    assert list(inner) == [CustomerCreated(bob.id)]
    assert [type(e) for e in outer] == [CustomerCreated, CustomerCreated, ConsentChanged, CustomerCreated]
    assert outer.of_type(CustomerCreated) == tuple(CustomerCreated(c.id) for c in (ada, bob, cy))


def test_a_unit_of_work_rolled_back_delivers_nothing(crm: CRM) -> None:
    ada, bob = Customer.person("Ada"), Customer.person("Bob")
    with capture_events(crm) as events:
        with crm.unit_of_work() as uow:
            add_customer(uow, Customer.person("Never committed"))
        with pytest.raises(LookupError):
            _fail_in_a_unit_of_work(crm)
        with crm.unit_of_work() as uow:
            add_customer(uow, Customer.person("Rolled back"))
            uow.rollback()
        crm.customers.add(ada)
        with pytest.raises(ConflictError):
            crm.customers.add(ada)  # the same id again: refused, rolled back
        assert list(events) == [CustomerCreated(ada.id)]
        with crm.unit_of_work() as uow:
            add_customer(uow, bob)
            assert len(events) == 1  # not before the unit of work commits
            uow.commit()
            assert len(events) == 2
    assert list(events) == [CustomerCreated(ada.id), CustomerCreated(bob.id)]
    assert [c.id for c in crm.customers.list(limit=10).items] == [ada.id, bob.id]  # only they were stored


def _fail_in_a_unit_of_work(crm: CRM) -> None:
    with crm.unit_of_work() as uow:
        add_customer(uow, Customer.person("Rolled back"))
        raise LookupError


# -- host transactions --------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        made = create_engine_for(tmp_path / "host.db")
    else:
        made = create_test_engine(server_url(request.param))
    SqlStore.open(made).close()  # the schema
    yield made
    made.dispose()


def test_in_a_host_transaction_events_come_at_the_hosts_commit(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        crm = CRM.open(connection, upgrade=False)
        delivered: list[object] = []
        crm.subscribe(CustomerCreated, delivered.append)

        connection.begin()
        with capture_events(crm) as committed_inside:
            ada = crm.customers.add(Customer.person("Ada"))
            assert list(committed_inside) == []  # relcore is done, the host's transaction is not
            connection.commit()
        assert list(committed_inside) == [CustomerCreated(ada.id)]

        connection.begin()
        with capture_events(crm) as committed_after:
            bob = crm.customers.add(Customer.person("Bob"))
        connection.commit()
        assert list(committed_after) == []
        assert delivered == [CustomerCreated(ada.id), CustomerCreated(bob.id)]  # delivered, after the block

        connection.begin()
        with capture_events(crm) as rolled_back:
            crm.customers.add(Customer.person("Cy"))
            connection.rollback()
        assert list(rolled_back) == []
        assert len(delivered) == 2


# -- the captured sequence ----------------------------------------------------------


def test_the_captured_events_are_a_read_only_sequence() -> None:
    crm = CRM.in_memory()
    with capture_events(crm) as events:
        ada = crm.customers.add(Customer.person("Ada"))
        seen = []
        for event in events:  # iterating a snapshot while more events arrive
            seen.append(event)
            crm.customers.add(Customer.person("Bob"))
    assert seen == [CustomerCreated(ada.id)]
    assert len(events) == 2
    assert isinstance(events, CapturedEvents)
    with pytest.raises(TypeError):
        events[0] = events[1]  # type: ignore[index]
    with pytest.raises(AttributeError):
        events.append  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(IndexError):
        events[2]
    assert events.index(CustomerCreated(ada.id)) == 0
    assert events.count(CustomerCreated(ada.id)) == 1
    assert "CustomerCreated" in repr(events)


# -- checked arguments -------------------------------------------------------------


class _HostileEvents:
    @property
    def events(self) -> Any:
        raise RuntimeError("marker-secret")


@pytest.mark.parametrize(
    "not_a_crm",
    [
        None,
        "crm",
        CRM,  # the class, not a CRM
        SimpleNamespace(events=None),
        SimpleNamespace(events=SimpleNamespace(subscribe=print, unsubscribe="no")),
        _HostileEvents(),
    ],
    ids=["none", "text", "crm-class", "no-bus", "bad-unsubscribe", "hostile-bus"],
)
def test_something_that_is_not_a_crm_is_a_configuration_error(not_a_crm: Any) -> None:
    with pytest.raises(ConfigurationError, match="capture_events needs a CRM") as caught:
        capture_events(not_a_crm)  # refused at the call, before any with block
    assert caught.value.__context__ is None
    assert "marker-secret" not in str(caught.value)


def test_a_store_is_not_a_crm() -> None:
    crm = CRM.in_memory()
    with pytest.raises(ConfigurationError, match="not MemoryStore"):
        capture_events(crm.store)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("event_types", "path", "kind"),
    [
        (("CustomerCreated",), "event_types[0]", "str"),
        ((CustomerCreated, CustomerCreated(uuid7())), "event_types[1]", "CustomerCreated"),
        ((ConsentChanged, object, None), "event_types[2]", "NoneType"),
    ],
)
def test_an_event_type_that_is_not_a_class_is_a_validation_error(
    event_types: tuple[Any, ...], path: str, kind: str
) -> None:
    crm = CRM.in_memory()
    with pytest.raises(ValidationError) as caught:
        capture_events(crm, *event_types)
    assert [(e.path, e.problem) for e in caught.value.errors] == [
        (path, f"expected an event class, got {kind}")
    ]


def test_of_type_needs_a_class() -> None:
    with capture_events(CRM.in_memory()) as events:
        pass
    with pytest.raises(ValidationError) as caught:
        events.of_type("CustomerCreated")  # type: ignore[arg-type]
    assert caught.value.paths == ("event_type",)


class _RecordingBus(EventBus):
    """An event bus that records subscriptions."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, type, Callable[[Any], None]]] = []

    def subscribe(self, event_type: type[Any], handler: Callable[[Any], None]) -> None:
        self.calls.append(("subscribe", event_type, handler))
        super().subscribe(event_type, handler)

    def unsubscribe(self, event_type: type[Any], handler: Callable[[Any], None]) -> None:
        self.calls.append(("unsubscribe", event_type, handler))
        super().unsubscribe(event_type, handler)


def test_any_object_with_an_event_bus_will_do_and_its_subscription_ends_with_the_block() -> None:
    host = SimpleNamespace(events=_RecordingBus())
    event = CustomerCreated(uuid7())
    captured: list[CapturedEvents] = []

    def failing_test() -> None:
        with capture_events(host, CustomerCreated) as events:  # type: ignore[arg-type]
            captured.append(events)
            host.events.publish([event])
            raise KeyError

    with pytest.raises(KeyError):
        failing_test()
    host.events.publish([CustomerCreated(uuid7())])
    assert list(captured[0]) == [event]
    (action, event_type, handler), (undo, *undone) = host.events.calls
    assert (action, undo) == ("subscribe", "unsubscribe")
    assert undone == [event_type, handler]


def test_importing_relcore_testing_needs_neither_pytest_nor_hypothesis() -> None:
    script = textwrap.dedent(
        """
        import sys

        sys.modules["pytest"] = None  # "import pytest" now raises ImportError
        sys.modules["hypothesis"] = None
        from relcore import CRM, Customer
        from relcore.testing import capture_events

        crm = CRM.in_memory()
        with capture_events(crm) as events:
            crm.customers.add(Customer.person("Ada"))
        print(type(events[0]).__name__)
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "CustomerCreated"
