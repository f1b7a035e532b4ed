"""The row codec: the one mapping between touchpoints, transactions, consent records and their tables.

Its rows are checked against the rows relcore wrote before the codec (spelled
out here by hand), its driver parameters against what SQLAlchemy's own bind
processors make of those rows on each dialect, and its decoding against the
entity it started from.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
from datetime import datetime
from typing import Any
from uuid import UUID, SafeUUID

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg.types.json import Json
from sqlalchemy.engine import Dialect

from relcore.activity import _rows as activity_rows
from relcore.consent.ports import CONSENTS
from relcore.customers import _rows as customer_rows
from relcore.customers.model import Channel
from relcore.domain import ConsentRecord, Contact, Customer, Touchpoint, Transaction
from relcore.errors import ValidationError
from relcore.ids import uuid7
from relcore.storage.sql.codec import _UUID_OF_TEXT, _UUID_OR_NONE, MinorUnits, RowCodec
from relcore.storage.sql.dialects import DialectFamily
from relcore.storage.sql.generic import codec_of
from relcore.storage.sql.schema import metadata
from relcore.storage.sql.types import UTCDateTime
from relcore.testing import strategies as s
from relcore.testing._contract_support import T0

Entity = Touchpoint | Transaction | ConsentRecord

CONSENT_CODEC: RowCodec[ConsentRecord] = codec_of(CONSENTS)
"""The consent ledger's codec, derived from its declaration."""
ENTITIES = st.one_of(s.touchpoints(), s.transactions(), s.consent_records())
CODECS: dict[type[Any], RowCodec[Any]] = {
    Touchpoint: activity_rows.TOUCHPOINTS,
    Transaction: activity_rows.TRANSACTIONS,
    ConsentRecord: CONSENT_CODEC,
}


def _special_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _dialect(url: str, **options: Any) -> Dialect:
    return sa.create_engine(url, **options).dialect  # no connection is made


DIALECTS = {
    "sqlite": _dialect("sqlite://"),
    "sqlite-own-json": _dialect("sqlite://", json_serializer=_special_json),
    "postgresql-psycopg": _dialect("postgresql+psycopg://"),
    "mysql-pymysql": _dialect("mysql+pymysql://"),  # MySQL: UUIDs as 32 hex digits
    "mariadb-pymysql": _dialect("mariadb+pymysql://"),  # MariaDB: its own UUID type
}


def expected_row(entity: Entity) -> dict[str, Any]:
    """The row relcore wrote for ``entity`` before the codec (rows.py as it was), by hand."""
    if isinstance(entity, Touchpoint):
        t = entity
        return {
            "id": t.id,
            "customer_id": t.customer_id,
            "contact_id": t.contact_id,
            "channel": t.channel.value,
            "direction": t.direction.value,
            "kind": t.kind.value,
            "occurred_at": t.occurred_at,
            "subject": t.subject,
            "outcome": t.outcome,
            "sentiment": t.sentiment,
            "campaign_id": t.campaign_id,
            "case_id": t.case_id,
            "opportunity_id": t.opportunity_id,
            "payload": t.payload,
            "source": t.source,
            "external_id": t.external_id,
            "recorded_at": t.recorded_at,
        }
    if isinstance(entity, Transaction):
        x = entity
        return {
            "id": x.id,
            "customer_id": x.customer_id,
            "contact_id": x.contact_id,
            "kind": x.kind.value,
            "amount_minor": x.minor_units,
            "currency": x.currency,
            "quantity": x.quantity,
            "channel": x.channel.value if x.channel else None,
            "occurred_at": x.occurred_at,
            "description": x.description,
            "payload": x.payload,
            "source": x.source,
            "external_id": x.external_id,
            "recorded_at": x.recorded_at,
        }
    r = entity
    return {
        "id": r.id,
        "customer_id": r.customer_id,
        "purpose": r.purpose.value,
        "channel": r.channel.value if r.channel else None,
        "status": r.status.value,
        "recorded_at": r.recorded_at,
        "expires_at": r.expires_at,
        "source": r.source,
        "notice_version": r.notice_version,
    }


def typed(values: Any) -> list[tuple[type, Any]]:
    """Values with their exact types (a str-valued enum member equals its value, but is not what is bound)."""
    out: list[tuple[type, Any]] = []
    for value in values:
        if isinstance(value, Json):  # psycopg's wrapper has no __eq__: compare what it wraps
            out.append((Json, value.obj))
        else:
            out.append((type(value), value))
    return out


def sqlalchemy_params(table: sa.Table, row: dict[str, Any], dialect: Dialect) -> tuple[Any, ...]:
    """What SQLAlchemy sends the driver for ``row``: each column's bind processor on ``dialect``."""
    sent = []
    for column in table.columns:
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        value = row[column.name]
        sent.append(value if process is None else process(value))
    return tuple(sent)


@settings(max_examples=300)
@given(ENTITIES)
def test_the_row_is_the_row_relcore_always_wrote(entity: Entity) -> None:
    codec = CODECS[type(entity)]
    row = codec.row(entity)
    assert row == expected_row(entity)
    assert typed(row.values()) == typed(expected_row(entity)[name] for name in row)


@settings(max_examples=200)
@given(ENTITIES, st.sampled_from(sorted(DIALECTS)))
def test_driver_parameters_are_what_sqlalchemy_binds(entity: Entity, dialect_name: str) -> None:
    codec = CODECS[type(entity)]
    dialect = DIALECTS[dialect_name]
    expected = sqlalchemy_params(codec.table, expected_row(entity), dialect)
    assert typed(codec.params(entity, dialect)) == typed(expected)
    # the bulk encoder gives the same values, in its own column order
    encoder = codec.encoder(dialect)
    by_name = dict(zip(encoder.columns, encoder.encode(entity), strict=True))
    assert sorted(encoder.columns) == sorted(codec.table.c.keys())
    assert typed(by_name[c.name] for c in codec.table.columns) == typed(expected)


@settings(max_examples=100)
@given(ENTITIES, st.sampled_from(list(DialectFamily)))
def test_a_family_stands_for_its_standard_driver(entity: Entity, family: DialectFamily) -> None:
    standard = {
        DialectFamily.SQLITE: "sqlite",
        DialectFamily.POSTGRESQL: "postgresql-psycopg",
        DialectFamily.MYSQL: "mysql-pymysql",
    }
    codec = CODECS[type(entity)]
    assert typed(codec.params(entity, family)) == typed(codec.params(entity, DIALECTS[standard[family]]))


def _same_fields(decoded: Any, entity: Any) -> None:
    assert decoded == entity
    for field in attrs.fields(type(entity)):
        assert type(getattr(decoded, field.name)) is type(getattr(entity, field.name)), field.name


@settings(max_examples=300)
@given(ENTITIES)
def test_an_entity_survives_its_row(entity: Entity) -> None:
    codec = CODECS[type(entity)]
    _same_fields(codec.entity(codec.row(entity)), entity)


@pytest.fixture(scope="module")
def sqlite_tables() -> sa.Engine:
    """relcore's tables in a SQLite database (foreign keys not enforced: rows stand alone)."""
    engine = sa.create_engine("sqlite://", poolclass=sa.StaticPool)
    metadata.create_all(engine)
    return engine


@settings(max_examples=100)
@given(ENTITIES)
def test_parameters_sent_by_the_driver_read_back_through_sqlalchemy(
    sqlite_tables: sa.Engine, entity: Entity
) -> None:
    codec = CODECS[type(entity)]
    encoder = codec.encoder(DialectFamily.SQLITE)
    with sqlite_tables.connect() as connection:
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        driver.execute(encoder.insert_sql("?"), encoder.encode(entity))
        query = sa.select(codec.table).where(codec.table.c.id == entity.id)
        stored = connection.execute(query).mappings().one()
        connection.rollback()
        driver.rollback()
    _same_fields(codec.entity(stored), entity)


@settings(max_examples=200)
@given(ENTITIES, st.sampled_from(sorted(DIALECTS)))
def test_a_parameter_is_what_sqlalchemy_binds(entity: Entity, dialect_name: str) -> None:
    codec = CODECS[type(entity)]
    dialect = DIALECTS[dialect_name]
    row = expected_row(entity)
    expected = dict(zip(codec.table.c.keys(), sqlalchemy_params(codec.table, row, dialect), strict=True))
    for name, value in row.items():
        assert typed([codec.parameter(name, dialect)(value)]) == typed([expected[name]]), name
        assert codec.parameter(name, dialect)(None) is None, name


def test_a_parameter_of_an_unknown_column_is_refused() -> None:
    with pytest.raises(KeyError):
        activity_rows.TOUCHPOINTS.parameter("nowhere", "sqlite")


@settings(max_examples=100)
@given(ENTITIES)
def test_rows_as_the_sqlite_driver_returns_them_decode_to_the_entity(
    sqlite_tables: sa.Engine, entity: Entity
) -> None:
    codec = CODECS[type(entity)]
    encoder = codec.encoder(DialectFamily.SQLITE)
    columns = codec.table.c.keys()
    with sqlite_tables.connect() as connection:
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        driver.execute(encoder.insert_sql("?"), encoder.encode(entity))
        select = f"SELECT {', '.join(columns)} FROM {codec.table.name} WHERE id = ?"
        (stored,) = driver.execute(select, (entity.id.hex,)).fetchall()
        backwards = f"SELECT 'x', {', '.join(reversed(columns))} FROM {codec.table.name} WHERE id = ?"
        (reversed_row,) = driver.execute(backwards, (entity.id.hex,)).fetchall()
        driver.rollback()
    _same_fields(codec.reader(DIALECTS["sqlite"])(stored), entity)
    positions = [len(columns) - i for i in range(len(columns))]  # column i is at 1 + (n - 1 - i)
    _same_fields(codec.reader(DialectFamily.SQLITE, positions=positions)(reversed_row), entity)


def test_declared_tokens_read_back_as_text_and_built_in_values_as_members(sqlite_tables: sa.Engine) -> None:
    declared = Touchpoint(
        customer_id=UUID(int=1), channel="whatsapp", kind="webinar", direction="inbound", occurred_at=T0
    )
    built_in = attrs.evolve(declared, id=uuid7(), channel="email", kind="call")
    codec = activity_rows.TOUCHPOINTS
    encoder = codec.encoder(DialectFamily.SQLITE)
    with sqlite_tables.connect() as connection:
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        driver.executemany(encoder.insert_sql("?"), [encoder.encode(declared), encoder.encode(built_in)])
        select = f"SELECT {', '.join(codec.table.c.keys())} FROM {codec.table.name} WHERE id IN (?, ?)"
        found = driver.execute(select, (declared.id.hex, built_in.id.hex)).fetchall()
        driver.rollback()
    read = {entity.id: entity for entity in map(codec.reader("sqlite"), found)}
    _same_fields(read[declared.id], declared)
    assert type(read[declared.id].channel) is str
    _same_fields(read[built_in.id], built_in)
    assert read[built_in.id].channel is Channel.EMAIL


def test_a_reader_needs_a_position_for_every_column() -> None:
    with pytest.raises(ValueError, match="positions needed"):
        activity_rows.TOUCHPOINTS.reader("sqlite", positions=[0, 1])


def test_a_reader_of_an_untrusted_codec_runs_the_constructor() -> None:
    record = ConsentRecord(customer_id=UUID(int=1), purpose="marketing", status="granted")
    codec = CONSENT_CODEC
    params = dict(zip(codec.table.c.keys(), codec.params(record, "sqlite"), strict=True))
    read = codec.reader("sqlite")
    assert read(tuple(params.values())) == record
    params["status"] = "maybe"  # changed behind relcore's back
    with pytest.raises(ValidationError) as raised:
        read(tuple(params.values()))
    assert raised.value.paths == ("status",)


@pytest.mark.parametrize("value", [UUID(int=0), UUID(int=2**128 - 1), uuid7()])
def test_stored_uuid_text_becomes_the_same_uuid(value: UUID) -> None:
    for text in (value.hex, str(value)):  # 32 hex digits; MariaDB's hyphenated UUID text
        made = _UUID_OF_TEXT(text)
        assert type(made) is UUID
        assert (made, hash(made), str(made), repr(made)) == (value, hash(value), str(value), repr(value))
        assert made.is_safe is SafeUUID.unknown
        assert pickle.loads(pickle.dumps(made)) == value
        assert _UUID_OR_NONE(text) == value
    assert _UUID_OR_NONE(None) is None


def test_consent_records_are_rebuilt_through_the_constructor() -> None:
    record = ConsentRecord(customer_id=UUID(int=1), purpose="marketing", status="granted")
    edited = {**CONSENT_CODEC.row(record), "status": "maybe"}  # changed behind relcore's back
    with pytest.raises(ValidationError) as raised:
        CONSENT_CODEC.entity(edited)
    assert raised.value.paths == ("status",)


# -- what the codec derives, and what it refuses ----------------------------------


@attrs.frozen
class Note:
    id: UUID
    text: str
    at: datetime
    cents: int = 0


def _note_table(*extra: sa.Column[Any], at_type: Any = UTCDateTime) -> sa.Table:
    return sa.Table(
        "notes",
        sa.MetaData(),
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("body", sa.String(20)),
        sa.Column("at", at_type),
        sa.Column("cents", sa.Integer),
        *extra,
    )


def test_a_renamed_column_is_declared() -> None:
    codec = RowCodec(_note_table(), Note, declared={"body": "text"}, trusted=True)
    note = Note(id=UUID(int=7), text="hi", at=datetime.fromisoformat("2025-01-02T03:04:05+00:00"))
    assert codec.row(note) == {"id": note.id, "body": "hi", "at": note.at, "cents": 0}
    assert codec.params(note, "sqlite") == (UUID(int=7).hex, "hi", "2025-01-02 03:04:05.000000", 0)
    assert codec.entity(codec.row(note)) == note


@pytest.mark.parametrize(
    ("table", "declared", "message"),
    [
        (_note_table(), {}, "column body matches no field"),
        (_note_table(sa.Column("extra", sa.String(5))), {"body": "text"}, "column extra matches no field"),
        (_note_table(at_type=sa.LargeBinary), {"body": "text"}, "codec does not know"),
        (_note_table(), {"body": "text", "nowhere": "text"}, "not in the table"),
        (_note_table(), {"body": "text", "cents": MinorUnits("cents", "id")}, "NOT NULL integer"),
        (
            _note_table(sa.Column("units", sa.Integer, nullable=False)),
            {"body": "text", "units": MinorUnits("cents", "currency")},
            r"fields \['currency'\] the class lacks",
        ),
        (_note_table(), {"body": "cents"}, "two columns hold field cents"),
    ],
)
def test_what_the_codec_cannot_derive_is_refused(
    table: sa.Table, declared: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        RowCodec(table, Note, declared=declared)


def test_a_field_without_a_column_is_refused() -> None:
    table = sa.Table("notes", sa.MetaData(), sa.Column("id", sa.Uuid), sa.Column("body", sa.String(20)))
    with pytest.raises(TypeError, match=r"fields \['at', 'cents'\] have no column"):
        RowCodec(table, Note, declared={"body": "text"})


def test_a_column_type_that_converts_its_values_is_refused() -> None:
    class Shouting(sa.TypeDecorator[str]):
        impl = sa.String
        cache_ok = True

        def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
            return None if value is None else value.upper()

    table = _note_table()
    table.c.body.type = Shouting()
    with pytest.raises(TypeError, match="converts its values"):
        RowCodec(table, Note, declared={"body": "text"})


# -- customers, contacts and their child rows ------------------------------------

PARTS = st.one_of(s.customers(), s.contacts())


def _parts(entity: Customer | Contact) -> list[tuple[RowCodec[Any], Any, dict[str, Any]]]:
    """(codec, codec's entity, the row relcore's single add writes) for every row of ``entity``."""
    if isinstance(entity, Customer):
        roles, tags, known = customer_rows.customer_parts(entity)
        written = [(customer_rows.CUSTOMERS, entity, customer_rows.customer_row(entity))]
        written += [(customer_rows.ROLES, r, {"customer_id": entity.id, "role": r.role}) for r in roles]
        written += [(customer_rows.TAGS, t, {"customer_id": entity.id, "tag": t.tag}) for t in tags]
        written += [
            (
                customer_rows.IDENTITIES,
                i,
                {"namespace": i.namespace, "value": i.value, "customer_id": entity.id},
            )
            for i in known
        ]
        assert sorted(r.role for r in roles) == sorted(map(str, entity.roles))
        assert {t.tag for t in tags} == entity.tags
        assert [(i.namespace, i.value) for i in known] == [(i.namespace, i.value) for i in entity.identities]
        return written
    points = customer_rows.point_parts(entity)
    expected_points = customer_rows.point_rows(entity)
    assert len(points) == len(expected_points)
    return [(customer_rows.CONTACTS, entity, customer_rows.contact_row(entity))] + [
        (customer_rows.POINTS, p, e) for p, e in zip(points, expected_points, strict=True)
    ]


def _bound(value: Any) -> tuple[type, Any]:
    """A value as a driver stores it: a bool is the integer SQLAlchemy sends where booleans are not native."""
    if isinstance(value, Json):
        return (Json, value.obj)
    if isinstance(value, bool):
        return (int, int(value))
    return (type(value), value)


@settings(max_examples=200)
@given(PARTS, st.sampled_from(sorted(DIALECTS)))
def test_customer_and_contact_rows_are_what_sqlalchemy_binds(
    entity: Customer | Contact, dialect_name: str
) -> None:
    dialect = DIALECTS[dialect_name]
    for codec, item, expected_row in _parts(entity):
        assert codec.row(item) == expected_row
        encoder = codec.encoder(dialect)
        by_name = dict(zip(encoder.columns, encoder.encode(item), strict=True))
        assert sorted(encoder.columns) == sorted(codec.table.c.keys())
        expected = sqlalchemy_params(codec.table, expected_row, dialect)
        assert [_bound(by_name[c.name]) for c in codec.table.columns] == [_bound(v) for v in expected]


@settings(max_examples=50)
@given(s.customers())
def test_a_customer_is_rebuilt_from_its_row_and_the_fields_stored_apart(customer: Customer) -> None:
    rebuilt = customer_rows.CUSTOMERS.entity(
        customer_rows.CUSTOMERS.row(customer),
        roles=customer.roles,
        tags=customer.tags,
        identities=customer.identities,
    )
    assert rebuilt == customer


def test_fields_stored_apart_must_be_fields_and_are_not_trusted() -> None:
    table = _note_table()
    codec = RowCodec(table, Note, declared={"body": "text"}, apart=())
    assert codec.apart == frozenset()
    with pytest.raises(TypeError, match=r"fields \['nowhere'\] stored apart are not fields"):
        RowCodec(table, Note, declared={"body": "text"}, apart=("nowhere",))
    with pytest.raises(TypeError, match="need the constructor"):
        RowCodec(table, Note, declared={"body": "text"}, apart=("cents",), trusted=True)
    narrow = sa.Table(
        "notes",
        sa.MetaData(),
        sa.Column("id", sa.Uuid),
        sa.Column("body", sa.String(20)),
        sa.Column("at", UTCDateTime),
    )
    codec = RowCodec(narrow, Note, declared={"body": "text"}, apart=("cents",))
    note = Note(id=UUID(int=7), text="hi", at=datetime.fromisoformat("2025-01-02T03:04:05+00:00"), cents=5)
    assert codec.row(note) == {"id": note.id, "body": "hi", "at": note.at}
    assert codec.entity(codec.row(note), cents=5) == note
