"""The value pictures: what they draw, what they refuse, and the docs script that draws them."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from relcore.errors import ValidationError
from relcore.value import BetaGeoFit, BetaGeoParams, ParetoNBDFit, ParetoNBDParams
from relcore.value.models.plots import (
    clv_distribution,
    frequency_recency_matrix,
    probability_alive_matrix,
    rfm_segment_sizes,
)
from relcore.value.models.tiers import customer_pyramid

CDNOW = BetaGeoFit(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
SCRIPT = Path(__file__).parents[2] / "docs" / "scripts" / "value_figures.py"


def test_importing_the_models_does_not_load_matplotlib() -> None:
    code = "import sys, relcore.value; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "fit", [CDNOW, ParetoNBDFit(ParetoNBDParams(r=0.55, alpha=10.58, s=0.61, beta=11.67))]
)
def test_probability_alive_matrix_shows_the_models_values(fit: BetaGeoFit) -> None:
    figure = probability_alive_matrix(fit, 39.0, max_frequency=5, resolution=4)
    image = figure.axes[0].images[0]
    shown = image.get_array()
    assert shown.shape == (6, 4)
    recency = np.linspace(0.0, 39.0, 4)
    for x in range(1, 6):
        expected = fit.probability_alive([x] * 4, recency, [39.0] * 4)
        np.testing.assert_allclose(shown[x], expected)
    assert shown.mask[0].tolist() == [False, True, True, True]  # no repeat purchase: recency 0 only
    assert len(figure.axes) == 2  # the heat map and its colour bar


def test_frequency_recency_matrix_shows_expected_purchases() -> None:
    figure = frequency_recency_matrix(CDNOW, 26.0, 39.0, max_frequency=3, resolution=5)
    shown = figure.axes[0].images[0].get_array()
    recency = np.linspace(0.0, 39.0, 5)
    np.testing.assert_allclose(shown[2], CDNOW.expected_purchases(26.0, [2] * 5, recency, [39.0] * 5))
    assert shown[0, 0] == pytest.approx(float(CDNOW.expected_purchases(26.0, [0], [0.0], [39.0])[0]))


def test_clv_histogram_counts_every_customer_and_marks_the_tiers() -> None:
    rng = np.random.default_rng(3)
    clv = np.concatenate([[0.0] * 50, rng.lognormal(3.0, 1.5, 950)])
    figure = clv_distribution(clv, bins=30)
    ax = figure.axes[0]
    assert sum(patch.get_height() for patch in ax.patches) == len(clv)
    assert ax.get_xscale() == "log"  # the values span more than two orders of magnitude
    tiers = customer_pyramid(clv)
    cuts = sorted(line.get_xdata()[0] for line in ax.lines if len(line.get_xdata()))
    assert cuts == sorted(float(clv[tiers == name].min()) for name in ("top", "big", "medium"))
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[0].startswith("top: 1% of customers")


def test_clv_histogram_of_similar_values_is_linear() -> None:
    figure = clv_distribution([10.0, 12.0, 15.0, 11.0], tiers=[("best", 0.5), ("rest", 1.0)], bins=5)
    assert figure.axes[0].get_xscale() == "linear"
    assert sum(patch.get_height() for patch in figure.axes[0].patches) == 4


def test_segment_sizes_are_sorted_and_labelled_with_value_shares() -> None:
    names = ["lost"] * 3 + ["champions"] * 5 + ["at risk"]
    values = [0.0] * 3 + [20.0] * 5 + [100.0]
    ax = rfm_segment_sizes(names, values=values).axes[0]
    widths = [patch.get_width() for patch in sorted(ax.patches, key=lambda p: -p.get_y())]
    assert widths == [5, 3, 1]  # top to bottom, largest first
    texts = sorted(text.get_text() for text in ax.texts)
    assert texts == ["0% of value", "50% of value", "50% of value"]


def test_figures_draw_into_a_given_axes() -> None:
    figure = Figure()
    left, right = figure.subplots(1, 2)
    assert probability_alive_matrix(CDNOW, 39.0, ax=left) is figure
    assert rfm_segment_sizes(["lost", "lost"], ax=right) is figure
    assert left.images
    assert right.patches


@pytest.mark.parametrize(
    ("draw", "path"),
    [
        (lambda: probability_alive_matrix(CDNOW, 0.0), "T"),
        (lambda: probability_alive_matrix(CDNOW, 39.0, max_frequency=0), "max_frequency"),
        (lambda: probability_alive_matrix(CDNOW, 39.0, resolution=True), "resolution"),
        (lambda: probability_alive_matrix(object(), 39.0), "fit"),  # type: ignore[arg-type]
        (lambda: frequency_recency_matrix(CDNOW, float("nan"), 39.0), "t"),
        (lambda: clv_distribution([]), "clv"),
        (lambda: clv_distribution([1.0, -2.0]), "clv[1]"),
        (lambda: clv_distribution([1.0], tiers=[("a", 2.0), ("b", 1.0)]), "tiers[0]"),
        (lambda: clv_distribution([1.0], bins=0), "bins"),
        (lambda: rfm_segment_sizes([]), "segments"),
        (lambda: rfm_segment_sizes(["lost", 3]), "segments[1]"),  # type: ignore[list-item]
        (lambda: rfm_segment_sizes(["lost"], values=[1.0, 2.0]), "values"),
        (lambda: rfm_segment_sizes(["lost"], ax="left"), "ax"),  # type: ignore[arg-type]
    ],
)
def test_bad_arguments_are_named(draw: object, path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        draw()  # type: ignore[operator]
    assert caught.value.errors[0].path == path


def test_the_docs_script_draws_the_four_pictures(tmp_path: Path) -> None:
    module = runpy.run_path(str(SCRIPT))
    written = module["main"](tmp_path)
    assert sorted(p.name for p in written) == sorted(module["NAMES"])
    for path in written:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert 5_000 < len(data) < 150_000
    committed = SCRIPT.parents[1] / "images" / "value"
    assert sorted(p.name for p in committed.glob("*.png")) == sorted(module["NAMES"])
