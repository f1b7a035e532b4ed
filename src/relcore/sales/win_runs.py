# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""What a win-probability refresh stores: one run per pipeline, and the scores of its open deals.

A [WinRun][relcore.sales.win_runs.WinRun] records one fit: the pipeline, the
moment its closed deals were read at, how many were won and lost, the
settings, and the fitted model as the exact JSON text of
[`WinProbabilityModel.to_json`][relcore.sales.win_probability.WinProbabilityModel.to_json].
Each open deal it scored gets an
[OpportunityScore][relcore.sales.win_runs.OpportunityScore]: its probability
in basis points, for the pipeline and stage it was in when scored. A store
keeps the latest run of each pipeline and that run's scores; the next
refresh of the pipeline replaces both.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

import attrs

from relcore._kernel import checks as check
from relcore.clock import system_clock
from relcore.ids import OpportunityId, PipelineId, new_id
from relcore.sales.pipelines import check_key, check_probability
from relcore.sales.win_probability import WinProbabilityModel

__all__ = ["OpportunityScore", "Unscored", "WinRun", "check_scores", "unscored_reason"]

_LOW, _HIGH = Decimal("0.0001"), Decimal("0.9999")


class Unscored(StrEnum):
    """Why a run scored no deal of its pipeline."""

    NO_CLOSED = "no_closed"
    """The pipeline had no won and no lost deal as of the run."""
    NO_WON = "no_won"
    """It had lost deals but no won one."""
    NO_LOST = "no_lost"
    """It had won deals but no lost one."""


def _count(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value)


def _model(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    if not isinstance(value, str):
        raise check.fail(field.name, f"expected the model's JSON text, got {check.kind(value)}")
    text = check.exact_str(value)
    if not text.startswith('{"model":"win_probability"'):
        raise check.fail(field.name, "not the JSON text of a win-probability model")
    return text


def _score(value: object, field: attrs.Attribute) -> Decimal:  # type: ignore[type-arg]
    probability = check_probability(field.name, value)
    if not _LOW <= probability <= _HIGH:
        raise check.fail(field.name, "a model's score lies from 0.0001 to 0.9999")
    return probability


def _stage(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    return check_key(field.name, value)


count_field = attrs.Converter(_count, takes_field=True)


@attrs.frozen(kw_only=True)
class WinRun:
    """One refresh of one pipeline's win-probability model.

    Attributes:
        id: Time-ordered UUID; the run's scores name it.
        pipeline_id: The pipeline whose deals it learned from and scored.
        as_of: The moment its closed deals were read at (deals closed later were left out).
        created_at: When the refresh ran.
        won: Won deals it learned from.
        lost: Lost deals it learned from.
        scored: Open deals it scored.
        unscored: Why it scored no deal (``None`` when the model is scoreable).
        settings: The fit's settings: ``fields``, ``tag_fields``, ``smoothing``, ``min_tag_support``.
        model: The fitted model, as the JSON text
            [`to_json`][relcore.sales.win_probability.WinProbabilityModel.to_json] wrote;
            the same closed deals give the same text.
    """

    id: UUID = attrs.field(factory=new_id, converter=check.uuid)
    pipeline_id: PipelineId = attrs.field(converter=check.uuid)
    as_of: datetime = attrs.field(converter=check.aware)
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    won: int = attrs.field(default=0, converter=count_field)
    lost: int = attrs.field(default=0, converter=count_field)
    scored: int = attrs.field(default=0, converter=count_field)
    unscored: Unscored | None = attrs.field(default=None, converter=check.optional_enum_converter(Unscored))
    settings: dict[str, Any] = attrs.field(factory=dict, converter=check.json_object)
    model: str = attrs.field(converter=attrs.Converter(_model, takes_field=True))

    def __attrs_post_init__(self) -> None:
        expected = unscored_reason(self.won, self.lost)
        if self.unscored is not expected:
            raise check.fail("unscored", f"must be {expected} for {self.won} won and {self.lost} lost deals")
        if self.unscored is not None and self.scored:
            raise check.fail("scored", "a run that cannot score has scored no deal")

    def fitted(self) -> WinProbabilityModel:
        """The stored model, read back from its JSON text."""
        return WinProbabilityModel.from_json(self.model)


def unscored_reason(won: int, lost: int) -> Unscored | None:
    """Why a model of ``won`` and ``lost`` deals cannot score (``None``: it can)."""
    if not won and not lost:
        return Unscored.NO_CLOSED
    if not won:
        return Unscored.NO_WON
    return Unscored.NO_LOST if not lost else None


@attrs.frozen(kw_only=True)
class OpportunityScore:
    """The model's probability of winning one open deal, as a refresh stored it.

    The score is used (by ``crm.sales.probability`` and the forecasts) only
    while the deal is still open in the pipeline and stage it was scored in,
    its pipeline uses the model, and it has no manual probability; else the
    deal falls back to its stage's probability until the next refresh.

    Attributes:
        opportunity_id: The deal.
        run_id: The run that scored it.
        pipeline_id: The pipeline it was in.
        stage: The stage it was in.
        probability: From 0.0001 to 0.9999, exact to the basis point.
    """

    opportunity_id: OpportunityId = attrs.field(converter=check.uuid)
    run_id: UUID = attrs.field(converter=check.uuid)
    pipeline_id: PipelineId = attrs.field(converter=check.uuid)
    stage: str = attrs.field(converter=attrs.Converter(_stage, takes_field=True))
    probability: Decimal = attrs.field(converter=attrs.Converter(_score, takes_field=True))


def check_scores(run: object, scores: Iterable[object]) -> list[OpportunityScore]:
    """The scores, if ``run`` is a [WinRun][relcore.sales.win_runs.WinRun] and each score one of it."""
    if not isinstance(run, WinRun):
        raise check.fail("run", f"expected a WinRun, got {check.kind(run)}")
    checked: list[OpportunityScore] = []
    for i, item in enumerate(scores):
        if not isinstance(item, OpportunityScore):
            raise check.fail(f"scores[{i}]", f"expected an OpportunityScore, got {check.kind(item)}")
        if item.run_id != run.id or item.pipeline_id != run.pipeline_id:
            raise check.fail(f"scores[{i}].run_id", "is not the run being stored, or not its pipeline")
        checked.append(item)
    return checked
