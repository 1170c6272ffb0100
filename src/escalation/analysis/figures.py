"""The figures of ``escalation-analyze``: feature scores, each policy's PRIM box, Sobol indices.

Each figure of scores or indices marks its no-effect reference (a labelled dashed line), so that
a bar within it reads as noise.

Matplotlib is imported lazily (``escalation.run.figures``); every file is written atomically.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from escalation.analysis.analyse import (
    Analysis,
    PolicyResult,
    leaders,
    percent,
)
from escalation.figure_style import STYLE, pyplot, save_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes


FEATURE_SCORES_FIGURE = "analysis_feature_scores.png"
SOBOL_FIGURE = "analysis_sobol.png"
MAX_PANELS = 12
"""Above this many policies the feature scores are drawn as one heatmap instead of panels."""


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def prim_figure_name(result: PolicyResult) -> str:
    """``analysis_prim.png`` for a run, ``analysis_prim_<job>.png`` for a job of a sweep."""
    job = result.policy.job
    return "analysis_prim.png" if job is None else f"analysis_prim_{job}.png"


def draw_figures(analysis: Analysis, folder: Path) -> dict[str, str]:
    """Draw every figure of the analysis into ``folder``.

    Returns:
        Paths relative to the report's folder, by kind: ``feature_scores``, ``sobol`` and
        ``prim:<job>`` for each policy with a box.
    """
    links = {}
    with_scores = [r for r in analysis.analysed if r.scores is not None]
    if with_scores:
        plot_feature_scores(analysis, folder / FEATURE_SCORES_FIGURE)
        links["feature_scores"] = f"{folder.name}/{FEATURE_SCORES_FIGURE}"
    for result in analysis.analysed:
        if result.boxes:
            name = prim_figure_name(result)
            plot_prim(analysis, result, folder / name)
            links[f"prim:{result.policy.job}"] = f"{folder.name}/{name}"
    if any(result.sobol is not None for result in analysis.analysed):
        plot_sobol(analysis, folder / SOBOL_FIGURE)
        links["sobol"] = f"{folder.name}/{SOBOL_FIGURE}"
    return links


def _panel_title(result: PolicyResult, width: int = 38) -> str:
    text = f"{result.policy.title} — {percent(result.rate)} of runs"
    return "\n".join(textwrap.wrap(text, width))


def _grid(count: int, columns: int = 3) -> tuple[int, int]:
    columns = min(columns, count)
    return -(-count // columns), columns


def plot_feature_scores(analysis: Analysis, path: Path) -> Path:
    """Feature scores with their spread and the no-effect reference: a panel per policy.

    Parameters are in the same order in every panel, the most important overall first; a
    dashed line in each panel marks that policy's no-effect reference (the highest score a
    parameter gets with the outcome shuffled across draws). Beyond ``MAX_PANELS`` policies, a
    heatmap.
    """
    plt = pyplot()
    results = [r for r in analysis.analysed if r.scores is not None]
    order = list(leaders(analysis).sort_values("score", ascending=False).index)
    measure = "probability" if analysis.target.yes_no else "mean"
    title = f"What drives {analysis.target.phrase}: importance of each parameter"
    with plt.rc_context(STYLE):
        if len(results) > MAX_PANELS:
            fig = _feature_heatmap(plt, results, order, title)
        else:
            rows, columns = _grid(len(results))
            fig, axes = plt.subplots(
                rows,
                columns,
                figsize=(max(8.5, 4.6 * columns + 1.5), 0.3 * len(order) * rows + 1.6 * rows + 1.6),
                sharex=True,
                squeeze=False,
                layout="constrained",
            )
            top = max(max(float(r.scores["high"].max()), r.reference) for r in results)
            for ax, result in zip(axes.flat, results, strict=False):
                scores = result.scores.reindex(order)
                y = np.arange(len(order))
                out = scores["stands_out"].fillna(False).to_numpy(dtype=bool)
                ax.barh(
                    y[out],
                    scores["score"][out],
                    color="#4c72b0",
                    label="stands out (above the line)",
                )
                ax.barh(
                    y[~out],
                    scores["score"][~out],
                    color="#b0b0b0",
                    label="within the no-effect reference",
                )
                ax.errorbar(
                    scores["score"],
                    y,
                    xerr=[
                        (scores["score"] - scores["low"]).clip(lower=0),
                        (scores["high"] - scores["score"]).clip(lower=0),
                    ],
                    fmt="none",
                    ecolor="black",
                    capsize=3,
                    label="95% of bootstrap resamples",
                )
                ax.axvline(
                    result.reference,
                    color="#c44e52",
                    linestyle="--",
                    label="no-effect reference: top score with the outcome shuffled",
                )
                ax.set_yticks(y, order)
                ax.invert_yaxis()
                ax.set_xlim(0, top * 1.1)
                ax.set_title(_panel_title(result), fontsize=10)
                ax.set_xlabel("feature score (share of the fit)")
            _finish_panels(
                fig,
                axes,
                len(results),
                2 if columns > 1 else 1,
                f"{title}\n(extra trees on the {measure} at each of "
                f"{_draws_text(results)} parameter draws;\n{analysis.resamples} bootstrap "
                f"resamples, {analysis.permutations} shuffles for the reference)",
            )
        _save_and_close(plt, fig, path)
    return path


def _draws_text(results: list[PolicyResult]) -> str:
    """``"1,000"``, or ``"100-200"`` when the policies' draws differ."""
    counts = [r.policy.draws for r in results]
    low, high = min(counts), max(counts)
    return f"{low:,}" if low == high else f"{low:,}-{high:,}"


def _finish_panels(fig: Any, axes: Any, used: int, legend_columns: int, title: str) -> None:
    """Hide the unused panels; one legend under them all (from the first panel); the title."""
    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=legend_columns)
    fig.suptitle(title, fontsize=12)


def _save_and_close(plt: Any, fig: Any, path: Path) -> None:
    """Save the figure atomically and close it, whatever happens."""
    try:
        save_figure(fig, path)
    finally:
        plt.close(fig)


def _feature_heatmap(plt: Any, results: list[PolicyResult], order: list[str], title: str) -> Any:
    """Many policies: scores as a heatmap, parameters by policy; a dot where one stands out."""
    # a parameter fixed in a policy's runs (varied in another's) has no score there: blank
    values = np.array([r.scores["score"].reindex(order).to_numpy() for r in results]).T
    fig, ax = plt.subplots(
        figsize=(max(8.0, 0.35 * len(results) + 4), 0.4 * len(order) + 2.5), layout="constrained"
    )
    image = ax.imshow(values, aspect="auto", cmap="viridis")
    for column, result in enumerate(results):
        out = result.scores["stands_out"].reindex(order).fillna(False).to_numpy(dtype=bool)
        rows = np.flatnonzero(out)
        ax.scatter(
            np.full(len(rows), column),
            rows,
            s=12,
            color="white",
            label="above the no-effect reference" if column == 0 else None,
        )
    ax.set_yticks(np.arange(len(order)), order)
    ax.set_xticks(np.arange(len(results)), [str(r.policy.job) for r in results], fontsize=8)
    ax.set_xlabel("job (policy; names in analysis.md)")
    ax.set_ylabel("parameter")
    ax.set_title(f"{title}\n(extra-trees score; a dot: above the policy's no-effect reference)")
    fig.colorbar(image, ax=ax, label="feature score (share of the fit)")
    return fig


def plot_prim(analysis: Analysis, result: PolicyResult, path: Path) -> Path:
    """One policy's PRIM result: the peeling trajectory and the chosen box(es)' limits.

    Left: every box on the first peeling trajectory by coverage and density, coloured by how
    many parameters it restricts, with the chosen box ringed. Right: each restricted
    parameter's full range (grey) and the box's range (coloured), with their numbers.
    """
    plt = pyplot()
    target = analysis.target
    with plt.rc_context(STYLE):
        fig, (left, right) = plt.subplots(
            1, 2, figsize=(13, 5.2), layout="constrained", width_ratios=[1, 1.25]
        )
        _plot_trajectory(left, result)
        _plot_limits(right, result)
        fig.suptitle(
            f"Where {target.phrase} happens: {result.policy.title}\n"
            f"PRIM scenario discovery over {result.runs:,} runs "
            f"({percent(result.rate)} with {target.phrase})",
            fontsize=12,
        )
        _save_and_close(plt, fig, path)
    return path


def _plot_trajectory(ax: Axes, result: PolicyResult) -> None:
    box = result.boxes[0]
    trajectory = box.trajectory
    dims = trajectory["res_dim"].astype(int)
    colours = ax.scatter(
        trajectory["coverage"],
        trajectory["density"],
        c=dims,
        cmap="viridis",
        vmin=0,
        vmax=max(int(dims.max()), 1),
        s=22,
    )
    ax.scatter(
        [box.coverage],
        [box.density],
        s=180,
        facecolors="none",
        edgecolors="red",
        linewidths=2,
        label="chosen box",
    )
    ax.axhline(result.rate, color="grey", linestyle="--", label="share over all runs")
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("coverage (share of the outcome's runs in the box)")
    ax.set_ylabel("density (share of the box's runs with the outcome)")
    ax.set_title("Peeling trajectory", fontsize=11)
    ax.legend(loc="lower left", fontsize=9)
    ax.figure.colorbar(colours, ax=ax, label="parameters restricted")


def _plot_limits(ax: Axes, result: PolicyResult) -> None:
    ranges = result.policy.ranges
    names: list[str] = []
    for box in result.boxes:
        names += [name for name in box.limits if name not in names]
    colours = ["#c44e52", "#4c72b0", "#55a868", "#8172b2"]
    ax.barh(range(len(names)), 1.0, color="#dddddd", height=0.6, label="full range")
    for number, box in enumerate(result.boxes):
        offset = (number - (len(result.boxes) - 1) / 2) * 0.18
        label = (
            f"box {number + 1}: density {percent(box.density)}, coverage {percent(box.coverage)}"
        )
        for row, name in enumerate(names):
            if name not in box.limits:
                continue
            low, high = box.limits[name]
            full_low, full_high = ranges[name]
            span = full_high - full_low
            start, end = (low - full_low) / span, (high - full_low) / span
            ax.barh(
                row + offset,
                end - start,
                left=start,
                height=0.6 / len(result.boxes),
                color=colours[number % len(colours)],
                label=label,
            )
            label = None
            ax.text(start, row + offset + 0.05, f"{low:.3g}", ha="right", va="center", fontsize=9)
            ax.text(end, row + offset + 0.05, f"{high:.3g}", ha="left", va="center", fontsize=9)
    labels = [f"{name}\n(range {ranges[name][0]:.3g} to {ranges[name][1]:.3g})" for name in names]
    ax.set_yticks(range(len(names)), labels)
    ax.invert_yaxis()
    ax.set_xlim(-0.08, 1.08)
    ax.set_xlabel("position in the parameter's range (0 = low end, 1 = high end)")
    ax.set_title("Box limits", fontsize=11)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=9, ncols=1)


def plot_sobol(analysis: Analysis, path: Path) -> Path:
    """Sobol first-order and total indices with 95% confidence intervals, one panel per policy.

    Each panel marks the no-effect references: 0 for S1, and for ST the share of the per-draw
    values' variance that is Monte Carlo noise (when it can be estimated).
    """
    plt = pyplot()
    results = [r for r in analysis.analysed if r.sobol is not None]
    order = list(
        pd.concat([r.sobol.table["ST"] for r in results], axis=1)
        .mean(axis=1)
        .sort_values(ascending=False)
        .index
    )
    with plt.rc_context(STYLE):
        rows, columns = _grid(len(results))
        fig, axes = plt.subplots(
            rows,
            columns,
            figsize=(max(9.0, 4.8 * columns + 1.5), 0.36 * len(order) * rows + 1.6 * rows + 1.2),
            sharex=True,
            squeeze=False,
            layout="constrained",
        )
        for ax, result in zip(axes.flat, results, strict=False):
            table = result.sobol.table.reindex(order)
            y = np.arange(len(order))
            for shift, (key, colour, label) in enumerate(
                (
                    ("S1", "#4c72b0", "first order S1: the parameter alone"),
                    ("ST", "#dd8452", "total ST: with interactions and the draws' noise"),
                )
            ):
                ax.barh(
                    y + (shift - 0.5) * 0.4,
                    table[key],
                    height=0.4,
                    xerr=table[f"{key}_conf"],
                    color=colour,
                    capsize=2,
                    label=label,
                )
            ax.axvline(0, color="black", linewidth=0.8)
            if result.sobol.noise is not None:
                ax.axvline(
                    result.sobol.noise,
                    color="#c44e52",
                    linestyle="--",
                    label="no-effect reference of ST: the Monte Carlo noise's share",
                )
            ax.set_yticks(y, order)
            ax.invert_yaxis()
            ax.set_title(_panel_title(result), fontsize=10)
            ax.set_xlabel("Sobol index (share of the variance of the per-draw value)")
        _finish_panels(
            fig,
            axes,
            len(results),
            1,
            f"Sobol indices of {analysis.target.phrase} over the parameter draws\n"
            "(SALib, 95% confidence intervals)",
        )
        _save_and_close(plt, fig, path)
    return path
