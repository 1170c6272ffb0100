"""The dashboard's own figure: paired differences between two policies, with 95% intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from escalation.figure_style import FIGSIZES, check_style, pyplot, set_title

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def differences_figure(
    differences: pd.DataFrame, labels: tuple[str, str], *, style: str = "default"
) -> Figure:
    """Paired differences of the outcome probabilities, in percentage points, with intervals.

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
    positions = np.arange(len(table))
    plt = pyplot()
    with plt.rc_context(check_style(style)):
        width, height = FIGSIZES[style]
        fig, ax = plt.subplots(figsize=(width, height * 0.8), layout="constrained")
        colours = ["tab:red" if p > 0 else "tab:blue" for p in points]
        ax.barh(positions, points, color=colours, alpha=0.7, label="Mean paired difference")
        ax.errorbar(
            points,
            positions,
            xerr=errors,
            fmt="none",
            ecolor="black",
            capsize=5,
            label="95% interval of the paired difference",
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
        fig.legend(loc="outside lower center", ncols=2, frameon=False)
    return fig
