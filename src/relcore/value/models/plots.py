"""Pictures of relationship value (needs the ``plot`` extra: matplotlib).

Four figures, each returned as a `matplotlib.figure.Figure` built with
matplotlib's object-oriented API (no ``pyplot``, no global state, no backend
to choose); save one with ``figure.savefig("name.png")``. Each function also
draws into an existing ``ax`` when given one.

- [`probability_alive_matrix`][relcore.value.models.plots.probability_alive_matrix]:
  P(alive) over frequency and recency;
- [`frequency_recency_matrix`][relcore.value.models.plots.frequency_recency_matrix]:
  expected purchases over the same grid;
- [`clv_distribution`][relcore.value.models.plots.clv_distribution]:
  the CLV histogram with the customer pyramid's cuts;
- [`rfm_segment_sizes`][relcore.value.models.plots.rfm_segment_sizes]: customers (and value) per named
  RFM segment.

The first two follow the matrices the lifetimes library popularised for the
BG/NBD model (Fader, Hardie & Lee 2005 show P(alive) the same way); they work
for any fitted purchase model (BG/NBD, MBG/NBD, Pareto/NBD).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from relcore.errors import ValidationError
from relcore.value.models._arrays import ArrayLike, FloatArray, float_array
from relcore.value.models.beta_geo import BetaGeoFit
from relcore.value.models.modified_beta_geo import ModifiedBetaGeoFit
from relcore.value.models.pareto_nbd import ParetoNBDFit
from relcore.value.models.tiers import DEFAULT_PYRAMID, check_tiers, customer_pyramid

__all__ = ["clv_distribution", "frequency_recency_matrix", "probability_alive_matrix", "rfm_segment_sizes"]


class _PurchaseFit(Protocol):
    def probability_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray: ...

    def expected_purchases(
        self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray: ...


def probability_alive_matrix(
    fit: BetaGeoFit | ModifiedBetaGeoFit | ParetoNBDFit,
    T: float,
    *,
    max_frequency: int = 20,
    resolution: int = 60,
    ax: Axes | None = None,
) -> Figure:
    """P(alive) of customers of age ``T`` for each frequency and recency, as a heat map.

    Read it from the top right (many purchases, the last one recent: surely
    alive) to the top left (many purchases, none for long: probably gone).
    Customers without repeat purchases have recency 0 only; the other cells of
    that row are blank.

    Args:
        fit: A fitted purchase model (``BetaGeoFit``, ``ModifiedBetaGeoFit``, ``ParetoNBDFit``).
        T: Age of the customers at the end of observation, in the model's time unit.
        max_frequency: Largest frequency shown (rows ``0..max_frequency``).
        resolution: Number of recency columns from 0 to ``T``.
        ax: Axes to draw into; a new figure by default.

    Returns:
        The figure.

    Raises:
        ValidationError: An argument is out of range; the path names it.

    Example:
        >>> from relcore.value import BetaGeoFit, BetaGeoParams
        >>> fit = BetaGeoFit(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
        >>> figure = probability_alive_matrix(fit, 39.0)
        >>> figure.axes[0].get_title()
        'P(alive) at age 39 periods'
    """
    frequency, recency, grid = _grid(fit, "probability_alive", T, max_frequency, resolution)
    values = fit.probability_alive(frequency.ravel(), recency.ravel(), np.full(frequency.size, T))
    return _heat_map(
        values.reshape(grid),
        T,
        max_frequency,
        ax,
        title=f"P(alive) at age {T:g} periods",
        label="probability alive",
        limits=(0.0, 1.0),
    )


def frequency_recency_matrix(
    fit: BetaGeoFit | ModifiedBetaGeoFit | ParetoNBDFit,
    t: float,
    T: float,
    *,
    max_frequency: int = 20,
    resolution: int = 60,
    ax: Axes | None = None,
) -> Figure:
    """Expected purchases in the next ``t`` periods for each frequency and recency, as a heat map.

    Args:
        fit: A fitted purchase model (``BetaGeoFit``, ``ModifiedBetaGeoFit``, ``ParetoNBDFit``).
        t: Length of the prediction window, in the model's time unit.
        T: Age of the customers at the end of observation.
        max_frequency: Largest frequency shown.
        resolution: Number of recency columns from 0 to ``T``.
        ax: Axes to draw into; a new figure by default.

    Returns:
        The figure.

    Raises:
        ValidationError: An argument is out of range; the path names it.

    Example:
        >>> from relcore.value import BetaGeoFit, BetaGeoParams
        >>> fit = BetaGeoFit(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
        >>> frequency_recency_matrix(fit, 26.0, 39.0).axes[0].get_title()
        'Expected purchases in the next 26 periods, at age 39'
    """
    if not (isinstance(t, int | float) and math.isfinite(t) and t > 0):
        raise ValidationError.single("t", f"must be a finite number > 0, not {t!r}")
    frequency, recency, grid = _grid(fit, "expected_purchases", T, max_frequency, resolution)
    values = fit.expected_purchases(float(t), frequency.ravel(), recency.ravel(), np.full(frequency.size, T))
    return _heat_map(
        values.reshape(grid),
        T,
        max_frequency,
        ax,
        title=f"Expected purchases in the next {t:g} periods, at age {T:g}",
        label="expected purchases",
        limits=(0.0, None),
    )


def clv_distribution(
    clv: ArrayLike,
    *,
    tiers: Sequence[tuple[str, float]] = DEFAULT_PYRAMID,
    bins: int = 40,
    ax: Axes | None = None,
) -> Figure:
    """Histogram of customer lifetime values with the customer pyramid's cuts.

    The value axis is logarithmic when the values span more than two orders of
    magnitude; it then starts at the first percentile of the positive values,
    and smaller values (zeros included) are counted in the first bin. A dashed line
    marks the lowest value of each tier but the last; the legend says what
    share of the customers and of the total value each tier holds.

    Args:
        clv: One non-negative value per customer (not empty).
        tiers: The pyramid, as for [`customer_pyramid`][relcore.value.customer_pyramid].
        bins: Number of histogram bins.
        ax: Axes to draw into; a new figure by default.

    Returns:
        The figure.

    Raises:
        ValidationError: An argument is invalid; the path names it.

    Example:
        >>> figure = clv_distribution([0.0, 5.0, 12.5, 40.0, 300.0] * 20)
        >>> print(*(text.get_text().split(":")[0] for text in figure.axes[0].get_legend().get_texts()))
        top big medium small
    """
    values = float_array("clv", clv, minimum=0)
    if len(values) == 0:
        raise ValidationError.single("clv", "must not be empty")
    names = check_tiers(tiers)
    _check_count("bins", bins, 1, 1000)
    figure, ax = _axes(ax)
    positive = values[values > 0]
    logarithmic = len(positive) > 0 and positive.max() > 100 * positive.min()
    if logarithmic:
        low = float(np.quantile(positive, 0.01))
        edges = np.geomspace(low, max(float(positive.max()), low * 1.001), bins + 1)
        ax.hist(np.maximum(values, low), bins=edges.tolist(), color="#4c72b0")
        ax.set_xscale("log")
    else:
        ax.hist(values, bins=bins, color="#4c72b0")
    tier = customer_pyramid(values, tiers)
    total = float(values.sum())
    colours = ["#c44e52", "#dd8452", "#55a868", "#8172b3", "#937860", "#da8bc3"]
    for i, name in enumerate(names):
        members = values[tier == name]
        share = len(members) / len(values)
        worth = float(members.sum()) / total if total > 0 else 0.0
        label = f"{name}: {share:.0%} of customers, {worth:.0%} of value"
        colour = colours[i % len(colours)]
        if len(members) and i < len(names) - 1:
            ax.axvline(float(members.min()), color=colour, linestyle="--", label=label)
        else:  # the last tier has no lower cut: a legend entry only
            ax.plot([], [], color=colour, linestyle="--", label=label)
    ax.set_xlabel("customer lifetime value")
    ax.set_ylabel("customers")
    ax.set_title("CLV distribution and customer pyramid")
    ax.legend(loc="upper right", fontsize="small")
    return figure


def rfm_segment_sizes(
    segments: Sequence[str] | npt.NDArray[np.object_],
    *,
    values: ArrayLike | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Customers per named RFM segment, largest first, as horizontal bars.

    With ``values`` (say each customer's historical value), each bar is
    labelled with the segment's share of their total.

    Args:
        segments: Each customer's segment name (from [`rfm_segments`][relcore.value.rfm_segments]).
        values: Optionally one non-negative value per customer.
        ax: Axes to draw into; a new figure by default.

    Returns:
        The figure.

    Raises:
        ValidationError: An argument is invalid; the path names it.

    Example:
        >>> figure = rfm_segment_sizes(["champions", "lost", "lost", "at risk"], values=[90.0, 5.0, 5.0, 0.0])
        >>> print(*(label.get_text() for label in figure.axes[0].get_yticklabels()), sep=", ")
        lost, at risk, champions
    """
    names = list(segments)
    if not names:
        raise ValidationError.single("segments", "must not be empty")
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name:
            raise ValidationError.single(f"segments[{i}]", f"must be a segment name, not {name!r}")
    worth = None
    if values is not None:
        worth = float_array("values", values, minimum=0)
        if len(worth) != len(names):
            raise ValidationError.single("values", f"has {len(worth)} rows but segments has {len(names)}")
    counts = Counter(names)
    order = sorted(counts, key=lambda name: (-counts[name], name))
    figure, ax = _axes(ax)
    positions = np.arange(len(order))[::-1]  # the largest on top
    bars = ax.barh(positions, [counts[name] for name in order], color="#4c72b0")
    ax.set_yticks(positions, order)
    ax.set_xlabel("customers")
    ax.set_title("Customers per RFM segment")
    if worth is not None:
        total = float(worth.sum())
        per_segment = Counter[str]()
        for name, value in zip(names, worth.tolist(), strict=True):
            per_segment[name] += value
        shares = [per_segment[name] / total if total > 0 else 0.0 for name in order]
        ax.bar_label(bars, labels=[f"{share:.0%} of value" for share in shares], padding=3, fontsize="small")
    return figure


def _grid(
    fit: object, method: str, T: float, max_frequency: int, resolution: int
) -> tuple[FloatArray, FloatArray, tuple[int, int]]:
    if not callable(getattr(fit, method, None)):
        raise ValidationError.single("fit", f"must be a fitted purchase model with {method}()")
    if not (isinstance(T, int | float) and math.isfinite(T) and T > 0):
        raise ValidationError.single("T", f"must be a finite number > 0, not {T!r}")
    _check_count("max_frequency", max_frequency, 1, 10_000)
    _check_count("resolution", resolution, 2, 2000)
    frequency, recency = np.meshgrid(
        np.arange(max_frequency + 1, dtype=np.float64), np.linspace(0.0, float(T), resolution), indexing="ij"
    )
    recency = np.where(frequency == 0, 0.0, recency)  # no repeat purchase: recency 0 only
    return frequency, recency, frequency.shape


def _heat_map(
    values: FloatArray,
    T: float,
    max_frequency: int,
    ax: Axes | None,
    *,
    title: str,
    label: str,
    limits: tuple[float, float | None],
) -> Figure:
    figure, ax = _axes(ax)
    impossible = np.zeros(values.shape, dtype=bool)
    impossible[0, 1:] = True  # frequency 0 with recency > 0 cannot happen
    shown = np.ma.masked_array(values, mask=impossible)
    image = ax.imshow(
        shown,
        origin="lower",
        aspect="auto",
        extent=(0.0, float(T), -0.5, max_frequency + 0.5),
        cmap="viridis",
        vmin=limits[0],
        vmax=limits[1],
        interpolation="nearest",
    )
    figure.colorbar(image, ax=ax, label=label)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("recency: age at the last purchase (periods)")
    ax.set_ylabel("frequency: repeat purchases")
    ax.set_title(title)
    return figure


def _axes(ax: Axes | None) -> tuple[Figure, Axes]:
    if ax is None:
        figure = Figure(figsize=(7.0, 4.5), layout="constrained")
        return figure, figure.add_subplot()
    if not isinstance(ax, Axes):
        raise ValidationError.single("ax", f"must be matplotlib Axes, not {type(ax).__name__}")
    parent = ax.get_figure()
    if not isinstance(parent, Figure):
        raise ValidationError.single("ax", "must belong to a figure")
    return parent, ax


def _check_count(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError.single(name, f"must be a whole number from {low} to {high}, not {value!r}")
