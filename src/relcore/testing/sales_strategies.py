"""Hypothesis strategies for the sales context: pipelines, deals and history entries.

Example:
    >>> from hypothesis import given
    >>> @given(opportunities())
    ... def test_deals_are_valid(deal):
    ...     assert deal.amount is None or deal.amount >= 0
    >>> test_deals_are_valid()
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

from relcore._kernel.money import CURRENCIES
from relcore.ids import uuid7
from relcore.sales.model import MAX_DEAL_MINOR_UNITS, ChangeKind, Opportunity, OpportunityChange
from relcore.sales.pipelines import DEFAULT_LOST_REASONS, ForecastCategory, Pipeline, Stage, StageOutcome
from relcore.testing.strategies import ZONES, aware_datetimes, payloads, texts

__all__ = ["keys", "opportunities", "opportunity_changes", "pipelines", "probabilities", "stages"]

_OPEN_CATEGORIES = [
    ForecastCategory.PIPELINE,
    ForecastCategory.BEST_CASE,
    ForecastCategory.COMMIT,
    ForecastCategory.OMITTED,
]


def keys() -> st.SearchStrategy[str]:
    """Stage and reason keys: 1-40 lower-case letters, digits and '_', starting with a letter."""
    return st.from_regex(r"[a-z][a-z0-9_]{0,39}", fullmatch=True)


def probabilities() -> st.SearchStrategy[Decimal]:
    """Exact probabilities from 0 to 1 with at most four places."""
    return st.integers(0, 10_000).map(lambda bp: Decimal(bp).scaleb(-4))


@st.composite
def stages(draw: st.DrawFn, position: int = 0, outcome: StageOutcome | None = None) -> Stage:
    """One stage at ``position`` (open, won or lost unless told)."""
    kind = outcome if outcome is not None else draw(st.sampled_from(list(StageOutcome)))
    key = draw(keys())
    label = draw(texts(1, 100))
    if kind is StageOutcome.WON:
        return Stage.won(key, label, position=position)
    if kind is StageOutcome.LOST:
        return Stage.lost(key, label, position=position)
    return Stage(
        key=key,
        label=label,
        position=position,
        probability=draw(probabilities()),
        # an open stage is never in a closed category (closed, omitted); a deal's override may be omitted
        forecast_category=draw(st.sampled_from(_OPEN_CATEGORIES[:-1])),
        rotting_days=draw(st.none() | st.integers(1, 365)),
        required_fields=draw(st.lists(st.sampled_from(["amount", "close_date", "owner", "attributes.x"]))),
        active=draw(st.booleans()),
    )


@st.composite
def pipelines(draw: st.DrawFn) -> Pipeline:
    """Pipelines of one to five open stages, one or two won and lost ones, in any order of positions."""
    outcomes = [StageOutcome.OPEN] * draw(st.integers(1, 5))
    outcomes += [StageOutcome.WON] * draw(st.integers(1, 2)) + [StageOutcome.LOST] * draw(st.integers(1, 2))
    positions = draw(st.permutations(range(len(outcomes))))
    made: list[Stage] = []
    for outcome, position in zip(outcomes, positions, strict=True):
        stage = draw(stages(position, outcome).filter(lambda s: s.key not in {m.key for m in made}))
        made.append(stage)
    return Pipeline(
        name=draw(texts(1, 100)),
        default=draw(st.booleans()),
        currency=draw(st.sampled_from(["EUR", "USD", "JPY", "KWD"])),
        timezone=draw(st.sampled_from(["UTC", *ZONES])),
        stages=made,
        lost_reasons=draw(st.lists(st.sampled_from(DEFAULT_LOST_REASONS), min_size=1, unique=True)),
        win_probability=draw(st.booleans()),
        created_at=draw(aware_datetimes()),
    )


def _money(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(st.none() | st.sampled_from(["EUR", "USD", "JPY", "KWD"]))
    if currency is None:
        return {"amount": None, "currency": None}
    units = draw(st.integers(0, MAX_DEAL_MINOR_UNITS))
    return {"amount": Decimal(units).scaleb(-CURRENCIES[currency]), "currency": currency}


@st.composite
def opportunities(draw: st.DrawFn) -> Opportunity:
    """Deals in any state: open, won or lost, with or without amount, close date and overrides."""
    outcome = draw(st.sampled_from(list(StageOutcome)))
    created = draw(aware_datetimes(max_value=datetime(2190, 1, 1)))
    entered = created + draw(st.timedeltas(timedelta(0), timedelta(days=400)))
    changed = entered + draw(st.timedeltas(timedelta(0), timedelta(days=400)))
    closed = None if outcome is StageOutcome.OPEN else changed
    is_lost = outcome is StageOutcome.LOST
    return Opportunity(
        customer_id=uuid7(),
        contact_id=draw(st.none() | st.builds(uuid7)),
        pipeline_id=uuid7(),
        stage=draw(keys()),
        outcome=outcome,
        name=draw(texts(1, 200)),
        **_money(draw),
        close_date=draw(st.none() | st.dates(date(1000, 1, 1), date(9998, 12, 31))),
        closed_at=closed,
        probability=draw(st.none() | probabilities()),
        forecast_category=draw(st.none() | st.sampled_from(_OPEN_CATEGORIES)),
        owner=draw(st.none() | texts(1, 100)),
        source=draw(st.none() | texts(1, 100)),
        campaign_id=draw(st.none() | st.builds(uuid7)),
        lost_reason=draw(keys()) if is_lost else None,
        lost_note=draw(st.none() | texts(1, 200)) if is_lost else None,
        tags=draw(st.lists(st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True), max_size=4)),
        attributes=draw(payloads()),
        created_at=created,
        stage_entered_at=entered,
        changed_at=changed,
    )


@st.composite
def opportunity_changes(draw: st.DrawFn) -> OpportunityChange:
    """History entries with or without previous values."""
    deal = draw(opportunities())
    entry = OpportunityChange.between(None, deal, draw(st.sampled_from(list(ChangeKind))), deal.changed_at)
    if draw(st.booleans()):
        previous = draw(opportunities())
        entry = attrs.evolve(
            OpportunityChange.between(previous, deal, entry.kind, entry.at, draw(st.none() | texts(1, 100))),
            id=entry.id,
        )
    return entry
