"""One mapping between an entity class and its table, derived from both.

A `RowCodec` pairs the columns of an ``sa.Table`` with the fields of an attrs
class by name, and works out from the column types and the field annotations
how each value is stored:

* a ``Uuid`` column holds a `uuid.UUID` (sent as 32 hex digits where the
  database has no UUID type: SQLite, MySQL);
* a `UTCDateTime` column holds an aware datetime, stored as naive UTC (text
  on SQLite);
* a ``Date`` column holds a `datetime.date` (``YYYY-MM-DD`` text on SQLite,
  a date for psycopg and PyMySQL);
* a ``JSON`` column holds a JSON value (text on SQLite and MySQL / MariaDB,
  psycopg's ``Json`` wrapper on PostgreSQL); when the field's annotation
  names attrs classes (a pipeline's ``tuple[Stage, ...]``), their JSON-ready
  form from [relcore.serialization][] is stored, and the entity's
  constructor rebuilds them from it (so such a codec is never ``trusted``);
* a text column whose field is annotated with an `enum.Enum` holds the
  member's value;
* any other text, integer or floating-point column holds the field's value.

What cannot be derived is declared, and nothing else:

* a column whose attribute has another name: the attribute's name;
* a money column holding `MinorUnits`: an integer count of the minor units
  of the currency held by another field (NULL for ``None`` where the column
  is nullable, which its amount field must then allow);
* a `Scaled` column: an integer holding a `decimal.Decimal` times a power of
  ten, exactly (NULL for ``None`` likewise).

A column carries its own declaration in ``info["relcore"]``
(``sa.Column("amount_minor", sa.BigInteger, info={"relcore": MinorUnits("amount",
"currency")})``), so that a codec derived from the table alone, as the generic
SQL repository's is, knows it; the ``declared`` argument of `RowCodec` gives
them by column name instead, and wins over ``info``. A column or field that
matches nothing, or a column type the codec does not know, is refused when
the codec is built, so a schema change cannot slip past it.

From that one description the codec gives the row SQLAlchemy binds (`row`),
the parameters a DB-API driver receives for a dialect, exactly what
SQLAlchemy's bind processors would send (`params`, `encoder`, `parameter`),
the entity of a row read back through SQLAlchemy (`entity`), and the entity of
a row as the driver returns it, each column converted once (`reader`).

Speed: the conversions are composed from C-level callables, not generated as
source code: one `operator.attrgetter` fetches every value (dotted paths such
as ``"channel._value_"`` or ``"id.int"`` reach into values that are never
``None``), and `map` with `operator.call` applies each column's conversion
(C functions where possible, such as ``"%032x".__mod__`` for a UUID's hex
digits). A trusted entity is rebuilt by setting its slots directly.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from itertools import repeat
from operator import attrgetter, call, itemgetter
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID, SafeUUID

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from relcore._kernel.checks import fail
from relcore._kernel.money import MAX_MINOR_UNITS, from_minor_units, to_minor_units
from relcore.storage.sql.dialects import DialectFamily, dialect_family
from relcore.storage.sql.types import UTCDateTime

__all__ = ["Encoder", "MinorUnits", "RowCodec", "Scaled"]

E = TypeVar("E")
E_co = TypeVar("E_co", covariant=True)

Values = tuple[Any, ...]


class _Decode(Protocol[E_co]):
    def __call__(self, row: Mapping[str, Any], /, **apart: Any) -> E_co: ...


@attrs.frozen
class MinorUnits:
    """Declares a money column: an amount kept as an integer count of its currency's minor units.

    The column holds ``to_minor_units(entity.<amount>, entity.<currency>)``;
    reading it back gives ``from_minor_units(row[column], row[<currency column>])``
    (exact, in the currency's minor units). The integer column may be
    nullable if the amount field's annotation allows ``None``: ``None`` is
    stored as NULL (the currency is then not needed, and may be ``None``).

    Attributes:
        amount: The field holding the `decimal.Decimal` amount.
        currency: The field holding the ISO 4217 code (itself stored in a
            column of the same name).
    """

    amount: str
    currency: str


def _check_places(instance: Scaled, attribute: attrs.Attribute[int], places: int) -> None:
    if isinstance(places, bool) or not isinstance(places, int):
        raise TypeError(f"Scaled.places must be an int, got {type(places).__name__}")
    if places < 0:
        raise ValueError(f"Scaled.places must not be negative, got {places}")


@attrs.frozen
class Scaled:
    """Declares a scaled-decimal column: an integer holding a `decimal.Decimal` field times ``10**places``.

    The column holds the field's value times ``10**places``, exactly: with
    ``places=4`` a probability of ``Decimal("0.3725")`` is stored as 3725
    (0.3725 x 10^4). A value with more than ``places`` decimals, or too large
    for a signed 64-bit integer, is refused with a
    [ValidationError][relcore.errors.ValidationError] naming the field and
    the column: the entity validates its values first, this is the last
    guard. ``None`` is stored as NULL where the column is nullable (its field
    must then allow ``None``).

    Reading gives ``Decimal(stored).scaleb(-places)``: a value with exactly
    ``places`` decimals (exponent ``-places``), equal to the value written
    and with the same hash, though not always with its exponent:
    ``Decimal("0.5")`` is stored as 5000 and reads back as
    ``Decimal("0.5000")``, ``Decimal("1E+2")`` as ``Decimal("100.0000")``.

    Attributes:
        attribute: The field holding the `decimal.Decimal` value.
        places: The decimals kept (0 or more).
    """

    attribute: str
    places: int = attrs.field(validator=_check_places)


class _Kind(enum.Enum):
    PLAIN = "plain"
    ENUM = "enum"
    UUID = "uuid"
    DATETIME = "datetime"
    JSON = "json"
    DATE = "date"
    MONEY = "money"
    SCALED = "scaled"


@attrs.frozen
class _Column:
    name: str
    kind: _Kind
    attribute: str
    nullable: bool
    members: Mapping[Any, Any] | None = None  # value -> member (and None -> None when nullable)
    money: MinorUnits | None = None
    places: int = 0  # a scaled column's decimals
    open: bool = False  # an open vocabulary: the field holds a member or a declared token (a str)
    structured: bool = False  # a JSON column whose field holds attrs values (a pipeline's stages)


# -- conversions of one value -------------------------------------------------

_ROW = "row"
"""The target of `RowCodec.row`: values as SQLAlchemy binds them."""


def _plain(column_type: sa.types.TypeEngine[Any]) -> bool:
    """Whether SQLAlchemy binds this type's (already valid) values unchanged on every family."""
    if isinstance(column_type, sa.Float):
        return not column_type.asdecimal  # floats: SQLite's processor is float(), the identity on floats
    if isinstance(column_type, sa.Boolean):
        # SQLAlchemy sends int(value) where the database has no boolean type; every driver stores
        # a bool (an int) as the same 0 / 1
        return True
    return isinstance(column_type, sa.String | sa.Integer) and not isinstance(column_type, sa.Enum)


def _utc(value: datetime) -> datetime:
    """``value`` in UTC, as `UTCDateTime` converts it."""
    if value.tzinfo is None:
        raise ValueError("relcore stores aware datetimes only")
    return value.astimezone(UTC)


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not UTC:
        value = _utc(value)
    return value.replace(tzinfo=None)


_SQLITE_DATETIME: Callable[[tuple[int, ...]], str] = "%04d-%02d-%02d %02d:%02d:%02d.%06d".__mod__
"""SQLAlchemy's SQLite storage format for datetimes (cheaper than ``isoformat``)."""
_DATETIME_PARTS = attrgetter("year", "month", "day", "hour", "minute", "second", "microsecond")


def _sqlite_datetime(value: datetime) -> str:
    """SQLAlchemy's SQLite text for a datetime: ``YYYY-MM-DD HH:MM:SS.ffffff`` of its UTC time."""
    if value.tzinfo is not UTC:
        value = _utc(value)
    return _SQLITE_DATETIME(_DATETIME_PARTS(value))


def _or_none(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert_or_none(value: Any) -> Any:
        return None if value is None else convert(value)

    return convert_or_none


_HEX_OF_INT: Callable[[int], str] = "%032x".__mod__
"""``UUID.hex`` of ``UUID.int``, in C (the ``hex`` property runs Python code)."""


def _hex(value: UUID | None) -> str | None:
    return None if value is None else _HEX_OF_INT(value.int)


def _enum_value(member: enum.Enum | None) -> Any:
    return None if member is None else member._value_


def _token_value(value: enum.Enum | str | None) -> Any:
    """The stored text of an open-vocabulary value: a member's value, or the declared token itself."""
    return value._value_ if isinstance(value, enum.Enum) else value


def _json_text(serialize: Callable[[Any], str]) -> Callable[[Any], str | None]:
    if serialize is not json.dumps:

        def custom(value: Any) -> str | None:
            return None if value is None else serialize(value)

        return custom
    encode = json.JSONEncoder().encode  # what json.dumps(value) runs with its default arguments

    def text(value: Any) -> str | None:
        if value is None:
            return None
        if not value and value.__class__ is dict:
            return "{}"
        return encode(value)

    return text


def _unstructure() -> Callable[[Any], Any]:
    """The JSON-ready form of attrs values (serialization is imported when first needed)."""
    from relcore.serialization import converter

    return converter.unstructure


def _holds_attrs(hint: Any) -> bool:
    """Whether a field annotation names an attrs class, possibly inside a tuple, list or union."""
    if isinstance(hint, type) and attrs.has(hint):
        return True
    return any(_holds_attrs(argument) for argument in typing.get_args(hint))


def _psycopg_json() -> Callable[[Any], Any]:
    from psycopg.types.json import Json  # psycopg is an optional dependency: imported when needed

    def wrap(value: Any) -> Any:
        return None if value is None else Json(value)

    return wrap


def _uuid_maker() -> tuple[Callable[[str], UUID], Callable[[str | None], UUID | None]]:
    """The `uuid.UUID` of its 32 hex digits (or its hyphenated text), set up without ``UUID.__init__``.

    ``UUID`` keeps its value in two slots, ``int`` and ``is_safe``; filling
    them directly is twice as fast as the constructor's checks, which a stored
    id (written by relcore) does not need. Where the slots are not there, the
    constructor is used.
    """
    slots = UUID.__dict__
    if not all(isinstance(slots.get(n), types.MemberDescriptorType) for n in ("int", "is_safe")):
        return UUID, _or_none(UUID)  # pragma: no cover - CPython's uuid module has had these slots since 3.8
    set_int, set_safe = slots["int"].__set__, slots["is_safe"].__set__
    unknown, new = SafeUUID.unknown, object.__new__

    def uuid_of_text(text: str) -> UUID:
        value = new(UUID)
        set_int(value, int(text if len(text) == 32 else text.replace("-", ""), 16))
        set_safe(value, unknown)
        return value

    def uuid_or_none(text: str | None) -> UUID | None:  # one call per value, not two
        if text is None:
            return None
        value = new(UUID)
        set_int(value, int(text if len(text) == 32 else text.replace("-", ""), 16))
        set_safe(value, unknown)
        return value

    return uuid_of_text, uuid_or_none


_UUID_OF_TEXT, _UUID_OR_NONE = _uuid_maker()

_ISO_UTC: Callable[[str], datetime] = datetime.fromisoformat


def _sqlite_utc(text: str) -> datetime:
    """The aware UTC datetime of SQLAlchemy's SQLite text (parsed in C, with the zone appended)."""
    return _ISO_UTC(text + "+00:00")


def _aware_utc(value: datetime) -> datetime:
    """A naive UTC datetime read from a server, marked as UTC."""
    return value.replace(tzinfo=UTC)


_SQLITE_DATE: Callable[[date], str] = date.isoformat
"""SQLAlchemy's SQLite text of a date, ``%04d-%02d-%02d`` of its year, month and day, in C.

``date.isoformat`` pads the year to four digits as that format does, and,
called unbound, gives the date part of a `datetime` as SQLAlchemy does.
"""
_SQLITE_DATE_FORMAT = "%(year)04d-%(month)02d-%(day)02d"
"""SQLAlchemy's default storage format of SQLite dates, the only one the codec writes."""
_DATE_OF_TEXT: Callable[[str], date] = date.fromisoformat
"""The date of SQLite's ``YYYY-MM-DD`` text, as SQLAlchemy's SQLite ``Date`` parses it."""

_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
"""Scaling by a power of ten is exact in this context; the ambient one may round."""
_MAX_DIGITS = len(str(MAX_MINOR_UNITS))


def _scaler(column: _Column) -> Callable[[Any], int]:
    """The stored integer of a scaled column's value: the value (a Decimal or an int) times ``10**places``."""
    field, name, places = column.attribute, column.name, column.places

    def scaled(value: Any) -> int:
        if not isinstance(value, Decimal):
            if isinstance(value, bool) or not isinstance(value, int):
                raise fail(field, f"column {name} holds a Decimal, got {type(value).__name__}")
            value = Decimal(value)
        if not value.is_finite():
            raise fail(field, f"column {name} holds a finite Decimal")
        # refuse huge magnitudes before scaling: 1E+999999 would take long to turn into an int
        if value and value.adjusted() + places >= _MAX_DIGITS:
            raise fail(field, f"too large for column {name}")
        units = value.scaleb(places, context=_EXACT)
        if units != units.to_integral_value(context=_EXACT):
            raise fail(field, f"has more than {places} decimals, the scale of column {name}")
        stored = int(units)
        if abs(stored) > MAX_MINOR_UNITS:
            raise fail(field, f"too large for column {name}")
        return stored

    return scaled


def _unscaler(places: int) -> Callable[[int], Decimal]:
    """The value of a scaled column's stored integer: ``Decimal(stored).scaleb(-places)``, exactly."""
    exponent = -places
    context = _EXACT

    def value(stored: int) -> Decimal:
        return Decimal(stored).scaleb(exponent, context)

    return value


@attrs.frozen
class _Step:
    """How one column's value is fetched and converted for one target.

    Exactly one of: ``path`` (a dotted attribute path, fetched in C), ``convert``
    (applied to the value at the dotted path ``attribute``), ``of_entity``
    (applied to the entity).
    """

    column: str
    path: str | None = None
    attribute: str | None = None
    convert: Callable[[Any], Any] | None = None
    of_entity: Callable[[Any], Any] | None = None


@attrs.frozen
class _Target:
    """What receives the values: SQLAlchemy (``family`` ``"row"``) or a family's driver, and how it binds."""

    family: str
    native_uuid: bool
    serialize: Callable[[Any], str]


def _step(column: _Column, to: _Target) -> _Step:
    name, attribute, nullable = column.name, column.attribute, column.nullable
    kind, target = column.kind, to.family
    if kind is _Kind.MONEY:
        return _Step(name, of_entity=_minor_units(column))
    if kind is _Kind.SCALED:  # an integer column: SQLAlchemy and every driver take the integer
        scaled = _scaler(column)
        return _Step(name, attribute=attribute, convert=_or_none(scaled) if nullable else scaled)
    if kind is _Kind.PLAIN or (kind is _Kind.UUID and (target == _ROW or to.native_uuid)):
        return _Step(name, path=attribute)
    if kind is _Kind.DATE:  # SQLAlchemy, psycopg and PyMySQL take dates; SQLite stores text
        if target != DialectFamily.SQLITE:
            return _Step(name, path=attribute)
        return _Step(name, attribute=attribute, convert=_or_none(_SQLITE_DATE) if nullable else _SQLITE_DATE)
    if kind is _Kind.ENUM:
        if column.open:
            return _Step(name, attribute=attribute, convert=_token_value)
        # _value_ is the member's value (a documented Enum attribute), read without a Python call
        if nullable:
            return _Step(name, attribute=attribute, convert=_enum_value)
        return _Step(name, path=f"{attribute}._value_")
    if kind is _Kind.UUID:
        if nullable:
            return _Step(name, attribute=attribute, convert=_hex)
        return _Step(name, attribute=f"{attribute}.int", convert=_HEX_OF_INT)
    if kind is _Kind.JSON and column.structured:
        unstructure = _unstructure()
        if target == _ROW:
            return _Step(name, attribute=attribute, convert=unstructure)
        wrap = _psycopg_json() if target == DialectFamily.POSTGRESQL else _json_text(to.serialize)
        return _Step(name, attribute=attribute, convert=lambda value: wrap(unstructure(value)))
    if target == _ROW:  # datetimes and JSON are bound as they are; SQLAlchemy's types convert them
        return _Step(name, path=attribute)
    if kind is _Kind.DATETIME:
        convert = _sqlite_datetime if target == DialectFamily.SQLITE else _naive_utc
        return _Step(name, attribute=attribute, convert=_or_none(convert) if nullable else convert)
    assert kind is _Kind.JSON
    wrap = _psycopg_json() if target == DialectFamily.POSTGRESQL else _json_text(to.serialize)
    return _Step(name, attribute=attribute, convert=wrap)


def _minor_units(column: _Column) -> Callable[[Any], int | None]:
    """The stored integer of a money column, from the whole entity (the amount and its currency)."""
    assert column.money is not None
    amount, currency = attrgetter(column.money.amount), attrgetter(column.money.currency)
    if not column.nullable:

        def minor_units(entity: Any) -> int:
            return to_minor_units(amount(entity), currency(entity))

        return minor_units

    def minor_units_or_none(entity: Any) -> int | None:
        value = amount(entity)
        return None if value is None else to_minor_units(value, currency(entity))

    return minor_units_or_none


_apply: Callable[..., Any] = call
"""``operator.call``: ``map(_apply, functions, values)`` applies each function to its value, driven from C."""


def _tuple_getter(getter: Callable[..., Callable[[Any], Any]], names: list[Any]) -> Callable[[Any], Values]:
    """``attrgetter``/``itemgetter`` (``getter``) of ``names``, always returning a tuple."""
    if not names:
        return lambda _: ()
    get = getter(*names)
    if len(names) == 1:
        return lambda source: (get(source),)
    return get


class Encoder(Generic[E]):
    """Turns an entity into the values of `columns`, in that order.

    `encode` is a plain function (call it directly in loops). The column
    order puts the values fetched without conversion first; it is the order
    of `insert_sql`.
    """

    def __init__(self, table: sa.Table, steps: list[_Step]) -> None:
        direct = [s for s in steps if s.path is not None]
        converted = [s for s in steps if s.convert is not None]
        whole = [s for s in steps if s.of_entity is not None]
        self.table = table
        self.columns: tuple[str, ...] = tuple(s.column for s in (*direct, *converted, *whole))
        """Column names, in the order of the encoded values."""
        self.encode: Callable[[E], Values] = _encoder(direct, converted, whole)
        """Return the entity's values, in the order of ``columns``."""

    def index(self, column: str) -> int:
        """Return the position of ``column`` in the encoded values."""
        return self.columns.index(column)

    def insert_sql(self, placeholder: str, suffix: str = "") -> str:
        """Return ``INSERT INTO <table> (<columns>) VALUES (<placeholders>) <suffix>`` in this order."""
        marks = ", ".join([placeholder] * len(self.columns))
        statement = f"INSERT INTO {self.table.name} ({', '.join(self.columns)}) VALUES ({marks})"
        return f"{statement} {suffix}" if suffix else statement


def _encoder(direct: list[_Step], converted: list[_Step], whole: list[_Step]) -> Callable[[Any], Values]:
    fetch = _tuple_getter(attrgetter, [s.path for s in direct if s.path is not None])
    if not converted and not whole:
        return fetch
    attributes = _tuple_getter(attrgetter, [s.attribute for s in converted if s.attribute is not None])
    converts = tuple(s.convert for s in converted if s.convert is not None)
    if not whole:

        def encode(entity: Any) -> Values:
            return fetch(entity) + tuple(map(_apply, converts, attributes(entity)))

        return encode
    of_entity = tuple(s.of_entity for s in whole if s.of_entity is not None)
    count = len(of_entity)

    def encode_all(entity: Any) -> Values:
        return (
            fetch(entity)
            + tuple(map(_apply, converts, attributes(entity)))
            + tuple(map(_apply, of_entity, repeat(entity, count)))
        )

    return encode_all


# -- the codec ----------------------------------------------------------------


class _Tokens(dict[Any, Any]):
    """Members by stored value; a value that is no member's (a declared token) is itself."""

    def __missing__(self, value: Any) -> Any:
        return value


def _lookup(column: _Column) -> Callable[[Any], Any]:
    """The member of a stored value; in an open vocabulary, a declared token stays text.

    Both are a dict's own ``__getitem__``, which runs in C for every member.
    """
    assert column.members is not None
    if column.open:
        return _Tokens(column.members).__getitem__
    return column.members.__getitem__


def _is_open(hint: Any) -> bool:
    """Whether a field is annotated ``SomeEnum | str`` (an open vocabulary)."""
    return str in typing.get_args(hint)


def _enum_of(hint: Any) -> type[enum.Enum] | None:
    """The enum class of a field annotated ``SomeEnum`` or ``SomeEnum | None``, if it is one."""
    candidates = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if typing.get_origin(hint) is typing.Union:
        candidates = typing.get_args(hint)
    enums = [c for c in candidates if isinstance(c, type) and issubclass(c, enum.Enum)]
    return enums[0] if len(enums) == 1 else None


def _slot_setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    """The function setting attribute ``name`` of a ``cls`` instance, past a frozen ``__setattr__``."""
    for klass in cls.__mro__:
        descriptor = klass.__dict__.get(name)
        if isinstance(descriptor, types.MemberDescriptorType):
            return descriptor.__set__
    set_attribute = object.__setattr__

    def setter(instance: Any, value: Any) -> None:
        set_attribute(instance, name, value)

    return setter


class RowCodec(Generic[E]):
    """The mapping between an attrs entity class and one table, derived from both.

    Args:
        table: The table.
        entity: The attrs class its rows hold.
        declared: The exceptions to "a column holds the field of its name, as
            its type says", by column name: ``{"column": "attribute"}`` for a
            column named otherwise than its field, ``{"column":
            MinorUnits(...)}`` for a money column, ``{"column": Scaled(...)}``
            for a scaled decimal. A column may carry the same in its own
            ``info={"relcore": ...}``; an entry here wins over it.
        trusted: Rebuild entities from rows without running the class's
            converters and validators (its rows were written by relcore, which
            validated them); otherwise through the constructor, so that a row
            edited behind relcore's back fails with a
            [ValidationError][relcore.errors.ValidationError] naming the field.
        apart: Fields stored in other tables (a customer's tags, a contact's
            points): no column holds them, and `entity` takes their values as
            keyword arguments. Not with ``trusted``.

    Raises:
        TypeError: If a column matches no field, a field no column (and is
            not ``apart``), a column has a type the codec does not know, or a
            declaration does not fit its column.
    """

    def __init__(
        self,
        table: sa.Table,
        entity: type[E],
        *,
        declared: Mapping[str, str | MinorUnits | Scaled] | None = None,
        trusted: bool = False,
        apart: Collection[str] = (),
    ) -> None:
        self.table = table
        self.entity_class = entity
        self.trusted = trusted
        self.apart = frozenset(apart)
        """The fields stored in other tables."""
        if self.apart and trusted:
            raise TypeError(f"{table.name} / {entity.__name__}: fields stored apart need the constructor")
        self.columns: tuple[_Column, ...] = tuple(
            _describe(table, entity, declared or {}, typing.get_type_hints(entity), self.apart)
        )
        if trusted and any(c.structured for c in self.columns):
            raise TypeError(f"{table.name} / {entity.__name__}: attrs values in JSON need the constructor")
        self._encoders: dict[_Target, Encoder[E]] = {}
        self.row_encoder: Encoder[E] = self._encoder(_Target(_ROW, True, json.dumps))
        """The encoder of the values of `row`."""
        self._row_names = self.row_encoder.columns
        self.entity: _Decode[E] = self._trusted_decoder() if trusted else self._constructing_decoder()
        """Return the entity of a row (a mapping of column names to the values SQLAlchemy reads).

        The values of fields stored ``apart`` are passed as keyword arguments.
        """

    # -- entity -> row / parameters --

    def row(self, entity: E) -> dict[str, Any]:
        """Return the row of ``entity`` for SQLAlchemy: column name -> value."""
        return dict(zip(self._row_names, self.row_encoder.encode(entity), strict=True))

    def encoder(
        self,
        target: Dialect | DialectFamily | str,
        *,
        json_serializer: Callable[[Any], str] | None = None,
    ) -> Encoder[E]:
        """Return the encoder of entities into the driver parameters of a dialect or dialect family.

        Args:
            target: A SQLAlchemy dialect, whose settings are followed (a UUID
                is sent as it is where the dialect has a native UUID type, as
                MariaDB's does; JSON is serialized with the engine's
                ``json_serializer`` if it has one), or a
                [DialectFamily][relcore.storage.sql.dialects.DialectFamily]
                (or its name), for its standard driver and settings:
                ``sqlite3``; psycopg 3; PyMySQL or mysqlclient on MySQL.
            json_serializer: Serializes JSON instead of `json.dumps` (for a
                family; a dialect's own serializer comes first).
        """
        return self._encoder(self._target(target, json_serializer))

    def _encoder(self, target: _Target) -> Encoder[E]:
        found = self._encoders.get(target)
        if found is None:
            found = self._encoders[target] = Encoder(self.table, [_step(c, target) for c in self.columns])
        return found

    def params(self, entity: E, target: Dialect | DialectFamily | str) -> tuple[Any, ...]:
        """Return the DB-API parameters of ``entity`` for a dialect or family, in table column order.

        Exactly the values SQLAlchemy's bind processors give for `row` on that
        dialect (or the family's standard driver and settings). Bulk code
        should take an `encoder` once instead (its order differs: see
        `Encoder`).
        """
        encoder = self.encoder(target)
        values = dict(zip(encoder.columns, encoder.encode(entity), strict=True))
        return tuple(values[c.name] for c in self.columns)

    def parameter(self, column: str, target: Dialect | DialectFamily | str) -> Callable[[Any], Any]:
        """Return the conversion of one value of ``column`` into what the driver of ``target`` receives.

        For bound parameters of hand-compiled statements (``WHERE customer_id =
        ?``): the value as `params` would send it in a row (a UUID as hex
        digits where the database has no UUID type, an aware datetime as naive
        UTC or SQLite text, a date as SQLite text...). A `Scaled` column's
        value is its field's `decimal.Decimal`, sent as the stored integer
        (refused if inexact at its places). A money column's value is the
        stored integer itself: its currency is not known here.
        """
        described = next((c for c in self.columns if c.name == column), None)
        if described is None:
            raise KeyError(column)
        target_ = self._target(target)
        if described.kind is _Kind.MONEY:
            return _identity
        if described.kind is _Kind.ENUM:
            return _token_value
        step = _step(attrs.evolve(described, nullable=True), target_)
        if step.convert is not None:
            return step.convert
        return _identity

    def reader(
        self, target: Dialect | DialectFamily | str, *, positions: Sequence[int] | None = None
    ) -> Callable[[Sequence[Any]], E]:
        """Return the decoder of rows as the driver of ``target`` returns them, each column converted once.

        Args:
            target: The dialect (or family, for its standard driver: ``sqlite3``,
                psycopg 3, PyMySQL) whose driver returned the rows.
            positions: Where each column of the table (in table order) is in a
                row; by default the row holds the table's columns in order.

        The conversions are the inverse of the driver parameters: 32 hex
        digits (or MariaDB's hyphenated UUID text) to a UUID, SQLite's
        datetime text or a server's naive datetime to an aware UTC datetime,
        JSON text to its value (PostgreSQL's driver parses JSON itself),
        SQLite's date text to a date (psycopg and PyMySQL return dates), a
        stored value to its enum member, minor units to the amount, a scaled
        integer to its `decimal.Decimal`. A trusted codec sets the entity's
        slots; otherwise the constructor runs.
        """
        target_ = self._target(target)
        deserialize = json.loads
        if isinstance(target, Dialect):
            deserialize = getattr(target, "_json_deserializer", None) or deserialize
        at = list(range(len(self.columns))) if positions is None else list(positions)
        if len(at) != len(self.columns):
            raise ValueError(f"{self.table.name}: {len(self.columns)} positions needed, got {len(at)}")
        where = {c.name: i for c, i in zip(self.columns, at, strict=True)}
        plain: list[tuple[_Column, None]] = []
        converted: list[tuple[_Column, Callable[[Any], Any]]] = []
        money: list[_Column] = []
        for column in self.columns:
            if column.kind is _Kind.MONEY:
                money.append(column)
                continue
            convert = _read_step(column, target_.family, self.trusted, deserialize)
            if convert is None:
                plain.append((column, None))
            else:
                converted.append((column, convert))
        read_plain = _tuple_getter(itemgetter, [where[c.name] for c, _ in plain])
        read_converted = _tuple_getter(itemgetter, [where[c.name] for c, _ in converted])
        converts = tuple(convert for _, convert in converted)
        amounts = [_amount_reader(c, self.columns, where.__getitem__) for c in money]
        names = [c.attribute for c, _ in plain] + [c.attribute for c, _ in converted]
        names += [c.money.amount for c in money if c.money is not None]
        return _assembler(
            self.entity_class, self.trusted, names, read_plain, read_converted, converts, amounts
        )

    @staticmethod
    def _target(
        target: Dialect | DialectFamily | str, json_serializer: Callable[[Any], str] | None = None
    ) -> _Target:
        """The family, UUID binding and JSON serializer of a dialect, or of a family's standard driver."""
        serialize = json_serializer or json.dumps
        if isinstance(target, Dialect):
            # an engine's json_serializer= is kept on its dialect, where SQLAlchemy's JSON type finds it
            serialize = getattr(target, "_json_serializer", None) or serialize
            return _Target(dialect_family(target).value, bool(target.supports_native_uuid), serialize)
        family = DialectFamily(target)
        return _Target(family.value, family is DialectFamily.POSTGRESQL, serialize)

    # -- row -> entity --

    def _row_steps(self) -> tuple[list[_Column], list[tuple[_Column, Callable[[Any], Any]]], list[_Column]]:
        """The columns of a SQLAlchemy row read as they are, those converted (and how), the money columns.

        SQLAlchemy's types already give UUIDs, datetimes, dates and JSON
        values; a trusted codec looks enum members up (the constructor
        converts them otherwise); scaled integers become decimals.
        """
        plain: list[_Column] = []
        converted: list[tuple[_Column, Callable[[Any], Any]]] = []
        money: list[_Column] = []
        for column in self.columns:
            if column.kind is _Kind.MONEY:
                money.append(column)
            elif column.kind is _Kind.SCALED:
                converted.append((column, _read_scaled(column)))
            elif column.kind is _Kind.ENUM and self.trusted:
                converted.append((column, _lookup(column)))
            else:
                plain.append(column)
        return plain, converted, money

    def _trusted_decoder(self) -> _Decode[E]:
        cls = self.entity_class
        plain, converted, money = self._row_steps()
        attributes = [c.attribute for c in plain] + [c.attribute for c, _ in converted]
        read_plain = _tuple_getter(itemgetter, [c.name for c in plain])
        read_converted = _tuple_getter(itemgetter, [c.name for c, _ in converted])
        converts = tuple(convert for _, convert in converted)
        amounts = [_amount_reader(c, self.columns, _identity) for c in money]
        attributes += [c.money.amount for c in money if c.money is not None]
        setters = tuple(_slot_setter(cls, name) for name in attributes)
        new = object.__new__

        def decode(row: Mapping[str, Any], /, **apart: Any) -> E:  # nothing is apart: trusted
            entity = new(cls)
            values = read_plain(row) + tuple(map(_apply, converts, read_converted(row)))
            if amounts:
                values += tuple(read(row) for read in amounts)
            deque(map(_apply, setters, repeat(entity), values), maxlen=0)
            return entity

        return decode

    def _constructing_decoder(self) -> _Decode[E]:
        cls = self.entity_class
        plain, converted, money = self._row_steps()
        names = tuple(c.attribute for c in plain)
        read = _tuple_getter(itemgetter, [c.name for c in plain])
        conversions = [(c.attribute, c.name, convert) for c, convert in converted]
        amounts = [
            (c.money.amount, _amount_reader(c, self.columns, _identity)) for c in money if c.money is not None
        ]

        def construct(row: Mapping[str, Any], /, **apart: Any) -> E:
            values = dict(zip(names, read(row), strict=True))
            for name, column, convert in conversions:
                values[name] = convert(row[column])
            for name, amount in amounts:
                values[name] = amount(row)
            return cls(**values, **apart)

        return construct


def _identity(value: Any) -> Any:
    return value


def _read_step(
    column: _Column, family: str, trusted: bool, deserialize: Callable[[str], Any]
) -> Callable[[Any], Any] | None:
    """How a driver's value of ``column`` becomes the field's value (``None``: unchanged)."""
    kind, nullable = column.kind, column.nullable
    convert: Callable[[Any], Any]
    if kind is _Kind.PLAIN:
        return None
    if kind is _Kind.ENUM:  # the constructor of an untrusted codec checks the stored value itself
        return _lookup(column) if trusted else None
    if kind is _Kind.UUID:
        if family == DialectFamily.POSTGRESQL:  # psycopg returns UUIDs
            return None
        return _UUID_OR_NONE if nullable else _UUID_OF_TEXT
    if kind is _Kind.DATETIME:
        convert = _sqlite_utc if family == DialectFamily.SQLITE else _aware_utc
        return _or_none(convert) if nullable else convert
    if kind is _Kind.DATE:
        if family != DialectFamily.SQLITE:  # psycopg and PyMySQL return dates
            return None
        return _or_none(_DATE_OF_TEXT) if nullable else _DATE_OF_TEXT
    if kind is _Kind.SCALED:
        return _read_scaled(column)
    assert kind is _Kind.JSON
    if family == DialectFamily.POSTGRESQL:  # psycopg parses json and jsonb
        return None
    convert = _json_value(deserialize)
    return _or_none(convert) if nullable else convert


def _json_value(deserialize: Callable[[str], Any]) -> Callable[[str], Any]:
    """``deserialize``, with the empty object (most payloads) answered without parsing."""

    def value(text: str) -> Any:
        return {} if text == "{}" else deserialize(text)

    return value


def _read_scaled(column: _Column) -> Callable[[Any], Any]:
    unscaled = _unscaler(column.places)
    return _or_none(unscaled) if column.nullable else unscaled


def _amount_reader(
    column: _Column, columns: tuple[_Column, ...], key: Callable[[str], Any]
) -> Callable[[Any], Decimal | None]:
    """The amount of a money column, read from a row at ``key(column name)`` (a name or a position)."""
    assert column.money is not None
    currency_column = next(c.name for c in columns if c.attribute == column.money.currency)
    units, currency = key(column.name), key(currency_column)
    if not column.nullable:

        def amount(row: Any) -> Decimal:
            return from_minor_units(row[units], row[currency])

        return amount

    def amount_or_none(row: Any) -> Decimal | None:
        stored = row[units]
        return None if stored is None else from_minor_units(stored, row[currency])

    return amount_or_none


def _assembler(
    cls: type[E],
    trusted: bool,
    names: list[str],
    read_plain: Callable[[Any], Values],
    read_converted: Callable[[Any], Values],
    converts: tuple[Callable[[Any], Any], ...],
    amounts: list[Callable[[Any], Decimal | None]],
) -> Callable[[Any], E]:
    """The function building an entity from a row: its field values are ``names``, in this order."""
    if not trusted:

        def construct(row: Any) -> E:
            values = read_plain(row) + tuple(map(_apply, converts, read_converted(row)))
            fields = dict(zip(names, values, strict=False))
            for name, amount in zip(names[len(values) :], amounts, strict=True):
                fields[name] = amount(row)
            return cls(**fields)

        return construct
    setters = tuple(_slot_setter(cls, name) for name in names)
    new = object.__new__

    def decode(row: Any) -> E:
        entity = new(cls)
        values = read_plain(row) + tuple(map(_apply, converts, read_converted(row)))
        if amounts:
            values += tuple([amount(row) for amount in amounts])
        deque(map(_apply, setters, repeat(entity), values), maxlen=0)
        return entity

    return decode


_INFO_KEY = "relcore"
"""The key of a column's declaration in its ``info``: ``sa.Column(..., info={"relcore": Scaled("p", 4)})``."""

_Declaration = str | MinorUnits | Scaled


def _declaration(what: str, column: sa.Column[Any], declared: Mapping[str, Any]) -> _Declaration:
    """What ``column`` holds: its entry in ``declared``, else its ``info`` declaration, else its name."""
    name = column.name
    found = declared[name] if name in declared else column.info.get(_INFO_KEY, name)
    if not isinstance(found, _Declaration):
        raise TypeError(
            f"{what}: column {name} is declared with a {type(found).__name__}, "
            "not an attribute name, MinorUnits or Scaled"
        )
    return found


def _admits_none(hints: Mapping[str, Any], attribute: str) -> bool:
    """Whether a field may hold ``None``: annotated ``X | None``, ``Optional[X]``, ``Any`` or not at all."""
    if attribute not in hints:
        return True
    hint = hints[attribute]
    return hint is Any or hint is None or type(None) in typing.get_args(hint)


def _declared_integer(
    what: str, column: sa.Column[Any], attribute: str, hints: Mapping[str, Any], nullable: bool
) -> None:
    """Refuse a money or scaled column not of an integer type, or nullable for a field that cannot be None."""
    name, column_type = column.name, column.type
    if not isinstance(column_type, sa.Integer):  # a TypeDecorator is refused: it may convert the integer
        raise TypeError(f"{what}: column {name} must be an integer column, not {column_type!r}")
    if nullable and not _admits_none(hints, attribute):
        raise TypeError(
            f"{what}: column {name} must be a NOT NULL integer column: field {attribute} cannot be None"
        )


def _describe(
    table: sa.Table,
    entity: type[Any],
    declared: Mapping[str, Any],
    hints: dict[str, Any],
    apart: frozenset[str] = frozenset(),
) -> list[_Column]:
    fields = {f.name for f in attrs.fields(entity)}
    what = f"{table.name} / {entity.__name__}"
    if apart - fields:
        raise TypeError(f"{what}: fields {sorted(apart - fields)} stored apart are not fields of the class")
    fields -= apart
    unknown = set(declared) - set(table.c.keys())
    if unknown:
        raise TypeError(f"{what}: declared columns {sorted(unknown)} are not in the table")
    described: list[_Column] = []
    covered: set[str] = set()
    for column in table.columns:
        name, nullable = column.name, bool(column.nullable)
        exception = _declaration(what, column, declared)
        if isinstance(exception, MinorUnits):
            missing = {exception.amount, exception.currency} - fields
            if missing:
                raise TypeError(f"{what}: {name} declares fields {sorted(missing)} the class lacks")
            attribute = exception.amount
            _declared_integer(what, column, attribute, hints, nullable)
            described.append(_Column(name, _Kind.MONEY, attribute, nullable, money=exception))
        elif isinstance(exception, Scaled):
            attribute = exception.attribute
            if attribute not in fields:
                raise TypeError(f"{what}: {name} declares field {attribute!r}, which the class lacks")
            _declared_integer(what, column, attribute, hints, nullable)
            described.append(_Column(name, _Kind.SCALED, attribute, nullable, places=exception.places))
        elif exception not in fields:
            raise TypeError(f"{what}: column {name} matches no field; declare its attribute")
        else:
            attribute = exception
            hint = hints.get(attribute)
            found = _classify(what, column, attribute, _enum_of(hint), open_vocabulary=_is_open(hint))
            if found.kind is _Kind.JSON and _holds_attrs(hint):
                found = attrs.evolve(found, structured=True)
            described.append(found)
        if attribute in covered:
            raise TypeError(f"{what}: two columns hold field {attribute}")
        covered.add(attribute)
    uncovered = fields - covered
    if uncovered:
        raise TypeError(f"{what}: fields {sorted(uncovered)} have no column")
    money_currencies = {c.money.currency for c in described if c.money is not None}
    if money_currencies - {c.attribute for c in described if c.kind is not _Kind.MONEY}:
        raise TypeError(f"{what}: a money column's currency field is not stored in a column")
    return described


def _classify(
    what: str,
    column: sa.Column[Any],
    attribute: str,
    enum_class: type[enum.Enum] | None,
    *,
    open_vocabulary: bool = False,
) -> _Column:
    name, nullable, column_type = column.name, bool(column.nullable), column.type
    if isinstance(column_type, sa.Uuid):
        return _Column(name, _Kind.UUID, attribute, nullable)
    if isinstance(column_type, UTCDateTime):
        return _Column(name, _Kind.DATETIME, attribute, nullable)
    if isinstance(column_type, sa.JSON):
        return _Column(name, _Kind.JSON, attribute, nullable)
    if isinstance(column_type, sa.TypeDecorator):
        decorator = type(column_type)
        if (
            decorator.process_bind_param is not sa.TypeDecorator.process_bind_param
            or decorator.bind_processor is not sa.TypeDecorator.bind_processor
        ):
            raise TypeError(f"{what}: column {name} converts its values; the codec cannot derive how")
        column_type = column_type.impl_instance
    if enum_class is not None:
        if not isinstance(column_type, sa.String):
            raise TypeError(f"{what}: enum field {attribute} needs a text column, not {column_type!r}")
        members: dict[Any, Any] = {member.value: member for member in enum_class}
        if nullable:
            members[None] = None
        return _Column(name, _Kind.ENUM, attribute, nullable, members=members, open=open_vocabulary)
    if isinstance(column_type, sa.Date):
        # SQLite's DATE may be given another text format; the codec sends and parses only the default
        own_format = getattr(column_type, "_storage_format", _SQLITE_DATE_FORMAT) != _SQLITE_DATE_FORMAT
        if own_format or getattr(column_type, "_reg", None) is not None:
            raise TypeError(f"{what}: column {name} has its own date format, which the codec does not know")
        return _Column(name, _Kind.DATE, attribute, nullable)
    if _plain(column_type):
        return _Column(name, _Kind.PLAIN, attribute, nullable)
    raise TypeError(f"{what}: column {name} has type {column_type!r}, which the codec does not know")
