"""Errors and logs carry no personal data.

Marked personal data (a marker inside e-mail-, name- and phone-like values)
goes through every validation path relcore has (entity constructors, the
facade's arguments, dict and JSON reading, the rule language in its three
forms, value settings) and through every unique-key conflict, on every
backend. The marker must appear in no error message, no chained exception
(``__cause__`` / ``__context__``, walked to the end) and no log record.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from relcore import ConflictError, Customer, RelcoreError
from relcore.registry import Store
from relcore.segments import field, from_json, parse, validate
from relcore.serialization import from_dict
from relcore.serialization import from_json as entity_from_json
from relcore.value.services import ValueSettings
from tests._probe_world import (
    World,
    build_world,
    call,
    constructor_parameters,
    constructors,
    parameters,
    public_methods,
    valid_argument,
)

MARKER = "Zq7Mk"
EMAIL = f"zelda.{MARKER}@example.org"
NAME = f"Zelda {MARKER}"
PHONE = f"+44 {MARKER} 946 0018"
MARKED = (
    EMAIL,
    NAME,
    PHONE,
    f"zelda.{MARKER}@@example..org",  # a malformed address
    f"{MARKER}x" * 40,  # too long for most fields
    f"zelda.{MARKER}\x00",  # a NUL
)


def shapes(text: str) -> Iterator[object]:
    """``text`` as the various values a parameter may be given."""
    yield text
    yield [text]
    yield (text, text)
    yield {text: float("nan")}
    yield {"ok": {text: [1, {text: None}]}, text: 1}


def texts(error: BaseException) -> Iterator[str]:
    """Every text an error carries: its message, arguments, notes and whole chain."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield from map(str, getattr(current, "__notes__", ()))
        for item in getattr(current, "errors", ()):
            yield str(item)
        current = current.__cause__ or current.__context__


def check_quiet(where: str, action: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Run ``action(*args, **kwargs)``; any relcore error it raises must not contain the marker."""
    try:
        action(*args, **kwargs)
    except RelcoreError as error:
        leaked = [t for t in texts(error) if MARKER.casefold() in t.casefold()]
        assert not leaked, f"{where}: {leaked[0][:300]}"


@pytest.fixture(autouse=True)
def _logs_carry_no_marker(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    for record in caplog.records:
        shown = record.getMessage() + (record.exc_text or "")
        assert MARKER.casefold() not in shown.casefold(), f"log record {record.name}: {shown[:300]}"


def test_entity_constructors_never_repeat_the_value() -> None:
    for name, (build, valid) in constructors().items():
        for parameter in constructor_parameters(build):
            for text in MARKED:
                for value in shapes(text):
                    check_quiet(f"{name}({parameter}=...)", build, **{**valid, parameter: value})


def test_dicts_and_json_documents_never_repeat_the_value() -> None:
    ada = {"type": "person", "name": "Ada", "created_at": "2025-01-01T00:00:00+00:00"}
    for text in MARKED:
        for key in ("id", "stage", "created_at", "country", "tags", "identities", "attributes", "version"):
            check_quiet(f"from_dict({key})", from_dict, Customer, {**ada, key: text})
        check_quiet("from_dict(unknown key)", from_dict, Customer, {**ada, text: 1})
        check_quiet("attributes", from_dict, Customer, {**ada, "attributes": {text: float("inf")}})
        document = json.dumps({**ada, "stage": text})
        check_quiet("from_json(stage)", entity_from_json, Customer, document)
        check_quiet("from_json(truncated)", entity_from_json, Customer, document[:-2])


def _rule_documents(text: str) -> Iterator[object]:
    def condition(name: object, op: object, value: object) -> dict[str, object]:
        return {"version": 1, "rule": {"type": "condition", "field": name, "op": op, "value": value}}

    yield condition(text, "==", 1)
    yield condition("stage", "==", text)
    yield condition("stage", text, "lead")
    yield condition("contact_id", "==", text)
    yield condition("name", "in", [text, 7])
    yield condition("created_at", "<", {"datetime": text})
    yield condition("created_at", "<", {"uuid": text[:60]})
    yield condition("created_at", "<", {text: "1"})
    yield {"version": 1, "rule": {"type": text, "rules": []}}
    yield {"version": 1, "rule": {"type": "and", "rules": [], text: 1}}
    yield {"version": text, "rule": {"type": "and", "rules": []}}


def _rule_texts(text: str) -> Iterator[str]:
    quoted = json.dumps(text)
    yield f"stage == {quoted}"
    yield f"{quoted} == 1"
    yield f"stage in {quoted}"
    yield f"contact_id == {quoted}"
    yield f"stage == 1 {quoted}"
    yield f"Zelda_{MARKER} == 1"
    yield f"stage {MARKER} 1"
    yield f'transactions(currency == "EUR" and {quoted}).count >= 1'


def test_rule_errors_never_repeat_the_value() -> None:
    for text in MARKED:
        for document in _rule_documents(text):
            check_quiet(f"from_json({document})", from_json, document)
        for source in _rule_texts(text):
            check_quiet(f"parse({source!r})", parse, source)
        for rule in (
            field(text) == 1,
            field("stage") == text,
            field("contact_id") == text,
            field("tags").has_tag(text),
        ):
            check_quiet("validate", validate, rule)


def test_value_settings_never_repeat_the_value() -> None:
    for text in MARKED:
        for name in [f.name for f in attrs.fields(ValueSettings)]:
            for value in shapes(text):
                check_quiet(f"ValueSettings({name}=...)", ValueSettings, **{name: value})
        check_quiet("repeated tier name", ValueSettings, tiers=[(text, 0.5), (text, 1.0)])
        check_quiet("tier share", ValueSettings, tiers=[(text, 2.0), ("rest", 1.0)])


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)  # CRM.open makes SQLite files of the text it is given as a path
    return build_world(store, tmp_path)


def test_facade_arguments_never_repeat_the_value(world: World) -> None:
    for method in sorted(public_methods()):
        for parameter in parameters(method):
            for text in MARKED:
                for value in shapes(text):
                    arguments = {p.name: valid_argument(world, method, p.name) for p in parameters(method)}
                    arguments[parameter.name] = value
                    check_quiet(f"{method}({parameter.name}=...)", call, world, method, arguments)


def test_unique_key_conflicts_never_repeat_the_key(world: World) -> None:
    crm = world.crm
    first = crm.customers.add(Customer.person(NAME, identities=[("shop", EMAIL), ("phone", PHONE)]))
    for identity in (("shop", EMAIL), ("phone", PHONE)):
        with pytest.raises(ConflictError) as caught:
            crm.customers.add(Customer.person(NAME, identities=[identity]))
        check_quiet("add_customer with a taken identity", _raise, caught.value)
    other = crm.customers.add(Customer.person("Other"))
    with pytest.raises(ConflictError) as caught:
        crm.customers.save(attrs.evolve(other, identities=[("shop", EMAIL)]))
    check_quiet("save_customer with a taken identity", _raise, caught.value)
    with pytest.raises(ConflictError) as caught:
        crm.customers.add(first)
    check_quiet("add_customer twice", _raise, caught.value)
    crm.segments.define(NAME, kind="static")
    with pytest.raises(ConflictError) as caught:
        crm.segments.define(NAME, kind="static")
    check_quiet("define_segment with a taken name", _raise, caught.value)
    renamed = crm.segments.define(EMAIL, kind="static")
    with pytest.raises(ConflictError) as caught, crm.unit_of_work() as uow:
        uow.segments.save(attrs.evolve(renamed, name=NAME))
    check_quiet("rename a segment to a taken name", _raise, caught.value)
    check_quiet("segment by unknown name", crm.segments.get, f"{NAME}?")
    check_quiet("delete unknown segment", crm.segments.delete, PHONE)


def _raise(error: BaseException) -> None:
    raise error
