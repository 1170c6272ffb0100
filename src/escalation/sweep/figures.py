"""Figures of a sweep: outcome probabilities across policies, from the sweep's ``summary.csv``.

A Hydra multirun sweeps the four policy levers; its gathering step writes one row per lever
combination (per job) with the outcome probabilities, their 95% Wilson intervals, and the means
of the numeric outcomes with their 95% intervals. This module reads that table: it never imports
the model, and matplotlib is imported lazily (with the ``Agg`` backend) inside the drawing
functions, as in ``escalation.run.figures``.

Each figure has pure data functions that tests check number by number (``swept_levers``,
``heatmap_layout``, ``heatmap_grid``, ``pareto_front``, ``ranking``), and a drawing function that
only lays that data out:

* ``plot_heatmap``: P(outcome) over the two most varied swept levers, faceted by the others;
* ``plot_tradeoff``: Ukraine's final position against P(NATO-Russia war), with the policies that
  no other policy beats on both highlighted;
* ``plot_ranking``: policies sorted by P(outcome), with their intervals.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from escalation.figure_style import FIGSIZES, check_style, pyplot, save_figure, set_title
from escalation.run.figures import Drawing, draw
from escalation.sweep.figure_data import (
    ALL,
    BASELINE_LABEL,
    BENEFIT,
    DOMINANCE_RULE,
    DOMINATED_LABEL,
    EXTRA_DIMENSIONS,
    FRONT_COLOUR,
    FRONT_LABEL,
    HEATMAP_OUTCOMES,
    KEY_HEADER,
    LEVERS,
    NO_OTHERS,
    NO_POLICY_SWEPT,
    NOISE_LABEL,
    NOISE_MARK,
    OTHERS_HEADER,
    PROBABILITY_LABEL,
    RANKING_OUTCOME,
    RISK,
    TRADEOFF_FILE,
    _outcome_label,
    _swept_phrase,
    _title,
    assumption_columns,
    heatmap_grid,
    heatmap_layout,
    is_baseline,
    key_columns,
    lever_values,
    pareto_front,
    policy_label,
    ranking,
    sweep_description,
    swept_columns,
    swept_levers,
    within_noise,
)
from escalation.sweep.heatmap import colour_top, plot_heatmap
from escalation.sweep.tradeoff import _errors, plot_tradeoff

__all__ = [
    "ALL",
    "BASELINE_LABEL",
    "BENEFIT",
    "DOMINANCE_RULE",
    "DOMINATED_LABEL",
    "EXTRA_DIMENSIONS",
    "FRONT_COLOUR",
    "FRONT_LABEL",
    "HEATMAP_OUTCOMES",
    "KEY_HEADER",
    "LEVERS",
    "NOISE_LABEL",
    "NOISE_MARK",
    "NO_OTHERS",
    "NO_POLICY_SWEPT",
    "OTHERS_HEADER",
    "PROBABILITY_LABEL",
    "RANKING_ENDS",
    "RANKING_OUTCOME",
    "RISK",
    "TRADEOFF_FILE",
    "Drawing",
    "assumption_columns",
    "colour_top",
    "draw",
    "draw_sweep_figures",
    "heatmap_grid",
    "heatmap_layout",
    "is_baseline",
    "key_columns",
    "lever_values",
    "pareto_front",
    "plot_heatmap",
    "plot_ranking",
    "plot_tradeoff",
    "policy_label",
    "ranking",
    "ranking_ends",
    "sweep_description",
    "swept_columns",
    "swept_levers",
    "within_noise",
]


RANKING_ENDS = 10
"""A ranking of more than twice this many policies shows only the lowest and highest ten."""


def ranking_ends(table: pd.DataFrame, ends: int = RANKING_ENDS) -> tuple[pd.DataFrame, int]:
    """The first and last ``ends`` rows of a ranking, and how many rows are left out between.

    Args:
        table: A ranking (``ranking``), lowest probability first.
        ends: Rows kept at each end.

    Returns:
        The rows kept (in rank order, with a ``rank`` column from 1) and the count left out.
    """
    ranked = table.assign(rank=np.arange(1, len(table) + 1))
    if len(ranked) <= 2 * ends:
        return ranked, 0
    kept = pd.concat([ranked.head(ends), ranked.tail(ends)], ignore_index=True)
    return kept, len(ranked) - 2 * ends


def plot_ranking(
    summary: pd.DataFrame,
    outcome: str,
    path: str | os.PathLike[str],
    *,
    sweep_name: str,
    style: str = "default",
) -> Path:
    """Draw policies ranked by P(outcome) in %, lowest at the top, with 95% Wilson intervals.

    The figure is a 16:9 slide: with more than 20 policies (a 54-policy grid) it shows the ten
    lowest and the ten highest, with a line saying how many are left out between them.

    Args:
        summary: Sweep summary, one row per policy.
        outcome: Yes/no outcome name, e.g. ``"direct_conflict"``.
        path: Where to write the image.
        sweep_name: Name of the sweep, for the title.
        style: ``plots.style``.

    Returns:
        The path written.
    """
    path = Path(path)
    table, hidden = ranking_ends(ranking(summary, outcome))
    levers = swept_columns(summary)
    percent = table["p"].to_numpy() * 100.0
    low = table["low"].to_numpy() * 100.0
    high = table["high"].to_numpy() * 100.0
    positions = np.arange(len(table), dtype=float)
    if hidden:
        positions[RANKING_ENDS:] += 1.0  # a blank row for the policies left out
    top = float(np.nanmax(high)) if len(table) and not np.all(np.isnan(high)) else 0.0
    right = min(112.0, max(5.0, top * 1.15 + 2.0))  # room for the value labels
    rows = len(positions) + (1 if hidden else 0)
    width, height = FIGSIZES["slides"]
    if style == "default":
        width, height = 12.8, 7.2  # a 16:9 slide at the default type size

    plt = pyplot()
    with plt.rc_context(check_style(style)):
        fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
        try:
            ax.barh(positions, percent, height=0.6, color="tab:red", alpha=0.6, label="Estimate")
            ax.errorbar(
                percent,
                positions,
                xerr=_errors(percent, low, high),
                fmt="none",
                ecolor="black",
                elinewidth=1.3,
                capsize=3,
                label="95% Wilson interval",
            )
            for y, p, h in zip(positions, percent, high, strict=True):
                if not math.isnan(p):
                    end = h if not math.isnan(h) else p
                    ax.text(end + right * 0.01, y, f"{p:.1f}%", va="center", fontsize="small")
            if hidden:
                ax.text(
                    right / 2,
                    RANKING_ENDS,
                    f"... {hidden} policies ranked {RANKING_ENDS + 1}-{RANKING_ENDS + hidden} "
                    "not shown ...",
                    ha="center",
                    va="center",
                    style="italic",
                )
            ax.set_yticks(positions)
            ax.set_yticklabels(
                [
                    f"{rank}. {label}"
                    for rank, label in zip(table["rank"], table["label"], strict=True)
                ],
                fontsize="small" if rows > 12 else "medium",
            )
            ax.set_ylim(rows - 0.5, -0.5)  # lowest probability at the top
            ax.set_xlim(0.0, right)
            ax.set_xticks([tick for tick in ax.get_xticks() if 0.0 <= tick <= min(right, 100.0)])
            ax.set_xlabel(PROBABILITY_LABEL)
            ax.grid(axis="x", alpha=0.3)
            fig.legend(loc="outside lower center", ncols=2, frameon=False)
            what = f"{_outcome_label(outcome)}: policies ranked {_swept_phrase(levers)}"
            if hidden:
                what += f" (lowest and highest {RANKING_ENDS})"
            set_title(fig, _title(summary, what, sweep_name))
            save_figure(fig, path)
        finally:
            plt.close(fig)
    return path


def draw_sweep_figures(
    summary: pd.DataFrame,
    folder: str | os.PathLike[str],
    *,
    sweep_name: str,
    style: str = "default",
    formats: Sequence[str] = ("png",),
    differences: pd.DataFrame | None = None,
    first: Sequence[Drawing] = (),
    workers: int = 1,
    meanwhile: Callable[[], None] | None = None,
) -> list[Path]:
    """Draw the figures of a sweep into a folder, each written atomically.

    Writes ``heatmap_direct_conflict``, ``heatmap_russian_retaliation`` (each on its own colour
    scale, with the cells within noise of the baseline marked when ``differences`` is given),
    ``tradeoff`` and ``ranking_direct_conflict``, in each format asked for.

    Args:
        summary: Sweep summary, one row per policy (the sweep's ``summary.csv``).
        folder: Output folder, created if missing.
        sweep_name: Name of the sweep, for the titles.
        style: ``plots.style``: ``default`` or ``slides``.
        formats: File formats, e.g. ``("png", "svg", "pdf")``.
        differences: The sweep's ``differences.csv`` table (``escalation.sweep.differences``),
            or None when the jobs could not be paired.
        first: Other figures of the sweep, drawn with these, before them (the differences).
        workers: Processes to draw the figures in (``draw``).
        meanwhile: Work of this process done while they are drawn (``draw``).

    Returns:
        The paths written: ``first``'s, then the figures above, for each format in turn.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    check_style(style)
    drawings = list(first)
    for suffix in formats:
        drawings += [
            functools.partial(
                plot_heatmap,
                summary,
                outcome,
                folder / f"heatmap_{outcome}.{suffix}",
                sweep_name=sweep_name,
                differences=differences,
                style=style,
            )
            for outcome in HEATMAP_OUTCOMES
        ]
        drawings.append(
            functools.partial(
                plot_tradeoff,
                summary,
                (folder / TRADEOFF_FILE).with_suffix(f".{suffix}"),
                sweep_name=sweep_name,
                style=style,
            )
        )
        drawings.append(
            functools.partial(
                plot_ranking,
                summary,
                RANKING_OUTCOME,
                folder / f"ranking_{RANKING_OUTCOME}.{suffix}",
                sweep_name=sweep_name,
                style=style,
            )
        )
    return draw(drawings, workers, meanwhile)
