# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Opportunities, their append-only history, and the sales context's events.

An [Opportunity][relcore.sales.Opportunity] is a deal with one customer,
in one stage of one pipeline. Every change of its stage, amount, close date,
probability or forecast category is recorded as an
[OpportunityChange][relcore.sales.OpportunityChange], never rewritten: each
change holds the tracked fields as they were after it and before it, so the
book can be rebuilt as it stood at any past moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent, version_field
from relcore._kernel.money import check_currency, to_minor_units
from relcore.clock import system_clock
from relcore.customers.model import version_converter
from relcore.ids import (
    CampaignId,
    ContactId,
    CustomerId,
    OpportunityChangeId,
    OpportunityId,
    PipelineId,
    new_id,
)
from relcore.sales.pipelines import ForecastCategory, StageOutcome, check_key, check_probability

__all__ = [
    "MAX_DEAL_MINOR_UNITS",
    "ChangeKind",
    "check_amount",
    "check_date",
    "check_money",
    "ordered",
    "Opportunity",
    "OpportunityChange",
    "OpportunityLost",
    "OpportunityOpened",
    "OpportunityReopened",
    "OpportunityStageChanged",
    "OpportunityUpdated",
    "OpportunityWon",
]


def _optional_probability(value: object, field: attrs.Attribute) -> Decimal | None:  # type: ignore[type-arg]
    return None if value is None else check_probability(field.name, value)


def check_amount(field: str, value: object) -> Decimal | None:
    """Return ``value`` as a deal's amount: ``None`` or an exact, non-negative `Decimal`."""
    if value is None:
        return None
    amount = check.decimal_value(field, value)
    if amount < 0:
        raise check.fail(field, "must not be negative")
    return amount + 0


def _optional_amount(value: object, field: attrs.Attribute) -> Decimal | None:  # type: ignore[type-arg]
    return check_amount(field.name, value)


def _optional_currency(value: object, field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
    return None if value is None else check_currency(field.name, value)


def _tags_converter(value: object, field: attrs.Attribute) -> tuple[str, ...]:  # type: ignore[type-arg]
    return tuple(sorted(check.tags.converter(value, field)))  # type: ignore[attr-defined]


def check_date(field: str, value: object) -> date | None:
    """Return ``value`` as a calendar date (a `date` or ISO ``YYYY-MM-DD`` text), or ``None``."""
    if value is None:
        return None
    if isinstance(value, str):
        text = check.exact_str(value)
        try:
            value = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            value = None
        if value is None:
            raise check.fail(field, "expected an ISO date, YYYY-MM-DD")
    if isinstance(value, datetime) or not isinstance(value, date):
        raise check.fail(field, f"expected a date, got {check.kind(value)}")
    if not check.MIN_YEAR <= value.year <= check.MAX_YEAR:
        raise check.fail(field, f"the year must be from {check.MIN_YEAR} to {check.MAX_YEAR}")
    return value


def _optional_date(value: object, field: attrs.Attribute) -> date | None:  # type: ignore[type-arg]
    return check_date(field.name, value)


def _key(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    return check_key(field.name, value)


def _optional_key(value: object, field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
    return None if value is None else check_key(field.name, value)


probability_field = attrs.Converter(_optional_probability, takes_field=True)
amount_field = attrs.Converter(_optional_amount, takes_field=True)
currency_field = attrs.Converter(_optional_currency, takes_field=True)
date_field = attrs.Converter(_optional_date, takes_field=True)
key_field = attrs.Converter(_key, takes_field=True)
optional_key_field = attrs.Converter(_optional_key, takes_field=True)


MAX_DEAL_MINOR_UNITS = 10**14
"""The largest deal amount, in minor units (a trillion euros): times a probability in basis points it
still fits a 64-bit integer, so databases add weighted amounts exactly."""


def check_money(amount: Decimal | None, currency: str | None, *, field: str = "amount") -> None:
    """Refuse a bad deal amount.

    That is an amount without a currency (or the reverse), with more decimals
    than the currency has, or past
    [MAX_DEAL_MINOR_UNITS][relcore.sales.model.MAX_DEAL_MINOR_UNITS].
    """
    if (amount is None) != (currency is None):
        raise check.fail(field if amount is None else "currency", "amount and currency go together")
    units = None if amount is None or currency is None else to_minor_units(amount, currency, field=field)
    if units is not None and units > MAX_DEAL_MINOR_UNITS:
        raise check.fail(field, "larger than the largest deal amount (10^14 minor units)")


@attrs.frozen(kw_only=True)
class Opportunity:
    """A deal: what we hope to sell one customer, where it stands, and how likely it is.

    Open one with ``crm.sales.open``; its stage, amount, close date and
    probability then change only through the sales operations (``advance``,
    ``win``, ``lose``, ``reopen``, ``set_probability``...), which write its
    history. Other fields (name, owner, tags...) change with `attrs.evolve` and
    ``crm.sales.save``.

    Attributes:
        id: Time-ordered UUID.
        customer_id: The customer the deal is with.
        contact_id: The person we deal with there, if known.
        pipeline_id: The pipeline it runs in.
        stage: Key of its current stage.
        outcome: Open, won or lost: its stage's outcome, kept with it.
        name: What the deal is (``"50 seats, annual"``).
        amount: Its value, exact and not negative, if known.
        currency: The amount's ISO 4217 currency (set exactly when the amount is).
        close_date: When it is expected to close (a calendar date); once won or lost, the date
            it closed on, in its pipeline's time zone.
        closed_at: When it was won or lost; unset while open.
        probability: A manual probability that overrides the automatic one (``None``: automatic).
        forecast_category: A manual forecast category that overrides its stage's.
        category: The category it counts in, kept by the sales operations (and by a pipeline
            whose stage changes category): ``closed`` when won, ``omitted`` when lost, else its
            manual category, else its stage's. Rules test it:
            ``opportunities(outcome == "open", category == "commit")``.
        owner: The host's id of the person responsible.
        source: Where the deal came from (``"web"``, ``"referral"``).
        campaign_id: The campaign that brought it.
        lost_reason: Why it was lost (one of its pipeline's reasons); set exactly when lost.
        lost_note: Free text about the loss.
        tags: Free labels, kept sorted.
        attributes: Custom attributes, a JSON object.
        stage_entered_at: When it entered its current stage.
        changed_at: When its last recorded change happened (its history is in this order).
        created_at: When it was opened.
        updated_at: When it was last saved (the store's clock).
        version: Stored version, increased by each save.
    """

    id: OpportunityId = attrs.field(factory=lambda: OpportunityId(new_id()), converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    contact_id: ContactId | None = attrs.field(default=None, converter=check.optional_uuid)
    pipeline_id: PipelineId = attrs.field(converter=check.uuid)
    stage: str = attrs.field(converter=key_field)
    outcome: StageOutcome = attrs.field(
        default=StageOutcome.OPEN, converter=check.enum_converter(StageOutcome)
    )
    name: str = attrs.field(converter=check.text(200))
    amount: Decimal | None = attrs.field(default=None, converter=amount_field)
    currency: str | None = attrs.field(default=None, converter=currency_field)
    close_date: date | None = attrs.field(default=None, converter=date_field)
    closed_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    probability: Decimal | None = attrs.field(default=None, converter=probability_field)
    forecast_category: ForecastCategory | None = attrs.field(
        default=None, converter=check.optional_enum_converter(ForecastCategory)
    )
    category: ForecastCategory = attrs.field(converter=check.enum_converter(ForecastCategory))
    owner: str | None = attrs.field(default=None, converter=check.optional_text(100))
    source: str | None = attrs.field(default=None, converter=check.optional_text(100))
    campaign_id: CampaignId | None = attrs.field(default=None, converter=check.optional_uuid)
    lost_reason: str | None = attrs.field(default=None, converter=optional_key_field)
    lost_note: str | None = attrs.field(default=None, converter=check.optional_text(2000))
    tags: tuple[str, ...] = attrs.field(
        default=(), converter=attrs.Converter(_tags_converter, takes_field=True)
    )
    attributes: dict[str, Any] = attrs.field(factory=dict, converter=check.json_object)
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    stage_entered_at: datetime = attrs.field(converter=check.aware)
    changed_at: datetime = attrs.field(converter=check.aware)
    updated_at: datetime = attrs.field(converter=check.aware)
    version: int = attrs.field(default=1, converter=version_converter)

    @category.default
    def _category_default(self) -> ForecastCategory:
        if self.outcome is StageOutcome.WON:
            return ForecastCategory.CLOSED
        if self.outcome is StageOutcome.LOST:
            return ForecastCategory.OMITTED
        return self.forecast_category or ForecastCategory.PIPELINE

    @stage_entered_at.default
    def _entered_default(self) -> datetime:
        return self.created_at

    @changed_at.default
    def _changed_default(self) -> datetime:
        return self.stage_entered_at

    @updated_at.default
    def _updated_default(self) -> datetime:
        return self.created_at

    def __attrs_post_init__(self) -> None:
        check_money(self.amount, self.currency)
        is_open = self.outcome is StageOutcome.OPEN
        if is_open == (self.closed_at is not None):
            raise check.fail("closed_at", "set exactly when the deal is won or lost")
        if (self.outcome is StageOutcome.LOST) != (self.lost_reason is not None):
            raise check.fail("lost_reason", "set exactly when the deal is lost")
        closed = {StageOutcome.WON: ForecastCategory.CLOSED, StageOutcome.LOST: ForecastCategory.OMITTED}
        expected = closed.get(self.outcome, self.forecast_category)
        if expected is not None and self.category is not expected:
            raise check.fail("category", f"must be {expected.value} (the outcome's, or the manual category)")
        if self.outcome is StageOutcome.OPEN and self.category is ForecastCategory.CLOSED:
            raise check.fail("category", "only a won deal is closed")
        if self.lost_note is not None and self.lost_reason is None:
            raise check.fail("lost_note", "only a lost deal has one")
        if not self.created_at <= self.stage_entered_at <= self.changed_at:
            raise check.fail("changed_at", "the deal's times must run created, stage entered, changed")
        if self.closed_at is not None and self.closed_at < self.created_at:
            raise check.fail("closed_at", "earlier than created_at")

    @property
    def is_open(self) -> bool:
        """Whether the deal is neither won nor lost."""
        return self.outcome is StageOutcome.OPEN


class ChangeKind(StrEnum):
    """Which operation wrote a history entry."""

    OPENED = "opened"
    STAGE = "stage"
    WON = "won"
    LOST = "lost"
    REOPENED = "reopened"
    AMOUNT = "amount"
    CLOSE_DATE = "close_date"
    PROBABILITY = "probability"
    FORECAST_CATEGORY = "forecast_category"
    MOVED = "moved"


@attrs.frozen(kw_only=True)
class OpportunityChange:
    """One entry of a deal's history: the tracked fields after a change, and before it.

    Entries are written by the sales operations, in the order of their
    ``at`` (an operation dated before the deal's last change is refused), and
    are never changed or deleted. The first entry of a deal (``opened``) has
    no previous values.

    Attributes:
        id: Time-ordered UUID.
        opportunity_id: The deal.
        customer_id: The deal's customer.
        kind: The operation that wrote it.
        at: When the change happened (aware, UTC).
        actor: The host's id of who made it, if known.
        pipeline_id: The pipeline after the change.
        stage: The stage's key after the change.
        outcome: Open, won or lost after the change.
        amount: The amount after the change.
        currency: Its currency.
        close_date: The expected close date after the change (the actual one once closed).
        closed_at: When the deal was won or lost, if the change left it closed.
        probability: The manual probability after the change (``None``: automatic).
        forecast_category: The manual forecast category after the change.
        lost_reason: Why it was lost, when the change left it lost.
        prev_pipeline_id: The pipeline before (differs only for a move).
        prev_stage: The stage before.
        prev_amount: The amount before.
        prev_currency: Its currency.
        prev_close_date: The close date before.
        prev_probability: The manual probability before.
        prev_forecast_category: The manual forecast category before.
    """

    id: OpportunityChangeId = attrs.field(factory=lambda: OpportunityChangeId(new_id()), converter=check.uuid)
    opportunity_id: OpportunityId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    kind: ChangeKind = attrs.field(converter=check.enum_converter(ChangeKind))
    at: datetime = attrs.field(converter=check.aware)
    actor: str | None = attrs.field(default=None, converter=check.optional_text(100))
    pipeline_id: PipelineId = attrs.field(converter=check.uuid)
    stage: str = attrs.field(converter=key_field)
    outcome: StageOutcome = attrs.field(converter=check.enum_converter(StageOutcome))
    amount: Decimal | None = attrs.field(default=None, converter=amount_field)
    currency: str | None = attrs.field(default=None, converter=currency_field)
    close_date: date | None = attrs.field(default=None, converter=date_field)
    closed_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    probability: Decimal | None = attrs.field(default=None, converter=probability_field)
    forecast_category: ForecastCategory | None = attrs.field(
        default=None, converter=check.optional_enum_converter(ForecastCategory)
    )
    lost_reason: str | None = attrs.field(default=None, converter=optional_key_field)
    prev_pipeline_id: PipelineId | None = attrs.field(default=None, converter=check.optional_uuid)
    prev_stage: str | None = attrs.field(default=None, converter=optional_key_field)
    prev_amount: Decimal | None = attrs.field(default=None, converter=amount_field)
    prev_currency: str | None = attrs.field(default=None, converter=currency_field)
    prev_close_date: date | None = attrs.field(default=None, converter=date_field)
    prev_probability: Decimal | None = attrs.field(default=None, converter=probability_field)
    prev_forecast_category: ForecastCategory | None = attrs.field(
        default=None, converter=check.optional_enum_converter(ForecastCategory)
    )

    def __attrs_post_init__(self) -> None:
        check_money(self.amount, self.currency)
        check_money(self.prev_amount, self.prev_currency, field="prev_amount")

    @classmethod
    def between(
        cls,
        before: Opportunity | None,
        after: Opportunity,
        kind: ChangeKind,
        at: datetime,
        actor: str | None = None,
    ) -> OpportunityChange:
        """The entry recording the change from ``before`` (``None`` when opened) to ``after``."""
        previous: dict[str, Any] = {}
        if before is not None:
            previous = {
                "prev_pipeline_id": before.pipeline_id,
                "prev_stage": before.stage,
                "prev_amount": before.amount,
                "prev_currency": before.currency,
                "prev_close_date": before.close_date,
                "prev_probability": before.probability,
                "prev_forecast_category": before.forecast_category,
            }
        return cls(
            opportunity_id=after.id,
            customer_id=after.customer_id,
            kind=kind,
            at=at,
            actor=actor,
            pipeline_id=after.pipeline_id,
            stage=after.stage,
            outcome=after.outcome,
            amount=after.amount,
            currency=after.currency,
            close_date=after.close_date,
            closed_at=after.closed_at,
            probability=after.probability,
            forecast_category=after.forecast_category,
            lost_reason=after.lost_reason,
            **previous,
        )

    @property
    def pushed(self) -> bool:
        """Whether this change moved the expected close date later."""
        return (
            self.prev_close_date is not None
            and self.close_date is not None
            and self.close_date > self.prev_close_date
        )


def ordered(changes: Iterable[OpportunityChange]) -> list[OpportunityChange]:
    """History entries in their order: by ``at``, then by id (the later written)."""
    return sorted(changes, key=lambda c: (c.at, c.id))


# -- events --------------------------------------------------------------------


@attrs.frozen
class OpportunityOpened(DomainEvent):
    """A deal was opened."""

    opportunity_id: OpportunityId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    pipeline_id: PipelineId = attrs.field(converter=check.uuid)
    stage: str = attrs.field(converter=key_field)


@attrs.frozen
class OpportunityStageChanged(DomainEvent):
    """A deal moved from one stage to another (opened, won, lost and reopened deals have their own event)."""

    opportunity_id: OpportunityId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    from_stage: str = attrs.field(converter=key_field)
    to_stage: str = attrs.field(converter=key_field)
    version: int = attrs.field(converter=version_field)


@attrs.frozen
class OpportunityWon(DomainEvent):
    """A deal was won."""

    opportunity_id: OpportunityId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    stage: str = attrs.field(converter=key_field)
    version: int = attrs.field(converter=version_field)


@attrs.frozen
class OpportunityLost(DomainEvent):
    """A deal was lost, for a reason."""

    opportunity_id: OpportunityId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    stage: str = attrs.field(converter=key_field)
    reason: str = attrs.field(converter=key_field)
    version: int = attrs.field(converter=version_field)


@attrs.frozen
class OpportunityReopened(DomainEvent):
    """A won or lost deal was opened again."""

    opportunity_id: OpportunityId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    stage: str = attrs.field(converter=key_field)
    version: int = attrs.field(converter=version_field)


@attrs.frozen
class OpportunityUpdated(DomainEvent):
    """A deal's amount, close date, probability, forecast category, pipeline or other fields changed."""

    opportunity_id: OpportunityId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    version: int = attrs.field(converter=version_field)
