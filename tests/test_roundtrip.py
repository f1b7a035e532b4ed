"""Every entity survives dict, JSON and every storage backend unchanged."""

from __future__ import annotations

import json
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore.domain import ConsentRecord, Contact, Customer, Identity, Touchpoint, Transaction
from relcore.registry import Store
from relcore.serialization import from_dict, from_json, to_dict, to_json
from relcore.testing import strategies as s
from tests.conftest import StoreFactory

ENTITIES = st.one_of(s.customers(), s.contacts(), s.consent_records(), s.touchpoints(), s.transactions())
JSON_TYPES = (dict, list, str, int, float, bool, type(None))


def only_json_types(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and only_json_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(only_json_types(v) for v in value)
    return isinstance(value, JSON_TYPES)


@settings(max_examples=150, deadline=None)
@given(ENTITIES)
def test_dict_round_trip(entity: object) -> None:
    data = to_dict(entity)
    assert only_json_types(data)
    assert from_dict(type(entity), data) == entity


@settings(max_examples=75, deadline=None)
@given(ENTITIES)
def test_json_round_trip(entity: object) -> None:
    text = to_json(entity)
    assert json.loads(text) == to_dict(entity)
    assert from_json(type(entity), text) == entity


def unique(entity: Any, tag: str) -> Any:
    """Make keys unique to one example, as examples share a store."""
    if isinstance(entity, Customer):
        return attrs.evolve(
            entity, identities=[Identity(i.namespace, i.value + tag) for i in entity.identities]
        )
    if isinstance(entity, Touchpoint | Transaction) and entity.external_id is not None:
        return attrs.evolve(entity, external_id=entity.external_id[:150] + tag)
    return entity


@st.composite
def customer_with_history(draw: st.DrawFn) -> tuple[Customer, list[Any]]:
    customer = draw(s.customers())
    tag = customer.id.hex
    customer = unique(customer, tag)
    others = [
        *draw(st.lists(s.contacts(customer.id), max_size=2)),
        *draw(st.lists(s.consent_records(customer.id), max_size=2)),
        *draw(
            st.lists(s.touchpoints(customer.id), max_size=3, unique_by=lambda t: (t.source, t.external_id))
        ),
        *draw(
            st.lists(s.transactions(customer.id), max_size=3, unique_by=lambda t: (t.source, t.external_id))
        ),
    ]
    return customer, [unique(e, tag) for e in others]


def read_back(store: Store, entity: object) -> object:
    with store.unit_of_work() as uow:
        match entity:
            case Customer():
                return uow.customers.get(entity.id)
            case Contact():
                return uow.contacts.get(entity.id)
            case ConsentRecord():
                return next(r for r in uow.consents.for_customer(entity.customer_id) if r.id == entity.id)
            case Touchpoint():
                return uow.touchpoints.get(entity.id)
            case Transaction():
                return uow.transactions.get(entity.id)
    raise AssertionError(entity)


def test_storage_round_trip(store_factory: StoreFactory) -> None:
    store = store_factory()

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(customer_with_history())
    def round_trip(history: tuple[Customer, list[Any]]) -> None:
        customer, others = history
        with store.unit_of_work() as uow:
            uow.customers.add(customer)
            for entity in others:
                match entity:
                    case Contact():
                        uow.contacts.add(entity)
                    case ConsentRecord():
                        uow.consents.add(entity)
                    case Touchpoint():
                        uow.touchpoints.add(entity)
                    case Transaction():
                        uow.transactions.add(entity)
            uow.commit()
        for entity in [customer, *others]:
            assert read_back(store, entity) == entity

    round_trip()
