"""Sales use cases: pipelines and the operations on deals, against the ports only.

Every operation on a deal reads it and its pipeline, asks the pure decision
([relcore.sales.decisions][]), then stores the changed deal (version-checked)
and appends its history entry in the same unit of work, and records the
events for after the commit. A failed check leaves the store unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_instance
from relcore.errors import ConflictError
from relcore.ids import OpportunityId
from relcore.sales.decisions import Decision, open_deal
from relcore.sales.model import Opportunity
from relcore.sales.pipelines import Pipeline, StageOutcome
from relcore.sales.ports import SalesWork

__all__ = ["TRACKED", "add_pipeline", "open_opportunity", "operate", "save_opportunity", "save_pipeline"]

TRACKED = (
    "pipeline_id",
    "stage",
    "outcome",
    "amount",
    "currency",
    "close_date",
    "closed_at",
    "probability",
    "forecast_category",
    "category",
    "lost_reason",
    "lost_note",
    "customer_id",
    "created_at",
    "stage_entered_at",
    "changed_at",
)
"""Opportunity fields only the sales operations change (``save`` refuses to)."""


def _only_default(uow: SalesWork, pipeline: Pipeline) -> None:
    """Make ``pipeline`` the only default one: the previous default stops being it."""
    current = uow.pipelines.default()
    if pipeline.default and current is not None and current.id != pipeline.id:
        uow.pipelines.save(attrs.evolve(current, default=False))


def add_pipeline(uow: SalesWork, pipeline: Pipeline) -> Pipeline:
    """Store a new pipeline; a new default one replaces the previous default.

    Raises:
        ConflictError: Another pipeline has its name, or its id is stored.
    """
    check_instance("pipeline", pipeline, Pipeline)
    if uow.pipelines.find(pipeline.name) is not None:
        raise ConflictError("another pipeline has this name")
    _only_default(uow, pipeline)
    uow.pipelines.add(pipeline)
    return pipeline


def save_pipeline(uow: SalesWork, pipeline: Pipeline) -> Pipeline:
    """Store a changed pipeline (version-checked); return the stored one.

    A stage any deal is or was in cannot be removed (deactivate it) and keeps
    its outcome. The open deals of a stage whose forecast category changed,
    and that have no manual category, count in the new one (their
    ``category``; their versions do not change).

    Raises:
        ValidationError: A stage in use was removed or changed its outcome.
        ConflictError: Stale version, or another pipeline has its name.
        NotFoundError: The pipeline was never added.
    """
    check_instance("pipeline", pipeline, Pipeline)
    stored = uow.pipelines.get(pipeline.id)
    for old in stored.stages:
        new = pipeline.find_stage(old.key)
        if (new is None or new.outcome is not old.outcome) and uow.opportunity_changes.uses_stage(
            pipeline.id, old.key
        ):
            problem = "is removed" if new is None else "changes its outcome"
            raise check.fail("stages", f"stage {old.key!r} {problem} but deals use it; deactivate it instead")
    named = uow.pipelines.find(pipeline.name)
    if named is not None and named.id != pipeline.id:
        raise ConflictError("another pipeline has this name")
    _only_default(uow, pipeline)
    saved = uow.pipelines.save(pipeline)
    for old in stored.stages:
        new = pipeline.find_stage(old.key)
        if (
            new is not None
            and new.outcome is StageOutcome.OPEN
            and new.forecast_category is not old.forecast_category
        ):
            uow.opportunities.recategorize(pipeline.id, new.key, new.forecast_category)
    return saved


def _check_contact(uow: SalesWork, deal: Opportunity) -> None:
    if deal.contact_id is None:
        return
    contact = uow.contacts.get(deal.contact_id)
    if contact.customer_id != deal.customer_id:
        raise check.fail("contact_id", "the contact is not the deal's customer's")


def _store(uow: SalesWork, decision: Decision) -> Opportunity:
    """Store a decision about a stored deal: the deal (version-checked), its history entry, its events."""
    if decision.change is None:
        return decision.opportunity
    saved = uow.opportunities.save(decision.opportunity)
    uow.opportunity_changes.add(decision.change)
    for event in decision.events:
        uow.record(event)
    return saved


def open_opportunity(uow: SalesWork, deal: Opportunity, actor: str | None = None) -> Opportunity:
    """Store a new deal and the first entry of its history.

    Raises:
        NotFoundError: Its customer, contact or pipeline does not exist.
        ConflictError: Its id is stored.
        ValidationError: Its stage is not an open, active stage of the pipeline, or lacks required fields.
    """
    check_instance("opportunity", deal, Opportunity)
    pipeline = uow.pipelines.get(deal.pipeline_id)
    decision = open_deal(deal, pipeline, actor=actor)
    _check_contact(uow, deal)
    opened = decision.opportunity
    uow.opportunities.add(opened)
    assert decision.change is not None
    uow.opportunity_changes.add(decision.change)
    for event in decision.events:
        uow.record(event)
    return opened


def operate(
    uow: SalesWork,
    opportunity_id: OpportunityId,
    version: int | None,
    decide: Callable[[Opportunity, Pipeline], Decision],
) -> Opportunity:
    """Run one operation on a stored deal: ``decide(deal, pipeline)``, then store what it decided.

    Raises:
        NotFoundError: No such deal.
        ConflictError: ``version`` is given and the deal's differs, or another writer changed it meanwhile.
    """
    deal = uow.opportunities.get(opportunity_id)
    if version is not None and deal.version != version:
        raise ConflictError(f"opportunity {deal.id} was changed by someone else")
    return _store(uow, decide(deal, uow.pipelines.get(deal.pipeline_id)))


def save_opportunity(uow: SalesWork, deal: Opportunity) -> Opportunity:
    """Store a deal's untracked fields (name, contact, owner, source, campaign, tags, attributes).

    Raises:
        ValidationError: A tracked field (stage, amount...) differs from the stored deal's;
            the sales operations change those.
        ConflictError: Stale version.
        NotFoundError: The deal was never opened.
    """
    check_instance("opportunity", deal, Opportunity)
    stored = uow.opportunities.get(deal.id)
    for name in TRACKED:
        if getattr(deal, name) != getattr(stored, name):
            raise check.fail(
                name, "changes only through the sales operations (advance, win, change_amount...)"
            )
    _check_contact(uow, deal)
    return uow.opportunities.save(deal)
