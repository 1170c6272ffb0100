"""Figures of a run: the data behind each figure, and the drawing.

Results flow one way: the model writes the trajectories and outcomes tables, this module reads
them. It never imports the model, and matplotlib is imported lazily inside the drawing functions
(with the non-interactive ``Agg`` backend), so that importing ``escalation.plots`` stays cheap.

Each figure has a pure data function (``ladder_distribution``, ``median_rung``,
``position_bands``, ``outcome_probabilities``) that tests can check number by number, and a
drawing function that only lays that data out.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from escalation.files import atomic_write
from escalation.ladder import Rung, rung_labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FIGSIZE: tuple[float, float] = (10.0, 6.0)
"""Figure size in inches: readable on a projector."""

DPI: int = 120
"""Resolution of saved figures, in dots per inch."""

STYLE: dict[str, Any] = {"font.size": 11, "axes.titlesize": 13, "axes.labelsize": 12}
"""Matplotlib settings for the figures: fonts large enough for a projector."""

LADDER_FILE = "escalation_ladder.png"
OUTCOMES_FILE = "outcome_probabilities.png"
POSITION_FILE = "ukraine_position.png"

BAND_QUANTILES: dict[str, float] = {"p5": 0.05, "p25": 0.25, "p50": 0.50, "p75": 0.75, "p95": 0.95}
"""Quantiles of Ukraine's position drawn in the fan chart, by column name."""


# --------------------------------------------------------------------------------------------
# Data behind the figures
# --------------------------------------------------------------------------------------------


def ladder_distribution(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Share of replicates at each rung of the ladder, month by month.

    Args:
        trajectories: Long table, one row per (replicate, month), with columns ``month`` and
            ``rung``.

    Returns:
        A frame indexed by every rung of ``escalation.ladder.Rung`` (0 to 13, including rungs
        never reached), with one column per month (sorted), holding the share of replicates
        (0..1) at that rung in that month. Each column sums to 1.

    Raises:
        ValueError: A rung in the table is not on the ladder (the shares would not sum to 1).
    """
    counts = pd.crosstab(trajectories["rung"], trajectories["month"])
    rungs = [int(rung) for rung in Rung]
    unknown = sorted(set(counts.index.astype(int)) - set(rungs))
    if unknown:
        raise ValueError(f"rungs {unknown} are not on the ladder (0 to {max(rungs)})")
    counts = counts.reindex(index=rungs, fill_value=0).sort_index(axis=1)
    shares = counts / counts.sum(axis=0)
    shares.index.name = "rung"
    shares.columns.name = "month"
    return shares.astype(float)


def rung_tick_labels() -> list[str]:
    """Labels of the rung axis, lowest rung first: each rung's name and number.

    Returns:
        One label per rung of the ladder, e.g. ``"Contained NATO-Russia clash (10)"``, taken
        from ``escalation.ladder.rung_labels()``.
    """
    return [f"{label} ({rung})" for rung, label in enumerate(rung_labels())]


def median_rung(trajectories: pd.DataFrame) -> pd.Series:
    """Median escalation rung across replicates, month by month.

    Args:
        trajectories: Long table with columns ``month`` and ``rung``.

    Returns:
        A series indexed by month (sorted) with the median rung that month. With an even number
        of replicates the median may fall half-way between two rungs.
    """
    return trajectories.groupby("month")["rung"].median().sort_index().astype(float)


def position_bands(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Quantiles of Ukraine's battlefield position across replicates, month by month.

    Args:
        trajectories: Long table with columns ``month``, ``date`` and ``position`` (% of
            Ukraine's internationally recognised territory held by Ukraine).

    Returns:
        One row per month (sorted) with columns ``month``, ``date``, ``p5``, ``p25``, ``p50``,
        ``p75`` and ``p95`` (% territory held), using linear interpolation between replicates.
    """
    by_month = trajectories.groupby("month")
    bands = pd.DataFrame(
        {name: by_month["position"].quantile(q) for name, q in BAND_QUANTILES.items()}
    )
    bands.insert(0, "date", by_month["date"].first())
    bands = bands.sort_index().reset_index()
    return bands[["month", "date", *BAND_QUANTILES]]


def outcome_probabilities(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Outcome probabilities of a run with their 95% intervals, in the summary's order.

    Args:
        summary: Run summary with a ``probabilities`` mapping from outcome name to a mapping with
            keys ``label``, ``p``, ``low`` and ``high`` (probabilities in 0..1).

    Returns:
        A frame with columns ``outcome``, ``label``, ``p``, ``low`` and ``high``, one row per
        outcome, in the order given in the summary. A missing label falls back to the outcome
        name.
    """
    rows = [
        {
            "outcome": outcome,
            "label": entry.get("label", outcome),
            "p": float(entry["p"]),
            "low": float(entry["low"]),
            "high": float(entry["high"]),
        }
        for outcome, entry in summary["probabilities"].items()
    ]
    return pd.DataFrame(rows, columns=["outcome", "label", "p", "low", "high"])


def month_label(date: str) -> str:
    """Turn a ``"YYYY-MM"`` date into a short label such as ``"Oct 2024"``.

    Args:
        date: Month as ``"YYYY-MM"``.

    Returns:
        The month's abbreviated English name and year; the input unchanged if it is not
        ``"YYYY-MM"``.
    """
    try:
        return datetime.strptime(str(date), "%Y-%m").strftime("%b %Y")
    except ValueError:
        return str(date)


# --------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------


def _pyplot() -> Any:
    """Import pyplot lazily with the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@contextmanager
def _figure() -> Iterator[tuple[Figure, Axes]]:
    """A projector-sized figure with one axes, drawn under ``STYLE`` and closed afterwards."""
    plt = _pyplot()
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
        try:
            yield fig, ax
        finally:
            plt.close(fig)


def _save_atomically(fig: Figure, path: Path) -> None:
    """Save a figure to a temporary file beside ``path``, then move it into place."""
    with atomic_write(path, "wb") as stream:
        fig.savefig(stream, format=path.suffix.lstrip(".") or "png", dpi=DPI)


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


def plot_ladder(trajectories: pd.DataFrame, title: str, path: str | os.PathLike[str]) -> Path:
    """Draw the escalation ladder heatmap: % of replicates at each rung, month by month.

    Months run along the x axis (labelled with dates), rungs up the y axis (labelled with rung
    names), colour is the % of replicates at that rung that month, and a line shows the median
    rung.

    Args:
        trajectories: Long table with columns ``month``, ``date`` and ``rung``.
        title: Figure title.
        path: Where to write the image (format from the suffix, PNG by default).

    Returns:
        The path written.
    """
    import matplotlib
    import matplotlib.patheffects as path_effects

    shares = ladder_distribution(trajectories)
    median = median_rung(trajectories)
    dates = _dates_by_month(trajectories)
    months = [int(month) for month in shares.columns]
    path = Path(path)

    with _figure() as (fig, ax):
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
        (line,) = ax.plot(
            median.index.to_numpy(),
            median.to_numpy(),
            color="navy",
            linewidth=2.5,
            drawstyle="steps-mid",
            label="Median rung across replicates",
        )
        line.set_path_effects(
            [path_effects.Stroke(linewidth=4.5, foreground="white"), path_effects.Normal()]
        )
        ax.set_yticks(range(len(shares)))
        ax.set_yticklabels(rung_tick_labels())
        _date_ticks(ax, months, list(dates.reindex(months)))
        ax.set_xlabel("Month of the simulation (date)")
        ax.set_ylabel("Escalation rung (highest in force)")
        ax.set_title(title)
        ax.legend(loc="upper left", framealpha=0.9)
        _save_atomically(fig, path)
    return path


def plot_outcomes(summary: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Draw outcome probabilities as horizontal bars in % with 95% Wilson interval error bars.

    Args:
        summary: Run summary with ``title`` (or ``scenario``), ``replicates``, ``months`` and
            ``probabilities`` (see ``outcome_probabilities``).
        path: Where to write the image.

    Returns:
        The path written.
    """
    table = outcome_probabilities(summary)
    path = Path(path)
    percent = table["p"].to_numpy() * 100.0
    low = table["low"].to_numpy() * 100.0
    high = table["high"].to_numpy() * 100.0
    errors = np.clip(np.vstack([percent - low, high - percent]), 0.0, None)
    positions = np.arange(len(table))
    top = float(np.nanmax(high)) if len(table) and not np.all(np.isnan(high)) else 0.0
    right = min(112.0, max(5.0, top * 1.25 + 2.0))  # room for the value labels

    with _figure() as (fig, ax):
        ax.barh(positions, percent, color="tab:red", alpha=0.75, label="Estimated probability")
        ax.errorbar(
            percent,
            positions,
            xerr=errors,
            fmt="none",
            ecolor="black",
            elinewidth=1.5,
            capsize=5,
            label="95% Wilson interval",
        )
        for y, p, h in zip(positions, percent, high, strict=True):
            if not math.isnan(p):
                end = h if not math.isnan(h) else p
                ax.text(end + right * 0.01, y, f"{p:.1f}%", va="center")
        ax.set_yticks(positions)
        ax.set_yticklabels(table["label"].tolist())
        ax.invert_yaxis()
        ax.set_xlim(0.0, right)
        ax.set_xticks([tick for tick in ax.get_xticks() if 0.0 <= tick <= min(right, 100.0)])
        ax.set_xlabel("Probability over the run (%)")
        ax.set_title(_summary_title(summary, "outcome probabilities"))
        ax.legend(loc="lower right", framealpha=0.9)
        ax.grid(axis="x", alpha=0.3)
        _save_atomically(fig, path)
    return path


def plot_position(trajectories: pd.DataFrame, title: str, path: str | os.PathLike[str]) -> Path:
    """Draw a fan chart of Ukraine's battlefield position: median, 50% and 90% bands.

    Args:
        trajectories: Long table with columns ``month``, ``date`` and ``position`` (% of
            Ukraine's internationally recognised territory held by Ukraine).
        title: Figure title.
        path: Where to write the image.

    Returns:
        The path written.
    """
    bands = position_bands(trajectories)
    months = bands["month"].to_numpy()
    path = Path(path)

    with _figure() as (fig, ax):
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
        ax.plot(months, bands["p50"], color="navy", linewidth=2.5, label="Median")
        _date_ticks(ax, months.tolist(), bands["date"].tolist())
        if len(months) > 1:
            ax.set_xlim(months[0], months[-1])
        ax.set_xlabel("Month of the simulation (date)")
        ax.set_ylabel("Territory held by Ukraine\n(% of internationally recognised territory)")
        ax.set_title(title)
        ax.legend(loc="best", framealpha=0.9)
        ax.grid(alpha=0.3)
        _save_atomically(fig, path)
    return path


def _summary_title(summary: Mapping[str, Any], what: str) -> str:
    """Two-line figure title: scenario title and what is drawn, then replicates and months."""
    name = summary.get("title") or summary.get("scenario") or "Scenario"
    details = []
    if summary.get("replicates") is not None:
        details.append(f"{int(summary['replicates']):,} replicates")
    if summary.get("months") is not None:
        details.append(f"{int(summary['months'])} months")
    if summary.get("start"):
        details.append(f"from {month_label(summary['start'])}")
    second = ", ".join(details)
    return f"{name}: {what}" + (f"\n{second}" if second else "")


def draw_run_figures(
    trajectories: pd.DataFrame, summary: Mapping[str, Any], folder: str | os.PathLike[str]
) -> list[Path]:
    """Draw the three figures of a run into a folder, each written atomically.

    Writes ``escalation_ladder.png``, ``outcome_probabilities.png`` and ``ukraine_position.png``.

    Args:
        trajectories: Long table of the run, one row per (replicate, month).
        summary: Run summary (``title``, ``replicates``, ``months``, ``probabilities``, ...).
        folder: Output folder, created if missing.

    Returns:
        The paths written, in the order ladder, outcomes, position.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        plot_ladder(
            trajectories,
            _summary_title(summary, "escalation ladder"),
            folder / LADDER_FILE,
        ),
        plot_outcomes(summary, folder / OUTCOMES_FILE),
        plot_position(
            trajectories,
            _summary_title(summary, "Ukraine's battlefield position"),
            folder / POSITION_FILE,
        ),
    ]
