"""The generic contract of one declared aggregate: what every repository of it must do.

[`AggregateContract`][relcore.testing.contracts.AggregateContract] reads the
[Aggregate][relcore.registry.Aggregate] declaration and checks, on any store
that serves it: add and get, a stored id refused, idempotent add and add_many
on the unique key, owner and reference checks (a refused chunk leaves nothing
behind), version-checked save, keyset pages, per-owner lists, rollback, the
JSON round trip of the entity and bad input refused with a
[ValidationError][relcore.errors.ValidationError]. It holds the generic
repositories to the declaration, and any hand-written adapter that claims
[AggregateRepository][relcore.storage.base.AggregateRepository].
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import attrs
import pytest

from relcore._kernel.declarations import Aggregate
from relcore.errors import ConfigurationError, ConflictError, NotFoundError, ValidationError
from relcore.ids import CustomerId, uuid7
from relcore.registry import Store, UnitOfWork
from relcore.serialization import from_dict, to_dict
from relcore.storage.base import Page
from relcore.testing._contract_support import ContractBase, customer, in_unit, snapshot

__all__ = ["AggregateContract", "EntityFactory"]

EntityFactory = Callable[..., Any]
"""Makes a valid, new entity: ``make(owner_id, key=None, **fields)``.

``key`` gives the values of the aggregate's first unique key (``None``:
values no other entity holds); ``fields`` override other fields. A factory
whose entities refer to other entities has a ``prepare(uow, owner_id)``
attribute that stores them (once per test, after the owner).
"""


class AggregateContract(ContractBase):
    """The contract of one aggregate. Subclass it with three fixtures.

    ``store_factory`` (as for every contract: a fresh store that serves the
    aggregate), ``aggregate`` (its declaration) and ``make_entity`` (an
    [EntityFactory][relcore.testing._contract_aggregate.EntityFactory]).
    """

    @pytest.fixture
    def owner(self, store: Store, make_entity: EntityFactory) -> CustomerId:
        """A stored customer owning the entities, and what the factory's entities refer to.

        A factory whose entities refer to other stored entities (a deal to its
        pipeline) has a ``prepare(uow, owner_id)`` attribute storing them.
        """
        ada = customer()
        prepare = getattr(make_entity, "prepare", None)

        def setup(uow: UnitOfWork) -> None:
            uow.customers.add(ada)
            if prepare is not None:
                prepare(uow, ada.id)

        in_unit(store, setup)
        return ada.id

    def test_an_added_entity_is_read_back(
        self, store: Store, aggregate: Aggregate[Any], make_entity: EntityFactory, owner: CustomerId
    ) -> None:
        entity = make_entity(owner)
        assert in_unit(store, lambda uow: uow.repo(aggregate).add(entity)) is True
        assert in_unit(store, lambda uow: uow.repo(aggregate).get(entity.id), commit=False) == entity
        assert in_unit(store, lambda uow: uow.repo(aggregate).count(), commit=False) == 1

    def test_get_of_an_unknown_id_raises_not_found_and_a_bad_id_is_refused(
        self, store: Store, aggregate: Aggregate[Any]
    ) -> None:
        with pytest.raises(NotFoundError):
            in_unit(store, lambda uow: uow.repo(aggregate).get(uuid7()), commit=False)
        with pytest.raises(ValidationError):
            in_unit(store, lambda uow: uow.repo(aggregate).get("not an id"), commit=False)

    def test_a_stored_id_is_a_conflict(
        self, store: Store, aggregate: Aggregate[Any], make_entity: EntityFactory, owner: CustomerId
    ) -> None:
        entity = make_entity(owner)
        in_unit(store, lambda uow: uow.repo(aggregate).add(entity))
        again = attrs.evolve(make_entity(owner), id=entity.id)
        with pytest.raises(ConflictError):
            in_unit(store, lambda uow: uow.repo(aggregate).add(again))

    def test_the_unique_key_makes_adding_idempotent(
        self, store: Store, aggregate: Aggregate[Any], make_entity: EntityFactory, owner: CustomerId
    ) -> None:
        if not aggregate.unique:
            pytest.skip(f"{aggregate.name} declares no unique key")
        first = make_entity(owner)
        key = tuple(getattr(first, name) for name in aggregate.unique[0])
        twin = make_entity(owner, key=key)
        batch = [make_entity(owner) for _ in range(4)]
        assert in_unit(store, lambda uow: uow.repo(aggregate).add(first)) is True
        assert in_unit(store, lambda uow: uow.repo(aggregate).add(twin)) is False
        assert in_unit(store, lambda uow: uow.repo(aggregate).add_many([*batch, batch[0]], chunk_size=3)) == 4
        assert in_unit(store, lambda uow: uow.repo(aggregate).add_many(batch)) == 0
        assert in_unit(store, lambda uow: uow.repo(aggregate).count(), commit=False) == 5
        found = in_unit(store, lambda uow: uow.repo(aggregate).find(*key), commit=False)
        assert found == first

    def test_an_unknown_owner_refuses_the_whole_chunk(
        self, store: Store, aggregate: Aggregate[Any], make_entity: EntityFactory, owner: CustomerId
    ) -> None:
        if aggregate.owner is None:
            pytest.skip(f"{aggregate.name} has no owner")
        stray = make_entity(CustomerId(uuid7()))
        with pytest.raises(NotFoundError):
            in_unit(store, lambda uow: uow.repo(aggregate).add_many([make_entity(owner), stray]))
        assert in_unit(store, lambda uow: uow.repo(aggregate).count(), commit=False) == 0

    def test_unknown_references_are_refused(
        self, store: Store, aggregate: Aggregate[Any], make_entity: EntityFactory, owner: CustomerId
    ) -> None:
        if not aggregate.references:
            pytest.skip(f"{aggregate.name} declares no references")
        for name, _ in aggregate.references:
            stray = make_entity(owner, **{name: uuid7()})

            def add_stray(uow: UnitOfWork, entity: Any = stray) -> bool:
                return bool(uow.repo(aggregate).add(entity))

            with pytest.raises(NotFoundError):
                in_unit(store, add_stray)
        assert in_unit(store, lambda uow: uow.repo(aggregate).count(), commit=False) == 0

    def test_save_is_version_checked_or_refused_when_append_only(
        self, store: Store, aggregate: Aggregate[Any], make_entity: EntityFactory, owner: CustomerId
    ) -> None:
        entity = make_entity(owner)
        in_unit(store, lambda uow: uow.repo(aggregate).add(entity))
        if aggregate.append_only:
            with pytest.raises(ConfigurationError, match="append-only"):
                in_unit(store, lambda uow: uow.repo(aggregate).save(entity))
            assert in_unit(store, lambda uow: uow.repo(aggregate).get(entity.id), commit=False) == entity
            return
        saved = in_unit(store, lambda uow: uow.repo(aggregate).save(entity))
        assert in_unit(store, lambda uow: uow.repo(aggregate).get(entity.id), commit=False) == saved
        if aggregate.versioned:
            assert saved.version == entity.version + 1
            with pytest.raises(ConflictError):
                in_unit(store, lambda uow: uow.repo(aggregate).save(entity))  # stale version
        with pytest.raises(NotFoundError):
            in_unit(store, lambda uow: uow.repo(aggregate).save(make_entity(owner)))

    def test_pages_walk_every_entity_in_id_order(
        self, store: Store, aggregate: Aggregate[Any], make_entity: EntityFactory, owner: CustomerId
    ) -> None:
        entities = [make_entity(owner) for _ in range(7)]
        in_unit(store, lambda uow: uow.repo(aggregate).add_many(entities))
        seen: list[Any] = []
        after: UUID | None = None
        while True:

            def read_page(uow: UnitOfWork, start: UUID | None = after) -> Page[Any]:
                return uow.repo(aggregate).list(after=start, limit=3)  # type: ignore[no-any-return]

            page = in_unit(store, read_page, commit=False)
            seen += page.items
            if page.next_after is None:
                break
            after = page.next_after
        assert seen == sorted(entities, key=lambda e: e.id)
        if aggregate.owner is not None:
            mine = in_unit(store, lambda uow: uow.repo(aggregate).for_owner(owner), commit=False)
            assert mine == seen
            assert in_unit(store, lambda uow: uow.repo(aggregate).for_owner(uuid7()), commit=False) == []

    def test_rollback_leaves_every_aggregate_as_it_was(
        self, store: Store, aggregate: Aggregate[Any], make_entity: EntityFactory, owner: CustomerId
    ) -> None:
        before = snapshot(store)
        count = in_unit(store, lambda uow: uow.repo(aggregate).count(), commit=False)
        in_unit(
            store,
            lambda uow: uow.repo(aggregate).add_many([make_entity(owner) for _ in range(3)]),
            commit=False,
        )
        assert snapshot(store) == before
        assert in_unit(store, lambda uow: uow.repo(aggregate).count(), commit=False) == count

    def test_the_entity_round_trips_through_json(self, make_entity: EntityFactory, owner: CustomerId) -> None:
        entity = make_entity(owner)
        assert from_dict(type(entity), to_dict(entity)) == entity

    def test_what_is_not_an_entity_is_refused_before_storage(
        self, store: Store, aggregate: Aggregate[Any], make_entity: EntityFactory, owner: CustomerId
    ) -> None:
        with pytest.raises(ValidationError):
            in_unit(store, lambda uow: uow.repo(aggregate).add_many([make_entity(owner), "a row"]))
        with pytest.raises(ConfigurationError if aggregate.append_only else ValidationError):
            in_unit(store, lambda uow: uow.repo(aggregate).save("a row"))
        assert in_unit(store, lambda uow: uow.repo(aggregate).count(), commit=False) == 0
