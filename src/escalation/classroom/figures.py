"""The dashboard's own figure: paired differences between two policies, with both intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from escalation.figure_style import FIGSIZES, check_style, pyplot, set_title
from escalation.run.figures import interval_legend

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MEAN_LABEL = "Mean paired difference"
MC_LABEL = "95% interval (Monte Carlo error)"
BAND_LABEL = "Parameter band (5-95% across parameter draws)"
LEGEND_ORDER = (MEAN_LABEL, MC_LABEL, BAND_LABEL)
"""The legend's labels, in its order: the difference, its two intervals."""


def differences_figure(
    differences: pd.DataFrame, labels: tuple[str, str], *, style: str = "default"
) -> Figure:
    """Paired differences of the outcome probabilities, in percentage points, with intervals.

    The 95% interval of each mean paired difference (Monte Carlo error) is a black error bar;
    its parameter band (5-95% of the difference across parameter draws) a wider, lighter bar
    behind it. The legend names both, and its title says what they mean.

    Args:
        differences: ``escalation.classroom.session.paired_differences``.
        labels: Names of the first and second policy.
        style: ``plots.style``.

    Returns:
        The figure (the caller closes it).
    """
    table = differences[differences["kind"] == "probability"]
    points = table["difference"].to_numpy(dtype=float) * 100.0
    low = table["low"].to_numpy(dtype=float) * 100.0
    high = table["high"].to_numpy(dtype=float) * 100.0
    errors = np.clip(np.vstack([points - low, high - points]), 0.0, None)
    bands = table.reindex(columns=["band_low", "band_high"]).to_numpy(dtype=float) * 100.0
    banded = ~np.isnan(bands).any(axis=1)
    positions = np.arange(len(table))
    plt = pyplot()
    with plt.rc_context(check_style(style)):
        width, height = FIGSIZES[style]
        fig, ax = plt.subplots(figsize=(width, height * 0.8), layout="constrained")
        colours = ["tab:red" if p > 0 else "tab:blue" for p in points]
        ax.barh(positions, points, color=colours, alpha=0.7, label=MEAN_LABEL)
        if banded.any():
            ax.hlines(
                positions[banded],
                bands[banded, 0],
                bands[banded, 1],
                colors="0.45",
                alpha=0.45,
                linewidth=3.0 * plt.rcParams["lines.linewidth"] + 6.0,
                capstyle="butt",
                zorder=2.5,
                label=BAND_LABEL,
            )
        ax.errorbar(
            points,
            positions,
            xerr=errors,
            fmt="none",
            ecolor="black",
            capsize=5,
            zorder=3,
            label=MC_LABEL,
        )
        ax.axvline(0.0, color="black", linewidth=1.0)
        ax.set_yticks(positions)
        ax.set_yticklabels(table["label"].tolist())
        ax.invert_yaxis()
        ax.set_xlabel(f"{labels[1]} minus {labels[0]} (percentage points)")
        ax.grid(axis="x", alpha=0.3)
        set_title(
            fig,
            f"Paired differences, replicate by replicate: {labels[1]} minus {labels[0]}\n"
            "Red: more likely under the second policy; blue: less likely",
        )
        interval_legend(fig, ax, LEGEND_ORDER, banded=bool(banded.any()))
    return fig
