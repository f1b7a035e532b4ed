"""Draw the relationship-value figures shown in the docs (needs the ``plot`` extra).

Simulates 5,000 CDNOW-like customers (BG/NBD r=0.243, alpha=4.414, a=0.793,
b=2.426 and Gamma-Gamma p=6.25, q=3.74, v=15.44, the published CDNOW
estimates, in weeks), fits both models, values every customer over a year of
months, and writes four PNG files. ``tests/value/test_plots.py`` runs this
script, so the pictures in the docs always come from the current code.

Run: ``python docs/scripts/value_figures.py [OUTDIR]`` (default: docs/images/value).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from relcore.value import BetaGeo, BetaGeoParams, GammaGamma, GammaGammaParams, customer_lifetime_value
from relcore.value.models.plots import (
    clv_distribution,
    frequency_recency_matrix,
    probability_alive_matrix,
    rfm_segment_sizes,
)
from relcore.value.models.rfm_scoring import rfm_scores, rfm_segments
from relcore.value.models.simulate import simulate_beta_geo, simulate_gamma_gamma

NAMES = ("probability_alive.png", "frequency_recency.png", "clv_tiers.png", "rfm_segments.png")


def main(out: Path) -> list[Path]:
    rng = np.random.default_rng(2005)
    ages = rng.uniform(26.0, 78.0, 5000)  # customers acquired over a year, observed for up to 78 weeks
    sim = simulate_beta_geo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426), ages, rng)
    spend = simulate_gamma_gamma(GammaGammaParams(p=6.25, q=3.74, v=15.44), sim.frequency, rng)
    purchases = BetaGeo().fit(sim.frequency, sim.recency, sim.T)
    repeat = sim.frequency > 0
    spending = GammaGamma().fit(sim.frequency[repeat], spend[repeat])
    clv = customer_lifetime_value(
        purchases, spending, sim.frequency, sim.recency, sim.T, spend,
        horizon=12, discount_rate=0.008, period=52 / 12,
    )  # fmt: skip
    scores = rfm_scores(sim.frequency, sim.recency, sim.T, spend)
    segments = rfm_segments(scores.recency, scores.frequency)
    historical = spend * sim.frequency
    figures = (
        probability_alive_matrix(purchases, 78.0),
        frequency_recency_matrix(purchases, 26.0, 78.0),
        clv_distribution(clv),
        rfm_segment_sizes(segments, values=historical),
    )
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for figure, name in zip(figures, NAMES, strict=True):
        path = out / name
        figure.savefig(path, dpi=90, metadata={"Software": None})
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "images" / "value"
    for path in main(target):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
