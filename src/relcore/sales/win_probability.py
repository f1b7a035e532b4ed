"""Win probability of open deals: Odoo's naive-Bayes predictive lead scoring, one model per pipeline.

The model counts, over the closed deals of one pipeline, how often each
stage and each field value was held by won and by lost deals, then scores an
open deal by multiplying those frequencies (the algorithm of Odoo's
``odoo/odoo:addons/crm/models/crm_lead.py`` at commit 0015f11c, methods
``_pls_prepare_frequencies`` and ``_pls_get_naive_bayes_probabilities``, as
specified in the wave-2 reference, section 1.4):

- a won deal counts won at **every** stage; a lost deal counts lost at the
  stage it was in and every earlier one, so the stage factor reads like
  survival (the share of lost deals that got at least this far);
- every cell starts at ``smoothing`` won and ``smoothing`` lost (0.1);
- the prior is ``W / (W + L)`` with ``W``, ``L`` the first stage's smoothed
  counts (the number of won and lost deals plus the smoothing);
- a deal's probability is ``sw / (sw + sl)`` with ``sw = W/(W+L) ·
  Π won(v)/Σ won`` and ``sl`` alike; values never seen give no factor, and
  tags held by fewer than ``min_tag_support`` closed deals are left out;
- it is clamped to [0.0001, 0.9999] and returned as a `Decimal` with 4
  places (basis points).

A pipeline with no won or no lost deal is not scored (``None``). Each model
belongs to one pipeline and nothing is shared between models, so Odoo's
defect of a team without won or lost leads scoring with the previous team's
prior cannot happen.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from relcore._kernel.checks import fail, guarded, kind
from relcore.sales._win_format import (
    cells_setting,
    check_cells,
    fields_setting,
    lost_setting,
    smoothing_setting,
    stages_setting,
    support_setting,
    tag_fields_setting,
    won_setting,
)
from relcore.sales._win_records import (
    Cell,
    ClosedDeal,
    Factor,
    OpenDeal,
    Skipped,
    SkipReason,
    WinScore,
)
from relcore.sales._win_table import (
    BELOW_SUPPORT,
    STAGE,
    UNSEEN,
    Table,
    field_table,
    probability,
    stage_table,
    to_decimal,
)

__all__ = [
    "Cell",
    "ClosedDeal",
    "Factor",
    "OpenDeal",
    "SkipReason",
    "Skipped",
    "WinProbabilityModel",
    "WinScore",
    "fit_win_probability",
]

FORMAT_VERSION = 1
"""The version of the JSON format written by `WinProbabilityModel.to_json`."""

_BULK = 2_000  # from this many deals, the bulk functions use numpy when it is installed


@attrs.frozen
class WinProbabilityModel:
    """The counts learned from one pipeline's closed deals; scores its open deals.

    Build it with [`fit_win_probability`][relcore.sales.win_probability.fit_win_probability]
    or read it back with [`from_json`][relcore.sales.win_probability.WinProbabilityModel.from_json].

    Attributes:
        stages: The pipeline's open stage keys, in order.
        fields: The fields learned, in the order their factors are applied.
        tag_fields: Fields whose values count only with enough support.
        smoothing: Added to every cell's won and lost counts.
        min_tag_support: Closed deals a tag must have been held by to count.
        won: Number of won deals learned from.
        lost: Number of lost deals learned from.
        cells: Every (field, value) held by a closed deal: stage cells in
            stage order, then each field's cells in field order by value.

    Raises:
        ValidationError: If the counts are not ones a fit could give.
    """

    stages: tuple[str, ...] = attrs.field(converter=stages_setting)
    fields: tuple[str, ...] = attrs.field(converter=fields_setting)
    tag_fields: tuple[str, ...] = attrs.field(converter=tag_fields_setting)
    smoothing: float = attrs.field(converter=smoothing_setting)
    min_tag_support: int = attrs.field(converter=support_setting)
    won: int = attrs.field(converter=won_setting)
    lost: int = attrs.field(converter=lost_setting)
    cells: tuple[Cell, ...] = attrs.field(converter=cells_setting)
    _table: Table = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_table", _build_table(self))

    @property
    def scoreable(self) -> bool:
        """Whether the pipeline has both won and lost deals (else every score is ``None``)."""
        return self._table.scoreable

    def score(self, deal: OpenDeal) -> WinScore | None:
        """Score one open deal, with its explanation.

        Returns:
            The score, or ``None`` when the pipeline is not scoreable.

        Raises:
            ValidationError: If ``deal`` is not an [`OpenDeal`][relcore.sales.win_probability.OpenDeal]
                or its stage is not one of the model's stages (``deal.stage``).
        """
        if not isinstance(deal, OpenDeal):
            raise fail("deal", f"expected an OpenDeal, got {kind(deal)}")
        position = self._table.stage_index.get(deal.stage)
        if position is None:
            raise fail("deal.stage", "not one of the model's stages")
        if not self._table.scoreable:
            return None
        factors: list[Factor] = []
        skipped: list[Skipped] = []

        def visit(field: str, value: str, state: int, won: float, lost: float) -> None:
            if state == UNSEEN:
                skipped.append(Skipped(field, value, SkipReason.UNSEEN))
            elif state == BELOW_SUPPORT:
                skipped.append(Skipped(field, value, SkipReason.BELOW_TAG_SUPPORT))
            else:
                factors.append(Factor(field, value, won, lost, won / (won + lost)))

        p = probability(self._table, position, deal.values, visit)
        return WinScore(to_decimal(p), self._table.prior_won, tuple(factors), tuple(skipped))

    def score_many(self, deals: Iterable[OpenDeal]) -> list[Decimal | None]:
        """Score many open deals: the same probabilities as `score`, without explanations.

        With numpy installed (the ``analytics`` extra), large batches are
        scored by a vectorised path that performs the same float operations
        in the same order, so the results are identical.

        Raises:
            ValidationError: If a deal is not an ``OpenDeal`` or its stage is
                not one of the model's stages (``deals[i].stage``).
        """
        batch = guarded("deals", lambda: list(deals))
        positions = _positions(self._table.stage_index, batch, OpenDeal)
        if not self._table.scoreable:
            return [None] * len(batch)
        if len(batch) >= _BULK:
            try:
                from relcore.sales import _win_numpy
            except ImportError:  # numpy missing: the pure path gives the same scores
                pass
            else:
                return list(_win_numpy.score(self._table, batch, positions))
        cache: dict[float, Decimal] = {}
        out: list[Decimal | None] = []
        for deal, position in zip(batch, positions, strict=True):
            p = probability(self._table, position, deal.values, None)
            found = cache.get(p)
            if found is None:
                found = cache[p] = to_decimal(p)
            out.append(found)
        return out

    def to_json(self) -> str:
        """The model as compact JSON text, the same text for equal models.

        Example:
            >>> deals = [ClosedDeal(True, "demo", {"source": ("web",)}), ClosedDeal(False, "lead")]
            >>> model = fit_win_probability(deals, stages=["lead", "demo"], fields=["source"])
            >>> text = model.to_json()
            >>> text[:57]
            '{"model":"win_probability","format":1,"stages":["lead","d'
            >>> WinProbabilityModel.from_json(text) == model
            True
        """
        data = {
            "model": "win_probability",
            "format": FORMAT_VERSION,
            "stages": list(self.stages),
            "fields": list(self.fields),
            "tag_fields": list(self.tag_fields),
            "smoothing": self.smoothing,
            "min_tag_support": self.min_tag_support,
            "won": self.won,
            "lost": self.lost,
            "cells": [[c.field, c.value, c.won, c.lost] for c in self.cells],
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> WinProbabilityModel:
        """Read a model written by `to_json`; reading is strict.

        Raises:
            ValidationError: If ``text`` is not such a model (the path of the
                offending part is named, as ``json.cells[3]``).
        """
        from relcore.sales._win_format import read_model

        return read_model(cls, text)


def fit_win_probability(
    deals: Iterable[ClosedDeal],
    *,
    stages: Sequence[str],
    fields: Sequence[str],
    tag_fields: Sequence[str] = ("tags",),
    smoothing: float = 0.1,
    min_tag_support: int = 50,
) -> WinProbabilityModel:
    """Count one pipeline's closed deals into a win-probability model.

    Args:
        deals: The pipeline's won and lost deals.
        stages: The pipeline's open stage keys, in order.
        fields: The fields to learn (other fields of the deals are ignored);
            ``"stage"`` is not allowed, the stage is always learned.
        tag_fields: Fields whose values count only when held by at least
            ``min_tag_support`` closed deals.
        smoothing: Added to each cell's won and lost counts (finite, > 0).
        min_tag_support: See ``tag_fields`` (an int >= 0).

    Returns:
        The fitted model (with numpy installed, large fits count with it).

    Raises:
        ValidationError: On bad settings, a deal that is not a
            [`ClosedDeal`][relcore.sales.win_probability.ClosedDeal], or a
            deal whose stage is not in ``stages`` (``deals[i].stage``).

    Example:
        >>> deals = [ClosedDeal(True, "demo"), ClosedDeal(False, "demo"), ClosedDeal(False, "lead")]
        >>> model = fit_win_probability(deals, stages=["lead", "demo"], fields=[])
        >>> model.score(OpenDeal("lead")).probability, model.score(OpenDeal("demo")).probability
        (Decimal('0.3438'), Decimal('0.5000'))
    """
    stage_keys, learned = stages_setting(stages), fields_setting(fields)
    tags, alpha, support = (
        tag_fields_setting(tag_fields),
        smoothing_setting(smoothing),
        support_setting(min_tag_support),
    )
    batch = guarded("deals", lambda: list(deals))
    index = {stage: position for position, stage in enumerate(stage_keys)}
    positions = _positions(index, batch, ClosedDeal)
    won = sum(1 for deal in batch if deal.won)
    lost_at = Counter(p for p, deal in zip(positions, batch, strict=True) if not deal.won)
    counts: dict[str, dict[str, tuple[int, int]]] | None = None
    if len(batch) >= _BULK:
        try:
            from relcore.sales import _win_numpy
        except ImportError:  # numpy missing: count in Python
            pass
        else:
            counts = _win_numpy.count(batch, learned)
    if counts is None:
        counts = _count_pure(batch, learned)
    cells: list[Cell] = []
    stage_cells: list[Cell] = []
    reached = 0
    for position in reversed(range(len(index))):
        reached += lost_at[position]
        if won or reached:
            stage_cells.append(Cell(STAGE, stage_keys[position], won, reached))
    cells.extend(reversed(stage_cells))
    for field in learned:
        cells.extend(Cell(field, value, *counts[field][value]) for value in sorted(counts[field]))
    return WinProbabilityModel(
        stage_keys, learned, tags, alpha, support, won=won, lost=len(batch) - won, cells=cells
    )


def _count_pure(deals: list[ClosedDeal], fields: Sequence[str]) -> dict[str, dict[str, tuple[int, int]]]:
    counts: dict[str, dict[str, list[int]]] = {field: {} for field in fields}
    for deal in deals:
        side = 0 if deal.won else 1
        for field in fields:
            held = counts[field]
            for value in deal.values.get(field, ()):
                cell = held.get(value)
                if cell is None:
                    cell = held[value] = [0, 0]
                cell[side] += 1
    return {field: {v: (c[0], c[1]) for v, c in held.items()} for field, held in counts.items()}


def _positions(index: Mapping[str, int], deals: list[Any], record: type[Any]) -> list[int]:
    """Each deal's stage position; refuses a deal of the wrong type or at a stage not in ``index``."""
    positions = [index.get(deal.stage, -1) if isinstance(deal, record) else -2 for deal in deals]
    if min(positions, default=0) < 0:
        i = next(i for i, p in enumerate(positions) if p < 0)
        if positions[i] == -2:
            raise fail(f"deals[{i}]", f"expected a {record.__name__}, got {kind(deals[i])}")
        raise fail(f"deals[{i}].stage", "not one of the pipeline's stages")
    return positions


def _build_table(model: WinProbabilityModel) -> Table:
    """Check the model's counts are ones a fit gives, and compute its scoring table."""
    stage_lost, by_field = check_cells(model.cells, model.stages, model.fields, model.won, model.lost)
    table = stage_table(model.stages, model.won, model.lost, stage_lost, model.smoothing)
    tags = set(model.tag_fields)
    return attrs.evolve(
        table,
        fields=tuple(
            field_table(f, by_field[f], model.smoothing, model.min_tag_support if f in tags else None)
            for f in model.fields
        ),
    )
