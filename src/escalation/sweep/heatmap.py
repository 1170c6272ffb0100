"""Heatmaps of a sweep: P(outcome) over the two most varied swept columns, faceted by the rest."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from escalation.figure_style import FIGSIZES, check_style, pyplot, save_figure, set_title
from escalation.sweep.figure_data import (
    ALL,
    BASELINE_LABEL,
    NOISE_LABEL,
    NOISE_MARK,
    PROBABILITY_LABEL,
    _and,
    _outcome_label,
    _swept_phrase,
    _title,
    heatmap_grid,
    heatmap_layout,
    is_baseline,
    lever_values,
    within_noise,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _nice_ceiling(percent: float) -> float:
    """Smallest round upper bound (1, 2, 5, 10, 20, ..., 100 %) at or above a value."""
    for bound in (1.0, 2.0, 5.0, *np.arange(10.0, 101.0, 10.0)):
        if percent <= bound:
            return float(bound)
    return 100.0


def _facet_title(levers: Sequence[str], values: Sequence[str]) -> str:
    """Panel title naming the facet values, one lever per line."""
    return "\n".join(f"{lever}={value}" for lever, value in zip(levers, values, strict=True))


def plot_heatmap(
    summary: pd.DataFrame,
    outcome: str,
    path: str | os.PathLike[str],
    *,
    sweep_name: str,
    vmax: float | None = None,
    differences: pd.DataFrame | None = None,
    style: str = "default",
) -> Path:
    """Draw P(outcome) in % over two swept levers, one panel per combination of the others.

    The axes and facets come from ``heatmap_layout``: the facet with the most values (ties: the
    first) runs across the columns of panels, the combinations of the others down the rows. Each
    cell shows its %; the colour scale is this outcome's own (shared by its panels), from 0 to a
    round bound above its highest probability, so that a rare outcome is not all pale. With the
    sweep's differences, a cell whose paired difference from the baseline policy is within noise
    (``within_noise``: its 95% Monte Carlo interval holds 0) is hatched and marked "≈", the
    baseline's cell is outlined, and a legend below says so. A combination absent from the sweep
    is grey, marked "no data".

    Args:
        summary: Sweep summary, one row per policy.
        outcome: Yes/no outcome name, e.g. ``"direct_conflict"``.
        path: Where to write the image (format from the suffix, PNG by default).
        sweep_name: Name of the sweep, for the title.
        vmax: Top of the colour scale in % (default: a round bound above this outcome's
            highest probability; see ``colour_top``).
        differences: The sweep's ``differences.csv`` table, or None (no marks).
        style: ``plots.style``.

    Returns:
        The path written.
    """
    import matplotlib

    path = Path(path)
    figsize = FIGSIZES[style]
    x, y, facets = heatmap_layout(summary)
    grids = heatmap_grid(summary, outcome, x, y, facets)
    marked = summary.assign(
        __noise=within_noise(summary, differences, outcome),
        __baseline=is_baseline(summary, differences).astype(float),
    )
    noise = heatmap_grid(marked, "__noise", x, y, facets)
    baseline = heatmap_grid(marked, "__baseline", x, y, facets)
    facet_values = {facet: lever_values(summary, facet) for facet in facets}
    # The facet with the most values (ties: first) runs across, the others' product down.
    across = max(facets, key=lambda facet: len(facet_values[facet])) if facets else None
    column_values = facet_values[across] if across else [None]
    down = [facet for facet in facets if facet != across]
    row_values = list(product(*(facet_values[facet] for facet in down)))

    first = next(iter(grids.values()))
    cells_y, cells_x = first.shape
    panels_y, panels_x = len(row_values), len(column_values)
    panel_width = max(2.6, 1.15 * cells_x + 1.2)
    panel_height = max(1.9, 0.9 * cells_y + 1.3)
    width = max(figsize[0], panel_width * panels_x + 2.4)
    height = max(4.5, panel_height * panels_y + 1.6)
    if panels_y == 1 and cells_y == 1:
        height = 4.5

    if vmax is None:
        vmax = colour_top(summary, [outcome])
    cmap = matplotlib.colormaps["YlOrRd"].with_extremes(bad="lightgrey")
    norm = matplotlib.colors.Normalize(vmin=0.0, vmax=vmax)

    plt = pyplot()
    with plt.rc_context(check_style(style)):
        fig, axes = plt.subplots(
            panels_y,
            panels_x,
            figsize=(width, height),
            layout="constrained",
            sharex=True,
            sharey=True,
            squeeze=False,
        )
        try:
            image = None
            for (row, row_value), (column, column_value) in product(
                enumerate(row_values), enumerate(column_values)
            ):
                ax = axes[row, column]
                named = dict(zip(down, row_value, strict=True)) | {across: column_value}
                key = tuple(named[facet] for facet in facets)
                grid = grids[key]
                image = _draw_grid(ax, grid * 100.0, cmap, norm, noise[key], baseline[key])
                if facets:
                    ax.set_title(_facet_title(facets, key), fontsize="medium")
                if row == panels_y - 1:
                    ax.set_xlabel(x if x is not None else "")
                if column == 0:
                    ax.set_ylabel(y if y is not None else "")
            colourbar = fig.colorbar(image, ax=axes, shrink=0.9 if panels_y > 1 else 1.0)
            colourbar.set_label(f"{PROBABILITY_LABEL}, this outcome's own scale")
            if differences is not None:
                from matplotlib.patches import Patch

                handles = [
                    Patch(facecolor="none", edgecolor="black", linewidth=2.5, label=BASELINE_LABEL)
                ]
                if (marked["__noise"] == 1.0).any():  # the hatch is explained only where drawn
                    hatch = Patch(
                        facecolor="white", edgecolor="0.35", hatch="///", label=NOISE_LABEL
                    )
                    handles.insert(0, hatch)
                fig.legend(
                    handles=handles,
                    loc="outside lower center",
                    frameon=False,
                    fontsize="small",
                )
            levers = [lever for lever in (y, x) if lever is not None]
            what = f"{_outcome_label(outcome)} {_swept_phrase(levers)}"
            if facets:
                what += f", by {_and(facets)}"
            set_title(fig, _title(summary, what, sweep_name))
            save_figure(fig, path)
        finally:
            plt.close(fig)
    return path


def colour_top(summary: pd.DataFrame, outcomes: Sequence[str]) -> float:
    """The top (%) of a heatmap's colour scale: a round bound above the highest probability.

    Args:
        summary: Sweep summary, one row per policy.
        outcomes: The outcomes the scale is for (one outcome: its own scale).

    Returns:
        The smallest round bound (1, 2, 5, 10, 20, ... 100 %) at or above the highest
        probability of any of them.
    """
    values = summary[[outcome for outcome in outcomes]].to_numpy(dtype=float) * 100.0
    top = float(np.nanmax(values, initial=0.0)) if values.size else 0.0
    return _nice_ceiling(top if np.isfinite(top) else 0.0)


def _draw_grid(
    ax: Axes,
    percent: pd.DataFrame,
    cmap: Any,
    norm: Any,
    noise: pd.DataFrame,
    baseline: pd.DataFrame,
) -> Any:
    """Draw one heatmap panel of percentages with each cell annotated; returns the image.

    A cell with ``noise`` 1 is hatched and its text starts with ``NOISE_MARK``; a cell with
    ``baseline`` 1 is outlined.
    """
    from matplotlib.patches import Rectangle

    values = percent.to_numpy(dtype=float)
    image = ax.imshow(
        np.ma.masked_invalid(values),
        cmap=cmap,
        norm=norm,
        aspect="auto",
        interpolation="nearest",
        origin="lower",
    )
    noisy = noise.to_numpy(dtype=float) == 1.0
    base = baseline.to_numpy(dtype=float) == 1.0
    for (i, j), value in np.ndenumerate(values):
        if math.isnan(value):
            text, colour = "no data", "black"
        else:
            text = f"{NOISE_MARK} {value:.1f}%" if noisy[i, j] else f"{value:.1f}%"
            colour = "white" if norm(value) > 0.6 else "black"
        if noisy[i, j]:
            ax.add_patch(
                Rectangle(
                    (j - 0.5, i - 0.5),
                    1.0,
                    1.0,
                    fill=False,
                    hatch="///",
                    edgecolor="0.35",
                    linewidth=0.0,
                )
            )
        if base[i, j]:
            ax.add_patch(
                Rectangle(
                    (j - 0.47, i - 0.47),
                    0.94,
                    0.94,
                    fill=False,
                    edgecolor="black",
                    linewidth=2.5,
                )
            )
        ax.text(
            j,
            i,
            text,
            ha="center",
            va="center",
            color=colour,
            fontsize="large",
            weight="bold",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7}
            if noisy[i, j] and colour == "black"
            else None,
        )
    ax.set_xticks(range(values.shape[1]))
    ax.set_xticklabels([str(c) if c != ALL else "" for c in percent.columns])
    ax.set_yticks(range(values.shape[0]))
    ax.set_yticklabels([str(r) if r != ALL else "" for r in percent.index])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    return image
