"""Contract of the sales repositories' special queries, and the sales aggregates' example entities."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs

from relcore.customers.model import Customer
from relcore.ids import CustomerId, OpportunityId, PipelineId, uuid7
from relcore.registry import Store, UnitOfWork
from relcore.sales.decisions import advance, lose, open_deal
from relcore.sales.model import Opportunity, OpportunityChange
from relcore.sales.pipelines import Pipeline
from relcore.testing._contract_support import T0, ContractBase, contact, customer, in_unit, minutes

__all__ = ["SalesContract", "new_change", "new_deal", "new_pipeline", "pipeline", "stored_state"]

EXAMPLE_PIPELINE = PipelineId(UUID("018f0000-0000-7000-8000-00000000a001"))
"""The id of the pipeline the example deals run in."""
EXAMPLE_DEAL = OpportunityId(UUID("018f0000-0000-7000-8000-00000000a002"))
"""The id of the deal the example history entries belong to."""


def pipeline(name: str = "Direct", **fields: Any) -> Pipeline:
    """A pipeline created at `T0`: qualify (10%), propose (40%, best case), negotiate (70%, commit).

    Then a won and a lost stage.
    """
    fields.setdefault("created_at", T0)
    stages: list[tuple[str, str, str] | tuple[str, str, str, str]] = [
        ("qualify", "Qualify", "0.1"),
        ("propose", "Propose", "0.4", "best_case"),
        ("negotiate", "Negotiate", "0.7", "commit"),
    ]
    return Pipeline.of(name, stages, currency=fields.pop("currency", "EUR"), **fields)


def deal(customer_id: CustomerId, pipeline_id: PipelineId, **fields: Any) -> Opportunity:
    """A 1,000.00 EUR deal in ``qualify`` opened at `T0`, closing on 2024-06-30, unless told otherwise."""
    fields.setdefault("stage", "qualify")
    fields.setdefault("name", "Annual licence")
    fields.setdefault("amount", Decimal("1000.00"))
    fields.setdefault("currency", "EUR")
    fields.setdefault("close_date", date(2024, 6, 30))
    fields.setdefault("created_at", T0)
    return Opportunity(customer_id=customer_id, pipeline_id=pipeline_id, **fields)


def stored_state(uow: UnitOfWork, customers: list[Customer]) -> dict[str, object]:
    """Every pipeline, and every customer's deals with their history."""
    pipelines = uow.pipelines.list(limit=500).items
    deals = [uow.opportunities.for_owner(c.id) for c in customers]
    changes = [uow.opportunity_changes.for_owner(c.id) for c in customers]
    return {"pipelines": pipelines, "opportunities": deals, "opportunity_changes": changes}


# -- example entities for the generic aggregate contract ---------------------------------------------


def _prepare_pipeline(uow: UnitOfWork, owner: CustomerId) -> None:
    if uow.pipelines.find("Example") is None:
        uow.pipelines.add(pipeline("Example", id=EXAMPLE_PIPELINE))


def _prepare_deal(uow: UnitOfWork, owner: CustomerId) -> None:
    _prepare_pipeline(uow, owner)
    uow.opportunities.add(deal(owner, EXAMPLE_PIPELINE, id=EXAMPLE_DEAL))


def new_pipeline(owner: CustomerId, key: tuple[str] | None = None, **fields: Any) -> Pipeline:
    """A new pipeline named ``key`` (by default a name no other has); pipelines have no owner."""
    name = key[0] if key is not None else f"Pipeline {uuid7().hex[-12:]}"
    return pipeline(name, **fields)


def new_deal(owner: CustomerId, key: object = None, **fields: Any) -> Opportunity:
    """A new deal of ``owner`` in the example pipeline (deals have no unique key: ``key`` is ignored)."""
    return deal(owner, fields.pop("pipeline_id", EXAMPLE_PIPELINE), **fields)


def new_change(owner: CustomerId, key: object = None, **fields: Any) -> OpportunityChange:
    """A new history entry of the example deal (entries have no unique key: ``key`` is ignored)."""
    entry = open_deal(
        deal(owner, EXAMPLE_PIPELINE, id=EXAMPLE_DEAL), pipeline("Example", id=EXAMPLE_PIPELINE)
    )
    assert entry.change is not None
    return attrs.evolve(entry.change, id=uuid7(), **fields)


new_deal.prepare = _prepare_pipeline  # type: ignore[attr-defined]
new_change.prepare = _prepare_deal  # type: ignore[attr-defined]


class SalesContract(ContractBase):
    """The sales repositories' special queries, and every field round-tripping."""

    def test_every_field_of_a_deal_and_its_history_round_trips(self, store: Store) -> None:
        ada = customer()
        grace = contact(ada.id)
        direct = pipeline(win_probability=True, lost_reasons=["price", "timing"])
        full = deal(
            ada.id,
            direct.id,
            contact_id=grace.id,
            stage="propose",
            amount=Decimal("1234.56"),
            currency="EUR",
            close_date=date(2024, 12, 31),
            probability=Decimal("0.3725"),
            forecast_category="commit",
            owner="rep-7",
            source="referral ✉",
            campaign_id=uuid7(),
            tags=["renewal", "big"],
            attributes={"seats": 50, "nested": {"a": [1, 2]}},
        )
        opened = open_deal(full, direct)
        lost = lose(opened.opportunity, direct, reason="price", note="Too dear", at=minutes(90))
        assert opened.change is not None
        assert lost.change is not None

        def write(uow: UnitOfWork) -> None:
            uow.customers.add(ada)
            uow.contacts.add(grace)
            uow.pipelines.add(direct)
            uow.opportunities.add(opened.opportunity)
            uow.opportunity_changes.add(opened.change)  # type: ignore[arg-type]
            uow.opportunities.save(lost.opportunity)
            uow.opportunity_changes.add(lost.change)  # type: ignore[arg-type]

        in_unit(store, write)
        with store.unit_of_work() as uow:
            assert uow.pipelines.get(direct.id) == direct
            got = uow.opportunities.get(full.id)
            assert got == attrs.evolve(lost.opportunity, version=2, updated_at=got.updated_at)
            assert got.close_date == minutes(90).date()  # a lost deal closes on the day it was lost
            assert got.probability == Decimal("0.3725")
            assert uow.opportunity_changes.for_opportunity(full.id) == [opened.change, lost.change]

    def test_a_deal_without_amount_close_date_or_probability_round_trips(self, store: Store) -> None:
        ada = customer()
        direct = pipeline()
        bare = deal(ada.id, direct.id, amount=None, currency=None, close_date=None)
        opened = open_deal(bare, direct)
        assert opened.change is not None

        def write(uow: UnitOfWork) -> None:
            uow.customers.add(ada)
            uow.pipelines.add(direct)
            uow.opportunities.add(opened.opportunity)
            uow.opportunity_changes.add(opened.change)  # type: ignore[arg-type]

        in_unit(store, write)
        with store.unit_of_work() as uow:
            assert uow.opportunities.get(bare.id) == opened.opportunity
            assert uow.opportunity_changes.for_opportunity(bare.id) == [opened.change]

    def test_history_is_oldest_first_and_stage_use_is_seen(self, store: Store) -> None:
        ada = customer()
        direct, other = pipeline(), pipeline("Other")
        first = open_deal(deal(ada.id, direct.id), direct)
        moved = advance(first.opportunity, direct, "negotiate", at=minutes(5))
        assert first.change is not None
        assert moved.change is not None
        tied = [attrs.evolve(moved.change, id=uuid7(), at=minutes(3)) for _ in range(3)]

        def write(uow: UnitOfWork) -> None:
            uow.customers.add(ada)
            uow.pipelines.add(direct)
            uow.pipelines.add(other)
            uow.opportunities.add(first.opportunity)
            for entry in (moved.change, *reversed(tied), first.change):
                uow.opportunity_changes.add(entry)  # type: ignore[arg-type]

        in_unit(store, write)
        with store.unit_of_work() as uow:
            assert uow.opportunity_changes.for_opportunity(first.opportunity.id) == [
                first.change,
                *sorted(tied, key=lambda c: c.id),
                moved.change,
            ]
            assert uow.opportunity_changes.for_opportunity(OpportunityId(uuid7())) == []
            assert uow.opportunity_changes.uses_stage(direct.id, "qualify")
            assert uow.opportunity_changes.uses_stage(direct.id, "negotiate")
            assert not uow.opportunity_changes.uses_stage(direct.id, "propose")
            assert not uow.opportunity_changes.uses_stage(other.id, "qualify")

    def test_the_default_pipeline_and_a_pipelines_deals(self, store: Store) -> None:
        ada = customer()
        direct, partner = pipeline(), pipeline("Partner", default=True)
        mine = [deal(ada.id, direct.id, created_at=T0 + timedelta(minutes=i)) for i in range(5)]
        theirs = deal(ada.id, partner.id)

        def write(uow: UnitOfWork) -> None:
            uow.customers.add(ada)
            uow.pipelines.add(direct)
            assert uow.pipelines.default() is None
            uow.pipelines.add(partner)
            uow.opportunities.add_many([*mine, theirs])

        in_unit(store, write)
        with store.unit_of_work() as uow:
            assert uow.pipelines.default() == partner
            first = uow.opportunities.in_pipeline(direct.id, limit=3)
            rest = uow.opportunities.in_pipeline(direct.id, after=first.next_after, limit=3)
            assert [*first.items, *rest.items] == sorted(mine, key=lambda d: d.id)
            assert rest.next_after is None
            assert uow.opportunities.in_pipeline(partner.id).items == (theirs,)
            assert uow.opportunities.in_pipeline(PipelineId(uuid7())).items == ()
