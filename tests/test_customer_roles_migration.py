"""Revision 0006: each customer's stored relationship becomes its one role, and nothing else changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from relcore import CRM, Customer, RelationshipKind
from relcore.segments import field, to_text
from relcore.storage.sql import upgrade
from relcore.storage.sql.engines import create_engine_for
from relcore.storage.sql.migrate import current_revision, head_revision
from relcore.storage.sql.testing import create_test_engine
from relcore.storage.sql.types import UTCDateTime
from tests.conftest import server_url

AT = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        made = create_engine_for(tmp_path / "roles.db")
    else:
        made = create_test_engine(server_url(request.param))
    yield made
    made.dispose()


def _store_0005_customers(engine: sa.Engine, relationships: dict[UUID, str]) -> None:
    """Write customers, each with a tag and a contact, into the schema as revision 0005 left it."""
    customers = sa.table(
        "relcore_customers",
        *(sa.column(n, sa.String()) for n in ("type", "name", "stage", "relationship")),
        sa.column("id", sa.Uuid()),
        sa.column("attributes", sa.JSON()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
        sa.column("version", sa.Integer()),
    )
    tags = sa.table(
        "relcore_customer_tags", sa.column("customer_id", sa.Uuid()), sa.column("tag", sa.String())
    )
    contacts = sa.table(
        "relcore_contacts",
        sa.column("id", sa.Uuid()),
        sa.column("customer_id", sa.Uuid()),
        *(sa.column(n, sa.String()) for n in ("name", "role")),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
        sa.column("version", sa.Integer()),
    )
    with engine.begin() as connection:
        for n, (customer_id, relationship) in enumerate(relationships.items()):
            connection.execute(
                customers.insert().values(
                    id=customer_id, type="organization", name=f"C{n}", stage="customer",
                    relationship=relationship, attributes={}, created_at=AT, updated_at=AT, version=1,
                )
            )  # fmt: skip
            connection.execute(tags.insert().values(customer_id=customer_id, tag="vip"))
            connection.execute(
                contacts.insert().values(
                    id=uuid4(), customer_id=customer_id, name="Bo", role="buyer",
                    created_at=AT, updated_at=AT, version=1,
                )
            )  # fmt: skip


def test_each_stored_relationship_becomes_the_one_role_and_children_survive(engine: sa.Engine) -> None:
    upgrade(engine, "0005")
    relationships = {uuid4(): "partner", uuid4(): "customer", uuid4(): "supplier"}
    _store_0005_customers(engine, relationships)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with CRM.open(engine) as crm:
        for customer_id, relationship in relationships.items():
            customer = crm.customers.get(customer_id)  # type: ignore[arg-type]
            assert customer.roles == {RelationshipKind(relationship)}
            assert customer.tags == {"vip"}  # a table copy on SQLite would have cascade-deleted these
            assert len(crm.customers.contacts(customer.id)) == 1


def _store_0005_segment(engine: sa.Engine, name: str, rule: dict[str, object]) -> None:
    segments = sa.table(
        "relcore_segments",
        *(sa.column(n, sa.String()) for n in ("name", "kind")),
        sa.column("id", sa.Uuid()),
        sa.column("rule", sa.JSON()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
        sa.column("version", sa.Integer()),
    )
    with engine.begin() as connection:
        connection.execute(
            segments.insert().values(
                id=uuid4(), name=name, kind="dynamic", rule={"version": 1, "rule": rule},
                created_at=AT, updated_at=AT, version=1,
            )
        )  # fmt: skip


def _relationship(op: str, value: object) -> dict[str, object]:
    return {"type": "condition", "field": "relationship", "op": op, "value": value}


def test_stored_rules_on_the_relationship_test_the_roles(engine: sa.Engine) -> None:
    upgrade(engine, "0005")
    partner, buyer, supplier = uuid4(), uuid4(), uuid4()
    _store_0005_customers(engine, {partner: "partner", buyer: "customer", supplier: "supplier"})
    rules = {
        "partners": _relationship("==", "partner"),
        "not partners": _relationship("!=", "partner"),
        "trade": _relationship("in", ["partner", "supplier"]),
        "no trade": {"type": "and", "rules": [_relationship("not in", ["partner", "supplier"])]},
    }
    for name, rule in rules.items():
        _store_0005_segment(engine, name, rule)
    upgrade(engine)
    with CRM.open(engine) as crm:
        members = {name: set(crm.segments.members(name, AT)) for name in rules}
        texts = {name: to_text(crm.segments.get(name).rule) for name in rules}  # type: ignore[arg-type]
    assert members == {
        "partners": {partner},
        "not partners": {buyer, supplier},
        "trade": {partner, supplier},
        "no trade": {buyer},
    }
    assert texts["partners"] == 'roles has tag "partner"'
    assert texts["not partners"] == 'not roles has tag "partner"'


def test_the_revision_can_be_undone_and_redone(engine: sa.Engine) -> None:
    from alembic import command
    from alembic.config import Config

    upgrade(engine)
    with CRM.open(engine) as crm:
        both = crm.customers.add(Customer.organization("Acme", roles=["partner", "customer"], tags=["vip"]))
        crm.segments.define("partners", field("roles").has_tag("partner"))
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", "relcore.storage.sql:migrations")
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    with engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT relationship FROM relcore_customers WHERE name = 'Acme'")
        ).scalar_one()
        assert "relcore_customer_roles" not in sa.inspect(connection).get_table_names()
        rule = connection.execute(
            sa.select(sa.column("rule", sa.JSON())).select_from(sa.table("relcore_segments"))
        ).scalar_one()
    assert stored == "customer"  # one role is kept: the smallest
    assert rule["rule"] == {"type": "condition", "field": "relationship", "op": "==", "value": "partner"}
    upgrade(engine)
    with CRM.open(engine) as crm:
        assert crm.customers.get(both.id).roles == {RelationshipKind.CUSTOMER}
        assert crm.customers.get(both.id).tags == {"vip"}  # no table copy cascaded on the way down
        assert crm.segments.get("partners").rule == field("roles").has_tag("partner")
