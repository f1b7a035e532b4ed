"""The row codec's date columns, nullable money and scaled decimals, declared on the columns or apart.

A deal (what a sales opportunity will need) holds a date and an optional date,
an amount and an optional discount in minor units of their currencies, a
probability scaled by 10**4 and an optional weight scaled by 10**2. Its rows
are checked against rows worked out here independently (with `Fraction`),
its driver parameters against SQLAlchemy's own bind processors on each
dialect, and its decoding, through SQLAlchemy and through each family's
driver, against the deal it started from.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from uuid import UUID

import attrs
import pytest
import sqlalchemy as sa
from attrs.validators import instance_of, optional
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite as sqlite_types

from relcore.errors import ValidationError
from relcore.storage.sql.codec import MinorUnits, RowCodec, Scaled
from relcore.storage.sql.dialects import DialectFamily
from tests.conftest import server_url
from tests.test_row_codec import DIALECTS, sqlalchemy_params, typed

DIGITS = {"EUR": 2, "JPY": 0, "KWD": 3, "CLF": 4}
"""The minor-unit digits of the currencies used here (ISO 4217)."""


@attrs.frozen
class Deal:
    id: UUID = attrs.field(validator=instance_of(UUID))
    closes_on: date = attrs.field(validator=instance_of(date))
    won_on: date | None = attrs.field(validator=optional(instance_of(date)))
    value: Decimal = attrs.field(validator=instance_of(Decimal))
    currency: str = attrs.field(validator=instance_of(str))
    discount: Decimal | None = attrs.field(validator=optional(instance_of(Decimal)))
    discount_currency: str | None = attrs.field(validator=optional(instance_of(str)))
    probability: Decimal = attrs.field(validator=instance_of(Decimal))
    weight: Decimal | None = attrs.field(validator=optional(instance_of(Decimal)))


DECLARATIONS: dict[str, str | MinorUnits | Scaled] = {
    "value_minor": MinorUnits("value", "currency"),
    "discount_minor": MinorUnits("discount", "discount_currency"),
    "probability": Scaled("probability", 4),
    "weight_cents": Scaled("weight", 2),
}


def _deals(name: str, *, with_info: bool, replaced: sa.Column[Any] | None = None) -> sa.Table:
    """The deals table; its money and scaled columns carry their declarations in ``info`` if asked.

    ``replaced`` takes the place of the column of its name.
    """

    def info(column: str) -> dict[str, Any]:
        return {"relcore": DECLARATIONS[column]} if with_info else {}

    columns = [
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("closes_on", sa.Date, nullable=False),
        sa.Column("won_on", sa.Date),
        sa.Column("value_minor", sa.BigInteger, nullable=False, info=info("value_minor")),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("discount_minor", sa.BigInteger, info=info("discount_minor")),
        sa.Column("discount_currency", sa.String(3)),
        sa.Column("probability", sa.Integer, nullable=False, info=info("probability")),
        sa.Column("weight_cents", sa.BigInteger, info=info("weight_cents")),
    ]
    if replaced is not None:
        columns = [replaced if c.name == replaced.name else c for c in columns]
    return sa.Table(name, sa.MetaData(), *columns)


DEALS = _deals("codec_kinds_deals", with_info=True)
TRUSTED: RowCodec[Deal] = RowCodec(DEALS, Deal, trusted=True)  # as the generic repository builds it
CONSTRUCTING: RowCodec[Deal] = RowCodec(DEALS, Deal)
CODECS = {"trusted": TRUSTED, "constructing": CONSTRUCTING}
DECLARED: RowCodec[Deal] = RowCodec(_deals("codec_kinds_deals", with_info=False), Deal, declared=DECLARATIONS)


def _exact(amount: Decimal, places: int) -> int:
    """``amount`` times ``10**places`` as an integer, by rational arithmetic (not the codec's)."""
    scaled = Fraction(amount) * Fraction(10) ** places
    assert scaled.denominator == 1
    return int(scaled)


def expected_row(deal: Deal) -> dict[str, Any]:
    """The row SQLAlchemy should bind for ``deal``, worked out independently of the codec."""
    return {
        "id": deal.id,
        "closes_on": deal.closes_on,
        "won_on": deal.won_on,
        "value_minor": _exact(deal.value, DIGITS[deal.currency]),
        "currency": deal.currency,
        "discount_minor": (
            None
            if deal.discount is None or deal.discount_currency is None
            else _exact(deal.discount, DIGITS[deal.discount_currency])
        ),
        "discount_currency": deal.discount_currency,
        "probability": _exact(deal.probability, 4),
        "weight_cents": None if deal.weight is None else _exact(deal.weight, 2),
    }


# -- values -----------------------------------------------------------------------


def decimals(places: int) -> st.SearchStrategy[Decimal]:
    """Decimals with at most ``places`` decimals, with every exponent from ``-places`` to 2.

    ``n * 10**e`` with ``|n| <= 10**digits``, ``digits = min(12, 16 - places)``:
    at most 13 digits, exact in the default context; times ``10**places`` at
    most ``10**(digits + 2 + places) <= 10**18``, within a signed 64-bit integer.
    """
    digits = min(12, 16 - places)
    made = st.builds(
        lambda n, e: Decimal(n).scaleb(e), st.integers(-(10**digits), 10**digits), st.integers(-places, 2)
    )
    zeros = st.sampled_from([Decimal(0), Decimal("-0"), Decimal("0E+2"), Decimal(0).scaleb(-places)])
    return st.one_of(made, zeros)


def probabilities() -> st.SearchStrategy[Decimal]:
    """Probabilities in [0, 1] with 0 to 4 decimals (``n / 10**k``, ``0 <= n <= 10**k``)."""
    return st.integers(0, 4).flatmap(lambda k: st.integers(0, 10**k).map(lambda n: Decimal(n).scaleb(-k)))


def money() -> st.SearchStrategy[tuple[Decimal, str]]:
    """An amount with at most its currency's minor-unit digits, and the currency."""
    return st.sampled_from(sorted(DIGITS)).flatmap(lambda c: st.tuples(decimals(DIGITS[c]), st.just(c)))


ALL_DAYS = st.dates()
ALL_IDS = st.uuids()


@st.composite
def deals(
    draw: st.DrawFn, days: st.SearchStrategy[date] = ALL_DAYS, ids: st.SearchStrategy[UUID] = ALL_IDS
) -> Deal:
    value, currency = draw(money())
    discount, discount_currency = draw(st.one_of(st.just((None, None)), money()))
    return Deal(
        id=draw(ids),
        closes_on=draw(days),
        won_on=draw(st.none() | days),
        value=value,
        currency=currency,
        discount=discount,
        discount_currency=discount_currency,
        probability=draw(probabilities()),
        weight=draw(st.none() | decimals(2)),
    )


def _same_fields(decoded: Any, deal: Deal) -> None:
    """Equal field by field, of the same types; decoded decimals have exactly the stored places."""
    assert decoded == deal
    for field in attrs.fields(Deal):
        assert type(getattr(decoded, field.name)) is type(getattr(deal, field.name)), field.name
    assert decoded.value.as_tuple().exponent == -DIGITS[deal.currency]
    if deal.discount is not None:
        assert deal.discount_currency is not None
        assert decoded.discount.as_tuple().exponent == -DIGITS[deal.discount_currency]
    assert decoded.probability.as_tuple().exponent == -4
    if deal.weight is not None:
        assert decoded.weight.as_tuple().exponent == -2
        assert hash(decoded.weight) == hash(deal.weight)


# -- worked by hand -----------------------------------------------------------------

HAND = Deal(
    id=UUID(int=0xABC),
    closes_on=date(2025, 3, 9),
    won_on=None,
    value=Decimal("1234.5"),  # 1234.5 EUR = 123450 cents (1234.5 x 10^2)
    currency="EUR",
    discount=Decimal("1.234"),  # 1.234 KWD = 1234 fils (1.234 x 10^3)
    discount_currency="KWD",
    probability=Decimal("0.3725"),  # 0.3725 x 10^4 = 3725
    weight=Decimal("12.5"),  # 12.5 x 10^2 = 1250
)


def test_a_deal_worked_by_hand() -> None:
    row = {
        "id": HAND.id,
        "closes_on": date(2025, 3, 9),
        "won_on": None,
        "value_minor": 123450,
        "currency": "EUR",
        "discount_minor": 1234,
        "discount_currency": "KWD",
        "probability": 3725,
        "weight_cents": 1250,
    }
    for codec in (TRUSTED, CONSTRUCTING, DECLARED):
        assert codec.row(HAND) == row
        assert codec.params(HAND, "sqlite") == (
            f"{0xABC:032x}",
            "2025-03-09",
            None,
            123450,
            "EUR",
            1234,
            "KWD",
            3725,
            1250,
        )
        assert codec.params(HAND, "postgresql") == tuple(row.values())
        decoded = codec.entity(row)
        # 123450 cents = 1234.50 EUR, 3725 = 0.3725, 1250 = 12.50: the stored places, not the written ones
        assert (str(decoded.value), str(decoded.probability), str(decoded.weight)) == (
            "1234.50",
            "0.3725",
            "12.50",
        )
        assert decoded == HAND
    unknown = attrs.evolve(HAND, won_on=date(5, 1, 2), discount=None, discount_currency=None, weight=None)
    assert TRUSTED.params(unknown, "sqlite")[1:3] == (
        "2025-03-09",
        "0005-01-02",
    )  # the year padded to 4 digits
    assert TRUSTED.params(unknown, "sqlite")[5:] == (None, None, 3725, None)


# -- entity -> row / parameters ------------------------------------------------------


@settings(max_examples=300)
@given(deals())
def test_the_row_is_worked_out_exactly(deal: Deal) -> None:
    for codec in (TRUSTED, CONSTRUCTING, DECLARED):
        row = codec.row(deal)
        assert typed(row.values()) == typed(expected_row(deal)[name] for name in row)
        assert set(row) == set(DEALS.c.keys())


@settings(max_examples=200)
@given(deals(), st.sampled_from(sorted(DIALECTS)))
def test_driver_parameters_are_what_sqlalchemy_binds(deal: Deal, dialect_name: str) -> None:
    dialect = DIALECTS[dialect_name]
    expected = sqlalchemy_params(DEALS, expected_row(deal), dialect)
    for codec in (TRUSTED, CONSTRUCTING, DECLARED):
        assert typed(codec.params(deal, dialect)) == typed(expected)
        encoder = codec.encoder(dialect)
        by_name = dict(zip(encoder.columns, encoder.encode(deal), strict=True))
        assert sorted(encoder.columns) == sorted(DEALS.c.keys())
        assert typed(by_name[c.name] for c in DEALS.columns) == typed(expected)


@settings(max_examples=100)
@given(deals(), st.sampled_from(list(DialectFamily)))
def test_a_family_stands_for_its_standard_driver(deal: Deal, family: DialectFamily) -> None:
    standard = {
        DialectFamily.SQLITE: "sqlite",
        DialectFamily.POSTGRESQL: "postgresql-psycopg",
        DialectFamily.MYSQL: "mysql-pymysql",
    }
    assert typed(TRUSTED.params(deal, family)) == typed(TRUSTED.params(deal, DIALECTS[standard[family]]))


@settings(max_examples=200)
@given(deals(), st.sampled_from(sorted(DIALECTS)))
def test_a_parameter_is_what_sqlalchemy_binds(deal: Deal, dialect_name: str) -> None:
    dialect = DIALECTS[dialect_name]
    row = expected_row(deal)
    sent = dict(zip(DEALS.c.keys(), sqlalchemy_params(DEALS, row, dialect), strict=True))
    # a scaled column's parameter takes the field's Decimal; the others the row's value
    given_values = {**row, "probability": deal.probability, "weight_cents": deal.weight}
    for name, value in given_values.items():
        convert = TRUSTED.parameter(name, dialect)
        assert typed([convert(value)]) == typed([sent[name]]), name
        assert convert(None) is None, name


@settings(max_examples=50)
@given(st.dates(), st.datetimes())
def test_a_datetime_given_for_a_date_is_sent_as_sqlalchemy_sends_it(day: date, moment: datetime) -> None:
    # the entity's validator refuses datetimes; the codec only has to agree with SQLAlchemy
    deal = attrs.evolve(HAND, closes_on=moment, won_on=day)
    for dialect in DIALECTS.values():
        expected = sqlalchemy_params(DEALS, expected_row(deal), dialect)
        assert typed(TRUSTED.params(deal, dialect)) == typed(expected)


# -- row -> entity -----------------------------------------------------------------


@settings(max_examples=300)
@given(deals())
def test_a_deal_survives_its_row(deal: Deal) -> None:
    for codec in (TRUSTED, CONSTRUCTING, DECLARED):
        _same_fields(codec.entity(codec.row(deal)), deal)


@settings(max_examples=200)
@given(deals(), st.sampled_from(list(DialectFamily)), st.sampled_from(sorted(CODECS)))
def test_parameters_as_a_driver_returns_them_decode_to_the_deal(
    deal: Deal, family: DialectFamily, codec_name: str
) -> None:
    """What the codec sends a driver is what the driver returns for these column types."""
    codec = CODECS[codec_name]
    _same_fields(codec.reader(family)(codec.params(deal, family)), deal)


@pytest.fixture(scope="module")
def sqlite_deals() -> Iterator[sa.Engine]:
    engine = sa.create_engine("sqlite://", poolclass=sa.StaticPool)
    DEALS.create(engine)
    yield engine
    engine.dispose()


def _driver_round_trip(engine: sa.Engine, deal: Deal, mark: str) -> None:
    """Write ``deal`` through the driver and through SQLAlchemy; read each back both ways."""
    dialect = engine.dialect
    columns = DEALS.c.keys()
    select = f"SELECT {', '.join(columns)} FROM {DEALS.name} WHERE id = {mark}"
    backwards = f"SELECT 'x', {', '.join(reversed(columns))} FROM {DEALS.name} WHERE id = {mark}"
    positions = [len(columns) - i for i in range(len(columns))]  # column i is at 1 + (n - 1 - i)
    for write_with_driver in (True, False):
        with engine.connect() as connection:
            if write_with_driver:
                encoder = TRUSTED.encoder(dialect)
                cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
                cursor.execute(encoder.insert_sql(mark), encoder.encode(deal))
            else:
                connection.execute(DEALS.insert(), TRUSTED.row(deal))
            through_sqlalchemy = (
                connection.execute(sa.select(DEALS).where(DEALS.c.id == deal.id)).mappings().one()
            )
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            key = (TRUSTED.parameter("id", dialect)(deal.id),)
            cursor.execute(select, key)
            (stored,) = cursor.fetchall()
            cursor.execute(backwards, key)
            (reversed_row,) = cursor.fetchall()
            connection.rollback()
        for codec in (TRUSTED, CONSTRUCTING, DECLARED):
            _same_fields(codec.entity(through_sqlalchemy), deal)  # type: ignore[arg-type]
            _same_fields(codec.reader(dialect)(stored), deal)
            _same_fields(codec.reader(dialect, positions=positions)(reversed_row), deal)


@settings(max_examples=100)
@given(deals())
def test_a_deal_round_trips_through_sqlite(sqlite_deals: sa.Engine, deal: Deal) -> None:
    _driver_round_trip(sqlite_deals, deal, "?")
    with sqlite_deals.connect() as connection:  # what SQLite holds: SQLAlchemy's date text
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        encoder = TRUSTED.encoder(DialectFamily.SQLITE)
        driver.execute(encoder.insert_sql("?"), encoder.encode(deal))
        stored = driver.execute(f"SELECT closes_on, typeof(closes_on) FROM {DEALS.name}").fetchone()
        driver.rollback()
    assert stored == (
        f"{deal.closes_on.year:04d}-{deal.closes_on.month:02d}-{deal.closes_on.day:02d}",
        "text",
    )


@pytest.fixture(scope="module", params=["postgres", "mysql"])
def server_deals(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    engine = sa.create_engine(server_url(str(request.param)))
    DEALS.drop(engine, checkfirst=True)
    DEALS.create(engine)
    yield engine
    DEALS.drop(engine)
    engine.dispose()


SERVER_DAYS = st.dates(min_value=date(1000, 1, 1), max_value=date(9998, 12, 31))
"""Dates every server stores (MariaDB promises its DATE from year 1000)."""
SERVER_IDS = st.uuids(version=4)
"""Ids every server stores (MariaDB's UUID type refuses some variants; relcore's ids are version 7)."""


@settings(max_examples=40)
@given(deals(SERVER_DAYS, SERVER_IDS))
def test_a_deal_round_trips_through_a_server(server_deals: sa.Engine, deal: Deal) -> None:
    _driver_round_trip(server_deals, deal, "%s")


# -- declarations ----------------------------------------------------------------


@settings(max_examples=50)
@given(deals())
def test_a_declaration_in_info_is_the_declaration_given_apart(deal: Deal) -> None:
    assert TRUSTED.columns == DECLARED.columns == CONSTRUCTING.columns
    for dialect in DIALECTS.values():
        assert typed(TRUSTED.params(deal, dialect)) == typed(DECLARED.params(deal, dialect))


def test_a_declaration_given_apart_wins_over_info() -> None:
    codec = RowCodec(DEALS, Deal, declared={"probability": Scaled("probability", 2)})
    deal = attrs.evolve(HAND, probability=Decimal("0.37"))
    assert codec.row(deal)["probability"] == 37  # 0.37 x 10^2, not 0.37 x 10^4
    assert TRUSTED.row(deal)["probability"] == 3700  # 0.37 x 10^4
    assert str(codec.entity(codec.row(deal)).probability) == "0.37"


def _encode(deal: Deal, target: str) -> object:
    return TRUSTED.row(deal) if target == "row" else TRUSTED.params(deal, target)


@pytest.mark.parametrize(
    "value",
    [Decimal("0.37251"), Decimal("1E-5"), Decimal("0.00001"), Decimal("-0.12345")],
)
def test_an_inexact_scaled_value_is_refused_naming_its_column(value: Decimal) -> None:
    deal = attrs.evolve(HAND, probability=value)
    for target in ("row", "sqlite", "postgresql", "mysql"):
        with pytest.raises(ValidationError) as raised:
            _encode(deal, target)
        assert raised.value.paths == ("probability",)
        assert "column probability" in str(raised.value)
        assert str(value) not in str(raised.value)
    with pytest.raises(ValueError, match="more than 4 decimals, the scale of column probability"):
        TRUSTED.parameter("probability", "sqlite")(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("NaN"), "finite Decimal"),
        (Decimal("-Infinity"), "finite Decimal"),
        (Decimal("1E+999999"), "too large for column weight_cents"),
        (Decimal(2**63) / 100, "too large for column weight_cents"),  # 2^63 cents: one past BIGINT
        (0.5, "holds a Decimal, got float"),
        (True, "holds a Decimal, got bool"),
    ],
)
def test_a_scaled_value_that_is_no_storable_decimal_is_refused(value: Any, message: str) -> None:
    convert = TRUSTED.parameter("weight_cents", "sqlite")
    with pytest.raises(ValidationError, match=message) as raised:
        convert(value)
    assert raised.value.paths == ("weight",)


@attrs.frozen
class Measure:
    id: int
    size: Decimal | None


def _measures(places: int) -> RowCodec[Measure]:
    table = sa.Table(
        "measures",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("size", sa.BigInteger, info={"relcore": Scaled("size", places)}),
    )
    return RowCodec(table, Measure, trusted=True)


MEASURES = {places: _measures(places) for places in range(7)}


@settings(max_examples=300)
@given(st.integers(0, 6).flatmap(lambda places: st.tuples(st.just(places), st.none() | decimals(places))))
def test_a_scaled_value_is_stored_exactly_and_read_with_its_places(case: tuple[int, Decimal | None]) -> None:
    places, size = case
    codec = MEASURES[places]
    stored = codec.params(Measure(1, size), "sqlite")[1]
    assert stored == (None if size is None else _exact(size, places))
    read = codec.reader("sqlite")((1, stored)).size
    assert read == size
    if read is not None:
        assert type(read) is Decimal
        assert read.as_tuple().exponent == -places
        assert hash(read) == hash(size)


def test_the_largest_scaled_values_are_stored() -> None:
    convert = TRUSTED.parameter("weight_cents", "sqlite")
    assert convert(Decimal(2**63 - 1) / 100) == 2**63 - 1  # (2^63 - 1) / 100 x 10^2
    assert convert(-Decimal(2**63 - 1) / 100) == -(2**63 - 1)
    assert convert(7) == 700  # an int is a Decimal without decimals


def test_a_not_null_money_column_still_refuses_none() -> None:
    deal = attrs.evolve(HAND)
    object.__setattr__(deal, "value", None)  # past the validator: the codec is the last guard
    with pytest.raises(ValidationError):
        TRUSTED.row(deal)
    nullable = attrs.evolve(HAND, discount=None, discount_currency="KWD")
    assert TRUSTED.row(nullable)["discount_minor"] is None  # NULL whatever the currency


VALUE = {"relcore": MinorUnits("value", "currency")}
OWN_FORMAT = sqlite_types.DATE(storage_format="%(day)02d/%(month)02d/%(year)04d")  # type: ignore[no-untyped-call]
P = {"relcore": Scaled("probability", 4)}


@pytest.mark.parametrize(
    ("column", "declared", "message"),
    [
        (
            sa.Column("value_minor", sa.String(9), nullable=False, info=VALUE),
            None,
            "must be an integer column",
        ),
        (sa.Column("value_minor", sa.BigInteger, info=VALUE), None, "field value cannot be None"),
        (
            sa.Column("probability", sa.Numeric(6, 4), nullable=False, info=P),
            None,
            "must be an integer column",
        ),
        (sa.Column("probability", sa.Integer, info=P), None, "field probability cannot be None"),
        (sa.Column("probability", sa.Integer, info={"relcore": 4}), None, "declared with a int"),
        (sa.Column("probability", sa.Integer, nullable=False), {"probability": 4}, "declared with a int"),
        (
            sa.Column("probability", sa.Integer, nullable=False),
            {"probability": Scaled("chance", 4)},
            "declares field 'chance'",
        ),
        (
            sa.Column("closes_on", OWN_FORMAT),
            None,
            "its own date format",
        ),
    ],
)
def test_a_declaration_that_does_not_fit_its_column_is_refused(
    column: sa.Column[Any], declared: dict[str, Any] | None, message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        RowCodec(_deals("deals", with_info=True, replaced=column), Deal, declared=declared)


def test_scaled_places_are_a_count_of_decimals() -> None:
    assert Scaled("p", 0).places == 0
    with pytest.raises(ValueError, match="must not be negative"):
        Scaled("p", -1)
    with pytest.raises(TypeError, match="must be an int"):
        Scaled("p", True)
    with pytest.raises(TypeError, match="must be an int"):
        Scaled("p", 2.0)  # type: ignore[arg-type]
