"""Keys compare exactly and lookups are typed through the facade, and JSON validation fits every backend.

The storage contract (``relcore.testing._contract_keys``) holds the repository
side; these tests replay, through [CRM][relcore.CRM] and on every backend, the
defects the review found on MariaDB (another person's record returned, padded
keys merged, JSON nesting refused by the database), and check that existing
MySQL/MariaDB databases get the exact collations from the migration.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from relcore import CRM, Customer, Touchpoint, Transaction, ValidationError
from relcore._kernel.checks import MAX_JSON_DEPTH
from relcore.customers._rows import customer_row
from relcore.registry import Store
from relcore.segments import field
from relcore.storage.sql import upgrade
from relcore.storage.sql.engines import create_engine_for
from relcore.storage.sql.schema import customers, identities
from relcore.storage.sql.testing import create_test_engine
from relcore.storage.sql.types import exact_collation
from relcore.testing.contracts import FixedClock
from tests.conftest import server_url

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(NOW))


def _visit(customer: Customer, external_id: str) -> Touchpoint:
    return Touchpoint(
        customer_id=customer.id,
        channel="web",
        direction="inbound",
        occurred_at=NOW - timedelta(days=1),
        source="shop",
        external_id=external_id,
    )


@pytest.mark.parametrize(
    ("namespace", "value", "path"),
    [
        (0, "abc", "namespace"),
        ("shop", 0, "value"),
        ("shop", 1001, "value"),
        ("shop", 1001.0, "value"),
        ("shop", True, "value"),
        ("shop", None, "value"),
        ("shop", b"abc", "value"),
        (None, None, "namespace"),
    ],
)
def test_find_customer_with_a_wrongly_typed_argument_is_refused(
    crm: CRM, namespace: Any, value: Any, path: str
) -> None:
    identities = [("shop", "abc"), ("shop", "1001x"), ("shop", "1001"), ("shop", "1"), ("shop", "0")]
    crm.customers.add(Customer.person("Ada", identities=identities))
    with pytest.raises(ValidationError) as caught:
        crm.customers.find(namespace, value)
    assert caught.value.paths == (path,)


def test_find_customer_never_returns_a_padded_or_folded_lookalike(crm: CRM) -> None:
    ada = crm.customers.add(Customer.person("Ada", identities=[("shop", "1001"), ("shop", "abc")]))
    for value in ("1001 ", "1001  ", "1001x", "ABC", "abc ", "ab\u0063\u0301"):
        assert crm.customers.find("shop", value) is None, repr(value)
    assert crm.customers.find("shop", "1001") == ada


def test_an_identity_differing_by_a_trailing_space_belongs_to_another_customer(crm: CRM) -> None:
    ada = crm.customers.add(Customer.person("Ada", identities=[("shop", "1001")]))
    bob = crm.customers.add(Customer.person("Bob", identities=[("shop", "1001 ")]))  # no ConflictError
    assert crm.customers.find("shop", "1001") == ada
    assert crm.customers.find("shop", "1001 ") == bob


def test_a_touchpoint_whose_external_id_differs_by_a_trailing_space_is_new(crm: CRM) -> None:
    ada = crm.customers.add(Customer.person("Ada"))
    assert crm.activity.record_touchpoint(_visit(ada, "X-1")) is True
    assert crm.activity.record_touchpoint(_visit(ada, "X-1 ")) is True  # not a ConflictError, not a repeat
    assert crm.activity.record_touchpoint(_visit(ada, "X-1")) is False


def test_an_import_counts_keys_differing_by_a_trailing_space_apart(crm: CRM) -> None:
    ada = crm.customers.add(Customer.person("Ada"))
    assert crm.activity.import_touchpoints([_visit(ada, key) for key in ("Y0", "Y0 ", "Y1")]) == 3
    assert crm.activity.import_touchpoints([_visit(ada, key) for key in ("Y0", "Y0 ", "Y1")]) == 0
    assert len(crm.activity.timeline(ada.id)) == 3


def test_segment_names_differing_by_a_trailing_space_are_two_segments(crm: CRM) -> None:
    vip = crm.segments.define("vip", field("tags").has_tag("vip"))
    padded = crm.segments.define("vip ", field("tags").has_tag("gold"))  # no ConflictError
    assert vip.id != padded.id
    assert crm.segments.get("vip") == vip
    assert crm.segments.get("vip ") == padded


# -- JSON nesting: what validation accepts, every backend stores ------------------


def _levels(value: Any) -> int:
    """Return how deep objects and arrays nest in ``value`` (a scalar is 0, ``{}`` is 1)."""
    if isinstance(value, dict):
        return 1 + max((_levels(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_levels(v) for v in value), default=0)
    return 0


def _nested(levels: int, innermost: Any) -> dict[str, Any]:
    """Return an object nesting objects and arrays ``levels`` deep, ``innermost`` at the bottom."""
    value = innermost
    for level in range(levels - _levels(innermost) - 1):
        value = {"k": value} if level % 2 else [value]
    document = {"root": value}
    assert _levels(document) == levels
    return document


INNERMOST = pytest.mark.parametrize(
    "innermost", ["leaf", {}, []], ids=["scalar", "empty-object", "empty-array"]
)


@INNERMOST
def test_json_nested_to_the_limit_is_stored_everywhere(crm: CRM, innermost: Any) -> None:
    document = _nested(MAX_JSON_DEPTH, innermost)
    ada = crm.customers.add(Customer.person("Ada", attributes=document))
    assert crm.customers.get(ada.id).attributes == document
    visit = Touchpoint(
        customer_id=ada.id, channel="web", direction="inbound", occurred_at=NOW, payload=document
    )
    order = Transaction(customer_id=ada.id, amount="1.00", currency="EUR", occurred_at=NOW, payload=document)
    assert crm.activity.record_touchpoint(visit)
    assert crm.activity.record_transaction(order)
    assert {entry.id: entry.payload for entry in crm.activity.timeline(ada.id)} == {
        visit.id: document,
        order.id: document,
    }


@INNERMOST
def test_json_nested_one_level_past_the_limit_is_a_validation_error(crm: CRM, innermost: Any) -> None:
    document = _nested(MAX_JSON_DEPTH + 1, innermost)
    with pytest.raises(ValidationError) as caught:
        Customer.person("Ada", attributes=document)
    assert caught.value.paths[0].startswith("attributes.root")
    ada = crm.customers.add(Customer.person("Ada"))
    with pytest.raises(ValidationError) as caught:
        Touchpoint(customer_id=ada.id, channel="web", direction="inbound", occurred_at=NOW, payload=document)
    assert caught.value.paths[0].startswith("payload.root")
    assert crm.activity.timeline(ada.id) == []


# -- existing databases: the migration makes their keys exact ---------------------


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        made = create_engine_for(tmp_path / "keys.db")
    else:
        made = create_test_engine(server_url(request.param))
    yield made
    made.dispose()


def test_upgrading_a_database_of_revision_0003_makes_its_keys_exact(engine: sa.Engine) -> None:
    upgrade(engine, "0003")
    ada = Customer.person("Ada", identities=[("shop", "1001")])
    old_customers = customers.to_metadata(sa.MetaData())  # as revision 0003 had it: one relationship
    old_customers.append_column(sa.Column("relationship", sa.String(20), nullable=False))
    with engine.begin() as connection:  # written by the previous relcore, as it stored rows
        connection.execute(old_customers.insert(), [{**customer_row(ada), "relationship": "customer"}])
        connection.execute(
            identities.insert(), [{"namespace": "shop", "value": "1001", "customer_id": ada.id}]
        )
    crm = CRM.open(engine)
    bob = crm.customers.add(Customer.person("Bob", identities=[("shop", "1001 ")]))
    assert crm.customers.find("shop", "1001") == ada
    assert crm.customers.find("shop", "1001 ") == bob
    crm.close()
    collation = exact_collation(engine.dialect)
    if collation is not None:
        assert _collation(engine, "relcore_identities", "value") == collation


def test_the_migration_can_be_undone_and_redone(engine: sa.Engine) -> None:
    from alembic import command
    from alembic.config import Config

    from relcore.storage.sql.migrate import current_revision, head_revision

    upgrade(engine)
    with engine.begin() as connection:  # relcore's migration environment reads it from the config
        config = Config()
        config.set_main_option("script_location", "relcore.storage.sql:migrations")
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    assert current_revision(engine) == "0003"
    collation = exact_collation(engine.dialect)
    if collation is not None:
        assert _collation(engine, "relcore_segments", "name") == "utf8mb4_bin"
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    if collation is not None:
        assert _collation(engine, "relcore_segments", "name") == collation


def _collation(engine: sa.Engine, table: str, column: str) -> str:
    query = sa.text(
        "SELECT collation_name FROM information_schema.columns "
        "WHERE table_schema = DATABASE() AND table_name = :table AND column_name = :column"
    )
    with engine.connect() as connection:
        return str(connection.execute(query, {"table": table, "column": column}).scalar_one())
