"""Hypothesis strategies for segment rules, for your own tests.

[`rules`][relcore.testing.segment_strategies.rules] draws valid rules over a catalogue: every node type (with
empty, single and nested ``and`` / ``or``), every operator on every field type it
applies to, aggregates over touchpoints and transactions with ``where``
conditions, windows and ``full_window``, sums and averages in one currency,
datetimes on both sides of the window edges around a reference time, and
hostile text (quotes, ``%``, ``_``, backslashes, SQL fragments, astral
characters, leading and trailing spaces). Every rule drawn passes
[`relcore.segments.validate`][]; it is not always in the normalized form
``validate`` returns (datetimes may be in any time zone, amounts may be
``int``), so compare with ``validate(rule, catalogue)``.

The value pools are parameters, so a differential test can draw rules that
hit the data it generates: give the same tags, countries, names, attribute
values, campaign ids and reference time to both.

Importing this module needs Hypothesis (the ``testing`` extra).

Example:
    >>> from hypothesis import given, settings
    >>> from relcore.segments import from_json, to_json, validate
    >>> @settings(max_examples=20)
    ... @given(rules(tags=["vip", "b2b"]))
    ... def test_round_trip(rule):
    ...     assert from_json(to_json(rule)) == validate(rule)
    >>> test_round_trip()
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import attrs
from hypothesis import strategies as st

from relcore._kernel.money import CURRENCIES
from relcore.segments.rules.catalogue import DEFAULT_CATALOGUE, Catalogue, FieldSpec, FieldType
from relcore.segments.rules.nodes import (
    Aggregate,
    And,
    Condition,
    Measure,
    Not,
    Op,
    Or,
    Rule,
    Scalar,
    Value,
)
from relcore.segments.rules.validation import MAX_DEPTH, MAX_WINDOW_DAYS, validate

__all__ = [
    "HOSTILE_TEXTS",
    "REFERENCE_TIME",
    "leaves",
    "rules",
]

REFERENCE_TIME = datetime(2024, 3, 1, 12, tzinfo=UTC)
"""The default ``as_of`` the generated datetimes cluster around."""

HOSTILE_TEXTS: tuple[str, ...] = (
    "",
    " ",
    "Ada",
    "ada",
    " Ada ",
    "O'Brien",
    'say "hi"',
    "100%",
    "%",
    "_",
    "a_b%c",
    "\\",
    "back\\slash\\",
    "\\%\\_",
    "'; DROP TABLE x; --",
    "Robert'); DROP TABLE relcore_customers;--",
    '" OR 1=1 --',
    "Zoë",
    "Zoe\u0308",
    "İstanbul",
    "straße",
    "日本語",
    "😀",
    "\U0001d518\U0001d52b\U0001d526 \U0010fffd",
    "tab\there",
    "line\nbreak\r\n",
    "\u2028\u2029",
    "\x7f\x01",
    "*?[]^$.",
)
"""Text values that break naive quoting, LIKE patterns or Unicode handling."""

_TAGS = ("vip", "b2b", "gold", "churn-risk", "a.b:c/d+e_f", "日本", "x y")
_COUNTRIES = ("FR", "DE", "US", "JP", "fr", "FR ")
_CURRENCIES = ("EUR", "USD", "JPY", "KWD")
_WINDOWS = (1, 7, 30, 90, 365)
_NUMBERS: tuple[int | float, ...] = (0, 1, 2, 3, 5, 12, -1, 0.5, 12.5, -0.0, 1e-9, 2**53, -(2**53))
_ZONES = (UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30)))
_TICK = timedelta(microseconds=1)
_MAX_NUMBER = 2**53
_SET_OPS = (Op.IS_SET, Op.IS_NOT_SET)
_LIST_OPS = (Op.IN, Op.NOT_IN)
_ORDERED = (Op.LT, Op.LE, Op.GT, Op.GE)


@attrs.frozen
class _Pools:
    """Everything a leaf's value may be drawn from."""

    catalogue: Catalogue
    as_of: datetime
    tags: tuple[str, ...]
    countries: tuple[str, ...]
    names: tuple[str, ...]
    texts: st.SearchStrategy[str]
    numbers: tuple[int | float, ...]
    attribute_values: Mapping[str, tuple[Scalar, ...]]
    campaign_ids: tuple[UUID, ...]
    currencies: tuple[str, ...]
    windows: tuple[int, ...]
    fields: tuple[str, ...]
    events: tuple[str, ...]
    max_where: int


def rules(
    catalogue: Catalogue = DEFAULT_CATALOGUE,
    *,
    as_of: datetime = REFERENCE_TIME,
    tags: Sequence[str] = _TAGS,
    countries: Sequence[str] = _COUNTRIES,
    names: Sequence[str] = HOSTILE_TEXTS,
    texts: st.SearchStrategy[str] | None = None,
    numbers: Sequence[int | float] = _NUMBERS,
    attribute_values: Mapping[str, Sequence[Scalar]] | None = None,
    campaign_ids: Sequence[UUID] = (),
    currencies: Sequence[str] = _CURRENCIES,
    windows: Sequence[int] = _WINDOWS,
    fields: Collection[str] | None = None,
    events: Collection[str] | None = None,
    max_where: int = 3,
    max_depth: int = 3,
    max_children: int = 3,
) -> st.SearchStrategy[Rule]:
    """Draw valid rules over ``catalogue``.

    Args:
        catalogue: The fields rules may use; declared attributes are used too.
        as_of: The reference time datetime values cluster around (on both
            sides of the ``windows`` edges, to the microsecond).
        tags: Tags for ``has tag`` / ``has any`` / ``has all`` on ``tags`` (valid
            tags); ``roles`` draws from the catalogue's roles.
        countries: Values for ``country``.
        names: Values for ``name`` and the other text fields (also mixed
            into ``texts``); defaults to [`HOSTILE_TEXTS`][relcore.testing.segment_strategies.HOSTILE_TEXTS].
        texts: Extra free text for text fields; defaults to arbitrary short
            Unicode text without NUL or lone surrogates.
        numbers: Values for number fields, alongside arbitrary ones.
        attribute_values: Values per declared attribute key; keys without
            an entry get values of their declared type.
        campaign_ids: UUIDs for ``campaign_id`` and the other id fields,
            alongside arbitrary ones.
        currencies: Currencies for ``currency ==`` (sum, average, amount).
        windows: Favoured window lengths in days (any length may be drawn).
        fields: The customer fields conditions may use (default: every name
            of the catalogue).
        events: The names of the histories aggregates may summarise (default: every
            history of the catalogue; ``()`` for none).
        max_where: Most ``where`` conditions per aggregate, besides the one
            fixing the currency.
        max_depth: Deepest nesting of ``and`` / ``or`` / ``not`` (at most
            [`MAX_DEPTH`][relcore.segments.MAX_DEPTH]).
        max_children: Most rules under one ``and`` / ``or``.

    Raises:
        ValueError: A pool holds a value no valid rule may hold (a NUL in a
            text, an invalid tag, an unknown currency or field...); most such
            errors are [`InvalidRuleError`][relcore.errors.InvalidRuleError].

    Example:
        >>> from hypothesis import find
        >>> from relcore.segments import Condition, Not, to_text
        >>> rule = find(rules(), lambda r: isinstance(r, Not) and isinstance(r.rule, Condition))
        >>> print(to_text(rule).startswith("not "))
        True
    """
    if not 0 <= max_depth <= MAX_DEPTH:
        raise ValueError(f"max_depth must lie in 0..{MAX_DEPTH}, got {max_depth}")
    rule = leaves(
        catalogue,
        as_of=as_of,
        tags=tags,
        countries=countries,
        names=names,
        texts=texts,
        numbers=numbers,
        attribute_values=attribute_values,
        campaign_ids=campaign_ids,
        currencies=currencies,
        windows=windows,
        fields=fields,
        events=events,
        max_where=max_where,
    )
    leaf = rule
    for _ in range(max_depth):
        inner = rule
        children = st.lists(inner, max_size=max_children).map(tuple)
        rule = st.one_of(leaf, children.map(And), children.map(Or), inner.map(Not))
    return rule


def leaves(
    catalogue: Catalogue = DEFAULT_CATALOGUE,
    *,
    as_of: datetime = REFERENCE_TIME,
    tags: Sequence[str] = _TAGS,
    countries: Sequence[str] = _COUNTRIES,
    names: Sequence[str] = HOSTILE_TEXTS,
    texts: st.SearchStrategy[str] | None = None,
    numbers: Sequence[int | float] = _NUMBERS,
    attribute_values: Mapping[str, Sequence[Scalar]] | None = None,
    campaign_ids: Sequence[UUID] = (),
    currencies: Sequence[str] = _CURRENCIES,
    windows: Sequence[int] = _WINDOWS,
    fields: Collection[str] | None = None,
    events: Collection[str] | None = None,
    max_where: int = 3,
) -> st.SearchStrategy[Condition | Aggregate]:
    """Draw valid leaves: conditions and aggregates. The arguments are those of `rules`.

    Example:
        >>> from hypothesis import find
        >>> from relcore.segments import to_text
        >>> leaf = find(leaves(fields=["country"], events=()), lambda c: c.op.value == "is set")
        >>> print(to_text(leaf))
        country is set
    """
    pools = _Pools(
        catalogue=catalogue,
        as_of=as_of,
        tags=tuple(tags),
        countries=tuple(countries),
        names=tuple(names),
        texts=_free_text() if texts is None else texts,
        numbers=tuple(numbers),
        attribute_values={k: tuple(v) for k, v in (attribute_values or {}).items()},
        campaign_ids=tuple(campaign_ids),
        currencies=tuple(currencies),
        windows=tuple(windows),
        fields=tuple(catalogue.names() if fields is None else fields),
        events=tuple(catalogue.histories if events is None else events),
        max_where=max_where,
    )
    _check_pools(pools)
    options: list[st.SearchStrategy[Condition | Aggregate]] = []
    if pools.fields:
        options.append(_field_names(pools.fields).flatmap(lambda name: _customer_condition(pools, name)))
    if pools.events:
        built = {e: _aggregate(pools, e) for e in pools.events}  # flatmap, not one_of: kept as one branch
        options.append(st.sampled_from(pools.events).flatmap(built.__getitem__))
    if not options:
        raise ValueError("no fields and no events: nothing to build leaves from")
    return st.one_of(options)


def _check_pools(pools: _Pools) -> None:
    """Fail early, with `InvalidRuleError` (a ``ValueError``), on a pool value no rule may hold."""
    if not pools.tags or not pools.currencies:
        raise ValueError("tags and currencies need at least one value each")
    for name in pools.fields:
        pools.catalogue.field(name)
    checks = [
        *(Condition("name", Op.EQ, text) for text in (*pools.names, *pools.countries)),
        *(Condition("tags", Op.HAS_TAG, tag) for tag in pools.tags),
        *(Condition("metrics.clv", Op.EQ, number) for number in pools.numbers),
        *(Condition("created_at", Op.WITHIN, days) for days in pools.windows),
        Condition("created_at", Op.LT, pools.as_of),
    ]
    for check in checks:
        validate(check)
    for currency in pools.currencies:
        if currency not in CURRENCIES:
            raise ValueError(f"unknown currency {currency!r}")
    for campaign in pools.campaign_ids:
        if not isinstance(campaign, UUID):
            raise ValueError(f"campaign ids must be UUIDs, got {type(campaign).__name__}")


def _customer_condition(pools: _Pools, name: str) -> st.SearchStrategy[Condition]:
    return _condition(pools, pools.catalogue.field(name), _customer_values(pools, name))


def _field_names(names: Sequence[str]) -> st.SearchStrategy[str]:
    """A name, its group (one column, the attributes, the metrics, consent) first, so none dominates."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.partition(".")[0], []).append(name)
    order = sorted(groups, key=lambda group: ("." in groups[group][0], group))  # columns first
    return st.sampled_from(order).flatmap(lambda group: st.sampled_from(groups[group]))


# -- values -----------------------------------------------------------------------


def _free_text() -> st.SearchStrategy[str]:
    return st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)


def _texts(pools: _Pools, preferred: Sequence[str] = ()) -> st.SearchStrategy[str]:
    chosen = [*preferred, *pools.names]
    return st.one_of(st.sampled_from(chosen), pools.texts) if chosen else pools.texts


def _numbers(pools: _Pools) -> st.SearchStrategy[int | float]:
    arbitrary: st.SearchStrategy[int | float] = st.one_of(
        st.integers(-_MAX_NUMBER, _MAX_NUMBER),
        st.floats(-_MAX_NUMBER, _MAX_NUMBER, allow_nan=False, allow_infinity=False),
    )
    return st.one_of(st.sampled_from(pools.numbers), arbitrary) if pools.numbers else arbitrary


def _datetimes(pools: _Pools) -> st.SearchStrategy[datetime]:
    edges = [timedelta(days=w) + tick for w in pools.windows for tick in (-_TICK, timedelta(0), _TICK)]
    offsets = st.one_of(
        st.sampled_from([*edges, timedelta(0), _TICK, -_TICK]),
        st.timedeltas(timedelta(days=-400), timedelta(days=4000)),
    )
    near = st.builds(
        lambda offset, zone: (pools.as_of - offset).astimezone(zone), offsets, st.sampled_from(_ZONES)
    )
    anywhere = st.datetimes(datetime(1001, 1, 1), datetime(9997, 12, 31), timezones=st.sampled_from(_ZONES))
    return st.one_of(near, anywhere)


def _days(pools: _Pools) -> st.SearchStrategy[int]:
    arbitrary = st.integers(1, MAX_WINDOW_DAYS)
    return st.one_of(st.sampled_from(pools.windows), arbitrary) if pools.windows else arbitrary


def _ids(pools: _Pools) -> st.SearchStrategy[UUID]:
    return st.one_of(st.sampled_from(pools.campaign_ids), st.uuids()) if pools.campaign_ids else st.uuids()


def _amounts(digits: int) -> st.SearchStrategy[Decimal | int]:
    """Exact amounts below 10**15 with at most ``digits`` decimals (sometimes a plain int)."""
    scaled = st.builds(
        lambda units, places: Decimal(units).scaleb(-places),
        st.integers(-(10**15) + 1, 10**15 - 1) | st.integers(-1000, 100_000),
        st.integers(0, digits),
    )
    return st.one_of(scaled, st.integers(-1000, 10**6))


def _customer_values(pools: _Pools, name: str) -> st.SearchStrategy[Scalar] | None:
    """The pool for one customer field, or ``None`` to use the default of its type."""
    if name == "country":
        return _texts(pools, pools.countries)
    if name.startswith("attributes."):
        values = pools.attribute_values.get(name.removeprefix("attributes."))
        if values:
            kind = pools.catalogue.field(name).type
            fitting = [v for v in values if _fits(kind, v)]
            return st.sampled_from(fitting) if fitting else None
    return None


def _fits(kind: FieldType, value: object) -> bool:
    if kind is FieldType.TEXT:
        return isinstance(value, str) and "\x00" not in value and len(value) <= 1000
    if kind is FieldType.NUMBER:
        return type(value) in (int, float) and math.isfinite(value) and abs(value) <= _MAX_NUMBER  # type: ignore[arg-type]
    return kind is FieldType.BOOL and isinstance(value, bool)


def _typed(pools: _Pools, spec: FieldSpec) -> st.SearchStrategy[Scalar]:
    match spec.type:
        case FieldType.TEXT:
            return _texts(pools)
        case FieldType.CHOICE:
            return st.sampled_from(spec.choices)
        case FieldType.NUMBER:
            return _numbers(pools)
        case FieldType.MONEY:
            return _amounts(CURRENCIES[spec.key])
        case FieldType.BOOL:
            return st.booleans()
        case FieldType.DATETIME:
            return _datetimes(pools)
        case FieldType.TAGS:
            return st.sampled_from(spec.choices or pools.tags)  # roles: the catalogue's values
        case FieldType.ID:
            return _ids(pools)


# -- leaves -----------------------------------------------------------------------


def _condition(
    pools: _Pools, spec: FieldSpec, values: st.SearchStrategy[Scalar] | None
) -> st.SearchStrategy[Condition]:
    return _comparison(pools, spec, values).map(lambda test: Condition(spec.name, *test))


def _comparison(
    pools: _Pools, spec: FieldSpec, values: st.SearchStrategy[Scalar] | None = None
) -> st.SearchStrategy[tuple[Op, Value]]:
    """An operator applicable to ``spec`` with a fitting value."""
    one = _typed(pools, spec) if values is None else values
    some = st.lists(one, min_size=1, max_size=4).map(tuple)
    options: list[st.SearchStrategy[tuple[Op, Value]]] = []

    def with_value(ops: Sequence[Op], drawn: st.SearchStrategy[Value]) -> None:
        options.append(st.tuples(st.sampled_from(ops), drawn))

    match spec.type:
        case FieldType.TEXT:
            with_value((Op.EQ, Op.NE, Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH), one)
            with_value(_LIST_OPS, some)
        case FieldType.CHOICE | FieldType.ID:
            with_value((Op.EQ, Op.NE), one)
            with_value(_LIST_OPS, some)
        case FieldType.NUMBER | FieldType.MONEY | FieldType.DATETIME:
            with_value((Op.EQ, Op.NE, *_ORDERED) if spec.type is not FieldType.DATETIME else _ORDERED, one)
            with_value((Op.BETWEEN,), st.lists(one, min_size=2, max_size=2).map(_ordered_pair))
            if spec.type is FieldType.NUMBER:
                with_value(_LIST_OPS, some)
            if spec.type is FieldType.DATETIME:
                with_value((Op.WITHIN, Op.OLDER_THAN), _days(pools))
        case FieldType.BOOL:
            with_value((Op.EQ, Op.NE), one)
        case FieldType.TAGS:
            with_value((Op.HAS_TAG,), one)
            with_value((Op.HAS_ANY, Op.HAS_ALL), some)
    if spec.nullable:
        options.append(st.tuples(st.sampled_from(_SET_OPS), st.none()))
    return st.one_of(options)


def _ordered_pair(pair: list[Scalar]) -> tuple[Scalar, Scalar]:
    low, high = pair
    return (high, low) if low > high else (low, high)  # type: ignore[operator]


def _counts() -> st.SearchStrategy[int]:
    return st.integers(0, 5) | st.integers(0, 10**9)


def _aggregate(pools: _Pools, events: str) -> st.SearchStrategy[Aggregate]:
    history = pools.catalogue.history(events)
    specs = {f.name: pools.catalogue.event_field(history, f.name, "where") for f in history.fields}
    money = history.money
    measures = tuple(Measure) if money is not None else (Measure.COUNT, Measure.FIRST, Measure.LAST)
    amount, currency_field = ("", "") if money is None else (money.amount, money.currency)

    @st.composite
    def build(draw: st.DrawFn) -> Aggregate:
        measure = draw(st.sampled_from(measures))
        currency: str | None = None
        where: list[Condition] = []
        needs_currency = measure in (Measure.SUM, Measure.AVERAGE)
        if money is not None and (needs_currency or draw(st.booleans())):
            currency = draw(st.sampled_from(pools.currencies))
        names = [n for n in specs if n != currency_field and (n != amount or currency is not None)]
        for name in draw(st.lists(st.sampled_from(names), max_size=pools.max_where)) if names else ():
            spec = specs[name]
            if name == amount:
                spec = attrs.evolve(spec, key=str(currency))
            where.append(draw(_condition(pools, spec, None)))
        if currency is not None:
            where.insert(draw(st.integers(0, len(where))), Condition(currency_field, Op.EQ, currency))
            if draw(st.booleans()):
                where.append(draw(_condition(pools, specs[currency_field], None)))
        window = draw(st.none() | _days(pools))
        full_window = window is not None and draw(st.booleans())
        if measure is Measure.COUNT:
            spec = FieldSpec("count", FieldType.NUMBER)
            op, value = draw(_comparison(pools, spec, _counts()))
        elif measure in (Measure.FIRST, Measure.LAST):
            op, value = draw(_comparison(pools, FieldSpec(measure.value, FieldType.DATETIME, nullable=True)))
        else:
            spec = FieldSpec(
                measure.value, FieldType.MONEY, nullable=measure is Measure.AVERAGE, key=str(currency)
            )
            op, value = draw(_comparison(pools, spec))
        return Aggregate(events, tuple(where), window, measure, op, value, full_window)

    return build()
