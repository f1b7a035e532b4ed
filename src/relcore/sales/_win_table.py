"""The scoring table of a fitted win-probability model, and the pure-Python score of one deal.

A fitted model keeps integer counts; this table holds the floats scoring
needs, computed once: the prior, and for every stage and field value the
pair of ratios (won share, lost share) a deal holding it is multiplied by.
The numpy bulk path (``_win_numpy``) reads the same table and multiplies the
same ratios in the same order, so both give the same floats.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal

import attrs

STAGE = "stage"
"""The field name under which stage counts are kept and explained."""

LOW, HIGH = 0.0001, 0.9999
"""Probabilities are clamped to [1, 9999] basis points (Odoo PR #127470 clamps to [0.01, 99.99] %)."""

TINY = 1e-280
"""Below this, ``sw + sl`` has lost precision to underflow: the score is then computed in logs."""

UNSEEN, BELOW_SUPPORT, COUNTED = 0, 1, 2

_PLACES = Decimal("0.0001")
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)  # the host's decimal context plays no part


def to_decimal(p: float) -> Decimal:
    """``p`` (already clamped) as a Decimal with 4 places: the exact binary value, rounded half-even."""
    return Decimal(p).quantize(_PLACES, context=_CONTEXT)


@attrs.frozen(eq=False)
class FieldTable:
    """Ratios of one field's values: ``index[v]`` is the row of value ``v``.

    Rows whose ``state`` is not ``COUNTED`` (tags below the support) carry
    ratios 1.0, so multiplying by them changes nothing (exactly, in IEEE
    arithmetic); the extra last row (1.0, 1.0) stands for unseen values.
    """

    name: str
    index: Mapping[str, int]
    won_ratio: tuple[float, ...]
    lost_ratio: tuple[float, ...]
    state: tuple[int, ...]


@attrs.frozen(eq=False)
class Table:
    """Everything scoring needs; ``scoreable`` is False when the pipeline has no won or no lost deal."""

    scoreable: bool
    stages: tuple[str, ...]
    prior_won: float
    prior_lost: float
    stage_index: Mapping[str, int]
    stage_won: tuple[float, ...]
    stage_lost: tuple[float, ...]
    fields: tuple[FieldTable, ...]


def field_table(
    name: str, cells: Sequence[tuple[str, int, int]], smoothing: float, min_support: int | None
) -> FieldTable:
    """Ratios of a field's cells ``(value, won, lost)``; ``min_support`` only for tag fields.

    Each cell counts ``smoothing`` plus its deals on each side; the shares'
    denominators sum the cells that count (tags below the support do not:
    Odoo leaves those rows out before summing).
    """
    counted = [min_support is None or won + lost >= min_support for _, won, lost in cells]
    won_total = math.fsum(won + smoothing for (_, won, _), ok in zip(cells, counted, strict=True) if ok)
    lost_total = math.fsum(lost + smoothing for (_, _, lost), ok in zip(cells, counted, strict=True) if ok)
    won_ratio, lost_ratio = [], []
    for (_, won, lost), ok in zip(cells, counted, strict=True):
        won_ratio.append((won + smoothing) / won_total if ok else 1.0)
        lost_ratio.append((lost + smoothing) / lost_total if ok else 1.0)
    return FieldTable(
        name=name,
        index={value: row for row, (value, _, _) in enumerate(cells)},
        won_ratio=(*won_ratio, 1.0),
        lost_ratio=(*lost_ratio, 1.0),
        state=(*(COUNTED if ok else BELOW_SUPPORT for ok in counted), UNSEEN),
    )


def stage_table(
    stages: Sequence[str], won: int, lost: int, stage_lost: Sequence[int], smoothing: float
) -> Table:
    """The prior and the stage ratios (fields are added by the caller with ``attrs.evolve``).

    ``W`` and ``L`` are the first stage's smoothed counts: every closed deal
    counted there, so they are the number of won and lost deals plus the
    smoothing. A won deal counted at every stage, so each stage's won share
    is ``W / W = 1``; its lost share is the smoothed share of lost deals that
    got at least that far.
    """
    big_w, big_l = won + smoothing, lost + smoothing
    return Table(
        scoreable=won > 0 and lost > 0,
        stages=tuple(stages),
        prior_won=big_w / (big_w + big_l),
        prior_lost=big_l / (big_w + big_l),
        stage_index={stage: position for position, stage in enumerate(stages)},
        stage_won=tuple((won + smoothing) / big_w for _ in stages),
        stage_lost=tuple((count + smoothing) / big_l for count in stage_lost),
        fields=(),
    )


Visit = Callable[[str, str, int, float, float], None]
"""Called with (field, value, state, won ratio, lost ratio) for each value a deal holds."""


def probability(
    table: Table, position: int, values: Mapping[str, tuple[str, ...]], visit: Visit | None
) -> float:
    """The clamped probability of a deal at stage ``position`` holding ``values``.

    ``sw`` and ``sl`` start at the priors and are multiplied by the stage's
    ratios, then by each counted value's ratios, field by field in the
    model's order and value by value in the deal's order.
    """
    won, lost = table.prior_won, table.prior_lost
    won *= table.stage_won[position]
    lost *= table.stage_lost[position]
    if visit is not None:
        visit(STAGE, table.stages[position], COUNTED, table.stage_won[position], table.stage_lost[position])
    for field in table.fields:
        for value in values.get(field.name, ()):
            row = field.index.get(value, len(field.state) - 1)
            if visit is not None:
                visit(field.name, value, field.state[row], field.won_ratio[row], field.lost_ratio[row])
            won *= field.won_ratio[row]
            lost *= field.lost_ratio[row]
    total = won + lost
    p = won / total if total >= TINY else _in_logs(table, position, values)
    return min(max(p, LOW), HIGH)


def _in_logs(table: Table, position: int, values: Mapping[str, tuple[str, ...]]) -> float:
    """The same probability summed in logs, for deals whose products underflow (hundreds of factors)."""
    log_won = math.log(table.prior_won) + math.log(table.stage_won[position])
    log_lost = math.log(table.prior_lost) + math.log(table.stage_lost[position])
    for field in table.fields:
        for value in values.get(field.name, ()):
            row = field.index.get(value, len(field.state) - 1)
            log_won += math.log(field.won_ratio[row])
            log_lost += math.log(field.lost_ratio[row])
    gap = log_lost - log_won
    return 0.0 if gap > 700.0 else 1.0 / (1.0 + math.exp(gap))
