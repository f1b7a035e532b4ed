"""Contract of lookups by key: keys compare exactly and lookup arguments are typed.

Identities, idempotency keys ``(source, external_id)`` and segment names are
compared code point for code point: keys that differ only by trailing spaces,
case or Unicode normalization (NFC / NFD) are different keys, each found by
itself and never by the others. A lookup argument of the wrong type, or text
no key can hold, is refused with a `ValidationError` naming the argument
(never repeating the value) before any query, so no backend can coerce ``0``
or ``1001`` into matching a stored text key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from relcore.errors import ValidationError
from relcore.registry import Store, UnitOfWork
from relcore.segments.model import Segment
from relcore.testing._contract_support import (
    T0,
    ContractBase,
    customer,
    in_unit,
    snapshot,
    stored,
    touchpoint,
    transaction,
)

__all__ = ["KeyContract"]

NEAR_KEYS = (
    "1001",
    "1001 ",
    "1001  ",
    " 1001",
    "1001\t",
    "1001x",
    "abc",
    "ABC",
    "Abc",
    "Zo\u00eb",  # NFC
    "Zoe\u0308",  # NFD: the same text to a reader
    "stra\u00dfe",
    "strasse",
    "STRASSE",
)
"""Keys that case-insensitive, accent-folding or space-padding comparisons would merge."""

WRONG_TYPES = (0, 1, 1001, 1.5, True, False, None, b"abc", bytearray(b"abc"), ("abc",))
"""Lookup arguments that are not text (each equal, somewhere, to a stored text key)."""

_STORED_LOOKALIKES = ("abc", "0", "1", "1001", "1001x", "1.5", "True", "False", "None", "b'abc'")
"""Text keys that a coercing database could match with one of `WRONG_TYPES`."""

_MARK = "zelda-7f3@example.org"
UNSTORABLE = (f"{_MARK}\x00", f"{_MARK}\ud800", _MARK * 20)
"""Text no key can hold: a NUL, an unpaired surrogate, longer than any key column."""


def _refused(store: Store, lookup: Callable[[UnitOfWork], object], path: str) -> str:
    """Assert ``lookup`` raises a ValidationError on ``path``; return its message."""
    with pytest.raises(ValidationError) as caught:
        in_unit(store, lookup, commit=False)
    assert caught.value.paths == (path,)
    return str(caught.value)


class KeyContract(ContractBase):
    """Keys compare exactly; lookups refuse wrongly typed or unstorable arguments."""

    def test_identities_differing_only_by_spaces_case_or_normalization_are_distinct(
        self, store: Store
    ) -> None:
        people = [customer(f"Customer {i}", identities=[("shop", key)]) for i, key in enumerate(NEAR_KEYS)]
        for person in people:
            stored(store, person)  # a ConflictError here means two keys compared equal
        with store.unit_of_work() as uow:
            for person, key in zip(people, NEAR_KEYS, strict=True):
                assert uow.customers.find_by_identity("shop", key) == person, repr(key)

    def test_an_identity_is_found_by_itself_only(self, store: Store) -> None:
        ada = customer(identities=[("shop", "1001"), ("shop", "abc"), ("shop", "Zo\u00eb")])
        stored(store, ada)
        with store.unit_of_work() as uow:
            for namespace, value in [
                ("shop", "1001 "),
                ("shop", " 1001"),
                ("shop", "1001x"),
                ("shop", "ABC"),
                ("shop", "abc "),
                ("shop", "Zoe\u0308"),
                ("shop ", "1001"),
                ("SHOP", "1001"),
            ]:
                assert uow.customers.find_by_identity(namespace, value) is None, (namespace, value)
            assert uow.customers.find_by_identity("shop", "1001") == ada

    @pytest.mark.parametrize("wrong", WRONG_TYPES, ids=repr)
    def test_identity_lookup_refuses_a_wrongly_typed_argument(self, store: Store, wrong: Any) -> None:
        ada = customer(identities=[("shop", key) for key in _STORED_LOOKALIKES])
        stored(store, ada)
        _refused(store, lambda uow: uow.customers.find_by_identity(wrong, "abc"), "namespace")
        _refused(store, lambda uow: uow.customers.find_by_identity("shop", wrong), "value")

    @pytest.mark.parametrize("text", UNSTORABLE, ids=["nul", "surrogate", "too-long"])
    def test_identity_lookup_refuses_text_no_key_holds(self, store: Store, text: str) -> None:
        found = (
            (lambda uow: uow.customers.find_by_identity(text, "abc"), "namespace"),
            (
                lambda uow: uow.customers.find_by_identity("shop", text),
                "value",
            ),
        )
        for lookup, path in found:
            assert _MARK not in _refused(store, lookup, path)

    @pytest.mark.parametrize("kind", ["touchpoint", "transaction"])
    def test_event_keys_differing_only_by_spaces_case_or_normalization_are_distinct(
        self, store: Store, kind: str
    ) -> None:
        make, repo = _EVENTS[kind]
        ada = customer()
        stored(store, ada)
        first, padded = make(ada.id, external_id="X-1"), make(ada.id, external_id="X-1 ")
        assert in_unit(store, lambda uow: repo(uow).add(first)) is True
        assert in_unit(store, lambda uow: repo(uow).add(padded)) is True  # new, not a repeat
        batch = [make(ada.id, external_id=key) for key in ("Y0", "Y0 ", "Y1")]
        assert in_unit(store, lambda uow: repo(uow).add_many(batch)) == 3
        near = [make(ada.id, source="feed", external_id=key) for key in NEAR_KEYS]
        assert in_unit(store, lambda uow: repo(uow).add_many(near, chunk_size=5)) == len(near)
        assert in_unit(store, lambda uow: repo(uow).add_many(near)) == 0
        sources = [make(ada.id, source=source, external_id="k") for source in ("feed ", "Feed", " feed")]
        assert in_unit(store, lambda uow: repo(uow).add_many(sources)) == 3
        with store.unit_of_work() as uow:
            for entry in [first, padded, *batch, *near, *sources]:
                assert repo(uow).find_by_key(entry.source, entry.external_id) == entry
            assert repo(uow).find_by_key("contract", "X-1  ") is None
            assert repo(uow).find_by_key("contract ", "X-1") is None

    @pytest.mark.parametrize("kind", ["touchpoint", "transaction"])
    @pytest.mark.parametrize("wrong", WRONG_TYPES, ids=repr)
    def test_event_key_lookup_refuses_a_wrongly_typed_argument(
        self, store: Store, kind: str, wrong: Any
    ) -> None:
        make, repo = _EVENTS[kind]
        ada = customer()
        stored(store, ada)
        entries = [make(ada.id, source=key, external_id=key) for key in _STORED_LOOKALIKES]
        in_unit(store, lambda uow: repo(uow).add_many(entries))
        _refused(store, lambda uow: repo(uow).find_by_key(wrong, "abc"), "source")
        _refused(store, lambda uow: repo(uow).find_by_key("abc", wrong), "external_id")

    @pytest.mark.parametrize("kind", ["touchpoint", "transaction"])
    @pytest.mark.parametrize("text", UNSTORABLE, ids=["nul", "surrogate", "too-long"])
    def test_event_key_lookup_refuses_text_no_key_holds(self, store: Store, kind: str, text: str) -> None:
        repo = _EVENTS[kind][1]
        assert _MARK not in _refused(store, lambda uow: repo(uow).find_by_key(text, "k"), "source")
        assert _MARK not in _refused(store, lambda uow: repo(uow).find_by_key("feed", text), "external_id")

    def test_segment_names_differing_only_by_spaces_case_or_normalization_are_distinct(
        self, store: Store
    ) -> None:
        names = ("vip", "vip ", "VIP", " vip", *NEAR_KEYS)
        segments = [_static(name) for name in names]
        for segment in segments:
            _add_segments(store, segment)  # a ConflictError here means two names compared equal
        with store.unit_of_work() as uow:
            for segment in segments:
                assert uow.segments.find_by_name(segment.name) == segment, repr(segment.name)
            assert uow.segments.find_by_name("vip  ") is None
            assert sorted(s.name for s in uow.segments.list()) == sorted(names)

    @pytest.mark.parametrize("wrong", WRONG_TYPES, ids=repr)
    def test_segment_lookup_refuses_a_wrongly_typed_name(self, store: Store, wrong: Any) -> None:
        _add_segments(store, *(_static(name) for name in _STORED_LOOKALIKES))
        _refused(store, lambda uow: uow.segments.find_by_name(wrong), "name")

    @pytest.mark.parametrize("text", UNSTORABLE, ids=["nul", "surrogate", "too-long"])
    def test_segment_lookup_refuses_text_no_name_holds(self, store: Store, text: str) -> None:
        assert _MARK not in _refused(store, lambda uow: uow.segments.find_by_name(text), "name")

    @pytest.mark.parametrize("wrong", WRONG_TYPES, ids=repr)
    def test_contact_lookups_refuse_a_wrongly_typed_argument(self, store: Store, wrong: Any) -> None:
        _refused(store, lambda uow: uow.contacts.find_by_email(wrong), "email")
        _refused(store, lambda uow: uow.contacts.find_by_phone(wrong), "phone")
        if wrong is not None:  # region=None means "the number has its + prefix"
            _refused(store, lambda uow: uow.contacts.find_by_phone("+14155550123", region=wrong), "region")

    # a fixed id: workers of pytest-xdist must collect the same parameters
    @pytest.mark.parametrize("wrong", [*WRONG_TYPES, "01890a5d-ac96-774b-bcce-b302099a8057"], ids=repr)
    def test_id_lookups_refuse_a_wrongly_typed_id(self, store: Store, wrong: Any) -> None:
        stored(store, customer())
        before = snapshot(store)
        lookups: list[tuple[str, Callable[[UnitOfWork], object]]] = [
            ("customer_id", lambda uow: uow.customers.get(wrong)),
            ("after", lambda uow: uow.customers.list(after=wrong)),
            ("contact_id", lambda uow: uow.contacts.get(wrong)),
            ("customer_id", lambda uow: uow.contacts.for_customer(wrong)),
            ("customer_id", lambda uow: uow.consents.for_customer(wrong)),
            ("touchpoint_id", lambda uow: uow.touchpoints.get(wrong)),
            ("transaction_id", lambda uow: uow.transactions.get(wrong)),
            ("customer_id", lambda uow: uow.touchpoints.for_customer(wrong)),
            ("customer_id", lambda uow: uow.transactions.for_customer(wrong)),
            ("customer_id", lambda uow: uow.activity.timeline(wrong)),
            ("segment_id", lambda uow: uow.segments.get(wrong)),
            ("customer_id", lambda uow: uow.metrics.get(wrong)),
        ]
        if wrong is None:  # None is "from the start" for a page
            lookups.pop(1)
        for path, lookup in lookups:
            _refused(store, lookup, path)
        assert snapshot(store) == before


def _static(name: str) -> Segment:
    return Segment(name=name, kind="static", created_at=T0)


def _add_segments(store: Store, *segments: Segment) -> None:
    def add(uow: UnitOfWork) -> None:
        for segment in segments:
            uow.segments.add(segment)

    in_unit(store, add)


_EVENTS: dict[str, tuple[Callable[..., Any], Callable[[UnitOfWork], Any]]] = {
    "touchpoint": (touchpoint, lambda uow: uow.touchpoints),
    "transaction": (transaction, lambda uow: uow.transactions),
}
"""How to make an entry of each kind, and its repository."""
