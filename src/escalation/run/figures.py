"""Figures of a run: the data behind each figure, and the drawing.

Results flow one way: the model writes the trajectories and outcomes tables, this module reads
them. It never imports the model, and matplotlib is imported lazily inside the drawing functions
(with the non-interactive ``Agg`` backend), so that importing ``escalation.run.figures`` stays
cheap.

Each figure has a pure data function (``escalation.run.figure_data``: ``ladder_distribution``,
``median_rung``, ``position_bands``, ``outcome_probabilities``) that tests can check number by
number, and a drawing function here that only lays that data out.
"""

from __future__ import annotations

import functools
import math
import operator
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from escalation.figure_style import (
    FIGSIZES,
    check_style,
    pyplot,
    save_figure,
    set_title,
)
from escalation.run.figure_data import (
    LADDER_NOTE,
    ladder_distribution,
    measure_shares,
    median_rung,
    month_label,
    outcome_probabilities,
    outcome_tick_labels,
    position_bands,
    rare_rung_shares,
    run_title,
    rung_tick_labels,
)
from escalation.run.processes import Processes
from escalation.run.results import BAND_NOTE

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


LADDER_FILE = "escalation_ladder.png"
OUTCOMES_FILE = "outcome_probabilities.png"
POSITION_FILE = "ukraine_position.png"

# --------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------


def _date_ticks(ax: Axes, months: Sequence[int], dates: Sequence[str]) -> None:
    """Label a month axis with dates, at most about a dozen ticks, on whole quarters or years."""
    months = list(months)
    dates = list(dates)
    step = next((s for s in (1, 2, 3, 6, 12, 24) if len(months) / s <= 12), 48)
    positions = months[::step]
    ax.set_xticks(positions)
    ax.set_xticklabels([month_label(d) for d in dates[::step]], rotation=45, ha="right")


def _dates_by_month(trajectories: pd.DataFrame) -> pd.Series:
    """The date label of each month, indexed by month (sorted)."""
    return trajectories.groupby("month")["date"].first().sort_index()


def ladder_figure(trajectories: pd.DataFrame, title: str, *, style: str = "default") -> Figure:
    """The escalation ladder: a heatmap of rungs over months above a panel of the rare rungs.

    Months run along the x axis (labelled with dates), rungs up the y axis (labelled with rung
    names), colour is the % of replicates at that rung that month (the highest rung in force:
    lower rungs in force are not shown, and a note on the figure says so, ``LADDER_NOTE``), and
    a line shows the median rung. Rare rungs (a clash, war, nuclear use) are pale on a 0-100%
    scale, so a second panel below draws the % of replicates at or above each of them on its
    own scale. A third panel draws the % of replicates with each Western measure in force
    (instructors, deep strikes, troops: ``measure_shares``), which a higher rung hides in the
    colour; a table without those columns has no third panel.

    Args:
        trajectories: Long table with columns ``month``, ``date`` and ``rung``.
        title: Figure title (wrapped to the canvas width).
        style: ``plots.style``: ``default`` or ``slides``.

    Returns:
        The figure (the caller closes it); its first axes is the heatmap.
    """
    import matplotlib
    import matplotlib.patheffects as path_effects

    shares = ladder_distribution(trajectories)
    median = median_rung(trajectories)
    rare = rare_rung_shares(trajectories) * 100.0
    measures = measure_shares(trajectories)
    dates = _dates_by_month(trajectories)
    months = [int(month) for month in shares.columns]
    plt = pyplot()
    with plt.rc_context(check_style(style)):
        width, height = FIGSIZES[style]
        # The lower panels add height on a page; a slide keeps its 16:9 size.
        ratios = [3.0, 1.3] if measures is None else [3.0, 1.3, 1.1]
        fig, axes = plt.subplots(
            len(ratios),
            1,
            figsize=(width, height if style == "slides" else height * (0.3 + sum(ratios) / 3.0)),
            layout="constrained",
            sharex=True,
            height_ratios=ratios,
        )
        ax, rare_ax = axes[0], axes[1]
        cmap = matplotlib.colormaps["YlOrRd"].with_extremes(bad="white")
        image = ax.imshow(
            np.ma.masked_equal(shares.to_numpy() * 100.0, 0.0),
            origin="lower",
            aspect="auto",
            interpolation="nearest",
            cmap=cmap,
            vmin=0.0,
            vmax=100.0,
            extent=(months[0] - 0.5, months[-1] + 0.5, -0.5, len(shares) - 0.5),
        )
        colourbar = fig.colorbar(image, ax=ax, pad=0.02)
        colourbar.set_label("Replicates at this rung (%; white = none)")
        linewidth = matplotlib.rcParams["lines.linewidth"] + 1.0
        (line,) = ax.plot(
            median.index.to_numpy(),
            median.to_numpy(),
            color="navy",
            linewidth=linewidth,
            drawstyle="steps-mid",
            label="Median rung across replicates",
        )
        line.set_path_effects(
            [
                path_effects.Stroke(linewidth=linewidth + 2.0, foreground="white"),
                path_effects.Normal(),
            ]
        )
        ax.set_yticks(range(len(shares)))
        ax.set_yticklabels(rung_tick_labels())
        ax.set_ylabel("Escalation rung (highest in force)")
        ax.tick_params(axis="x", labelbottom=False)

        colours = ["tab:orange", "tab:red", "black"]
        for (label, column), colour in zip(rare.items(), colours, strict=True):
            rare_ax.plot(column.index.to_numpy(), column.to_numpy(), color=colour, label=label)
        top = float(np.nanmax(rare.to_numpy(), initial=0.0))
        rare_ax.set_ylim(0.0, max(1.0, top) * 2.0)  # headroom above the data for the legend
        rare_ax.set_ylabel("Replicates\nat or above (%)")
        rare_ax.grid(alpha=0.3)
        bottom = rare_ax
        if measures is not None:  # what the colour hides: the measures in force below the top
            bottom = axes[2]
            styles = [("tab:blue", "-", 4.0), ("tab:purple", "--", 2.0), ("tab:green", ":", 2.5)]
            for (label, column), (colour, dash, width) in zip(
                (measures * 100.0).items(), styles, strict=True
            ):  # wide to narrow, so that lines at the same share stay visible
                bottom.plot(
                    column.index.to_numpy(),
                    column.to_numpy(),
                    label=label,
                    color=colour,
                    linestyle=dash,
                    linewidth=width,
                )
            bottom.set_ylim(0.0, 130.0)  # headroom for the legend
            bottom.set_yticks([0, 50, 100])
            bottom.set_ylabel("Measure in\nforce (%)")
            bottom.grid(alpha=0.3)
            bottom.legend(loc="upper left", ncols=3, frameon=False, fontsize="small")
            rare_ax.tick_params(axis="x", labelbottom=False)
        _date_ticks(bottom, months, list(dates.reindex(months)))
        bottom.set_xlim(months[0] - 0.5, months[-1] + 0.5)
        bottom.set_xlabel("Month of the simulation (date)")
        # Legends off the data: the median's above the heatmap, the rare rungs' in the headroom.
        ax.legend(  # under the note on what the colour leaves out
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            frameon=False,
            borderaxespad=0.2,
            title=LADDER_NOTE,
            title_fontsize="small",
            alignment="left",
        )
        rare_ax.legend(loc="upper left", ncols=2, frameon=False, fontsize="small")
        set_title(fig, title)
    return fig


def plot_ladder(
    trajectories: pd.DataFrame,
    title: str,
    path: str | os.PathLike[str],
    *,
    style: str = "default",
) -> Path:
    """Draw the escalation ladder (``ladder_figure``) into ``path``.

    Args:
        trajectories: Long table with columns ``month``, ``date`` and ``rung``.
        title: Figure title.
        path: Where to write the image (format from the suffix, PNG by default).
        style: ``plots.style``.

    Returns:
        The path written.
    """
    return _write(ladder_figure(trajectories, title, style=style), Path(path), style)


def _write(fig: Figure, path: Path, style: str) -> Path:
    """Save a figure under its style atomically, and close it whatever happens."""
    plt = pyplot()
    try:
        with plt.rc_context(check_style(style)):
            save_figure(fig, path)
    finally:
        plt.close(fig)
    return path


#: The legend's names of the two intervals of a probability on the outcomes figure.
MC_LABEL = "95% Wilson interval (Monte Carlo error)"
BAND_LABEL = "Parameter band (5-95% across parameter draws)"
#: The order of the outcomes figure's legend.
LEGEND_ORDER = ("Estimated probability", MC_LABEL, BAND_LABEL)
#: The outcomes figure's note when no probability has a parameter band.
NO_BAND_NOTE = (
    "No parameter band: it needs at least two parameter draws of at least two replicates each"
)


def interval_legend(fig: Figure, ax: Axes, order: Sequence[str], *, banded: bool) -> Any:
    """A figure's legend below it, in ``order``, titled by what the two intervals mean.

    Args:
        fig: The figure.
        ax: The axes whose labelled artists the legend names.
        order: The labels in the legend's order (those not drawn are left out).
        banded: Whether a parameter band is drawn: the title is then ``BAND_NOTE``, else
            ``NO_BAND_NOTE``.

    Returns:
        The legend.
    """
    import textwrap

    plt = pyplot()
    handles, labels = ax.get_legend_handles_labels()
    chosen = [labels.index(name) for name in order if name in labels]
    characters = int(fig.get_figwidth() * 72.0 / (plt.rcParams["font.size"] * 0.55))
    legend = fig.legend(
        [handles[i] for i in chosen],
        [labels[i] for i in chosen],
        loc="outside lower center",
        ncols=2,
        frameon=False,
        title=textwrap.fill(BAND_NOTE if banded else NO_BAND_NOTE, characters),
        title_fontsize="small",
    )
    legend.get_title().set_color("0.3")
    return legend


def outcomes_figure(summary: Mapping[str, Any], *, style: str = "default") -> Figure:
    """Outcome probabilities as horizontal bars in %, with both intervals of each.

    The 95% Wilson interval (Monte Carlo error) is a black error bar; the parameter band
    (``escalation.run.results.parameter_band``) a wider, lighter bar behind it. The legend names
    both, and its title says what they mean (``BAND_NOTE``; ``NO_BAND_NOTE`` when no
    probability has a band). Each row names its outcome and, below, what it counts
    (``outcome_tick_labels``: a clash is any exchange of fire, nuclear use needs no NATO war).

    Args:
        summary: Run summary with ``title`` (or ``scenario``), ``replicates``, ``months``,
            ``config`` and ``probabilities`` (see ``outcome_probabilities``).
        style: ``plots.style``.

    Returns:
        The figure (the caller closes it).
    """
    table = outcome_probabilities(summary)
    percent = table["p"].to_numpy() * 100.0
    low = table["low"].to_numpy() * 100.0
    high = table["high"].to_numpy() * 100.0
    band_low = table["band_low"].to_numpy(dtype=float) * 100.0
    band_high = table["band_high"].to_numpy(dtype=float) * 100.0
    banded = ~(np.isnan(band_low) | np.isnan(band_high))
    errors = np.clip(np.vstack([percent - low, high - percent]), 0.0, None)
    positions = np.arange(len(table))
    ends = np.fmax(high, band_high)  # the right end of what is drawn on each row
    top = float(np.nanmax(ends)) if len(table) and not np.all(np.isnan(ends)) else 0.0
    right = min(112.0, max(5.0, top * 1.25 + 2.0))  # room for the value labels
    plt = pyplot()
    with plt.rc_context(check_style(style)):
        width, height = FIGSIZES[style]
        if style != "slides":  # room for each row's name and definition; a slide keeps 16:9
            height = max(height, 0.75 * len(table) + 3.0)
        fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
        ax.barh(positions, percent, color="tab:red", alpha=0.75, label="Estimated probability")
        if banded.any():
            ax.hlines(
                positions[banded],
                band_low[banded],
                band_high[banded],
                colors="tab:blue",
                alpha=0.4,
                linewidth=3.0 * plt.rcParams["lines.linewidth"] + 6.0,
                capstyle="butt",
                zorder=2.5,
                label=BAND_LABEL,
            )
        ax.errorbar(
            percent,
            positions,
            xerr=errors,
            fmt="none",
            ecolor="black",
            elinewidth=1.5,
            capsize=5,
            zorder=3,
            label=MC_LABEL,
        )
        for y, p, end in zip(positions, percent, ends, strict=True):
            if not math.isnan(p):
                end = end if not math.isnan(end) else p
                ax.text(end + right * 0.01, y, f"{p:.1f}%", va="center")
        ax.set_yticks(positions)
        ax.set_yticklabels(outcome_tick_labels(table), linespacing=1.1)
        ax.invert_yaxis()
        ax.set_xlim(0.0, right)
        ax.set_xticks([tick for tick in ax.get_xticks() if 0.0 <= tick <= min(right, 100.0)])
        ax.set_xlabel("Probability over the run (%)")
        set_title(fig, run_title(summary, "outcome probabilities"))
        interval_legend(fig, ax, LEGEND_ORDER, banded=bool(banded.any()))
        ax.grid(axis="x", alpha=0.3)
    return fig


def plot_outcomes(
    summary: Mapping[str, Any], path: str | os.PathLike[str], *, style: str = "default"
) -> Path:
    """Draw the outcome probabilities (``outcomes_figure``) into ``path``.

    Args:
        summary: Run summary (see ``outcomes_figure``).
        path: Where to write the image.
        style: ``plots.style``.

    Returns:
        The path written.
    """
    return _write(outcomes_figure(summary, style=style), Path(path), style)


def position_figure(trajectories: pd.DataFrame, title: str, *, style: str = "default") -> Figure:
    """A fan chart of Ukraine's battlefield position: median, 50% and 90% bands.

    Args:
        trajectories: Long table with columns ``month``, ``date`` and ``position`` (% of
            Ukraine's internationally recognised territory held by Ukraine).
        title: Figure title.
        style: ``plots.style``.

    Returns:
        The figure (the caller closes it).
    """
    bands = position_bands(trajectories)
    months = bands["month"].to_numpy()
    plt = pyplot()
    with plt.rc_context(check_style(style)):
        fig, ax = plt.subplots(figsize=FIGSIZES[style], layout="constrained")
        ax.fill_between(
            months,
            bands["p5"],
            bands["p95"],
            color="tab:blue",
            alpha=0.18,
            linewidth=0,
            label="90% of replicates (5th-95th percentile)",
        )
        ax.fill_between(
            months,
            bands["p25"],
            bands["p75"],
            color="tab:blue",
            alpha=0.38,
            linewidth=0,
            label="50% of replicates (25th-75th percentile)",
        )
        ax.plot(months, bands["p50"], color="navy", label="Median")
        _date_ticks(ax, months.tolist(), bands["date"].tolist())
        if len(months) > 1:
            ax.set_xlim(months[0], months[-1])
        ax.set_xlabel("Month of the simulation (date)")
        ax.set_ylabel("Territory held by Ukraine\n(% of internationally recognised territory)")
        set_title(fig, title)
        fig.legend(loc="outside lower center", ncols=3, frameon=False)
        ax.grid(alpha=0.3)
    return fig


def plot_position(
    trajectories: pd.DataFrame,
    title: str,
    path: str | os.PathLike[str],
    *,
    style: str = "default",
) -> Path:
    """Draw the fan chart of Ukraine's position (``position_figure``) into ``path``.

    Args:
        trajectories: Long table with columns ``month``, ``date`` and ``position``.
        title: Figure title.
        path: Where to write the image.
        style: ``plots.style``.

    Returns:
        The path written.
    """
    return _write(position_figure(trajectories, title, style=style), Path(path), style)


def _summary_title(summary: Mapping[str, Any], what: str) -> str:
    """The title of a run figure (``run_title``)."""
    return run_title(summary, what)


def draw_run_figures(
    trajectories: pd.DataFrame,
    summary: Mapping[str, Any],
    folder: str | os.PathLike[str],
    *,
    style: str = "default",
    formats: Sequence[str] = ("png",),
    workers: int = 1,
    meanwhile: Callable[[], None] | None = None,
) -> list[Path]:
    """Draw the three figures of a run into a folder, each written atomically.

    Writes ``escalation_ladder``, ``outcome_probabilities`` and ``ukraine_position``, each in
    every format asked for (``plots.format``).

    Args:
        trajectories: Long table of the run, one row per (replicate, month).
        summary: Run summary (``title``, ``replicates``, ``months``, ``probabilities``, ...).
        folder: Output folder, created if missing.
        style: ``plots.style``: ``default`` or ``slides``.
        formats: File formats, e.g. ``("png", "svg", "pdf")``.
        workers: Processes to draw them in (``draw``).
        meanwhile: Work of this process done while they are drawn (``draw``).

    Returns:
        The paths written: ladder, outcomes, position, for each format in turn.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    check_style(style)
    drawings: list[Drawing] = []
    for suffix in formats:
        drawings += [
            functools.partial(
                plot_ladder,
                trajectories,
                run_title(summary, "escalation ladder"),
                (folder / LADDER_FILE).with_suffix(f".{suffix}"),
                style=style,
            ),
            functools.partial(
                plot_outcomes,
                summary,
                (folder / OUTCOMES_FILE).with_suffix(f".{suffix}"),
                style=style,
            ),
            functools.partial(
                plot_position,
                trajectories,
                run_title(summary, "Ukraine's battlefield position"),
                (folder / POSITION_FILE).with_suffix(f".{suffix}"),
                style=style,
            ),
        ]
    return draw(drawings, workers, meanwhile)


#: A figure to draw: a call of a drawing function that returns the path it wrote.
Drawing = Callable[[], Path]


def draw(
    drawings: Sequence[Drawing], workers: int = 1, meanwhile: Callable[[], None] | None = None
) -> list[Path]:
    """Draw figures, in ``workers`` processes when there are more than one; their paths in order.

    Each figure is drawn and written whole by one process (``escalation.run.processes``), so the
    files do not depend on the number of workers.

    Args:
        drawings: The figures.
        workers: Processes to draw them in; 1 draws them here, one after the other.
        meanwhile: Work of this process done while the workers draw (before drawing, here).
    """
    if workers <= 1 or len(drawings) <= 1:
        if meanwhile is not None:
            meanwhile()
        return [drawing() for drawing in drawings]
    pyplot()  # imported once, here: each worker starts with it
    with Processes(min(workers, len(drawings))) as processes:
        futures = [processes.submit(operator.call, drawing) for drawing in drawings]
        if meanwhile is not None:
            meanwhile()
        return processes.results(futures)
