"""What the win-probability model reads from a deal: its field values, and its history's closing.

Field names a refresh may learn:

- the deal's ``source``, ``owner``, ``campaign_id``, ``currency``, ``tags``
  and ``attributes.<key>``;
- its customer's ``customer.country``, ``customer.type``, ``customer.stage``,
  ``customer.tags``, ``customer.roles`` and ``customer.attributes.<key>``.

Each gives a tuple of text values: none for an unset field, one for a plain
field, every tag or role (sorted) for a set. An attribute that is text, a
whole number or a boolean gives its text (``"true"``); a list of those gives
each; anything else (objects, other numbers, text longer than 255
characters) gives none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any
from uuid import UUID

from relcore._kernel.checks import fail
from relcore.customers.model import Customer
from relcore.sales.model import ChangeKind, Opportunity, OpportunityChange
from relcore.sales.pipelines import Pipeline, StageOutcome
from relcore.sales.win_probability import ClosedDeal, OpenDeal
from relcore.sales.win_runs import OpportunityScore

__all__ = [
    "CUSTOMER_FIELDS",
    "DEAL_FIELDS",
    "Closing",
    "ProbabilitySource",
    "check_field_names",
    "closings",
    "model_score",
    "probability_source",
    "values_of",
]

DEAL_FIELDS = ("source", "owner", "campaign_id", "currency", "tags")
"""The deal's fields a refresh may learn (besides ``attributes.<key>``)."""

CUSTOMER_FIELDS = ("country", "type", "stage", "tags", "roles")
"""The customer's fields a refresh may learn, as ``customer.<name>`` (and ``customer.attributes.<key>``)."""

_MAX_VALUE = 255


class ProbabilitySource(StrEnum):
    """Where a deal's effective probability comes from."""

    WON = "won"
    LOST = "lost"
    MANUAL = "manual"
    MODEL = "model"
    STAGE = "stage"


def probability_source(deal: Opportunity, pipeline: Pipeline, model: Decimal | None) -> ProbabilitySource:
    """Which rule of [effective_probability][relcore.sales.decisions.effective_probability] applies."""
    if deal.outcome is StageOutcome.WON:
        return ProbabilitySource.WON
    if deal.outcome is StageOutcome.LOST:
        return ProbabilitySource.LOST
    if deal.probability is not None:
        return ProbabilitySource.MANUAL
    if pipeline.win_probability and model is not None:
        return ProbabilitySource.MODEL
    return ProbabilitySource.STAGE


def model_score(deal: Opportunity, score: OpportunityScore | None) -> Decimal | None:
    """The stored score, if it was computed for the pipeline and stage the open deal is in now."""
    if (
        score is None
        or not deal.is_open
        or (score.pipeline_id, score.stage) != (deal.pipeline_id, deal.stage)
    ):
        return None
    return score.probability


def _known(path: str, name: str) -> str:
    for prefix, plain in (("customer.", CUSTOMER_FIELDS), ("", DEAL_FIELDS)):
        if prefix and not name.startswith(prefix):
            continue
        rest = name.removeprefix(prefix)
        if rest in plain or (rest.startswith("attributes.") and rest != "attributes."):
            return name
        break
    raise fail(
        path,
        f"not a field the model can learn: one of {', '.join(DEAL_FIELDS)}, attributes.<key>, "
        f"customer.<{'|'.join(CUSTOMER_FIELDS)}> or customer.attributes.<key>",
    )


def check_field_names(field: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` if each is a field the model can learn (the error names ``field[i]``)."""
    return tuple(_known(f"{field}[{i}]", name) for i, name in enumerate(names))


def _texts(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, int | str | UUID):
        text = str(value)
        return (text,) if 0 < len(text) <= _MAX_VALUE else ()
    if isinstance(value, frozenset | set):
        return tuple(sorted({t for item in value for t in _texts(item)}))
    if isinstance(value, list | tuple):
        return tuple(
            dict.fromkeys(t for item in value if not isinstance(item, list | dict) for t in _texts(item))
        )
    return ()


def _read(entity: Any, name: str) -> tuple[str, ...]:
    if name.startswith("attributes."):
        attributes: Mapping[str, Any] = entity.attributes
        return _texts(attributes.get(name.removeprefix("attributes.")))
    return _texts(getattr(entity, name))


def values_of(
    deal: Opportunity, customer: Customer | None, fields: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    """The deal's values of ``fields`` (checked names), its customer's for ``customer.*`` ones."""
    values: dict[str, tuple[str, ...]] = {}
    for name in fields:
        if name.startswith("customer."):
            values[name] = () if customer is None else _read(customer, name.removeprefix("customer."))
        else:
            values[name] = _read(deal, name)
    return values


class Closing:
    """One deal's closing as it stood at a moment: the state then, and its last won or lost entry."""

    __slots__ = ("entry", "state")

    def __init__(self) -> None:
        self.state: OpportunityChange | None = None
        self.entry: OpportunityChange | None = None

    def see(self, change: OpportunityChange) -> None:
        """Keep ``change`` if it is the latest state, or the latest closing, seen so far."""
        if self.state is None or (change.at, change.id) > (self.state.at, self.state.id):
            self.state = change
        closing = change.kind in (ChangeKind.WON, ChangeKind.LOST)
        if closing and (self.entry is None or (change.at, change.id) > (self.entry.at, self.entry.id)):
            self.entry = change

    def closed_deal(self, pipeline: Pipeline, values: Mapping[str, tuple[str, ...]]) -> ClosedDeal | None:
        """The deal as the model learns from it, if it closed in ``pipeline`` from one of its open stages."""
        state, entry = self.state, self.entry
        if (
            state is None
            or entry is None
            or state.pipeline_id != pipeline.id
            or state.outcome is StageOutcome.OPEN
        ):
            return None
        stage = entry.prev_stage
        if (
            entry.pipeline_id != pipeline.id
            or stage is None
            or stage not in {s.key for s in pipeline.open_stages}
        ):
            return None  # closed in another pipeline, then moved here: no stage of this one to count it at
        return ClosedDeal(state.outcome is StageOutcome.WON, stage, values)


def closings(changes: Iterable[OpportunityChange], until: Any, since: Any = None) -> dict[Any, Closing]:
    """Each deal's [Closing][relcore.sales._win_values.Closing] from the entries at or before ``until``.

    With ``since``, only the deals whose last closing entry is after it.
    """
    found: dict[Any, Closing] = {}
    for change in changes:
        if change.at <= until:
            found.setdefault(change.opportunity_id, Closing()).see(change)
    if since is None:
        return found
    return {k: c for k, c in found.items() if c.entry is not None and c.entry.at > since}


def open_deal(deal: Opportunity, values: Mapping[str, tuple[str, ...]]) -> OpenDeal:
    """The open deal as the model scores it."""
    return OpenDeal(deal.stage, values)
