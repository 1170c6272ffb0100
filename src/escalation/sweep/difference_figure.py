"""The first figure of a sweep: each policy's change from the baseline in the key outcomes.

One panel per key outcome (NATO-Russia war, lethal engagement, clash, nuclear use), one row per
policy, sorted by the change in P(war), smallest at the top: the paired difference from the
baseline in percentage points, its 95% Monte Carlo interval (thick) and its parameter band
(thin), beside a zero line that is the baseline. ``difference_rows`` is the data, which tests
check number by number; ``plot_differences`` only lays it out.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalation.figure_style import check_style, pyplot, save_figure, set_title
from escalation.run.results import PROBABILITIES
from escalation.sweep.differences import KEY_OUTCOMES, RANK_OUTCOME, RANKING_ENDS, ranked
from escalation.sweep.figure_data import NO_POLICY_SWEPT, _title, swept_columns

DIFFERENCES_FIGURE = "differences"
"""Stem of the figure's file in ``figures/``."""

INTERVAL_LABEL = "95% Monte Carlo interval of the paired difference"
BAND_LABEL = "Parameter band: 5-95% of the difference across parameter draws"
POINT_LABEL = "Change from the baseline"
AXIS_LABEL = "Change (percentage points)"
SEPARATOR = " / "
"""Between the values of a policy's swept keys in its row label; the axis names the keys."""
INTERVAL_COLOUR = "tab:blue"
BAND_COLOUR = "black"
ZERO_STYLE = {"color": "0.35", "linestyle": "--", "linewidth": 1.2}
"""The zero line: the baseline."""


def difference_rows(
    table: pd.DataFrame, baseline: int, outcomes: tuple[str, ...] = KEY_OUTCOMES
) -> tuple[pd.DataFrame, int]:
    """The rows of the figure: policies sorted by the change in P(war), in percentage points.

    Args:
        table: ``differences.csv``'s table.
        baseline: The baseline job's number.
        outcomes: The outcomes drawn.

    Returns:
        A frame in rank order with ``job``, ``label`` (``compact_label``, ``(baseline)`` added
        to the baseline's) and, per outcome NAME, ``NAME``, ``NAME_low``, ``NAME_high``,
        ``NAME_band_low``, ``NAME_band_high`` in points (NaN where there is no band); with more than
        ``2 * RANKING_ENDS`` policies only the lowest and highest ``RANKING_ENDS``. Then how
        many policies are left out between them.
    """
    order = ranked(table, RANK_OUTCOME)
    columns = swept_columns(table)
    rows = pd.DataFrame(
        {
            "job": order["job"].astype(int),
            "label": [
                compact_label(row, columns) + (" (baseline)" if int(row["job"]) == baseline else "")
                for _, row in order.iterrows()
            ],
        }
    )
    for name in outcomes:
        for column, source in (
            (name, "diff"),
            (f"{name}_low", "diff_low"),
            (f"{name}_high", "diff_high"),
            (f"{name}_band_low", "diff_band_low"),
            (f"{name}_band_high", "diff_band_high"),
        ):
            rows[column] = pd.to_numeric(order[f"{name}_{source}"], errors="coerce") * 100.0
    hidden = 0
    if len(rows) > 2 * RANKING_ENDS:
        hidden = len(rows) - 2 * RANKING_ENDS
        rows = pd.concat([rows.head(RANKING_ENDS), rows.tail(RANKING_ENDS)], ignore_index=True)
    return rows, hidden


def compact_label(row: Mapping[str, Any] | pd.Series, columns: Sequence[str]) -> str:
    """A policy's swept values alone (``inside / combat``), in the order of ``columns``."""
    if not columns:
        return NO_POLICY_SWEPT
    return SEPARATOR.join(str(row[column]) for column in columns)


def plot_differences(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    baseline: int,
    baseline_label: str,
    sweep_name: str,
    style: str = "default",
) -> Path:
    """Draw each policy's change from the baseline in the key outcomes, with both intervals.

    Args:
        table: ``differences.csv``'s table (``escalation.sweep.differences``).
        path: Where to write the image.
        baseline: The baseline job's number.
        baseline_label: The baseline policy in words, for the legend.
        sweep_name: Name of the sweep, for the title.
        style: ``plots.style``.

    Returns:
        The path written.
    """
    path = Path(path)
    rows, hidden = difference_rows(table, baseline)
    positions = np.arange(len(rows), dtype=float)
    if hidden:
        positions[RANKING_ENDS:] += 1.0  # a blank row for the policies left out
    count = len(positions) + (1 if hidden else 0)
    slides = style == "slides"
    height = max(4.8, 2.8 + (0.42 if slides else 0.3) * count)
    width = 15.0 if slides else 13.0
    columns = swept_columns(table)
    draws = int(table["draws"].iloc[0]) if "draws" in table and len(table) else 0
    has_band = any(rows[f"{name}_band_low"].notna().any() for name in KEY_OUTCOMES)

    plt = pyplot()
    with plt.rc_context(check_style(style)):
        fig, axes = plt.subplots(
            1, len(KEY_OUTCOMES), figsize=(width, height), sharey=True, layout="constrained"
        )
        try:
            for ax, name in zip(np.atleast_1d(axes), KEY_OUTCOMES, strict=True):
                _panel(ax, rows, positions, name, thick=9.0 if slides else 6.0)
                if hidden:
                    ax.axhspan(RANKING_ENDS - 0.5, RANKING_ENDS + 0.5, color="0.93", lw=0)
            first = np.atleast_1d(axes)[0]
            first.set_yticks(positions)
            first.set_yticklabels(rows["label"], fontsize="small" if count > 12 else "medium")
            first.set_ylim(count - 0.5, -0.5)  # smallest change in P(war) at the top
            first.set_ylabel(SEPARATOR.join(columns) if columns else "policy")
            if hidden:
                first.text(
                    0.0,
                    RANKING_ENDS,
                    f"... {hidden} policies not shown ...",
                    transform=first.get_yaxis_transform(),
                    ha="right",
                    va="center",
                    style="italic",
                    fontsize="small",
                )
            handles = _legend_handles(baseline, baseline_label, has_band, draws)
            fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
            what = (
                f"Change in each outcome's probability from the baseline ({baseline_label}), "
                f"policies sorted by the change in P({PROBABILITIES[RANK_OUTCOME]})"
            )
            if hidden:
                what += f" (smallest and largest {RANKING_ENDS})"
            set_title(fig, _title(table, what, sweep_name))
            save_figure(fig, path)
        finally:
            plt.close(fig)
    return path


def _panel(ax, rows: pd.DataFrame, positions: np.ndarray, name: str, thick: float) -> None:
    """One outcome's panel: band (thin), Monte Carlo interval (thick), point, zero line."""
    points = rows[name].to_numpy(dtype=float)
    ax.axvline(0.0, zorder=1, **ZERO_STYLE)
    band_low = rows[f"{name}_band_low"].to_numpy(dtype=float)
    band_high = rows[f"{name}_band_high"].to_numpy(dtype=float)
    banded = ~(np.isnan(band_low) | np.isnan(band_high))
    ax.hlines(
        positions[banded], band_low[banded], band_high[banded], color=BAND_COLOUR, lw=1.4, zorder=4
    )
    ax.hlines(
        positions,
        rows[f"{name}_low"].to_numpy(dtype=float),
        rows[f"{name}_high"].to_numpy(dtype=float),
        color=INTERVAL_COLOUR,
        lw=thick,
        alpha=0.55,
        zorder=3,
    )
    ax.plot(points, positions, "o", color="black", markersize=5, zorder=5)
    ax.set_title(textwrap.fill(PROBABILITIES[name], 20), fontsize="medium")
    ax.set_xlabel(AXIS_LABEL, fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    values = np.concatenate([points, band_low[banded], band_high[banded]])
    values = np.concatenate([values, rows[f"{name}_low"], rows[f"{name}_high"]])
    values = values[np.isfinite(values)]
    low = min(0.0, float(values.min())) if values.size else 0.0
    high = max(0.0, float(values.max())) if values.size else 0.0
    margin = max(1.0, high - low) * 0.08
    ax.set_xlim(low - margin, high + margin)


def _legend_handles(baseline: int, label: str, has_band: bool, draws: int) -> list:
    """Legend entries: the point, both intervals (or why no band), the baseline's zero line."""
    from matplotlib.lines import Line2D

    band = BAND_LABEL if has_band else f"No parameter band ({draws} draw(s) of too few replicates)"
    return [
        Line2D([], [], marker="o", color="black", linestyle="none", label=POINT_LABEL),
        Line2D([], [], color=INTERVAL_COLOUR, lw=6.0, alpha=0.55, label=INTERVAL_LABEL),
        Line2D([], [], color=BAND_COLOUR, lw=1.4, label=band),
        Line2D([], [], **ZERO_STYLE, label=f"Baseline, job {baseline} ({label}): no change"),
    ]
