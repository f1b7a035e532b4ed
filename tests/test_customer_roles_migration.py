"""Revision 0006: each customer's stored relationship becomes its one role, and nothing else changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from relcore import CRM, Customer, RelationshipKind
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


def test_the_revision_can_be_undone_and_redone(engine: sa.Engine) -> None:
    from alembic import command
    from alembic.config import Config

    upgrade(engine)
    with CRM.open(engine) as crm:
        both = crm.customers.add(Customer.organization("Acme", roles=["partner", "customer"]))
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
    assert stored == "customer"  # one role is kept: the smallest
    upgrade(engine)
    with CRM.open(engine) as crm:
        assert crm.customers.get(both.id).roles == {RelationshipKind.CUSTOMER}
