# Needs pandas for its baseline, which is NOT a relcore dependency: install it into the benchmark
# environment only (`pip install pandas`). Without it the ratio prints as SKIP.
"""Win probability: fit on 200,000 closed deals and score 1,000,000 open ones, relcore vs pandas.

Synthetic, seeded pipeline of six open stages. Deals carry four fields:
``source`` (12 values), ``country`` (40, skewed), ``size`` (4) and ``tags``
(0 to 3 of 40 tags, skewed so a few rare tags stay below the support of 50
closed deals). Some open deals hold values no closed deal held, and some
leave fields unset.

relcore: ``fit_win_probability`` then ``model.score_many`` (with numpy
installed both count and multiply with it), returning exact ``Decimal``
basis points. Baseline: a plain pandas implementation of the same tables
from the same records -- columns built from the records, list-valued
fields exploded, counts by ``groupby``, lost counts reaching each stage by a
reversed cumulative sum, the ratio tables joined to the open deals with
``merge`` and multiplied per deal with ``groupby(...).prod()`` -- giving the
same clamped probabilities as floats. Both start from the same lists of
``ClosedDeal``/``OpenDeal`` records (built before timing). The
probabilities are checked to agree within 1e-9 (relcore's unrounded floats)
before anything is timed, and relcore's Decimals to be those floats rounded.

Ratio: relcore time / pandas time, medians of three (target <= 1.5).

Run: ``python benchmarks/bench_win_probability.py [--closed 200000] [--open 1000000]``
"""

from __future__ import annotations

import argparse
import importlib
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _common import report, timed
from relcore.sales import _win_numpy
from relcore.sales.win_probability import ClosedDeal, OpenDeal, WinProbabilityModel, fit_win_probability

STAGES = ("new", "contacted", "qualified", "demo", "proposal", "negotiation")
FIELDS = ("source", "country", "size", "tags")
TAG_FIELDS = ("tags",)
SMOOTHING = 0.1
SUPPORT = 50
TOLERANCE = 1e-9


def synthetic(n_closed: int, n_open: int, seed: int = 2026) -> tuple[list[ClosedDeal], list[OpenDeal]]:
    """Deals whose win chance depends on source, size and tags; country is mostly noise."""
    rng = random.Random(seed)
    sources = [f"source-{i}" for i in range(12)]
    countries = [f"c{i:02d}" for i in range(40)]
    country_weights = [1.0 / (i + 1) for i in range(40)]
    sizes = ["s", "m", "l", "xl"]
    tags = [f"tag-{i}" for i in range(40)]
    tag_weights = [1.0 / (i + 1) ** 1.6 for i in range(40)]
    lift = {s: 0.6 + 0.1 * i for i, s in enumerate(sources)}
    # value tuples are shared, as a host reading categorical columns would share them
    one = {v: (v,) for v in [*sources, *countries, *sizes, "source-new", "c-new"]}

    def values(unseen: float) -> dict[str, tuple[str, ...]]:
        source = "source-new" if rng.random() < unseen else rng.choice(sources)
        country = "c-new" if rng.random() < unseen else rng.choices(countries, country_weights)[0]
        k = rng.choice((0, 0, 1, 1, 2, 3))
        held = tuple(dict.fromkeys(rng.choices(tags, tag_weights, k=k)))
        return {
            "source": one[source],
            "country": () if rng.random() < 0.1 else one[country],
            "size": one[rng.choice(sizes)],
            "tags": held,
        }

    closed = []
    for _ in range(n_closed):
        v = values(0.0)
        chance = 0.3 * lift[v["source"][0]] * (1.3 if "tag-0" in v["tags"] else 1.0)
        won = rng.random() < chance
        stage = STAGES[-1] if won else STAGES[min(int(rng.expovariate(0.6)), len(STAGES) - 1)]
        closed.append(ClosedDeal(won, stage, v))
    opened = [OpenDeal(rng.choice(STAGES), values(0.02)) for _ in range(n_open)]
    return closed, opened


def relcore_side(closed: Sequence[ClosedDeal], opened: Sequence[OpenDeal]) -> list[Any]:
    model = fit_win_probability(
        closed,
        stages=STAGES,
        fields=FIELDS,
        tag_fields=TAG_FIELDS,
        smoothing=SMOOTHING,
        min_tag_support=SUPPORT,
    )
    return model.score_many(opened)


def pandas_side(pd: Any, closed: Sequence[ClosedDeal], opened: Sequence[OpenDeal]) -> np.ndarray:
    """The same model in plain pandas: counts by groupby, ratios joined by merge, products by groupby."""
    s = SMOOTHING
    frame = pd.DataFrame({"won": [d.won for d in closed], "stage": [d.stage for d in closed]})
    won = int(frame["won"].sum())
    lost = len(frame) - won
    lost_at = frame.loc[~frame["won"], "stage"].value_counts().reindex(list(STAGES), fill_value=0)
    reached = lost_at.iloc[::-1].cumsum().iloc[::-1]
    big_w, big_l = won + s, lost + s
    stage_ratios = pd.DataFrame(
        {"won_ratio": (won + s) / big_w, "lost_ratio": (reached + s) / big_l}, index=list(STAGES)
    )
    tables = {}
    for field in FIELDS:
        long = pd.DataFrame({"won": frame["won"], "value": [d.values.get(field, ()) for d in closed]})
        long = long.explode("value").dropna(subset=["value"])
        counts = long.groupby(["value", "won"]).size().unstack(fill_value=0)
        counts = counts.reindex(columns=[False, True], fill_value=0)
        if field in TAG_FIELDS:
            counts = counts[counts[True] + counts[False] >= SUPPORT]
        won_counts, lost_counts = counts[True] + s, counts[False] + s
        tables[field] = pd.DataFrame(
            {"won_ratio": won_counts / won_counts.sum(), "lost_ratio": lost_counts / lost_counts.sum()}
        )

    deals = pd.DataFrame({"stage": [d.stage for d in opened]})
    joined = deals.merge(stage_ratios, left_on="stage", right_index=True, how="left")
    sw = big_w / (big_w + big_l) * joined["won_ratio"].to_numpy()
    sl = big_l / (big_w + big_l) * joined["lost_ratio"].to_numpy()
    for field in FIELDS:
        long = pd.DataFrame(
            {"deal": np.arange(len(opened)), "value": [d.values.get(field, ()) for d in opened]}
        )
        long = long.explode("value").dropna(subset=["value"])
        matched = long.merge(tables[field], left_on="value", right_index=True, how="inner")
        product = matched.groupby("deal")[["won_ratio", "lost_ratio"]].prod()
        rows = product.index.to_numpy()
        sw[rows] *= product["won_ratio"].to_numpy()
        sl[rows] *= product["lost_ratio"].to_numpy()
    return np.clip(sw / (sw + sl), 0.0001, 0.9999)


def median_time(fn: Callable[[], object], repeat: int = 3) -> float:
    return statistics.median(timed(fn) for _ in range(repeat))


def check_agreement(pd: Any, closed: Sequence[ClosedDeal], opened: Sequence[OpenDeal]) -> None:
    model: WinProbabilityModel = fit_win_probability(
        closed,
        stages=STAGES,
        fields=FIELDS,
        tag_fields=TAG_FIELDS,
        smoothing=SMOOTHING,
        min_tag_support=SUPPORT,
    )
    table = model._table
    positions = [table.stage_index[d.stage] for d in opened]
    ours = _win_numpy.probabilities(table, opened, positions)
    theirs = pandas_side(pd, closed, opened)
    difference = float(np.max(np.abs(ours - theirs)))
    print(f"probabilities: max |relcore - pandas| = {difference:.1e} (tolerance {TOLERANCE:g})")
    if difference > TOLERANCE:
        raise SystemExit("relcore and pandas disagree: not timing")
    decimals = np.array([float(d) for d in model.score_many(opened)])
    rounding = float(np.max(np.abs(decimals - ours)))
    if rounding > 0.00005 + 1e-12:
        raise SystemExit(f"relcore's Decimals are not its probabilities rounded to 4 places ({rounding:.2e})")
    print(
        f"relcore Decimals: {len(set(decimals.tolist()))} distinct basis points, max rounding {rounding:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--closed", type=int, default=200_000)
    parser.add_argument("--open", type=int, default=1_000_000)
    args = parser.parse_args()
    start = time.perf_counter()
    closed, opened = synthetic(args.closed, args.open)
    won = sum(d.won for d in closed)
    print(
        f"closed deals: {len(closed):,} ({won:,} won), open deals: {len(opened):,}; "
        f"records built in {time.perf_counter() - start:.1f} s (not timed)"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pd = importlib.import_module("pandas")
    except ImportError as error:
        print(f"RATIO win probability fit+score relcore/pandas: SKIP (pandas not importable: {error})")
        return
    check_agreement(pd, closed, opened)
    fit_seconds = median_time(
        lambda: fit_win_probability(
            closed, stages=STAGES, fields=FIELDS, tag_fields=TAG_FIELDS, min_tag_support=SUPPORT
        )
    )
    ours = median_time(lambda: relcore_side(closed, opened))
    theirs = median_time(lambda: pandas_side(pd, closed, opened))
    print(
        f"relcore: {ours:.2f} s (of which fit {fit_seconds:.2f} s); pandas {pd.__version__}: {theirs:.2f} s"
    )
    report("win probability fit+score relcore/pandas", ours / theirs, "<= 1.5")


if __name__ == "__main__":
    main()
