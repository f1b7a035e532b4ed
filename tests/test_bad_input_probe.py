"""Bad arguments into every public CRM method, on every backend, and into every entity constructor.

Only relcore errors may escape; an argument of the wrong type is refused with
a ValidationError naming it (ConfigurationError for the methods that build a
CRM) before anything reaches the store; and a failed call leaves the store
exactly as it was. Methods are found by introspection, so a new one is
probed as soon as its parameters have a valid value in ``tests/_probe_world.py``.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore import (
    ConfigurationError,
    Contact,
    Customer,
    RelcoreError,
    Touchpoint,
    Transaction,
    Vocabularies,
)
from relcore.errors import NotFoundError, ValidationError
from relcore.ids import new_id
from relcore.registry import Store
from relcore.segments import Catalogue, field
from relcore.segments.model import Segment
from relcore.segments.rules.nodes import Aggregate, And, Condition, Not, Or
from relcore.value.services import ValueSettings
from tests._probe_world import (
    ALWAYS_BAD,
    FIELD_OF,
    HOSTILE_OF_RIGHT_TYPE,
    NOW,
    SETUP_METHODS,
    World,
    build_world,
    call,
    constructor_parameters,
    constructors,
    has_valid_argument,
    optional,
    parameters,
    public_methods,
    snapshot,
    valid_argument,
)

_RULES = (And, Or, Not, Condition, Aggregate)


def _collection(value: object) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, str | bytes | bytearray | Mapping)


def _items(check: type | tuple[type, ...]) -> object:
    def accepts(value: object) -> bool | None:
        if not _collection(value):
            return False
        if isinstance(value, list | tuple):
            return all(isinstance(v, check) and not isinstance(v, bool) for v in value)
        return None  # a lazy iterable: its items are checked as they come

    return accepts


def _customer_entries(value: object) -> bool | None:
    """Customers alone are items of ``import_customers``; a pair's contacts are checked as it comes."""
    if not _collection(value):
        return False
    if isinstance(value, list | tuple):
        if all(isinstance(v, Customer) for v in value):
            return True
        return None if any(isinstance(v, tuple) for v in value) else False
    return None


_TYPES: dict[str, object] = {
    **dict.fromkeys(["customer_id"], UUID),
    **dict.fromkeys(["namespace", "value", "name", "source", "email", "by"], str),
    **dict.fromkeys(["purpose", "status", "kind", "channel", "phone", "region", "currency"], str),
    **dict.fromkeys(["description", "notice_version"], str),
    **dict.fromkeys(["limit", "chunk_size"], int),
    **dict.fromkeys(["upgrade", "reuse_models", "read_only"], bool),
    **dict.fromkeys(["as_of", "at", "since", "until", "recorded_at", "expires_at"], datetime),
    **dict.fromkeys(["handler", "clock", "progress"], callable),
    "customer": Customer,
    "contact": Contact,
    "touchpoint": Touchpoint,
    "transaction": Transaction,
    "settings": ValueSettings,
    "catalogue": Catalogue,
    "vocabularies": Vocabularies,
    "after": UUID,
    "event_type": lambda v: isinstance(v, type),
    "rule": _RULES,
    "segment": (Segment, UUID, str),
    "contacts": _items(Contact),
    "touchpoints": _items(Touchpoint),
    "customers": _customer_entries,
    "transactions": _items(Transaction),
    "customer_ids": _items(UUID),
    "channels": _items(str),
}
_TYPES_IN: dict[tuple[str, str], object] = {
    ("segments.members", "target"): (*_RULES, Segment, UUID, str),
    ("segments.explain", "target"): (*_RULES, Segment, UUID, str),
    ("open", "target"): (str, os.PathLike),
}


def type_ok(method: str, name: str, value: object, none_ok: bool) -> bool | None:
    """Whether ``value`` has a type the parameter takes (``None``: cannot tell without using it)."""
    if value is None:
        return none_ok
    accepted = _TYPES_IN[(method, name)] if (method, name) in _TYPES_IN else _TYPES[name]
    if accepted is callable:
        return callable(value)
    if isinstance(accepted, type | tuple):
        if accepted in (int, datetime) and isinstance(value, bool):
            return False
        return isinstance(value, accepted)
    return accepted(value)  # type: ignore[operator,no-any-return]


def names(error: RelcoreError, name: str) -> bool:
    """Whether ``error`` names the parameter ``name``."""
    if isinstance(error, ValidationError):
        return any(p == name or p.startswith((f"{name}.", f"{name}[")) for p in error.paths)
    return str(error).startswith(f"{name} ")


def probe(world: World, method: str, name: str, value: object, label: str, *, refused: bool = False) -> None:
    """Call ``method`` with ``value`` for ``name``; check what escapes and that a failure changes nothing.

    With ``refused`` the value must be refused (as one of no accepted type
    is); the caller then compares the store before and after a batch of calls.
    """
    params = {p.name: p for p in parameters(method)}
    arguments = {p: valid_argument(world, method, p) for p in params}
    arguments[name] = value
    wrong = refused or type_ok(method, name, value, optional(params[name])) is False
    before = None if refused else snapshot(world.store)
    where = f"{method}({name}={label})"
    error: RelcoreError | None = None
    try:
        call(world, method, arguments)
    except RelcoreError as raised:
        error = raised
    except Exception as raised:
        pytest.fail(f"{where} let {type(raised).__name__} escape: {raised!s:.200}")
    if error is None:
        assert not wrong, f"{where} accepted a value of the wrong type"
        return
    if wrong:
        expected = ConfigurationError if method in SETUP_METHODS else ValidationError
        assert isinstance(error, expected), f"{where}: {type(error).__name__}: {error}"
        assert names(error, name), f"{where} does not name the argument: {error}"
    assert before is None or snapshot(world.store) == before, f"{where} failed but changed the store"


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)  # CRM.open makes SQLite files of the text it is given as a path
    return build_world(store, tmp_path)


def test_every_parameter_of_every_public_method_has_a_valid_value() -> None:
    missing = [
        f"{method}({p.name})"
        for method in public_methods()
        for p in parameters(method)
        if not has_valid_argument(method, p.name)
        or ((method, p.name) not in _TYPES_IN and p.name not in _TYPES)
    ]
    assert not missing, f"describe these parameters in tests/_probe_world.py and here: {missing}"
    assert len(public_methods()) >= 35


def test_values_of_no_accepted_type_are_refused_naming_the_argument(world: World) -> None:
    for method in public_methods():
        before = snapshot(world.store)
        for parameter in parameters(method):
            bad = ALWAYS_BAD if optional(parameter) else (*ALWAYS_BAD, None)
            for i, value in enumerate(bad):
                label = f"<always bad #{i}: {type(value).__name__}>"
                probe(world, method, parameter.name, value, label, refused=True)
        assert snapshot(world.store) == before, method


def _named_values(world: World) -> dict[str, object]:
    unstored = Segment(name="unstored", kind="static")
    return {
        **{f"hostile {type(v).__name__}": v for v in HOSTILE_OF_RIGHT_TYPE},
        "empty": "",
        "blank": "   ",
        "long text": "x" * 300,
        "NUL": "a\x00b",
        "surrogate": "\ud800",
        "bad namespace": "Shop!",
        "trailing space": "1001 ",
        "e-mail": "zelda@example.org",
        "phone": "+44 20 7946 0018",
        "segment name": "regulars",
        "static segment name": "picked",
        "year 1": datetime(1, 1, 1, tzinfo=UTC),
        "year 9999": datetime(9999, 12, 31, 23, tzinfo=UTC),
        "far east 9998": datetime(9998, 12, 31, 23, tzinfo=timezone(timedelta(hours=-14))),
        "naive": datetime(2025, 1, 1),
        "huge int": 2**63,
        "negative": -1,
        "zero": 0,
        "decimal nan": Decimal("NaN"),
        "unknown id": new_id(),
        "ada's id": world.ada.id,
        "a contact id": world.contact.id,
        "invalid rule": field("nope") == 1,
        "valid rule": field("stage") == "customer",
        "unstored segment": unstored,
        "stored segment": world.crm.segments.get("regulars"),
        "customer": Customer.person("Stray"),
        "list of hostile": [ALWAYS_BAD[0]],
        "list of hostile ids": [HOSTILE_OF_RIGHT_TYPE[1]],
        "generator": (x for x in [1, "a"]),
        "unknown channel": ["email", "pigeon"],
        "channels": {"email", "sms"},
        "settings": ValueSettings(),
        "class": Customer,
        "function": len,
    }


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=12),
    st.binary(max_size=4),
    st.uuids(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.datetimes(timezones=st.just(UTC), min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.decimals(),
)
_VALUES = st.one_of(
    _SCALARS,
    st.lists(_SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=4), _SCALARS, max_size=2),
    st.tuples(st.text(max_size=6), st.text(max_size=6)),
)

_EXAMPLES = {"memory": 800, "sqlite": 120, "postgres": 100, "mysql": 100}


def test_generated_arguments_raise_relcore_errors_only_and_change_nothing_when_they_fail(
    world: World, backend: str
) -> None:
    methods = sorted(m for m in public_methods() if parameters(m))
    named = _named_values(world)

    @settings(
        max_examples=_EXAMPLES[backend],
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        method = data.draw(st.sampled_from(methods), label="method")
        name = data.draw(st.sampled_from([p.name for p in parameters(method)]), label="parameter")
        if data.draw(st.booleans(), label="named value"):
            label = data.draw(st.sampled_from(sorted(named)), label="value")
            value = named[label]
            label = f"<{label}>"
        else:
            value = data.draw(_VALUES, label="value")
            label = f"<generated {type(value).__name__}>"
        probe(world, method, name, value, label)

    run()


def test_every_entity_constructor_is_probed() -> None:
    unlisted = [name for name, (_, valid) in constructors().items() if "<missing>" in valid]
    assert not unlisted, f"add valid arguments for {unlisted} to constructors() in tests/_probe_world.py"


def construct(name: str, parameter: str, value: object, label: str, *, refused: bool = False) -> None:
    """Build ``name`` with ``value`` for ``parameter``: only relcore errors; ``refused`` ones name it."""
    build, valid = constructors()[name]
    where = f"{name}({parameter}={label})"
    error: RelcoreError | None = None
    try:
        build(**{**valid, parameter: value})
    except RelcoreError as raised:
        error = raised
    except Exception as raised:
        pytest.fail(f"{where} let {type(raised).__name__} escape: {raised!s:.200}")
    if refused:
        assert isinstance(error, ValidationError), (
            f"{where} was not refused with a ValidationError: {error!r}"
        )
        assert names(error, FIELD_OF.get((name, parameter), parameter)), f"{where} not named: {error}"


def test_constructors_refuse_values_of_no_accepted_type_naming_the_field() -> None:
    for name, (build, valid) in constructors().items():
        for parameter in constructor_parameters(build):
            required = parameter in valid or _required(build, parameter)
            for i, value in enumerate((*ALWAYS_BAD, None) if required else ALWAYS_BAD):
                construct(name, parameter, value, f"<always bad #{i}: {type(value).__name__}>", refused=True)


def _required(build: object, parameter: str) -> bool:
    if isinstance(build, type) and attrs.has(build):
        field_ = attrs.fields_dict(build)[parameter]
        return field_.default is attrs.NOTHING
    return inspect.signature(build).parameters[parameter].default is inspect.Parameter.empty  # type: ignore[arg-type]


@settings(max_examples=1500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_constructors_raise_relcore_errors_only(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(constructors())), label="constructor")
    build, _ = constructors()[name]
    parameter = data.draw(st.sampled_from(constructor_parameters(build)), label="parameter")
    if data.draw(st.booleans(), label="hostile"):
        index = data.draw(st.integers(0, len(HOSTILE_OF_RIGHT_TYPE) - 1), label="hostile value")
        value = HOSTILE_OF_RIGHT_TYPE[index]
    else:
        value = data.draw(_VALUES, label="value")
    construct(name, parameter, value, f"<{type(value).__name__}>")


@pytest.mark.parametrize(
    ("method", "arguments", "expected"),
    [
        ("customers.get", {}, NotFoundError),
        ("segments.get", {"segment": new_id()}, NotFoundError),
        ("segments.get", {"segment": "nope"}, NotFoundError),
        ("segments.delete", {"segment": "nope"}, NotFoundError),
        ("segments.refresh", {"segment": "nope"}, NotFoundError),
        ("segments.add_members", {"customer_ids": [new_id()]}, NotFoundError),
        ("consent.record", {}, NotFoundError),
        ("customers.add_contact", {"contact": "stray"}, NotFoundError),
        ("activity.record_touchpoint", {"touchpoint": "stray"}, NotFoundError),
        ("customers.contacts", {}, []),
        ("consent.history", {}, []),
        ("activity.timeline", {}, []),
        ("consent.may_contact", {}, False),
        ("value.metrics", {}, None),
    ],
)
def test_unknown_ids_get_the_documented_answer_on_every_backend(
    world: World, method: str, arguments: dict[str, object], expected: object
) -> None:
    stranger = new_id()
    values = {p.name: valid_argument(world, method, p.name) for p in parameters(method)}
    values |= {k: v for k, v in arguments.items() if v not in ("stray",)}
    if "customer_id" in values:
        values["customer_id"] = stranger
    if arguments.get("contact") == "stray":
        values["contact"] = Contact(customer_id=stranger, name="Stray")
    if arguments.get("touchpoint") == "stray":
        values["touchpoint"] = Touchpoint(
            customer_id=stranger, channel="web", direction="inbound", occurred_at=NOW
        )
    before = snapshot(world.store)
    if isinstance(expected, type):
        with pytest.raises(expected):
            call(world, method, values)
        assert snapshot(world.store) == before
    else:
        assert call(world, method, values) == expected
