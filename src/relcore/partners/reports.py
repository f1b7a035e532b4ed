"""Partner reports as pure functions: sourced and influenced pipeline, commissions, a partner's own view.

Every figure is per currency (two currencies are never added), exact
(`Decimal`), and taken as the deals stood at an explicit ``as_of``, rebuilt
from their history ([deal_as_of][relcore.partners.reports.deal_as_of]).
A deal without an amount adds nothing to a money figure and is left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal
from enum import StrEnum

import attrs

from relcore._kernel.money import CURRENCIES
from relcore.ids import CustomerId, OpportunityId
from relcore.partners.model import OpportunityPartner, PartnerProfile, PartnerRole, RegistrationStatus
from relcore.sales import (
    ForecastCategory,
    Opportunity,
    OpportunityChange,
    Pipeline,
    StageOutcome,
    effective_probability,
)

__all__ = [
    "Attribution",
    "Commission",
    "CommissionDue",
    "PartnerDeal",
    "PipelineLine",
    "commissions",
    "commissions_due",
    "counted",
    "deal_as_of",
    "partner_deal",
    "partner_pipeline",
]

_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
"""Adding and multiplying finite amounts is exact here (the ambient context may round)."""


class Attribution(StrEnum):
    """How a deal counts for partners: brought by one (sourced) or only influenced."""

    SOURCED = "sourced"
    INFLUENCED = "influenced"


@attrs.frozen
class PipelineLine:
    """One line of the partner pipeline: one partner (or all), one attribution, one currency.

    Attributes:
        partner_id: The partner; ``None`` on the lines of all partners together.
        attribution: Sourced or influenced.
        currency: The ISO 4217 currency of every amount on the line.
        open_count: Open deals with an amount in that currency.
        open_amount: Their amounts added up.
        weighted_amount: Σ amount x effective probability over them (exact, not rounded).
        won_count: Deals won in the window.
        won_amount: Their amounts added up.
    """

    partner_id: CustomerId | None
    attribution: Attribution
    currency: str
    open_count: int = 0
    open_amount: Decimal = Decimal(0)
    weighted_amount: Decimal = Decimal(0)
    won_count: int = 0
    won_amount: Decimal = Decimal(0)


@attrs.frozen
class Commission:
    """The commission one partner earns on one won deal.

    Attributes:
        partner_id: The partner.
        opportunity_id: The won deal.
        currency: The deal's currency.
        base: The deal's won amount.
        rate: The link's commission rate if set, else the partner's profile rate.
        amount: ``base x rate`` rounded to the currency's minor unit, half to even.
        closed_at: When the deal was won.
    """

    partner_id: CustomerId
    opportunity_id: OpportunityId
    currency: str
    base: Decimal
    rate: Decimal
    amount: Decimal
    closed_at: datetime


@attrs.frozen
class CommissionDue:
    """What one partner is due in one currency: the sum of its rounded commissions.

    Attributes:
        partner_id: The partner.
        currency: The currency.
        amount: The sum of its [Commission][relcore.partners.reports.Commission] amounts.
        deals: How many won deals it adds up.
    """

    partner_id: CustomerId
    currency: str
    amount: Decimal
    deals: int


@attrs.frozen
class PartnerDeal:
    """A deal as its partner may see it: the deal's own fields and the partner's own link, nothing else.

    Not the customer, its contacts, notes or attributes, nor the other partners.

    Attributes:
        opportunity_id: The deal.
        name: The deal's name.
        stage: Its stage's key.
        outcome: Open, won or lost.
        amount: Its amount, if known.
        currency: The amount's currency.
        close_date: Its expected (or actual) close date.
        role: The partner's role on it.
        primary: Whether the partner is its primary partner.
        sourced: Whether the partner brought it.
        status: The partner's registration status, if it registered the deal.
    """

    opportunity_id: OpportunityId
    name: str
    stage: str
    outcome: StageOutcome
    amount: Decimal | None
    currency: str | None
    close_date: date | None
    role: PartnerRole
    primary: bool
    sourced: bool
    status: RegistrationStatus | None


def deal_as_of(
    deal: Opportunity, history: Iterable[OpportunityChange], as_of: datetime
) -> Opportunity | None:
    """The deal as it stood at ``as_of``, from its history; ``None`` if it was not opened yet.

    The tracked fields (pipeline, stage, outcome, amount, close date,
    probability, forecast category, lost reason) are those of the last
    history entry at or before ``as_of`` (ties by id); the other fields are
    the deal's current ones.
    """
    entries = sorted((c for c in history if c.at <= as_of), key=lambda c: (c.at, c.id))
    if not entries:
        return None
    last = entries[-1]
    closed = {StageOutcome.WON: ForecastCategory.CLOSED, StageOutcome.LOST: ForecastCategory.OMITTED}
    # the category is not kept in the history; these reports do not use it: closed, omitted or manual
    category = closed.get(last.outcome, last.forecast_category or deal.category)
    if category is ForecastCategory.CLOSED and last.outcome is StageOutcome.OPEN:
        category = ForecastCategory.PIPELINE
    return attrs.evolve(
        deal,
        category=category,
        pipeline_id=last.pipeline_id,
        stage=last.stage,
        outcome=last.outcome,
        amount=last.amount,
        currency=last.currency,
        close_date=last.close_date,
        closed_at=last.closed_at,
        probability=last.probability,
        forecast_category=last.forecast_category,
        lost_reason=last.lost_reason,
        lost_note=deal.lost_note if last.lost_reason is not None else None,
    )


def counted(link: OpportunityPartner, as_of: datetime) -> bool:
    """Whether a link counts at ``as_of``: it existed then and its registration was not declined by then."""
    if link.created_at > as_of:
        return False
    return not (link.declined and link.decided_at is not None and link.decided_at <= as_of)


def _add(
    line: PipelineLine, deal: Opportunity, pipeline: Pipeline, start: datetime, end: datetime
) -> PipelineLine:
    assert deal.amount is not None
    if deal.is_open:
        weighted = _EXACT.multiply(deal.amount, effective_probability(deal, pipeline))
        return attrs.evolve(
            line,
            open_count=line.open_count + 1,
            open_amount=_EXACT.add(line.open_amount, deal.amount),
            weighted_amount=_EXACT.add(line.weighted_amount, weighted),
        )
    if deal.outcome is StageOutcome.WON and deal.closed_at is not None and start <= deal.closed_at < end:
        return attrs.evolve(
            line, won_count=line.won_count + 1, won_amount=_EXACT.add(line.won_amount, deal.amount)
        )
    return line


def partner_pipeline(
    deals: Mapping[OpportunityId, tuple[Opportunity, Pipeline]],
    links: Iterable[OpportunityPartner],
    *,
    as_of: datetime,
    start: datetime,
    end: datetime,
) -> list[PipelineLine]:
    """Partner-sourced and partner-influenced pipeline and won revenue, per partner and in total.

    ``deals`` are the deals as they stood at ``as_of`` with their pipelines;
    ``links`` their partner links. Open deals add their amount and their
    weighted amount (amount x [effective_probability][relcore.sales.effective_probability]);
    deals won between ``start`` (included) and ``end`` (excluded) add their
    won amount. Only links that count at ``as_of`` are used (see
    [counted][relcore.partners.reports.counted]).

    A partner's own lines count a deal under the attribution of its own
    link, so a deal with several partners appears on each of their lines.
    The total lines (``partner_id`` ``None``) count every deal once: a deal
    is sourced when at least one of its links is sourced (however many are),
    else influenced. The sourced total therefore never counts a deal twice,
    and sourced plus influenced is the pipeline that has partners.

    Lines are sorted: totals first, then by partner id; sourced before influenced, then by currency.
    """
    partners: dict[OpportunityId, list[OpportunityPartner]] = defaultdict(list)
    for link in links:
        if counted(link, as_of) and link.opportunity_id in deals:
            partners[link.opportunity_id].append(link)
    lines: dict[tuple[CustomerId | None, Attribution, str], PipelineLine] = {}

    def add(who: CustomerId | None, attribution: Attribution, deal: Opportunity, pipeline: Pipeline) -> None:
        assert deal.currency is not None
        key = (who, attribution, deal.currency)
        line = lines.get(key, PipelineLine(who, attribution, deal.currency))
        lines[key] = _add(line, deal, pipeline, start, end)

    for deal_id, on_deal in partners.items():
        deal, pipeline = deals[deal_id]
        if deal.amount is None:
            continue
        total = Attribution.SOURCED if any(link.sourced for link in on_deal) else Attribution.INFLUENCED
        add(None, total, deal, pipeline)
        for link in on_deal:
            add(
                link.partner_id,
                Attribution.SOURCED if link.sourced else Attribution.INFLUENCED,
                deal,
                pipeline,
            )
    kept = [line for line in lines.values() if line.open_count or line.won_count]
    return sorted(
        kept,
        key=lambda x: (
            x.partner_id is not None,
            str(x.partner_id),
            x.attribution is not Attribution.SOURCED,
            x.currency,
        ),
    )


def commissions(
    deals: Mapping[OpportunityId, tuple[Opportunity, Pipeline]],
    links: Iterable[OpportunityPartner],
    profiles: Mapping[CustomerId, PartnerProfile],
    *,
    as_of: datetime,
    start: datetime,
    end: datetime,
) -> list[Commission]:
    """The commission of every partner on every deal won between ``start`` (included) and ``end``.

    commission = won amount x (the link's rate if set, else the partner's
    profile rate), computed exactly, then rounded to the currency's minor
    unit half to even (``Decimal.quantize`` with ``ROUND_HALF_EVEN``). Every
    link that counts at ``as_of`` earns one, whatever its role; a partner
    without a profile and without a rate on the link earns nothing. A
    partner made inactive after the deal closed keeps its commission.
    Sorted by partner id, then closing time and deal id.
    """
    found: list[Commission] = []
    for link in links:
        entry = deals.get(link.opportunity_id)
        if entry is None or not counted(link, as_of):
            continue
        deal, _ = entry
        if deal.outcome is not StageOutcome.WON or deal.amount is None or deal.currency is None:
            continue
        assert deal.closed_at is not None
        if not start <= deal.closed_at < end:
            continue
        profile = profiles.get(link.partner_id)
        rate = link.commission_rate
        if rate is None and profile is not None:
            rate = profile.commission_rate
        if rate is None:
            continue
        unit = Decimal(1).scaleb(-CURRENCIES[deal.currency])
        amount = _EXACT.multiply(deal.amount, rate).quantize(unit, rounding=ROUND_HALF_EVEN, context=_EXACT)
        found.append(
            Commission(link.partner_id, deal.id, deal.currency, deal.amount, rate, amount, deal.closed_at)
        )
    return sorted(found, key=lambda c: (c.partner_id, c.closed_at, c.opportunity_id))


def commissions_due(lines: Iterable[Commission]) -> list[CommissionDue]:
    """Each partner's commissions added up per currency (of the rounded amounts), by partner and currency."""
    sums: dict[tuple[CustomerId, str], tuple[Decimal, int]] = {}
    for line in lines:
        amount, deals = sums.get((line.partner_id, line.currency), (Decimal(0), 0))
        sums[(line.partner_id, line.currency)] = (_EXACT.add(amount, line.amount), deals + 1)
    return [CommissionDue(who, currency, amount, n) for (who, currency), (amount, n) in sorted(sums.items())]


def partner_deal(deal: Opportunity, link: OpportunityPartner) -> PartnerDeal:
    """The partner-safe view of ``deal`` for the partner of ``link``."""
    return PartnerDeal(
        opportunity_id=deal.id,
        name=deal.name,
        stage=deal.stage,
        outcome=deal.outcome,
        amount=deal.amount,
        currency=deal.currency,
        close_date=deal.close_date,
        role=link.role,
        primary=link.primary,
        sourced=link.sourced,
        status=link.status,
    )
